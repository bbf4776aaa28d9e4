"""Grading throughput: 20 full-marks submissions of each student edition, graded on 2 workers.

Goal: at least 20 submissions a minute on 2 cores, i.e. 20 graded within 60 s.
Each submission is the student edition answered from its solved notebook
(``editions.answered``), so the kernels do the real notebook's work. Kernels are forked
from a warm template (the default); one case starts every kernel cold, for comparison.

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
    from dlweek8.instructor import editions

    pairs = [(ROOT / "notebooks" / s.name, s) for s in editions.solved_notebooks(ROOT / "solutions")]
    pairs = [(student, solved) for student, solved in pairs if student.exists()]
    if not pairs:
        raise RuntimeError("no released notebooks: run `python -m dlweek8 release` first")
    return pairs


def grade_batch(student: Path, solved: Path, count: int = SUBMISSIONS, workers: int = WORKERS, warm: bool = True) -> float:
    """Grade ``count`` full submissions of one notebook; return the seconds taken (asserting full marks)."""
    import nbformat

    from dlweek8.instructor import editions
    from dlweek8.instructor.grading import batch, discover

    full = nbformat.writes(editions.answered(nbformat.read(student, as_version=4), nbformat.read(solved, as_version=4)))
    assignment = discover.Assignment.from_notebook(student)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        for n in range(count):
            (folder / f"student{n:03d}.ipynb").write_text(full, encoding="utf-8")
        start = time.perf_counter()
        _, rows = batch.grade([folder], Path(tmp) / "out", jobs=workers, assignment=assignment, progress=False, warm_kernels=warm)
        seconds = time.perf_counter() - start
    wrong = [r for r in rows if r.total(assignment.question_ids) != len(assignment.question_ids)]
    assert not wrong, f"{len(wrong)} full submissions lost marks, e.g. {wrong[0].notes} {[str(f) for f in wrong[0].feedback.values() if not f.passed][:2]}"
    return seconds


def cases() -> list[Case]:
    pairs = _editions()
    found = [
        Case(f"grade {SUBMISSIONS} x {student.name} on {WORKERS} workers", lambda s=student, o=solved: grade_batch(s, o),
             goal_s=GOAL_S, repeat=1, warmup=0)
        for student, solved in pairs
    ]
    student, solved = pairs[0]  # for comparison: every kernel started from scratch
    found.append(Case(f"  same, {student.name}, cold kernels", lambda: grade_batch(student, solved, warm=False), repeat=1, warmup=0))
    return found


def main() -> None:
    for student, solved in _editions():
        for warm in (True, False):
            seconds = grade_batch(student, solved, warm=warm)
            print(f"{student.name} ({'warm' if warm else 'cold'} kernels): {SUBMISSIONS} submissions in {seconds:.1f} s "
                  f"on {WORKERS} workers = {SUBMISSIONS * 60 / seconds:.1f} submissions/minute (goal >= 20)")


if __name__ == "__main__":
    main()
