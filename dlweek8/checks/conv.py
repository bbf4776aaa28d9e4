"""Checks for Task 2, convolution arithmetic (output sizes, input sizes, parameters, operations).

Every expected value comes from :mod:`dlweek8.conv` (proved equal to PyTorch by the
tests); a seed question is one parameter set of a generic question class, and
``variant(seed)`` draws another.  Wrong answers are compared with the answers that
each named misconception produces, so the feedback can say which one it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np

from .. import answer_forms, conv
from ..names import rng_from
from ..plain import describe
from ..question import Field, FunctionQuestion, ValueQuestion

FORMULA = "floor((n + 2p − d(k − 1) − 1) / s) + 1"


# -- misconceptions about the output size of one dimension -------------------------------------
def _span(k, d):
    return d * (k - 1) + 1


def _right(n, k, s, p, d):
    """The right size, from the reference (which the tests prove equal to PyTorch)."""
    return conv.output_size(n, k, s, p, d)


def _why_floor(n, k, s, p, d):
    span, padded = _span(k, d), n + 2 * p
    count = _right(n, k, s, p, d)
    nxt = count * s
    return (
        f"the padded input has {padded} cells (indices 0..{padded - 1}); windows of span {span} start at "
        f"{_starts(count, s)}; the next would start at {nxt} and end at index {nxt + span - 1}, past the end, "
        f"so it is not computed: {count} window{'s' if count != 1 else ''}"
    )


def _starts(count, s):
    if count <= 4:
        return ", ".join(str(i * s) for i in range(count))
    return f"0, {s}, …, {(count - 1) * s}"


def _why_plus_one(n, k, s, p, d):
    span, top = _span(k, d), n + 2 * p - _span(k, d)
    return (
        f"floor(({n} + 2·{p} − {span}) / {s}) = {top // s} counts the strides from the first window to the last; "
        f"the first window itself adds one: {top // s + 1}"
    )


def _why_padding(n, k, s, p, d):
    return f"padding={p} adds {p} cells on each side: the padded input has {n} + 2·{p} = {n + 2 * p} cells"


def _why_dilation(n, k, s, p, d):
    return f"with dilation {d} the {k} taps are {d} cells apart and span {d}·({k} − 1) + 1 = {_span(k, d)} cells"


def _why_span(n, k, s, p, d):
    span = _span(k, d)
    return (
        f"a window of span {span} starting at index 0 ends at index {span - 1}; the last start is at most "
        f"{n + 2 * p} − {span}, so subtract d(k − 1) + 1 = {span}, not d(k − 1) = {span - 1}"
    )


def _why_stride(n, k, s, p, d):
    top = n + 2 * p - _span(k, d)
    return f"with stride {s} the window moves {s} cells at a time: the {top + 1} possible starts shrink to {top // s + 1}"


def _why_exact(n, k, s, p, d):
    top = n + 2 * p - _span(k, d)
    return f"({n} + 2·{p} − {_span(k, d)}) / {s} = {top}/{s} is not a whole number of strides; floor it: {top // s}"


@dataclass(frozen=True)
class SizeMistake:
    """A wrong output-size formula, what it gets wrong and a sentence showing why, with numbers."""

    name: str
    label: str
    explanation: str
    formula: Callable[[int, int, int, int, int], float]
    why: Callable[[int, int, int, int, int], str]


SIZE_MISTAKES = (
    SizeMistake(
        "ceil-for-floor", "ceil instead of floor",
        "The division rounds down: a window that would run past the end of the padded input is not computed.",
        lambda n, k, s, p, d: -(-(n + 2 * p - _span(k, d)) // s) + 1, _why_floor,
    ),
    SizeMistake(
        "plus-one-forgotten", "the formula without its + 1",
        "The + 1 is missing: the division counts the strides between the first and the last window, not the windows.",
        lambda n, k, s, p, d: (n + 2 * p - _span(k, d)) // s, _why_plus_one,
    ),
    SizeMistake(
        "padding-once", "the padding counted once",
        "PyTorch's padding=p adds p cells on each side, so the padded size is n + 2p.",
        lambda n, k, s, p, d: (n + p - _span(k, d)) // s + 1, _why_padding,
    ),
    SizeMistake(
        "padding-ignored", "the padding left out",
        "The padding is missing: the kernel slides over the padded input of n + 2p cells.",
        lambda n, k, s, p, d: (n - _span(k, d)) // s + 1, _why_padding,
    ),
    SizeMistake(
        "dilation-ignored", "the dilation left out",
        "Dilation spreads the kernel's taps apart: a kernel of size k spans d(k − 1) + 1 cells.",
        lambda n, k, s, p, d: (n + 2 * p - k) // s + 1, _why_dilation,
    ),
    SizeMistake(
        "dilation-times-kernel", "a span of d·k",
        "A dilated kernel spans d(k − 1) + 1 cells, not d·k: there is no gap after the last tap.",
        lambda n, k, s, p, d: (n + 2 * p - d * k) // s + 1, _why_dilation,
    ),
    SizeMistake(
        "kernel-span-off-by-one", "the formula without its − 1",
        "The − 1 is missing: a window of span d(k − 1) + 1 that starts at index i ends at i + d(k − 1).",
        lambda n, k, s, p, d: (n + 2 * p - _span(k, d) + 1) // s + 1, _why_span,
    ),
    SizeMistake(
        "stride-ignored", "the stride left out",
        "The stride is missing: the window moves s cells at a time, so divide by s.",
        lambda n, k, s, p, d: n + 2 * p - _span(k, d) + 1, _why_stride,
    ),
    SizeMistake(
        "round-for-floor", "round-to-nearest instead of floor",
        "The division rounds down, never to the nearest: a window that would run past the end is not computed.",
        lambda n, k, s, p, d: round(Fraction(n + 2 * p - _span(k, d), s)) + 1, _why_floor,
    ),
    SizeMistake(
        "floor-missing", "the division without floor",
        "Without floor the result is not a whole number of windows; take the floor of the division.",
        lambda n, k, s, p, d: (n + 2 * p - _span(k, d)) / s + 1, _why_exact,
    ),
)
MISTAKES_BY_NAME = {m.name: m for m in SIZE_MISTAKES}


def _same(a, b) -> bool:
    """Equal as numbers (ints exactly, floats to 1e-9 relative)."""
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    try:
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
    except OverflowError:  # an int too large for a float is not close to any size
        return False


def _args_text(n, k, s, p, d) -> str:
    return f"n={n}, k={k}, s={s}, p={p}, d={d}"


def _number(value):
    """A real number from a plain value (int, float, size-1 array), or None."""
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        value = value.reshape(-1)[0].item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _counter_example(mistake: SizeMistake, cases) -> tuple:
    """Rows showing the first of ``cases`` where ``mistake`` gives a wrong size."""
    for n, k, s, p, d in cases:
        wrong, right = mistake.formula(n, k, s, p, d), _right(n, k, s, p, d)
        if not _same(wrong, right):
            return (
                ("counter-example", _args_text(n, k, s, p, d)),
                ("PyTorch gives", str(right)),
                (mistake.label, _show(wrong)),
                ("why", mistake.why(n, k, s, p, d)),
            )
    return ()


def _show(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4g}"
    return str(int(value))


#: Small cases, simplest first, to find a counter-example for any size mistake.
SMALL_CASES = tuple(
    (n, k, s, p, d)
    for d in (1, 2) for p in (0, 1, 2) for s in (1, 2, 3) for k in (2, 3) for n in range(3, 11)
    if _span(k, d) <= n + 2 * p
)


# -- the function question -----------------------------------------------------------------
def _full(args) -> tuple[int, int, int, int, int]:
    return tuple(args) + (1, 0, 1)[len(args) - 2:]


class OutputSizeFunction(FunctionQuestion):
    """Write the output-size formula as a function ``f(n, k, s=1, p=0, d=1) -> int``."""

    id = "conv.output_size_fn"
    signature = "f(n, k, s=1, p=0, d=1) -> int"
    prompt = "Write f(n, k, s=1, p=0, d=1): the output size of a 1-D convolution (input n, kernel k, stride s, padding p per side, dilation d)."
    hints = (
        "Count where the window can start: a kernel of span d(k − 1) + 1 fits at starts 0, s, 2s, … as long as it ends inside the n + 2p padded cells.",
        "Python's // rounds down (floor) for non-negative numbers; the + 1 counts the first window itself.",
    )

    own_work = ("dlweek8.conv.output_size",)

    def describe_probe(self, args) -> str:
        names = ("n", "k", "s", "p", "d")
        return ", ".join(f"{name}={value}" for name, value in zip(names, args))

    def judge(self, cases, outcomes):
        probes = cases.probes
        got = []
        for args, outcome in zip(probes, outcomes):
            value = _number(outcome.value)
            if value is None:
                return self.invalid(
                    f"Your function returned {describe(outcome.value)}; it should return an int.",
                    example=(("inputs", self.describe_probe(args)), ("got", describe(outcome.value))),
                )
            if isinstance(value, float) and not math.isfinite(value):
                return self.invalid(
                    f"Your function returned {value!r}.",
                    example=(("inputs", self.describe_probe(args)),) + _warning_rows(outcome),
                )
            got.append(value)
        full = [_full(a) for a in probes]
        expected = list(cases.expected)
        wrong_at = [i for i, (g, e) in enumerate(zip(got, expected)) if not _same(g, e)]
        if not wrong_at:
            floats = [i for i, g in enumerate(got) if isinstance(g, float)]
            if floats:
                i = floats[0]
                return self.invalid(
                    f"Right values, but your function returns floats such as {got[i]!r}; an output size is a count: return an int (use // or int(...)).",
                    example=(("inputs", self.describe_probe(probes[i])), ("got", repr(got[i]))),
                )
            return self.correct(f"Right on all {len(probes)} cases, with and without padding, stride and dilation.")
        first = wrong_at[0]
        rows = (
            ("inputs", self.describe_probe(probes[first])),
            ("expected", str(expected[first])),
            ("got", _show(got[first])),
        ) + _warning_rows(outcomes[first])
        for mistake in SIZE_MISTAKES:
            outputs = cases.mistakes.get(mistake.name)
            if outputs is not None and all(_same(g, out) for g, out in zip(got, outputs)):
                return self.wrong(
                    f"Your function matches {mistake.label} on every case. {mistake.explanation}",
                    mistake=mistake.name,
                    example=rows + (("why", mistake.why(*full[first])),),
                )
        for name, position, default in (("dilation", 4, 1), ("padding", 3, 0), ("stride", 2, 1)):
            if all(full[i][position] != default for i in wrong_at):
                return self.wrong(
                    f"Your function is right whenever {name[0]} = {default} but not with {name}: "
                    f"compare your code with {FORMULA}.",
                    mistake=f"{name}-mishandled",
                    example=rows,
                )
        return self.wrong(
            f"Not the output size on {len(wrong_at)} of {len(probes)} cases; the first is below. The formula is {FORMULA}.",
            example=rows,
        )


def _warning_rows(outcome) -> tuple:
    return (("warning", outcome.warnings[0]),) if outcome.warnings else ()


# -- value questions -----------------------------------------------------------------------
def _rng(seed):
    """A generator fixed by ``seed``: an int as is, anything else (a student id) through SHA-256."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(abs(int(seed)))
    return rng_from(seed)


def _pair(value) -> str:
    return f"{value[0]}×{value[1]}" if isinstance(value, tuple) else f"{value}×{value}"


def _listing(values) -> str:
    values = sorted(values)
    if len(values) == 1:
        return str(values[0])
    return ", ".join(map(str, values[:-1])) + f" and {values[-1]}"


class OutputSizeQuestion(ValueQuestion):
    """The (height, width) of a 2-D convolution's output."""

    hints = (
        f"Apply {FORMULA} to the height and to the width separately; padding p is added on each side.",
        "The kernel's first number goes with the height (the first input size), its second with the width.",
    )
    fields = (Field("height"), Field("width"))

    def __init__(self, id, size, kernel_size, stride=1, padding=0, dilation=1):
        self.id = id
        self.size, self.kernel_size, self.stride, self.padding, self.dilation = size, kernel_size, stride, padding, dilation
        self.expected = conv.output_size(size, kernel_size, stride, padding, dilation)
        kernel = _pair(kernel_size)
        dilation_text = f", dilation {dilation}" if dilation != 1 else ""
        self.prompt = (
            f"2-D convolution on a {size[0]}×{size[1]} input, kernel {kernel}, stride {stride}, padding {padding}"
            f"{dilation_text}: what is the output's spatial size (height, width)?"
        )

    def _cases(self):
        n = len(self.size)
        per = [v if isinstance(v, tuple) else (v,) * n for v in (self.size, self.kernel_size, self.stride, self.padding, self.dilation)]
        return list(zip(*per))

    def solution_fields(self) -> list:
        return list(self.expected)

    def judge(self, answer):
        values, problem = answer_forms.integers(answer, len(self.expected))
        cases = self._cases()
        if problem:
            unrounded = self._unrounded(answer, cases)
            return unrounded if unrounded is not None else self.invalid(problem)
        expected = self.expected
        if values == expected:
            return self.correct(f"{values}: {FORMULA} per dimension.")
        if values == expected[::-1]:
            return self.wrong(
                "Height and width are swapped: the first size and the kernel's first number give the height.",
                mistake="height-width-swapped",
                example=(("input (height, width)", str(tuple(self.size))), ("your (height, width)", str(values))),
            )
        matches = [m for m in SIZE_MISTAKES[:-1] if tuple(m.formula(*c) for c in cases) == values]
        if matches:
            return self._named(matches, cases)
        right = [v == e for v, e in zip(values, expected)]
        detail = ""
        if any(right):
            names = ("height", "width")
            detail = f" The {names[right.index(True)]} is right, the {names[right.index(False)]} is not."
        return self.wrong(f"Not the output size.{detail} Apply {FORMULA} to each dimension.")

    def _named(self, matches, cases):
        first = matches[0]
        also = f" (Here {matches[1].label} gives the same numbers.)" if len(matches) > 1 else ""
        return self.wrong(
            f"This is what {first.label} gives. {first.explanation}{also}",
            mistake=first.name,
            example=_counter_example(first, SMALL_CASES),
        )

    def _unrounded(self, answer, cases):
        items = answer.reshape(-1).tolist() if isinstance(answer, np.ndarray) else answer
        if not isinstance(items, list) or len(items) != len(cases) or any(_number(v) is None for v in items):
            return None
        if all(_same(v, MISTAKES_BY_NAME["floor-missing"].formula(*c)) for v, c in zip(items, cases)):
            return self._named([MISTAKES_BY_NAME["floor-missing"]], cases)
        return None

    def variant(self, seed):
        rng = _rng(seed)
        for _ in range(200):
            size = tuple(int(v) for v in rng.integers(12, 129, size=2))
            kernel = tuple(int(v) for v in rng.choice([1, 2, 3, 5, 7], size=2)) if rng.random() < 0.4 else int(rng.choice([3, 5, 7]))
            stride, padding = int(rng.integers(1, 5)), int(rng.integers(0, 4))
            dilation = int(rng.choice([1, 1, 1, 2]))
            q = OutputSizeQuestion(self.id, size, kernel, stride, padding, dilation)
            ceil_differs = any(MISTAKES_BY_NAME["ceil-for-floor"].formula(*c) != _right(*c) for c in q._cases())
            if ceil_differs and q.expected[0] != q.expected[1] and (q.size, q.kernel_size, q.stride, q.padding) != (self.size, self.kernel_size, self.stride, self.padding):
                return q
        return None


class InputSizesQuestion(ValueQuestion):
    """Every 1-D input size that gives a given output size."""

    hints = (
        "Write floor((n + 2p − k) / s) + 1 = out as two inequalities: out − 1 ≤ (n + 2p − k) / s < out.",
        "Because of the floor, several neighbouring input sizes give the same output: give all of them (a range works).",
    )
    fields = (Field("smallest input size"), Field("largest input size"))

    def __init__(self, id, output, kernel_size, stride=1, padding=0, dilation=1):
        self.id = id
        self.output, self.kernel_size, self.stride, self.padding, self.dilation = output, kernel_size, stride, padding, dilation
        self.expected = frozenset(conv.input_sizes(output, kernel_size, stride, padding, dilation))
        dilation_text = f", dilation {dilation}" if dilation != 1 else ""
        self.prompt = (
            f"1-D convolution with kernel {kernel_size}, stride {stride}, padding {padding}{dilation_text}: "
            f"which input sizes give an output of size {output}? Give all of them."
        )

    def from_fields(self, values):
        low, high = values
        return range(low, high + 1)

    def solution_fields(self) -> list:
        return [min(self.expected), max(self.expected)]

    def _params(self):
        return self.kernel_size, self.stride, self.padding, self.dilation

    def _gives(self, n) -> str:
        try:
            return f"n = {n} gives {conv.output_size(n, *self._params())}"
        except ValueError:
            return f"n = {n} is too small for the kernel"

    def judge(self, answer):
        values, problem = answer_forms.integer_set(answer)
        if problem:
            return self.invalid(problem)
        if not values:
            return self.wrong("Your answer is empty, but some input sizes do give this output.", mistake="empty")
        if min(values) < 1:
            return self.invalid(f"Input sizes are positive, got {min(values)}.")
        expected = self.expected
        if values == expected:
            return self.correct(f"All of {_listing(values)}: the floor maps {len(values)} neighbouring sizes to {self.output}.")
        k, s, p, d = self._params()
        search = range(1, max(expected) + 4 * s + 2 * _span(k, d) + 2)
        matches = [
            mistake for mistake in SIZE_MISTAKES
            if values == frozenset(n for n in search if _same(mistake.formula(n, k, s, p, d), self.output))
        ]
        if matches:
            first = matches[0]
            also = f" (Here {matches[1].label} gives the same sizes.)" if len(matches) > 1 else ""
            return self.wrong(
                f"These are the sizes that {first.label} maps to {self.output}. {first.explanation}{also} {self._difference(values)}",
                mistake=first.name,
                example=self._rows(values),
            )
        missing, extra = expected - values, values - expected
        if not missing and extra == {max(expected) + 1}:
            return self.wrong(
                f"One too many: the upper bound is strict, and {self._gives(max(extra))}.",
                mistake="upper-bound-included",
                example=self._rows(values),
            )
        if not extra:
            return self.wrong(
                f"Right so far, but {_listing(missing)} give{'s' if len(missing) == 1 else ''} {self.output} too: the floor maps several sizes to one output.",
                mistake="sizes-missing",
                example=self._rows(values),
            )
        return self.wrong(
            f"{'; '.join(self._gives(n) for n in sorted(extra)[:3])}, not {self.output}.",
            mistake="wrong-sizes",
            example=self._rows(values),
        )

    def _difference(self, values) -> str:
        missing, extra = sorted(self.expected - values), sorted(values - self.expected)
        parts = []
        if missing:
            parts.append(f"Missing: {_listing(missing)}.")
        if extra:
            parts.append(f"Not giving {self.output}: {_listing(extra)}.")
        return " ".join(parts)

    def _rows(self, values) -> tuple:
        return tuple((f"n = {n}", f"output {self._gives(n).split(' gives ')[-1]}") for n in sorted(values)[:6])

    def variant(self, seed):
        rng = _rng(seed)
        for _ in range(200):
            output, kernel = int(rng.integers(4, 31)), int(rng.integers(2, 10))
            stride, padding = int(rng.integers(2, 5)), int(rng.integers(0, 4))
            q = InputSizesQuestion(self.id, output, kernel, stride, padding)
            if len(q.expected) > 1 and (output, kernel, stride, padding) != (self.output, self.kernel_size, self.stride, self.padding):
                return q
        return None


@dataclass(frozen=True)
class Layer:
    """A 2-D convolution layer on one input: the numbers behind the counting questions."""

    input_shape: tuple[int, int, int]
    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int = 0
    bias: bool = False

    @property
    def output_hw(self) -> tuple[int, int]:
        return conv.output_size(self.input_shape[1:], self.kernel_size, self.stride, self.padding)

    def describe(self) -> str:
        c, h, w = self.input_shape
        bias = "with bias" if self.bias else "no bias"
        return (
            f"input (C, H, W) = ({c}, {h}, {w}), {self.out_channels} kernels of size {self.kernel_size}×{self.kernel_size}, "
            f"stride {self.stride}, padding {self.padding}, {bias}"
        )

    @classmethod
    def draw(cls, rng) -> "Layer":
        c, o = (int(rng.choice([3, 8, 16, 32, 64, 128, 256])) for _ in range(2))
        k, size = int(rng.choice([1, 3, 5, 7])), int(rng.integers(8, 41))
        stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 4))
        return cls((c, size, size), o, k, stride, padding, bool(rng.random() < 0.3))


def _first_match(value, candidates):
    for name, candidate in candidates:
        if candidate is not None and candidate == value:
            return name
    return None


#: mistake -> (layer, parameters, why): small layers that show each counting mistake (the tests build them in torch).
PARAM_EXAMPLES = {
    "bias-counted": ("nn.Conv2d(1, 1, 3, bias=False)", 9, "the 3·3 weights, no bias"),
    "bias-forgotten": ("nn.Conv2d(1, 2, 3)", 20, "2·1·3·3 weights + 2 biases, one per kernel"),
    "output-positions-multiplied": ("nn.Conv2d(1, 1, 3, bias=False)", 9, "on a 5×5 input (9 outputs) and on a 100×100 input (9604 outputs) alike: the weights are shared across positions"),
    "input-size-multiplied": ("nn.Conv2d(1, 1, 3, bias=False)", 9, "whatever the input size"),
    "in-channels-forgotten": ("nn.Conv2d(3, 1, 3, bias=False)", 27, "each kernel covers all 3 input channels: 3·3·3"),
    "out-channels-forgotten": ("nn.Conv2d(3, 2, 3, bias=False)", 54, "2 kernels of 3·3·3 weights each"),
    "kernel-side-not-area": ("nn.Conv2d(1, 1, 3, bias=False)", 9, "a 3×3 kernel has 3·3 weights"),
    "padding-in-kernel": ("nn.Conv2d(1, 1, 1, padding=2, bias=False)", 1, "padding adds zeros to the input, not weights to the kernel"),
}


def _param_example(mistake: str) -> tuple:
    layer, count, why = PARAM_EXAMPLES[mistake]
    return (("counter-example", layer), ("parameters", f"{count}: {why}"))


class _LayerQuestion(ValueQuestion):
    """A question about one conv layer; its variants are other random layers."""

    def __init__(self, id, layer: Layer):
        self.id, self.layer = id, layer

    def variant(self, seed):
        rng = _rng(seed)
        for _ in range(50):
            layer = Layer.draw(rng)
            if layer != self.layer:
                return type(self)(self.id, layer)
        return None


class ParamCountQuestion(_LayerQuestion):
    """Trainable parameters of a 2-D convolution layer."""

    hints = (
        "Each of the kernels has one weight per input channel and kernel cell; a bias adds one number per kernel.",
        "The same weights slide over every position: neither the input size, the padding nor the stride enter the count.",
    )
    fields = (Field("parameters"),)

    def __init__(self, id, layer: Layer):
        super().__init__(id, layer)
        self.expected = conv.param_count(layer.input_shape[0], layer.out_channels, layer.kernel_size, bias=layer.bias)
        self.prompt = f"2-D convolution, {layer.describe()}: how many trainable parameters?"

    def solution_fields(self) -> list:
        return [self.expected]

    def judge(self, answer):
        value, problem = answer_forms.integer(answer[0] if isinstance(answer, list) and len(answer) == 1 else answer)
        if problem:
            return self.invalid(problem)
        if value == self.expected:
            return self.correct(f"{value:,} = out_channels · in_channels · kh · kw{' + out_channels' if self.layer.bias else ''}.")
        layer = self.layer
        c, h, w = layer.input_shape
        o, k, bias = layer.out_channels, layer.kernel_size, layer.bias
        ho, wo = layer.output_hw
        weights = o * c * k * k
        extra = o if bias else 0
        candidates = [
            ("bias-counted", None if bias else weights + o),
            ("bias-forgotten", weights if bias else None),
            ("output-positions-multiplied", weights * ho * wo + extra),
            ("output-positions-multiplied", (weights + extra) * ho * wo),
            ("input-size-multiplied", weights * h * w + extra),
            ("in-channels-forgotten", o * k * k + extra),
            ("out-channels-forgotten", c * k * k + (1 if bias else 0)),
            ("kernel-side-not-area", o * c * k + extra),
            ("padding-in-kernel", o * c * (k + 2 * layer.padding) ** 2 + extra if layer.padding else None),
        ]
        mistake = _first_match(value, [(n, v) for n, v in candidates if v != self.expected])
        if mistake:
            return self.wrong(_PARAM_MESSAGES[mistake], mistake=mistake, example=_param_example(mistake))
        return self.wrong("Not the parameter count: count one weight per (kernel, input channel, kernel cell), plus one bias per kernel if there is a bias.")



_PARAM_MESSAGES = {
    "bias-counted": "You counted a bias, but this layer has none (bias=False).",
    "bias-forgotten": "The bias is missing: with a bias each kernel has one more parameter.",
    "output-positions-multiplied": "You multiplied by the number of output positions. The kernel's weights are shared: the same weights are used at every position (that product counts multiplications, not parameters).",
    "input-size-multiplied": "You multiplied by the input size. A convolution's weights do not depend on the input size: the kernel slides over it.",
    "in-channels-forgotten": "The input channels are missing: each kernel has a k×k slice for every input channel.",
    "out-channels-forgotten": "That is one kernel: the layer has one kernel per output channel.",
    "kernel-side-not-area": "A k×k kernel has k·k weights per channel, not k.",
    "padding-in-kernel": "Padding adds zeros around the input; it adds no weights to the kernel.",
}

#: mistake -> (layer, input shape, multiplications, additions, why); the tests check them with FlopCounterMode.
OP_EXAMPLES = {
    "additions-equal-multiplications": ("nn.Conv2d(1, 1, 3, bias=False)", (1, 3, 3), 9, 8, "one output; adding 9 products takes 8 additions"),
    "macs-for-multiplications": ("nn.Conv2d(1, 1, 3, bias=False)", (1, 3, 3), 9, 8, "9 MACs, which FlopCounterMode reports as 18 FLOPs (2 per MAC)"),
    "in-channels-forgotten": ("nn.Conv2d(3, 1, 3, bias=False)", (3, 3, 3), 27, 26, "one output, an inner product over 3 channels of 3·3 cells"),
    "out-channels-forgotten": ("nn.Conv2d(1, 2, 3, bias=False)", (1, 3, 3), 18, 16, "one inner product per output channel"),
    "channel-sums-forgotten": ("nn.Conv2d(3, 1, 3, bias=False)", (3, 3, 3), 27, 26, "27 products summed into one number: 26 additions, not 3·8 = 24"),
    "one-output-counted": ("nn.Conv2d(1, 1, 3, bias=False)", (1, 4, 4), 36, 32, "2×2 outputs of 9 multiplications and 8 additions each"),
    "order-swapped": ("nn.Conv2d(1, 1, 3, bias=False)", (1, 3, 3), 9, 8, "given as (multiplications, additions) = (9, 8)"),
    "bias-forgotten": ("nn.Conv2d(1, 1, 3)", (1, 3, 3), 9, 9, "8 additions for the sum, 1 for the bias"),
}


def _op_example(mistake: str) -> tuple:
    layer, shape, mults, adds, why = OP_EXAMPLES[mistake]
    return (("counter-example", f"{layer} on an input of shape {shape}"), ("counts", f"{mults} multiplications, {adds} additions: {why}"))


_OP_MESSAGES = {
    "order-swapped": "Multiplications and additions are swapped: give (multiplications, additions).",
    "additions-equal-multiplications": "As many additions as multiplications: summing L products takes L − 1 additions (and there is no bias to add here).",
    "macs-for-multiplications": "That is 2 × the multiply-accumulates, i.e. FLOPs as FlopCounterMode counts them. Each MAC is one multiplication; give the multiplications themselves.",
    "in-channels-forgotten": "The input channels are missing: each inner product runs over C_in · kh · kw numbers.",
    "out-channels-forgotten": "That counts one output channel; there is one inner product per output channel and position.",
    "channel-sums-forgotten": "The additions that sum the channels' partial results are missing: one output is one inner product of length C_in · kh · kw, which takes C_in · kh · kw − 1 additions.",
    "one-output-counted": "That is one output value; the layer computes one inner product per output channel and output position.",
    "bias-forgotten": "The bias adds one more addition per output value.",
}


class OpCountQuestion(_LayerQuestion):
    """Multiplications and additions of a 2-D convolution layer (seed convention)."""

    hints = (
        "Each output value (per output channel and output position) is one inner product of length C_in · kh · kw.",
        "An inner product of L terms takes L multiplications and L − 1 additions; a bias adds one addition per output value.",
    )
    fields = (Field("multiplications"), Field("additions"))

    def __init__(self, id, layer: Layer):
        super().__init__(id, layer)
        self.expected = conv.op_count(layer.input_shape, layer.out_channels, layer.kernel_size, layer.stride, layer.padding, bias=layer.bias)
        self.prompt = f"2-D convolution, {layer.describe()}: how many multiplications and how many additions does it perform?"

    def solution_fields(self) -> list:
        return list(self.expected)

    def judge(self, answer):
        values, problem = answer_forms.integers(answer, 2)
        if problem:
            return self.invalid(problem)
        mults, adds = self.expected
        if values == self.expected:
            return self.correct(f"{mults:,} multiplications and {adds:,} additions ({2 * mults:,} FLOPs as FlopCounterMode counts them).")
        layer = self.layer
        c = layer.input_shape[0]
        o, k = layer.out_channels, layer.kernel_size
        ho, wo = layer.output_hw
        outputs, inner = o * ho * wo, c * k * k
        bias = outputs if layer.bias else 0

        def counts(positions, length, sums=None):
            return positions * length, positions * (length - 1 if sums is None else sums) + (positions if layer.bias else 0)

        candidates = [
            ("order-swapped", (adds, mults)),
            ("additions-equal-multiplications", (mults, mults) if not layer.bias else None),
            ("bias-forgotten", (mults, adds - bias) if layer.bias else None),
            ("in-channels-forgotten", counts(outputs, k * k)),
            ("out-channels-forgotten", counts(ho * wo, inner)),
            ("channel-sums-forgotten", (mults, outputs * c * (k * k - 1) + bias)),
            ("one-output-counted", counts(1, inner)),
            ("one-output-counted", counts(o, inner)),
        ]
        mistake = _first_match(values, [(n, v) for n, v in candidates if v != self.expected])
        if mistake is None and 2 * mults in values:
            mistake = "macs-for-multiplications"
        if mistake is None and values[1] == mults and values[0] != mults:
            mistake = "additions-equal-multiplications"
        if mistake:
            return self.wrong(_OP_MESSAGES[mistake], mistake=mistake, example=_op_example(mistake))
        size_mistake = self._size_mistake(values)
        if size_mistake:
            return size_mistake
        if values[0] == mults:
            return self.wrong("The multiplications are right, the additions are not: an inner product of L terms takes L − 1 additions.")
        if values[1] == adds:
            return self.wrong("The additions are right, the multiplications are not: one per term of every inner product.")
        return self.wrong("Not the operation counts: count the output values (channels × positions) and the length of each inner product.")

    def _size_mistake(self, values):
        layer = self.layer
        c, h, w = layer.input_shape
        k, s, p = layer.kernel_size, layer.stride, layer.padding
        right = self.layer.output_hw
        for mistake in SIZE_MISTAKES[:-1]:
            hw = (mistake.formula(h, k, s, p, 1), mistake.formula(w, k, s, p, 1))
            if hw == right or min(hw) < 1:
                continue
            inner, outputs = c * k * k, layer.out_channels * hw[0] * hw[1]
            wrong = (outputs * inner, outputs * (inner - 1) + (outputs if layer.bias else 0))
            if wrong == values:
                return self.wrong(
                    f"Your counts use a {hw[0]}×{hw[1]} output, which is what {mistake.label} gives. {mistake.explanation}",
                    mistake=mistake.name,
                    example=_counter_example(mistake, SMALL_CASES),
                )
        return None



LAYER_7x7 = Layer((32, 19, 19), 64, 7, stride=3, padding=0, bias=False)
LAYER_1x1 = Layer((512, 25, 25), 128, 1, stride=1, padding=2, bias=False)

QUESTIONS = [
    OutputSizeFunction(),
    OutputSizeQuestion("conv.size_78x84", (78, 84), 5, stride=3, padding=2),
    OutputSizeQuestion("conv.size_64x64", (64, 64), (3, 5), stride=2, padding=0),
    InputSizesQuestion("conv.input_for_16", 16, 9, stride=3, padding=1),
    ParamCountQuestion("conv.params_7x7", LAYER_7x7),
    OpCountQuestion("conv.ops_7x7", LAYER_7x7),
    ParamCountQuestion("conv.params_1x1", LAYER_1x1),
]
