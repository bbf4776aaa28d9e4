"""written.html and written_scores.csv: the page a person grades on, and the scores folded back in with
``python -m dlweek8 report graded/ --written-scores written_scores.csv``.

A score file with any wrong line is refused whole, with one line, and nothing in the graded folder
changes; a good one reaches grades.csv, the totals, canvas.csv and moodle.csv, each feedback page and
the class report.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest

import dlweek8
from dlweek8 import __main__ as cli
from dlweek8.instructor.grading import outputs, report, written_page
from dlweek8.instructor.grading.written_scores import anon_id
from dlweek8.instructor.references import rubrics

IDS = ["lstm.cell_state_dependence", "lstm.cell_state_dependence_why", "lstm.argmax_vs_input_why"]
WHY, ARGMAX = IDS[1], IDS[2]
HOSTILE = "<script>alert(1)</script> No, <img src=x onerror=alert(2)> it is not.\n# A heading\n**bold** [link](http://x)"
ANSWERS = {
    "alice/01.ipynb": rubrics.MODEL_ANSWERS[WHY],
    "bob/01.ipynb": HOSTILE,
    "carol/01.ipynb": "No, because the hidden state is squashed by tanh.",
    "dave/01.ipynb": None,
}
ROSTER = "submission,student_id,name,email\nalice,111,\"Liddell, Alice\",a@x.edu\nbob,222,\"Builder, Bob\",b@x.edu\ncarol,333,\"Singer, Carol\",c@x.edu\ndave,444,\"Davis, Dave\",d@x.edu\n"


def rows() -> list[report.Row]:
    made = []
    for name, text in ANSWERS.items():
        row = report.Row(name)
        row.feedback[IDS[0]] = dlweek8.check(IDS[0], (False, "B"))
        for qid in IDS[1:]:
            row.feedback[qid] = dlweek8.check(qid, text if text is not None else ...)
            if text is not None:
                row.answers[qid] = text
        made.append(row)
    return made


@pytest.fixture(scope="module")
def graded_once(tmp_path_factory) -> Path:
    """The graded folder of ANSWERS with ROSTER, written once for the module (each test gets a copy)."""
    from dlweek8.instructor.grading import gradebook

    folder = tmp_path_factory.mktemp("written")
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    outputs.write_all(folder / "graded", IDS, rows(), "notebooks/01_lstm_gradients.ipynb", roster=gradebook.read_roster(folder / "roster.csv"))
    return folder


@pytest.fixture()
def graded(graded_once, tmp_path) -> Path:
    """A copy of the graded folder (and its roster beside it) of this test's own."""
    shutil.copy2(graded_once / "roster.csv", tmp_path / "roster.csv")
    return Path(shutil.copytree(graded_once / "graded", tmp_path / "graded"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_report(graded: Path, scores: str, *extra) -> tuple[int, str]:
    path = graded.parent / "written_scores.csv"
    path.write_text(scores, encoding="utf-8")
    buffer = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(buffer):
        code = cli.main(["report", str(graded), "--written-scores", str(path), *extra])
    return code, buffer.getvalue()


HEADER = "submission,question,points,criteria,comment\n"


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


# -- the page ----------------------------------------------------------------------------------------


def test_the_page_shows_every_answer_as_text_anonymised_in_a_stable_shuffled_order(graded):
    """Protection: html.escape of every answer (switched off, the <script> and <img> become elements)."""
    page = (graded / "written.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<img" not in page and page.count("<script>") == 1 and "alert(1)</script>" not in page
    assert "# A heading" in page and "<h1>A heading" not in page and "<strong>bold" not in page
    for name in ANSWERS:
        assert name not in page and name.split("/")[0] not in page
        assert anon_id(name) in page
    sections = re.findall(r'data-question="([^"]+)" data-submission="([^"]+)"', page)
    assert [q for q, _ in sections] == [WHY] * 4 + [ARGMAX] * 4
    order = [s for q, s in sections if q == WHY]
    assert sorted(order) != order or [s for q, s in sections if q == ARGMAX] != order  # shuffled, per question
    again = written_page.render(*report.read_run(graded))
    assert re.findall(r'data-submission="([^"]+)"', again) == [s for _, s in sections]  # stable
    assert set(re.findall(r'data-key="([^"]+)"', page)) == {"verdict", "inputs", "reason", "argmax", "max", "numbers"}
    for item in rubrics.rubric(WHY):
        assert item.earns in page or item.earns.replace("'", "&#x27;") in page


def test_show_names_puts_the_submissions_on_the_page(graded):
    code, out = run_report(graded, HEADER, "--show-names")
    assert code == 0, out
    page = (graded / "written.html").read_text(encoding="utf-8")
    assert all(name in page for name in ANSWERS)


def test_a_run_without_written_questions_has_no_page(tmp_path):
    row = report.Row("a.ipynb", {IDS[0]: dlweek8.check(IDS[0], (False, "B"))})
    outputs.write_all(tmp_path, IDS[:1], [row], "notebooks/01_lstm_gradients.ipynb")
    assert not (tmp_path / "written.html").exists()


# -- folding the scores in -------------------------------------------------------------------------


def good_scores() -> str:
    return (HEADER + f"{anon_id('alice/01.ipynb')},{WHY},3,verdict;inputs;reason,Clear and complete.\n"
            f"bob/01.ipynb,{WHY},1,verdict,\"'=HYPERLINK(\"\"x\"\") <b>see</b>\"\n"
            f"{anon_id('carol/01.ipynb')},{ARGMAX},2,argmax;max,No numbers.\n")


def test_the_scores_reach_grades_totals_gradebooks_feedback_and_the_report(graded):
    code, out = run_report(graded, good_scores())
    assert code == 0 and "folded 3 written score(s)" in out, out
    grades = {r["submission"]: r for r in read_csv(graded / "grades.csv")}
    assert list(grades["alice/01.ipynb"])[:4] == ["submission", *IDS]
    assert (grades["alice/01.ipynb"][WHY], grades["bob/01.ipynb"][WHY], grades["carol/01.ipynb"][ARGMAX]) == ("3", "1", "2")
    assert {name: grades[name]["total"] for name in grades} == {"alice/01.ipynb": "4", "bob/01.ipynb": "2", "carol/01.ipynb": "3", "dave/01.ipynb": "1"}
    canvas = list(csv.reader(io.StringIO((graded / "canvas.csv").read_text(encoding="utf-8"))))
    assert canvas[1][-1] == "7"  # points possible: 1 + 3 + 3
    assert {r[2]: r[-1] for r in canvas[2:]} == {"111": "4", "222": "2", "333": "3", "444": "1"}
    moodle = list(csv.reader(io.StringIO((graded / "moodle.csv").read_text(encoding="utf-8"))))
    assert {r[2]: r[-1] for r in moodle[1:]} == {"111": "4", "222": "2", "333": "3", "444": "1"}
    alice = (graded / "feedback" / "alice__01.md").read_text(encoding="utf-8")
    assert "Total: **4 / 7**" in alice and "graded by a person (3 / 3)" in alice and "Comment: Clear and complete." in alice
    assert "- met: says how c\\_{t−1} and h\\_{t−1} enter step t" in alice
    bob = (graded / "feedback" / "bob__01.html").read_text(encoding="utf-8")
    assert "not met: says how" in bob and "&lt;b&gt;see&lt;/b&gt;" in bob and "<b>see" not in bob
    assert "=HYPERLINK" in bob  # the ' the page adds against spreadsheet formulas is taken off again
    carol = (graded / "feedback" / "carol__01.md").read_text(encoding="utf-8")
    assert "`lstm.cell_state_dependence_why`: written answer, not graded by a person yet (0 / 3)" in carol
    page = (graded / "report.html").read_text(encoding="utf-8")
    table = re.search(rf'<table id="criteria-{re.escape(WHY)}".*?</table>', page, re.S).group()
    cells = re.findall(r"<tr><td>(\w+)</td><td>.*?</td><td class=\"num\">1</td><td class=\"num\">(\d+)</td><td class=\"num\">([\d.]+%)</td></tr>", table)
    assert cells == [("verdict", "2", "100.0%"), ("inputs", "1", "50.0%"), ("reason", "1", "50.0%")]
    assert "2 of 4 answers scored (out of 3 points); 1 points: 1, 3 points: 1." in page
    # a plain report afterwards keeps the folded scores
    assert cli.main(["report", str(graded)]) == 0
    assert read_csv(graded / "grades.csv")[0]["total"] == "4"


BAD = [
    ("nobody/01.ipynb,{why},1,verdict,\n", "line 3: unknown submission 'nobody/01.ipynb'"),
    ("answer-0000000000,{why},1,verdict,\n", "line 3: unknown submission 'answer-0000000000'"),
    ("alice/01.ipynb,lstm.nope_why,1,verdict,\n", "line 3: 'lstm.nope_why' is not a written question of this assignment"),
    ("alice/01.ipynb,lstm.cell_state_dependence,1,,\n", "'lstm.cell_state_dependence' is not a written question"),
    ("alice/01.ipynb,{why},4,verdict,\n", "points 4 for lstm.cell_state_dependence_why is outside 0 to 3"),
    ("alice/01.ipynb,{why},-1,,\n", "is outside 0 to 3"),
    ("alice/01.ipynb,{why},nan,,\n", "is outside 0 to 3"),
    ("alice/01.ipynb,{why},three,,\n", "points 'three' is not a number"),
    ("alice/01.ipynb,{why},1,verdict;argmax,\n", "unknown criterion 'argmax' for lstm.cell_state_dependence_why"),
    ("alice/01.ipynb,{why},1,verdict,\n{alice},{why},2,,\n", "is scored twice for lstm.cell_state_dependence_why"),
]


@pytest.mark.parametrize(("lines", "said"), BAD, ids=[said.split(":")[-1].strip()[:30] for _, said in BAD])
def test_a_wrong_line_refuses_the_whole_file_and_nothing_is_written(graded, lines, said):
    before = snapshot(graded)
    scores = HEADER + f"carol/01.ipynb,{ARGMAX},1,argmax,fine\n" + lines.format(why=WHY, alice=anon_id("alice/01.ipynb"))
    code, out = run_report(graded, scores)
    assert code == 1 and said in out, out
    assert out.count("\n") == 1 and out.endswith("; nothing was written\n"), out
    assert snapshot(graded) == before


def test_a_file_without_the_columns_is_refused(graded):
    before = snapshot(graded)
    code, out = run_report(graded, "student,points\nalice,1\n")
    assert code == 1 and "has no column submission, question, criteria, comment" in out
    assert snapshot(graded) == before


def test_the_record_keeps_a_written_answer_whole_and_other_text_brief():
    from dlweek8 import plain

    text = "First line.\nSecond line " + "x" * 500
    assert report.answer_text({"value": plain.encode(text)}, written=True) == text
    assert len(report.answer_text({"value": plain.encode(text)})) == report.ANSWER_CHARS
    huge = report.answer_text({"value": plain.encode("y" * 10_000)}, written=True)
    assert len(huge) == report.WRITTEN_CHARS and huge.endswith("…")
