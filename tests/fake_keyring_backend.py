"""A keyring backend for the `keyring` command in tests: entries in a JSON file named by
$FAKE_KEYRING_FILE ({"<service>\\u0000<user>": "<password>"}), so the real `keyring` CLI that
uv runs answers from a temporary folder and never from a real keychain.

Selected with PYTHON_KEYRING_BACKEND=fake_keyring_backend.FileKeyring (tests/ on PYTHONPATH);
every call is also appended to $FAKE_KEYRING_FILE.log, so a test sees what uv asked."""

from __future__ import annotations

import json
import os

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _path(self) -> str:
        return os.environ["FAKE_KEYRING_FILE"]

    def _load(self) -> dict[str, str]:
        try:
            with open(self._path(), encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            return {}

    def _log(self, *words: str) -> None:
        with open(self._path() + ".log", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(words) + "\n")

    def get_password(self, service: str, username: str) -> str | None:
        self._log("get", service, username)
        return self._load().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries[f"{service}\0{username}"] = password
        with open(self._path(), "w", encoding="utf-8") as handle:
            json.dump(entries, handle)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        if entries.pop(f"{service}\0{username}", None) is None:
            raise PasswordDeleteError("not found")
        with open(self._path(), "w", encoding="utf-8") as handle:
            json.dump(entries, handle)
