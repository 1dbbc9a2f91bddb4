"""`list --json` and `audit --json` write the inventory's JSON text directly (no dict per entry):
byte for byte what json.dumps writes of the inventory's value, on generated inventories with
every kind, odd keys and names (quotes, controls, non-ASCII, lone surrogates), JWT and OAuth
expiry, misspellings, keychain item paths, every status."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core.model import BasicHTTP, BearerToken, CondaToken, NotRead, OAuth, S3Credentials, Unrecognised
from pixi_auth_tui.engine.inventory import Inventory, Row, Status
from pixi_auth_tui.engine.inventory_json import inventory_json, inventory_json_text, with_inventory_text
from pixi_auth_tui.stores.base import Entry, Snapshot, StoreState
from pixi_auth_tui.stores.memory import MemoryKeychainStore
from pixi_auth_tui.system.pixiconfig import OverrideLookup

odd = st.text(st.sampled_from('ab"\\\n\x1b\u2026é\ud800/ .*'), max_size=8)


def jwt(exp: object) -> str:
    claims = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{claims}.c2ln"


tokens = (
    odd
    | st.sampled_from(["pfx_0123456789abcdef", "a.b.c", "short"])
    | st.builds(jwt, st.sampled_from([1_700_000_000, 1_700_000_000_000, "soon", 1e30, None]))
)
credentials = st.one_of(
    st.builds(BearerToken, tokens),
    st.builds(CondaToken, tokens),
    st.builds(BasicHTTP, odd, odd, st.booleans()),
    st.builds(S3Credentials, odd, odd, st.none() | odd),
    st.builds(OAuth, odd, st.none() | odd, st.none() | st.integers(-5, 10**13), odd, st.none() | odd, odd),
    st.builds(Unrecognised, st.just({"x": 1}), odd),
    st.just(NotRead()),
)


class Named(MemoryKeychainStore):
    def __init__(self, store_id: str, name: str, location: str) -> None:
        super().__init__()
        self.id, self.name, self.location = store_id, name, location


@st.composite
def inventories(draw: st.DrawFn) -> Inventory:
    stores = [Named(f"s{i}", draw(odd), draw(odd)) for i in range(draw(st.integers(1, 3)))]
    snapshots = {s.id: Snapshot(s.id, draw(st.sampled_from(list(StoreState))), draw(odd)) for s in stores}
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        store = draw(st.sampled_from(stores))
        entry = Entry(draw(odd), draw(credentials), store.id, item_ref=draw(st.none() | odd))
        snapshots[store.id].entries.append(entry)
        status = draw(st.sampled_from(list(Status)))
        rows.append(Row(entry, store, status, draw(odd), shadowed_by=draw(st.none() | odd)))
    override = OverrideLookup(path=draw(st.none() | st.just(Path("/o/v.json"))), source=None)
    return Inventory(stores, snapshots, rows, override=override, blocked=draw(st.none() | odd))


@settings(max_examples=150, deadline=None)
@given(inventories())
def test_the_inventory_text_is_what_json_dumps_writes(inv):
    assert inventory_json_text(inv) == json.dumps(inventory_json(inv))
    report = {"summary": {"error": 1}, "findings": [{"id": "x"}]}
    assert with_inventory_text(report, inv) == json.dumps({**report, "inventory": inventory_json(inv)})
