"""dlweek8: week 8 of Theory and Practice of Deep Learning (LSTM gradients, convolution arithmetic).

In a notebook, every autograded cell calls :func:`check`::

    import dlweek8
    dlweek8.student("s123")  # first cell: your id picks your numbers (else DLWEEK8_STUDENT, JUPYTERHUB_USER)
    dlweek8.check("conv.size_78x84", size_78x84)  # the name your answer cell assigns
"""

from __future__ import annotations

from .feedback import Feedback, unknown_question

__all__ = ["Feedback", "check", "questions", "hint", "student", "variant", "your_numbers"]
__version__ = "0.1.0"


def questions() -> list:
    """Every question of the week, in notebook order (each has ``.id``, ``.prompt``, ``.hints``)."""
    from . import checks

    return checks.all_questions()


def check(question_id, answer=...) -> Feedback:
    """Judge ``answer`` to the question ``question_id``; never raises."""
    from . import question, variants

    try:
        q = variants.question_for(question_id)
    except KeyError:
        from . import checks

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


def student(student_id=...):
    """Set your student id (``dlweek8.student("s123")``): the graded questions then ask with your own numbers."""
    from . import student_id as ids

    return ids.student(student_id)


def variant(question_id) -> dict:
    """The current student's numbers for a graded question (the notes' numbers while no id is set)."""
    from . import variants

    return variants.variant(question_id)


def your_numbers(question_id):
    """Show a graded question with the current student's numbers ("Your numbers (student s123): ...")."""
    from . import variants

    return variants.your_numbers(question_id)
