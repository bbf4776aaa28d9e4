"""The grader's own robustness: promises that hold with or without the sandbox.

Crash inputs (forged and deeply nested replies, a file of 100,000 "[", an oversized file, a
FIFO, a link to /dev/zero, a folder named ``*.ipynb``), names (not UTF-8, a formula, a link to a
classmate's file) and the CSV that must keep them inert, and which check calls count (only the
notebook's own top-level ones, not one under ``if False:`` or in a function) are handled by the
grader's own code, not by the sandbox. One batch goes through ``python -m dlweek8 grade`` once
(module fixture), with ``--no-sandbox`` since the sandbox adds nothing here (so this also runs
where bubblewrap cannot), and ``--cold-kernels`` since these small notebooks import nothing heavy
(the template then skips the assignment's imports, torch among them: 4 s of CPU instead of 6.5 s);
``DLWEEK8_TEST_SANDBOX=1`` grades it in the sandbox instead, where the same tests pass. What only the sandbox keeps is tested in ``test_hostile_submissions.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from dlweek8.instructor import editions
from dlweek8.instructor.grading import discover, sandbox

from helpers.submissions import hostile_notebook, rows_by_submission, total_points, value_question  # tests/ is on sys.path

ROOT = Path(__file__).resolve().parents[1]
SANDBOXED = os.environ.get("DLWEEK8_TEST_SANDBOX") == "1"

pytestmark = pytest.mark.skipif(SANDBOXED and sandbox.unavailable_reason() is not None, reason=str(sandbox.unavailable_reason()))

#: A submission that writes forged events (a reply, nested lists, a "done") on every descriptor it has,
#: while its cells run and while its answer is read.
FORGED = """
import os
forged = b'{"reply": "x", "text": "' + b'[' * 100000 + b'"}\\n' + b'[' * 200000 + b'\\n{"done": 5}\\n'
class Forger:
    def __iter__(self):
        for fd in range(3, 64):
            try: os.write(fd, forged)
            except OSError: pass
        return iter([1, 2])
for fd in range(3, 64):
    try: os.write(fd, forged)
    except OSError: pass
leak = Forger()
"""


def _right_value(qid: str):
    """The right answer to a value question, as a literal (from the instructor's references)."""
    from dlweek8.instructor import solutions

    answer = solutions.solution(qid).answer
    return answer.tolist() if hasattr(answer, "tolist") else answer


def _notebook(*sources: str) -> bytes:
    return nbformat.writes(new_notebook(cells=[new_code_cell(s) for s in sources])).encode()


@dataclass
class Batch:
    rows: dict
    csv_text: str
    files: list[str]
    qid: str


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Batch:
    student = ROOT / "notebooks" / editions.solved_notebooks(ROOT / "solutions")[0].name
    qid = value_question(discover.Assignment.from_notebook(student))
    right = repr(_right_value(qid))
    small = _notebook("import dlweek8", f"leak = {right}", f'dlweek8.check("{qid}", leak)')  # one right answer, cheap to run
    files = {
        "small.ipynb": small,
        "=HYPERLINK(1).ipynb": small,
        "forged.ipynb": hostile_notebook(qid, FORGED),
        # The right answer sits in check calls that never run; the notebook's own call reads a wrong one.
        "dead_checks.ipynb": _notebook("import dlweek8", f"right = {right}\nleak = None", f'dlweek8.check("{qid}", leak)',
                                       f'if False:\n    dlweek8.check("{qid}", right)', f'def later():\n    dlweek8.check("{qid}", right)'),
        "deep.ipynb": b"[" * 100_000,
        "big.ipynb": b" " * (2 * 2**20),
    }
    folder, out = tmp_path_factory.mktemp("robustness") / "submissions", tmp_path_factory.mktemp("robustness_out")
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / os.fsdecode(b"caf\xe9.ipynb")).write_bytes(small)
    os.symlink("small.ipynb", folder / "alias.ipynb")
    os.symlink("/dev/zero", folder / "zero.ipynb")
    os.mkfifo(folder / "fifo.ipynb")
    (folder / "folder.ipynb").mkdir()
    names = sorted(os.fsencode(n).decode("utf-8", "backslashreplace") for n in os.listdir(folder))

    command = [sys.executable, "-m", "dlweek8", "grade", str(folder), "--out", str(out), "--jobs", "2", "--assignment", str(student),
               "--cell-timeout", "10", "--notebook-timeout", "20", "--max-size", "1", "--cold-kernels", "--notes-numbers", *([] if SANDBOXED else ["--no-sandbox"])]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return Batch(rows_by_submission(out), (out / "grades.csv").read_text(encoding="utf-8"), names, qid)


def test_every_file_has_exactly_one_row_and_the_unreadable_ones_say_why(batch):
    assert sorted(batch.rows) == batch.files
    for name, reason in [("deep.ipynb", "nested too deeply"), ("big.ipynb", "larger than 1 MB"), ("zero.ipynb", "a link to a file outside the submissions"),
                         ("alias.ipynb", "a link to another submission's file (small.ipynb)"),
                         ("fifo.ipynb", "not a regular file (a FIFO)"), ("folder.ipynb", "not a regular file (a folder)")]:
        assert any(reason in note for note in batch.rows[name]["notes"]), (name, batch.rows[name]["notes"])


def test_a_notebook_graded_under_any_name_gets_the_same_total(batch):
    """A formula and a name that is not UTF-8 are kept as given, and graded alike (a link to a classmate's file
    is refused: test_hostile_submissions.py)."""
    small = total_points(batch.rows["small.ipynb"])
    assert small == 1.0, batch.rows["small.ipynb"]["notes"]
    assert [total_points(batch.rows[n]) for n in ("=HYPERLINK(1).ipynb", "caf\\xe9.ipynb")] == [small] * 2


def test_names_are_inert_in_the_csv(batch):
    text = batch.csv_text.replace("\r\n", "\n")
    assert "\n'=HYPERLINK(1).ipynb," in text and "\n=HYPERLINK" not in text
    assert "\ncaf\\xe9.ipynb," in text


def test_forged_replies_gain_nothing_and_end_nothing(batch):
    """Forged events on every descriptor are dropped; the answer read is what the notebook holds (a wrong one)."""
    row = batch.rows["forged.ipynb"]
    assert total_points(row) == 0 and row["questions"][batch.qid]["answer"] == "[1, 2]", row
    assert not [note for note in row["notes"] if "could not" in note or "malformed" in note], row["notes"]


def test_only_the_notebooks_own_top_level_check_calls_count(batch):
    row = batch.rows["dead_checks.ipynb"]
    assert total_points(row) == 0 and row["questions"][batch.qid]["answer"] == "None", row["questions"][batch.qid]  # leak, not right
