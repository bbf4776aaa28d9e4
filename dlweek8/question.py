"""Question types and the judging pipeline shared by notebooks, widgets and the grader.

A *value question* judges plain data (see :mod:`dlweek8.plain`).  A *function
question* is judged in three separate steps, so that the grader can run the
middle one inside a submission's kernel and the other two in its own process:

1. ``probes()``: deterministic inputs (plain data);
2. the call: :func:`dlweek8.untrusted.call_each` runs the student's function;
3. ``judge_calls(question, probes, outcomes)``: the verdict, from plain outcomes only.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import plain, untrusted
from .feedback import CORRECT, INCORRECT, INVALID, UNANSWERED, Feedback

#: What ``to_plain`` makes of ``...``, the blank left in a student edition.
BLANK = plain.Unsupported("ellipsis")


@dataclass(frozen=True)
class Field:
    """One input of an answer widget: ``kind`` is "int", "float", "bool" or "choice"."""

    label: str
    kind: str = "int"
    options: tuple = ()  # for "choice": ((label, value), ...)


class Question:
    """Base: an id, a one-line prompt and one or two hints."""

    id: str = ""
    prompt: str = ""
    hints: tuple[str, ...] = ()

    # Feedback constructors that fill in the id and the hints.
    def correct(self, message: str, example=()) -> Feedback:
        return Feedback(self.id, CORRECT, message, tuple(example), tuple(self.hints))

    def wrong(self, message: str, *, mistake: str | None = None, example=(), score: float | None = None) -> Feedback:
        return Feedback(self.id, INCORRECT, message, tuple(example), tuple(self.hints), mistake, score)

    def invalid(self, message: str, example=()) -> Feedback:
        return Feedback(self.id, INVALID, message, tuple(example), tuple(self.hints))

    def unanswered(self, message: str = "Replace the ... with your answer, then run this cell again.") -> Feedback:
        return Feedback(self.id, UNANSWERED, message, (), tuple(self.hints))


class ValueQuestion(Question):
    """A question answered with a value (a number, a tuple, a set, a bool...)."""

    #: How an answer widget asks for the value; empty means "code only".
    fields: tuple[Field, ...] = ()

    def judge(self, answer) -> Feedback:
        """Verdict on a plain, non-blank answer. Subclasses implement."""
        raise NotImplementedError

    def from_fields(self, values: list):
        """Turn the widget's field values into an answer."""
        return values[0] if len(values) == 1 else tuple(values)

    def solution_fields(self) -> list:
        """Widget field values of a right answer (used by tests and browser tests)."""
        raise NotImplementedError

    def variant(self, seed) -> "ValueQuestion | None":
        """The same skill with other numbers, reproducible from ``seed``; None if not offered."""
        return None


class FunctionQuestion(Question):
    """A question answered with a function; see the module docstring for the three steps."""

    #: Shown in messages, e.g. ``f(n, k, s=1, p=0, d=1) -> int``.
    signature: str = ""

    def probes(self) -> list[tuple]:
        """Deterministic argument tuples (plain data) to call the answer with."""
        raise NotImplementedError

    def describe_probe(self, args: tuple) -> str:
        return ", ".join(plain.describe(plain.to_plain(a)) for a in args)

    def judge(self, probes: list[tuple], outcomes: list[untrusted.Outcome]) -> Feedback:
        """Verdict when every call returned a value. Subclasses implement."""
        raise NotImplementedError


def judge_value(question: ValueQuestion, answer) -> Feedback:
    """Verdict on a plain answer; never raises."""
    if _is_blank(answer) or (isinstance(answer, list) and any(_is_blank(a) for a in answer)):
        return question.unanswered()
    if answer is None:
        return question.invalid("Your answer is None. Assign a value (did a function forget to return?).")
    return _guarded(question, question.judge, answer)


def judge_calls(question: FunctionQuestion, probes, outcomes) -> Feedback:
    """Verdict on the outcomes of calling a student's function on ``probes``; never raises."""
    if outcomes and outcomes[0].error_type == "NotImplementedError":
        return question.unanswered("Replace `raise NotImplementedError` with your code, then run this cell again.")
    for args, outcome in zip(probes, outcomes):
        if outcome.timed_out:
            return question.invalid(
                f"Your function {outcome.error}. Check the loop conditions.",
                example=(("inputs", question.describe_probe(args)),),
            )
        if outcome.error is not None:
            return question.invalid(
                f"Your function raised {outcome.error}.",
                example=(("inputs", question.describe_probe(args)),),
            )
    return _guarded(question, question.judge, probes, outcomes)


def _is_blank(value) -> bool:
    return isinstance(value, plain.Unsupported) and value == BLANK


def judge_non_function(question: FunctionQuestion, value) -> Feedback:
    """Verdict when a function question got a plain value instead of a function."""
    if _is_blank(value):
        return question.unanswered()
    return question.invalid(f"Expected a function {question.signature}, got {plain.describe(value)}.")


def evaluate(question: Question, answer) -> Feedback:
    """Judge a raw answer in this process: the whole pipeline behind ``dlweek8.check``."""
    if answer is Ellipsis:
        return question.unanswered()
    if isinstance(question, FunctionQuestion):
        if not callable(answer):
            return judge_non_function(question, plain.to_plain(answer))
        probes = question.probes()
        return judge_calls(question, probes, untrusted.call_each(answer, probes))
    return judge_value(question, plain.to_plain(answer))


def _guarded(question: Question, judge, *args) -> Feedback:
    try:
        feedback = judge(*args)
    except Exception as exc:  # noqa: BLE001 - a checker bug must not reach the student
        return question.invalid(
            f"The checker could not judge this answer ({untrusted.one_line(exc)}). "
            "Check its form against the question, or tell your instructor."
        )
    if not isinstance(feedback, Feedback):
        return question.invalid("The checker returned no verdict; please tell your instructor.")
    return feedback
