"""A solved notebook as the content tests read it: its check cells, its prose and headings, and
its code cells run in order in one namespace, as a kernel runs them (what each prints and shows)."""

from __future__ import annotations

import ast
import contextlib
import io
import re
from dataclasses import dataclass, field

#: A check cell: ``dlweek8.check("<id>", <name>)`` and nothing else.
CHECK = re.compile(r'^dlweek8\.check\("([^"]+)", (\w+)\)$')


def prose(text: str) -> str:
    """Markdown with its line breaks folded, so a sentence can be found whole."""
    return re.sub(r"\s+", " ", text)


def check_cells(cells) -> list[tuple[int, str, str]]:
    """(cell index, question id, answer name) of every check cell, in order."""
    return [(i, *CHECK.match(c.source).groups()) for i, c in enumerate(cells) if c.cell_type == "code" and CHECK.match(c.source)]


@dataclass
class Run:
    """What each code cell printed and showed (the value of its last expression), and the namespace after all."""

    printed: dict = field(default_factory=dict)
    shown: dict = field(default_factory=dict)
    namespace: dict = field(default_factory=dict)


def run_in_order(cells) -> Run:
    run = Run()
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(tree, f"cell {i}", "exec"), run.namespace)  # noqa: S102 - our own notebook
            if last is not None:
                run.shown[i] = eval(compile(ast.Expression(last.value), f"cell {i}", "eval"), run.namespace)  # noqa: S307
        run.printed[i] = buffer.getvalue()
    return run
