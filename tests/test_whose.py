"""Whose numbers judge a submission (the roster's id, else its folder's name), the id a notebook sets for itself,
and whose numbers a wrong answer fits instead (issue 22, item 2). No kernel runs here; the real batch through the
grade CLI is tests/test_roster_grading.py."""

from __future__ import annotations

import pytest

from dlweek8 import plain, variants
from dlweek8.instructor import solutions
from dlweek8.instructor.grading import gradebook, whose

GRADED = variants.graded_ids()


@pytest.mark.parametrize("sources, found", [
    (['import dlweek8\ndlweek8.student("s1")'], "s1"),
    (["from dlweek8 import student\nstudent('s2')", 'dlweek8.student("s3")'], "s3"),  # the last one set wins, as in the kernel
    (["dlweek8.student(...)", "dlweek8.student(name)", "dlweek8.student(' ')", "x = 1"], None),  # none, a variable, a blank
    (["def broken(:"], None),
])
def test_the_id_a_notebook_sets_is_read_from_its_code(sources, found):
    assert whose.notebook_id(sources) == found


def test_an_answer_for_the_notes_or_the_notebooks_own_id_is_named_and_any_other_wrong_answer_is_not():
    qid = GRADED[0]
    graded_as = whose.Whose("s2", whose.FROM_ROSTER, notebook_id="s1")

    def reply(value):
        return {"value": plain.encode(value)}

    assert whose.fits_other(qid, reply(solutions.answer(qid, "s1")), graded_as) == "s1"
    assert whose.fits_other(qid, reply(solutions.answer(qid)), graded_as) is None  # the notes' numbers
    assert whose.fits_other(qid, reply(solutions.answer(qid, "s3")), graded_as) is whose.NOBODY
    assert whose.fits_other(qid, {"missing": "no check call"}, graded_as) is whose.NOBODY


def test_the_id_is_the_rosters_else_the_folders_and_says_where_it_came_from():
    roster = gradebook.parse_roster("submission,student_id,email\nalice,s100,a@x\nerin,,e@x\n")
    assert whose.student_of("alice/nb.ipynb", roster) == ("s100", whose.FROM_ROSTER)
    assert whose.student_of("erin/nb.ipynb", roster) == ("erin", whose.FROM_FOLDER_NO_ID)
    assert whose.student_of("bob/nb.ipynb", roster) == ("bob", whose.FROM_FOLDER_NO_ENTRY)
    assert whose.student_of("mallory/alice.ipynb", roster) == ("mallory", whose.FROM_FOLDER_NO_ENTRY)  # never Alice's numbers
    assert whose.student_of("frank.ipynb", None) == ("frank", whose.FROM_FOLDER)
