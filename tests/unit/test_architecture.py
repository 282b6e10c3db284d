"""The shape of the code, checked: no import cycle, layers that depend only downwards, files a person can
hold in their head, and nothing heavy loaded by `import app` (docs/ARCHITECTURE.md draws the same picture).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"
MAX_LINES = 400
HEAVY = ("boto3", "botocore", "pynamodb", "jwt", "aws_lambda_powertools", "yaml", "cryptography")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    found["app"] = ROOT / "app.py"
    return found


def imports_of(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Every module `path` imports: at the top, inside functions and under `TYPE_CHECKING` alike (or, with
    `top_level_only`, what importing it runs at once)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if top_level_only and isinstance(node, ast.If):  # `if TYPE_CHECKING:` runs nothing
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {m for m in imports_of(path) if m in known and m != name} for name, path in known.items()}


def cycle_in(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, if there is any (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_there_is_no_import_cycle_anywhere_type_checking_and_function_imports_included():
    assert cycle_in(graph()) is None, " → ".join(cycle_in(graph()) or [])


def test_the_cycle_finder_finds_a_cycle_when_there_is_one():
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b"}, "b": set()}) is None


RULES = [
    # (layer, what it must not import)
    ("chalicelib.domain", ("chalicelib.handlers", "chalicelib.storage", "chalicelib.adapters", "chalicelib.web",
                           "chalicelib.composition", "boto3", "pynamodb", "chalice", "pydantic")),
    ("chalicelib.handlers", ("chalicelib.storage", "chalicelib.adapters", "chalicelib.web", "boto3", "pynamodb",
                             "chalice")),
    ("chalicelib.storage", ("chalicelib.handlers", "chalicelib.web", "chalicelib.adapters", "boto3")),
    ("chalicelib.adapters", ("chalicelib.handlers", "chalicelib.storage", "chalicelib.web")),
    ("chalicelib.web", ("chalicelib.storage", "chalicelib.adapters", "boto3", "pynamodb")),
]


@pytest.mark.parametrize(("layer", "forbidden"), RULES, ids=[layer for layer, _ in RULES])
def test_each_layer_depends_only_on_the_layers_below_it(layer: str, forbidden: tuple[str, ...]):
    broken = sorted(
        f"{name} imports {imported}"
        for name, path in modules().items()
        if name == layer or name.startswith(layer + ".")
        for imported in imports_of(path)
        if any(imported == f or imported.startswith(f + ".") for f in forbidden)
    )
    assert broken == []


def test_route_modules_import_their_use_cases_only_when_called():
    eager = sorted(
        f"{name} imports {imported} at import"
        for name, path in modules().items()
        if name.startswith("chalicelib.web.routes.") or name == "app"
        for imported in imports_of(path, top_level_only=True)
        if imported.startswith("chalicelib.handlers") or imported == "chalicelib.composition"
    )
    assert eager == []


def test_no_file_in_chalicelib_is_over_400_lines_and_app_py_is_at_most_200():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > (200 if name == "app" else MAX_LINES)}
    assert long == {}


def test_importing_the_app_loads_no_aws_sdk_database_driver_or_token_library():
    code = ("import sys; import app; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
