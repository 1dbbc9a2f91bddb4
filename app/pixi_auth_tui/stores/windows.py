r"""Windows Credential Manager with keyring-rs naming: generic credential, target `<key>.rattler`.

Python keyring's own Windows backend names targets differently, so we call the
Cred* API (through pywin32-ctypes, which keyring already depends on) directly.
CredEnumerate's filter only takes a *prefix* followed by `*`, so we enumerate every
credential and keep the generic ones whose target matches rattler's `\.rattler\z`.
A credential blob holds at most 2,560 bytes (CRED_MAX_CREDENTIAL_BLOB_SIZE); rattler's
UTF-16 JSON over that is refused, and `pixi auth login` then falls back to credentials.json.
"""

from __future__ import annotations

from typing import Any

from pixi_auth_tui.core.model import Credential, dumps_credential
from pixi_auth_tui.stores.platform_keychain import NativeKeychainError, PlatformKeychainStore

SERVICE = "rattler"
SUFFIX = f".{SERVICE}"
CRED_TYPE_GENERIC = 1
CRED_PERSIST_ENTERPRISE = 3
ERROR_NOT_FOUND = 1168
MAX_BLOB_BYTES = 5 * 512  # CRED_MAX_CREDENTIAL_BLOB_SIZE


def target_name(key: str) -> str:
    return f"{key}{SUFFIX}"


def key_of_target(target: str) -> str | None:
    """rattler's pattern `\\.rattler\\z`: the key is the target without that suffix."""
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
        found = self._call("CredEnumerate", None, 0) or []  # every credential of this user
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


def blob_problem(secret: str) -> str | None:
    size = len(encode_blob(secret))
    if size <= MAX_BLOB_BYTES:
        return None
    return (
        f"too large for Windows Credential Manager ({size:,} bytes as UTF-16; the limit is {MAX_BLOB_BYTES:,}): "
        "`pixi auth login` would store it in credentials.json instead — choose that store"
    )


class WindowsCredentialStore(PlatformKeychainStore):
    def __init__(self, native: CredApiKeychain | None = None) -> None:
        super().__init__(native or CredApiKeychain(), "Windows Credential Manager, <key>.rattler")

    def write_problem(self, credential: Credential) -> str | None:
        return blob_problem(dumps_credential(credential))
