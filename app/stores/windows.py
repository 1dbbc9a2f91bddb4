"""Windows Credential Manager with keyring-rs naming: generic credential, target `<key>.rattler`.

Python keyring's own Windows backend names targets differently, so we call the
Cred* API (through pywin32-ctypes, which keyring already depends on) directly.
"""

from __future__ import annotations

from typing import Any

from pixi_auth_tui.stores.platform_keychain import NativeKeychainError, PlatformKeychainStore

SERVICE = "rattler"
SUFFIX = f".{SERVICE}"
CRED_TYPE_GENERIC = 1
CRED_PERSIST_ENTERPRISE = 3
ERROR_NOT_FOUND = 1168


def target_name(key: str) -> str:
    return f"{key}{SUFFIX}"


def key_of_target(target: str) -> str | None:
    return target[: -len(SUFFIX)] if target.endswith(SUFFIX) and len(target) > len(SUFFIX) else None


def encode_blob(secret: str) -> bytes:
    # keyring-rs stores the password as UTF-16LE so Credential Manager's own UI can show it.
    return secret.encode("utf-16-le")


def decode_blob(blob: bytes) -> str:
    # A UTF-16LE blob of JSON is full of NUL bytes; a UTF-8 one (other writers) has none.
    if b"\x00" not in blob:
        return blob.decode("utf-8", errors="replace")
    return blob.decode("utf-16-le", errors="replace")


class CredApiKeychain:
    def __init__(self, api: Any = None) -> None:
        if api is None:
            from win32ctypes.pywin32 import win32cred  # pyright: ignore[reportMissingImports] (Windows only)

            api = win32cred
        self.api = api

    def _call(self, fn: str, *args: Any) -> Any:
        try:
            return getattr(self.api, fn)(*args)
        except Exception as err:  # pywin32error carries winerror
            if getattr(err, "winerror", None) == ERROR_NOT_FOUND:
                return None
            raise NativeKeychainError(f"{fn} failed: {err}") from err

    def list_keys(self) -> list[str]:
        found = self._call("CredEnumerate", f"*{SUFFIX}", 0) or []
        keys = [key_of_target(c["TargetName"]) for c in found if c.get("Type") == CRED_TYPE_GENERIC]
        return [k for k in keys if k]

    def read(self, key: str) -> str | None:
        cred = self._call("CredRead", target_name(key), CRED_TYPE_GENERIC)
        return None if cred is None else decode_blob(bytes(cred["CredentialBlob"]))

    def write(self, key: str, secret: str) -> None:
        self._call(
            "CredWrite",
            {
                "Type": CRED_TYPE_GENERIC,
                "TargetName": target_name(key),
                "UserName": key,
                "CredentialBlob": encode_blob(secret),
                "Persist": CRED_PERSIST_ENTERPRISE,
            },
            0,
        )

    def delete(self, key: str) -> None:
        self._call("CredDelete", target_name(key), CRED_TYPE_GENERIC)


class WindowsCredentialStore(PlatformKeychainStore):
    def __init__(self, native: CredApiKeychain | None = None) -> None:
        super().__init__(native or CredApiKeychain(), "Windows Credential Manager, <key>.rattler")
