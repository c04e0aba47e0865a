"""The house's floors hold: no import cycle anywhere, and no import hidden inside a function without a reason.

import-linter (`make lint`) checks that each floor imports only the floors below it; these tests check what its
contracts cannot say: a cycle through modules of different apps, and imports placed in a function to dodge one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kernel", "tenants", "shared_apps", "tenant_apps", "marketplace", "demo", "config", "workers", "sandboxes")


def _is_test(module: str) -> bool:
    return ".tests" in module or module.startswith("tests")


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    modules = sorted(m for m in graph.modules if not _is_test(m))
    edges = {m: sorted(i for i in graph.find_modules_directly_imported_by(m) if not _is_test(i)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in modules:
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = edges.get(node, [])
            if i < len(children):
                work.append((node, i + 1))
                child = children[i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            for child in children:
                if child in on_stack:
                    low[node] = min(low[node], low[child])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False, cache_dir=None)
    assert _cycles(graph) == []


def _hidden_imports(path: Path) -> list[str]:
    """Imports inside a function body with no comment saying why: on their line, or above their block of imports."""
    source = path.read_text()
    lines = source.splitlines()
    hidden = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom) and "#" not in lines[inner.lineno - 1]:
                first = inner.lineno - 1  # a block of imports shares the comment above its first line
                while first > 0 and lines[first - 1].strip().startswith(("import ", "from ")):
                    first -= 1
                if not (first > 0 and lines[first - 1].strip().startswith("#")):
                    hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    return sorted(set(hidden))


def test_every_import_inside_a_function_says_why() -> None:
    hidden = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            hidden.extend(_hidden_imports(path))
    assert hidden == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")
    assert _cycles(graph) == [["a.x", "a.y"]]
