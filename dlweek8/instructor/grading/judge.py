"""Verdicts from what a kernel reported, computed in the grader's own process with the pristine checks.

A function answer is judged on the public cases and on hidden ones that the student build does
not contain (:func:`dlweek8.instructor.solutions.graded_cases`): a function fitted to the public
probes fails here.
"""

from __future__ import annotations

import functools

from ... import checks, plain, question as q, untrusted
from ...feedback import Feedback
from ...question import Cases, FunctionQuestion
from .. import solutions


@functools.lru_cache(maxsize=None)
def graded_cases(question_id: str) -> Cases:
    """The cases a function answer is graded on (computed once per process)."""
    return solutions.graded_cases(checks.get(question_id))


def graded_probes(question_id: str) -> list:
    """The argument lists a function answer is called on in the sandbox (public and hidden; a job carries them)."""
    return list(graded_cases(question_id).probes)


def is_function_question(question_id: str) -> bool:
    return isinstance(checks.get(question_id), FunctionQuestion)


def asked_of(question_id: str, student: str | None):
    """The question as ``student`` was asked it (their variant); the notes' numbers for None."""
    from ... import variants

    return checks.get(question_id) if student is None else variants.question_for(question_id, student)


def parse_reply(reply) -> dict:
    """The reply the sandbox sent for one question (decoded, unchecked), if it is a one-key object; else ValueError."""
    if not isinstance(reply, dict) or len(reply) != 1:
        raise ValueError("not a one-key object")
    return reply


def verdict(question_id: str, reply: dict | None, missing_reason: str | None = None, student: str | None = None) -> Feedback:
    """Judge one question from its reply (see :mod:`dlweek8.kernel_side`), against ``student``'s numbers; never raises."""
    question = asked_of(question_id, student)
    if reply is None:
        return question.invalid(f"No answer could be read: {missing_reason or 'the grading cell printed nothing'}.")
    try:
        return _verdict(question, reply)
    except Exception as exc:  # noqa: BLE001 - malformed data from a kernel must not stop the batch
        return question.invalid(f"The answer came back in a form the grader cannot read ({untrusted.one_line(exc)}).")


def _verdict(question, reply: dict) -> Feedback:
    if "missing" in reply:
        return question.invalid(f"No answer found: {reply['missing']}.")
    if "error" in reply:
        return question.invalid(f"No answer could be read: {reply['error']}.")
    if "package_function" in reply:
        if not isinstance(question, FunctionQuestion):
            raise ValueError("a package function for a value question")
        return question.not_own_work(str(reply["package_function"]))
    if "outcomes" in reply:
        if not isinstance(question, FunctionQuestion):
            raise ValueError("outcomes for a value question")
        cases = graded_cases(question.id)
        outcomes = [untrusted.Outcome.from_json(o) for o in reply["outcomes"]]
        if len(outcomes) != len(cases.probes):
            raise ValueError(f"{len(outcomes)} outcomes for {len(cases.probes)} probes")
        return q.judge_calls(question, cases, outcomes)
    if "value" not in reply:
        raise ValueError("no value")
    value = plain.decode(reply["value"])
    if isinstance(question, FunctionQuestion):
        return q.judge_non_function(question, value)
    return q.judge_value(question, value)
