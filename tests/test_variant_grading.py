"""Grading against the roster's id: a value answer is judged with that student's numbers (issue 22, item 2).

These judge replies as the kernel sends them (no kernel runs here): Alice's answers get full
credit under her id, the same answers copied under Mallory's id only where the variants
coincide, and the notes' answers nothing for a student with an id.
"""

from __future__ import annotations

from dlweek8 import plain, variants
from dlweek8.feedback import CORRECT
from dlweek8.instructor import solutions
from dlweek8.instructor.grading import gradebook, judge, whose


def _reply(value) -> dict:
    return {"value": plain.encode(value)}


def test_alice_full_credit_mallory_copying_only_the_coinciding_share_notes_answers_zero():
    graded = variants.graded_ids()
    alice = {qid: _reply(solutions.answer(qid, "alice-1")) for qid in graded}
    assert all(judge.verdict(qid, alice[qid], None, "alice-1").status == CORRECT for qid in graded)
    copied = sum(judge.verdict(qid, alice[qid], None, "mallory-2").status == CORRECT for qid in graded)
    coinciding = sum(repr(solutions.answer(qid, "alice-1")) == repr(solutions.answer(qid, "mallory-2")) for qid in graded)
    assert copied <= coinciding + 1  # +1: the forget bias accepts a small window around the right value
    assert copied <= len(graded) // 5
    notes = {qid: _reply(solutions.answer(qid)) for qid in graded}
    assert not any(judge.verdict(qid, notes[qid], None, "alice-1").status == CORRECT for qid in graded)
    assert all(judge.verdict(qid, notes[qid]).status == CORRECT for qid in graded)


def test_the_id_comes_from_the_roster_else_the_folder_name():
    roster = gradebook.parse_roster("submission,student_id\nalice,s100\n")
    assert whose.student_of("alice/02_conv_arithmetic.ipynb", roster) == ("s100", "the roster")
    assert whose.student_of("bob/02_conv_arithmetic.ipynb", roster)[0] == "bob"
    assert "folder" in whose.student_of("bob/02_conv_arithmetic.ipynb", None)[1]
