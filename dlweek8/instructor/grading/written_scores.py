"""``written_scores.csv``: the points a person gave the written answers, read, checked and folded in.

``graded/written.html`` (:mod:`.written_page`) downloads it with the columns ``submission,
question, points, criteria, comment``: ``submission`` is the submission's name, or its anonymous
id on an anonymised page (:func:`anon_id`); ``criteria`` the keys of the criteria met, joined by
``;``. ``python -m dlweek8 report graded/ --written-scores written_scores.csv`` checks every line
first and refuses the whole file, with one line saying where and why, on an unknown submission or
question, points that are not a number from 0 to the question's maximum, an unknown criterion, or
the same answer scored twice. Only then are the scores stored with the rows (``results.jsonl``)
and every output is written again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from pathlib import Path

from ... import checks
from ...written import is_written
from . import report

COLUMNS = ("submission", "question", "points", "criteria", "comment")


class ScoresError(ValueError):
    """The scores file cannot be folded in (one line says where and why)."""


def anon_id(submission: str) -> str:
    """The stable anonymous id of a submission on an anonymised page ("answer-" and 10 hex digits)."""
    return "answer-" + hashlib.sha256(submission.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def _cell(text: str) -> str:
    """A cell as the page wrote it: the ' that keeps a spreadsheet from running a formula taken off."""
    return text[1:] if text.startswith("'") and text[1:].startswith(("=", "+", "-", "@")) else text


def read_scores(path: Path, question_ids: list[str], rows: list[report.Row]) -> dict[tuple[str, str], dict]:
    """{(submission, question id): {"points", "criteria", "comment"}} from the file; ScoresError when any line is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoresError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return parse_scores(text, question_ids, rows, str(path))


def parse_scores(text: str, question_ids: list[str], rows: list[report.Row], where: str = "the scores") -> dict:
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ScoresError(f"{where} has no column {', '.join(missing)} (expected {', '.join(COLUMNS)})")
    column = {name: header.index(name) for name in COLUMNS}
    by_name = {row.submission: row.submission for row in rows}
    by_name.update({anon_id(row.submission): row.submission for row in rows})
    written = {qid: checks.get(qid) for qid in question_ids if is_written(qid)}
    scores: dict[tuple[str, str], dict] = {}
    for number, line in enumerate(reader, 2):
        if not any(cell.strip() for cell in line):
            continue
        value = {name: (_cell(line[i].strip()) if i < len(line) else "") for name, i in column.items()}
        at = f"{where} line {number}"
        submission = by_name.get(value["submission"])
        if submission is None:
            raise ScoresError(f"{at}: unknown submission {value['submission']!r} (not in this graded folder)")
        question = written.get(value["question"])
        if question is None:
            raise ScoresError(f"{at}: {value['question']!r} is not a written question of this assignment "
                              f"(written: {', '.join(written) or 'none'})")
        try:
            points = float(value["points"])
        except ValueError:
            raise ScoresError(f"{at}: points {value['points']!r} is not a number") from None
        if not math.isfinite(points) or points < 0 or points > question.max_points:
            raise ScoresError(f"{at}: points {value['points']} for {question.id} is outside 0 to {question.max_points}, its maximum")
        keys = [k.strip() for k in value["criteria"].split(";") if k.strip()]
        known = [c.key for c in question.criteria]
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise ScoresError(f"{at}: unknown criterion {unknown[0]!r} for {question.id} (its criteria: {', '.join(known)})")
        if (submission, question.id) in scores:
            raise ScoresError(f"{at}: {value['submission']} is scored twice for {question.id}")
        scores[(submission, question.id)] = {"points": points, "criteria": [k for k in known if k in keys], "comment": value["comment"]}
    return scores


def fold(rows: list[report.Row], scores: dict) -> int:
    """Store each score with its row (replacing an earlier score of the same answer); return how many."""
    by_name = {row.submission: row for row in rows}
    for (submission, qid), score in scores.items():
        by_name[submission].written[qid] = dict(score)
    return len(scores)
