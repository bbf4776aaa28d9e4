"""Named mistakes, the same shape in every topic: one object per mistake holds its message and its example.

A question class lists the mistakes it can name in ``mistakes`` ({name: :class:`Mistake`}) and
turns one into feedback with ``named(name)``. A message may hold ``{placeholders}`` for numbers
known only when judging (``named("h-only-product", gap="98%")``); other braces, as in
``h_{t−1}``, are left alone. The wrong answer that makes each mistake lives in the instructor's
catalogue (``dlweek8/instructor/references/<topic>.py``), keyed by the same name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    """What a named mistake gets wrong (``message``) and a counter-example with other numbers (``example``).

    ``example`` holds (label, text) rows; ``evidence`` holds what the tests rebuild the
    counter-example from (e.g. the PyTorch code, the input shape and the value it gives).
    """

    message: str
    example: tuple = ()
    evidence: tuple = ()

    def text(self, **numbers) -> str:
        """The message with each ``{name}`` replaced by ``numbers[name]``."""
        message = self.message
        for name, value in numbers.items():
            message = message.replace("{" + name + "}", str(value))
        return message


class NamesMistakes:
    """For a question class: ``mistakes`` maps each mistake name it can give to its :class:`Mistake`."""

    mistakes: dict = {}

    def mistake(self, name: str) -> Mistake:
        """The mistake called ``name`` (a topic may add mistakes shared by several kinds of question)."""
        return self.mistakes[name]

    def named(self, name: str, *, example=None, score=None, **numbers):
        """Feedback for the mistake ``name``: its message with ``numbers`` filled in, and its counter-example,
        or the rows ``example`` instead (e.g. the entry of the student's own output that is off)."""
        found = self.mistake(name)
        rows = found.example if example is None else tuple(example)
        return self.wrong(found.text(**numbers), mistake=name, example=rows, score=score)
