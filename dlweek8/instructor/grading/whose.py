"""Whose numbers a submission is judged against, and whose numbers its answers fit instead.

A submission's graded value questions are judged against the numbers of its student id: the
roster's ``student_id`` with ``--roster``, else the name of the folder the submission is in
(its file stem when it is not in a folder). The id a notebook set for itself
(``dlweek8.student("...")``) never chooses the numbers; it only tells whose numbers a wrong
answer may have been copied from. An answer that is wrong for the submission's id but right for
the notebook's own id, or for the notes' numbers, scores 0 with a note that names both.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from ... import student_id
from ...feedback import Feedback
from ...names import INCORRECT
from . import gradebook, judge

#: The mistake name of an answer that fits someone else's numbers (counted in the class report).
OTHER_NUMBERS = "someone-elses-numbers"
FROM_ROSTER = "the roster"
FROM_FOLDER = "the submission's folder name"
FROM_FOLDER_NO_ENTRY = "the submission's folder name (no roster entry)"
FROM_FOLDER_NO_ID = "the submission's folder name (its roster entry has no student_id)"
#: The notice every output of a run without a roster repeats.
NO_ROSTER_NOTICE = ("graded without a roster: each submission was judged against the numbers of the student id its folder names "
                    "(alice/... is student alice), never the id a notebook set for itself")
#: What :func:`fits_other` returns when the answer fits nobody else's numbers either.
NOBODY = "nobody"
NOTES_NOTICE = "--notes-numbers: every submission was judged against the notes' numbers, not its student's own"


@dataclass(frozen=True)
class Whose:
    """The id a submission is judged as, where it came from, and the id its notebook set (None: none)."""

    student: str
    source: str
    notebook_id: str | None = None


def folder_id(name: str) -> str:
    """The id a submission's name gives: its first folder, else its file stem."""
    return name.split("/")[0].removesuffix(".ipynb")


def student_of(name: str, roster) -> tuple[str, str]:
    """(the student id whose numbers judge submission ``name``, where it came from): the roster's, else the folder's name."""
    if roster:
        for student, submission in gradebook.match(roster, [name]).pairs:
            if submission == name:
                return (student.student_id, FROM_ROSTER) if student.student_id else (folder_id(name), FROM_FOLDER_NO_ID)
        return folder_id(name), FROM_FOLDER_NO_ENTRY
    return folder_id(name), FROM_FOLDER


def notebook_id(sources) -> str | None:
    """The last literal id a notebook's code sets with ``dlweek8.student("...")`` (None if it sets none)."""
    found = None
    for source in sources:
        if "student" not in source:  # most cells: not parsed again
            continue
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and _names_student(node.func) and len(node.args) == 1
                    and isinstance(node.args[0], ast.Constant)):
                found = student_id.clean(node.args[0].value) or found
    return found


def _names_student(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "student") or (isinstance(func, ast.Attribute) and func.attr == "student")


def fits_other(question_id: str, reply: dict | None, whose: Whose) -> str | None:
    """Whose numbers a wrong answer fits instead of ``whose.student``'s: the notebook's own id, or None for the notes'
    (:data:`NOBODY`: neither)."""
    from ... import variants

    if not isinstance(reply, dict) or "value" not in reply or not variants.graded(judge.checks.get(question_id)):
        return NOBODY
    others = [whose.notebook_id] if whose.notebook_id and whose.notebook_id != whose.student else []
    for other in [*others, None]:
        if judge.verdict(question_id, reply, student=other).passed:
            return other
    return NOBODY


def other_numbers(found: Feedback, whose: Whose, other: str | None) -> Feedback:
    """The verdict on an answer that fits ``other``'s numbers (None: the notes'): 0 points, a message naming both ids."""
    theirs = f"student {other}'s numbers (the id this notebook set for itself)" if other else "the notes' numbers"
    message = (f"This answer is right for {theirs}, not for the numbers of student {whose.student}, which this submission "
               f"is graded with (id from {whose.source}): no credit.")
    return replace(found, status=INCORRECT, message=message, example=(), mistake=OTHER_NUMBERS, mistakes=(OTHER_NUMBERS,), score=0.0)


def note(question_id: str, whose: Whose, other: str | None) -> str:
    """The run note of an answer that fits someone else's numbers."""
    theirs = f"student {other} (the id the notebook set)" if other else "the notes (no id)"
    return f"{question_id}: answered with the numbers of {theirs}, not of student {whose.student}: 0 points"
