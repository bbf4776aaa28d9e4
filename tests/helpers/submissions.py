"""Small submissions and the reading of a grading run's rows, for the grading robustness and hostile tests."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook


def value_question(assignment) -> str:
    from dlweek8.instructor.grading import judge

    return next(qid for qid in assignment.question_ids if not judge.is_function_question(qid))


def hostile_notebook(qid: str, code: str) -> bytes:
    """A small notebook: the hostile cell, then a check cell that reads ``leak``."""
    cells = [new_code_cell("import dlweek8\nleak = None"), new_code_cell(code), new_code_cell(f'dlweek8.check("{qid}", leak)')]
    return nbformat.writes(new_notebook(cells=cells)).encode()


def rows_by_submission(out: Path) -> dict:
    """The rows of a run's results.jsonl, as JSON objects, by submission name."""
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    return {row["submission"]: row for row in rows}


def total_points(row) -> float:
    return sum(q["points"] for q in row["questions"].values())
