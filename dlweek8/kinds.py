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

import base64
import hashlib
import hmac
import json

from . import answer_forms, plain
from .mistakes import Mistake, NamesMistakes
from .names import rng_from
from .question import PROBES_DIR, Field, FunctionQuestion, ValueQuestion


# Shared conventions ----------------------------------------------------------------------------
#: How many draws a seeded ``variant`` tries before it gives up (returns None): no endless loop.
VARIANT_ATTEMPTS = 100


class Tolerance:
    """One tolerance convention: ``got`` is close to ``expected`` when |got − expected| ≤ atol + rtol·|expected|
    (numpy's ``allclose``), entry by entry and with equal shapes for arrays. A kind sets ``rtol`` and ``atol``."""

    rtol: float = 0.0
    atol: float = 0.0

    @classmethod
    def close(cls, got, expected) -> bool:
        if isinstance(got, int) and isinstance(expected, int) and not isinstance(got, bool):  # counts compare exactly
            return got == expected
        if isinstance(got, (int, float)) and isinstance(expected, (int, float)):  # one number: no numpy for a value check
            try:
                return abs(float(got) - float(expected)) <= cls.atol + cls.rtol * abs(float(expected))
            except OverflowError:  # an int too large for a float is close to no answer
                return False
        import numpy as np

        return np.shape(got) == np.shape(expected) and bool(np.allclose(got, expected, rtol=cls.rtol, atol=cls.atol))


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


class NamedMistakesValueQuestion(Tolerance, SharesMistakes, ValueQuestion):
    """A value question whose wrong answers are named from its numbers, with variants of its own.

    A subclass computes the right answer privately (``_right_answer``: no attribute holds it) and lists
    ``candidates()``, the answer each named mistake gives with these numbers; ``judge`` names every
    mistake an answer fits (``matching`` and ``named_all``). ``draw(rng)`` makes the same question on
    other numbers, and ``variant(seed)`` keeps the first draw that ``suits`` it and tells every
    catalogued mistake from every other.
    """

    #: How close two numbers must be to count as one answer (ints compare exactly).
    rtol = 1e-9
    atol = 1e-9
    #: How many random draws ``variant`` tries.
    draws = VARIANT_ATTEMPTS

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

    def names_mistake(self, name: str) -> bool:
        """Whether this check names ``name`` for these numbers: ``name in mistake_names()``, judging only the
        answer that ``name`` itself gives (another candidate names it only when it gives that same answer)."""
        from . import plain

        right = self._right_answer()
        return any(name in self.judge(plain.to_plain(value)).mistakes for candidate, value in self.candidates()
                   if candidate == name and value is not None and value != right)

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


# Function questions ------------------------------------------------------------------------------
def fmt(x: float) -> str:
    """A number in a feedback row (6 significant digits)."""
    return f"{x:.6g}"


def worst_entry(got, expected, errors, expected_label: str = "expected") -> tuple:
    """Rows (label, text) for the entry with the largest of ``errors`` (one per entry)."""
    import numpy as np

    if got.shape != expected.shape:
        return (("expected shape", str(expected.shape)), ("got shape", str(got.shape)))
    index = np.unravel_index(int(np.argmax(errors)), expected.shape)
    where = "[" + ", ".join(str(int(n)) for n in index) + "]"
    return (("worst entry", where), (expected_label, fmt(expected[index])), ("got", fmt(got[index])))


def _warned(outcome) -> str:
    return f" Your function warned: {outcome.warnings[0]}." if outcome.warnings else ""


def _shapes(args) -> str:
    return ", ".join(plain.describe(plain.to_plain(a)).replace("an array of shape ", "") for a in args)


class ArrayFunctionQuestion(Tolerance, NamesMistakes, FunctionQuestion):
    """A function returning an array, compared with the stored outputs on every probe.

    ``mistakes`` lists the named mistakes in the order they are tried: a wrong answer whose
    outputs match that mistake's stored outputs on every probe gets it (a mistake may have
    another output shape than the right answer, e.g. a whole 2k × 2k product where one block
    is asked for). The feedback shows the worst entry of the student's own output. An output
    agrees with the stored one when :meth:`close` says so (``rtol``, ``atol``).
    """

    rtol, atol = 1e-4, 1e-7  # agreement with the autograd reference (float32 answers pass too)
    what = "Jacobian"  # what the answer returns, for messages
    probe_noun = "random cells"
    expected_label = "expected (autograd)"

    def __init__(self, question_id):
        self.id = question_id

    def output_shape(self, args) -> tuple:
        raise NotImplementedError

    def describe_probe(self, args) -> str:
        return _shapes(args)

    def describe_entry(self, args, errors) -> str | None:
        """The input behind the worst entry, where that helps (e.g. the z of σ′)."""
        return None

    def entry_errors(self, got, expected):
        """How far each entry is off (the worst one is shown)."""
        import numpy as np

        return np.abs(got - expected)

    def read(self, args, outcome, other_shapes=()):
        """(array, None) or (None, one-line problem) for one call's result.

        An array of one of ``other_shapes`` (a named mistake's output shape) is read too.
        """
        import numpy as np

        shape = self.output_shape(args)
        if outcome.value is None:
            return None, f"Your function returned None; expected an array of shape {shape} (did it forget to return?)."
        got, problem = answer_forms.array(outcome.value, shape)
        if problem and np.shape(outcome.value) in other_shapes:
            got, problem = answer_forms.array(outcome.value, np.shape(outcome.value))
        return got, (problem + _warned(outcome) if problem else None)

    def judge(self, cases, outcomes):
        import numpy as np

        gots = []
        for n, (args, outcome) in enumerate(zip(cases.probes, outcomes, strict=True)):
            other_shapes = {np.shape(outputs[n]) for outputs in cases.mistakes.values()}
            got, problem = self.read(args, outcome, other_shapes)
            if problem:
                return self.invalid(problem, example=(("inputs", self.describe_probe(args)),))
            gots.append(got)
        expected = [np.asarray(e, dtype=float) for e in cases.expected]
        failing = [n for n, (got, exp) in enumerate(zip(gots, expected, strict=True)) if not self.close(got, exp)]
        if not failing:
            return self.verdict_when_right(cases, outcomes, gots)
        first = failing[0]
        same_shape = gots[first].shape == expected[first].shape
        errors = self.entry_errors(gots[first], expected[first]) if same_shape else None
        example = (("inputs", self.describe_probe(cases.probes[first])),) + worst_entry(gots[first], expected[first], errors, self.expected_label)
        at = self.describe_entry(cases.probes[first], errors) if same_shape else None
        if at:
            example = example[:2] + (("at", at),) + example[2:]
        named = self.named_mistake(cases, gots)
        if named:
            return self.named(named, example=example, **self.mistake_numbers(named, cases, first))
        if gots[first].shape != expected[first].shape:
            return self.invalid(f"Expected an array of shape {expected[first].shape}, got shape {gots[first].shape}.", example=example[:1])
        return self.wrong(
            f"Your {self.what} differs from the reference on {len(failing)} of {len(cases.probes)} {self.probe_noun}."
            + _warned(outcomes[first]),
            example=example,
        )

    def mistake_numbers(self, name: str, cases, first: int) -> dict:
        """Numbers for the ``{placeholders}`` of a named mistake's message, from the cases (none by default)."""
        return {}

    def named_mistake(self, cases, gots) -> str | None:
        """The first mistake in ``mistakes`` whose stored outputs ``gots`` match on every probe."""
        import numpy as np

        for name in self.mistakes:
            outputs = cases.mistakes.get(name)
            if outputs is not None and all(self.close(got, np.asarray(out, dtype=float)) for got, out in zip(gots, outputs, strict=True)):
                return name
        return None

    def verdict_when_right(self, cases, outcomes, gots):
        return self.correct(f"Your {self.what} matches torch.autograd on {len(cases.probes)} {self.probe_noun} (hidden size ≠ input size).")


class ArraysFunctionQuestion(ArrayFunctionQuestion):
    """A function returning a tuple of arrays (``outputs`` names them, e.g. gradients), each compared with the stored ones.

    A wrong answer whose arrays all match a named mistake's on every probe gets its name;
    otherwise the feedback shows the worst entry of the first array that is off.
    """

    outputs: tuple[str, ...] = ()
    expected_label = "expected (autograd)"

    def output_shapes(self, args) -> tuple:
        raise NotImplementedError

    def _read(self, args, outcome, mistake_outputs):
        """(list of arrays, None) or (None, one-line problem) for one call's result.

        A gradient with the shape a named mistake gives (e.g. transposed) is read as it is.
        """
        import numpy as np

        value, names = outcome.value, ", ".join(self.outputs)
        if value is None:
            return None, f"Your function returned None; expected the tuple ({names}) (did it forget to return?)."
        if not isinstance(value, list) or len(value) != len(self.outputs):
            return None, f"Expected a tuple of {len(self.outputs)} arrays ({names}), got {plain.describe(value)}."
        gots = []
        for n, (name, item, shape) in enumerate(zip(self.outputs, value, self.output_shapes(args), strict=True)):
            got, problem = answer_forms.array(item, shape)
            other = {np.shape(outputs[n]) for outputs in mistake_outputs}
            if problem and np.shape(item) in other:
                got, problem = answer_forms.array(item, np.shape(item))
            if problem:
                return None, f"{name}: {problem}{_warned(outcome)}"
            gots.append(got)
        return gots, None

    def judge(self, cases, outcomes):
        import numpy as np

        all_gots = []
        for n, (args, outcome) in enumerate(zip(cases.probes, outcomes, strict=True)):
            gots, problem = self._read(args, outcome, [outputs[n] for outputs in cases.mistakes.values()])
            if problem:
                return self.invalid(problem, example=(("inputs", self.describe_probe(args)),))
            all_gots.append(gots)
        expected = [[np.asarray(e, dtype=float) for e in outputs] for outputs in cases.expected]
        failing = [n for n, (gots, exp) in enumerate(zip(all_gots, expected, strict=True))
                   if not all(self.close(g, e) for g, e in zip(gots, exp, strict=True))]
        if not failing:
            return self.correct(self.right_message(len(cases.probes)))
        first = failing[0]
        gots, exp = all_gots[first], expected[first]
        off = [name for name, g, e in zip(self.outputs, gots, exp, strict=True) if not self.close(g, e)]
        where = self.outputs.index(off[0])
        example = (("inputs", self.describe_probe(cases.probes[first])), ("gradient", off[0])) + self._worst(gots[where], exp[where])
        named = self._named_mistake(cases, all_gots)
        if named:
            return self.named(named, example=example)
        return self.wrong(f"Your {', '.join(off)} {'differs' if len(off) == 1 else 'differ'} from torch.autograd on "
                          f"{len(failing)} of {len(cases.probes)} {self.probe_noun}.", example=example)

    def _worst(self, got, expected) -> tuple:
        return worst_entry(got, expected, self.entry_errors(got, expected) if got.shape == expected.shape else None, self.expected_label)

    def _named_mistake(self, cases, all_gots) -> str | None:
        """The first mistake whose stored gradients the answer's match on every probe."""
        import numpy as np

        for name in self.mistakes:
            outputs = cases.mistakes.get(name)
            if outputs is not None and all(
                all(self.close(g, np.asarray(o, dtype=float)) for g, o in zip(gots, outs, strict=True))
                for gots, outs in zip(all_gots, outputs, strict=True)
            ):
                return name
        return None

    def right_message(self, count: int) -> str:
        raise NotImplementedError


# Claims with a reason ----------------------------------------------------------------------------
# A yes/no question's right combination, and the feedback each combination gets, are stored
# keyed and sealed (``checks/probes/<id>.json``, written from the instructor's references by
# ``python -m dlweek8 store-probes``): no attribute holds the answer or a text that states it.
# The key is no secret from someone who reads this file; it keeps the answer out of plain sight,
# and trying every combination is no quicker than asking ``check`` (a handful of calls).
_CLAIMS_KEY = b"dlweek8 claims with a reason"


def canonical(combination) -> str:
    """One text for a combination of yes/no claims and, optionally, a reason letter: "no|yes|B"."""
    return "|".join(("yes" if part else "no") if isinstance(part, bool) else str(part) for part in combination)


def digest(question_id: str, combination) -> str:
    """A keyed digest of one combination of ``question_id`` (claims only, or claims and letter)."""
    message = f"{question_id}\0{canonical(combination)}".encode()
    return hmac.new(_CLAIMS_KEY, message, hashlib.sha256).hexdigest()[:32]


def _stream(question_id: str, combination, size: int) -> bytes:
    message = _CLAIMS_KEY + f"\0text\0{question_id}\0{canonical(combination)}".encode()
    return hashlib.shake_256(message).digest(size)


def seal(question_id: str, combination, text: str) -> str:
    """``text`` readable only with the combination it answers (see :func:`unseal`)."""
    data = text.encode()
    return base64.b64encode(bytes(a ^ b for a, b in zip(data, _stream(question_id, combination, len(data)), strict=True))).decode()


def unseal(question_id: str, combination, token: str) -> str:
    """The text :func:`seal` sealed for this combination."""
    data = base64.b64decode(token)
    return bytes(a ^ b for a, b in zip(data, _stream(question_id, combination, len(data)), strict=True)).decode()


class ClaimsWithReasonQuestion(NamesMistakes, ValueQuestion):
    """Yes/no claims answered together with the letter of the best reason: ``(bool, ..., letter)``.

    ``claims`` labels the yes/no fields; ``reasons`` maps each letter to its text. The right
    combination and every feedback text are stored sealed (:mod:`dlweek8.kinds`): a combination's
    text opens only with that combination (see :func:`seal`). Wrong claims get the mistake stored for them (its
    ``Mistake`` message is ``{why}``, the sealed text); right claims with another reason get half
    credit (mistake "right-answer-wrong-reason") and a rebuttal of the reason picked.
    """

    claims: tuple[str, ...] = ()
    reasons: dict = {}
    keys: tuple[str, ...] = ()  # dict keys accepted in place of a tuple, in field order

    def __init__(self, question_id):
        self.id = question_id

    @property
    def fields(self):
        options = tuple((f"{letter}: {text}", letter) for letter, text in self.reasons.items())
        return tuple(Field(claim, "bool") for claim in self.claims) + (Field("the best reason", "choice", options),)

    def sealed(self) -> dict:
        """The stored keys and sealed texts (cached): ``right``, ``explanation``, ``reasons`` and ``claims``."""
        cached = self.__dict__.get("_sealed")
        if cached is None:
            cached = self.__dict__["_sealed"] = json.loads((PROBES_DIR / f"{self.id}.json").read_text(encoding="utf-8"))
        return cached

    def _parse(self, answer):
        """((bools...), letter) or (None, problem)."""
        count = len(self.claims)
        form = "(" + ", ".join(["True/False"] * count + ['"A"–"' + list(self.reasons)[-1] + '"']) + ")"
        if isinstance(answer, dict):
            answer = [answer.get(key) for key in self.keys]
        if isinstance(answer, bool) or (isinstance(answer, list) and len(answer) == count and all(isinstance(a, bool) for a in answer)):
            return None, f"Give the reason too: answer {form}, with the letter of the best reason."
        if not isinstance(answer, list) or len(answer) != count + 1:
            return None, f"Expected {form}, got {plain.describe(answer)}."
        values = []
        for item in answer[:count]:
            value, problem = answer_forms.boolean(item)
            if problem:
                return None, problem
            values.append(value)
        letter = answer[count]
        letter = letter.strip().upper() if isinstance(letter, str) else None  # exactly one offered letter: "Because…" is no "B"
        if letter not in self.reasons:
            return None, f"The reason must be one of the letters {', '.join(self.reasons)}, got {plain.describe(answer[count])}."
        return (tuple(values), letter), None

    def judge(self, answer):
        parsed, problem = self._parse(answer)
        if problem:
            return self.invalid(problem)
        claims, letter = parsed
        stored, chosen = self.sealed(), claims + (letter,)
        key = digest(self.id, chosen)
        if key == stored["right"]:
            return self.correct(unseal(self.id, chosen, stored["explanation"]))
        if key in stored["reasons"]:
            return self.wrong(unseal(self.id, chosen, stored["reasons"][key]), mistake="right-answer-wrong-reason", score=0.5)
        name, token = stored["claims"][digest(self.id, claims)]
        return self.named(name, why=unseal(self.id, claims, token))
