"""Solutions of the convolution questions (notebook 02): references, probes and wrong answers."""

from __future__ import annotations

from ... import conv
from ...checks import conv as checks
from ..solutions import Solution


def _span(k, d):
    return d * (k - 1) + 1


def _with_defaults(formula):
    """``formula(n, k, s, p, d)`` called the way a student's ``f(n, k, s=1, p=0, d=1)`` is."""

    def f(n, k, s=1, p=0, d=1):
        return formula(n, k, s, p, d)

    return f


def _public_probes() -> list[tuple]:
    """Defaults first (2, 3 and 4 arguments), then all five over a spread grid."""
    short = [(5, 3), (7, 3), (10, 4), (78, 5), (7, 3, 2), (10, 3, 3), (9, 2, 2), (84, 5, 3),
             (78, 5, 3, 2), (84, 5, 3, 2), (6, 3, 2, 1), (5, 5, 1, 2), (10, 3, 1, 0, 2), (15, 3, 2, 1, 2), (7, 2, 2, 0, 3)]
    grid = [
        (n, k, s, p, d)
        for n in (1, 2, 4, 7, 13, 19, 32, 64)
        for k in (1, 2, 3, 5, 7)
        for s in (1, 2, 3, 4)
        for p in (0, 1, 2, 3)
        for d in (1, 2, 3)
        if _span(k, d) <= n + 2 * p
    ]
    return short + grid[::11]


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
    return [(12, 3), (31, 4, 2), (50, 7, 3, 3)] + grid[5::13]


def _output_size(n, k, s=1, p=0, d=1):
    """The reference, written out (the tests prove it equal to ``dlweek8.conv.output_size`` and PyTorch)."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


output_size_fn = Solution(
    answer=_output_size,
    wrong={m.name: _with_defaults(m.formula) for m in checks.SIZE_MISTAKES},
    public_probes=_public_probes,
    hidden_probes=_hidden_probes,
)

# Value answers from the reference maths (which the tests prove equal to PyTorch), written
# from the notebook's own numbers rather than read back from the checks.
size_78x84 = Solution(answer=conv.output_size((78, 84), 5, stride=3, padding=2))
size_64x64 = Solution(answer=conv.output_size((64, 64), (3, 5), stride=2, padding=0))
input_for_16 = Solution(answer=list(conv.input_sizes(16, 9, stride=3, padding=1)))
params_7x7 = Solution(answer=conv.param_count(32, 64, 7, bias=False))
ops_7x7 = Solution(answer=conv.op_count((32, 19, 19), 64, 7, stride=3, padding=0, bias=False))
params_1x1 = Solution(answer=conv.param_count(512, 128, 1, bias=False))
