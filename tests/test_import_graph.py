"""The package's import graph has no circle, counting imports inside functions too.

A circle means two modules cannot be understood (or changed) one at a time; lazy imports hide
it from Python but not from a reader, so this walks every ``import`` statement in the source.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dlweek8"

#: Modules that ``publish`` writes into the student build; they are leaves.
GENERATED = {"dlweek8.term"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(module: str, path: Path, node, known) -> set[str]:
    """The package modules one ``import`` statement names."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in known}
    here = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = here[: len(here) - node.level + 1] if node.level else []
    origin = ".".join(base + ([node.module] if node.module else []))
    names = set()
    for alias in node.names:
        sub = f"{origin}.{alias.name}"
        if sub in known or sub in GENERATED:
            names.add(sub)
        elif origin in known:
            names.add(origin)
    return names & set(known)


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges |= _imported(name, path, node, modules)
        graph[name] = edges - {name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_package_imports_without_a_circle():
    assert circles(import_graph()) == []


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
])
def test_circles_are_found(graph, expected):
    assert circles(graph) == expected


def test_lazy_imports_count():
    """The walk sees an import inside a function: ``dlweek8.check`` imports ``checks`` lazily."""
    assert "dlweek8.checks" in import_graph()["dlweek8"]


def test_the_student_part_never_imports_the_instructor_part():
    graph = import_graph()
    student = [m for m in graph if not m.startswith("dlweek8.instructor")]
    reaching = {m: sorted(e for e in graph[m] if e.startswith("dlweek8.instructor")) for m in student}
    assert {m: e for m, e in reaching.items() if e} == {}
