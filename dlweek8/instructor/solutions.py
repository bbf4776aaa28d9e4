"""The instructor's side of every question: its right answer, hidden probes and wrong answers.

Question ``TOPIC.NAME`` has its :class:`Solution` at ``dlweek8.instructor.references.TOPIC.NAME``.
From it come the public cases a notebook check judges against (stored as plain data in the
student build by ``python -m dlweek8 store-probes``) and the hidden cases only the grader uses.
"""

from __future__ import annotations

import copy
import importlib
import json
from pathlib import Path

from .. import checks, plain
from ..question import PROBES_DIR, Cases, FunctionQuestion, Question
from .references import Solution


def solution(question: Question | str) -> Solution:
    """The solution of a question (or question id); ``LookupError`` if it has none."""
    qid = question if isinstance(question, str) else question.id
    topic, _, name = qid.partition(".")
    module = importlib.import_module(f"{__package__}.references.{topic}")
    found = getattr(module, name, None)
    if not isinstance(found, Solution):
        raise LookupError(f"no Solution named {name} in {module.__name__}")
    return found


def as_student(answer):
    """A reference as a student would hand it in: their own function calling it (a value unchanged).

    The checks give no credit to dlweek8's own functions, references included.
    """
    if not callable(answer):
        return answer

    def student_answer(*args):
        return answer(*args)

    student_answer.__module__ = "__main__"  # defined in a notebook, as far as a check can tell
    return student_answer


def right_fields(question: Question) -> list:
    """Widget field values of a right answer to ``question``, or to one of its variants."""
    if checks.get(question.id) is question:
        return question.fields_for(solution(question).answer)
    topic = importlib.import_module(f"{__package__}.references.{question.id.partition('.')[0]}")
    if hasattr(topic, "variant_answer"):
        return question.fields_for(topic.variant_answer(question))
    from . import variant_answers

    return question.fields_for(variant_answers.value_answer(question))  # a conv variant: from its numbers


def _output(function, args: tuple):
    return plain.to_plain(function(*copy.deepcopy(args)))


def cases_for(question: FunctionQuestion, probes: list) -> Cases:
    """Expected outputs of the reference and of every wrong function in the catalogue, on ``probes``."""
    found = solution(question)
    probes = tuple(tuple(plain.to_plain(a) for a in args) for args in probes)
    return Cases(
        probes,
        tuple(_output(found.answer, args) for args in probes),
        {name: tuple(_output(wrong, args) for args in probes) for name, wrong in found.wrong.items() if callable(wrong)},
    )


def public_cases(question: FunctionQuestion) -> Cases:
    """The public cases, computed afresh from the references (what ``store`` writes)."""
    return cases_for(question, solution(question).public_probes())


def hidden_cases(question: FunctionQuestion) -> Cases:
    """Cases the student build does not contain: only the grader judges on them."""
    return cases_for(question, solution(question).hidden_probes()).as_hidden()


def graded_cases(question: FunctionQuestion) -> Cases:
    """What the grader judges a function answer on: the public cases, then the hidden ones."""
    return question.public_cases() + hidden_cases(question)


def function_questions() -> list[FunctionQuestion]:
    return [q for q in checks.all_questions() if isinstance(q, FunctionQuestion)]


def store(folder: Path = PROBES_DIR) -> list[Path]:
    """Write every function question's public cases to ``folder/<id>.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for question in function_questions():
        path = folder / f"{question.id}.json"
        path.write_text(public_cases(question).to_json() + "\n", encoding="utf-8")
        question.__dict__.pop("_public_cases", None)
        written.append(path)
    for question in sealed_questions():
        path = folder / f"{question.id}.json"
        path.write_text(json.dumps(sealed_feedback(question), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        question.__dict__.pop("_sealed", None)
        written.append(path)
    return written


def sealed_questions() -> list[Question]:
    """Questions whose right combination and feedback are stored sealed (claims with a reason)."""
    return [q for q in checks.all_questions() if hasattr(q, "sealed")]


def sealed_feedback(question: Question) -> dict:
    """The keyed, sealed feedback of a claims question, computed afresh from its references."""
    module = importlib.import_module(f"{__package__}.references.{question.id.partition('.')[0]}")
    return module.sealed_feedback(question)


def add_arguments(parser) -> None:
    parser.add_argument("--folder", type=Path, default=PROBES_DIR, help="where to write (default: the package's checks/probes)")


def run(args) -> int:
    for path in store(args.folder):
        print(f"wrote {path}")
    return 0


def answer(question_id: str, student: str | None = None):
    """The right answer to ``question_id`` for ``student``'s numbers (None: the notes' numbers)."""
    from .. import variants
    from . import variant_answers

    base = checks.get(question_id)
    asked = base if student is None else variants.question_for(question_id, student)
    if asked is base:
        return solution(base).answer
    return variant_answers.value_answer(asked)
