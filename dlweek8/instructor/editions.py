"""Student editions generated from the solved notebooks (``python -m dlweek8 release``).

The solved notebook in ``solutions/`` is the single source. Its student edition in
``notebooks/`` (same file name) is the same notebook with:

- every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region turned into a stub: in a
  function body, ``raise NotImplementedError  # your code here``; at top level, each
  assignment becomes ``name = ...  # your answer here`` and each ``def`` keeps its
  signature and docstring over a ``raise NotImplementedError`` body; other lines go;
- every line ending in ``### SOLUTION`` stubbed the same way, one line at a time;
- cells tagged ``instructor-only`` dropped, outputs and execution counts cleared, the
  ``nbval-check-output`` tag removed (there is no reference output to compare);
- ``metadata.dlweek8`` recording the assignment id (the file's stem, e.g.
  ``01_lstm_gradients``), the edition, and a hash of what was written (the student edition
  itself), so a later release can tell whether someone edited it since. Nothing there names
  or hashes the solved notebook: a hash of a solution is an answer to anyone who can guess it.

nbformat is imported inside the functions: ``import dlweek8`` stays fast for students.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from ..names import CHECKED_TAG, INSTRUCTOR_TAG, META_KEY

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
LINE_MARK = "### SOLUTION"
CODE_STUB = "raise NotImplementedError  # your code here"
VALUE_STUB = "...  # your answer here"
MARKDOWN_STUB = "_Your answer here._"
SOLUTIONS = Path("solutions")
NOTEBOOKS = Path("notebooks")

_ASSIGNMENT = re.compile(r"^(\s*)([A-Za-z_][\w\s,.]*?)\s*(?::[^=]+)?=(?!=)")


class ReleaseError(Exception):
    """A solved notebook cannot be turned into a student edition (e.g. an unclosed region)."""


# -- the text transform ----------------------------------------------------------------------


def strip_code(source: str, where: str = "cell") -> str:
    """The student version of one code cell's source."""
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped == BEGIN:
            end = _find_end(lines, i, where)
            indent = line[: len(line) - len(line.lstrip())]
            if _in_function(lines, i):
                out.append(indent + CODE_STUB)
            else:
                out.extend(_top_level_stubs(lines[i + 1 : end], indent, where))
            i = end + 1
            continue
        if stripped == END:
            raise ReleaseError(f"{where}: {END} without {BEGIN} (line {i + 1})")
        if _has_line_mark(line):
            out.append(_stub_line(lines, i, where))
        else:
            out.append(line)
        i += 1
    return "\n".join(out)


def strip_markdown(source: str, where: str = "cell") -> str:
    """The student version of a markdown cell: a written answer becomes a placeholder."""
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == BEGIN:
            i = _find_end(lines, i, where) + 1
            out.append(MARKDOWN_STUB)
            continue
        if lines[i].strip() == END:
            raise ReleaseError(f"{where}: {END} without {BEGIN} (line {i + 1})")
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def _find_end(lines: list[str], begin: int, where: str) -> int:
    for j in range(begin + 1, len(lines)):
        if lines[j].strip() == END:
            return j
        if lines[j].strip() == BEGIN:
            break
    raise ReleaseError(f"{where}: {BEGIN} on line {begin + 1} has no matching {END}")


def _has_line_mark(line: str) -> bool:
    text = line.rstrip()
    return text.endswith(LINE_MARK) and not text.endswith((BEGIN, END))


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())


def _in_function(lines: list[str], index: int) -> bool:
    """Whether line ``index`` lies in the body of a ``def`` (from the enclosing lines' indentation)."""
    level = _indent_of(lines[index])
    for line in reversed(lines[:index]):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if _indent_of(line) < level:
            if line.lstrip().startswith(("def ", "async def ")):
                return True
            level = _indent_of(line)
            if level == 0:
                return False
    return False


def _stub_line(lines: list[str], index: int, where: str) -> str:
    line = lines[index]
    code = line.rstrip()[: -len(LINE_MARK)].rstrip()
    indent = line[: _indent_of(line)]
    if code.lstrip().startswith("return ") or code.strip() == "return":
        return indent + CODE_STUB
    match = _ASSIGNMENT.match(code)
    if match:
        return indent + _value_stub(match.group(2).strip())
    if _in_function(lines, index):
        return indent + CODE_STUB
    raise ReleaseError(f"{where}, line {index + 1}: {LINE_MARK} marks a line that is neither an assignment nor a return: {code.strip()!r}")


def _value_stub(targets: str) -> str:
    """``name = ...  # your answer here``, with one ``...`` per name when unpacking."""
    names = [t for t in re.split(r"\s*,\s*", targets.strip("()[] ")) if t]
    blanks = ", ".join(["..."] * len(names)) if len(names) > 1 and "," in targets else "..."
    return f"{targets} = {blanks}  # your answer here"


def _top_level_stubs(region: list[str], indent: str, where: str) -> list[str]:
    """Stubs for a region outside any function: assignments and defs keep their names."""
    text = textwrap.dedent("\n".join(region))
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ReleaseError(f"{where}: the solution region does not parse on its own ({exc.msg}, line {exc.lineno})") from exc
    body_lines = text.split("\n")
    out: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                out.append(indent + _value_stub(ast.get_source_segment(text, target)))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            body = node.body
            keep_until = body[0].end_lineno if _is_docstring(body[0]) else body[0].lineno - 1
            out.extend(indent + line for line in body_lines[first - 1 : keep_until])
            body_indent = body_lines[body[0].lineno - 1][: body[0].col_offset]
            out.append(indent + body_indent + CODE_STUB)
    return out


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


# -- notebooks ---------------------------------------------------------------------------------


def content_hash(nb) -> str:
    """sha256 of a notebook's content, ignoring outputs, execution counts and the written-hash itself."""
    import nbformat

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.get(META_KEY, {}).pop("written_sha256", None)
    nb.metadata.pop("widgets", None)
    return hashlib.sha256(nbformat.writes(nb).encode()).hexdigest()


def assignment_id(source_name: str) -> str:
    """The assignment a solved notebook defines: its file name without the folder and suffix."""
    return Path(source_name).stem


def student_edition(solved, source_name: str):
    """The student edition of the solved notebook ``solved`` (a NotebookNode), as a new NotebookNode."""
    import nbformat

    nb = nbformat.from_dict(json.loads(json.dumps(solved)))
    cells = []
    for number, cell in enumerate(nb.cells, 1):
        tags = list(cell.metadata.get("tags", []))
        if INSTRUCTOR_TAG in tags:
            continue
        where = f"{source_name}, cell {number}"
        if cell.cell_type == "code":
            cell.source = strip_code(cell.source, where)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = strip_markdown(cell.source, where)
        leftover = [m for m in (BEGIN, END, LINE_MARK) if m in cell.source]
        if leftover:
            raise ReleaseError(f"{where}: a marker is left after stripping ({leftover[0]!r}); put it on a line of its own")
        if CHECKED_TAG in tags:
            tags.remove(CHECKED_TAG)
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    nb.metadata[META_KEY] = {"assignment": assignment_id(source_name), "edition": "student"}
    nb.metadata[META_KEY]["written_sha256"] = content_hash(nb)  # of the student edition only
    nbformat.validate(nb)
    return nb


def answered(student, solved):
    """A copy of ``student`` with every cell's source taken from ``solved`` (by cell id): a full-marks submission."""
    import nbformat

    nb = nbformat.from_dict(json.loads(json.dumps(student)))
    sources = {cell.get("id"): cell.source for cell in solved.cells}
    for cell in nb.cells:
        if cell.get("id") not in sources:
            raise ReleaseError(f"cell {cell.get('id')!r} of the student edition is not in the solved notebook")
        cell.source = sources[cell.id]
    return nb


def render(solved_path: Path) -> str:
    """The text ``release`` would write for the solved notebook at ``solved_path``."""
    import nbformat

    solved_path = Path(solved_path)
    name = f"{solved_path.resolve().parent.name}/{solved_path.name}"  # e.g. solutions/01_x.ipynb, whatever the cwd
    return nbformat.writes(student_edition(nbformat.read(solved_path, as_version=4), name)) + "\n"


def edited_since_release(target: Path) -> str | None:
    """Why writing over ``target`` would lose work, or None if it is as ``release`` left it."""
    import nbformat

    try:
        nb = nbformat.read(target, as_version=4)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is still someone's work
        return f"it cannot be read as a notebook ({type(exc).__name__})"
    written = nb.metadata.get(META_KEY, {}).get("written_sha256")
    if not written:
        return "it was not written by `release` (no record of what was written)"
    if content_hash(nb) != written:
        return "it was edited after `release` wrote it"
    return None


@dataclass
class Released:
    """What happened to one target: "written", "unchanged", "refused" or "replaced" (with a backup)."""

    source: Path
    target: Path
    action: str
    detail: str = ""

    def line(self) -> str:
        return f"{self.source} -> {self.target}: {self.action}{' (' + self.detail + ')' if self.detail else ''}"


def release_one(source: Path, target: Path, force: bool = False) -> Released:
    """Write the student edition of ``source`` to ``target`` unless that would lose someone's edits."""
    text = render(source)
    if target.exists():
        if target.read_text(encoding="utf-8") == text:
            return Released(source, target, "unchanged")
        reason = edited_since_release(target)
        if reason:
            if not force:
                return Released(source, target, "refused", f"{reason}; rerun with --force to replace it, keeping a backup")
            backup = _backup_path(target)
            shutil.copy2(target, backup)
            target.write_text(text, encoding="utf-8")
            return Released(source, target, "replaced", f"{reason}; backup at {backup}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return Released(source, target, "written")


def _backup_path(target: Path) -> Path:
    """``notebooks/.backups/NAME.YYYYmmdd-HHMMSS.ipynb`` (a hidden folder: no test run or Lab listing sees it)."""
    folder = target.parent / ".backups"
    folder.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup, n = folder / f"{target.stem}.{stamp}{target.suffix}", 1
    while backup.exists():
        n += 1
        backup = folder / f"{target.stem}.{stamp}-{n}{target.suffix}"
    return backup


def solved_notebooks(folder: Path = SOLUTIONS) -> list[Path]:
    return sorted(Path(folder).glob("*.ipynb"))


# -- command line ------------------------------------------------------------------------------


def add_arguments(parser) -> None:
    parser.add_argument("sources", nargs="*", type=Path, help=f"solved notebooks (default: every one in {SOLUTIONS}/)")
    parser.add_argument("--out", type=Path, default=NOTEBOOKS, help=f"folder for the student editions (default: {NOTEBOOKS}/)")
    parser.add_argument("--force", action="store_true", help="replace edited student notebooks, keeping a timestamped backup in OUT/.backups/")


def run(args) -> int:
    sources = args.sources or solved_notebooks()
    if not sources:
        print(f"No solved notebooks found in {SOLUTIONS}/.")
        return 1
    status = 0
    for source in sources:
        try:
            result = release_one(source, args.out / source.name, force=args.force)
        except ReleaseError as exc:
            print(f"{source}: not released: {exc}")
            status = 1
            continue
        print(result.line())
        if result.action == "refused":
            status = 1
    return status
