"""The course the grading tests make submissions from: the student editions with their solved sources, and cells to add."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dlweek8.instructor import editions
from dlweek8.instructor.grading import discover

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Edition:
    """A student edition and its solved source, as notebooks in memory."""

    name: str  # file name, e.g. 01_lstm_gradients.ipynb
    student: nbformat.NotebookNode
    solved: nbformat.NotebookNode

    @property
    def code(self) -> list[str]:
        return [c.source for c in self.student.cells if c.cell_type == "code"]

    @property
    def answers(self) -> dict[str, str]:
        return discover.answers_by_id(self.code)

    @property
    def imports(self) -> list[str]:
        """What a real run preloads into its warm kernels for this notebook."""
        return discover.imported_modules(self.code)


def real_editions() -> list[Edition]:
    found = []
    for source in editions.solved_notebooks(ROOT / "solutions"):
        target = ROOT / "notebooks" / source.name
        if target.exists():
            found.append(Edition(source.name, nbformat.read(target, as_version=4), nbformat.read(source, as_version=4)))
    return found


def _fixture_solved(cells: list[str]) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_markdown_cell("# A fixture assignment")] + [new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def fixture_editions() -> list[Edition]:
    """Two small assignments from real question ids (used until the real notebooks exist)."""
    conv = _fixture_solved(
        [
            "import dlweek8",
            "size_78x84 = (26, 28)  ### SOLUTION",
            'dlweek8.check("conv.size_78x84", size_78x84)',
            'def output_size(n, k, s=1, p=0, d=1):\n    """Output length of a 1-D convolution."""\n'
            "    ### BEGIN SOLUTION\n    return (n + 2 * p - d * (k - 1) - 1) // s + 1\n    ### END SOLUTION",
            'dlweek8.check("conv.output_size_fn", output_size)',
            "### BEGIN SOLUTION\nparams_7x7 = 64 * 32 * 7 * 7\n### END SOLUTION",
            'dlweek8.check("conv.params_7x7", params_7x7)',
            "params_1x1 = 128 * 512  ### SOLUTION",
            'dlweek8.check("conv.params_1x1", params_1x1)',
        ]
    )
    lstm = _fixture_solved(
        [
            "import dlweek8",
            "cell_state_dependence = False  ### SOLUTION",
            'dlweek8.check("lstm.cell_state_dependence", cell_state_dependence)',
        ]
    )
    return [
        Edition(name, editions.student_edition(solved, f"solutions/{name}"), solved)
        for name, solved in (("02_fixture_conv.ipynb", conv), ("01_fixture_lstm.ipynb", lstm))
    ]


EDITIONS = real_editions() or fixture_editions()
USING_REAL_NOTEBOOKS = bool(real_editions())


def filled(edition: Edition) -> nbformat.NotebookNode:
    """The student edition with every stubbed cell replaced by its solved source (matched by cell id)."""
    return editions.answered(edition.student, edition.solved)


def with_cell(nb, source: str, at: int | None = None) -> nbformat.NotebookNode:
    """A copy of ``nb`` with a code cell inserted after the first code cell (the imports), or at ``at``."""
    nb = copy.deepcopy(nb)
    if at is None:
        at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code") + 1
    nb.cells.insert(at, new_code_cell(source))
    return nb


#: Defines ``_lookup(question_id)``: an answer fitted to the stored public cases, a table from their inputs to their outputs.
LOOKUP_CELL = '''
def _lookup(question_id):
    from dlweek8 import checks, plain
    cases = checks.get(question_id).public_cases()
    key = lambda args: plain.dumps([plain.to_plain(a) for a in args])
    table = {key(args): expected for args, expected in zip(cases.probes, cases.expected)}
    return lambda *args: table[key(args)]
'''
