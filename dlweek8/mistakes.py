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

    def mistake_label(self, name: str, **numbers) -> str:
        """A short description of the mistake ``name``: the first sentence of its message."""
        text = self.mistake(name).text(**numbers)
        first = text.split(". ", 1)[0].rstrip(".")
        word = first.split(" ", 1)[0]
        plain_word = word.isalpha() and (word[1:].islower() or len(word) == 1)
        return first[:1].lower() + first[1:] if plain_word else first

    def tell_apart(self, names: list[str], **numbers) -> tuple[str, tuple]:
        """(a follow-up sentence, rows) that help tell the mistakes ``names`` apart: here, each one's own
        counter-example, numbered as in the message (a kind of question may find one case for all)."""
        rows = tuple(
            (f"({n}) {label}", text)
            for n, name in enumerate(names, 1)
            for label, text in self.mistake(name).example
        )
        return "Which one is yours? Compare your working with each; their counter-examples are below.", rows

    def named_all(self, names, *, example=None, score=None, **numbers):
        """Feedback for every mistake in ``names`` that the answer fits: :meth:`named` when there is one;
        with several, a message that lists them all and asks the follow-up that tells them apart
        (``Feedback.mistakes`` holds them all, ``Feedback.mistake`` the first). Never names just one of several."""
        names = list(dict.fromkeys(names))
        if len(names) == 1:
            return self.named(names[0], example=example, score=score, **numbers)
        listing = "; ".join(f"({n}) {self.mistake_label(name, **numbers)}" for n, name in enumerate(names, 1))
        follow_up, rows = self.tell_apart(names, **numbers)
        message = f"Your answer fits {len(names)} mistakes, which give the same value with these numbers: {listing}. {follow_up}"
        rows = (tuple(example) if example is not None else ()) + rows
        return self.wrong(message, mistake=names[0], mistakes=tuple(names), example=rows, score=score)
