"""Solutions of the LSTM questions (notebook 01): references, probes and wrong answers."""

from __future__ import annotations

import math

import numpy as np

from ... import lstm
from ..solutions import Solution

#: (hidden size k, input size) of the probe cells; k != input size so a transpose shows.
PUBLIC_SIZES = ((3, 2), (4, 6), (5, 3), (2, 4))
#: Hidden probes: other sizes and other random cells, used only by the grader.
HIDDEN_SIZES = ((6, 2), (3, 5), (7, 4))


def _cells(seed: int, sizes, steps: int = 1):
    """Deterministic random cells with a start state and ``steps`` inputs: (cell, xs, h0, c0)."""
    out = []
    for n, (k, d) in enumerate(sizes):
        rng = np.random.default_rng(1000 * seed + n)
        cell = lstm.random_cell(rng, k, d, scale=1.0)
        x, h_prev, c_prev = lstm.random_state(rng, cell)
        xs = np.vstack([x, rng.standard_normal((steps - 1, d))]) if steps > 1 else x[None]
        out.append((cell, xs, h_prev, c_prev))
    return out


# -- lstm.cell_state_dependence -------------------------------------------------------------------
cell_state_dependence = Solution(answer=False, wrong={"c-depends-on-h": True})


# -- lstm.dh_dh_prev -------------------------------------------------------------------------------
def _gate_probes(seed: int, sizes):
    out = []
    for cell, xs, h_prev, c_prev in _cells(seed, sizes):
        s = lstm.step(cell, xs[0], h_prev, c_prev)
        J = lstm.gate_jacobians(cell, xs[0], h_prev)
        out.append((s.i, s.f, s.o, s.u, c_prev, J["i"], J["f"], J["o"], J["u"]))
    return out


def _dh(i, f, o, u, c_prev, di, df, do, du, *, o_term=True, slope=lstm.tanh_prime, c=None, f_term=True, i_term=True, u_term=True):
    c = f * c_prev + i * u if c is None else c
    dc = (c_prev[:, None] * df if f_term else 0) + (u[:, None] * di if i_term else 0) + (i[:, None] * du if u_term else 0)
    return (np.tanh(c)[:, None] * do if o_term else 0) + (o * slope(c))[:, None] * dc


def _dh_columns(i, f, o, u, c_prev, di, df, do, du):
    """Every ∘ written as ``v * J``, which numpy broadcasts over columns: J @ diag(v)."""
    c = f * c_prev + i * u
    dc = c_prev * df + u * di + i * du
    return np.tanh(c) * do + (o * lstm.tanh_prime(c)) * dc


dh_dh_prev = Solution(
    answer=lstm.dh_dh_prev,
    wrong={
        "missing-do-term": lambda *a: _dh(*a, o_term=False),
        "missing-tanh-prime": lambda *a: _dh(*a, slope=np.ones_like),
        "tanh-for-tanh-prime": lambda *a: _dh(*a, slope=np.tanh),
        "missing-i-du": lambda *a: _dh(*a, u_term=False),
        "missing-df-cprev": lambda *a: _dh(*a, f_term=False),
        "missing-di-u": lambda *a: _dh(*a, i_term=False),
        "c-prev-for-c": lambda i, f, o, u, c_prev, *j: _dh(i, f, o, u, c_prev, *j, c=c_prev),
        "transposed": lambda *a: lstm.dh_dh_prev(*a).T,
        "column-scaling": _dh_columns,
    },
    public_probes=lambda: _gate_probes(1, PUBLIC_SIZES),
    hidden_probes=lambda: _gate_probes(11, HIDDEN_SIZES),
)


# -- lstm.three_step_jacobian -----------------------------------------------------------------------
def _three_step_probes(seed: int, sizes):
    out = []
    for cell, xs, h0, c0 in _cells(seed, sizes, steps=3):
        steps = lstm.run(cell, xs, h0, c0)
        hs, cs = [h0] + [s.h for s in steps], [c0] + [s.c for s in steps]
        out.append(([lstm.state_jacobian(cell, xs[s], hs[s], cs[s]) for s in range(3)],))
    return out


def _product(Js):
    return Js[2] @ Js[1] @ Js[0]


three_step_jacobian = Solution(
    answer=_product,
    wrong={
        "wrong-order": lambda Js: Js[0] @ Js[1] @ Js[2],
        "summed": lambda Js: Js[0] + Js[1] + Js[2],
        "elementwise-product": lambda Js: Js[0] * Js[1] * Js[2],
        "last-step-only": lambda Js: Js[2],
        "transposed": lambda Js: _product(Js).T,
    },
    public_probes=lambda: _three_step_probes(2, PUBLIC_SIZES),
    hidden_probes=lambda: _three_step_probes(12, HIDDEN_SIZES),
)


# -- lstm.sigmoid_prime ------------------------------------------------------------------------------
def _z_probes(seed: int, grid, extreme):
    rng = np.random.default_rng(seed)
    return [(np.linspace(*grid),), (3.0 * rng.standard_normal((3, 4)),), (np.array(extreme, dtype=float),)]


sigmoid_prime = Solution(
    answer=lstm.sigmoid_prime,
    wrong={
        "sigmoid-for-derivative": lstm.sigmoid,
        "missing-square": lambda z: lstm.sigmoid(-z),
        "tanh-derivative": lstm.tanh_prime,
        "sign": lambda z: -lstm.sigmoid_prime(z),
    },
    public_probes=lambda: _z_probes(3, (-6.0, 6.0, 25), [-1000.0, -40.0, 40.0, 1000.0]),
    hidden_probes=lambda: _z_probes(13, (-7.5, 5.5, 18), [-800.0, -35.0, 38.0, 750.0]),
)


# -- lstm.df_dh_prev ----------------------------------------------------------------------------------
def _z_f(W_f, U_f, x, h_prev):
    return W_f @ x + U_f @ h_prev


df_dh_prev = Solution(
    answer=lstm.df_dh_prev,
    wrong={
        "transposed": lambda *a: lstm.df_dh_prev(*a).T,
        "sigmoid-for-derivative": lambda W, U, x, h: lstm.sigmoid(_z_f(W, U, x, h))[:, None] * U,
        "missing-sigmoid-prime": lambda W, U, x, h: U,
        "column-scaling": lambda W, U, x, h: lstm.sigmoid_prime(_z_f(W, U, x, h)) * U,
        "missing-input-term": lambda W, U, x, h: lstm.sigmoid_prime(U @ h)[:, None] * U,
        "missing-recurrent-term": lambda W, U, x, h: lstm.sigmoid_prime(W @ x)[:, None] * U,
    },
    public_probes=lambda: [(cell.W_f, cell.U_f, xs[0], h) for cell, xs, h, _ in _cells(4, PUBLIC_SIZES)],
    hidden_probes=lambda: [(cell.W_f, cell.U_f, xs[0], h) for cell, xs, h, _ in _cells(14, HIDDEN_SIZES)],
)


# -- lstm.forget_bias ---------------------------------------------------------------------------------
forget_bias = Solution(
    answer=math.log(19),
    wrong={"gate-value-for-bias": 0.95, "sign": -math.log(19), "bias-one": 1.0, "too-small": 2.0, "not-smallest": 4.0},
)


# -- lstm.argmax_h ------------------------------------------------------------------------------------
def _matrix_probes(seed: int, shapes):
    rng = np.random.default_rng(seed)
    return [(rng.uniform(-1, 1, (k, k)), int(d)) for k, d in shapes]


argmax_h = Solution(
    answer=lstm.argmax_h,
    wrong={
        "unnormalised": lambda U, d: U[d],
        "column-not-row": lambda U, d: U[:, d] / np.linalg.norm(U[:, d]),
        "column-unnormalised": lambda U, d: U[:, d],
        "minimiser": lambda U, d: -lstm.argmax_h(U, d),
        "not-unit-length": lambda U, d: 2 * lstm.argmax_h(U, d),
    },
    unnamed=(lambda U, d: np.eye(len(U))[0],),
    public_probes=lambda: _matrix_probes(5, ((3, 1), (4, 3), (5, 0), (2, 1))),
    hidden_probes=lambda: _matrix_probes(15, ((6, 2), (3, 0), (4, 1))),
)


# -- lstm.argmax_vs_input -----------------------------------------------------------------------------
argmax_vs_input = Solution(
    answer=(False, True),
    wrong={"swapped": (True, False), "argmax-moves": (True, True), "max-fixed": (False, False)},
)
