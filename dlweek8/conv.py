"""Convolution arithmetic: output sizes, input sizes, parameter and operation counts.

Every function follows PyTorch's conventions (padding is added on *each* side) and
takes an int or a per-dimension tuple for each size argument; the result is an int
when every argument is an int, a tuple otherwise.  Pure Python, no torch import:
the checks load this module on the student's first feedback.

Stacks of layers have a receptive field (:func:`receptive_field`), and ``F.unfold``
(im2col) turns a convolution into one matrix product (:func:`unfold_shape`).

The relations of Dumoulin & Visin, "A guide to convolution arithmetic for deep
learning" (2016), are here too: the effective kernel of a dilated convolution,
half (same) and full padding, and the transposed convolution.
"""

from __future__ import annotations

import math
from numbers import Integral

__all__ = [
    "output_size",
    "input_sizes",
    "param_count",
    "op_count",
    "transposed_output_size",
    "pool_output_size",
    "effective_kernel",
    "half_padding",
    "full_padding",
    "placements",
    "unreached_inputs",
    "receptive_field",
    "unfold_shape",
]


# -- argument handling ---------------------------------------------------------------------
def _as_int(value, name: str) -> int:
    if type(value) is int:  # the common case, without the slower check against the Integral ABC
        return value
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


def _dims(**arguments) -> tuple[int, bool]:
    """The number of dimensions the tuple arguments agree on (1 if all are ints), and whether any is a tuple."""
    lengths = {name: len(v) for name, v in arguments.items() if isinstance(v, (tuple, list))}
    if not lengths:
        return 1, False
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"per-dimension arguments must have the same length ({detail})")
    n = next(iter(lengths.values()))
    if n == 0:
        raise ValueError("per-dimension arguments must not be empty")
    return n, True


def _per_dim(value, n: int, name: str) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(_as_int(v, name) for v in value)
    return (_as_int(value, name),) * n


def _positive(values, name: str) -> None:
    for v in values:
        if v <= 0:
            raise ValueError(f"{name} must be positive, got {v}")


def _non_negative(values, name: str) -> None:
    for v in values:
        if v < 0:
            raise ValueError(f"{name} must not be negative, got {v}")


def _result(values: tuple[int, ...], as_tuple: bool):
    return values if as_tuple else values[0]


_MUST_BE_POSITIVE = ("size", "kernel_size", "stride", "dilation")
_MUST_NOT_BE_NEGATIVE = ("padding", "output_padding")


def _broadcast(**arguments):
    """Per-dimension tuples of every argument, validated by name, and whether the result is a tuple."""
    n, as_tuple = _dims(**arguments)
    per_dim = {name: _per_dim(v, n, name) for name, v in arguments.items()}
    for name in _MUST_BE_POSITIVE:
        if name in per_dim:
            _positive(per_dim[name], name)
    for name in _MUST_NOT_BE_NEGATIVE:
        if name in per_dim:
            _non_negative(per_dim[name], name)
    return per_dim, as_tuple


# -- the relations of one dimension --------------------------------------------------------
def effective_kernel(kernel_size, dilation=1):
    """The span of a dilated kernel: ``k + (k - 1)(d - 1) = d(k - 1) + 1``."""
    a, as_tuple = _broadcast(kernel_size=kernel_size, dilation=dilation)
    return _result(tuple(d * (k - 1) + 1 for k, d in zip(a["kernel_size"], a["dilation"], strict=True)), as_tuple)


def half_padding(kernel_size, dilation=1):
    """Padding per side that keeps the size at stride 1 ("same") for an odd effective kernel: ``(k_eff - 1) // 2``."""
    span = effective_kernel(kernel_size, dilation)
    return tuple((e - 1) // 2 for e in span) if isinstance(span, tuple) else (span - 1) // 2


def full_padding(kernel_size, dilation=1):
    """Padding per side at which every partial overlap counts ("full"): ``k_eff - 1``; the output grows by ``k_eff - 1``."""
    span = effective_kernel(kernel_size, dilation)
    return tuple(e - 1 for e in span) if isinstance(span, tuple) else span - 1


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


# -- where the kernel lands (for explaining the floor) --------------------------------------
def placements(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> range:
    """Start index of every kernel placement in 1-D, in padded coordinates (index 0 is the first padding cell)."""
    out = output_size(size, kernel_size, stride, padding, dilation)
    return range(0, out * stride, stride)


def unreached_inputs(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> tuple[int, ...]:
    """Indices (0-based, in the unpadded input) of the 1-D input cells that no kernel tap touches."""
    touched = set()
    for start in placements(size, kernel_size, stride, padding, dilation):
        touched.update(start + j * dilation - padding for j in range(kernel_size))
    return tuple(i for i in range(size) if i not in touched)


# -- stacks of layers and the im2col view ---------------------------------------------------
def receptive_field(layers) -> int:
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
