"""Batch grading: real submissions built from the student editions, each graded as expected, none modified.

All kernel-executed submissions are graded in one ``grade`` run per assignment (module-scoped
fixture), in parallel. The submissions are made from the committed student editions in
``notebooks/`` and their solved sources in ``solutions/``; until those exist, from a small
course built here from real question ids.
"""

from __future__ import annotations

import ast
import copy
import csv
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import dlweek8
from dlweek8 import checks
from dlweek8 import __main__ as cli
from dlweek8 import untrusted, written
from dlweek8.instructor.references import rubrics
from dlweek8.instructor import editions
from dlweek8.feedback import CORRECT, INVALID, UNANSWERED
from dlweek8 import kernel_side, protocol
from dlweek8.instructor.grading import batch, discover, judge, outputs, report, runner
from helpers.editions import EDITIONS, LOOKUP_CELL, USING_REAL_NOTEBOOKS, Edition, filled, fixture_editions, with_cell

ROOT = Path(__file__).resolve().parents[1]


# -- the course the submissions are made from ----------------------------------------------------


# -- submissions, built from the student edition -------------------------------------------------


def _is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(discover.answers_by_id([cell.source]))


def check_cells_first(nb) -> nbformat.NotebookNode:
    """Every check cell moved up, before the answers it checks, and a cell of the student's own added."""
    nb = copy.deepcopy(nb)
    checks_ = [c for c in nb.cells if _is_check_cell(c)]
    rest = [c for c in nb.cells if not _is_check_cell(c)]
    first_code = next(i for i, c in enumerate(rest) if c.cell_type == "code") + 1
    nb.cells = rest[:first_code] + checks_ + [new_markdown_cell("My notes")] + rest[first_code:] + [new_code_cell("scratch = 1 + 1")]
    return nb


def half_wrong(edition: Edition) -> list[str]:
    """Every other question whose answer no other cell reads (a wrong helper would sink the answers built on it)."""
    def reads(source: str) -> set[str]:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return set()
        return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}

    read = set().union(*(reads(c.source) for c in edition.solved.cells if c.cell_type == "code" and not _is_check_cell(c)))
    standalone = [qid for qid, name in edition.answers.items() if name not in read]
    assert len(standalone) >= 2, "need two answers that nothing else reads"
    return standalone[::2]


def function_question_ids(edition: Edition) -> list[str]:
    return [qid for qid in edition.answers if judge.is_function_question(qid)]


def a_function_question(edition: Edition) -> str:
    return function_question_ids(edition)[0]


def last_function_question(edition: Edition) -> str:
    return function_question_ids(edition)[-1]


def wrong_definitions(edition: Edition, question_ids) -> str:
    """A cell that rebinds each answer of ``question_ids`` to a wrong one."""
    lines = []
    for qid in question_ids:
        name = edition.answers[qid]
        assert name.isidentifier(), f"{qid}: answer expression {name!r}"
        if judge.is_function_question(qid):
            lines.append(f"def {name}(*args, **kwargs):\n    return -1")
        else:
            lines.append(f"{name} = 'not the answer'")
    return "\n".join(lines)


#: Also proves the kernel's environment (no PNG rendering, Agg backend, an empty working folder)
#: and that it is fresh: the tampering submissions' patches of numpy are not here.
CRASH = """
import os, numpy
assert os.environ["DLWEEK8_SKIP_RENDER"] == "1" and os.environ["MPLBACKEND"] == "Agg"
assert not [name for name in os.listdir() if name.endswith(".ipynb")]
assert numpy.allclose.__name__ == "allclose" and numpy.array_equal.__name__ == "array_equal"
raise RuntimeError("boom")
"""

TAMPERING = """
import builtins, numpy, dlweek8, dlweek8.question, dlweek8.checks, dlweek8.plain
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.broadcast(a, b).shape, bool)
numpy.array_equal = lambda *a, **k: True
def check(question_id, answer=...):
    print(f"✔ {question_id}: Correct. Well done.")
dlweek8.check = check
dlweek8.question.judge_value = lambda question, answer: question.correct("patched")
dlweek8.question.judge_calls = lambda question, probes, outcomes: question.correct("patched")
for _id in checks.question_ids():
    dlweek8.checks.get(_id).judge = lambda *a, **k: None
dlweek8.plain.dumps = lambda value: '"forged"'
dlweek8.plain.encode = lambda value: "forged"
for _id in checks.question_ids():
    print(_id, "passed:", '{"value": "[26, 28]"}')
"""


def with_lookup_tables(edition: Edition) -> nbformat.NotebookNode:
    """The full submission with every function answer replaced, at the end, by a lookup table of the public probes."""
    cell = LOOKUP_CELL + "".join(f"{edition.answers[qid]} = _lookup({qid!r})\n" for qid in function_question_ids(edition))
    full = filled(edition)
    return with_cell(full, cell, at=len(full.cells))


def without_answer(edition: Edition, qid: str) -> nbformat.NotebookNode:
    """The full submission with the cells that define and check ``qid`` deleted."""
    nb = filled(edition)
    name = edition.answers[qid]
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and (name in c.source))]
    return nb


def submissions(main: Edition, others: list[Edition]) -> dict[str, bytes]:
    """Every kind of submission the issue lists, as file name -> bytes."""
    full = filled(main)
    ids = list(main.answers)
    made = {
        "full": full,
        "blank": main.student,
        "half": with_cell(full, wrong_definitions(main, half_wrong(main)), at=len(full.cells)),
        "crash": with_cell(full, CRASH),
        # one submission for both (it is executed three times, as each needs a re-run): an exit, then an endless loop
        "loop_and_exit": with_cell(with_cell(full, "import time\nwhile True:\n    try:\n        time.sleep(0.01)\n    except KeyboardInterrupt:\n        pass"),
                                   "import os\nos._exit(3)"),
        "tamper": with_cell(main.student, TAMPERING),
        "tamper_full": with_cell(full, TAMPERING),
        "missing": without_answer(main, ids[0]),
        # after the check cells, so only the grader calls them
        # the first function answer exits when the grader calls it, the last one loops (one submission for both)
        "function_exits_and_loops": with_cell(full, f"def {main.answers[a_function_question(main)]}(*args):\n    import os\n    os._exit(1)\n\n\n"
                                                    f"def {main.answers[last_function_question(main)]}(*args):\n    import time\n    while True:\n        time.sleep(0.01)",
                                              at=len(full.cells)),
        "reordered": check_cells_first(full),
        "lookup": with_lookup_tables(main),
    }
    files = {f"{name}.ipynb": nbformat.writes(nb).encode() for name, nb in made.items()}
    files["malformed.ipynb"] = files["full.ipynb"][: len(files["full.ipynb"]) // 2]
    stripped = copy.deepcopy(filled(others[0]))
    stripped.metadata.pop("dlweek8")
    files["other_assignment.ipynb"] = nbformat.writes(filled(others[0])).encode()
    files["other_without_metadata.ipynb"] = nbformat.writes(stripped).encode()
    return files


# -- one grading run for all of them -------------------------------------------------------------

#: Per-cell limit for the test batch: above any real cell, short enough for the endless loop.
CELL_TIMEOUT = 12


@dataclass
class Graded:
    edition: Edition
    rows: dict[str, report.Row]
    csv_rows: dict[str, dict]
    out: Path
    before: dict[str, str]
    folder: Path


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    main, others = EDITIONS[0], EDITIONS[1:]
    folder = tmp_path_factory.mktemp("submissions")
    for name, data in submissions(main, others).items():
        (folder / name).write_bytes(data)
        (folder / name).chmod(0o444)  # the grader must not need to write them
    before = _digests(folder)
    out = tmp_path_factory.mktemp("graded")
    assignment = discover.Assignment(f"solutions/{main.name}", {k: v for k, v in main.answers.items()}, main.imports)  # preloaded, as in a real run
    limits = runner.Limits(cell_timeout=CELL_TIMEOUT, notebook_timeout=240)
    _, rows = batch.grade([folder], out, limits, jobs=2, assignment=assignment, progress=False, notes_numbers=True)
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        csv_rows = {r["submission"]: r for r in csv.DictReader(handle)}
    return Graded(main, {r.submission: r for r in rows}, csv_rows, out, before, folder)


@pytest.fixture(scope="module")
def graded_others(tmp_path_factory) -> dict[str, dict[str, report.Row]]:
    """Full and half-right submissions of every other edition, one grade run each."""
    found = {}
    for edition in EDITIONS[1:]:
        folder = tmp_path_factory.mktemp("others")
        full = filled(edition)
        (folder / "full.ipynb").write_text(nbformat.writes(full))
        (folder / "half.ipynb").write_text(nbformat.writes(with_cell(full, wrong_definitions(edition, half_wrong(edition)), at=len(full.cells))))
        (folder / "lookup.ipynb").write_text(nbformat.writes(with_lookup_tables(edition)))
        assignment = discover.Assignment(f"solutions/{edition.name}", edition.answers, edition.imports)
        _, rows = batch.grade([folder], tmp_path_factory.mktemp("out"), jobs=2, assignment=assignment, progress=False,
                                  notes_numbers=True)
        found[edition.name] = {row.submission: row for row in rows}
    return found


@pytest.mark.parametrize("edition", [e for e in EDITIONS if function_question_ids(e)], ids=lambda e: e.name)
def test_a_lookup_table_of_the_public_probes_fails_in_the_grader(graded, graded_others, edition):
    """Every function answer replaced by a table of the public probes (which passes the notebook's check,
    tests/test_publish.py): it loses exactly the function questions' points, which the solution earns."""
    rows = graded.rows if edition is graded.edition else graded_others[edition.name]
    full, lookup = rows["full.ipynb"].feedback, rows["lookup.ipynb"].feedback
    functions = function_question_ids(edition)
    assert {qid: full[qid].points for qid in functions} == dict.fromkeys(functions, 1.0)
    assert {qid: lookup[qid].points for qid in functions} == dict.fromkeys(functions, 0.0), {q: lookup[q].message for q in functions}
    assert {qid: lookup[qid].points for qid in edition.answers if qid not in functions} == {
        qid: full[qid].points for qid in edition.answers if qid not in functions}  # nothing else changed


@pytest.mark.parametrize("edition", EDITIONS[1:], ids=[e.name for e in EDITIONS[1:]])
def test_the_other_editions_grade_full_and_half(graded_others, edition):
    rows = graded_others[edition.name]
    auto = autograded(edition)  # a written answer (notebook 03 has one) gets its points from a person
    assert {qid: f.points for qid, f in rows["full.ipynb"].feedback.items() if qid in auto} == {qid: 1.0 for qid in auto}
    assert set(rows["full.ipynb"].feedback) == set(edition.answers)
    wrong = half_wrong(edition)
    assert {qid: f.points for qid, f in rows["half.ipynb"].feedback.items() if qid in auto} == {q: 0.0 if q in wrong else 1.0 for q in auto}
    assert rows["full.ipynb"].notes == [] and rows["half.ipynb"].notes == []


def autograded(edition: Edition) -> list[str]:
    """The questions the grader gives points to (a written answer's points come from a person)."""
    return [qid for qid in edition.answers if not written.is_written(qid)]


def points(graded: Graded, name: str) -> dict[str, float]:
    return {qid: float(graded.csv_rows[name][qid]) for qid in autograded(graded.edition)}


def test_the_course_has_several_questions():
    assert len(EDITIONS) >= 2 and len(EDITIONS[0].answers) >= 2
    assert all(qid in checks.question_ids() for e in EDITIONS for qid in e.answers)


def test_full_marks(graded):
    assert set(points(graded, "full.ipynb").values()) == {1.0}
    assert float(graded.csv_rows["full.ipynb"]["total"]) == len(autograded(graded.edition))
    assert all(f.status == CORRECT for f in graded.rows["full.ipynb"].feedback.values())
    for qid in set(graded.edition.answers) - set(autograded(graded.edition)):  # saved whole for a person, no points yet
        assert graded.csv_rows["full.ipynb"][qid] == "0" and " ".join(graded.rows["full.ipynb"].answers[qid].split()) == rubrics.MODEL_ANSWERS[qid]


def test_blank_gets_nothing_and_is_told_to_answer(graded):
    assert set(points(graded, "blank.ipynb").values()) == {0.0}
    assert {f.status for f in graded.rows["blank.ipynb"].feedback.values()} == {UNANSWERED}


def test_half_right_gets_the_right_half(graded):
    wrong = half_wrong(graded.edition)
    expected = {qid: 0.0 if qid in wrong else 1.0 for qid in autograded(graded.edition)}
    assert points(graded, "half.ipynb") == expected
    assert all(not graded.rows["half.ipynb"].feedback[q].passed for q in wrong)
    assert float(graded.csv_rows["half.ipynb"]["total"]) == len(expected) - len(set(wrong) & set(expected))


def test_a_crashing_cell_does_not_hide_later_answers(graded):
    assert set(points(graded, "crash.ipynb").values()) == {1.0}
    assert "raised RuntimeError: boom" in graded.csv_rows["crash.ipynb"]["notes"]


def test_an_endless_loop_is_skipped_and_the_rest_graded(graded):
    assert set(points(graded, "loop_and_exit.ipynb").values()) == {1.0}
    assert f"did not finish within {CELL_TIMEOUT} s" in graded.csv_rows["loop_and_exit.ipynb"]["notes"]


def test_a_kernel_death_is_skipped_and_the_rest_graded(graded):
    assert set(points(graded, "loop_and_exit.ipynb").values()) == {1.0}
    assert "ended the submission's process" in graded.csv_rows["loop_and_exit.ipynb"]["notes"]


def test_malformed_json_gets_a_row_with_the_reason(graded):
    row = graded.csv_rows["malformed.ipynb"]
    assert row["total"] == "0" and row["notes"].startswith("not graded: not valid JSON")


def test_tampering_gains_nothing(graded):
    assert set(points(graded, "tamper.ipynb").values()) == {0.0}
    assert {f.status for f in graded.rows["tamper.ipynb"].feedback.values()} == {UNANSWERED}


def test_tampering_does_not_cost_honest_answers_either(graded):
    assert set(points(graded, "tamper_full.ipynb").values()) == {1.0}


def test_a_missing_answer_is_named(graded):
    first = next(iter(graded.edition.answers))
    row = graded.rows["missing.ipynb"]
    assert row.feedback[first].status == INVALID and "No answer found" in row.feedback[first].message
    assert graded.csv_rows["missing.ipynb"]["notes"] == f"{first}: no answer found"
    assert all(f.passed for qid, f in row.feedback.items() if qid != first)


@pytest.mark.parametrize("which, message", [(a_function_question, "ended the submission's process"), (last_function_question, "did not finish within")],
                         ids=["exits", "loops"])
def test_a_function_answer_that_kills_or_hangs_the_grader_call_loses_only_its_point(graded, which, message):
    qid, both = which(graded.edition), {a_function_question(graded.edition), last_function_question(graded.edition)}
    row = graded.rows["function_exits_and_loops.ipynb"]
    assert len(both) == 2 and row.feedback[qid].status == INVALID and message in row.feedback[qid].message
    assert all(f.passed for other, f in row.feedback.items() if other not in both)


def test_moved_checks_and_added_cells_grade_the_same(graded):
    assert points(graded, "reordered.ipynb") == points(graded, "full.ipynb")
    notes = graded.csv_rows["reordered.ipynb"]["notes"].split("; ")
    assert len(notes) == 4 and notes[0].endswith("is not defined") and notes[3].endswith("more cells raised errors")


def test_another_assignment_is_recognised(graded):
    other = EDITIONS[1]
    assert graded.csv_rows["other_assignment.ipynb"]["notes"] == (
        f"not graded: this notebook was made from solutions/{other.name}, and this batch grades solutions/{graded.edition.name}"
    )
    assert "none of the questions" in graded.csv_rows["other_without_metadata.ipynb"]["notes"]
    assert graded.csv_rows["other_assignment.ipynb"]["total"] == "0"


def test_every_submission_has_a_row_and_a_feedback_file(graded):
    names = sorted(p.name for p in graded.folder.iterdir())
    assert sorted(graded.csv_rows) == names
    header = next(csv.reader(open(graded.out / "grades.csv", encoding="utf-8")))
    assert header == ["submission", *graded.edition.answers, "total", "notes"]
    for name in names:
        text = (graded.out / "feedback" / report.feedback_name(name)).read_text(encoding="utf-8")
        assert text.startswith(f"# Feedback on {name}")
        assert all(f"`{qid}`" in text for qid in graded.edition.answers)


def test_submissions_are_left_byte_identical(graded):
    assert _digests(graded.folder) == graded.before


# -- the pieces, without a kernel -----------------------------------------------------------------


def test_answers_are_found_by_id_in_any_cell_and_form():
    cells = [
        "%matplotlib inline\nimport dlweek8\nfrom dlweek8 import check",
        'dlweek8.check("conv.size_78x84", mine)',
        "check('conv.params_7x7', answers['params'])  # a bare check works too",
        "def broken(:\n",  # does not parse: skipped
        'x = dlweek8.check("conv.size_78x84", final)  # a later call wins',
        'print(dlweek8.check("conv.params_1x1"))  # no answer given: ignored',
    ]
    assert discover.answers_by_id(cells) == {"conv.size_78x84": "final", "conv.params_7x7": "answers['params']"}


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\xff\xfe", "not UTF-8"),
        (b'{"cells": [', "not valid JSON"),
        (b"[1, 2]", "not a notebook"),
        (b'{"cells": [{"cell_type": "code"}], "nbformat": 4}', "not a readable notebook"),
    ],
)
def test_unreadable_files_are_refused_with_a_one_line_reason(data, reason):
    with pytest.raises(discover.NotANotebook, match=reason) as info:
        discover.read_notebook(data)
    assert "\n" not in str(info.value)


def _reply(qid, expression, namespace):
    is_function = judge.is_function_question(qid)
    probes = judge.graded_probes(qid) if is_function else None  # public and hidden, as the grader sends them
    return json.loads(json.dumps(kernel_side.reply(qid, expression, is_function, namespace, probes)))


def test_kernel_side_replies_are_judged_like_check():
    def output_size(n, k, s=1, p=0, d=1):
        return (n + 2 * p - d * (k - 1) - 1) // s + 1

    def ceil_size(n, k, s=1, p=0, d=1):
        return -(-(n + 2 * p - d * (k - 1)) // s)

    cases = {"right": output_size, "wrong": ceil_size, "blank": ..., "number": 3}
    for label, answer in cases.items():
        reply = _reply("conv.output_size_fn", "answer", {"answer": answer})
        graded, checked = judge.verdict("conv.output_size_fn", reply), dlweek8.check("conv.output_size_fn", answer)
        assert (graded.status, graded.mistake) == (checked.status, checked.mistake), label  # the grader adds hidden cases
    for answer in [(26, 28), [26, 28], (28, 26), None, ..., "26x28", float("nan")]:
        reply = _reply("conv.size_78x84", "answer", {"answer": answer})
        assert judge.verdict("conv.size_78x84", reply) == dlweek8.check("conv.size_78x84", answer), repr(answer)


def test_kernel_side_reports_a_missing_name_and_a_raising_expression():
    assert "is not defined" in _reply("conv.size_78x84", "nowhere", {})["missing"]
    assert "raised ZeroDivisionError" in _reply("conv.size_78x84", "1 / 0", {})["missing"]


def test_the_kernel_side_replies_with_one_reply_event_encoded_once():
    line = kernel_side.reply_line("conv.size_78x84", "answer", False, {"answer": (26, 28)})
    event = protocol.decode(line)
    assert event == protocol.Reply("conv.size_78x84", {"value": [26, 28]}) and b'"value": [26, 28]' in line


def test_a_huge_answer_is_refused_in_one_line():
    small = protocol.decode(kernel_side.reply_line("conv.size_78x84", "answer", False, {"answer": [1.5] * 9_999}))
    assert "value" in small.reply
    import numpy as np

    line = kernel_side.reply_line("conv.size_78x84", "answer", False, {"answer": np.ones(500_000)})
    reply = protocol.decode(line).reply
    assert reply == {"error": reply["error"]} and "too large" in reply["error"] and len(line) < protocol.MAX_REPLY_BYTES
    assert judge.verdict("conv.size_78x84", reply).status == INVALID


@pytest.mark.parametrize(
    "reply",
    [
        {"value": {"__ndarray__": [1.0], "dtype": "<f8", "shape": [7]}},
        {"value": {"__dict__": 3}},
        {"value": {"__ndarray__": [[[[[]]]]], "dtype": "(3,)f8", "shape": [1]}},
        {"outcomes": [{"value": "1"}]},
        {"outcomes": "nope"},
        {"something": "else"},
        {"outcomes": [untrusted.Outcome(value=1).to_json()]},  # for a value question
    ],
)
def test_malformed_replies_become_a_message_not_an_error(reply):
    for qid in ("conv.size_78x84", "conv.output_size_fn"):
        feedback = judge.verdict(qid, reply)
        assert feedback.status == INVALID and feedback.points == 0


def test_a_reply_of_the_wrong_length_is_refused():
    reply = {"outcomes": [untrusted.Outcome(value=1).to_json()]}
    feedback = judge.verdict("conv.output_size_fn", reply)
    assert feedback.status == INVALID and "cannot read" in feedback.message


def test_parse_reply_accepts_only_a_one_key_object():
    assert judge.parse_reply({"value": "1"}) == {"value": "1"}
    for reply in ([1], {"a": 1, "b": 2}, "nope", None, {}):
        with pytest.raises(ValueError):
            judge.parse_reply(reply)


def test_feedback_file_names_are_flat_and_distinct(tmp_path):
    assert report.feedback_name("alice/01_lstm.ipynb") == "alice__01_lstm.md"
    assert report.feedback_name("bob smith/01.ipynb") == "bob_smith__01.md"
    rows = [report.Row("a/b.ipynb"), report.Row("a__b.ipynb")]
    files = outputs.write_all(tmp_path, ["conv.size_78x84"], rows, "solutions/x.ipynb")
    assert sorted(p.name for p in files.values()) == ["a__b-2.md", "a__b.md"]
    assert sorted(p.name for p in (tmp_path / "feedback").glob("*.md")) == ["a__b-2.md", "a__b.md"]


def test_an_assignment_is_chosen_by_metadata_then_by_question_ids():
    a = discover.Assignment("solutions/a.ipynb", {"conv.size_78x84": "x"})
    b = discover.Assignment("solutions/b.ipynb", {"lstm.forget_bias": "y"})
    parsed = [
        discover.Parsed([], {}, "solutions/b.ipynb"),
        discover.Parsed([], {"lstm.forget_bias": "y"}, None),
        discover.Parsed([], {"conv.size_78x84": "x"}, None),
    ]
    assert batch.choose_assignment(parsed, [a, b]) is b
    with pytest.raises(batch.GradingError):
        batch.choose_assignment([discover.Parsed([], {}, None)], [a, b])


# -- the command line and the per-notebook limit ----------------------------------------------------


def test_the_command_stops_a_slow_notebook_and_grades_the_others(tmp_path, capsys):
    """Also the cold path: kernels started from scratch rather than forked from a template."""
    conv = next(e for e in fixture_editions() if "conv" in e.name)
    assignment = tmp_path / conv.name
    nbformat.write(conv.student, assignment)
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    (folder / "bob").mkdir()
    slow = filled(conv)
    for _ in range(4):
        slow = with_cell(slow, "import time\ntime.sleep(1.5)")
    nbformat.write(slow, folder / "alice" / conv.name)
    nbformat.write(filled(conv), folder / "bob" / conv.name)
    out = tmp_path / "out"
    argv = ["grade", str(folder), "--out", str(out), "--assignment", str(assignment), "--notebook-timeout", "4", "--jobs", "2", "--cold-kernels",
            "--notes-numbers"]
    assert cli.main(argv) == 0
    assert f"graded 2 submissions of solutions/{conv.name}" in capsys.readouterr().out
    rows = {r["submission"]: r for r in csv.DictReader(open(out / "grades.csv", encoding="utf-8"))}
    alice, bob = rows[f"alice/{conv.name}"], rows[f"bob/{conv.name}"]
    assert alice["total"] == "0" and alice["notes"] == "stopped: the notebook did not finish within 4 s, so no answers were read"
    assert float(bob["total"]) == len(conv.answers) and bob["notes"] == ""
    assert sorted(p.name for p in (out / "feedback").glob("*.md")) == [f"alice__{conv.name[:-6]}.md", f"bob__{conv.name[:-6]}.md"]


def test_the_command_explains_when_there_is_nothing_to_grade_against(tmp_path, capsys):
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), tmp_path / "x.ipynb")
    assert cli.main(["grade", str(tmp_path / "x.ipynb"), "--out", str(tmp_path / "out"), "--assignment", str(tmp_path / "x.ipynb")]) == 1
    assert capsys.readouterr().out == f"grade: {tmp_path / 'x.ipynb'} has no dlweek8.check calls of known questions\n"
    assert cli.main(["grade", str(tmp_path / "x.ipynb"), "--out", str(tmp_path / "o2")]) == 1
    assert capsys.readouterr().out.startswith("grade: no ")
    assert not (tmp_path / "out").exists() and not (tmp_path / "o2").exists()


def test_the_released_editions_are_the_assignments_a_batch_can_be_graded_against():
    if not USING_REAL_NOTEBOOKS:
        pytest.skip("no released notebooks yet")
    found = {a.name: a for a in discover.released_assignments(ROOT / "notebooks")}
    assert sorted(found) == sorted(f"solutions/{e.name}" for e in EDITIONS)
    for edition in EDITIONS:
        assignment = found[f"solutions/{edition.name}"]
        assert assignment.answers == edition.answers and "dlweek8" in assignment.imports
        parsed = discover.read_notebook(nbformat.writes(editions.answered(edition.student, edition.solved)).encode())
        assert batch.choose_assignment([parsed], list(found.values())) is assignment


def test_a_template_preloads_what_an_import_loads_on_first_use():
    cells = ["import numpy as np\nfrom torch.utils.flop_counter import FlopCounterMode", "import torch.utils.flop_counter"]
    assert discover.imported_modules(cells) == ["numpy", "torch.utils.flop_counter", "torch._dynamo"]
    assert discover.imported_modules(["from dlweek8 import lstm"]) == ["dlweek8", "dlweek8.lstm", *discover.LOADED_ON_FIRST_USE["dlweek8.lstm"]]
    # notebook 03's imports: the training module (not loaded by ``import dlweek8``) and what its training and figures load
    assert discover.imported_modules(["from dlweek8 import training\nfrom IPython.display import HTML"]) == [
        "dlweek8", "dlweek8.training", *discover.LOADED_ON_FIRST_USE["dlweek8.training"], "IPython.display"]


@pytest.mark.parametrize("module", sorted(discover.LOADED_ON_FIRST_USE))
def test_what_loads_on_first_use_does_so(module):
    """The map is a fact about torch: after importing the module nothing of it is loaded, after the
    notebook's use of it all of it is (a newer torch may change this; then the map changes)."""
    use = {
        "torch.utils.flop_counter": "with FlopCounterMode(display=False): torch.nn.Conv2d(1, 1, 1)(torch.zeros(1, 1, 2, 2))",
        "dlweek8.lstm": "import numpy as np, dlweek8.lstm as L; r = np.random.default_rng(1); c = L.random_cell(r, hidden_size=5, input_size=3); "
                        "L.autograd_jacobians(c, *L.random_state(r, c))",
        "dlweek8.training": "import contextlib, io, dlweek8.training as T; s = T.Setting(T=10, steps=2, batch=4, hidden=4)\n"
                            "with contextlib.redirect_stdout(io.StringIO()):  # the progress bar's text\n"
                            "    T.loss_figure(T.run_experiment(s, names=['LSTM b_f=0'])); T.ratio_figure(s)",
    }[module]
    script = (f"import sys, torch\nfrom {module} import *\nlater = {discover.LOADED_ON_FIRST_USE[module]!r}\n"
              f"before = [m for m in later if m in sys.modules]\n{use}\nprint(before, [m for m in later if m not in sys.modules])")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["[]", "[]"], done.stdout + done.stderr


# -- issue 10: what counts, what is kept, what is refused ------------------------------------------


def test_only_the_notebooks_own_top_level_check_calls_count():
    sources = [
        'dlweek8.check("conv.size_78x84", right)',
        'if False:\n    dlweek8.check("conv.size_78x84", dead)',
        'def later():\n    dlweek8.check("conv.size_78x84", inner)',
        'f = lambda: dlweek8.check("conv.size_78x84", lazy)',
    ]
    assert discover.answers_by_id(sources) == {"conv.size_78x84": "right"}


def _junk_folder(tmp_path) -> Path:
    folder = tmp_path / "subs"
    folder.mkdir()
    for name in ("a.ipynb", "b.ipynb"):
        (folder / name).write_bytes(b"not a notebook")
    return folder


def _conv_assignment():
    return discover.Assignment("solutions/02_conv_arithmetic.ipynb", {"conv.size_78x84": "size_78x84"})


def test_resume_keeps_the_rows_already_graded(tmp_path):
    folder, out = _junk_folder(tmp_path), tmp_path / "out"
    out.mkdir()
    report.write_results(out / report.RESULTS, [report.Row("a.ipynb", notes=["graded before"])])
    _, rows = batch.grade([folder], out, assignment=_conv_assignment(), progress=False, sandboxed=False, resume=True)
    by_name = {r.submission: r for r in rows}
    assert by_name["a.ipynb"].notes == ["graded before"] and "not graded" in by_name["b.ipynb"].notes[0]
    _, rows = batch.grade([folder], out, assignment=_conv_assignment(), progress=False, sandboxed=False)
    assert all("not graded" in r.notes[0] for r in rows)  # without --resume, everything again


def test_without_a_sandbox_grade_refuses_in_one_line_and_no_sandbox_says_so_everywhere(tmp_path, capsys, monkeypatch):
    folder = _junk_folder(tmp_path)
    from dlweek8.instructor.grading import sandbox

    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "no sandbox: bubblewrap is not installed; install it")
    assert cli.main(["grade", str(folder), "--out", str(tmp_path / "out"), "--assignment", str(ROOT / "notebooks" / "02_conv_arithmetic.ipynb")]) == 1
    printed = capsys.readouterr().out
    assert printed.startswith("grade: no sandbox: bubblewrap") and printed.count("\n") == 1
    assert not (tmp_path / "out").exists()
    batch.grade([folder], tmp_path / "out2", assignment=_conv_assignment(), progress=False, sandboxed=False)
    for path in [tmp_path / "out2" / "grades.csv", *sorted((tmp_path / "out2" / "feedback").iterdir()), tmp_path / "out2" / "run.json"]:
        assert "without a sandbox" in path.read_text(encoding="utf-8"), path


def test_the_event_stream_is_bounded_whatever_the_submission_writes():
    import threading

    read_end, write_end = os.pipe()

    def flood():
        try:
            for _ in range(200):
                os.write(write_end, b"x" * 2**20)  # 200 MB, no newline
        except OSError:
            pass
        finally:
            os.close(write_end)

    writer = threading.Thread(target=flood, daemon=True)
    writer.start()
    events = runner._Events(read_end)
    assert events.next(deadline=__import__("time").monotonic() + 30) is runner._END
    assert events.total <= protocol.MAX_EVENT_BYTES + 2**16
    os.close(read_end)
    writer.join(5)

