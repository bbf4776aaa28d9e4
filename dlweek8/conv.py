"""Convolution arithmetic that answers no graded question: the span of a dilated kernel, half and
full padding, and the input cells no window reaches.

Every function follows PyTorch's conventions (padding is added on *each* side) and takes an int
or a per-dimension tuple for each size argument; the result is an int when every argument is an
int, a tuple otherwise. Pure Python, no torch import.

The formulas that answer the notebook's graded questions (output and input sizes, parameter and
operation counts, receptive fields, the im2col shape, and the transposed convolution's size, which
with stride 1 is a fully padded convolution's) are not here: the student derives them.
The instructor's reference maths, proved equal to PyTorch by the tests, is
``dlweek8.instructor.references.conv``; a check computes its right answer privately.

The relations of Dumoulin & Visin, "A guide to convolution arithmetic for deep
learning" (2016): the effective kernel of a dilated convolution, half (same) and full padding.
"""

from __future__ import annotations

from numbers import Integral

__all__ = [
    "effective_kernel",
    "half_padding",
    "full_padding",
    "unreached_inputs",
    "window_starts",
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


# -- where the kernel lands (for explaining the floor) --------------------------------------
def window_starts(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> list[int]:
    """Start of every kernel placement in 1-D, in padded coordinates, enumerated (empty if none fits)."""
    n, k, s, p, d = (_as_int(v, name) for v, name in ((size, "size"), (kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    _positive((n, k, s, d), "size, kernel_size, stride and dilation")
    _non_negative((p,), "padding")
    return list(range(0, n + 2 * p - (d * (k - 1) + 1) + 1, s))


def unreached_inputs(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> tuple[int, ...]:
    """Indices (0-based, in the unpadded input) of the 1-D input cells that no kernel tap touches."""
    touched = set()
    for start in window_starts(size, kernel_size, stride, padding, dilation):
        touched.update(start + j * dilation - padding for j in range(kernel_size))
    return tuple(i for i in range(size) if i not in touched)
