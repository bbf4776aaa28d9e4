"""The right answer of a graded value question from its numbers: what each student's variant expects.

The formulas are written out here, on the instructor's side (the tests compare them with
PyTorch); the student build holds none that returns a graded value.
"""

from __future__ import annotations

import math

from ..checks import conv as conv_checks, lstm as lstm_checks


def output_length(n, k, s=1, p=0, d=1) -> int:
    """Output length of a 1-D convolution (PyTorch's floor((n + 2p − d(k − 1) − 1) / s) + 1)."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _hw(layer) -> tuple[int, int]:
    _, h, w = layer.input_shape
    return tuple(output_length(n, layer.kernel_size, layer.stride, layer.padding) for n in (h, w))


def value_answer(question):
    """The right answer to ``question`` (a graded value question, or one of its variants)."""
    q = question
    if isinstance(q, conv_checks.OutputSizeQuestion):
        return tuple(output_length(*case) for case in q._cases())
    if isinstance(q, conv_checks.InputSizesQuestion):
        k, s, p, d = q.kernel_size, q.stride, q.padding, q.dilation
        top = (q.output + 1) * s + d * (k - 1) + 1
        return [n for n in range(1, top) if n + 2 * p >= d * (k - 1) + 1 and output_length(n, k, s, p, d) == q.output]
    if isinstance(q, conv_checks.ParamCountQuestion):
        layer = q.layer
        return layer.out_channels * layer.input_shape[0] * layer.kernel_size**2 + (layer.out_channels if layer.bias else 0)
    if isinstance(q, conv_checks.OpCountQuestion):
        layer = q.layer
        ho, wo = _hw(layer)
        outputs, terms = layer.out_channels * ho * wo, layer.input_shape[0] * layer.kernel_size**2
        return (outputs * terms, outputs * (terms - 1) + (outputs if layer.bias else 0))
    if isinstance(q, conv_checks.Im2colQuestion):
        n, c, h, w = q.input_shape
        ho, wo = (output_length(side, q.kernel_size, q.stride, q.padding) for side in (h, w))
        return (n, c * q.kernel_size**2, ho * wo)
    if isinstance(q, conv_checks.ActivationMemoryQuestion):
        ho, wo = _hw(q.layer)
        return q.batch * q.layer.out_channels * ho * wo * 4
    if isinstance(q, conv_checks.ReceptiveFieldQuestion):
        return 1 + sum(d * (k - 1) * math.prod(s for _, s, _ in q.layers[:i]) for i, (k, _, d) in enumerate(q.layers))
    if isinstance(q, lstm_checks.ForgetBias):
        return math.log(q.p / (1 - q.p))
    if q.id.startswith("network."):  # notebook 02's section 12: its reference module has the formulas
        from .references import network

        return network.variant_answer(q)
    raise TypeError(f"{q.id} is not a graded value question with numbers")
