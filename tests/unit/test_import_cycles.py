"""No import cycle among the modules of engine/ and runtime/.

The graph is read from the source with ``ast``: imports at the top of a module and
imports inside functions alike, so a cycle held apart only by a function-level import
still counts. Imports under ``if TYPE_CHECKING:`` are left out: they never run, they
only name types for annotations.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGES = ("portside.engine", "portside.runtime")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        folder = SRC.joinpath(*package.split("."))
        for path in folder.glob("*.py"):
            found[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, wherever it stands."""
    out: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                out.append(child)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                todo.extend(child.orelse)
            else:
                todo.append(child)
    return out


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The modules an import statement loads. ``from P import n`` loads the module P.n
    when there is one, else takes the name n from P itself."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if node.level:
        parts = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(parts[: len(parts) - node.level + 1])
        source = f"{base}.{node.module}" if node.module else base
    else:
        source = node.module or ""
    modules = _modules()
    out = set()
    for alias in node.names:
        sub = f"{source}.{alias.name}"
        out.add(sub if sub in modules else source)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.stem == "__init__"
        edges: set[str] = set()
        for node in _imports(tree):
            edges |= _targets(name, is_package, node)
        graph[name] = {t for t in edges if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle (its modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_engine_and_runtime_have_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    """The checker itself: an import inside a function closes a cycle too."""
    a = ast.parse("from .b import x\n")
    b = ast.parse("def f():\n    from .a import y\n")
    graph = {
        "portside.engine.a": set().union(
            *(_targets("portside.engine.a", False, n) for n in _imports(a))
        ),
        "portside.engine.b": set().union(
            *(_targets("portside.engine.b", False, n) for n in _imports(b))
        ),
    }
    assert find_cycle(graph) == ["portside.engine.a", "portside.engine.b", "portside.engine.a"]


def test_type_checking_imports_are_left_out() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import x\n")
    assert [ast.unparse(n) for n in _imports(tree)] == ["from typing import TYPE_CHECKING"]
