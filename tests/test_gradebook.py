"""Roster, Canvas and Moodle files, and the safety of every file a run writes (formulas, newlines,
student text in Markdown and HTML, atomic replacement)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from dlweek8 import __main__ as cli
from dlweek8 import checks
from dlweek8.instructor.grading import gradebook, outputs, report

IDS = ["conv.size_78x84", "conv.params_7x7", "conv.params_1x1"]
ASSIGNMENT = "solutions/02_conv_arithmetic.ipynb"


def row(name: str, right: int, notes=()) -> report.Row:
    r = report.Row(name, notes=list(notes))
    for i, qid in enumerate(IDS):
        q = checks.get(qid)
        r.feedback[qid] = q.correct("Correct.") if i < right else q.wrong("Not the right value.")
    return r


#: Five submissions in student folders; bob has no roster entry, and erin is on the roster without one.
ROWS = [row("alice/02_conv_arithmetic.ipynb", 3), row("bob/02_conv_arithmetic.ipynb", 1), row("carol/02_conv_arithmetic.ipynb", 2),
        row("dave/02_conv_arithmetic.ipynb", 0), row("frank.ipynb", 3)]

#: A Canvas gradebook export (with its Points Possible row) plus a submission column.
CANVAS_EXPORT = """Student,ID,SIS User ID,SIS Login ID,Section,Week 7 (1201),submission
    Points Possible,,,,,10,
"Liddell, Alice",101,S001,aliddell,Sec 1,9,alice
"Carroll, Carol",103,S003,ccarroll,Sec 2,7,carol/02_conv_arithmetic.ipynb
"Dodgson, Dave",104,S004,ddodgson,Sec 1,8,dave
"Hatter, Erin",105,S005,ehatter,Sec 2,6,erin
"Frank, Fiona",106,S006,ffrank,Sec 1,5,frank
"""

MOODLE_EXPORT = """First name,Last name,ID number,Institution,Department,Email address,Submission
Alice,Liddell,S001,,,alice@uni.example,alice
Erin,Hatter,S005,,,erin@uni.example,erin
"""


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_a_canvas_export_is_a_roster():
    students = gradebook.parse_roster(CANVAS_EXPORT)
    assert [s.submission for s in students] == ["alice", "carol/02_conv_arithmetic.ipynb", "dave", "erin", "frank"]
    alice = students[0]
    assert (alice.name, alice.canvas_id, alice.student_id, alice.login_id, alice.section) == ("Liddell, Alice", "101", "S001", "aliddell", "Sec 1")
    assert alice.moodle_names() == ("Alice", "Liddell")


def test_a_moodle_export_is_a_roster():
    students = gradebook.parse_roster(MOODLE_EXPORT)
    assert [(s.first_name, s.last_name, s.student_id, s.email) for s in students] == [
        ("Alice", "Liddell", "S001", "alice@uni.example"), ("Erin", "Hatter", "S005", "erin@uni.example")]


@pytest.mark.parametrize("text, why", [("", "is empty"), ("name,email\nA,a@x\n", "no 'submission' column"),
                                       ("submission,name\na,A\n", "no student identifier column")])
def test_an_unusable_roster_is_refused_in_one_line(text, why):
    with pytest.raises(gradebook.RosterError, match=why) as info:
        gradebook.parse_roster(text)
    assert "\n" not in str(info.value)


def test_a_missing_and_an_extra_student_are_both_listed():
    matching = gradebook.match(gradebook.parse_roster(CANVAS_EXPORT), [r.submission for r in ROWS])
    assert matching.unmatched == ["bob/02_conv_arithmetic.ipynb"]
    assert [s.submission for s in matching.missing] == ["erin"]
    lines = matching.lines()
    assert len(lines) == 2 and "bob/02_conv_arithmetic.ipynb" in lines[0] and "Hatter, Erin (S005)" in lines[1]


def test_terminal_lines_stay_one_line_each():
    matching = gradebook.match(gradebook.parse_roster("submission,student_id\nzed,1\n"), ["evil\nname.ipynb"])
    assert [line.count("\n") for line in matching.lines()] == [0, 0] and "evil\\nname.ipynb" in matching.lines()[0]


def test_a_roster_entry_that_names_two_submissions_is_not_guessed():
    roster = gradebook.parse_roster("submission,student_id\nalice,1\n")
    matching = gradebook.match(roster, ["alice/a.ipynb", "alice/b.ipynb"])
    assert matching.pairs == [(roster[0], None)] and matching.ambiguous == [(roster[0], ["alice/a.ipynb", "alice/b.ipynb"])]
    assert matching.unmatched == [] and matching.missing == []  # reported once, as ambiguous
    assert matching.lines() == ["roster: (1) matches several submissions (alice/a.ipynb, alice/b.ipynb): ambiguous, so this entry's grade is left blank"]


@pytest.fixture()
def graded(tmp_path) -> Path:
    roster = tmp_path / "roster.csv"
    roster.write_text(CANVAS_EXPORT, encoding="utf-8")
    out = tmp_path / "graded"
    outputs.write_all(out, IDS, ROWS, ASSIGNMENT, roster=gradebook.read_roster(roster))
    return out


def test_canvas_csv_has_canvas_columns_points_possible_and_totals(graded):
    rows = read_csv(graded / "canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "02_conv_arithmetic"]
    assert rows[1] == ["Points Possible", "", "", "", "", "3"]
    assert rows[2:] == [
        ["Liddell, Alice", "101", "S001", "aliddell", "Sec 1", "3"],
        ["Carroll, Carol", "103", "S003", "ccarroll", "Sec 2", "2"],
        ["Dodgson, Dave", "104", "S004", "ddodgson", "Sec 1", "0"],
        ["Hatter, Erin", "105", "S005", "ehatter", "Sec 2", ""],  # no submission: blank, which Canvas leaves alone
        ["Frank, Fiona", "106", "S006", "ffrank", "Sec 1", "3"],
    ]


def test_moodle_csv_has_moodle_columns_and_totals(graded):
    rows = read_csv(graded / "moodle.csv")
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", "02_conv_arithmetic"]
    assert rows[1:3] == [["Alice", "Liddell", "S001", "", "3"], ["Carol", "Carroll", "S003", "", "2"]]
    assert [r[2] for r in rows[1:]] == ["S001", "S003", "S004", "S005", "S006"]


def test_the_report_lists_both_mismatches(graded):
    page = BeautifulSoup((graded / "report.html").read_text(encoding="utf-8"), "html.parser")
    cells = [[td.get_text() for td in tr.find_all("td")] for tr in page.find("table", id="roster-mismatches").find("tbody").find_all("tr")]
    assert cells == [["no roster entry", "bob/02_conv_arithmetic.ipynb"], ["no submission", "Hatter, Erin (S005)"]]


def test_the_report_command_takes_a_roster_and_prints_mismatches(tmp_path, capsys):
    out = tmp_path / "graded"
    outputs.write_all(out, IDS, ROWS, ASSIGNMENT)
    assert not (out / "canvas.csv").exists()
    (tmp_path / "roster.csv").write_text(MOODLE_EXPORT, encoding="utf-8")
    assert cli.main(["report", str(out), "--roster", str(tmp_path / "roster.csv"), "--title", "Week 8 (1234)"]) == 0
    printed = capsys.readouterr().out
    assert "4 submission(s) with no roster entry" in printed and "0 student" not in printed
    assert read_csv(out / "moodle.csv")[0][-1] == "Week 8 (1234)"
    assert read_csv(out / "moodle.csv")[1] == ["Alice", "Liddell", "S001", "alice@uni.example", "3"]
    assert cli.main(["report", str(out)]) == 0  # the roster given once is kept in run.json
    assert (out / "canvas.csv").exists()


# -- output safety ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"), ("\t=x", "'\\t=x"), ("\r=x", "'\\r=x"),
        ("-1", "-1"), ("+1.5", "+1.5"), ("-2e3", "-2e3"), ("3", "3"), ("alice", "alice"),
        ("bad\nname.ipynb", "bad\\nname.ipynb"), ("a\x00b", "a\\x00b"),
    ],
)
def test_csv_cells_cannot_be_formulas_and_stay_on_one_line(value, cell):
    assert report.safe_cell(value) == cell


def test_hostile_names_and_notes_reach_grades_csv_inert(tmp_path):
    hostile = [row('=HYPERLINK("http://evil")', 1, ["cell 2 raised ValueError: =cmd|' /C calc'!A0"]), row("two\nlines.ipynb", 2), row("-5.ipynb", 0)]
    outputs.write_all(tmp_path, IDS, hostile, ASSIGNMENT)
    text = (tmp_path / "grades.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) == 4, "one line per submission"
    rows = read_csv(tmp_path / "grades.csv")
    assert all(not c.startswith(("=", "+", "@", "\t", "\r")) for r in rows for c in r)
    assert all(not c.startswith("-") or c.lstrip("-").replace(".", "").isdigit() for r in rows for c in r)
    assert {r[0] for r in rows[1:]} == {"'=HYPERLINK(\"http://evil\")", "two\\nlines.ipynb", "'-5.ipynb"}


def test_student_text_is_inert_in_markdown_and_html_feedback(tmp_path):
    q = checks.get(IDS[0])
    name = "<img src=x onerror=alert(1)>*bold*_x_[link](http://e)`code`\n# heading.ipynb"
    r = report.Row(name, {IDS[0]: q.wrong("You gave '<script>alert(1)</script>' **now**.", example=(("got", "<b>|x|</b>"),))},
                   notes=["cell 1 raised Error: </td><script>"])
    markdown = report.feedback_markdown(r, IDS, ASSIGNMENT)
    for raw in ("<img", "<script", "</td>", "<b>", "*bold*", "**now**", "[link](", "`code`", "\n# heading"):
        assert raw not in markdown, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown and "\\*bold\\*" in markdown
    page = report.feedback_html(r, IDS, ASSIGNMENT)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    parsed = BeautifulSoup(page, "html.parser")
    assert parsed.find("h1").get_text() == f"Feedback on {name}"
    assert parsed.find("td").get_text() == "<b>|x|</b>"


def test_html_feedback_is_written_beside_the_markdown(tmp_path):
    files = outputs.write_all(tmp_path, IDS, ROWS, ASSIGNMENT)
    for submission, path in files.items():
        assert path.suffix == ".md" and path.with_suffix(".html").exists()
        assert BeautifulSoup(path.with_suffix(".html").read_text(encoding="utf-8"), "html.parser").find("h1").get_text() == f"Feedback on {submission}"


def test_a_write_that_fails_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "grades.csv"
    report.write_atomic(target, "old\n")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        report.write_atomic(target, "new\n")
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv"]


def test_a_killed_writer_leaves_the_old_grades_whole(tmp_path):
    """A writer killed mid-write (here: SIGKILL while it writes 200 MB) never truncates grades.csv."""
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "grades.csv"
    report.write_atomic(target, "submission,total\nalice,3\n")
    code = f"from dlweek8.instructor.grading import report; report.write_atomic(__import__('pathlib').Path({str(target)!r}), 'x' * 200_000_000)"
    child = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(p.name.startswith(".grades.csv.") for p in tmp_path.iterdir()):
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert target.read_text() == "submission,total\nalice,3\n"


def test_the_feedback_folder_is_replaced_whole(tmp_path, monkeypatch):
    outputs.write_all(tmp_path, IDS, ROWS, ASSIGNMENT)
    before = sorted(p.name for p in (tmp_path / "feedback").iterdir())
    outputs.write_all(tmp_path, IDS, ROWS[:2], ASSIGNMENT)
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == before[:4], "no feedback left from the previous run"
    real = os.replace

    def fail_second(src, dst):
        if Path(src).name.startswith(".feedback-new-"):
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", fail_second)
    with pytest.raises(OSError):
        report.write_folder(tmp_path / "feedback", {"x.md": "new"})
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == before[:4], "the previous folder is put back"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_file_named_after_a_classmate_neither_takes_nor_blanks_their_entry():
    """Issue 20: ``mallory/alice.ipynb`` is Mallory's. Protection: gradebook.handle (a file's name inside a folder never names a student)."""
    roster = gradebook.parse_roster("submission,student_id\nalice,1\nmallory,2\n")
    both = gradebook.match(roster, ["alice/x.ipynb", "mallory/alice.ipynb"])
    assert both.pairs == [(roster[0], "alice/x.ipynb"), (roster[1], "mallory/alice.ipynb")] and not both.ambiguous
    alone = gradebook.match(roster, ["mallory/alice.ipynb"])  # Alice submitted nothing: blank, never Mallory's grade
    assert alone.pairs == [(roster[0], None), (roster[1], "mallory/alice.ipynb")] and alone.missing == [roster[0]]


def test_two_entries_naming_one_submission_equally_get_neither_and_a_closer_name_keeps_it():
    roster = gradebook.parse_roster("submission,student_id\nalice,1\nalice,2\nbob/b.ipynb,3\nbob,4\n")
    matching = gradebook.match(roster, ["alice/a.ipynb", "bob/b.ipynb"])
    assert matching.pairs == [(roster[0], None), (roster[1], None), (roster[2], "bob/b.ipynb"), (roster[3], None)]
    assert matching.ambiguous == [(roster[0], ["alice/a.ipynb"]), (roster[1], ["alice/a.ipynb"]), (roster[3], ["bob/b.ipynb"])]
    assert matching.unmatched == [] and matching.missing == []
    assert [line.split(":")[0] for line in matching.lines()] == ["roster"] * 3 and "names bob/b.ipynb, as does another roster entry" in matching.lines()[2]
