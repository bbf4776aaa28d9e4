"""What a grading run leaves behind: ``grades.csv`` and one Markdown feedback file per submission."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...feedback import Feedback
from ...names import STATUS_TITLE as _TITLE


@dataclass
class Row:
    """One submission's result: a verdict per question id (missing when not graded) and notes."""

    submission: str
    feedback: dict[str, Feedback] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def points(self, question_id: str) -> float:
        found = self.feedback.get(question_id)
        return found.points if found else 0.0

    def total(self, question_ids) -> float:
        return sum(self.points(qid) for qid in question_ids)


def _number(value: float) -> str:
    return f"{value:g}"


def write_csv(path: Path, question_ids: list[str], rows: list[Row]) -> None:
    """``submission, <one column per question id>, total, notes``; notes joined with "; "."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", *question_ids, "total", "notes"])
        for row in rows:
            writer.writerow(
                [row.submission, *(_number(row.points(qid)) for qid in question_ids), _number(row.total(question_ids)), "; ".join(row.notes)]
            )


def feedback_name(submission: str) -> str:
    """``alice/01_lstm.ipynb`` -> ``alice__01_lstm.md`` (a flat, safe file name)."""
    stem = re.sub(r"\.ipynb$", "", submission)
    return re.sub(r"[^\w.-]+", "_", stem.replace("/", "__")).strip("._") + ".md"


def feedback_markdown(row: Row, question_ids: list[str], assignment: str) -> str:
    """The feedback file of one submission: total, then each question's verdict, message and hint."""
    lines = [
        f"# Feedback on {row.submission}",
        "",
        f"Assignment: {assignment}. Total: **{_number(row.total(question_ids))} / {len(question_ids)}**.",
        "",
    ]
    if row.notes:
        lines += ["## Notes on running your notebook", ""] + [f"- {note}" for note in row.notes] + [""]
    for number, qid in enumerate(question_ids, 1):
        found = row.feedback.get(qid)
        if found is None:
            lines += [f"## {number}. `{qid}`: not graded", ""]
            continue
        lines += [f"## {number}. `{qid}`: {_TITLE.get(found.status, found.status)} ({_number(found.points)} / 1)", "", found.message, ""]
        if found.example:
            lines += ["| | |", "|---|---|"] + [f"| {label} | `{_cell(value)}` |" for label, value in found.example] + [""]
        if not found.passed and found.hints:
            lines += [f"Hint: {found.hints[0]}", ""]
    return "\n".join(lines)


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("`", "'").replace("\n", " ")


def write_all(out: Path, question_ids: list[str], rows: list[Row], assignment: str) -> dict[str, Path]:
    """Write ``out/grades.csv`` and ``out/feedback/*.md``; return each submission's feedback file."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    write_csv(out / "grades.csv", question_ids, rows)
    files: dict[str, Path] = {}
    for row in rows:
        path = out / "feedback" / feedback_name(row.submission)
        n = 1
        while path in files.values():  # "a/b.ipynb" and "a__b.ipynb" would share a name
            n += 1
            path = path.with_name(f"{feedback_name(row.submission)[:-3]}-{n}.md")
        path.write_text(feedback_markdown(row, question_ids, assignment), encoding="utf-8")
        files[row.submission] = path
    return files
