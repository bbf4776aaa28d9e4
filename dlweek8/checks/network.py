"""Checks for notebook 02's section 12, a real network: a decoder's transposed convolutions and a grouped convolution.

Two kinds of value question, each with named mistakes and per-student variants like the conv
questions (:mod:`dlweek8.checks.conv`): ``TransposedSizesQuestion`` asks the sizes a stack of
``nn.ConvTranspose2d`` layers gives (with ``output_padding``), ``GroupedParamsQuestion`` the
parameters of an ``nn.Conv2d`` with ``groups``. Every mistake's counter-example is a small
PyTorch layer with other numbers (its ``evidence`` lets the tests rebuild it); a wrong answer's
feedback never states this question's right value.
"""

from __future__ import annotations

import itertools
import re

from .. import answer_forms
from ..mistakes import Mistake
from ..kinds import NamedMistakesValueQuestion
from ..question import Field

TRANSPOSED_FORMULA = "(n − 1)s − 2p + d(k − 1) + output_padding + 1"
GROUPED_FORMULA = "C_out · (C_in / groups) · kh · kw (+ C_out biases)"


def _one_integer(answer):
    """(int, None) or (None, problem) from a number, or from a list of one number (a one-field widget's answer)."""
    return answer_forms.integer(answer[0] if isinstance(answer, list) and len(answer) == 1 else answer)


def _shown_in_examples(question, value) -> bool:
    """Whether a number of ``value`` (an int or a tuple of ints) appears in one of ``question``'s counter-examples
    (then a wrong answer's feedback would print it: a variant with that value is not drawn)."""
    text = " ".join(f"{label} {row}" for mistake in question.mistakes.values() for label, row in mistake.example)
    numbers = set(re.findall(r"\d+", text.replace(",", "")))
    return any(str(v) in numbers for v in (value if isinstance(value, tuple) else (value,)))


def _confirm(expression: str, value) -> tuple:
    return (("PyTorch", expression), ("gives", repr(value)))


# -- transposed convolutions ---------------------------------------------------------------
def _transposed(n, k, s, p, q, d):
    """The right size (PyTorch's), computed here and nowhere else in the student package (a public function
    giving it would answer the question); ValueError where PyTorch refuses the layer."""
    if q >= max(s, d):
        raise ValueError(f"output_padding ({q}) must be smaller than the stride ({s}) or the dilation ({d})")
    size = (n - 1) * s - 2 * p + d * (k - 1) + q + 1
    if size < 1:
        raise ValueError(f"the output size would be {size}: the padding ({p}) is too large for this input")
    return size


#: Each wrong formula for one layer's output size, f(n, k, s, p, q, d).
TRANSPOSED_FORMULAS = {
    "output-padding-forgotten": lambda n, k, s, p, q, d: (n - 1) * s - 2 * p + d * (k - 1) + 1,
    "forward-formula": lambda n, k, s, p, q, d: (n + 2 * p - d * (k - 1) - 1) // s + 1,
    "padding-once": lambda n, k, s, p, q, d: (n - 1) * s - p + d * (k - 1) + q + 1,
    "padding-added": lambda n, k, s, p, q, d: (n - 1) * s + 2 * p + d * (k - 1) + q + 1,
    "plus-one-forgotten": lambda n, k, s, p, q, d: (n - 1) * s - 2 * p + d * (k - 1) + q,
    "minus-one-forgotten": lambda n, k, s, p, q, d: n * s - 2 * p + d * (k - 1) + q + 1,
    "dilation-ignored": lambda n, k, s, p, q, d: (n - 1) * s - 2 * p + (k - 1) + q + 1,
    "output-padding-both-sides": lambda n, k, s, p, q, d: (n - 1) * s - 2 * p + d * (k - 1) + 2 * q + 1,
    "stride-times-input": lambda n, k, s, p, q, d: n * s,
}


def _transposed_code(k, s, p, q, d, channels=(1, 1)) -> str:
    parts = [f"stride={s}" if s != 1 else "", f"padding={p}" if p else "", f"output_padding={q}" if q else "", f"dilation={d}" if d != 1 else ""]
    return f"nn.ConvTranspose2d({channels[0]}, {channels[1]}, {k}" + "".join(", " + part for part in parts if part) + ")"


def _transposed_mistake(message: str, name: str, case: tuple, label: str, why: str) -> Mistake:
    """A mistake whose counter-example is one small transposed convolution: ``case`` is (n, k, s, p, q, d)."""
    n, k, s, p, q, d = case
    code = _transposed_code(k, s, p, q, d)
    right, wrong = _transposed(*case), TRANSPOSED_FORMULAS[name](*case)
    rows = (("counter-example", f"{code} on a {n}×{n} input"), ("PyTorch gives", f"{right}×{right}"), (label, f"{wrong}×{wrong}"), ("why", why))
    return Mistake(message, rows, (code, n, right, wrong))


TRANSPOSED_MISTAKES = {
    "output-padding-forgotten": _transposed_mistake(
        "The output_padding is missing: it adds output_padding cells on one side of the output.",
        "output-padding-forgotten", (4, 3, 2, 1, 1, 1), "without output_padding",
        "(4 − 1)·2 − 2·1 + (3 − 1) + 1 + 1: the last 1 before the + 1 is the output_padding"),
    "forward-formula": _transposed_mistake(
        "That is the size a (forward) convolution gives, which shrinks its input; a transposed convolution maps sizes the other way and grows it.",
        "forward-formula", (4, 3, 2, 1, 1, 1), "the forward formula",
        "a stride-2 transposed convolution roughly doubles the size; the forward formula halves it"),
    "padding-once": _transposed_mistake(
        "The padding counts twice, once per side: a transposed convolution removes p cells from each side of its output, 2p in all.",
        "padding-once", (4, 3, 2, 1, 1, 1), "with − p instead of − 2p", "padding=1 removes 1 cell at each end"),
    "padding-added": _transposed_mistake(
        "The padding has the wrong sign: in a transposed convolution padding removes 2p cells from the output instead of adding them.",
        "padding-added", (4, 3, 1, 1, 0, 1), "with + 2p", "padding=1 takes 2·1 cells off, it does not add them"),
    "plus-one-forgotten": _transposed_mistake(
        "The + 1 is missing: n inputs place n kernels (n − 1)·s cells apart, and the last one spans d(k − 1) + 1 cells, not d(k − 1).",
        "plus-one-forgotten", (4, 4, 2, 1, 0, 1), "without the + 1", "the last kernel copy starts at 3·2 and spans 3 + 1 cells"),
    "minus-one-forgotten": _transposed_mistake(
        "The − 1 is missing: n inputs are n − 1 strides apart, so the kernel copies start at 0, s, …, (n − 1)s.",
        "minus-one-forgotten", (3, 3, 2, 1, 1, 1), "with n·s instead of (n − 1)·s", "3 inputs, 2 strides between them"),
    "dilation-ignored": _transposed_mistake(
        "The dilation is missing: a dilated kernel spans d(k − 1) + 1 cells of the output.",
        "dilation-ignored", (4, 3, 1, 0, 0, 2), "without the dilation", "the 3 taps are 2 cells apart and span 2·2 + 1 = 5 cells"),
    "output-padding-both-sides": _transposed_mistake(
        "The output_padding counts once: unlike padding, it adds cells on one side of the output only.",
        "output-padding-both-sides", (4, 3, 2, 1, 1, 1), "with 2 · output_padding", "output_padding=1 adds 1 cell, at the end"),
    "stride-times-input": _transposed_mistake(
        "Multiplying by the stride is not the rule: the size also depends on the kernel, the padding and the output_padding, "
        "which only some layers choose so that the size exactly multiplies.",
        "stride-times-input", (3, 4, 2, 0, 0, 1), "n · stride", "(3 − 1)·2 + (4 − 1) + 1: the kernel overhangs the last stride"),
}


class TransposedSizesQuestion(NamedMistakesValueQuestion):
    """The spatial sizes a stack of ``nn.ConvTranspose2d`` layers gives, layer after layer (square inputs)."""

    mistakes = TRANSPOSED_MISTAKES
    fields = (Field("size after layer 1"), Field("size after layer 2"))  # the decoders asked have two layers
    hints = (
        "A transposed convolution places one copy of the kernel per input cell, s cells apart: where does the first copy start, where does the last one end? "
        "Then take off the padding, and add the output_padding.",
        f"n_out = {TRANSPOSED_FORMULA}, with p per side; the second layer's n is the first layer's output.",
    )

    def __init__(self, question_id, size: int, decoder, channels=None):
        self.id, self.size = question_id, size
        self.decoder = tuple(tuple(layer) for layer in decoder)  # (k, s, p, output_padding, d) per layer
        self.channels = tuple(channels) if channels else (1,) * (len(self.decoder) + 1)
        self._right_answer()  # numbers PyTorch refuses raise here
        layers = ", then ".join(_transposed_code(k, s, p, q, d, self.channels[i:i + 2]) for i, (k, s, p, q, d) in enumerate(self.decoder))
        self.prompt = (
            f"A decoder upsamples a {size}×{size} feature map with {len(self.decoder)} transposed convolutions, one after the other: "
            f"{layers}. What is the spatial size (height = width) after each layer?"
        )

    def _chain(self, formula) -> tuple[int, ...]:
        sizes, n = [], self.size
        for k, s, p, q, d in self.decoder:
            n = formula(n, k, s, p, q, d)
            sizes.append(n)
        return tuple(sizes)

    def _right_answer(self) -> tuple[int, ...]:
        return self._chain(_transposed)

    def candidates(self):
        return [(name, self._chain(formula)) for name, formula in TRANSPOSED_FORMULAS.items()]

    def _expression(self) -> str:
        layers = ", ".join(_transposed_code(k, s, p, q, d) for k, s, p, q, d in self.decoder)
        return f"[x.shape[-1] for x in itertools.accumulate([{layers}], lambda x, layer: layer(x), initial=torch.zeros(1, 1, {self.size}, {self.size}))][1:]"

    def judge(self, answer):
        values, problem = answer_forms.integers(answer, len(self.decoder))
        if problem:
            return self.invalid(problem)
        expected = self._right_answer()
        if values == expected:
            return self.correct(
                f"{values}: {TRANSPOSED_FORMULA} for each layer, on the size the layer before it gives.",
                example=_confirm(self._expression(), list(values)),
            )
        names = self.matching(values)
        if names:
            return self.named_all(names)
        if values[0] == expected[0]:
            return self.wrong(f"The first size is right, a later one is not: apply {TRANSPOSED_FORMULA} to each layer, with that layer's numbers, "
                              "on the previous layer's output.")
        if any(v < 1 for v in values):
            return self.wrong("A size is at least 1: a transposed convolution grows or keeps its input here.")
        return self.wrong(f"Not the sizes: a transposed convolution gives {TRANSPOSED_FORMULA} (p per side).")

    draws = 300

    def draw(self, rng):
        layers = []
        for _ in range(len(self.decoder)):
            k, s, d = int(rng.choice([2, 3, 4, 5])), int(rng.choice([2, 2, 3])), int(rng.choice([1, 1, 1, 2]))
            p, q = int(rng.integers(0, (d * (k - 1) + 1) // 2 + 1)), int(rng.integers(0, max(s, d)))
            layers.append((k, s, p, q, d))
        question = TransposedSizesQuestion(self.id, int(rng.integers(3, 25)), layers, self.channels)
        sizes = (question.size, *question._right_answer())
        if any(b <= a for a, b in itertools.pairwise(sizes)) or not any(q for _, _, _, q, _ in layers):
            raise ValueError("a layer that does not upsample, or no output_padding to ask about")
        return question

    def suits(self, other):
        return not _shown_in_examples(other, other._right_answer())


# -- grouped convolutions ------------------------------------------------------------------
def _grouped_mistake(message: str, code: str, right: int, label: str, why: str) -> Mistake:
    return Mistake(message, (("counter-example", code), ("parameters", f"{right}: {why}"), ("not", label)), (code, right))


GROUPED_MISTAKES = {
    "groups-ignored": _grouped_mistake(
        "That is a dense convolution's count: with groups=g each kernel sees only the C_in / g input channels of its group.",
        "nn.Conv2d(4, 4, 3, groups=2, bias=False)", 72, "4·4·3·3 = 144", "4 kernels of 2 channels × 3·3"),
    "out-channels-divided": _grouped_mistake(
        "You divided by the groups twice: each of the C_out kernels (one per output channel) has C_in / g channels; the groups share the kernels out, they do not remove any.",
        "nn.Conv2d(6, 4, 3, groups=2, bias=False)", 108, "(4/2)·(6/2)·3·3 = 54", "all 4 kernels, each of 3 channels × 3·3"),
    "in-channels-forgotten": _grouped_mistake(
        "The input channels are missing: each kernel has a kh × kw slice for each of the C_in / g input channels of its group.",
        "nn.Conv2d(6, 4, 3, groups=2, bias=False)", 108, "4·3·3 = 36", "each kernel covers 6/2 = 3 channels"),
    "kernel-side-not-area": _grouped_mistake(
        "A kh × kw kernel has kh · kw weights per channel, not kh.",
        "nn.Conv2d(4, 2, 3, groups=2, bias=False)", 36, "2·2·3 = 12", "3·3 weights per channel"),
    "bias-forgotten": _grouped_mistake(
        "The biases are missing: with bias=True (nn.Conv2d's default) each output channel has one.",
        "nn.Conv2d(4, 6, 3, groups=2)", 114, "108", "6·2·3·3 weights + 6 biases"),
    "bias-counted": _grouped_mistake(
        "You counted biases, but this layer has none (bias=False).",
        "nn.Conv2d(4, 6, 3, groups=2, bias=False)", 108, "114", "6·2·3·3 weights, no bias"),
    "bias-per-group": _grouped_mistake(
        "One bias per output channel, not per group: the groups split the weights, each kernel still adds its own bias.",
        "nn.Conv2d(4, 6, 3, groups=2)", 114, "108 + 2 = 110", "6·2·3·3 weights + 6 biases"),
}


class GroupedParamsQuestion(NamedMistakesValueQuestion):
    """Trainable parameters of an ``nn.Conv2d`` with ``groups`` (depthwise when groups = in_channels)."""

    mistakes = GROUPED_MISTAKES
    fields = (Field("parameters"),)
    hints = (
        "With groups=g the input channels are split into g groups, and so are the kernels: how many input channels does one kernel see? How many kernels are there?",
        f"{GROUPED_FORMULA}; the input size, padding and stride do not enter.",
    )

    def __init__(self, question_id, in_channels: int, out_channels: int, kernel_size: int, groups: int, bias: bool = True):
        self.id = question_id
        self.in_channels, self.out_channels, self.kernel_size, self.groups, self.bias = in_channels, out_channels, kernel_size, groups, bias
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be divisible by groups ({groups})")
        self.prompt = f"How many trainable parameters has {self._code()}?"

    def _code(self) -> str:
        bias = "" if self.bias else ", bias=False"
        return f"nn.Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, groups={self.groups}{bias})"

    def _right_answer(self) -> int:
        return self.out_channels * (self.in_channels // self.groups) * self.kernel_size**2 + (self.out_channels if self.bias else 0)

    def candidates(self):
        c, o, k, g, bias = self.in_channels, self.out_channels, self.kernel_size, self.groups, self.bias
        weights, extra = o * (c // g) * k * k, (o if bias else 0)
        return [
            ("groups-ignored", o * c * k * k + extra),
            ("out-channels-divided", (o // g) * (c // g) * k * k + extra),
            ("in-channels-forgotten", o * k * k + extra if c // g > 1 else None),
            ("kernel-side-not-area", o * (c // g) * k + extra),
            ("bias-forgotten", weights if bias else None),
            ("bias-counted", None if bias else weights + o),
            ("bias-per-group", weights + g if bias else None),
        ]

    def judge(self, answer):
        value, problem = _one_integer(answer)
        if problem:
            return self.invalid(problem)
        if value == self._right_answer():
            c, o, k, g = self.in_channels, self.out_channels, self.kernel_size, self.groups
            bias = f" + {o}" if self.bias else ""
            return self.correct(
                f"{value:,} = {o} · ({c}/{g}) · {k} · {k}{bias}: {o} kernels, each over the {c // g} input channel{'s' if c // g != 1 else ''} of its group. "
                f"A dense layer would have {g} times as many weights.",
                example=_confirm(f"sum(p.numel() for p in {self._code()}.parameters())", value),
            )
        names = self.matching(value)
        if names:
            return self.named_all(names)
        return self.wrong(f"Not the parameter count: {GROUPED_FORMULA}.")

    draws = 200

    def draw(self, rng):
        c = int(rng.choice([16, 24, 32, 48, 64, 96, 128, 192, 256]))
        divisors = [g for g in (2, 3, 4, 8, 16, 32) if c % g == 0 and g < c]
        g = c if rng.random() < 0.35 else int(rng.choice(divisors))  # a third depthwise
        o = c * int(rng.choice([1, 1, 2])) if g == c else int(rng.choice([c // 2, c, 2 * c]))
        if o % g:
            raise ValueError("out_channels not divisible by groups")
        return GroupedParamsQuestion(self.id, c, o, int(rng.choice([3, 5, 7])), g, bool(rng.random() < 0.5))

    def suits(self, other):
        return not _shown_in_examples(other, other._right_answer())


#: The decoder of the notes: 7 × 7 up to 28 × 28, the first layer with output_padding.
DECODER = ((3, 2, 1, 1, 1), (4, 2, 1, 0, 1))

QUESTIONS = [
    TransposedSizesQuestion("network.transposed_sizes", 7, DECODER, channels=(128, 64, 32)),
    GroupedParamsQuestion("network.grouped_params", 64, 128, 3, groups=16, bias=True),
]
