"""Solutions of the convolution questions (notebook 02): the reference maths, probes and wrong answers.

The reference maths (output and input sizes, parameter and operation counts, pooling, receptive
fields, the im2col shape) follows PyTorch's conventions and is proved equal to PyTorch by
tests/test_conv_reference.py. It lives here, on the instructor's side, because each function
answers a graded question when called with its numbers; the student package keeps only what
answers none (:mod:`dlweek8.conv`). Right values are computed from it, with the notebook's own
numbers. Each catalogue entry is a wrong answer written out as the student would compute it,
making exactly the named mistake.
"""

from __future__ import annotations

import math

from ...conv import (  # the argument handling of the student package's conv maths, shared
    _as_int, _broadcast, _non_negative, _per_dim, _positive, _result,
    full_padding,
)
from ...checks import conv as checks
from . import Solution



# -- the reference maths ---------------------------------------------------------------------
def output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Spatial output size of a convolution, as ``nn.Conv*d`` computes it.

    ``floor((n + 2p - d(k - 1) - 1) / s) + 1`` per dimension.  ``padding`` may also be
    PyTorch's ``"valid"`` (0) or ``"same"`` (stride 1 only; the output keeps the input size).
    """
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            a, as_tuple = _broadcast(size=size, kernel_size=kernel_size, stride=stride, dilation=dilation)
            if any(s != 1 for s in a["stride"]):
                raise ValueError("padding='same' needs stride 1")
            output_size(size, kernel_size, 1, full_padding(kernel_size, dilation), dilation)  # validates
            return _result(a["size"], as_tuple)
        else:
            raise ValueError(f"padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
    a, as_tuple = _broadcast(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    out = []
    for n, k, s, p, d in zip(a["size"], a["kernel_size"], a["stride"], a["padding"], a["dilation"], strict=True):
        span = d * (k - 1) + 1
        if span > n + 2 * p:
            raise ValueError(
                f"the kernel (span {span}) is larger than the padded input ({n} + 2*{p} = {n + 2 * p})"
            )
        out.append((n + 2 * p - span) // s + 1)
    return _result(tuple(out), as_tuple)


def input_sizes(output_size, kernel_size, stride=1, padding=0, dilation=1) -> range:
    """Every 1-D input size whose output has ``output_size`` elements, as a range (empty if none)."""
    out = _as_int(output_size, "output_size")
    k, s, p, d = (_as_int(v, name) for v, name in ((kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    _positive((out,), "output_size")
    _positive((k,), "kernel_size")
    _positive((s,), "stride")
    _positive((d,), "dilation")
    _non_negative((p,), "padding")
    span = d * (k - 1) + 1
    # floor((n + 2p - span) / s) = out - 1  <=>  (out - 1) s <= n + 2p - span < out s
    low = (out - 1) * s + span - 2 * p
    return range(max(low, 1), low + s)


def transposed_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Spatial output size of ``nn.ConvTranspose*d``: ``(n - 1)s - 2p + d(k - 1) + output_padding + 1``.

    ``output_padding`` picks one of the ``s`` input sizes that a strided convolution maps to
    the same output; PyTorch requires it to be smaller than the stride or the dilation.
    An output size below 1 raises ``ValueError``, as PyTorch does (except ``conv_transpose2d``
    with a kernel of 4 or more, which returns an empty tensor when the size is exactly 0).
    """
    a, as_tuple = _broadcast(size=size, kernel_size=kernel_size, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    out = []
    for n, k, s, p, q, d in zip(*(a[name] for name in ("size", "kernel_size", "stride", "padding", "output_padding", "dilation")), strict=True):
        if q >= max(s, d):
            raise ValueError(f"output_padding ({q}) must be smaller than the stride ({s}) or the dilation ({d})")
        m = (n - 1) * s - 2 * p + d * (k - 1) + q + 1
        if m < 1:
            raise ValueError(f"the output size would be {m}: the padding ({p}) is too large for this input")
        out.append(m)
    return _result(tuple(out), as_tuple)


def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Spatial output size of ``nn.MaxPool*d`` (stride defaults to the kernel size).

    With ``ceil_mode`` the division rounds up, but, as in PyTorch, a last window that
    would start in the right padding is dropped: every window starts inside the input
    or the left padding.  PyTorch allows at most ``kernel_size // 2`` padding.
    """
    stride = kernel_size if stride is None else stride
    a, as_tuple = _broadcast(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    out = []
    for n, k, s, p, d in zip(a["size"], a["kernel_size"], a["stride"], a["padding"], a["dilation"], strict=True):
        if p > k // 2:
            raise ValueError(f"pooling padding ({p}) must be at most half the kernel size ({k} // 2 = {k // 2})")
        span = d * (k - 1) + 1
        top = n + 2 * p - span
        m = (-(-top // s) if ceil_mode else top // s) + 1
        if ceil_mode and (m - 1) * s >= n + p:
            m -= 1
        if m < 1:
            raise ValueError(f"the window (span {span}) is larger than the padded input ({n} + 2*{p} = {n + 2 * p})")
        out.append(m)
    return _result(tuple(out), as_tuple)


# -- counting ------------------------------------------------------------------------------
def _kernel_area(kernel_size, dims: int) -> int:
    ks = _per_dim(kernel_size, dims, "kernel_size")
    if len(ks) != dims:
        raise ValueError(f"kernel_size has {len(ks)} dimensions, expected {dims}")
    _positive(ks, "kernel_size")
    return math.prod(ks)


def _check_groups(in_channels: int, out_channels: int, groups: int) -> None:
    _positive((in_channels,), "in_channels")
    _positive((out_channels,), "out_channels")
    _positive((groups,), "groups")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be divisible by groups ({groups})")


def param_count(in_channels, out_channels, kernel_size, bias=True, groups=1, *, dims=None) -> int:
    """Trainable parameters of ``nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias, groups=groups)``.

    ``out_channels * (in_channels / groups) * kh * kw`` weights, plus ``out_channels`` biases.
    Neither the input size, the padding nor the stride enter.  An int kernel means a
    square kernel; pass a tuple (or ``dims``) for other numbers of dimensions.
    """
    c_in, c_out, g = (_as_int(v, name) for v, name in ((in_channels, "in_channels"), (out_channels, "out_channels"), (groups, "groups")))
    _check_groups(c_in, c_out, g)
    if dims is None:
        dims = len(kernel_size) if isinstance(kernel_size, (tuple, list)) else 2
    weights = c_out * (c_in // g) * _kernel_area(kernel_size, dims)
    return weights + (c_out if bias else 0)


def op_count(input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=False) -> tuple[int, int]:
    """``(multiplications, additions)`` of a convolution on one input of shape ``(C, H, W)`` (or ``(C, *spatial)``).

    Each output value is one inner product of length ``L = C/groups * kh * kw``:
    ``L`` multiplications and ``L - 1`` additions, plus one addition for a bias.
    A multiply-accumulate (MAC) is one multiplication; ``FlopCounterMode`` counts 2 FLOPs per MAC.
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 2:
        raise ValueError(f"input_shape must be (C, H, W) or (C, *spatial), got {input_shape!r}")
    channels = _as_int(input_shape[0], "in_channels")
    spatial = tuple(input_shape[1:])
    c_out, g = _as_int(out_channels, "out_channels"), _as_int(groups, "groups")
    _check_groups(channels, c_out, g)
    out = output_size(spatial, kernel_size, stride, padding, dilation)
    inner = (channels // g) * _kernel_area(kernel_size, len(spatial))
    outputs = c_out * math.prod(out)
    return outputs * inner, outputs * (inner - 1) + (outputs if bias else 0)


def placements(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> range:
    """(The count of windows in one dimension is its length.) Start index of every kernel placement in 1-D, in padded coordinates (index 0 is the first padding cell)."""
    out = output_size(size, kernel_size, stride, padding, dilation)
    return range(0, out * stride, stride)


def receptive_field_size(layers) -> int:
    """Input cells (first to last) that one output of a stack of 1-D convolutions depends on.

    ``layers`` lists ``(k, s)`` or ``(k, s, d)`` per layer, input side first. Layer ``l`` adds
    ``d_l (k_l - 1)`` cells of its own input, and one cell there is ``s_1 ⋯ s_{l-1}`` input cells
    apart: ``r = 1 + Σ_l d_l (k_l - 1) Π_{i<l} s_i``. Padding does not enter.
    """
    r, jump = 1, 1
    for n, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise ValueError(f"layer {n} must be (k, s) or (k, s, d), got {layer!r}")
        k, s, d = (_as_int(v, name) for v, name in zip(tuple(layer) + (1,) * (3 - len(layer)), ("kernel_size", "stride", "dilation"), strict=True))
        _positive((k, s, d), "kernel_size, stride and dilation")
        r += d * (k - 1) * jump
        jump *= s
    return r


def unfold_shape(input_shape, kernel_size, stride=1, padding=0, dilation=1) -> tuple[int, int, int]:
    """Shape of ``F.unfold(x, kernel_size, dilation, padding, stride)`` for ``x`` of shape ``(N, C, H, W)``.

    ``(N, C·kh·kw, L)``: one column per output position (``L = H_out·W_out``), holding the
    ``C·kh·kw`` input numbers under the kernel there. A layer with ``C_out`` kernels is then the
    matrix product of its ``(C_out, C·kh·kw)`` weights with each sample's columns.
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 4:
        raise ValueError(f"input_shape must be (N, C, H, W), got {input_shape!r}")
    batch, channels = (_as_int(v, name) for v, name in zip(input_shape[:2], ("batch", "channels"), strict=True))
    _positive((batch, channels), "batch and channels")
    out = output_size(tuple(input_shape[2:]), kernel_size, stride, padding, dilation)
    return batch, channels * _kernel_area(kernel_size, 2), math.prod(out)


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
    """The reference, written out (the tests prove it equal to :func:`output_size` and PyTorch)."""
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
    answer=output_size((78, 84), 5, stride=3, padding=2),
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
    answer=output_size((64, 64), (3, 5), stride=2, padding=0),
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
    answer=output_size((28, 36), 3, stride=1, padding=2),
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
    answer=list(input_sizes(16, 9, stride=3, padding=1)),
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
    answer=param_count(32, 64, 7, bias=False),
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
    answer=param_count(512, 128, 1, bias=False),
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
    answer=op_count((32, 19, 19), 64, 7, stride=3, padding=0, bias=False),
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
    answer=unfold_shape((8, 3, 32, 32), 7, stride=1, padding=2),
    wrong={
        "transposed": (8, 30 * 30, 3 * 7 * 7),
        "in-channels-forgotten": (8, 7 * 7, 30 * 30),
        "kernel-side-not-area": (8, 3 * 7, 30 * 30),
        "input-positions": (8, 3 * 7 * 7, 32 * 32),
        "one-dimension-only": (8, 3 * 7 * 7, 30),
        "not-flattened": (8, 3 * 7 * 7, 30, 30),
        "plus-one-forgotten": (8, 3 * 7 * 7, 29 * 29),  # 32 + 4 − 7 = 29
        "padding-once": (8, 3 * 7 * 7, 28 * 28),  # 32 + 2 − 7 + 1
        "padding-ignored": (8, 3 * 7 * 7, 26 * 26),
        "kernel-span-off-by-one": (8, 3 * 7 * 7, 31 * 31),
    },
    unnamed=((8, 3, 900), (1, 147, 900)),
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
    answer=32 * 64 * output_size(224, 7, 2, 3) ** 2 * 4,
    wrong=_memory_mistakes(32, 3, 224, 64, 7, 112, {"padding-ignored": 109, "plus-one-forgotten": 111, "ceil-for-floor": 113}),
    unnamed=(32 * 64 * 112 * 112 * 2, 100_000_000),
)

receptive_field = Solution(
    answer=receptive_field_size([(5, 2, 1), (3, 2, 1), (3, 1, 2)]),
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
#: Height: 37 + 2 − 5 + 1 = 35 (stride 1); width: (30 + 2 − 3) // 2 + 1 = 15 (29/2 is not whole).
quiz_size = Solution(
    answer=output_size((37, 30), (5, 3), stride=(1, 2), padding=1),
    wrong={
        "height-width-swapped": (15, 35),
        "one-kernel-size-for-both": (35, 14),  # the 5 used for the width too
        "ceil-for-floor": (35, 16),  # ceil(29/2) + 1
        "plus-one-forgotten": (34, 14),
        "padding-once": (34, 15),  # 37 + 1 − 5 + 1, (30 + 1 − 3) // 2 + 1
        "padding-ignored": (33, 14),
        "kernel-span-off-by-one": (36, 16),  # 37 + 2 − 4 + 1, (30 + 2 − 2) // 2 + 1
        "stride-ignored": (35, 30),
        "floor-missing": (35, 29 / 2 + 1),
    },
    unnamed=((35, 35), (34, 16)),
)

#: floor((n + 2 − 5) / 4) = 9 for n = 39, 40, 41 and 42.
quiz_input_sizes = Solution(
    answer=list(input_sizes(10, 5, stride=4, padding=1)),
    wrong={
        "ceil-for-floor": [36, 37, 38, 39],
        "plus-one-forgotten": [43, 44, 45, 46],
        "padding-once": [40, 41, 42, 43],
        "padding-ignored": [41, 42, 43, 44],
        "kernel-span-off-by-one": [38, 39, 40, 41],
        "stride-ignored": [12],  # n + 2 − 5 + 1 = 10
        "round-for-floor": [38, 39, 40],
        "floor-missing": [39],  # (39 + 2 − 5)/4 + 1 = 10 exactly
        "sizes-missing": [39, 40, 41],
        "upper-bound-included": [39, 40, 41, 42, 43],
        "wrong-sizes": [39, 40, 41, 42, 50],
        "empty": [],
    },
)

_QUIZ_OUTPUTS = 32 * 12 * 12  # padding 2 keeps 12 × 12 with a 5 × 5 kernel; inner products of 16·5·5 = 400 terms, plus a bias
quiz_ops = Solution(
    answer=op_count((16, 12, 12), 32, 5, stride=1, padding=2, bias=True),
    wrong={
        "bias-forgotten": (_QUIZ_OUTPUTS * 400, _QUIZ_OUTPUTS * 399),
        "flops-for-multiplications": (2 * _QUIZ_OUTPUTS * 400, _QUIZ_OUTPUTS * 400),
        "flops-for-additions": (_QUIZ_OUTPUTS * 400, 2 * _QUIZ_OUTPUTS * 400),
        "flops-for-both": (2 * _QUIZ_OUTPUTS * 400, 2 * _QUIZ_OUTPUTS * 400),
        "in-channels-forgotten": (_QUIZ_OUTPUTS * 25, _QUIZ_OUTPUTS * 25),
        "out-channels-forgotten": (144 * 400, 144 * 400),
        "channel-sums-forgotten": (_QUIZ_OUTPUTS * 400, _QUIZ_OUTPUTS * 16 * 24 + _QUIZ_OUTPUTS),
        "one-output-counted": (400, 400),
        "plus-one-forgotten": (32 * 11 * 11 * 400, 32 * 11 * 11 * 400),
        "padding-once": (32 * 10 * 10 * 400, 32 * 10 * 10 * 400),
        "padding-ignored": (32 * 8 * 8 * 400, 32 * 8 * 8 * 400),
        "kernel-span-off-by-one": (32 * 13 * 13 * 400, 32 * 13 * 13 * 400),
    },
    unnamed=((1, 1),),
)

#: 56 + 4 − 7 + 1 = 54: the output is 54 × 54.
quiz_memory = Solution(
    answer=16 * 128 * output_size(56, 7, 1, 2) ** 2 * 4,
    wrong=_memory_mistakes(16, 64, 56, 128, 7, 54, {"plus-one-forgotten": 53, "padding-once": 52, "padding-ignored": 50,
                                                    "kernel-span-off-by-one": 55}),
    unnamed=(1_000_000,),
)

quiz_receptive_field = Solution(
    answer=receptive_field_size([(3, 1, 1), (3, 2, 1), (3, 2, 1), (3, 1, 1)]),
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
_also(activation_memory, kernel_span_off_by_one="ceil-for-floor", round_for_floor="ceil-for-floor", padding_once="plus-one-forgotten",
      stride_ignored="input-size-used")
