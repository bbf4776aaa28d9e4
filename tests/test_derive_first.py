"""Derive before told (issue 23 §5): an exercise comes first, its formula after its check.

For each exercise below, no markdown cell before its check cell states the formula that answers
it, in the solved notebook and in the student edition; the formula is still taught, in a
markdown cell after the check (so the test cannot pass because a formula was deleted or reworded).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

#: notebook stem -> question id -> formula texts (LaTeX as written in the markdown) that answer it
FORMULAS = {
    "02_conv_arithmetic": {
        "conv.output_size_fn": [r"n + 2p - d(k-1) - 1", r"\lfloor \frac{n + 2p", r"n + 2p - k_\text{eff}"],
        "conv.params_7x7": [r"C_\text{out} \cdot C_\text{in} \cdot k_h \cdot k_w"],
        "conv.params_1x1": [r"C_\text{out} \cdot C_\text{in} \cdot k_h \cdot k_w"],
        "conv.ops_7x7": [r"\#\text{mul} = N \cdot L", r"\#\text{add} = N \cdot (L - 1)", r"$L$ multiplications and $L - 1$ additions"],
        "conv.activation_memory": [r"(B, C_\text{out}, H_\text{out}, W_\text{out})", "4 bytes"],
    },
    "01_lstm_gradients": {
        "lstm.three_step_jacobian": [r"is one of its $k \times k$ blocks", "a product of three such state Jacobians"],
    },
}
CASES = [(folder, stem, qid) for folder in ("solutions", "notebooks") for stem, questions in FORMULAS.items() for qid in questions]

#: LaTeX spacing and sizing that does not change what a formula says
_NOISE = re.compile(r"\s+|\\[,;:!]|\\(?:left|right|[bB]igg?[lr]?)(?![A-Za-z])")


def normalised(text: str) -> str:
    """Text with white space and LaTeX spacing/sizing commands removed, so a formula is found however it is typeset."""
    return _NOISE.sub("", text)


def check_index(cells, qid: str) -> int:
    found = [i for i, c in enumerate(cells) if c.cell_type == "code" and f'dlweek8.check("{qid}",' in c.source]
    assert len(found) == 1, (qid, found)
    return found[0]


def markdown(cells) -> list[str]:
    return [normalised(c.source) if c.cell_type == "markdown" else "" for c in cells]


@pytest.mark.parametrize(("folder", "stem", "qid"), CASES, ids=[f"{f}/{s}:{q}" for f, s, q in CASES])
def test_the_formula_comes_after_the_check(folder, stem, qid):
    cells = nbformat.read(ROOT / folder / f"{stem}.ipynb", as_version=4).cells
    at = check_index(cells, qid)
    texts = markdown(cells)
    for formula in FORMULAS[stem][qid]:
        told = [i for i in range(at) if normalised(formula) in texts[i]]
        assert not told, f"{qid}: {formula!r} is stated in markdown cell(s) {told}, before the check (cell {at})"
        assert any(normalised(formula) in text for text in texts[at + 1:]), f"{qid}: {formula!r} is shown nowhere after the check"


def test_normalised_ignores_only_spacing():
    assert normalised(r"\left\lfloor \frac{n + 2p - d(k-1) - 1}{s} \right\rfloor") == normalised(r"\lfloor\frac{n+2p-d(k-1)-1}{s}\rfloor")
    assert normalised(r"\#\text{add} = N \cdot (L - 1) \;(+\,N)") == r"\#\text{add}=N\cdot(L-1)(+N)"
    assert normalised(r"\leftarrow") == r"\leftarrow"  # a command that starts like \left is kept
    assert normalised("N (L - 1)") != normalised("N (L + 1)")
