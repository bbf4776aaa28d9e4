"""Notebook 01's backward-pass sections (12 and 13): answer cells before their checks, the student's own
gradient check agrees with the right answer, and what the prose states holds."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np

import dlweek8
from dlweek8 import backprop
from dlweek8.names import CORRECT

import solved_notebook
from solved_notebook import run_in_order

NOTEBOOK = Path(__file__).resolve().parent.parent / "solutions" / "01_lstm_gradients.ipynb"
CELLS = nbformat.read(NOTEBOOK, as_version=4).cells
START = next(i for i, c in enumerate(CELLS) if c.cell_type == "markdown" and c.source.startswith("## 12. The backward pass"))
SECTION = [c for c in CELLS[START:] if not c.source.startswith("## Summary")][: next(
    n for n, c in enumerate(CELLS[START:]) if c.source.startswith("## Summary"))]


def test_the_sections_come_last_before_the_summary_with_checks_after_their_answers():
    found = [(i, qid) for i, qid, _ in solved_notebook.check_cells(CELLS) if qid.startswith("backprop.")]
    assert [qid for _, qid in found] == [q.id for q in dlweek8.questions() if q.id.startswith("backprop.")]
    assert all(i > START for i, _ in found)
    assert CELLS[START + len(SECTION)].source.startswith("## Summary")
    step, run = found
    assert CELLS[step[0] - 2].source.startswith("# answer\ndef lstm_step_backward")
    assert "numerical_gradient" in CELLS[step[0] - 1].source and "except NotImplementedError" in CELLS[step[0] - 1].source
    assert CELLS[run[0] - 1].source.startswith("# answer\ndef lstm_backward")
    assert "lstm_step_backward(" in CELLS[run[0] - 1].source  # the loop calls the student's own step


def test_the_own_gradient_check_agrees_and_both_answers_pass():
    ran = run_in_order(CELLS[1:3] + [c for c in SECTION if c.cell_type == "code" and not c.source.startswith("dlweek8.check(")])
    printed = "".join(ran.printed.values())
    lines = re.findall(r"^d(\w+): relative error (\S+) \((\w+ ?\w*)\)$", printed, re.M)
    assert [name for name, _, _ in lines] == ["x", "h_prev", "c_prev", "W", "U", "b"]
    assert all(float(error) < 1e-7 and verdict == "agrees" for _, error, verdict in lines), lines
    ns = ran.namespace
    assert dlweek8.check("backprop.step_backward", ns["lstm_step_backward"]).status == CORRECT
    assert dlweek8.check("backprop.lstm_backward", ns["lstm_backward"]).status == CORRECT


def test_the_prose_after_the_check_holds():
    """dc_prev = f_t ∘ δc, db = δz, dW = δz xᵀ, dx = Wᵀ δz with δc = dc + dh ∘ o ∘ tanh′(c), against autograd."""
    rng = np.random.default_rng(3)
    W, U, b = backprop.random_parameters(rng, 3, 4)
    _, _, cache = backprop.step_forward(rng.standard_normal(4), rng.uniform(-1, 1, 3), rng.standard_normal(3), W, U, b)
    dh, dc = rng.standard_normal(3), rng.standard_normal(3)
    dx, dh_prev, dc_prev, dW, dU, db = backprop.autograd_step_backward(dh, dc, cache)
    delta_c = dc + dh * cache["o"] * (1 - np.tanh(cache["c"]) ** 2)
    assert np.allclose(dc_prev, cache["f"] * delta_c)
    assert np.allclose(dW, np.outer(db, cache["x"])) and np.allclose(dU, np.outer(db, cache["h_prev"]))
    assert np.allclose(dx, W.T @ db) and np.allclose(dh_prev, U.T @ db)
    o = cache["o"]
    assert np.allclose(db[6:9], dh * np.tanh(cache["c"]) * o * (1 - o))  # the o block of δz
    text = "\n".join(c.source for c in SECTION if c.cell_type == "markdown")
    assert "order $i, f, o, u$" in text and np.allclose(backprop.blocks(W)["o"], W[6:9])
