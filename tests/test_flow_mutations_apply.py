"""Every mutation of tests/flow_mutations.py still applies: its text occurs exactly once in the
file it edits. A change that moves or rewords that code must carry its mutation along, or the
script (run by hand: it edits the source tree) would stop at it instead of proving its tests."""

from pathlib import Path

import pytest

from tests.flow_mutations import MUTATIONS, ROOT


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_the_mutation_still_applies(mutation):
    for name, old, _new in mutation.edits:
        path = Path(ROOT, name)
        assert path.is_file(), f"{mutation.id}: {name} is gone"
        found = path.read_text().count(old)
        assert found == 1, f"{mutation.id}: {old!r} occurs {found} times in {name}"
