"""Checks for Task 2, convolution arithmetic: output and input sizes, parameters, operations,
receptive fields, activation memory and the im2col view.

Data and thin subclasses of :class:`dlweek8.kinds.NamedMistakesValueQuestion`. Each question is one
instance in ``QUESTIONS``, its id and its numbers (``OutputSizeQuestion("conv.size_78x84", (78, 84), 5,
stride=3, padding=2)``); its class says how to read an answer, compute the right one privately from the
numbers (``_right_answer``: no attribute holds it, and no public function of the package returns it;
the instructor's reference maths, proved equal to PyTorch, is ``dlweek8.instructor.references.conv``),
list the answer each mistake gives (``candidates``), confirm a right answer and draw other numbers
(``draw``). Each kind lists the mistakes it can name in ``mistakes`` ({name: :class:`~dlweek8.mistakes.Mistake`}:
the message and a counter-example with other numbers, in one object); the wrong output sizes every
kind can meet are ``SIZE_MISTAKES`` (its ``shared_mistakes``). A wrong answer is told every mistake it
fits and never this question's right value; the right answer's feedback shows the reasoning and the
PyTorch expression that confirms it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from collections.abc import Callable
from fractions import Fraction  # the round-for-floor mistake's counter-example is computed at import

from .. import answer_forms, plain
from ..kinds import NamedMistakesValueQuestion, SharesMistakes
from ..mistakes import Mistake
from ..plain import describe
from ..question import Field, FunctionQuestion

FORMULA = "floor((n + 2p − d(k − 1) − 1) / s) + 1"


# -- misconceptions about the output size of one dimension -------------------------------------
def _span(k, d):
    return d * (k - 1) + 1


def _right(n, k, s=1, p=0, d=1) -> int:
    """The right output length of one dimension (PyTorch's); ValueError when the kernel does not fit."""
    span = _span(k, d)
    if span > n + 2 * p:
        raise ValueError(f"the kernel (span {span}) is larger than the padded input ({n} + 2*{p} = {n + 2 * p})")
    return (n + 2 * p - span) // s + 1


def _per_side(*numbers) -> list[tuple]:
    """(n, k, s, p, d) per dimension, from numbers that are each an int (both dimensions) or a (height, width) pair."""
    dims = max((len(v) for v in numbers if isinstance(v, tuple)), default=1)
    return list(zip(*(v if isinstance(v, tuple) else (v,) * dims for v in numbers), strict=True))


def _rights(size, kernel_size, stride=1, padding=0, dilation=1) -> tuple[int, ...]:
    """The right output size of each dimension."""
    return tuple(_right(*case) for case in _per_side(size, kernel_size, stride, padding, dilation))


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
    return f"padding={p} adds {p} cell{'' if p == 1 else 's'} on each side: the padded input has {n} + 2·{p} = {n + 2 * p} cells"


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


@dataclass(frozen=True, kw_only=True)
class SizeMistake(Mistake):
    """A wrong output-size formula: what it gets wrong (``message``), its ``label`` in sentences, the
    ``formula`` itself, a sentence with numbers showing ``why``, and a counter-example (``example``)."""

    label: str
    formula: Callable[[int, int, int, int, int], float]
    why: Callable[[int, int, int, int, int], str]


#: The one tolerance of the value-question kind (ints exactly, floats to 1e-9 relative), for the module's own tables.
_same = NamedMistakesValueQuestion.close


def _args_text(n, k, s, p, d) -> str:
    return f"n={n}, k={k}, s={s}, p={p}, d={d}"


def _number(value):
    """A real number from a plain value (int, float, size-1 array), or None."""
    if plain.is_array(value) and value.size == 1 and value.dtype.kind in "iuf":
        value = value.reshape(-1)[0].item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


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


def _counter_example(label, formula, why) -> tuple:
    """Rows showing the first of ``SMALL_CASES`` where ``formula`` gives a wrong size."""
    for n, k, s, p, d in SMALL_CASES:
        wrong, right = formula(n, k, s, p, d), _right(n, k, s, p, d)
        if not _same(wrong, right):
            return (
                ("counter-example", _args_text(n, k, s, p, d)),
                ("PyTorch gives", str(right)),
                (label, _show(wrong)),
                ("why", why(n, k, s, p, d)),
            )
    return ()


def _size_mistake(label, message, formula, why) -> SizeMistake:
    return SizeMistake(message, _counter_example(label, formula, why), label=label, formula=formula, why=why)


SIZE_MISTAKES = {
    "ceil-for-floor": _size_mistake(
        "ceil instead of floor",
        "The division rounds down: a window that would run past the end of the padded input is not computed.",
        lambda n, k, s, p, d: -(-(n + 2 * p - _span(k, d)) // s) + 1, _why_floor,
    ),
    "plus-one-forgotten": _size_mistake(
        "the formula without its + 1",
        "The + 1 is missing: the division counts the strides between the first and the last window, not the windows.",
        lambda n, k, s, p, d: (n + 2 * p - _span(k, d)) // s, _why_plus_one,
    ),
    "padding-once": _size_mistake(
        "the padding counted once",
        "PyTorch's padding=p adds p cells on each side, so the padded size is n + 2p.",
        lambda n, k, s, p, d: (n + p - _span(k, d)) // s + 1, _why_padding,
    ),
    "padding-ignored": _size_mistake(
        "the padding left out",
        "The padding is missing: the kernel slides over the padded input of n + 2p cells.",
        lambda n, k, s, p, d: (n - _span(k, d)) // s + 1, _why_padding,
    ),
    "dilation-ignored": _size_mistake(
        "the dilation left out",
        "Dilation spreads the kernel's taps apart: a kernel of size k spans d(k − 1) + 1 cells.",
        lambda n, k, s, p, d: (n + 2 * p - k) // s + 1, _why_dilation,
    ),
    "dilation-times-kernel": _size_mistake(
        "a span of d·k",
        "A dilated kernel spans d(k − 1) + 1 cells, not d·k: there is no gap after the last tap.",
        lambda n, k, s, p, d: (n + 2 * p - d * k) // s + 1, _why_dilation,
    ),
    "kernel-span-off-by-one": _size_mistake(
        "the formula without its − 1",
        "The − 1 is missing: a window of span d(k − 1) + 1 that starts at index i ends at i + d(k − 1).",
        lambda n, k, s, p, d: (n + 2 * p - _span(k, d) + 1) // s + 1, _why_span,
    ),
    "stride-ignored": _size_mistake(
        "the stride left out",
        "The stride is missing: the window moves s cells at a time, so divide by s.",
        lambda n, k, s, p, d: n + 2 * p - _span(k, d) + 1, _why_stride,
    ),
    "round-for-floor": _size_mistake(
        "round-to-nearest instead of floor",
        "The division rounds down, never to the nearest: a window that would run past the end is not computed.",
        lambda n, k, s, p, d: round(Fraction(n + 2 * p - _span(k, d), s)) + 1, _why_floor,
    ),
    "floor-missing": _size_mistake(
        "the division without floor",
        "Without floor the result is not a whole number of windows; take the floor of the division.",
        lambda n, k, s, p, d: (n + 2 * p - _span(k, d)) / s + 1, _why_exact,
    ),
}


@functools.lru_cache(maxsize=None)
def _telling_cases(names: tuple[str, ...]) -> tuple[tuple, ...]:
    """Few of ``SMALL_CASES`` on which every two of the formulas of the ``SIZE_MISTAKES`` ``names`` give
    different sizes on at least one (one case is enough for most pairs; ceil, − 1 and round need two).
    Cached: it depends on the names alone, and drawing variants asks for the same groups again and again."""
    mistakes = [SIZE_MISTAKES[name] for name in names]
    pairs = {(i, j) for i in range(len(mistakes)) for j in range(i + 1, len(mistakes))}
    chosen = []
    while pairs:
        best, told, best_off = None, set(), -1
        for case in SMALL_CASES:
            values = [mistake.formula(*case) for mistake in mistakes]
            here = {(i, j) for i, j in pairs if not _same(values[i], values[j])}
            off = sum(not _same(value, _right(*case)) for value in values)  # then: the most formulas visibly wrong
            if (len(here), off) > (len(told), best_off):
                best, told, best_off = case, here, off
        if best is None:
            return ()
        chosen.append(best)
        pairs -= told
    return tuple(chosen)


class _NamesSizeMistakes(SharesMistakes):
    """A kind of conv question: its own ``mistakes``, and the wrong output sizes of ``SIZE_MISTAKES``, shared by
    every kind, whose message starts by saying how this kind's answer used the wrong size (``uses_shared``)."""

    shared_mistakes = SIZE_MISTAKES

    def tell_apart(self, names, **numbers):
        """For wrong output-size formulas: one or two small cases on which they give different sizes, to
        work out with the student's own formula; other mistakes keep their counter-examples."""
        sizes = [name for name in names if self._is_shared(name)]
        cases = _telling_cases(tuple(sizes)) if len(sizes) > 1 else ()
        if not cases:
            return super().tell_apart(names, **numbers)
        number = {name: n for n, name in enumerate(names, 1)}
        where = " and ".join(_args_text(*case) for case in cases)
        follow_up = f"To tell which is yours, work out {where} with your own formula and compare with the sizes below."
        rows = ()
        for case in cases:
            rows += (("work out", _args_text(*case)), ("PyTorch gives", str(_right(*case))))
            rows += tuple((f"({number[name]}) {SIZE_MISTAKES[name].label}", _show(SIZE_MISTAKES[name].formula(*case))) for name in sizes)
        rows += tuple((f"({number[name]}) {label}", text) for name in names if name not in sizes for label, text in self.mistake(name).example)
        return follow_up, rows


# -- the function question -----------------------------------------------------------------
def _full(args) -> tuple[int, int, int, int, int]:
    return tuple(args) + (1, 0, 1)[len(args) - 2:]


#: A parameter a function can get wrong alone: (name, its place in (n, k, s, p, d), its default).
_PARAMETERS = (("dilation", 4, 1), ("padding", 3, 0), ("stride", 2, 1))


class OutputSizeFunction(_NamesSizeMistakes, FunctionQuestion):
    """Write the output-size formula as a function ``f(n, k, s=1, p=0, d=1) -> int``."""

    signature = "f(n, k, s=1, p=0, d=1) -> int"
    prompt = "Write f(n, k, s=1, p=0, d=1): the output size of a 1-D convolution (input n, kernel k, stride s, padding p per side, dilation d)."
    hints = (
        "Count where the window can start: a kernel of span d(k − 1) + 1 fits at starts 0, s, 2s, … as long as it ends inside the n + 2p padded cells.",
        "Python's // rounds down (floor) for non-negative numbers; the + 1 counts the first window itself.",
    )

    #: dlweek8.conv functions that compute (or call what computes) an output size.
    own_work = ("dlweek8.checks.conv._right",)
    uses_shared = "Your function matches {label} on every case."
    mistakes = {
        f"{name}-mishandled": Mistake(f"Your function is right whenever {name[0]} = {default} but not with {name}: compare your code with {FORMULA}.")
        for name, _, default in _PARAMETERS
    }

    def __init__(self, question_id):
        self.id = question_id

    def describe_probe(self, args) -> str:
        names = ("n", "k", "s", "p", "d")
        return ", ".join(f"{name}={value}" for name, value in zip(names, args, strict=False))

    def judge(self, cases, outcomes):
        probes = cases.probes
        got = []
        for args, outcome in zip(probes, outcomes, strict=True):
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
        wrong_at = [i for i, (g, e) in enumerate(zip(got, expected, strict=True)) if not _same(g, e)]
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
        for name, mistake in SIZE_MISTAKES.items():
            outputs = cases.mistakes.get(name)
            if outputs is not None and all(_same(g, out) for g, out in zip(got, outputs, strict=False)):
                return self.named(name, example=rows + (("why", mistake.why(*full[first])),))
        for name, position, default in _PARAMETERS:
            if all(full[i][position] != default for i in wrong_at):
                return self.named(f"{name}-mishandled", example=rows)
        return self.wrong(
            f"Not the output size on {len(wrong_at)} of {len(probes)} cases; the first is below. The formula is {FORMULA}.",
            example=rows,
        )


def _warning_rows(outcome) -> tuple:
    return (("warning", outcome.warnings[0]),) if outcome.warnings else ()


# -- value questions -----------------------------------------------------------------------
def _pair(value) -> str:
    return f"{value[0]}×{value[1]}" if isinstance(value, tuple) else f"{value}×{value}"


def _listing(values) -> str:
    values = sorted(values)
    if len(values) == 1:
        return str(values[0])
    return ", ".join(map(str, values[:-1])) + f" and {values[-1]}"


def _confirm(expression: str, value) -> tuple:
    """Rows of a right answer's feedback: the PyTorch expression that confirms it, and its value."""
    return (("PyTorch", expression), ("gives", repr(value)))


# -- each kind's mistakes: its message and counter-example, in one object ---------------------
def _shown(message: str, code: str, shape, label: str, value, why: str) -> Mistake:
    """A mistake whose counter-example is a small PyTorch layer (or call) and the right number for it."""
    where = f"{code} on an input of shape {shape}" if shape else code
    return Mistake(message, (("counter-example", where), (label, f"{value}: {why}")), (code, shape, value))


#: Mistakes about the layout of a 2-D size (used by the output-size questions).
LAYOUT_MISTAKES = {
    "height-width-swapped": Mistake(
        "Height and width are swapped: the first input size and the kernel's first number give the height.",
        (("counter-example", "input (height, width) = (10, 20), kernel (3, 5), stride 1, padding 0"), ("output (height, width)", "(8, 16)")),
        ("F.conv2d(torch.zeros(1, 1, 10, 20), torch.zeros(1, 1, 3, 5))", None, (8, 16)),
    ),
    "one-kernel-size-for-both": Mistake(
        "You used one kernel size for both dimensions: a (kh, kw) kernel moves over kh rows of the height and kw columns of the width.",
        (("counter-example", "input (height, width) = (8, 8), kernel (3, 5), stride 1, padding 0"), ("output (height, width)", "(6, 4), not (6, 6) or (4, 4)")),
        ("F.conv2d(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 3, 5))", None, (6, 4)),
    ),
}

#: Mistakes about a run of input sizes (the input-size question); the counter-example: k=3, s=2, p=0, output 4.
_RUN = (("counter-example", "k = 3, s = 2, p = 0: n = 9 and n = 10 give an output of 4"), ("and", "n = 8 gives 3, n = 11 gives 5"))
RUN_MISTAKES = {
    "upper-bound-included": Mistake("One too many: the upper bound of the run is strict (the size after the run already gives a larger output).", _RUN, ("conv1d", (3, 2, 0), (9, 10))),
    "sizes-missing": Mistake(
        "Every size you gave maps to this output, but not every size that does is there: with stride s, up to s neighbouring sizes share one output.",
        _RUN, ("conv1d", (3, 2, 0), (9, 10)),
    ),
    "empty": Mistake("Your answer is empty, but some input sizes do give this output.", _RUN, ("conv1d", (3, 2, 0), (9, 10))),
    "wrong-sizes": Mistake("Some of these sizes give another output. {gives}, not {output}.", _RUN, ("conv1d", (3, 2, 0), (9, 10))),
}

PARAM_MISTAKES = {
    "bias-counted": _shown("You counted a bias, but this layer has none (bias=False).",
                           "nn.Conv2d(1, 1, 3, bias=False)", None, "parameters", 9, "the 3·3 weights, no bias"),
    "bias-forgotten": _shown("The bias is missing: with a bias each kernel has one more parameter.",
                             "nn.Conv2d(1, 2, 3)", None, "parameters", 20, "2·1·3·3 weights + 2 biases, one per kernel"),
    "output-positions-multiplied": _shown(
        "You multiplied by the number of output positions. The kernel's weights are shared: the same weights are used at every position (that product counts multiplications, not parameters).",
        "nn.Conv2d(1, 1, 3, bias=False)", None, "parameters", 9, "on a 5×5 input (9 outputs) and on a 100×100 input (9604 outputs) alike: the weights are shared across positions"),
    "input-size-multiplied": _shown(
        "You multiplied by the input size. A convolution's weights do not depend on the input size: the kernel slides over it.",
        "nn.Conv2d(1, 1, 3, bias=False)", None, "parameters", 9, "whatever the input size"),
    "in-channels-forgotten": _shown("The input channels are missing: each kernel has a k×k slice for every input channel.",
                                    "nn.Conv2d(3, 1, 3, bias=False)", None, "parameters", 27, "each kernel covers all 3 input channels: 3·3·3"),
    "out-channels-forgotten": _shown("That is one kernel: the layer has one kernel per output channel.",
                                     "nn.Conv2d(3, 2, 3, bias=False)", None, "parameters", 54, "2 kernels of 3·3·3 weights each"),
    "kernel-side-not-area": _shown("A k×k kernel has k·k weights per channel, not k.",
                                   "nn.Conv2d(1, 1, 3, bias=False)", None, "parameters", 9, "a 3×3 kernel has 3·3 weights"),
    "padding-in-kernel": _shown("Padding adds zeros around the input; it adds no weights to the kernel.",
                                "nn.Conv2d(1, 1, 1, padding=2, bias=False)", None, "parameters", 1, "padding adds zeros to the input, not weights to the kernel"),
}

_OPS = "(multiplications, additions)"
OP_MISTAKES = {
    "order-swapped": _shown("Multiplications and additions are swapped: give (multiplications, additions).",
                            "nn.Conv2d(1, 1, 3, bias=False)", (1, 1, 3, 3), _OPS, (9, 8), "multiplications first"),
    "additions-equal-multiplications": _shown(
        "As many additions as multiplications: summing L products takes L − 1 additions (and there is no bias to add here).",
        "nn.Conv2d(1, 1, 3, bias=False)", (1, 1, 3, 3), _OPS, (9, 8), "one output; adding 9 products takes 8 additions"),
    "flops-for-multiplications": _shown(
        "That counts FLOPs (FlopCounterMode counts 2 per multiply-accumulate) where the question asks for multiplications: a multiply-accumulate holds one multiplication.",
        "nn.Conv2d(1, 1, 3, bias=False)", (1, 1, 3, 3), _OPS, (9, 8), "9 MACs, which FlopCounterMode reports as 18 FLOPs"),
    "flops-for-additions": _shown(
        "Your multiplications are right. Your additions count FLOPs (FlopCounterMode counts 2 per multiply-accumulate): count the additions an inner product of L terms needs.",
        "nn.Conv2d(1, 1, 3, bias=False)", (1, 1, 3, 3), _OPS, (9, 8), "18 FLOPs, but 8 additions"),
    "flops-for-both": _shown(
        "That counts FLOPs (FlopCounterMode counts 2 per multiply-accumulate) for both; count the multiplications and the additions separately.",
        "nn.Conv2d(1, 1, 3, bias=False)", (1, 1, 3, 3), _OPS, (9, 8), "18 FLOPs = 9 multiplications + 9 MAC additions, of which the first adds to zero"),
    "in-channels-forgotten": _shown("The input channels are missing: each inner product runs over C_in · kh · kw numbers.",
                                    "nn.Conv2d(3, 1, 3, bias=False)", (1, 3, 3, 3), _OPS, (27, 26), "one output, an inner product over 3 channels of 3·3 cells"),
    "out-channels-forgotten": _shown("That counts one output channel; there is one inner product per output channel and position.",
                                     "nn.Conv2d(1, 2, 3, bias=False)", (1, 1, 3, 3), _OPS, (18, 16), "one inner product per output channel"),
    "channel-sums-forgotten": _shown(
        "The additions that sum the channels' partial results are missing: one output is one inner product of length C_in · kh · kw, which takes C_in · kh · kw − 1 additions.",
        "nn.Conv2d(3, 1, 3, bias=False)", (1, 3, 3, 3), _OPS, (27, 26), "27 products summed into one number: 26 additions, not 3·8 = 24"),
    "one-output-counted": _shown("That is one output position; the layer computes one inner product per output channel and output position.",
                                 "nn.Conv2d(1, 1, 3, bias=False)", (1, 1, 4, 4), _OPS, (36, 32), "2×2 outputs of 9 multiplications and 8 additions each"),
    "bias-forgotten": _shown("The bias adds one more addition per output value.",
                             "nn.Conv2d(1, 1, 3)", (1, 1, 3, 3), _OPS, (9, 9), "8 additions for the sum, 1 for the bias"),
}

_BYTES = "output bytes (float32)"
MEMORY_MISTAKES = {
    "numbers-not-bytes": _shown("That counts values; the question asks for bytes: how many bytes does one float32 value take?",
                                "nn.Conv2d(1, 2, 3)", (1, 1, 5, 5), _BYTES, 72, "2·3·3 = 18 values of 4 bytes"),
    "float64": _shown("That counts every value as a float64; the output is float32, PyTorch's default dtype.",
                      "nn.Conv2d(1, 2, 3)", (1, 1, 5, 5), _BYTES, 72, "18 values of 4 bytes, not 8"),
    "bits-not-bytes": _shown("A float32 has 32 bits, which is 4 bytes: you counted bits.",
                             "nn.Conv2d(1, 2, 3)", (1, 1, 5, 5), _BYTES, 72, "18 values of 4 bytes (576 bits)"),
    "batch-forgotten": _shown("That is one sample; the output holds one map per sample of the batch.",
                              "nn.Conv2d(1, 2, 3)", (4, 1, 5, 5), _BYTES, 288, "4 samples of 2·3·3 values, 4 bytes each"),
    "input-size-used": _shown("You used the input's height and width; the output's follow from the output-size formula.",
                              "nn.Conv2d(1, 2, 3, stride=2)", (1, 1, 7, 7), _BYTES, 72, "the output is 3×3, not 7×7: 2·3·3 values of 4 bytes"),
    "in-channels-used": _shown("You used the input channels; the output has one channel per kernel (out_channels).",
                               "nn.Conv2d(3, 2, 3)", (1, 3, 5, 5), _BYTES, 72, "2 output channels of 3·3 values, 4 bytes each"),
    "input-counted": _shown("That is the input tensor; the question asks for the layer's output.",
                            "nn.Conv2d(1, 2, 3)", (1, 1, 5, 5), _BYTES, 72, "the input has 25 values (100 bytes), the output 18 (72 bytes)"),
    "weights-counted": _shown("That is the memory of the weights; activations are the output values, one per sample, channel and position.",
                              "nn.Conv2d(1, 2, 3)", (1, 1, 5, 5), _BYTES, 72, "20 parameters (80 bytes), but 18 output values (72 bytes)"),
}

_UNFOLD = "F.unfold shape"
UNFOLD_MISTAKES = {
    "transposed": _shown("Rows and columns are swapped: F.unfold gives one column per output position, one row per number under the kernel.",
                         "F.unfold(x, kernel_size=2)", (1, 1, 3, 3), _UNFOLD, (1, 4, 4), "4 rows (1·2·2), 4 columns (2×2 positions)"),
    "in-channels-forgotten": _shown("The channels are missing: each column holds the kernel's cells in every input channel, C · kh · kw numbers.",
                                    "F.unfold(x, kernel_size=2)", (1, 3, 3, 3), _UNFOLD, (1, 12, 4), "3 channels × 2·2 cells per column"),
    "kernel-side-not-area": _shown("A kh×kw kernel covers kh · kw cells per channel, not kh.",
                                   "F.unfold(x, kernel_size=3)", (1, 1, 4, 4), _UNFOLD, (1, 9, 4), "a 3×3 kernel: 9 rows"),
    "input-positions": _shown("One column per output position, not per input position: the columns number H_out · W_out.",
                              "F.unfold(x, kernel_size=3)", (1, 1, 5, 5), _UNFOLD, (1, 9, 9), "3×3 output positions, not 5×5"),
    "one-dimension-only": _shown("The columns cover every output position in 2-D, H_out · W_out of them, not one side.",
                                 "F.unfold(x, kernel_size=3)", (1, 1, 5, 6), _UNFOLD, (1, 9, 12), "3×4 output positions"),
    "not-flattened": _shown("F.unfold flattens the output positions into one dimension: give (N, rows, H_out · W_out).",
                            "F.unfold(x, kernel_size=3)", (1, 1, 5, 6), _UNFOLD, (1, 9, 12), "3×4 positions in one dimension of 12"),
}

_RF = "receptive field"
RF_MISTAKES = {
    "strides-ignored": _shown(
        "The strides are missing: after a layer of stride s, one step in its output is s steps in its input, so each later layer's k − 1 counts s times as many input cells.",
        "layers (k, s, d) = [(3, 2, 1), (3, 1, 1)]", None, _RF, 7, "1 + 2 + 2·2: the second layer's taps are 2 input cells apart"),
    "own-stride-included": _shown(
        "A layer's own stride does not widen what one of its outputs sees; only the strides of the layers below it scale its k − 1.",
        "layers (k, s, d) = [(3, 1, 1), (3, 2, 1)]", None, _RF, 5, "1 + 2 + 2·1: the second layer's stride acts on its output"),
    "dilation-ignored": _shown("The dilation is missing: a dilated layer spans d(k − 1) + 1 of its input cells.",
                               "layers (k, s, d) = [(3, 1, 2)]", None, _RF, 5, "taps at 0, 2, 4"),
    "spans-added": _shown(
        "You added whole spans: neighbouring windows of the layer below share k − 1 cells, so each layer adds d(k − 1) (scaled by the strides below it), and the 1 is counted once.",
        "layers (k, s, d) = [(3, 1, 1), (3, 1, 1)]", None, _RF, 5, "1 + 2 + 2, not 3 + 3"),
    "last-layer-only": _shown("That is the last layer's span on its own input; each layer below widens it.",
                              "layers (k, s, d) = [(3, 1, 1), (3, 1, 1)]", None, _RF, 5, "not 3"),
}


# -- value questions -----------------------------------------------------------------------
class _ConvValueQuestion(_NamesSizeMistakes, NamedMistakesValueQuestion):
    """A value question of notebook 02: named mistakes from ``candidates()`` (its own and the wrong output
    sizes), variants from ``draw``; hints after an attempt."""


def _one_integer(answer):
    """(int, None) or (None, problem) from a number, or from a list of one number (a one-field widget's answer)."""
    return answer_forms.integer(answer[0] if isinstance(answer, list) and len(answer) == 1 else answer)


def _wrong_sizes(h, w, k, s, p, count) -> list[tuple[str, object]]:
    """(size mistake, ``count(its (H_out, W_out))``) for each size mistake giving another whole output size here."""
    right = (_right(h, k, s, p), _right(w, k, s, p))
    found = []
    for name, mistake in SIZE_MISTAKES.items():
        hw = (mistake.formula(h, k, s, p, 1), mistake.formula(w, k, s, p, 1))
        if name != "floor-missing" and hw != right and min(hw) >= 1:
            found.append((name, count(hw)))
    return found


def _torch_args(stride, padding, dilation) -> str:
    parts = [f"stride={stride}" if stride != 1 else "", f"padding={padding}" if padding else "", f"dilation={dilation}" if dilation != 1 else ""]
    return "".join(", " + p for p in parts if p)


class OutputSizeQuestion(_ConvValueQuestion):
    """The (height, width) of a 2-D convolution's output."""

    hints = (
        "Work on the height and on the width separately: where can the window start so that it still ends inside the padded input?",
        f"Apply {FORMULA} to each dimension, with p per side; the kernel's first number goes with the height.",
    )
    fields = (Field("height"), Field("width"))
    mistakes = LAYOUT_MISTAKES

    def __init__(self, question_id, size, kernel_size, stride=1, padding=0, dilation=1):
        self.id = question_id
        self.size, self.kernel_size, self.stride, self.padding, self.dilation = size, kernel_size, stride, padding, dilation
        kernel = _pair(kernel_size)
        dilation_text = f", dilation {dilation}" if dilation != 1 else ""
        padding_text = f"padding {padding} on each side" if padding else "no padding"
        stride_text = f"stride {stride[0]} down the height and {stride[1]} across the width" if isinstance(stride, tuple) else f"stride {stride}"
        self.prompt = (
            f"2-D convolution on a {size[0]}×{size[1]} input (height × width), kernel {kernel}, {stride_text}, {padding_text}"
            f"{dilation_text}: what is the output's spatial size (height, width)?"
        )

    def _cases(self):
        return _per_side(self.size, self.kernel_size, self.stride, self.padding, self.dilation)

    def _right_answer(self):
        return tuple(_right(*case) for case in self._cases())

    def candidates(self):
        found = [("height-width-swapped", self._right_answer()[::-1])]
        kernel = self.kernel_size
        if isinstance(kernel, tuple) and kernel[0] != kernel[1]:
            for side in kernel:
                try:
                    found.append(("one-kernel-size-for-both", _rights(self.size, side, self.stride, self.padding, self.dilation)))
                except ValueError:
                    pass
        cases = self._cases()
        found += [(name, tuple(m.formula(*c) for c in cases)) for name, m in SIZE_MISTAKES.items() if name != "floor-missing"]
        found.append(("floor-missing", tuple(float(SIZE_MISTAKES["floor-missing"].formula(*c)) for c in cases)))
        return found

    def read(self, answer):
        return answer_forms.integers(answer, len(self._cases()))

    def unreadable(self, answer, problem):
        unrounded = self._unrounded(answer, self._cases())
        return unrounded if unrounded is not None else self.invalid(problem)

    def confirm(self, values):
        expression = (
            f"tuple(F.conv2d(torch.zeros(1, 1, {self.size[0]}, {self.size[1]}), torch.zeros(1, 1, {_pair(self.kernel_size).replace('×', ', ')})"
            f"{_torch_args(self.stride, self.padding, self.dilation)}).shape[-2:])"
        )
        return self.correct(f"{values}: {FORMULA} for the height and for the width.", example=_confirm(expression, values))

    def unnamed(self, values, expected):
        right = [v == e for v, e in zip(values, expected, strict=True)]
        detail = ""
        if any(right):
            names = ("height", "width")
            detail = f" The {names[right.index(True)]} is right, the {names[right.index(False)]} is not."
        return self.wrong(f"Not the output size.{detail} Apply {FORMULA} to each dimension.")

    def _unrounded(self, answer, cases):
        items = answer.reshape(-1).tolist() if plain.is_array(answer) else answer
        if not isinstance(items, list) or len(items) != len(cases) or any(_number(v) is None for v in items):
            return None
        if all(_same(v, SIZE_MISTAKES["floor-missing"].formula(*c)) for v, c in zip(items, cases, strict=True)):
            return self.named("floor-missing")
        return None

    draws = 400

    def draw(self, rng):
        size = tuple(int(v) for v in rng.integers(12, 129, size=2))
        kernel = tuple(int(v) for v in rng.choice([1, 2, 3, 5, 7], size=2)) if rng.random() < 0.4 else int(rng.choice([3, 5, 7]))
        stride, padding = int(rng.integers(1, 5)), int(rng.integers(1 if self.padding else 0, 4))
        dilation = int(rng.choice([1, 1, 1, 2]))
        return OutputSizeQuestion(self.id, size, kernel, stride, padding, dilation)

    def suits(self, other):
        height, width = other._right_answer()
        if height == width:
            return False
        if self.padding:  # then it can tell padding counted once
            return other.names_mistake("padding-once")
        return any(SIZE_MISTAKES["ceil-for-floor"].formula(*c) != _right(*c) for c in other._cases())


class InputSizesQuestion(_ConvValueQuestion):
    """Every 1-D input size that gives a given output size."""

    hints = (
        "Because of the floor, several neighbouring input sizes give the same output: look for a run of them.",
        "Write ⌊x⌋ = m as two inequalities, m ≤ x < m + 1, with x = (n + 2p − k) / s and m = out − 1, and solve for n.",
    )
    fields = (Field("every input size that gives it", kind="set"),)
    mistakes = RUN_MISTAKES
    uses_shared = "These are the sizes that {label} maps to {output}."

    def __init__(self, question_id, output, kernel_size, stride=1, padding=0, dilation=1):
        self.id = question_id
        self.output, self.kernel_size, self.stride, self.padding, self.dilation = output, kernel_size, stride, padding, dilation
        dilation_text = f", dilation {dilation}" if dilation != 1 else ""
        self.prompt = (
            f"1-D convolution with kernel {kernel_size}, stride {stride}, padding {padding}{dilation_text}: "
            f"which input sizes give an output of size {output}? Give all of them."
        )

    def from_fields(self, values):
        return values[0]

    def fields_for(self, answer) -> list:
        return [set(answer)]

    def _params(self):
        return self.kernel_size, self.stride, self.padding, self.dilation

    def _right_answer(self) -> frozenset:
        k, s, p, d = self._params()
        low = (self.output - 1) * s + _span(k, d) - 2 * p  # floor((n + 2p − span) / s) = output − 1
        return frozenset(range(max(low, 1), low + s))

    def _gives(self, n) -> str:
        try:
            return f"n = {n} gives {_right(n, *self._params())}"
        except ValueError:
            return f"n = {n} is too small for the kernel"

    def _mapped_by(self, mistake: SizeMistake) -> frozenset:
        k, s, p, d = self._params()
        search = range(1, max(self._right_answer()) + 4 * s + 2 * _span(k, d) + 2)
        return frozenset(n for n in search if _same(mistake.formula(n, k, s, p, d), self.output))

    def candidates(self):
        expected = self._right_answer()
        top = max(expected)
        found = [(name, self._mapped_by(m)) for name, m in SIZE_MISTAKES.items()]
        found += [
            ("upper-bound-included", expected | {top + 1}),
            ("sizes-missing", expected - {top} if len(expected) > 1 else None),
            ("wrong-sizes", expected | {top + 2 * self.stride}),
            ("empty", frozenset()),
        ]
        return found

    def judge(self, answer):
        values, problem = answer_forms.integer_set(answer)
        if problem:
            return self.invalid(problem)
        if not values:
            return self.named("empty")
        if min(values) < 1:
            return self.invalid(f"Input sizes are positive, got {min(values)}.")
        expected = self._right_answer()
        if values == expected:
            low, high = min(expected), max(expected)
            shown = range(max(low - 2, 1), high + 3)
            k, s, p, d = self._params()
            expression = (
                f"{{n: F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, {k}){_torch_args(s, p, d)}).shape[-1] "
                f"for n in range({shown.start}, {shown.stop})}}"
            )
            table = {n: _right(n, *self._params()) for n in shown}
            return self.correct(f"All of {_listing(values)}: the floor maps {len(values)} neighbouring sizes to {self.output}.", example=_confirm(expression, table))
        names = [name for name, m in SIZE_MISTAKES.items() if values == self._mapped_by(m)]
        missing, extra = expected - values, values - expected
        if not extra:  # a part of the run: sizes missing, whatever formula left them out
            return self.named_all(["sizes-missing", *names], output=self.output)
        if names:
            return self.named_all(names, output=self.output)
        if not missing and extra == {max(expected) + 1}:
            return self.named("upper-bound-included")
        return self.named("wrong-sizes", gives="; ".join(self._gives(n) for n in sorted(extra)[:3]), output=self.output)

    draws = 200

    def draw(self, rng):
        output, kernel = int(rng.integers(4, 31)), int(rng.integers(2, 10))
        stride, padding = int(rng.integers(2, 5)), int(rng.integers(0, 4))
        return InputSizesQuestion(self.id, output, kernel, stride, padding)

    def suits(self, other):
        return len(other._right_answer()) > 1


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
        return _rights(self.input_shape[1:], self.kernel_size, self.stride, self.padding)

    def describe(self) -> str:
        c, h, w = self.input_shape
        bias = "with bias" if self.bias else "no bias"
        return (
            f"input (C, H, W) = ({c}, {h}, {w}), {self.out_channels} kernels of size {self.kernel_size}×{self.kernel_size}, "
            f"stride {self.stride}, padding {self.padding}, {bias}"
        )

    def torch_code(self, device: str = "") -> str:
        """The ``nn.Conv2d`` that is this layer."""
        extra = _torch_args(self.stride, self.padding, 1) + ("" if self.bias else ", bias=False") + (f", device={device!r}" if device else "")
        return f"nn.Conv2d({self.input_shape[0]}, {self.out_channels}, {self.kernel_size}{extra})"

    @classmethod
    def draw(cls, rng) -> "Layer":
        c, o = (int(rng.choice([3, 8, 16, 32, 64, 128, 256])) for _ in range(2))
        k, size = int(rng.choice([1, 3, 5, 7])), int(rng.integers(8, 41))
        stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 4))
        return cls((c, size, size), o, k, stride, padding, bool(rng.random() < 0.3))


class _LayerQuestion(_ConvValueQuestion):
    """A question about one conv layer; its variants are other random layers."""

    def __init__(self, question_id, layer: Layer):
        self.id, self.layer = question_id, layer

    draws = 50

    def draw(self, rng):
        return type(self)(self.id, Layer.draw(rng))


class ParamCountQuestion(_LayerQuestion):
    """Trainable parameters of a 2-D convolution layer."""

    mistakes = PARAM_MISTAKES
    hints = (
        "What does one kernel look like: how many numbers does it hold for each input channel? How many kernels are there?",
        "The same weights slide over every position: neither the input size, the padding nor the stride enter the count.",
    )
    fields = (Field("parameters"),)

    def __init__(self, question_id, layer: Layer):
        super().__init__(question_id, layer)
        self.prompt = f"2-D convolution, {layer.describe()}: how many trainable parameters?"

    def _right_answer(self) -> int:
        layer = self.layer
        return layer.out_channels * layer.input_shape[0] * layer.kernel_size**2 + (layer.out_channels if layer.bias else 0)

    def candidates(self):
        layer = self.layer
        c, h, w = layer.input_shape
        o, k, bias = layer.out_channels, layer.kernel_size, layer.bias
        ho, wo = layer.output_hw
        weights = o * c * k * k
        extra = o if bias else 0
        return [
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

    def read(self, answer):
        return _one_integer(answer)

    def confirm(self, value):
        formula = "out_channels · in_channels · kh · kw" + (" + out_channels" if self.layer.bias else "")
        expression = f"sum(p.numel() for p in {self.layer.torch_code()}.parameters())"
        return self.correct(f"{value:,} = {formula}.", example=_confirm(expression, value))

    def unnamed(self, value, right):
        return self.wrong("Not the parameter count: count one weight per (kernel, input channel, kernel cell), plus one bias per kernel if there is a bias.")


class OpCountQuestion(_LayerQuestion):
    """Multiplications and additions of a 2-D convolution layer (seed convention)."""

    mistakes = OP_MISTAKES
    uses_shared = "Your counts use the output size that {label} gives."
    hints = (
        "What is one output value (one output channel, one position) made of? How many such values are there?",
        "An inner product of L terms takes L multiplications and L − 1 additions; a bias adds one addition per output value.",
    )
    fields = (Field("multiplications"), Field("additions"))

    def __init__(self, question_id, layer: Layer):
        super().__init__(question_id, layer)
        self.prompt = f"2-D convolution, {layer.describe()}: how many multiplications and how many additions does it perform?"

    def _right_answer(self) -> tuple[int, int]:
        return self._counts(self.layer.output_hw)

    def _counts(self, hw, inner=None, positions=None):
        """(multiplications, additions) with ``hw`` output positions and inner products of length ``inner``."""
        layer = self.layer
        inner = layer.input_shape[0] * layer.kernel_size**2 if inner is None else inner
        positions = layer.out_channels * hw[0] * hw[1] if positions is None else positions
        return positions * inner, positions * (inner - 1) + (positions if layer.bias else 0)

    def candidates(self):
        layer = self.layer
        mults, adds = self._right_answer()
        c, h, w = layer.input_shape
        o, k = layer.out_channels, layer.kernel_size
        ho, wo = layer.output_hw
        outputs = o * ho * wo
        bias = outputs if layer.bias else 0
        found = [
            ("order-swapped", (adds, mults)),
            ("additions-equal-multiplications", (mults, mults) if not layer.bias else None),
            ("bias-forgotten", (mults, adds - bias) if layer.bias else None),
            ("flops-for-multiplications", (2 * mults, adds)),
            ("flops-for-additions", (mults, 2 * mults)),
            ("flops-for-both", (2 * mults, 2 * mults)),
            ("in-channels-forgotten", self._counts((ho, wo), inner=k * k)),
            ("out-channels-forgotten", self._counts((ho, wo), positions=ho * wo)),
            ("channel-sums-forgotten", (mults, outputs * c * (k * k - 1) + bias)),
            ("one-output-counted", self._counts((ho, wo), positions=1)),
            ("one-output-counted", self._counts((ho, wo), positions=o)),
        ]
        found += _wrong_sizes(h, w, k, layer.stride, layer.padding, self._counts)
        return found

    def read(self, answer):
        return answer_forms.integers(answer, 2)

    def confirm(self, values):
        mults, adds = values
        expression = f"FlopCounterMode: {self.layer.torch_code()} on torch.zeros(1, {', '.join(map(str, self.layer.input_shape))})"
        return self.correct(
            f"{mults:,} multiplications and {adds:,} additions: one inner product per output value.",
            example=(("PyTorch", expression), ("gives", f"{2 * mults} FLOPs = 2 per multiplication")),
        )

    def unnamed(self, values, right):
        mults, adds = right
        if values[0] == mults:
            return self.wrong("The multiplications are right, the additions are not: an inner product of L terms takes L − 1 additions.")
        if values[1] == adds:
            return self.wrong("The additions are right, the multiplications are not: one per term of every inner product.")
        return self.wrong("Not the operation counts: count the output values (channels × positions) and the length of each inner product.")


class Im2colQuestion(_ConvValueQuestion):
    """The shape ``F.unfold`` (im2col) gives for one input: (N, C·kh·kw, H_out·W_out)."""

    hints = (
        "F.unfold lays out each window as one column: how many numbers are under the kernel (in every channel), and how many windows are there?",
        "Rows: C · kh · kw. Columns: one per output position, H_out · W_out, from the output-size formula.",
    )
    fields = (Field("N"), Field("rows"), Field("columns"))
    mistakes = UNFOLD_MISTAKES
    uses_shared = "Your number of columns uses the output size that {label} gives."

    def __init__(self, question_id, input_shape, kernel_size, stride=1, padding=0):
        self.id = question_id
        self.input_shape, self.kernel_size, self.stride, self.padding = tuple(input_shape), kernel_size, stride, padding
        padding_text = f", padding={padding}" if padding else ""
        stride_text = f", stride={stride}" if stride != 1 else ""
        self.prompt = (
            f"x has shape {self.input_shape} (N, C, H, W). What is the shape of "
            f"F.unfold(x, kernel_size={kernel_size}{stride_text}{padding_text})?"
        )

    def _expression(self) -> str:
        stride_text = f", stride={self.stride}" if self.stride != 1 else ""
        padding_text = f", padding={self.padding}" if self.padding else ""
        return f"tuple(F.unfold(torch.zeros{self.input_shape}, kernel_size={self.kernel_size}{stride_text}{padding_text}).shape)"

    def _out_hw(self):
        return _rights(self.input_shape[2:], self.kernel_size, self.stride, self.padding)

    def _right_answer(self) -> tuple[int, int, int]:
        ho, wo = self._out_hw()
        return self.input_shape[0], self.input_shape[1] * self.kernel_size**2, ho * wo

    def candidates(self):
        n, c, h, w = self.input_shape
        k = self.kernel_size
        rows, columns = self._right_answer()[1:]
        ho, wo = self._out_hw()
        found = [
            ("transposed", (n, columns, rows)),
            ("in-channels-forgotten", (n, k * k, columns)),
            ("kernel-side-not-area", (n, c * k, columns)),
            ("input-positions", (n, rows, h * w)),
            ("one-dimension-only", (n, rows, ho) if ho == wo else None),
        ]
        found += _wrong_sizes(h, w, k, self.stride, self.padding, lambda hw: (n, rows, hw[0] * hw[1]))
        found.append(("not-flattened", (n, rows, ho, wo)))
        return found

    def read(self, answer):
        return answer_forms.integers(answer, 3)

    def unreadable(self, answer, problem):
        four, _ = answer_forms.integers(answer, 4)
        if four is not None and four == self._right_answer()[:2] + self._out_hw():
            return self.named("not-flattened")
        return self.invalid(problem)

    def confirm(self, values):
        return self.correct(
            f"{values}: one column of C · kh · kw numbers per output position. A layer with C_out kernels multiplies its "
            "(C_out, C · kh · kw) weight matrix by these columns: C_out · (C · kh · kw) · (H_out · W_out) multiplications per sample.",
            example=_confirm(self._expression(), values),
        )

    def unnamed(self, values, expected):
        if values[0] != expected[0]:
            return self.wrong("The first dimension is the batch: F.unfold keeps N.")
        return self.wrong("Not the shape: one row per number under the kernel (all channels), one column per output position.")

    def draw(self, rng):
        shape = (int(rng.choice([1, 4, 8, 16])), int(rng.choice([1, 3, 8, 16])), *(int(v) for v in rng.integers(6, 40, size=2)))
        k, s, p = int(rng.choice([2, 3, 5])), int(rng.integers(1, 4)), int(rng.integers(0, 3))
        return Im2colQuestion(self.id, shape, k, s, p)


class ActivationMemoryQuestion(_LayerQuestion):
    """Bytes of a layer's float32 output for a batch."""

    mistakes = MEMORY_MISTAKES
    uses_shared = "Your count uses the output size that {label} gives."
    hints = (
        "The output is a tensor of shape (batch, out_channels, H_out, W_out): how many numbers, and how many bytes per float32?",
        "H_out and W_out come from the output-size formula; a float32 takes 4 bytes.",
    )
    fields = (Field("bytes"),)

    def __init__(self, question_id, layer: Layer, batch: int):
        super().__init__(question_id, layer)
        self.batch = batch
        self.prompt = f"A batch of {batch} inputs, float32, through a 2-D convolution, {layer.describe()}: how many bytes does its output take?"

    def _right_answer(self) -> int:
        ho, wo = self.layer.output_hw
        return self.batch * self.layer.out_channels * ho * wo * 4

    def candidates(self):
        layer, batch = self.layer, self.batch
        c, h, w = layer.input_shape
        o = layer.out_channels
        ho, wo = layer.output_hw
        values = batch * o * ho * wo
        found = [
            ("numbers-not-bytes", values),
            ("float64", values * 8),
            ("bits-not-bytes", values * 32),
            ("batch-forgotten", o * ho * wo * 4),
            ("input-size-used", batch * o * h * w * 4),
            ("in-channels-used", batch * c * ho * wo * 4),
            ("input-counted", batch * c * h * w * 4),
            ("weights-counted", (o * c * layer.kernel_size**2 + (o if layer.bias else 0)) * 4),
        ]
        k, s, p = layer.kernel_size, layer.stride, layer.padding
        found += _wrong_sizes(h, w, k, s, p, lambda hw: batch * o * hw[0] * hw[1] * 4)
        return found

    def read(self, answer):
        return _one_integer(answer)

    def confirm(self, value):
        ho, wo = self.layer.output_hw
        expression = f"{self.layer.torch_code(device='meta')}(torch.zeros({self.batch}, {', '.join(map(str, self.layer.input_shape))}, device='meta')).nbytes"
        return self.correct(
            f"{value:,} bytes = {self.batch} · {self.layer.out_channels} · {ho} · {wo} values of 4 bytes ({value / 2**20:.1f} MiB); "
            "training keeps it for the backward pass.",
            example=_confirm(expression, value),
        )

    def unnamed(self, value, right):
        return self.wrong("Not the output's size in bytes: count batch · out_channels · H_out · W_out values, 4 bytes each.")

    def draw(self, rng):
        return ActivationMemoryQuestion(self.id, Layer.draw(rng), int(rng.choice([1, 8, 16, 32, 64, 128])))


class ReceptiveFieldQuestion(_ConvValueQuestion):
    """The receptive field of one output of a stack of 1-D convolutions."""

    hints = (
        "Go down the stack one layer at a time: one more layer of kernel k widens what an output sees by k − 1 cells of that layer's input. How far apart are those cells in the original input?",
        "One step in the input of layer l is the product of the strides of the layers below it in input cells; dilation d spreads the k taps over d(k − 1) + 1 cells.",
    )
    fields = (Field("receptive field (input cells)"),)
    mistakes = RF_MISTAKES

    def __init__(self, question_id, layers):
        self.id = question_id
        self.layers = tuple(tuple(layer) for layer in layers)
        stack = ", ".join(f"(k={k}, s={s}" + (f", d={d})" if d != 1 else ")") for k, s, d in self.layers)
        self.prompt = (
            f"A stack of 1-D convolutions, input side first: {stack}. One output of the last layer depends on how many "
            "consecutive input cells (its receptive field)?"
        )

    def _right_answer(self) -> int:
        return 1 + sum(d * (k - 1) * math.prod(s for _, s, _ in self.layers[:i]) for i, (k, _, d) in enumerate(self.layers))

    def candidates(self):
        layers = self.layers
        strides_below = [math.prod(s for _, s, _ in layers[:i]) for i in range(len(layers))]
        k, s, d = layers[-1]
        return [
            ("strides-ignored", 1 + sum(d * (k - 1) for k, s, d in layers)),
            ("own-stride-included", 1 + sum(d * (k - 1) * below * s for (k, s, d), below in zip(layers, strides_below, strict=True))),
            ("dilation-ignored", 1 + sum((k - 1) * below for (k, s, d), below in zip(layers, strides_below, strict=True))),
            ("spans-added", sum((d * (k - 1) + 1) * below for (k, s, d), below in zip(layers, strides_below, strict=True))),
            ("last-layer-only", d * (k - 1) + 1),
        ]

    def read(self, answer):
        return _one_integer(answer)

    def confirm(self, value):
        terms = " + ".join(f"{d}·{k - 1}·{math.prod(s for _, s, _ in self.layers[:i])}" for i, (k, s, d) in enumerate(self.layers))
        return self.correct(
            f"1 + {terms} = {value}: each layer adds d(k − 1) of its input cells, each worth the product of the strides below it.",
            example=(("PyTorch", "the gradient of one output of the stack (nn.Conv1d layers) with respect to the input"),
                     ("gives", f"non-zero on {value} consecutive input cells")),
        )

    def unnamed(self, value, right):
        return self.wrong("Not the receptive field: add each layer's d(k − 1), scaled by the strides of the layers below it, to 1.")

    def draw(self, rng):
        depth = int(rng.integers(2, 5))
        return ReceptiveFieldQuestion(self.id, tuple((int(rng.choice([1, 3, 5, 7])), int(rng.choice([1, 1, 2])), int(rng.choice([1, 1, 2]))) for _ in range(depth)))

    def suits(self, other):
        return len({v for _, v in other.candidates()} | {other._right_answer()}) >= 4


LAYER_7x7 = Layer((32, 19, 19), 64, 7, stride=3, padding=0, bias=False)
LAYER_1x1 = Layer((512, 25, 25), 128, 1, stride=1, padding=2, bias=False)
#: ResNet's first layer: 64 kernels of 7×7, stride 2, padding 3 on a 224×224 RGB image.
LAYER_STEM = Layer((3, 224, 224), 64, 7, stride=2, padding=3, bias=False)

QUESTIONS = [
    OutputSizeFunction("conv.output_size_fn"),
    OutputSizeQuestion("conv.size_78x84", (78, 84), 5, stride=3, padding=2),
    OutputSizeQuestion("conv.size_64x64", (64, 64), (3, 5), stride=2, padding=0),
    OutputSizeQuestion("conv.size_28x36", (28, 36), 3, stride=1, padding=2),
    InputSizesQuestion("conv.input_for_16", 16, 9, stride=3, padding=1),
    ParamCountQuestion("conv.params_7x7", LAYER_7x7),
    ParamCountQuestion("conv.params_1x1", LAYER_1x1),
    OpCountQuestion("conv.ops_7x7", LAYER_7x7),
    # Numbers of our own (not the notes'): no two catalogued mistakes give one value, and padding counted
    # once is wrong (issue 23 item 3); with a stride above 1 a square layer always has two that agree.
    Im2colQuestion("conv.im2col_shape", (8, 3, 32, 32), 7, stride=1, padding=2),
    ActivationMemoryQuestion("conv.activation_memory", LAYER_STEM, batch=32),
    ReceptiveFieldQuestion("conv.receptive_field", ((5, 2, 1), (3, 2, 1), (3, 1, 2))),
    # The self-test at the end of the notebook: the same skills with new numbers (answer boxes only), each
    # telling every catalogued mistake from every other (the size's two strides let ceil and the missing − 1 differ).
    OutputSizeQuestion("conv.quiz_size", (37, 30), (5, 3), stride=(1, 2), padding=1),
    InputSizesQuestion("conv.quiz_input_sizes", 10, 5, stride=4, padding=1),
    OpCountQuestion("conv.quiz_ops", Layer((16, 12, 12), 32, 5, stride=1, padding=2, bias=True)),
    ActivationMemoryQuestion("conv.quiz_memory", Layer((64, 56, 56), 128, 7, stride=1, padding=2), batch=16),
    ReceptiveFieldQuestion("conv.quiz_receptive_field", ((3, 1, 1), (3, 2, 1), (3, 2, 1), (3, 1, 1))),
]

#: The questions of the self-test (answered in answer boxes, not graded).
QUIZ = tuple(q.id for q in QUESTIONS if q.id.startswith("conv.quiz_"))
