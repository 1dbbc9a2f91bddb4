"""Concurrent writers: racing `set`s never leave two keychain items for one key, and never
lose or refuse a write to a file (issue 11, item 7). Two real processes per test."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from pixi_auth_tui.core.model import BearerToken
from pixi_auth_tui.stores.jsonfile import JsonFileStore

ROOT = Path(__file__).resolve().parent.parent
N = 15


def race(kind: str, target: str, tmp: Path) -> list[str]:
    go = tmp / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.race_child", kind, target, name, str(N), str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("alpha", "beta")
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    go.touch()  # both start writing at once
    refused: list[str] = []
    for child in children:
        out, _ = child.communicate(timeout=120)
        refused += json.loads(out.strip().splitlines()[-1])
        assert child.returncode == 0
    return refused


def check(entries: list[tuple[str, BearerToken]], refused: list[str]) -> None:
    assert refused == []
    counts = Counter(key for key, _cred in entries)
    assert all(n == 1 for n in counts.values()), {k: n for k, n in counts.items() if n > 1}
    expected = {f"{prefix}{k}.test" for k in range(N) for prefix in ("shared", "alpha", "beta")}
    assert set(counts) == expected  # every write kept: each writer's own keys and the shared ones
    values = dict(entries)
    assert all(values[f"shared{k}.test"] in (BearerToken(f"alpha-{k}"), BearerToken(f"beta-{k}")) for k in range(N))


@pytest.mark.keychain
def test_racing_keychain_writers_leave_one_item_per_key(keychain, keyring_daemon, tmp_path):
    refused = race("keychain", keyring_daemon.address, tmp_path)
    check([(e.key, e.credential) for e in keychain.load().entries], refused)


def test_racing_file_writers_keep_every_write(home, tmp_path):
    path = home / ".rattler" / "credentials.json"
    refused = race("file", str(path), tmp_path)
    check([(e.key, e.credential) for e in JsonFileStore("c", "c", path).load().entries], refused)
