"""`pixi-auth-tui set KEY --kind KIND`: add or rotate a credential. Secrets come from a hidden
prompt or stdin, never from arguments."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO

from pixi_auth_tui.cli.common import EXIT_OK, PYPI_STORE_CHOICES, STORE_CHOICES, UV_STORE, UsageError
from pixi_auth_tui.core.model import KIND_LABELS, KINDS, Credential, all_secrets
from pixi_auth_tui.core.redact import LONG_SECRET_CHARS
from pixi_auth_tui.core.words import plural
from pixi_auth_tui.engine.inventory import Inventory

KIND_CHOICES = {spec.cli: name for name, spec in KINDS.items() if spec.cli}


def _typed_options() -> dict[str, list[str]]:
    """`set`'s option per non-secret field (`--username`, `--access-key-id`) and its kinds."""
    options: dict[str, list[str]] = {}
    for spec in KINDS.values():
        for field in spec.fields:
            if spec.cli and not field.secret:
                options.setdefault(field.name, []).append(spec.cli)
    return options


def add_arguments(p_set: argparse.ArgumentParser) -> None:
    p_set.add_argument(
        "key",
        help="host or wildcard key, e.g. repo.prefix.dev or *.prefix.dev; "
        "for --store keyring-pypi the keyring service: an index URL or host",
    )
    p_set.add_argument("--kind", choices=sorted(KIND_CHOICES), required=True)
    for name, kinds in _typed_options().items():  # the kinds' non-secret fields (KindSpec.fields)
        p_set.add_argument(f"--{name.replace('_', '-')}", help=f"for --kind {' or '.join(kinds)}")
    p_set.add_argument(
        "--store",
        choices=(*STORE_CHOICES, *PYPI_STORE_CHOICES, UV_STORE),
        help="default: where `pixi auth login` writes (RATTLER_AUTH_FILE if set, "
        "else the keychain, else credentials.json); keyring-pypi: a Python keyring entry uv reads "
        "for PyPI indexes (`keyring set SERVICE USER`); `uv`: uv's credentials.toml, for PyPI indexes, "
        "as `uv auth login KEY` writes it (KEY an index URL or host)",
    )
    p_set.add_argument(
        "--stdin",
        action="store_true",
        help="read the secret from stdin (first line; for s3 a second line may hold a session token)",
    )


SecretReader = Callable[[str], str]


def secret_reader(use_stdin: bool, stdin: TextIO, kind: str) -> SecretReader:
    if use_stdin:
        # Only "\n" ends a line (and "\r\n"): str.splitlines would also split at \x85, U+2028,
        # \x1c … and silently store the front of a secret. Those stay in and are refused.
        text = stdin.read()
        lines = [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]
        wanted = [f for f in KINDS[kind].fields if f.secret]
        if len(lines) > len(wanted) and any(lines[len(wanted) :]):
            # The form refuses a multi-line paste; so does `set`, rather than store the first line.
            raise UsageError(
                f"stdin holds {plural(len(lines), 'line')}, but {KINDS[kind].label} takes "
                f"{plural(len(wanted), 'secret')}, one per line: nothing was stored"
            )
        queue = iter(lines)
        return lambda _prompt: next(queue, "")
    if not stdin.isatty():
        raise UsageError("no terminal for a hidden prompt; pass --stdin and pipe the secret")
    import getpass

    return lambda prompt: getpass.getpass(prompt)


def credential_from_args(args: argparse.Namespace, read: SecretReader) -> Credential:
    """The kind's fields: secrets from the prompt or stdin (in the kind's order), the others
    from their options; checked by the same `build_credential` the UI's form uses."""
    from pixi_auth_tui.core.validation import build_credential

    kind = KIND_CHOICES[args.kind]
    values: dict[str, str] = {}
    for field in KINDS[kind].fields:
        if field.secret:
            values[field.name] = read(f"{field.prompt}: ")
            continue
        value = getattr(args, field.name, None)  # argparse's attribute for the field's option
        if value is None:
            raise UsageError(f"--kind {args.kind} needs --{field.name.replace('_', '-')}")
        values[field.name] = value
    cred, errors = build_credential(kind, values)
    if cred is None:
        raise UsageError(next(iter(errors.values())))  # the form's own sentence for it
    return cred


def cmd_set(inv: Inventory, args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    # (the writing commands' modules: imported when one runs, not by `list` and the like)
    from pixi_auth_tui.core.hostkeys import normalise_login_key
    from pixi_auth_tui.core.validation import key_refusal
    from pixi_auth_tui.engine.operations import save_credential

    bad_key = key_refusal(args.key)  # the form's own sentence for it
    if bad_key:
        raise UsageError(bad_key)
    choice = None
    if args.store:
        store = inv.store(args.store)
        if store is None:
            raise UsageError(f"store {args.store!r} is not configured on this machine")
    else:
        choice = inv.write_choice()
        store = choice.store
    reader = secret_reader(args.stdin, stdin, KIND_CHOICES[args.kind])
    warned = False
    if choice is not None and choice.warning and not args.stdin:
        err.write(f"warning: {choice.warning}\n")  # before the person types the secret
        warned = True
    cred = credential_from_args(args, reader)
    if choice is not None:
        # Where `pixi auth login` would put this very credential (it falls back to
        # credentials.json when the keychain refuses the write).
        final = inv.write_choice(cred)
        if final.store is not store:
            choice, store, warned = final, final.store, False
    # The CLI shows nothing it could have read stale: the store applies the change to what it
    # holds under its lock (re-read, then write), and reports whether the key was there.
    outcome = save_credential(inv, store, args.key, cred, as_seen=False)
    if outcome.changed:
        verb = "rotated" if outcome.message.startswith("Rotated") else "added"
        out.write(f"{verb} {args.key} ({KIND_LABELS[cred.kind]}) in {store.name} ({store.location})\n")
    else:
        out.write(f"{outcome.message}\n")
    if outcome.note:
        err.write(f"note: {outcome.note}\n")
    if choice is not None:
        err.write(f"store chosen: {store.name}, because {choice.reason}\n")
        if choice.warning and not warned:
            err.write(f"warning: {choice.warning}\n")
    if any(len(secret) < LONG_SECRET_CHARS for secret in all_secrets(cred)):
        err.write(
            f"warning: a secret shorter than {LONG_SECRET_CHARS} characters cannot be hidden in messages "
            "(it is hidden only where it stands as a word of its own, a word of letters only not at all): "
            "prefer a longer one\n"
        )
    suggestion = normalise_login_key(args.key)
    if suggestion.changed:
        err.write(
            f"note: `pixi auth login {args.key}` would have stored this under {suggestion.key!r} "
            f"({suggestion.reason}); stored under {args.key!r} as given\n"
        )
    return EXIT_OK
