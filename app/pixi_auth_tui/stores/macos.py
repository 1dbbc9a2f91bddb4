"""macOS Keychain: a generic password with service `rattler` and account = key (as rattler)."""

from __future__ import annotations

import re
import subprocess

from pixi_auth_tui.core.model import Credential
from pixi_auth_tui.stores.base import Ability
from pixi_auth_tui.stores.platform_keychain import NativeKeychainError, PlatformKeychainStore

SERVICE = "rattler"
_ATTR = re.compile(r'^\s+"(svce|acct)"<blob>=(?:"(.*)"|0x[0-9A-F]+\s+"(.*)"|<NULL>)\s*$')


def parse_dump_keychain(text: str, service: str = SERVICE) -> list[str]:
    """Accounts of generic passwords for `service` in `security dump-keychain` output (no secrets)."""
    keys: list[str] = []
    item: dict[str, str] = {}
    is_generic = False

    def flush() -> None:
        if is_generic and item.get("svce") == service and "acct" in item:
            keys.append(item["acct"])

    for line in text.splitlines():
        if line.startswith("keychain:"):
            flush()
            item, is_generic = {}, False
        elif line.startswith("class:"):
            is_generic = line.strip() == 'class: "genp"'
        else:
            match = _ATTR.match(line)
            if match:
                item[match.group(1)] = match.group(2) if match.group(2) is not None else (match.group(3) or "")
    flush()
    return keys


class SecurityToolKeychain:
    """Native calls through `security` (listing) and keyring's macOS backend (secrets)."""

    def list_keys(self) -> list[str]:
        try:
            out = subprocess.run(
                ["security", "dump-keychain"], capture_output=True, text=True, check=True, timeout=30
            ).stdout
        except (OSError, subprocess.SubprocessError) as err:
            raise NativeKeychainError(f"cannot list the keychain: {err}") from err
        return parse_dump_keychain(out)

    def _backend(self):  # noqa: ANN202 - keyring's class, imported lazily (macOS only)
        from keyring.backends import macOS

        return macOS.Keyring()

    def read(self, key: str) -> str | None:
        try:
            return self._backend().get_password(SERVICE, key)
        except Exception as err:  # keyring raises its own error types per platform
            raise NativeKeychainError(str(err)) from err

    def write(self, key: str, secret: str) -> None:
        try:
            self._backend().set_password(SERVICE, key, secret)
        except Exception as err:
            raise NativeKeychainError(str(err)) from err

    def delete(self, key: str) -> None:
        try:
            self._backend().delete_password(SERVICE, key)
        except Exception as err:
            raise NativeKeychainError(str(err)) from err


class MacKeychainStore(PlatformKeychainStore):
    # Reading a secret may show a permission prompt: list names only, read secrets when asked.
    abilities = frozenset({Ability.READ_ON_DEMAND})

    def __init__(self, native: SecurityToolKeychain | None = None) -> None:
        super().__init__(native or SecurityToolKeychain(), "macOS Keychain, service=rattler")

    def read_secret(self, key: str) -> Credential | None:
        return self._read_now(key)
