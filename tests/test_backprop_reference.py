"""The backward-pass references (notebook 01's last section) against torch.autograd, and their catalogue.

Every reference gradient equals autograd's on the public and the hidden probes; each catalogued wrong
answer differs from autograd on every probe set (so the check cannot pass it), and the forward step
with a cache is ``lstm.step`` itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlweek8 import backprop, gradcheck, lstm
from dlweek8.instructor.references import backprop as ref


def step_probes():
    return ref._step_probes(21, ref.PUBLIC_SIZES) + ref._step_probes(31, ref.HIDDEN_SIZES)


def run_probes():
    return ref._run_probes(22, ref.PUBLIC_RUNS) + ref._run_probes(32, ref.HIDDEN_RUNS)


def agree(a, b) -> bool:
    return all(np.shape(x) == np.shape(y) and np.allclose(x, y, rtol=1e-9, atol=1e-12) for x, y in zip(a, b, strict=True))


def test_the_step_reference_is_autograd():
    for dh, dc, cache in step_probes():
        assert agree(ref.step_backward.answer(dh, dc, cache), backprop.autograd_step_backward(dh, dc, cache))


def test_the_run_reference_is_autograd():
    for dhs, caches in run_probes():
        assert agree(ref.lstm_backward.answer(dhs, caches), backprop.autograd_backward(dhs, caches))


@pytest.mark.parametrize("name", list(ref.step_backward.wrong))
def test_each_wrong_step_differs_from_autograd_on_every_probe(name):
    for dh, dc, cache in step_probes():
        assert not agree(ref.step_backward.wrong[name](dh, dc, cache), backprop.autograd_step_backward(dh, dc, cache))


@pytest.mark.parametrize("name", list(ref.lstm_backward.wrong))
def test_each_wrong_run_differs_from_autograd_on_every_probe(name):
    for dhs, caches in run_probes():
        assert not agree(ref.lstm_backward.wrong[name](dhs, caches), backprop.autograd_backward(dhs, caches))


def test_the_forward_step_is_the_notes_cell_with_stacked_weights():
    rng = np.random.default_rng(0)
    W, U, b = backprop.random_parameters(rng, 3, 2)
    x, h, c = rng.standard_normal(2), rng.uniform(-1, 1, 3), rng.standard_normal(3)
    h_t, c_t, cache = backprop.step_forward(x, h, c, W, U, b)
    s = lstm.step(backprop.cell(W, U, b), x, h, c)
    assert np.allclose(h_t, s.h) and np.allclose(c_t, s.c) and set(cache) == set(backprop.CACHE_KEYS)
    assert np.allclose(backprop.cell(W, U, b).W_f, W[3:6]) and np.allclose(backprop.cell(W, U, b).U_c, U[9:])


def test_the_numerical_gradient_agrees_with_the_step_reference():
    """What the notebook's own gradient check does: centered differences of L = dh·h + dc·c with respect to W."""
    (dh, dc, cache), = ref._step_probes(21, ref.PUBLIC_SIZES[:1])

    def loss(W):
        h, c, _ = backprop.step_forward(cache["x"], cache["h_prev"], cache["c_prev"], W, cache["U"], cache["b"])
        return dh @ h + dc @ c

    numeric = gradcheck.numerical_gradient(loss, cache["W"])
    assert gradcheck.relative_error(ref.step_backward.answer(dh, dc, cache)[3], numeric) < gradcheck.THRESHOLD
    assert gradcheck.relative_error(ref.step_backward.wrong["missing-tanh-prime"](dh, dc, cache)[3], numeric) > gradcheck.WRONG_ABOVE
