"""The shape of the code: no module imports itself back through another (not even lazily,
inside a function), and the credential engine never imports Textual."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "app" / "pixi_auth_tui"
PACKAGE = "pixi_auth_tui"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """Every pixi_auth_tui module `path` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            if name in MODULES:
                found.add(name)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def graph() -> dict[str, set[str]]:
    # A package's own __init__ is not an edge: importing a.b runs a/__init__ first anyway.
    return {name: {m for m in imports_of(path) if not name.startswith(m + ".")} for name, path in MODULES.items()}


# model ↔ rattler_json (merged from issue 11): model reads keychain secrets through
# rattler_json lazily, rattler_json builds model's classes. Known, left for its owner to untie.
KNOWN_CYCLES = {("pixi_auth_tui.core.model", "pixi_auth_tui.core.rattler_json")}


def test_no_import_cycles():
    edges = graph()
    for a, b in KNOWN_CYCLES:
        edges[a].discard(b)
    assert find_cycle(edges) is None


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_engine_has_no_textual_imports():
    for name, path in MODULES.items():
        if name.startswith(f"{PACKAGE}.ui"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                modules = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any(m and m.split(".")[0] in ("textual", "rich") for m in modules), name


def test_the_readme_key_table_matches_the_app():
    import re

    from pixi_auth_tui.ui import present
    from pixi_auth_tui.ui.app import AuthApp
    from pixi_auth_tui.ui.main_screen import MainScreen

    readme = (ROOT.parent.parent / "README.md").read_text()
    table = readme[readme.index("| key | action |") :].split("\n\n", 1)[0]
    documented = {key for line in table.splitlines()[2:] for key in re.findall(r"`([^`]+)`", line.split(" | ")[0])}
    bound = {present.key_name(b.key) for b in [*MainScreen.BINDINGS, *AuthApp.BINDINGS]}  # type: ignore[union-attr]
    # Enter, Home and End belong to the table widget; Ctrl+P to Textual
    assert documented == bound | {"Enter", "Home", "End"}
