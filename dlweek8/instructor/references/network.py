"""Solutions of notebook 02's section 12 questions (a decoder's transposed convolutions, a grouped convolution).

The right values are written out from the formulas (the tests prove them equal to
``nn.ConvTranspose2d`` and ``nn.Conv2d``); each catalogue entry is a wrong answer as a student
computes it, making exactly the named mistake.
"""

from __future__ import annotations

from ...checks import network as checks
from . import Solution


def transposed_size(n, k, s=1, p=0, output_padding=0, d=1) -> int:
    """Output size of one ``nn.ConvTranspose2d`` dimension: (n − 1)s − 2p + d(k − 1) + output_padding + 1."""
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def grouped_param_count(c_in, c_out, k, groups=1, bias=True) -> int:
    """Parameters of ``nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias)``: C_out · (C_in / g) · k · k (+ C_out)."""
    return c_out * (c_in // groups) * k * k + (c_out if bias else 0)


def decoder_sizes(size, decoder) -> tuple[int, ...]:
    """The size after each layer of ``decoder`` ((k, s, p, output_padding, d) per layer) on a size × size input."""
    sizes = []
    for k, s, p, q, d in decoder:
        size = transposed_size(size, k, s, p, q, d)
        sizes.append(size)
    return tuple(sizes)


def variant_answer(question):
    """The right answer to a question of this topic with its own numbers (a student's variant)."""
    if isinstance(question, checks.TransposedSizesQuestion):
        return decoder_sizes(question.size, question.decoder)
    if isinstance(question, checks.GroupedParamsQuestion):
        q = question
        return grouped_param_count(q.in_channels, q.out_channels, q.kernel_size, q.groups, q.bias)
    raise TypeError(f"{question.id} is not a network question")


# -- network.transposed_sizes: 7 × 7 through ConvTranspose2d(3, stride 2, padding 1, output_padding 1), then (4, stride 2, padding 1)
transposed_sizes = Solution(
    answer=decoder_sizes(7, checks.DECODER),
    wrong={
        "output-padding-forgotten": (6 * 2 - 2 + 2 + 1, 12 * 2 - 2 + 3 + 1),  # 13, then 26
        "forward-formula": ((7 + 2 - 2 - 1) // 2 + 1, (4 + 2 - 3 - 1) // 2 + 1),  # 4, then 2
        "padding-once": (6 * 2 - 1 + 2 + 1 + 1, 14 * 2 - 1 + 3 + 1),  # 15, then 31
        "padding-added": (6 * 2 + 2 + 2 + 1 + 1, 17 * 2 + 2 + 3 + 1),  # 18, then 40
        "plus-one-forgotten": (6 * 2 - 2 + 2 + 1, 12 * 2 - 2 + 3),  # 13, then 25
        "minus-one-forgotten": (7 * 2 - 2 + 2 + 1 + 1, 16 * 2 - 2 + 3 + 1),  # 16, then 34
        "output-padding-both-sides": (6 * 2 - 2 + 2 + 2 + 1, 14 * 2 - 2 + 3 + 1),  # 15, then 30
    },
    unnamed=((14, 27), (12, 24), (21, 63)),
)

# -- network.grouped_params: nn.Conv2d(64, 128, 3, groups=16), with bias -------------------------
grouped_params = Solution(
    answer=grouped_param_count(64, 128, 3, groups=16, bias=True),
    wrong={
        "groups-ignored": 128 * 64 * 3 * 3 + 128,
        "out-channels-divided": (128 // 16) * (64 // 16) * 3 * 3 + 128,
        "in-channels-forgotten": 128 * 3 * 3 + 128,
        "kernel-side-not-area": 128 * 4 * 3 + 128,
        "bias-forgotten": 128 * 4 * 3 * 3,
        "bias-per-group": 128 * 4 * 3 * 3 + 16,
    },
    unnamed=(4735, 128 * 4 * 3 * 3 * 2, 64 * 4 * 9 + 64),
)
