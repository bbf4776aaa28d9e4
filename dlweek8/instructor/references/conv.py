"""Solutions of the convolution questions (notebook 02): references, probes and wrong answers.

Right values are computed from the reference maths (which the tests prove equal to PyTorch),
from the notebook's own numbers. Each catalogue entry is a wrong answer written out as the
student would compute it, making exactly the named mistake.
"""

from __future__ import annotations

import math

from ... import conv
from ...checks import conv as checks
from . import Solution


def _span(k, d):
    return d * (k - 1) + 1


# -- conv.output_size_fn ---------------------------------------------------------------------
def _asked() -> set[tuple]:
    """Every (n, k, s, p, d) a value question of the notebook works on: the stored public outputs
    ship to students, so they must not hold the answer to one of these."""
    found = set()
    for q in checks.QUESTIONS:
        if isinstance(q, checks.OutputSizeQuestion):
            found.update(q._cases())
        elif isinstance(q, checks.Im2colQuestion):
            found.update((n, q.kernel_size, q.stride, q.padding, 1) for n in q.input_shape[2:])
        elif isinstance(getattr(q, "layer", None), checks.Layer):
            layer = q.layer
            found.update((n, layer.kernel_size, layer.stride, layer.padding, 1) for n in layer.input_shape[1:])
    return found


def _public_probes() -> list[tuple]:
    """Defaults first (2, 3 and 4 arguments), then all five over a spread grid; none a question asks about."""
    short = [(5, 3), (7, 3), (10, 4), (70, 5), (7, 3, 2), (10, 3, 3), (9, 2, 2), (71, 5, 3),
             (70, 5, 3, 2), (73, 5, 3, 2), (6, 3, 2, 1), (5, 5, 1, 2), (10, 3, 1, 0, 2), (15, 3, 2, 1, 2), (7, 2, 2, 0, 3)]
    grid = [
        (n, k, s, p, d)
        for n in (1, 2, 4, 7, 13, 19, 32, 64)
        for k in (1, 2, 3, 5, 7)
        for s in (1, 2, 3, 4)
        for p in (0, 1, 2, 3)
        for d in (1, 2, 3)
        if _span(k, d) <= n + 2 * p
    ]
    asked = _asked()
    return [probe for probe in short + grid[::11] if checks._full(probe) not in asked]


def _hidden_probes() -> list[tuple]:
    """Other sizes than the public probes, including large and odd ones."""
    grid = [
        (n, k, s, p, d)
        for n in (3, 5, 11, 23, 41, 97, 224)
        for k in (2, 3, 4, 6, 11)
        for s in (1, 2, 3, 5)
        for p in (0, 1, 4)
        for d in (1, 2, 4)
        if _span(k, d) <= n + 2 * p
    ]
    return [(12, 3), (31, 4, 2), (50, 7, 3, 3), (78, 5, 3, 2), (84, 5, 3, 2)] + grid[5::13]


def _output_size(n, k, s=1, p=0, d=1):
    """The reference, written out (the tests prove it equal to ``dlweek8.conv.output_size`` and PyTorch)."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _ceil(n, k, s=1, p=0, d=1):
    return math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1


def _no_plus_one(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s


def _padding_once(n, k, s=1, p=0, d=1):
    return (n + p - d * (k - 1) - 1) // s + 1


def _padding_ignored(n, k, s=1, p=0, d=1):
    return (n - d * (k - 1) - 1) // s + 1


def _dilation_ignored(n, k, s=1, p=0, d=1):
    return (n + 2 * p - k) // s + 1


def _dilation_times_kernel(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * k) // s + 1


def _span_off_by_one(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1)) // s + 1


def _stride_ignored(n, k, s=1, p=0, d=1):
    return n + 2 * p - d * (k - 1)


def _rounded(n, k, s=1, p=0, d=1):
    return round((n + 2 * p - d * (k - 1) - 1) / s) + 1


def _unfloored(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) / s + 1


def _dilation_mishandled(n, k, s=1, p=0, d=1):
    return _output_size(n, k, s, p, d) + (d == 3)


def _padding_mishandled(n, k, s=1, p=0, d=1):
    return (n + 3 * p - d * (k - 1) - 1) // s + 1


def _stride_mishandled(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // (s * s) + 1


output_size_fn = Solution(
    answer=_output_size,
    wrong={
        "ceil-for-floor": _ceil,
        "plus-one-forgotten": _no_plus_one,
        "padding-once": _padding_once,
        "padding-ignored": _padding_ignored,
        "dilation-ignored": _dilation_ignored,
        "dilation-times-kernel": _dilation_times_kernel,
        "kernel-span-off-by-one": _span_off_by_one,
        "stride-ignored": _stride_ignored,
        "round-for-floor": _rounded,
        "floor-missing": _unfloored,
        "dilation-mishandled": _dilation_mishandled,
        "padding-mishandled": _padding_mishandled,
        "stride-mishandled": _stride_mishandled,
    },
    unnamed=(lambda n, k, s=1, p=0, d=1: n - k + 1, lambda n, k, s=1, p=0, d=1: -1, lambda n, k, s=1, p=0, d=1: n),
    public_probes=_public_probes,
    hidden_probes=_hidden_probes,
)

# -- value questions: the right value from the reference maths, wrong ones written out ----------
size_78x84 = Solution(
    answer=conv.output_size((78, 84), 5, stride=3, padding=2),
    wrong={
        "ceil-for-floor": (27, 29),  # ceil(77/3) + 1, ceil(83/3) + 1
        "plus-one-forgotten": (25, 27),  # 77 // 3, 83 // 3
        "height-width-swapped": (28, 26),
        "stride-ignored": (78, 84),  # 78 + 4 − 5 + 1
        "floor-missing": (77 / 3 + 1, 83 / 3 + 1),
    },
    unnamed=((26, 27), (24, 26)),
)

size_64x64 = Solution(
    answer=conv.output_size((64, 64), (3, 5), stride=2, padding=0),
    wrong={
        "height-width-swapped": (30, 31),
        "one-kernel-size-for-both": (31, 31),  # the 3 used for the width too
        "ceil-for-floor": (32, 31),  # ceil(61/2) + 1, ceil(59/2) + 1
        "plus-one-forgotten": (30, 29),
        "stride-ignored": (62, 60),
        "floor-missing": (61 / 2 + 1, 59 / 2 + 1),
    },
    unnamed=((29, 29),),
)

size_28x36 = Solution(
    answer=conv.output_size((28, 36), 3, stride=1, padding=2),
    wrong={
        "padding-once": (28, 36),  # d2l's n − k + p + 1 with p = 2 read as the total
        "padding-ignored": (26, 34),
        "plus-one-forgotten": (29, 37),
        "kernel-span-off-by-one": (31, 39),
        "height-width-swapped": (38, 30),
    },
    unnamed=((30, 36), (32, 40)),
)

input_for_16 = Solution(
    answer=list(conv.input_sizes(16, 9, stride=3, padding=1)),
    wrong={
        "floor-missing": [52],  # (n + 2 − 9)/3 + 1 = 16 exactly
        "upper-bound-included": range(52, 56),
        "sizes-missing": [52, 53],
        "ceil-for-floor": {50, 51, 52},
        "plus-one-forgotten": range(55, 58),
        "padding-once": range(53, 56),
        "padding-ignored": range(54, 57),
        "kernel-span-off-by-one": {51, 52, 53},  # round-to-nearest gives the same sizes
        "stride-ignored": [22],  # n + 2 − 9 + 1 = 16
        "wrong-sizes": [52, 53, 54, 60],
        "empty": [],
    },
    unnamed=(),
)

params_7x7 = Solution(
    answer=conv.param_count(32, 64, 7, bias=False),
    wrong={
        "bias-counted": 32 * 7 * 7 * 64 + 64,
        "output-positions-multiplied": 32 * 7 * 7 * 64 * 5 * 5,
        "input-size-multiplied": 32 * 7 * 7 * 64 * 19 * 19,
        "in-channels-forgotten": 7 * 7 * 64,
        "out-channels-forgotten": 32 * 7 * 7,
        "kernel-side-not-area": 32 * 7 * 64,
    },
    unnamed=(12345, 32 * 7 * 7 * 64 - 1),
)

params_1x1 = Solution(
    answer=conv.param_count(512, 128, 1, bias=False),
    wrong={
        "bias-counted": 512 * 128 + 128,
        "output-positions-multiplied": 512 * 128 * 29 * 29,
        "padding-in-kernel": 512 * 5 * 5 * 128,
        "in-channels-forgotten": 128,
        "out-channels-forgotten": 512,
        "input-size-multiplied": 512 * 128 * 25 * 25,
    },
    unnamed=(1000,),
)

_MULTS_7x7 = 64 * 5 * 5 * 32 * 7 * 7  # one inner product of 32·7·7 terms per output value, 64·5·5 values
ops_7x7 = Solution(
    answer=conv.op_count((32, 19, 19), 64, 7, stride=3, padding=0, bias=False),
    wrong={
        "additions-equal-multiplications": (_MULTS_7x7, _MULTS_7x7),
        "flops-for-multiplications": (2 * _MULTS_7x7, 64 * 5 * 5 * (32 * 49 - 1)),
        "flops-for-additions": (_MULTS_7x7, 2 * _MULTS_7x7),
        "flops-for-both": (2 * _MULTS_7x7, 2 * _MULTS_7x7),
        "order-swapped": (64 * 5 * 5 * (32 * 49 - 1), _MULTS_7x7),
        "in-channels-forgotten": (49 * 1600, 48 * 1600),
        "out-channels-forgotten": (25 * 1568, 25 * 1567),
        "channel-sums-forgotten": (_MULTS_7x7, 48 * 32 * 1600),
        "one-output-counted": (1568, 1567),
        "plus-one-forgotten": (64 * 4 * 4 * 1568, 64 * 4 * 4 * 1567),  # a 4×4 output
        "stride-ignored": (64 * 13 * 13 * 1568, 64 * 13 * 13 * 1567),  # a 13×13 output
    },
    unnamed=((_MULTS_7x7, 1), (1, 2)),
)

im2col_shape = Solution(
    answer=conv.unfold_shape((8, 3, 32, 32), 5, stride=2, padding=1),
    wrong={
        "transposed": (8, 15 * 15, 3 * 5 * 5),
        "in-channels-forgotten": (8, 5 * 5, 15 * 15),
        "kernel-side-not-area": (8, 3 * 5, 15 * 15),
        "input-positions": (8, 3 * 5 * 5, 32 * 32),
        "one-dimension-only": (8, 3 * 5 * 5, 15),
        "not-flattened": (8, 3 * 5 * 5, 15, 15),
        "ceil-for-floor": (8, 3 * 5 * 5, 16 * 16),  # ceil(29/2) + 1 = 16
        "plus-one-forgotten": (8, 3 * 5 * 5, 14 * 14),
        "stride-ignored": (8, 3 * 5 * 5, 30 * 30),
    },
    unnamed=((8, 3, 225), (1, 75, 225)),
)

def _memory_mistakes(batch, c, n, o, k, n_out, wrong_sizes: dict) -> dict:
    """Wrong float32 byte counts for ``batch`` inputs of c × n × n through o kernels of k × k that give
    n_out × n_out outputs, each as a student computes it; ``wrong_sizes`` maps a size mistake to the
    n_out it gives."""
    values = batch * o * n_out * n_out
    return {
        "numbers-not-bytes": values,
        "float64": values * 8,
        "bits-not-bytes": values * 32,
        "batch-forgotten": o * n_out * n_out * 4,
        "input-size-used": batch * o * n * n * 4,
        "in-channels-used": batch * c * n_out * n_out * 4,
        "input-counted": batch * c * n * n * 4,
        "weights-counted": o * c * k * k * 4,
    } | {mistake: batch * o * m * m * 4 for mistake, m in wrong_sizes.items()}


#: (224 + 6 − 7) // 2 + 1 = 112; without padding (224 − 7) // 2 + 1 = 109.
activation_memory = Solution(
    answer=32 * 64 * conv.output_size(224, 7, 2, 3) ** 2 * 4,
    wrong=_memory_mistakes(32, 3, 224, 64, 7, 112, {"padding-ignored": 109, "plus-one-forgotten": 111, "ceil-for-floor": 113}),
    unnamed=(32 * 64 * 112 * 112 * 2, 100_000_000),
)

receptive_field = Solution(
    answer=conv.receptive_field([(5, 2, 1), (3, 2, 1), (3, 1, 2)]),
    wrong={
        "strides-ignored": 1 + 4 + 2 + 2 * 2,
        "own-stride-included": 1 + 4 * 2 + 2 * 4 + 2 * 2 * 4,
        "dilation-ignored": 1 + 4 + 2 * 2 + 2 * 4,
        "spans-added": 5 + 3 * 2 + 5 * 4,
        "last-layer-only": 5,
    },
    unnamed=(24, 26),
)

# -- the self-test: the same skills with new numbers --------------------------------------------
quiz_size = Solution(
    answer=conv.output_size((40, 30), (5, 3), stride=2, padding=1),
    wrong={
        "height-width-swapped": (15, 19),
        "one-kernel-size-for-both": (19, 14),  # the 5 used for the width too
        "ceil-for-floor": (20, 16),  # ceil(37/2) + 1, ceil(29/2) + 1
        "plus-one-forgotten": (18, 14),
        "stride-ignored": (38, 30),
        "floor-missing": (37 / 2 + 1, 29 / 2 + 1),
    },
    unnamed=((19, 16), (17, 13)),
)

quiz_input_sizes = Solution(
    answer=list(conv.input_sizes(10, 5, stride=2, padding=2)),
    wrong={
        "ceil-for-floor": [18, 19],
        "plus-one-forgotten": [21, 22],
        "padding-ignored": [23, 24],
        "stride-ignored": [10],  # n + 4 − 5 + 1 = 10
        "round-for-floor": [19],
        "upper-bound-included": [19, 20, 21],
        "wrong-sizes": [19, 20, 24],
        "empty": [],
    },
)

_QUIZ_OUTPUTS = 32 * 12 * 12  # padding 1 keeps 12 × 12; inner products of 16·3·3 = 144 terms, plus a bias
quiz_ops = Solution(
    answer=conv.op_count((16, 12, 12), 32, 3, stride=1, padding=1, bias=True),
    wrong={
        "bias-forgotten": (_QUIZ_OUTPUTS * 144, _QUIZ_OUTPUTS * 143),
        "flops-for-multiplications": (2 * _QUIZ_OUTPUTS * 144, _QUIZ_OUTPUTS * 144),
        "flops-for-additions": (_QUIZ_OUTPUTS * 144, 2 * _QUIZ_OUTPUTS * 144),
        "flops-for-both": (2 * _QUIZ_OUTPUTS * 144, 2 * _QUIZ_OUTPUTS * 144),
        "in-channels-forgotten": (_QUIZ_OUTPUTS * 9, _QUIZ_OUTPUTS * 9),
        "out-channels-forgotten": (144 * 144, 144 * 144),
        "channel-sums-forgotten": (_QUIZ_OUTPUTS * 144, _QUIZ_OUTPUTS * 16 * 8 + _QUIZ_OUTPUTS),
        "one-output-counted": (144, 144),
        "plus-one-forgotten": (32 * 11 * 11 * 144, 32 * 11 * 11 * 144),
        "padding-ignored": (32 * 10 * 10 * 144, 32 * 10 * 10 * 144),
        "kernel-span-off-by-one": (32 * 13 * 13 * 144, 32 * 13 * 13 * 144),
    },
    unnamed=((1, 1),),
)

#: (56 + 2 − 3) // 2 + 1 = 28. Counting the input, 16 · 64 · 56 · 56 · 4, is the float64 count here: not a mistake of its own.
quiz_memory = Solution(
    answer=16 * 128 * conv.output_size(56, 3, 2, 1) ** 2 * 4,
    wrong={name: value for name, value in _memory_mistakes(16, 64, 56, 128, 3, 28, {"ceil-for-floor": 29, "plus-one-forgotten": 27}).items()
           if name != "input-counted"},
    unnamed=(1_000_000,),
)

quiz_receptive_field = Solution(
    answer=conv.receptive_field([(3, 1, 1), (3, 2, 1), (3, 2, 1), (3, 1, 1)]),
    wrong={
        "strides-ignored": 1 + 2 + 2 + 2 + 2,
        "own-stride-included": 1 + 2 + 2 * 2 + 2 * 4 + 2 * 4,
        "spans-added": 3 + 3 + 3 * 2 + 3 * 4,
        "last-layer-only": 3,
    },
    unnamed=(16, 18),
)


# -- answers that fit several mistakes: with these numbers two formulas give the same wrong value, so
# the check names both (Feedback.mistakes) and the catalogue lists the value under each name.
def _also(found: Solution, **same_as) -> None:
    """Catalogue ``found.wrong[other]`` under the mistake name ``name`` too, for each name=other."""
    for name, other in same_as.items():
        found.wrong[name.replace("_", "-")] = found.wrong[other]


_also(size_78x84, kernel_span_off_by_one="ceil-for-floor", round_for_floor="ceil-for-floor", padding_ignored="plus-one-forgotten")
size_64x64.wrong["kernel-span-off-by-one"] = (32, 31)
size_64x64.wrong["round-for-floor"] = (31, 31)  # the one-kernel-size answer: round(61/2) = 30 (to even) + 1
input_for_16.wrong["round-for-floor"] = {51, 52, 53}
_also(im2col_shape, padding_ignored="plus-one-forgotten", kernel_span_off_by_one="ceil-for-floor")
_also(activation_memory, kernel_span_off_by_one="ceil-for-floor", round_for_floor="ceil-for-floor", padding_once="plus-one-forgotten",
      stride_ignored="input-size-used")
_also(quiz_size, padding_ignored="plus-one-forgotten", kernel_span_off_by_one="ceil-for-floor")
quiz_input_sizes.wrong.update({"kernel-span-off-by-one": [18, 19], "sizes-missing": [19], "floor-missing": [19], "padding-once": [21, 22]})
_also(quiz_ops, padding_once="plus-one-forgotten")
_also(quiz_memory, input_counted="float64", round_for_floor="ceil-for-floor", kernel_span_off_by_one="ceil-for-floor",
      stride_ignored="input-size-used", padding_ignored="plus-one-forgotten")
