"""Find a notebook's answers by question id, from its ``dlweek8.check("<id>", <answer>)`` calls.

Answers are found by parsing each code cell, never by cell position: a student who adds,
moves or splits cells is graded the same. Cells that do not parse (half-typed code, shell
magics) are skipped, line by line where needed.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from ...names import META_KEY



@dataclass
class Parsed:
    """A notebook read from bytes: its code cells (1-based cell number, source) and answers."""

    code_cells: list[tuple[int, str]]
    answers: dict[str, str]  # question id -> the expression passed to check, as source text
    source: str | None  # metadata.dlweek8.source of a released edition, if kept


class NotANotebook(ValueError):
    """The bytes are not a Jupyter notebook (e.g. malformed JSON); the message says why, in one line."""


def read_notebook(data: bytes) -> Parsed:
    """Parse a notebook's bytes without writing anything; raise :class:`NotANotebook` with a reason."""
    import nbformat

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotANotebook(f"not UTF-8 text (byte {exc.start})") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotANotebook(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise NotANotebook("not a readable notebook (JSON nested too deeply)") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise NotANotebook("valid JSON but not a notebook (no list of cells)")
    try:
        nb = nbformat.reads(text, as_version=4)
    except BaseException as exc:  # noqa: BLE001 - RecursionError included  # noqa: BLE001 - nbformat raises many kinds
        raise NotANotebook(f"not a readable notebook ({type(exc).__name__})") from None
    code_cells = []
    for number, cell in enumerate(nb.cells, 1):
        if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str) and cell.source.strip():
            code_cells.append((number, cell.source))
    source = _released_from(nb.metadata.get(META_KEY))
    return Parsed(code_cells, answers_by_id(source for _, source in code_cells), source)


def _released_from(meta) -> str | None:
    """The solved notebook a student edition was released from, ``solutions/<assignment>.ipynb``
    (the edition records only the assignment id; older releases recorded the path as ``source``)."""
    if not isinstance(meta, dict):
        return None
    if isinstance(meta.get("assignment"), str):
        return f"solutions/{meta['assignment']}.ipynb"
    return meta.get("source") if isinstance(meta.get("source"), str) else None


def answers_by_id(sources) -> dict[str, str]:
    """question id -> answer expression, from the ``check("id", expr)`` calls the notebook itself runs:
    top-level statements of a cell (a call in dead code, ``if False:``, or inside a function does
    not count); the last call wins."""
    answers: dict[str, str] = {}
    for source in sources:
        tree, text = _parse(source)
        if tree is None:
            continue
        top = [stmt for stmt in tree.body if isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign))]
        calls = [node for stmt in top for node in _walk_expression(stmt) if isinstance(node, ast.Call) and _is_check(node.func)]
        for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
            if len(node.args) >= 2 and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                expression = ast.get_source_segment(text, node.args[1])
                if expression:
                    answers[node.args[0].value] = expression
    return answers


#: Modules that another module imports on its first use rather than when it is imported: a template
#: that preloads the first preloads these too, or every submission pays for them again. FlopCounterMode
#: loads torch._dynamo (with sympy: about 800 modules, 1.8 s of CPU) the first time it counts; the
#: autograd helpers of dlweek8.lstm (vectorised jacobians) load torch's symbolic shapes (0.4 s); the
#: training of dlweek8.training loads torch._dynamo (making a torch.optim optimizer does), and its figures and
#: progress bar matplotlib, ipywidgets and tqdm's notebook bar (together about 1.9 s of CPU).
LOADED_ON_FIRST_USE = {
    "torch.utils.flop_counter": ("torch._dynamo",),
    "dlweek8.lstm": ("torch.fx.experimental.symbolic_shapes",),
    "dlweek8.training": ("torch._dynamo", "dlweek8.widgets.figure", "tqdm.notebook"),
}


def imported_modules(sources) -> list[str]:
    """The absolute modules named by ``import`` statements in the cells, in order, without repeats,
    each followed by what it loads on first use (:data:`LOADED_ON_FIRST_USE`). ``from package import
    name`` names ``package``, and ``package.name`` too when that is a module of the map."""
    found: dict[str, None] = {}
    for source in sources:
        tree, _ = _parse(source)
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Import):
                names = used = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                used = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
                names = [node.module, *(name for name in used[1:] if name in LOADED_ON_FIRST_USE)]  # ``from dlweek8 import lstm``
            else:
                continue
            found.update(dict.fromkeys(names))
            for name in used:
                found.update(dict.fromkeys(LOADED_ON_FIRST_USE.get(name, ())))
    return list(found)


def _walk_expression(node: ast.AST):
    """The nodes of a statement, without descending into lambdas (code that may never run)."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, ast.Lambda):
            yield from _walk_expression(child)


def _is_check(func: ast.expr) -> bool:
    """``dlweek8.check(...)`` or a bare ``check(...)`` (after ``from dlweek8 import check``)."""
    if isinstance(func, ast.Attribute):
        return func.attr == "check" and isinstance(func.value, ast.Name) and func.value.id == "dlweek8"
    return isinstance(func, ast.Name) and func.id == "check"


def _parse(source: str):
    """The module AST of a cell, with IPython magics and shell lines blanked out; (None, "") if it does not parse."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")]
    text = "\n".join(lines)
    try:
        return ast.parse(text), text
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # e.g. null bytes, nesting too deep
        return None, ""


@dataclass
class Assignment:
    """What a batch is graded against: question ids (in notebook order) and their default answer expressions."""

    name: str  # e.g. "solutions/01_lstm_gradients.ipynb", as recorded by ``release``
    answers: dict[str, str] = field(default_factory=dict)
    imports: list[str] = field(default_factory=list)  # modules the notebook imports (preloaded for speed)

    @property
    def question_ids(self) -> list[str]:
        return list(self.answers)

    @classmethod
    def from_notebook(cls, path: Path) -> "Assignment":
        """The assignment of a released student edition, or of its solved notebook."""
        path = Path(path)
        parsed = read_notebook(path.read_bytes())
        name = parsed.source or f"{path.resolve().parent.name}/{path.name}"  # a solved notebook: solutions/NAME
        answers = {qid: expr for qid, expr in parsed.answers.items() if _known(qid)}
        return cls(name, answers, imported_modules(source for _, source in parsed.code_cells))


def _known(question_id: str) -> bool:
    from ... import checks

    try:
        checks.get(question_id)
    except KeyError:
        return False
    return True


def released_assignments(folder: Path) -> list[Assignment]:
    """The assignments of every student edition in ``folder`` (normally ``notebooks/``)."""
    found = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        try:
            assignment = Assignment.from_notebook(path)
        except NotANotebook:
            continue
        if assignment.answers:
            found.append(assignment)
    return found
