"""Solutions of the backward-pass questions (notebook 01, last section): references, probes, wrong answers.

The references compute every gradient by hand (numpy) and are tested against ``torch.autograd``
in tests/test_backprop_reference.py; none calls the autograd functions of :mod:`dlweek8.backprop`.
Each catalogue entry makes exactly one named mistake, written as a student would write it.
"""

from __future__ import annotations

import numpy as np

from ... import backprop
from . import Solution

#: (hidden size k, input size d) of the step probes; k != d so a transposed gradient shows.
PUBLIC_SIZES = ((3, 2), (4, 6), (5, 3), (2, 4))
HIDDEN_SIZES = ((6, 2), (3, 5), (7, 4))
#: (k, d, T) of the runs.
PUBLIC_RUNS = ((3, 2, 4), (4, 5, 3), (2, 3, 5))
HIDDEN_RUNS = ((5, 2, 3), (3, 4, 6), (6, 3, 4))


def _parameters(rng, k, d):
    return backprop.random_parameters(rng, k, d, scale=0.8)


def _step_probes(seed: int, sizes):
    """(dh, dc, cache) of a random step: x normal, h_prev in (−1, 1), c_prev normal, dh and dc normal."""
    out = []
    for n, (k, d) in enumerate(sizes):
        rng = np.random.default_rng([seed, n])
        W, U, b = _parameters(rng, k, d)
        _, _, cache = backprop.step_forward(rng.standard_normal(d), rng.uniform(-1, 1, k), rng.standard_normal(k), W, U, b)
        out.append((rng.standard_normal(k), rng.standard_normal(k), cache))
    return out


def _run_probes(seed: int, runs):
    """(dhs, caches) of a random run of T steps from a random start state."""
    out = []
    for n, (k, d, T) in enumerate(runs):
        rng = np.random.default_rng([seed, n])
        W, U, b = _parameters(rng, k, d)
        _, caches = backprop.forward(rng.standard_normal((T, d)), rng.uniform(-1, 1, k), rng.standard_normal(k), W, U, b)
        out.append((rng.standard_normal((T, k)), caches))
    return out


# -- backprop.step_backward ----------------------------------------------------------------------
def _step_backward(dh, dc, cache, *, dc_in=True, tanh_slope=True, dc_prev_total=True, gate_slopes=True, transposed=False):
    """(dx, dh_prev, dc_prev, dW, dU, db); each keyword switches one part off (or, transposed, a wrong one on)."""
    x, h_prev, c_prev, W, U = (np.asarray(cache[key], dtype=float) for key in ("x", "h_prev", "c_prev", "W", "U"))
    i, f, o, u, c = (np.asarray(cache[key], dtype=float) for key in ("i", "f", "o", "u", "c"))
    dh, dc = np.asarray(dh, dtype=float), np.asarray(dc, dtype=float)
    tanh_c = np.tanh(c)
    dc_t = (dc if dc_in else 0.0) + dh * o * ((1.0 - tanh_c**2) if tanh_slope else 1.0)  # both paths into c_t
    d_gates = [dc_t * u, dc_t * c_prev, dh * tanh_c, dc_t * i]  # ∂L/∂i, ∂L/∂f, ∂L/∂o, ∂L/∂u
    if gate_slopes:
        d_gates = [d_gates[0] * i * (1 - i), d_gates[1] * f * (1 - f), d_gates[2] * o * (1 - o), d_gates[3] * (1 - u**2)]
    dz = np.concatenate(d_gates)
    dW, dU = np.outer(dz, x), np.outer(dz, h_prev)
    if transposed:
        dW, dU = dW.T, dU.T
    return W.T @ dz, U.T @ dz, f * (dc_t if dc_prev_total else dc), dW, dU, dz


step_backward = Solution(
    answer=_step_backward,
    wrong={
        "dc-path-missing": lambda dh, dc, cache: _step_backward(dh, dc, cache, dc_in=False),
        "missing-tanh-prime": lambda dh, dc, cache: _step_backward(dh, dc, cache, tanh_slope=False),
        "transposed": lambda dh, dc, cache: _step_backward(dh, dc, cache, transposed=True),
        "dc-prev-dc-only": lambda dh, dc, cache: _step_backward(dh, dc, cache, dc_prev_total=False),
        "missing-gate-derivative": lambda dh, dc, cache: _step_backward(dh, dc, cache, gate_slopes=False),
    },
    unnamed=(
        lambda dh, dc, cache: tuple(1.01 * g for g in _step_backward(dh, dc, cache)),
        lambda dh, dc, cache: (*_step_backward(dh, dc, cache)[:2], np.asarray(dc, dtype=float), *_step_backward(dh, dc, cache)[3:]),
    ),
    public_probes=lambda: _step_probes(21, PUBLIC_SIZES),
    hidden_probes=lambda: _step_probes(31, HIDDEN_SIZES),
)


# -- backprop.lstm_backward ----------------------------------------------------------------------
def _lstm_backward(dhs, caches, *, f_next=False, carry_dc=True, carry_dh=True, loss_terms=True, sum_weights=True):
    """(dxs, dh0, dc0, dW, dU, db) by the step backward, from the last step to the first."""
    dhs = np.asarray(dhs, dtype=float)
    T, k = dhs.shape
    dxs = np.zeros((T, len(caches[0]["x"])))
    dh, dc, f_after = np.zeros(k), np.zeros(k), np.ones(k)
    totals = None
    for t in reversed(range(T)):
        dh_t = (dhs[t] if loss_terms or t == T - 1 else 0.0) + (dh if carry_dh else 0.0)
        dx, dh, dc_prev, *weights = _step_backward(dh_t, dc if carry_dc else np.zeros(k), caches[t])
        f_t = np.asarray(caches[t]["f"], dtype=float)
        if f_next:  # the gate of the step after (none after the last: 1)
            dc_prev = f_after * dc_prev / f_t
        f_after = f_t
        dc = dc_prev
        dxs[t] = dx
        totals = weights if totals is None or not sum_weights else [a + w for a, w in zip(totals, weights, strict=True)]
    return (dxs, dh, dc, *totals)


lstm_backward = Solution(
    answer=_lstm_backward,
    wrong={
        "f-next": lambda dhs, caches: _lstm_backward(dhs, caches, f_next=True),
        "dc-not-carried": lambda dhs, caches: _lstm_backward(dhs, caches, carry_dc=False),
        "dh-not-carried": lambda dhs, caches: _lstm_backward(dhs, caches, carry_dh=False),
        "loss-terms-missing": lambda dhs, caches: _lstm_backward(dhs, caches, loss_terms=False),
        "weights-not-summed": lambda dhs, caches: _lstm_backward(dhs, caches, sum_weights=False),
    },
    unnamed=(lambda dhs, caches: tuple(1.01 * g for g in _lstm_backward(dhs, caches)),),
    public_probes=lambda: _run_probes(22, PUBLIC_RUNS),
    hidden_probes=lambda: _run_probes(32, HIDDEN_RUNS),
)
