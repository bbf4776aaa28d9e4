"""Question types and the judging pipeline shared by notebooks, widgets and the grader.

A *value question* judges plain data (see :mod:`dlweek8.plain`).  A *function
question* is judged in three separate steps, so that the grader can run the
middle one inside a submission's kernel and the other two in its own process:

1. :class:`Cases`: probe inputs with the outputs expected of a right answer and of each
   named mistake. In a notebook these are the *public* cases, stored as plain data in
   ``dlweek8/checks/probes/<question id>.json``; the grader adds hidden cases computed from
   the instructor's references (:mod:`dlweek8.instructor.solutions`), flagged ``hidden``: no
   feedback shows their inputs or outputs;
2. the call: :func:`dlweek8.untrusted.call_each` runs the student's function on the probes;
3. ``judge_calls(question, cases, outcomes)``: the verdict, from plain outcomes only.

The student build holds no reference for a function answer: only the stored outputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import plain, untrusted
from .feedback import Feedback
from .names import CORRECT, INCORRECT, INVALID, UNANSWERED

#: Where the public cases of function questions are stored (written by ``python -m dlweek8 store-probes``).
PROBES_DIR = Path(__file__).resolve().parent / "checks" / "probes"

#: What ``to_plain`` makes of ``...``, the blank left in a student edition.
BLANK = plain.Unsupported("ellipsis")


@dataclass(frozen=True)
class Field:
    """One input of an answer widget: ``kind`` is "int", "float", "set" (whole numbers, as many as the student
    types), "bool" or "choice"."""

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

    def wrong(self, message: str, *, mistake: str | None = None, example=(), score: float | None = None, mistakes=()) -> Feedback:
        """An incorrect verdict; ``mistakes`` lists every named mistake the answer fits (``mistake`` is the first)."""
        return Feedback(self.id, INCORRECT, message, tuple(example), tuple(self.hints), mistake, score, tuple(mistakes))

    def invalid(self, message: str, example=()) -> Feedback:
        return Feedback(self.id, INVALID, message, tuple(example), tuple(self.hints))

    def unanswered(self, message: str = "Replace the ... with your answer, then run this cell again.") -> Feedback:
        """No answer yet: no hints either (they come with the feedback on an attempt, or from ``dlweek8.hint``)."""
        return Feedback(self.id, UNANSWERED, message, (), ())


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

    def fields_for(self, answer) -> list:
        """Widget field values that stand for ``answer`` (the inverse of :meth:`from_fields`)."""
        return list(answer) if isinstance(answer, (tuple, list)) else [answer]

    def variant(self, seed) -> "ValueQuestion | None":
        """The same skill with other numbers, reproducible from ``seed``; None if not offered."""
        return None


@dataclass(frozen=True)
class Cases:
    """Probe inputs, the right output for each, and each named mistake's output for each.

    ``hidden`` flags the probes that only the grader has (one bool per probe; empty: none are):
    feedback never shows a hidden probe's input or output (see :func:`judge_calls`).
    """

    probes: tuple = ()  # argument tuples (plain data)
    expected: tuple = ()  # the right output per probe
    mistakes: dict = field(default_factory=dict)  # mistake name -> its output per probe
    hidden: tuple = ()  # per probe: True if only the grader has it

    def __add__(self, other: "Cases") -> "Cases":
        names = self.mistakes.keys() & other.mistakes.keys()
        return Cases(
            self.probes + other.probes,
            self.expected + other.expected,
            {name: self.mistakes[name] + other.mistakes[name] for name in self.mistakes if name in names},
            self.flags() + other.flags(),
        )

    def flags(self) -> tuple:
        """One bool per probe: whether it is hidden."""
        return tuple(self.hidden) if self.hidden else (False,) * len(self.probes)

    def as_hidden(self) -> "Cases":
        """The same cases, every one flagged hidden."""
        return Cases(self.probes, self.expected, self.mistakes, (True,) * len(self.probes))

    def subset(self, indices) -> "Cases":
        """The cases at ``indices``, in that order."""
        flags = self.flags()
        return Cases(
            tuple(self.probes[i] for i in indices),
            tuple(self.expected[i] for i in indices),
            {name: tuple(outputs[i] for i in indices) for name, outputs in self.mistakes.items()},
            tuple(flags[i] for i in indices),
        )

    def to_json(self) -> str:
        return plain.dumps({"probes": [list(p) for p in self.probes], "expected": list(self.expected), "mistakes": self.mistakes})

    @classmethod
    def from_json(cls, text: str) -> "Cases":
        data = plain.loads(text)
        return cls(
            tuple(tuple(p) for p in data["probes"]),
            tuple(data["expected"]),
            {name: tuple(outputs) for name, outputs in data["mistakes"].items()},
        )


class FunctionQuestion(Question):
    """A question answered with a function; see the module docstring for the three steps."""

    #: Shown in messages, e.g. ``f(n, k, s=1, p=0, d=1) -> int``.
    signature: str = ""
    #: Functions of this package that compute the answer (``"dlweek8.conv.output_size"``): an
    #: answer that calls one of them gets no credit.
    own_work: tuple[str, ...] = ()

    def public_cases(self) -> Cases:
        """The stored public cases (cached): what a notebook check judges against."""
        cached = self.__dict__.get("_public_cases")
        if cached is None:
            cached = self.__dict__["_public_cases"] = Cases.from_json((PROBES_DIR / f"{self.id}.json").read_text(encoding="utf-8"))
        return cached

    def probes(self) -> list[tuple]:
        """The public probe inputs."""
        return list(self.public_cases().probes)

    def describe_probe(self, args: tuple) -> str:
        return ", ".join(plain.describe(plain.to_plain(a)) for a in args)

    def judge(self, cases: Cases, outcomes: list[untrusted.Outcome]) -> Feedback:
        """Verdict when every call returned a value. Subclasses implement."""
        raise NotImplementedError

    def not_own_work(self, name: str) -> Feedback:
        """No credit for an answer that is, or calls, one of this package's functions."""
        return self.wrong(
            f"Your function uses dlweek8's own `{name}`, which gets no credit: write the computation yourself.",
            mistake="package-function",
        )


def judge_value(question: ValueQuestion, answer) -> Feedback:
    """Verdict on a plain answer; never raises."""
    if _is_blank(answer) or (isinstance(answer, list) and any(_is_blank(a) for a in answer)):
        return question.unanswered()
    if answer is None:
        return question.invalid("Your answer is None. Assign a value (did a function forget to return?).")
    return _guarded(question, question.judge, answer)


def judge_calls(question: FunctionQuestion, cases: Cases, outcomes) -> Feedback:
    """Verdict on the outcomes of calling a student's function on ``cases.probes``; never raises.

    The public cases are judged first, with examples as usual. Only when they all pass do the
    hidden ones count: then the feedback says how many failed and which named mistakes they
    fit, never their inputs or outputs.
    """
    if outcomes and outcomes[0].error_type == "NotImplementedError":
        return question.unanswered("Replace `raise NotImplementedError` with your code, then run this cell again.")
    if len(outcomes) != len(cases.probes):
        return question.invalid(f"The checker got {len(outcomes)} results for {len(cases.probes)} inputs; please tell your instructor.")
    used = next((name for outcome in outcomes for name in outcome.calls if name in question.own_work), None)
    if used:
        return question.not_own_work(used)
    flags = cases.flags()
    shown = [n for n, hidden in enumerate(flags) if not hidden]
    hidden = [n for n, is_hidden in enumerate(flags) if is_hidden]
    if not hidden:
        return _judge_shown(question, cases, outcomes)
    if shown:
        verdict = _judge_shown(question, cases.subset(shown), [outcomes[n] for n in shown])
        if verdict.status != CORRECT:
            return verdict
    failing = [n for n in hidden if not _passes(question, cases.subset([n]), outcomes[n])]
    if not failing:
        return _judge_shown(question, cases, outcomes)
    return _hidden_failures(question, cases.subset(failing), [outcomes[n] for n in failing], len(shown), len(hidden))


def _judge_shown(question: FunctionQuestion, cases: Cases, outcomes) -> Feedback:
    """The verdict on cases whose inputs and outputs the feedback may show."""
    for args, outcome in zip(cases.probes, outcomes, strict=True):
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
    return _guarded(question, question.judge, cases, outcomes)


def _passes(question: FunctionQuestion, case: Cases, outcome) -> bool:
    """Whether the answer is right on one case."""
    return not outcome.timed_out and outcome.error is None and _guarded(question, question.judge, case, [outcome]).status == CORRECT


def _hidden_failures(question: FunctionQuestion, failing: Cases, outcomes, shown: int, hidden: int) -> Feedback:
    """Feedback on hidden cases that fail: how many, and the named mistakes they fit; no input or output."""
    message = (f"Your function is right on the {shown} public cases but not on {len(outcomes)} of the {hidden} hidden cases the "
               "grader adds (other sizes and values; their inputs and outputs are not shown).")
    errors = sorted({outcome.error_type or "an error" for outcome in outcomes if outcome.error is not None})
    verdict = None if errors else _guarded(question, question.judge, failing, outcomes)
    names = () if verdict is None else tuple(name for name in verdict.mistakes if name != "package-function")
    if errors:
        message += f" On them it raised {', '.join(errors)} or did not finish."
    elif names:
        listing = "; ".join(f"({n}) {_label(question, name)}" for n, name in enumerate(names, 1))
        message += f" There it fits the named mistake {listing[4:]}." if len(names) == 1 else f" There it fits {len(names)} named mistakes: {listing}."
    elif verdict.status == INVALID:
        message += " On them it returned no valid answer (None, another type or another shape)."
    else:
        message += " No named mistake fits them."
    message += " Test your function on inputs of your own, of other sizes too."
    return question.wrong(message, mistake=names[0] if names else None, mistakes=names)


#: A ``{placeholder}`` for a number known only when judging a case.
_PLACEHOLDER = re.compile(r"\{[A-Za-z_]\w*\}")


def _label(question, name: str) -> str:
    """“name”: a short description of a named mistake, with no number of a case in it."""
    try:
        label = question.mistake_label(name)
        if _PLACEHOLDER.search(label):
            sentences = re.split(r"(?<=\.)\s+", question.mistake(name).message)
            label = next((s.rstrip(".") for s in sentences if not _PLACEHOLDER.search(s)), "")
    except Exception:  # noqa: BLE001 - a kind without labels
        label = ""
    return f"“{name}”: {label}" if label else f"“{name}”"


def package_function(answer) -> str | None:
    """The dotted name of ``answer`` if it is one of this package's own functions (or wraps one)."""
    seen = 0
    while seen < 10:
        inner = getattr(answer, "func", None) or getattr(answer, "__wrapped__", None) or getattr(answer, "__func__", None)
        if inner is None:
            break
        answer, seen = inner, seen + 1
    try:
        module = getattr(answer, "__module__", None)
        name = getattr(answer, "__qualname__", None) or getattr(answer, "__name__", "?")
    except Exception:  # noqa: BLE001 - a hostile object's attribute access
        return None
    if isinstance(module, str) and (module == "dlweek8" or module.startswith("dlweek8.")):
        return f"{module}.{name}"
    return None


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
            return judge_non_function(question, untrusted.to_plain_within(answer))
        own = package_function(answer)
        if own:
            return question.not_own_work(own)
        cases = question.public_cases()
        return judge_calls(question, cases, untrusted.call_each(answer, cases.probes, watch=question.own_work))
    return judge_value(question, untrusted.to_plain_within(answer))


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
