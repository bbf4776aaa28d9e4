"""Grading throughput: 20 full-marks submissions of each student edition, graded on 2 workers.

Goal: at least 20 submissions a minute on 2 cores, i.e. 20 graded within 60 s.
Each submission is the student edition answered from its solved notebook
(``editions.answered``), so the kernels do the real notebook's work.

    python benchmarks/bench_grading.py            # prints submissions per minute
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from harness import Case  # noqa: E402

SUBMISSIONS = 20
WORKERS = 2
GOAL_S = 60.0 * SUBMISSIONS / 20  # 20 a minute


def _editions():
    """(student edition path, solved path) for every released notebook."""
    from dlweek8 import editions

    pairs = [(ROOT / "notebooks" / s.name, s) for s in editions.solved_notebooks(ROOT / "solutions")]
    pairs = [(student, solved) for student, solved in pairs if student.exists()]
    if not pairs:
        raise RuntimeError("no released notebooks: run `python -m dlweek8 release` first")
    return pairs


def grade_batch(student: Path, solved: Path, count: int = SUBMISSIONS, workers: int = WORKERS) -> float:
    """Grade ``count`` full submissions of one notebook; return the seconds taken (asserting full marks)."""
    import nbformat

    from dlweek8 import editions
    from dlweek8.grading import batch, discover

    full = nbformat.writes(editions.answered(nbformat.read(student, as_version=4), nbformat.read(solved, as_version=4)))
    assignment = discover.Assignment.from_notebook(student)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        for n in range(count):
            (folder / f"student{n:03d}.ipynb").write_text(full, encoding="utf-8")
        start = time.perf_counter()
        _, rows = batch.grade([folder], Path(tmp) / "out", jobs=workers, assignment=assignment, progress=False)
        seconds = time.perf_counter() - start
    wrong = [r for r in rows if r.total(assignment.question_ids) != len(assignment.question_ids)]
    assert not wrong, f"{len(wrong)} full submissions lost marks, e.g. {wrong[0].notes} {[str(f) for f in wrong[0].feedback.values() if not f.passed][:2]}"
    return seconds


def cases() -> list[Case]:
    return [
        Case(f"grade {SUBMISSIONS} x {student.name} on {WORKERS} workers", lambda s=student, o=solved: grade_batch(s, o),
             goal_s=GOAL_S, repeat=1, warmup=0)
        for student, solved in _editions()
    ]


def main() -> None:
    for student, solved in _editions():
        seconds = grade_batch(student, solved)
        print(f"{student.name}: {SUBMISSIONS} submissions in {seconds:.1f} s on {WORKERS} workers = "
              f"{SUBMISSIONS * 60 / seconds:.1f} submissions/minute (goal >= 20)")


if __name__ == "__main__":
    main()
