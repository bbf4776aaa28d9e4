"""Everything a grading run writes, and the record it is re-read from.

``out/`` holds, after ``grade`` (or ``merge``):

- ``results.jsonl``: the machine-readable record, one :meth:`Row.to_json` object per line;
- ``run.json``: what was graded against (:class:`RunInfo`: assignment, question ids, shard, roster);
- ``grades.csv``: ``submission, <one column per question id>, total, notes``;
- ``feedback/<name>.md`` and ``feedback/<name>.html``: each submission's feedback;
- ``report.html`` and ``misconceptions.csv``: the class report (:mod:`.classreport`);
- ``canvas.csv`` and ``moodle.csv`` when a roster is known (:mod:`.gradebook`).

Every file is replaced atomically (a temporary file, then :func:`os.replace`), so a killed run
leaves either the old file or the new one, never half of one. Every CSV cell is neutralised
against spreadsheet formulas, and text a student controls is escaped in Markdown and HTML.
All outputs list submissions in sorted order of their names, so a merge of shards and one run of
the same batch write the same files.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ... import plain
from ...feedback import Feedback
from ...names import STATUS_TITLE as _TITLE

RESULTS = "results.jsonl"
RUN_INFO = "run.json"
#: Longest printed form of an answer kept in the record.
ANSWER_CHARS = 200
#: Longest text answer kept in the record (a written answer, shown whole to the person grading it).
WRITTEN_CHARS = 4000


@dataclass
class Row:
    """One submission's result: a verdict per question id (missing when not graded), the printed
    answer per question (what the student's value looked like), and notes on the run."""

    submission: str
    feedback: dict[str, Feedback] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    #: Written answers scored by a person: question id -> {"points", "criteria" (keys met), "comment"}.
    written: dict[str, dict] = field(default_factory=dict)

    def points(self, question_id: str) -> float:
        if question_id in self.written:  # a written answer's points come from the person who graded it
            return float(self.written[question_id]["points"])
        found = self.feedback.get(question_id)
        return found.points if found else 0.0

    def total(self, question_ids) -> float:
        return sum(self.points(qid) for qid in question_ids)

    def to_json(self) -> dict:
        """Plain JSON: per question its status, points, mistake, message, answer (and the rest of the verdict)."""
        questions = {}
        for qid, found in self.feedback.items():
            questions[qid] = {
                "status": found.status,
                "points": found.points,
                "mistake": found.mistake,
                "mistakes": list(found.mistakes),
                "message": found.message,
                "answer": self.answers.get(qid),
                "example": [[str(label), str(value)] for label, value in found.example],
                "hints": list(found.hints),
                "score": found.score,
            }
        extra = {qid: text for qid, text in self.answers.items() if qid not in self.feedback}
        data = {"submission": self.submission, "questions": questions, "notes": list(self.notes)}
        if extra:
            data["answers"] = extra
        if self.written:
            data["written"] = {qid: dict(score) for qid, score in self.written.items()}
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Row":
        feedback, answers = {}, dict(data.get("answers", {}))
        for qid, q in data.get("questions", {}).items():
            feedback[qid] = Feedback(
                question_id=qid,
                status=q["status"],
                message=q["message"],
                example=tuple((label, value) for label, value in q.get("example", ())),
                hints=tuple(q.get("hints", ())),
                mistake=q.get("mistake"),
                score=q.get("score"),
                mistakes=tuple(q.get("mistakes", ())),
            )
            if q.get("answer") is not None:
                answers[qid] = q["answer"]
        written = {qid: dict(score) for qid, score in (data.get("written") or {}).items()}
        return cls(data["submission"], feedback, list(data.get("notes", ())), answers, written)


@dataclass
class RunInfo:
    """What a graded folder was graded against; ``run.json``.

    ``shard`` is a :class:`.shards.Shard` as a dict when the run graded one slice of a batch;
    ``roster`` the roster entries (:class:`.gradebook.Student` as dicts) when one was given;
    ``notices`` lines every output repeats (e.g. that no sandbox was used); ``memory`` which bound held
    each submission's memory, with the numbers (:func:`.sandbox.memory_bound`).
    """

    assignment: str
    question_ids: list[str]
    shard: dict | None = None
    roster: list[dict] | None = None
    notices: list[str] = field(default_factory=list)
    title: str | None = None
    memory: dict | None = None

    @property
    def gradebook_title(self) -> str:
        """The gradebook column: ``title``, else the assignment's file name without ``.ipynb``."""
        return self.title or re.sub(r"\.ipynb$", "", Path(self.assignment).name)

    def to_json(self) -> dict:
        return {"assignment": self.assignment, "question_ids": list(self.question_ids), "shard": self.shard, "roster": self.roster,
                "notices": list(self.notices), "title": self.title, "memory": self.memory}

    @classmethod
    def from_json(cls, data: dict) -> "RunInfo":
        return cls(**{k: data.get(k) for k in ("assignment", "question_ids", "shard", "roster", "title", "memory")},
                   notices=list(data.get("notices") or ()))


# -- answers as the record shows them -----------------------------------------------------------


def answer_text(reply: dict | None, written: bool = False) -> str | None:
    """A short printed form of what a kernel reported for one question (None when nothing came back).

    A value is shown as its plain form (arrays as their values while short); a function answer as
    what it returned on the probes. At most :data:`ANSWER_CHARS` characters; the text of a ``written``
    answer is kept as it is, up to :data:`WRITTEN_CHARS`. Never raises.
    """
    if not isinstance(reply, dict):
        return None
    try:
        if "value" in reply:
            value = plain.decode(reply["value"])
            if written and isinstance(value, str):  # a written answer: kept whole (up to WRITTEN_CHARS), for the person who grades it
                return value if len(value) <= WRITTEN_CHARS else value[: WRITTEN_CHARS - 1] + "…"
            return _cap(_show(value))
        if isinstance(reply.get("outcomes"), list):
            shown = []
            for outcome in reply["outcomes"]:
                if not isinstance(outcome, dict):
                    shown.append("?")
                elif outcome.get("error"):
                    shown.append(f"raised {outcome.get('error_type') or 'an error'}")
                else:
                    shown.append(_show(plain.decode(outcome.get("value"))))
                if sum(map(len, shown)) > ANSWER_CHARS:
                    break
            return _cap("returns " + "; ".join(shown))
    except Exception:  # noqa: BLE001 - a malformed reply is judged elsewhere; here it just has no text
        return None
    return None


def _show(value) -> str:
    import numpy as np

    if isinstance(value, np.ndarray) and value.size <= 16:
        return repr(value.tolist())
    return plain.describe(value)


def _cap(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ANSWER_CHARS else text[: ANSWER_CHARS - 1] + "…"


# -- safe text --------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


def safe_cell(value) -> str:
    """A CSV cell no spreadsheet runs as a formula: control characters (newlines too) written as
    escapes, and text starting with ``= + - @`` (or tab, CR) prefixed with ``'``. Numbers, such as
    ``-1``, stay numbers."""
    text = value if isinstance(value, str) else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        text = "'" + text
    return _escape_controls(text)


def csv_text(header: list[str], rows) -> str:
    """CSV text with every cell passed through :func:`safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return buffer.getvalue()


_MD_SPECIAL = re.compile(r"[\\`*\[\]|~<>&!]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+[.)])")


def md_text(value) -> str:
    """Text a student may control, as inert Markdown: one line, no emphasis, links, code or HTML."""
    text = " ".join(_escape_controls(str(value)).split())
    text = _MD_SPECIAL.sub(lambda m: {"<": "&lt;", ">": "&gt;", "&": "&amp;"}.get(m.group(), "\\" + m.group()), text)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` in one step (a temporary file in the same folder, then rename)."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(raw)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def write_folder(folder: Path, files: dict[str, str]) -> None:
    """Replace ``folder`` by a folder holding exactly ``files`` (name -> text).

    The files are written whole into a new folder beside it, which then takes its place (two
    renames), so no file in ``folder`` is ever seen half-written, and none is left from a
    previous run. Four system calls a file instead of the six of :func:`write_atomic`.
    """
    folder = Path(folder)
    fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}-new-", dir=folder.parent))
    old = folder.with_name(f".{folder.name}-old-{fresh.name.rsplit('-', 1)[-1]}")
    moved = False
    try:
        for name, text in files.items():
            handle = os.open(fresh / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with open(handle, "wb", buffering=0, closefd=True) as file:
                file.write(text.encode("utf-8"))
        os.chmod(fresh, 0o755)
        if folder.exists():
            os.replace(folder, old)
            moved = True
        os.replace(fresh, folder)
    except BaseException:
        if moved and not folder.exists():
            os.replace(old, folder)  # put the previous folder back
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


# -- the record ---------------------------------------------------------------------------------


def results_text(rows: list[Row]) -> str:
    return "".join(json.dumps(row.to_json(), ensure_ascii=False, sort_keys=True) + "\n" for row in rows)


def write_results(path: Path, rows: list[Row]) -> None:
    """``results.jsonl``: one row per line, in the order given."""
    write_atomic(path, results_text(rows))


def append_result(path: Path, row: Row) -> None:
    """Add one row to ``results.jsonl`` as it is graded (progress; a line is written whole)."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(results_text([row]))
        handle.flush()


def read_results(path: Path) -> list[Row]:
    """The rows of ``results.jsonl``; a last line cut short by a killed run is left out."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            rows.append(Row.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue
    return rows


def run_info_text(info: RunInfo) -> str:
    return json.dumps(info.to_json(), indent=1, ensure_ascii=False) + "\n"


def read_run(out: Path) -> tuple[RunInfo, list[Row]]:
    """A graded folder's :class:`RunInfo` and rows; OSError/ValueError when it is not one."""
    out = Path(out)
    info = RunInfo.from_json(json.loads((out / RUN_INFO).read_text(encoding="utf-8")))
    return info, read_results(out / RESULTS)


# -- grades and feedback --------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:g}"


def possible(question_ids) -> float:
    """The points a run is out of: 1 per question, a written answer's rubric total for a written one."""
    from ...written import max_points

    return sum(max_points(qid) for qid in question_ids)


def _written_lines(row: Row, qid: str, number: int) -> list[str] | None:
    """The Markdown feedback on a written answer (None for another question): points, criteria met, comment."""
    from ...written import is_written

    if not is_written(qid):
        return None
    from ... import checks

    question, score = checks.get(qid), row.written.get(qid)
    if score is None:
        found = row.feedback.get(qid)
        form = f" The instant check of its form: {md_text(found.message)}" if found else ""
        return [f"## {number}. `{qid}`: written answer, not graded by a person yet (0 / {question.max_points})", "", md_text(question.prompt) + form, ""]
    met = set(score.get("criteria") or ())
    lines = [f"## {number}. `{qid}`: written answer, graded by a person ({_number(row.points(qid))} / {question.max_points})", "",
             md_text(question.prompt), ""]
    lines += [f"- {'met' if c.key in met else 'not met'}: {md_text(c.looks_at)} ({c.points} point{'s' if c.points != 1 else ''})" for c in question.criteria]
    if score.get("comment"):
        lines += ["", f"Comment: {md_text(score['comment'])}"]
    return lines + [""]


def _written_html(row: Row, qid: str, number: int) -> str | None:
    """The HTML feedback on a written answer (None for another question); every text escaped."""
    from ...written import is_written

    if not is_written(qid):
        return None
    from ... import checks

    esc = html.escape
    question, score = checks.get(qid), row.written.get(qid)
    if score is None:
        found = row.feedback.get(qid)
        form = f" The instant check of its form: {esc(found.message)}" if found else ""
        return (f"<h2>{number}. <code>{esc(qid)}</code>: written answer, not graded by a person yet (0 / {question.max_points})</h2>"
                f"<p>{esc(question.prompt)}{form}</p>")
    met = set(score.get("criteria") or ())
    items = "".join(f"<li>{'met' if c.key in met else 'not met'}: {esc(c.looks_at)} ({c.points} point{'s' if c.points != 1 else ''})</li>"
                    for c in question.criteria)
    comment = f"<p>Comment: {esc(str(score['comment']))}</p>" if score.get("comment") else ""
    return (f"<h2>{number}. <code>{esc(qid)}</code>: written answer, graded by a person ({_number(row.points(qid))} / {question.max_points})</h2>"
            f"<p>{esc(question.prompt)}</p><ul class=\"criteria\">{items}</ul>{comment}")


def grades_csv(question_ids: list[str], rows: list[Row]) -> str:
    """``submission, <one column per question id>, total, notes``; notes joined with "; "."""
    return csv_text(
        ["submission", *question_ids, "total", "notes"],
        ([row.submission, *(_number(row.points(qid)) for qid in question_ids), _number(row.total(question_ids)), "; ".join(row.notes)] for row in rows),
    )


def feedback_name(submission: str) -> str:
    """``alice/01_lstm.ipynb`` -> ``alice__01_lstm.md`` (a flat, safe file name)."""
    stem = re.sub(r"\.ipynb$", "", submission)
    return re.sub(r"[^\w.-]+", "_", stem.replace("/", "__")).strip("._") + ".md"


def feedback_markdown(row: Row, question_ids: list[str], assignment: str, notices=()) -> str:
    """The feedback file of one submission: total, then each question's verdict, message and hint."""
    lines = [
        f"# Feedback on {md_text(row.submission)}",
        "",
        f"Assignment: {md_text(assignment)}. Total: **{_number(row.total(question_ids))} / {_number(possible(question_ids))}**.",
        "",
    ]
    lines += [f"> {md_text(notice)}" for notice in notices] + ([""] if notices else [])
    if row.notes:
        lines += ["## Notes on running your notebook", ""] + [f"- {md_text(note)}" for note in row.notes] + [""]
    for number, qid in enumerate(question_ids, 1):
        found = row.feedback.get(qid)
        written = _written_lines(row, qid, number)
        if written is not None:
            lines += written
            continue
        if found is None:
            lines += [f"## {number}. `{qid}`: not graded", ""]
            continue
        lines += [f"## {number}. `{qid}`: {_TITLE.get(found.status, found.status)} ({_number(found.points)} / 1)", "", md_text(found.message), ""]
        if found.example:
            lines += ["| | |", "|---|---|"] + [f"| {md_text(label)} | {md_text(value)} |" for label, value in found.example] + [""]
        if not found.passed and found.hints:
            lines += [f"Hint: {md_text(found.hints[0])}", ""]
    return "\n".join(lines)


_PAGE_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 1.5rem auto; padding: 0 1rem; color: #1f2328; background: #fff; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 1.6rem; } h3 { font-size: 1.05rem; margin-top: 1.2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, monospace; }
.notice { border-left: 4px solid #9a6700; padding: .4rem .8rem; background: #fff8c5; }
"""


def html_page(title: str, body: str, style: str = "") -> str:
    """A complete, self-contained HTML page."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_PAGE_STYLE}{style}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def feedback_html(row: Row, question_ids: list[str], assignment: str, notices=()) -> str:
    """The same feedback as :func:`feedback_markdown`, as a page for an LMS; every text escaped."""
    esc = html.escape
    parts = [
        f"<h1>Feedback on <code>{esc(row.submission)}</code></h1>",
        f"<p>Assignment: {esc(assignment)}. Total: <strong>{_number(row.total(question_ids))} / {_number(possible(question_ids))}</strong>.</p>",
    ]
    parts += [f'<p class="notice">{esc(notice)}</p>' for notice in notices]
    if row.notes:
        parts.append("<h2>Notes on running your notebook</h2>\n<ul>" + "".join(f"<li>{esc(note)}</li>" for note in row.notes) + "</ul>")
    for number, qid in enumerate(question_ids, 1):
        found = row.feedback.get(qid)
        written = _written_html(row, qid, number)
        if written is not None:
            parts.append(written)
            continue
        if found is None:
            parts.append(f"<h2>{number}. <code>{esc(qid)}</code>: not graded</h2>")
            continue
        parts.append(f"<h2>{number}. <code>{esc(qid)}</code>: {esc(_TITLE.get(found.status, found.status))} ({_number(found.points)} / 1)</h2>")
        parts.append(f"<p>{esc(found.message)}</p>")
        if found.example:
            parts.append("<table>" + "".join(f'<tr><th scope="row">{esc(str(k))}</th><td><code>{esc(str(v))}</code></td></tr>' for k, v in found.example) + "</table>")
        if not found.passed and found.hints:
            parts.append(f"<p>Hint: {esc(found.hints[0])}</p>")
    return html_page(f"Feedback on {row.submission}", "\n".join(parts))


def sorted_rows(rows: list[Row]) -> list[Row]:
    """Rows in the order every output lists them: by submission name."""
    return sorted(rows, key=lambda row: row.submission)


def feedback_files(rows: list[Row]) -> dict[str, str]:
    """Each submission's feedback file stem, distinct ("a/b.ipynb" and "a__b.ipynb" would share one)."""
    stems: dict[str, str] = {}
    taken = set()
    for row in rows:
        base = feedback_name(row.submission)[:-3]
        stem, n = base, 1
        while stem in taken:
            n += 1
            stem = f"{base}-{n}"
        taken.add(stem)
        stems[row.submission] = stem
    return stems
