"""dlweek8: week 8 of Theory and Practice of Deep Learning (LSTM gradients, convolution arithmetic).

In a notebook, every autograded cell calls :func:`check`::

    import dlweek8
    dlweek8.check("conv.size_78x84", size_78x84)  # the name your answer cell assigns
"""

from __future__ import annotations

from .feedback import Feedback, unknown_question

__all__ = ["Feedback", "check", "questions", "hint"]
__version__ = "0.1.0"


def questions() -> list:
    """Every question of the week, in notebook order (each has ``.id``, ``.prompt``, ``.hints``)."""
    from . import checks

    return checks.all_questions()


def check(question_id, answer=...) -> Feedback:
    """Judge ``answer`` to the question ``question_id``; never raises."""
    from . import checks, question

    try:
        q = checks.get(question_id)
    except KeyError:
        return unknown_question(question_id, checks.question_ids())
    except Exception as exc:  # noqa: BLE001 - a broken topic module must not reach the student
        return Feedback(str(question_id), "invalid", f"The checks could not be loaded ({type(exc).__name__}: {exc}).")
    return question.evaluate(q, answer)


def hint(question_id, number: int = 1) -> str:
    """The ``number``-th hint of a question (1-based)."""
    from . import checks

    try:
        hints = checks.get(question_id).hints
    except KeyError:
        return f"There is no question {question_id!r}. Known ids: {', '.join(checks.question_ids())}."
    if 1 <= number <= len(hints):
        return hints[number - 1]
    return f"{question_id} has {len(hints)} hint(s)."
