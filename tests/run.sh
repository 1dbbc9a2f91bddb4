#!/usr/bin/env bash
# Install what the test suite needs, then run all of it. The README's quick start and CI
# (.ci/run) both call exactly this. Works as root (CI) or with sudo, on Debian with Python 3.11+.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dbus-daemon >/dev/null 2>&1 || missing+=(dbus)
command -v gnome-keyring-daemon >/dev/null 2>&1 || missing+=(gnome-keyring)
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)  # the copy test's X display (tests/test_clipboard.py)
command -v xclip >/dev/null 2>&1 || missing+=(xclip)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)  # the copy test inside tmux
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv)
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
# Editable: the tests import pixi_auth_tui from this tree (app/ mapped to that name), never a stale copy.
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
if [ "${PIXI_AUTH_TUI_TEXTUAL:-}" = newest ]; then
    # .ci/newest-textual: the newest Textual, whatever our upper bound says (pip warns of the conflict)
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade textual
    .venv/bin/python -c "import importlib.metadata as m; print('textual', m.version('textual'))"
fi
# Three workers on CI's two cores, each with its own private keyring daemon: a UI test spends a
# good part of its time waiting for the app to go idle (Textual's Pilot waits after every key),
# and a third worker uses those waits. Figures in bench/RESULTS.md ("Test suite").
exec .venv/bin/python -m pytest -n 3 -p no:cacheprovider "$@"
