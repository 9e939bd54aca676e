"""The package layering of DESIGN.md, read from the source with ``ast`` (nothing imported):
the CLI reaches the layers only through ``engine/``, and no modules import each other
in a circle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import portside

PACKAGE = Path(portside.__file__).parent
SRC = PACKAGE.parent

# the packages below engine/ that a front end must not import
BELOW_ENGINE = ("runtime", "store", "image", "registry", "network", "builder")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(
    node: ast.AST, in_functions: bool, type_checking: bool
) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements under ``node``: those in function bodies only with
    ``in_functions``, those under ``if TYPE_CHECKING:`` only with ``type_checking``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            if in_functions:
                yield from _import_nodes(child, in_functions, type_checking)
        elif isinstance(child, ast.If) and _is_type_checking(child):
            for part in child.body if type_checking else []:
                yield from _import_nodes(ast.Module([part], []), in_functions, type_checking)
            for part in child.orelse:
                yield from _import_nodes(ast.Module([part], []), in_functions, type_checking)
        else:
            yield from _import_nodes(child, in_functions, type_checking)


def imported(name: str, in_functions: bool = True, type_checking: bool = True) -> set[str]:
    """The absolute names of the modules ``name`` imports (``from .x import y``: the
    submodule x.y where there is one, else x)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(), str(path))
    for node in _import_nodes(tree, in_functions, type_checking):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            parts = package.split(".")
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join([*parts, *([node.module] if node.module else [])])
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            found.add(sub if sub in MODULES else base)
    return found


# the front ends: the CLI, the library (and the package's face, which is the library's),
# the API server and compose
FRONT_ENDS = ("portside.cli.", "portside.client.", "portside.api.", "portside.compose.")


def test_the_front_ends_reach_the_layers_only_through_the_engine() -> None:
    below = tuple(f"portside.{package}" for package in BELOW_ENGINE)
    offenders = sorted(
        f"{name} imports {target}"
        for name in MODULES
        if name.startswith(FRONT_ENDS) or name in ("portside", "portside.client")
        for target in imported(name)
        if target in below or target.startswith(tuple(f"{b}." for b in below))
    )
    assert offenders == []


def test_the_build_runner_never_imports_the_engine() -> None:
    """builder/ gets what it needs from the engine as a record (runner.Facilities):
    the mechanism sits below the use cases, not beside them."""
    offenders = sorted(
        f"{name} imports {target}"
        for name in MODULES
        if name.startswith("portside.builder.")
        for target in imported(name)
        if target.startswith("portside.engine")
    )
    assert offenders == []


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _graph(in_functions: bool) -> dict[str, set[str]]:
    """Who imports whom among portside's modules, at run time (``if TYPE_CHECKING:``
    imports are never run, so they close no circle)."""
    return {
        name: {t for t in imported(name, in_functions, False) if t in MODULES and t != name}
        for name in MODULES
    }


def test_no_import_cycle_between_modules_at_import_time() -> None:
    """Module-level imports (those run when a module is first imported): no cycle."""
    assert _cycles(_graph(in_functions=False)) == []


def test_no_import_cycle_counting_imports_inside_functions() -> None:
    """With the imports functions make when called: none either (an import inside a
    function is for start-up time, never to hide a circle)."""
    assert [sorted(c) for c in _cycles(_graph(in_functions=True))] == []


def test_the_walk_sees_imports_inside_functions_and_type_checking_blocks() -> None:
    """The checks above would pass vacuously if the walk missed nested imports."""
    login = imported("portside.cli.login")  # imports the engine inside run()
    assert "portside.engine.credentials" in login
    assert "portside.engine.credentials" not in imported("portside.cli.login", False)
    images = imported("portside.cli.image_prune")  # PruneReport under TYPE_CHECKING
    assert "portside.engine.images" in images


def test_no_module_passes_500_lines() -> None:
    """STYLE.md: split a module before it passes ~500 lines (the store's schema, the
    verb table and the like split by what they hold, not by count)."""
    long = sorted(
        f"{name}: {n} lines"
        for name, path in MODULES.items()
        if (n := len(path.read_text().splitlines())) > 500
    )
    assert long == []
