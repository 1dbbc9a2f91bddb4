"""Run in a subprocess by tests/test_portability.py: `python -m tests.portability_child PLATFORM`.

Makes `fcntl` (and the other POSIX-only modules) unimportable, imports every module of the
package, then runs `pixi-auth-tui list --json` as if on PLATFORM (win32 or darwin) with only
the native keychain call faked (win32cred; the `security` tool on PATH). Prints the JSON.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import sys
import types
import typing

for name in ("fcntl", "termios", "tty", "pty", "grp", "pwd", "resource"):
    sys.modules[name] = None  # type: ignore[assignment]  # `import fcntl` now raises ImportError

import pixi_auth_tui  # noqa: E402

LINUX_ONLY = {"pixi_auth_tui.stores.secretservice"}  # jeepney: installed on Linux only


def import_everything() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(pixi_auth_tui.__path__, "pixi_auth_tui.")]
    for name in names:
        if name not in LINUX_ONLY and not name.endswith("__main__"):
            importlib.import_module(name)
    return names


class FakeWin32Cred:
    """Stands in for win32ctypes.pywin32.win32cred: one rattler item, one unrelated."""

    creds: typing.ClassVar[list[dict]] = [
        {
            "TargetName": "repo.test.rattler",
            "Type": 1,
            "UserName": "repo.test",
            "CredentialBlob": '{"BearerToken":"win"}'.encode("utf-16-le"),
        },
        {"TargetName": "other-app", "Type": 1, "UserName": "x", "CredentialBlob": b"x"},
    ]

    def CredEnumerate(self, filter_, flags):
        return self.creds

    def CredRead(self, target, typ):
        return next(c for c in self.creds if c["TargetName"] == target)


def main() -> None:
    imported = import_everything()
    platform = sys.argv[1]
    if platform == "win32":
        fake = types.ModuleType("win32ctypes.pywin32.win32cred")
        for attr in ("CredEnumerate", "CredRead"):
            setattr(fake, attr, getattr(FakeWin32Cred(), attr))
        pywin32 = types.ModuleType("win32ctypes.pywin32")
        pywin32.win32cred = fake  # type: ignore[attr-defined]
        sys.modules.update(
            {
                "win32ctypes": types.ModuleType("win32ctypes"),
                "win32ctypes.pywin32": pywin32,
                "win32ctypes.pywin32.win32cred": fake,
            }
        )
    sys.platform = platform
    from pixi_auth_tui.cli.main import main as cli_main

    out = io.StringIO()
    code = cli_main(["list", "--json"], out=out, err=sys.stderr)
    print(f"IMPORTED {len(imported)}")
    print(out.getvalue())
    sys.exit(code)


if __name__ == "__main__":
    main()
