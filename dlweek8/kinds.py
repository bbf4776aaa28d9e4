"""Kinds of question shared by every topic: one convention each for mistakes, variants, tolerance and statuses.

A topic module (``dlweek8/checks/<topic>.py``) holds data and thin subclasses of these kinds:

- **mistakes** are data: a class attribute ``mistakes`` ({name: :class:`~dlweek8.mistakes.Mistake`}), and
  for mistakes shared by several kinds of one topic, ``shared_mistakes`` of the same form;
- **variants** are drawn from a generator seeded by :func:`rng` (an int, or a student id through
  SHA-256), with at most ``draws`` attempts;
- **tolerance** is one method, ``close(a, b)``, with the class attributes ``rtol`` and ``atol``;
- **statuses** are those of :mod:`dlweek8.names`, through the constructors of :class:`~dlweek8.question.Question`.
"""

from __future__ import annotations

from .mistakes import Mistake, NamesMistakes
from .names import rng_from
from .question import ValueQuestion


# Value questions ---------------------------------------------------------------------------------
def rng(seed):
    """A numpy generator fixed by ``seed``: an int as it is, anything else (a student id) through SHA-256."""
    import numpy as np

    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(abs(int(seed)))
    return rng_from(seed)


class SharesMistakes(NamesMistakes):
    """Names its own ``mistakes`` and the ``shared_mistakes`` of its topic ({name: Mistake with a ``label``}),
    whose message starts by saying how this kind's answer used the shared mistake (``uses_shared``, with
    ``{label}``)."""

    shared_mistakes: dict = {}
    uses_shared = "This is what {label} gives."

    def _is_shared(self, name: str) -> bool:
        return name in self.shared_mistakes and name not in self.mistakes

    def mistake(self, name: str) -> Mistake:
        if not self._is_shared(name):
            return self.mistakes[name]
        shared = self.shared_mistakes[name]
        return Mistake(f"{self.uses_shared.replace('{label}', shared.label)} {shared.message}", shared.example)

    def mistake_label(self, name: str, **numbers) -> str:
        if self._is_shared(name):
            return self.shared_mistakes[name].label
        return super().mistake_label(name, **numbers)


class NamedMistakesValueQuestion(SharesMistakes, ValueQuestion):
    """A value question whose wrong answers are named from its numbers, with variants of its own.

    A subclass computes the right answer privately (``_right_answer``: no attribute holds it) and lists
    ``candidates()``, the answer each named mistake gives with these numbers; ``judge`` names every
    mistake an answer fits (``matching`` and ``named_all``). ``draw(rng)`` makes the same question on
    other numbers, and ``variant(seed)`` keeps the first draw that ``suits`` it and tells every
    catalogued mistake from every other.
    """

    #: How close two numbers must be to count as one answer (ints compare exactly).
    rtol = 1e-9
    atol = 0.0
    #: How many random draws ``variant`` tries.
    draws = 100

    @classmethod
    def close(cls, a, b) -> bool:
        """Equal as numbers: ints exactly, others within ``rtol`` (relative to at least 1) and ``atol``."""
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        try:
            return abs(float(a) - float(b)) <= max(cls.rtol * max(1.0, abs(float(b))), cls.atol)
        except OverflowError:  # an int too large for a float is close to no answer
            return False

    def _right_answer(self):
        """The right answer, from this question's numbers (private: no attribute holds it)."""
        raise NotImplementedError

    def judge(self, answer):
        """Read the answer; confirm a right one; name every mistake a wrong one fits; else say what is off."""
        value, problem = self.read(answer)
        if problem:
            return self.unreadable(answer, problem)
        right = self._right_answer()
        if value == right:
            return self.confirm(value)
        names = self.matching(value)
        if names:
            return self.named_all(names)
        return self.unnamed(value, right)

    def read(self, answer) -> tuple:
        """(the answer in this kind's form, None), or (None, a one-line problem)."""
        raise NotImplementedError

    def unreadable(self, answer, problem: str):
        """Feedback on an answer ``read`` could not take (a kind may still name a mistake in it)."""
        return self.invalid(problem)

    def confirm(self, value):
        """Feedback on the right answer: the reasoning, and what confirms it."""
        raise NotImplementedError

    def unnamed(self, value, right):
        """Feedback on a wrong answer that no catalogued mistake gives (it never states ``right``)."""
        raise NotImplementedError

    def candidates(self) -> list[tuple[str, object]]:
        """(mistake, the answer it produces with these numbers), in the order ``judge`` tries them."""
        return []

    def matching(self, value) -> list[str]:
        """Every mistake whose answer is ``value`` (and differs from the right one), in candidate order."""
        right = self._right_answer()
        found = [name for name, candidate in self.candidates() if candidate is not None and candidate != right and candidate == value]
        return list(dict.fromkeys(found))

    def mistake_names(self) -> set[str]:
        """Every mistake this check names for these numbers: each candidate, judged."""
        from . import plain

        right = self._right_answer()
        return {name for _, value in self.candidates() if value is not None and value != right
                for name in self.judge(plain.to_plain(value)).mistakes}

    def collisions(self) -> list[list[str]]:
        """Groups of mistakes that give one and the same wrong answer with these numbers."""
        groups: dict = {}
        right = self._right_answer()
        for name, value in self.candidates():
            if value is not None and value != right:
                group = groups.setdefault(("set", tuple(sorted(value))) if isinstance(value, frozenset) else value, [])
                if name not in group:
                    group.append(name)
        return [group for group in groups.values() if len(group) > 1]

    def draw(self, rng) -> "NamedMistakesValueQuestion":
        """A question of this kind, with this id, on numbers drawn from ``rng`` (ValueError: they do not fit)."""
        raise NotImplementedError

    def suits(self, other: "NamedMistakesValueQuestion") -> bool:
        """Whether a drawn question asks what this one teaches (besides asking it with other numbers and
        telling every catalogued mistake from every other, which ``variant`` asks of every kind)."""
        return True

    def variant(self, seed):
        generator = rng(seed)
        for _ in range(self.draws):
            try:
                other = self.draw(generator)
                other._right_answer()  # numbers a kernel does not fit raise here
                if other.prompt != self.prompt and self.suits(other) and not other.collisions():
                    return other
            except ValueError:  # numbers the question does not fit
                continue
        return None
