"""A real batch through ``python -m dlweek8 grade --roster``: every submission is judged against its roster id's
numbers (issue 22, item 2), and roster matching never blanks another student's entry (issue 20, item 3).

One batch, graded once in sandboxed kernels:

- ``alice/``: the solved notebook with Alice's own numbers answered (her id set in the first cell): full marks;
- ``mallory/alice.ipynb``: Alice's notebook copied whole, under a file name that is Alice's folder name. Mallory is
  judged against her own numbers: credit only where her numbers give Alice's answer, 0 with a note naming both ids
  elsewhere. Protection covered: :func:`dlweek8.instructor.grading.gradebook.handle` (a file's own name inside a
  student's folder never names a student). With the file stem as a handle, as before, Alice's entry was blank in
  canvas.csv and Mallory was judged with Alice's id (full marks): verified by switching it off;
- ``bob/``: the solved notebook as released (the notes' numbers, no id): 0 on every graded value question;
- ``carol/a.ipynb`` and ``carol/b.ipynb``: Carol's entry names two submissions: one line in the run's report and on
  the terminal, her grade left blank, and nobody else's changed.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from dlweek8 import plain, variants
from dlweek8.instructor import solutions
from dlweek8.instructor.grading import discover, judge, whose

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[1]
STUDENT = ROOT / "notebooks" / "02_conv_arithmetic.ipynb"
SOLVED = ROOT / "solutions" / "02_conv_arithmetic.ipynb"
ASSIGNMENT = discover.Assignment.from_notebook(STUDENT)
GRADED = [qid for qid in ASSIGNMENT.question_ids if qid in variants.graded_ids()]
OTHERS = [qid for qid in ASSIGNMENT.question_ids if qid not in GRADED]
IDS = {"alice": "s1001", "mallory": "s1002", "bob": "s1003", "carol": "s1004"}
NAMES = {"alice": "Liddell, Alice", "mallory": "Malory, Mallory", "bob": "Builder, Bob", "carol": "Carroll, Carol"}
ROSTER = "submission,student_id,name\n" + "".join(f'{who},{IDS[who]},"{NAMES[who]}"\n' for who in IDS)


def answered_for(student: str) -> bytes:
    """The solved notebook, with ``student``'s id set in its first cell and their right answers in the graded check cells."""
    nb = nbformat.read(SOLVED, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code" and "dlweek8.student(" in c.source)
    first.source = f'import dlweek8\ndlweek8.student("{student}")'
    for cell in nb.cells:
        for qid in GRADED:
            if cell.cell_type == "code" and cell.source.startswith(f'dlweek8.check("{qid}",'):
                cell.source = f'dlweek8.check("{qid}", {solutions.answer(qid, student)!r})'
    return nbformat.writes(nb).encode()


def copied_correct(qid: str, source: str, copier: str) -> bool:
    """Whether ``source``'s right answer to ``qid`` also passes for ``copier`` (their numbers happen to coincide)."""
    reply = {"value": plain.encode(solutions.answer(qid, source))}
    return judge.verdict(qid, reply, student=copier).passed


@dataclass
class Batch:
    rows: dict
    canvas: list[list[str]]
    printed: str
    page: BeautifulSoup
    run: dict
    feedback: str = ""


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Batch:
    root = tmp_path_factory.mktemp("roster")
    subs, out = root / "subs", root / "graded"
    alice = answered_for(IDS["alice"])
    files = {"alice/02_conv_arithmetic.ipynb": alice, "mallory/alice.ipynb": alice,
             "bob/02_conv_arithmetic.ipynb": SOLVED.read_bytes(),
             "carol/a.ipynb": STUDENT.read_bytes(), "carol/b.ipynb": STUDENT.read_bytes()}
    for name, data in files.items():
        (subs / name).parent.mkdir(parents=True, exist_ok=True)
        (subs / name).write_bytes(data)
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    command = [sys.executable, "-m", "dlweek8", "grade", str(subs), "--out", str(out), "--roster", str(root / "roster.csv"),
               "--assignment", str(STUDENT), "--jobs", "2"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {r["submission"]: r for r in map(json.loads, (out / "results.jsonl").read_text(encoding="utf-8").splitlines())}
    with open(out / "canvas.csv", newline="", encoding="utf-8") as handle:
        canvas = list(csv.reader(handle))
    page = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    return Batch(rows, canvas, done.stdout, page, json.loads((out / "run.json").read_text(encoding="utf-8")))


def points(row: dict, qids) -> float:
    return sum(row["questions"][qid]["points"] for qid in qids)


def test_the_assignment_has_graded_value_questions_and_others():
    assert len(GRADED) >= 8 and OTHERS  # else the figures below would say little


def test_alice_answering_her_own_numbers_gets_full_marks(batch):
    row = batch.rows["alice/02_conv_arithmetic.ipynb"]
    assert points(row, ASSIGNMENT.question_ids) == len(ASSIGNMENT.question_ids), row["notes"]
    assert f"judged against the numbers of student {IDS['alice']} (id from the roster)" in row["notes"]


def test_mallory_copying_alices_cells_gets_only_the_share_whose_numbers_coincide(batch):
    row = batch.rows["mallory/alice.ipynb"]
    coinciding = [qid for qid in GRADED if copied_correct(qid, IDS["alice"], IDS["mallory"])]
    assert len(coinciding) <= len(GRADED) // 5
    assert points(row, GRADED) == len(coinciding)
    assert points(row, OTHERS) == len(OTHERS)  # the function she copied is not a variant: full credit, as for Alice
    for qid in set(GRADED) - set(coinciding):
        found = row["questions"][qid]
        assert found["points"] == 0 and found["mistake"] == whose.OTHER_NUMBERS, found
        assert IDS["alice"] in found["message"] and IDS["mallory"] in found["message"]
        assert any(note.startswith(qid) and IDS["alice"] in note and IDS["mallory"] in note for note in row["notes"]), row["notes"]


def test_the_notes_answers_score_nothing_for_a_student_with_an_id(batch):
    row = batch.rows["bob/02_conv_arithmetic.ipynb"]
    assert points(row, GRADED) == 0
    assert points(row, OTHERS) == len(OTHERS)
    assert all(row["questions"][qid]["mistake"] == whose.OTHER_NUMBERS and "notes" in row["questions"][qid]["message"] for qid in GRADED)


def test_canvas_has_exactly_each_students_own_grade_and_the_ambiguous_one_blank(batch):
    """Issue 20: ``mallory/alice.ipynb`` does not blank Alice's grade; Carol's two notebooks leave only hers blank."""
    mallory = len(OTHERS) + sum(copied_correct(qid, IDS["alice"], IDS["mallory"]) for qid in GRADED)

    def line(who: str, total) -> list[str]:
        return [NAMES[who], "", IDS[who], "", "", total]

    assert batch.canvas == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "02_conv_arithmetic"],
        ["Points Possible", "", "", "", "", str(len(ASSIGNMENT.question_ids))],
        line("alice", str(len(ASSIGNMENT.question_ids))),
        line("mallory", str(mallory)),
        line("bob", str(len(OTHERS))),
        line("carol", ""),
    ]


def test_the_ambiguous_name_is_one_line_on_the_terminal_and_in_the_report(batch):
    printed = [line for line in batch.printed.splitlines() if line.startswith("roster:")]
    assert printed == [f"roster: {NAMES['carol']} ({IDS['carol']}) matches several submissions (carol/a.ipynb, carol/b.ipynb): "
                       "ambiguous, so this entry's grade is left blank"]
    table = batch.page.find("table", id="roster-mismatches")
    cells = [[td.get_text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]
    assert cells == [["ambiguous (grade left blank)", f"{NAMES['carol']} ({IDS['carol']}) matches several submissions (carol/a.ipynb, carol/b.ipynb)"]]


def test_the_class_report_counts_the_answers_for_someone_elses_numbers(batch):
    table = batch.page.find("table", id="other-numbers")
    found = {tr.find_all("td")[0].get_text(): tr.find_all("td")[2].get_text().split(", ") for tr in table.find("tbody").find_all("tr")}
    expected = {qid: sorted(["bob/02_conv_arithmetic.ipynb"] + ([] if copied_correct(qid, IDS["alice"], IDS["mallory"]) else ["mallory/alice.ipynb"]))
                for qid in GRADED}
    assert found == expected


def test_with_a_roster_no_notice_says_folder_names_were_used(batch):
    assert whose.NO_ROSTER_NOTICE not in batch.run["notices"] and whose.NO_ROSTER_NOTICE not in batch.printed


def small_notebook(student: str, answers_for: str) -> bytes:
    """A notebook that sets ``student`` as its id and answers every graded value question with ``answers_for``'s numbers."""
    cells = [nbformat.v4.new_code_cell(f'import dlweek8\ndlweek8.student("{student}")')]
    cells += [nbformat.v4.new_code_cell(f'dlweek8.check("{qid}", {solutions.answer(qid, answers_for)!r})') for qid in GRADED]
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells)).encode()


@pytest.fixture(scope="module")
def no_roster(tmp_path_factory) -> Batch:
    """Without a roster: ``s2001/`` answers its folder's numbers; ``zed/`` sets the id s2001 and answers s2001's numbers."""
    root = tmp_path_factory.mktemp("no_roster")
    subs, out = root / "subs", root / "graded"
    for name, data in {"s2001/nb.ipynb": small_notebook("s2001", "s2001"), "zed/nb.ipynb": small_notebook("s2001", "s2001")}.items():
        (subs / name).parent.mkdir(parents=True, exist_ok=True)
        (subs / name).write_bytes(data)
    command = [sys.executable, "-m", "dlweek8", "grade", str(subs), "--out", str(out), "--assignment", str(STUDENT), "--jobs", "2"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {r["submission"]: r for r in map(json.loads, (out / "results.jsonl").read_text(encoding="utf-8").splitlines())}
    page = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    feedback = (out / "feedback" / "zed__nb.md").read_text(encoding="utf-8")
    return Batch(rows, [], done.stdout, page, json.loads((out / "run.json").read_text(encoding="utf-8")), feedback)


def test_without_a_roster_the_folder_name_is_the_id_and_every_output_says_so(no_roster):
    own, other = no_roster.rows["s2001/nb.ipynb"], no_roster.rows["zed/nb.ipynb"]
    assert points(own, GRADED) == len(GRADED), own["notes"]
    assert "judged against the numbers of student s2001 (id from the submission's folder name)" in own["notes"]
    coinciding = sum(copied_correct(qid, "s2001", "zed") for qid in GRADED)
    assert points(other, GRADED) == coinciding <= len(GRADED) // 5  # the id zed's notebook set for itself is not used
    assert sum(note.endswith("not of student zed: 0 points") and "s2001" in note for note in other["notes"]) == len(GRADED) - coinciding
    assert no_roster.run["notices"] == [whose.NO_ROSTER_NOTICE]
    assert whose.NO_ROSTER_NOTICE in no_roster.page.get_text() and "folder names" in no_roster.feedback
    assert any(line.startswith(f"grade: {whose.NO_ROSTER_NOTICE}") for line in no_roster.printed.splitlines())
