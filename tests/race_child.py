"""A racing writer for tests/test_races.py: `python -m tests.race_child KIND TARGET NAME N GO`.

KIND is `keychain` (TARGET a bus address) or `file` (TARGET a credentials file). Waits for
the file GO to appear, then writes N shared keys and N keys of its own, as the CLI does
(no expected version: the store applies each write to what it holds under its lock).
Prints one JSON line: the writes refused.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from pixi_auth_tui.core.model import BearerToken
from pixi_auth_tui.stores.base import Store, StoreError


def main() -> None:
    kind, target, name, count, go = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), Path(sys.argv[5])
    store: Store
    if kind == "keychain":
        from pixi_auth_tui.stores.secretservice import SecretServiceStore

        store = SecretServiceStore(target)
    else:
        from pixi_auth_tui.stores.jsonfile import JsonFileStore

        store = JsonFileStore("credentials", "credentials.json", Path(target))
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.001)
    refused = []
    for k in range(count):
        for key in (f"shared{k}.test", f"{name}{k}.test"):
            try:
                store.set(key, BearerToken(f"{name}-{k}"), expect=None)
            except StoreError as err:
                refused.append(f"{key}: {err}")
    print(json.dumps(refused), flush=True)


if __name__ == "__main__":
    main()
