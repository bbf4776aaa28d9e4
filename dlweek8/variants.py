"""Each student's own numbers: the variant of every graded value question that their id picks.

A graded value question (a value question of a notebook's check cells, not of the self-test,
that offers variants) is asked with numbers drawn from the seed ``salt/student id/question
id`` (:mod:`dlweek8.student_id`). With no id, it keeps the notes' numbers. A draw is kept only
when its catalogued mistakes give values that differ from each other and from the right one
(so a wrong answer names one mistake) and no size comes out below 2; otherwise the next draw
of the same seed is tried.
"""

from __future__ import annotations

import dataclasses
import functools

from . import checks, student_id
from .question import ValueQuestion

#: How many draws of one seed are tried before the first usable one is taken anyway.
ATTEMPTS = 100


def graded(question) -> bool:
    """Whether ``question`` is a graded value question with per-student numbers."""
    return _offers(question.id) and checks.get(question.id) is question


@functools.lru_cache(maxsize=None)
def _offers(question_id: str) -> bool:
    question = checks.get(question_id)
    return isinstance(question, ValueQuestion) and ".quiz_" not in question_id and question.variant(0) is not None


def graded_ids() -> list[str]:
    """Ids of the graded value questions, in notebook order."""
    return [q.id for q in checks.all_questions() if graded(q)]


def question_for(question_id: str, student: str | None = ...):
    """The question as ``student`` (default: the current student) is asked it; the notes' own without an id."""
    base = checks.get(question_id)
    who = student_id.current() if student is ... else student_id.clean(student)
    if who is None or not _offers(question_id):
        return base
    return _drawn(question_id, student_id.salt(), who)


@functools.lru_cache(maxsize=4096)
def _drawn(question_id: str, salt: str, who: str):
    base = checks.get(question_id)
    first = None
    for attempt in range(ATTEMPTS):
        seed = student_id.seed(question_id, who) + (f"#{attempt}" if attempt else "")
        drawn = base.variant(seed)
        if drawn is None:
            continue
        first = first or drawn
        if fair(drawn) and not _takes_notes_answer(drawn, base):
            return drawn
    return first or base


def _takes_notes_answer(drawn, base) -> bool:
    """Whether the notes' right answer is also right for ``drawn`` (then the notes would answer it)."""
    from . import plain

    notes = _right(base)
    if notes is None:
        return False
    try:
        return drawn.judge(plain.to_plain(sorted(notes) if isinstance(notes, frozenset) else notes)).status == "correct"
    except Exception:  # noqa: BLE001 - a judge that cannot read the form: no evidence either way
        return False


def fair(question) -> bool:
    """No two catalogued mistakes give the same wrong value, no output size below 2, no stack of fewer than 4 layers."""
    candidates = getattr(question, "candidates", None)
    if candidates is not None:
        right = _right(question)
        seen: dict = {}
        for name, value in candidates():
            if value is None or value == right:
                continue
            key = repr(value)
            if seen.setdefault(key, name) != name:
                return False
    if 0 < len(getattr(question, "layers", ())) < 4:  # shorter stacks: too few widths, students would share them
        return False
    return min(_output_sizes(question), default=2) >= 2


def _output_sizes(question) -> list:
    """The spatial output sizes a question's numbers give (empty if it has none)."""
    layer = getattr(question, "layer", None)
    if layer is not None:
        return list(layer.output_hw)
    if hasattr(question, "_out_hw"):
        return list(question._out_hw())
    if hasattr(question, "size") and hasattr(question, "kernel_size"):
        return list(_right(question) or ())
    return []


def _right(question):
    """A value question's right answer, computed by its check from its numbers (None if it computes none)."""
    compute = getattr(question, "_right_answer", None)
    try:
        return compute() if compute is not None else None
    except NotImplementedError:
        return None


def numbers(question) -> dict:
    """A question's own numbers, as a dict (a layer's fields spread out)."""
    found = {}
    for name, value in vars(question).items():
        if name in ("id", "prompt") or name.startswith("_"):
            continue
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            found.update(dataclasses.asdict(value))
        else:
            found[name] = value
    return found


def variant(question_id: str) -> dict:
    """The current student's numbers for ``question_id`` (the notes' numbers while no id is set)."""
    return numbers(question_for(question_id))


class YourNumbers:
    """What a notebook shows at a graded question: whose numbers it asks with, and the question with them."""

    def __init__(self, question_id: str):
        self.question_id = question_id
        who = student_id.current()
        question = question_for(question_id)
        if who is None:
            self.text = f"The notes' numbers (no student id is set): {question.prompt} {student_id.HOW_TO}"
        else:
            self.text = f"Your numbers (student {who}): {question.prompt}"

    def __repr__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        head, _, rest = self.text.partition(": ")
        return f"**{head}:** {rest}"


def your_numbers(question_id: str) -> YourNumbers:
    """Show the question ``question_id`` with the current student's numbers (or say they are the notes')."""
    return YourNumbers(question_id)
