"""Solutions of the LSTM questions (notebook 01): references, probes and catalogues of wrong answers.

Every named mistake of a question in ``dlweek8/checks/lstm.py`` has its wrong answer here
(its message is written once, in the question). The function references are tested against
``torch.autograd`` (and ``dL_dU_f`` against a numerical gradient) in tests/test_lstm_reference.py.
They compute everything themselves: none calls the package functions listed in a question's
``own_work``.
"""

from __future__ import annotations

import math

import numpy as np

from ... import lstm
from ...checks import lstm as checks
from . import Solution

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


def _sigmoid_prime(z):
    z = np.asarray(z, dtype=float)
    return lstm.sigmoid(z) * lstm.sigmoid(-z)


def _tanh_prime(z):
    return 1.0 - np.tanh(z) ** 2


# -- lstm.cell_state_dependence -------------------------------------------------------------------
def same_h_counter_example() -> str:
    """Two cell states with the same h = o ∘ tanh(c): numbers computed here, not typed."""
    o1, c1, o2 = 0.5, 1.0, 0.8
    h = o1 * math.tanh(c1)
    c2 = math.atanh(h / o2)
    return f"o = {o1}, c = {c1:g} and o = {o2}, c = {c2:.4f} both give h = o·tanh(c) = {h:.4f}"


_DIRECTION = (
    "The order of computation proves nothing about dependence: y = 2x is computed from x, yet x = y/2 is a "
    "function of y. Pick the reason that would still hold if the computation ran the other way."
)

cell_state_dependence = Solution(
    answer=(False, "B"),
    wrong={"claim-fails": (True, "D"), "right-answer-wrong-reason": (False, "A")},
    feedback={
        (False, "B"): (
            "c_{t−1} and h_{t−1} are two separate inputs of step t (the state is the pair), and h = o ∘ tanh(c) "
            "loses information (" + same_h_counter_example() + "), so no function maps h_{t−1} to c_{t−1}. "
            "When we differentiate step t with respect to h_{t−1}, c_{t−1} is held fixed: ∂c_{t−1}/∂h_{t−1} plays no part. "
            "The order of computation alone would prove nothing."
        ),
        (False, "A"): "Your yes/no is right, but not for that reason. " + _DIRECTION,
        (False, "C"): "Your yes/no is right, but not for that reason. " + _DIRECTION,
        (False, "D"): "Your yes/no is right, but the reason you picked argues the opposite: if h_{t−1} tied c_{t−1} down, "
                      "c_{t−1} would be a function of it. Test that claim with numbers: " + same_h_counter_example() + ".",
        (True,): "Your claim needs exactly one c_{t−1} for each h_{t−1}. Test it with a single unit: "
                 + same_h_counter_example() + ".",
    },
)


# -- lstm.dh_dh_prev -------------------------------------------------------------------------------
def _gate_probes(seed: int, sizes):
    out = []
    for cell, xs, h_prev, c_prev in _cells(seed, sizes):
        s = lstm.step(cell, xs[0], h_prev, c_prev)
        J = lstm.gate_jacobians(cell, xs[0], h_prev)
        out.append((s.i, s.f, s.o, s.u, c_prev, J["i"], J["f"], J["o"], J["u"]))
    return out


def _dh(i, f, o, u, c_prev, di, df, do, du, *, o_term=True, slope=_tanh_prime, c=None, f_term=True, i_term=True,
        u_term=True, f_path=False, swap_iu=False):
    """∂h_t/∂h_{t−1} by the product rule; each keyword switches one part off (or, f_path, a wrong one on;
    swap_iu, each of i_t and u_t paired with its own Jacobian)."""
    c = f * c_prev + i * u if c is None else c
    left, right = (i, u) if swap_iu else (u, i)
    dc = (c_prev[:, None] * df if f_term else 0) + (left[:, None] * di if i_term else 0) + (right[:, None] * du if u_term else 0)
    if f_path:
        dc = dc + np.diag(f)  # as if ∂c_{t−1}/∂h_{t−1} were the identity
    return (np.tanh(c)[:, None] * do if o_term else 0) + (o * slope(c))[:, None] * dc


def _dh_columns(i, f, o, u, c_prev, di, df, do, du):
    """Every ∘ written as ``v * J``, which numpy broadcasts over columns: J diag(v)."""
    c = f * c_prev + i * u
    dc = c_prev * df + u * di + i * du
    return np.tanh(c) * do + (o * _tanh_prime(c)) * dc


def _dh_dh_prev(*args):
    return _dh(*args)


dh_dh_prev = Solution(
    answer=_dh_dh_prev,
    wrong={
        "missing-do-term": lambda *a: _dh(*a, o_term=False),
        "missing-tanh-prime": lambda *a: _dh(*a, slope=np.ones_like),
        "tanh-for-tanh-prime": lambda *a: _dh(*a, slope=np.tanh),
        "missing-i-du": lambda *a: _dh(*a, u_term=False),
        "missing-df-cprev": lambda *a: _dh(*a, f_term=False),
        "missing-di-u": lambda *a: _dh(*a, i_term=False),
        "diag-f-term": lambda *a: _dh(*a, f_path=True),
        "c-prev-for-c": lambda i, f, o, u, c_prev, *j: _dh(i, f, o, u, c_prev, *j, c=c_prev),
        "transposed": lambda *a: _dh(*a).T,
        "column-scaling": _dh_columns,
        "i-u-swapped": lambda *a: _dh(*a, swap_iu=True),
    },
    unnamed=(lambda *a: _dh(*a) + 1e-3,),
    public_probes=lambda: _gate_probes(1, PUBLIC_SIZES),
    hidden_probes=lambda: _gate_probes(11, HIDDEN_SIZES),
)


# -- lstm.three_step_jacobian -----------------------------------------------------------------------
def three_step_cells(seed: int, sizes):
    """The probe cells of three_step_jacobian, each with its three inputs and start state (for the autograd test)."""
    return _cells(seed, sizes, steps=3)


def _three_step_probes(seed: int, sizes):
    out = []
    for cell, xs, h0, c0 in three_step_cells(seed, sizes):
        steps = lstm.run(cell, xs, h0, c0)
        hs, cs = [h0] + [s.h for s in steps], [c0] + [s.c for s in steps]
        out.append(([lstm.state_jacobian(cell, xs[n], hs[n], cs[n]) for n in range(3)],))
    return out


def _product(Ss):
    return Ss[2] @ Ss[1] @ Ss[0]


def _block(M, rows, cols):
    k = len(M) // 2
    return M[rows * k:(rows + 1) * k, cols * k:(cols + 1) * k]


def _three_step_jacobian(Ss):
    """∂h_t/∂h_{t−3}: the (h, h) block of S_t S_{t−1} S_{t−2}."""
    return _block(_product(Ss), 0, 0)


three_step_jacobian = Solution(
    answer=_three_step_jacobian,
    wrong={
        "h-only-product": lambda Ss: _block(Ss[2], 0, 0) @ _block(Ss[1], 0, 0) @ _block(Ss[0], 0, 0),
        "wrong-order": lambda Ss: _block(Ss[0] @ Ss[1] @ Ss[2], 0, 0),
        "summed": lambda Ss: _block(Ss[0] + Ss[1] + Ss[2], 0, 0),
        "elementwise-product": lambda Ss: _block(Ss[0] * Ss[1] * Ss[2], 0, 0),
        "last-step-only": lambda Ss: _block(Ss[2], 0, 0),
        "transposed": lambda Ss: _three_step_jacobian(Ss).T,
        "block-dh-dc": lambda Ss: _block(_product(Ss), 0, 1),
        "block-dc-dh": lambda Ss: _block(_product(Ss), 1, 0),
        "block-dc-dc": lambda Ss: _block(_product(Ss), 1, 1),
        "whole-product": _product,
        "h-only-wrong-order": lambda Ss: _block(Ss[0], 0, 0) @ _block(Ss[1], 0, 0) @ _block(Ss[2], 0, 0),
    },
    unnamed=(lambda Ss: _block(Ss[2] @ Ss[1], 0, 0),),
    public_probes=lambda: _three_step_probes(2, PUBLIC_SIZES),
    hidden_probes=lambda: _three_step_probes(12, HIDDEN_SIZES),
)


# -- lstm.sigmoid_prime ------------------------------------------------------------------------------
def _z_probes(seed: int, grid, extreme):
    rng = np.random.default_rng(seed)
    return [(np.linspace(*grid),), (3.0 * rng.standard_normal((3, 4)),), (np.array(extreme, dtype=float),)]


def _naive_sigmoid_prime(z):
    """e^{−z}/(1 + e^{−z})²: e^{1000} overflows, inf/inf = NaN (in any numpy error state)."""
    with np.errstate(all="ignore"):
        e = np.exp(-np.asarray(z, dtype=float))
        return e / (1.0 + e) ** 2


def _one_minus(z):
    """σ(1 − σ): exact for moderate z, 1 − σ(z) cancels to 0 for z ≳ 37."""
    s = lstm.sigmoid(z)
    return s * (1.0 - s)


sigmoid_prime = Solution(
    answer=_sigmoid_prime,
    wrong={
        "overflow-nan": _naive_sigmoid_prime,
        "cancellation": _one_minus,
        "sigmoid-for-derivative": lstm.sigmoid,
        "missing-square": lambda z: lstm.sigmoid(-z),
        "tanh-derivative": _tanh_prime,
        "sign": lambda z: -_sigmoid_prime(z),
    },
    unnamed=(lambda z: np.zeros_like(z), lambda z: 1.001 * _sigmoid_prime(z)),
    public_probes=lambda: _z_probes(3, (-6.0, 6.0, 25), checks.EXTREME_Z.tolist()),
    hidden_probes=lambda: _z_probes(13, (-7.5, 5.5, 18), [-800.0, -35.0, 38.0, 750.0]),
)


# -- lstm.df_dh_prev ----------------------------------------------------------------------------------
def _z_f(W_f, U_f, x, h_prev):
    return W_f @ x + U_f @ h_prev


def _df_dh_prev(W_f, U_f, x, h_prev):
    """diag(σ′(z)) U^f with z = W^f x + U^f h_{t−1}."""
    return _sigmoid_prime(_z_f(W_f, U_f, x, h_prev))[:, None] * U_f


df_dh_prev = Solution(
    answer=_df_dh_prev,
    wrong={
        "transposed": lambda *a: _df_dh_prev(*a).T,
        "sigmoid-for-derivative": lambda W, U, x, h: lstm.sigmoid(_z_f(W, U, x, h))[:, None] * U,
        "missing-sigmoid-prime": lambda W, U, x, h: U,
        "column-scaling": lambda W, U, x, h: _sigmoid_prime(_z_f(W, U, x, h)) * U,
        "missing-input-term": lambda W, U, x, h: _sigmoid_prime(U @ h)[:, None] * U,
        "missing-recurrent-term": lambda W, U, x, h: _sigmoid_prime(W @ x)[:, None] * U,
        "U-transposed": lambda W, U, x, h: _sigmoid_prime(_z_f(W, U, x, h))[:, None] * U.T,
    },
    unnamed=(lambda *a: 1.01 * _df_dh_prev(*a),),
    public_probes=lambda: [(cell.W_f, cell.U_f, xs[0], h) for cell, xs, h, _ in _cells(4, PUBLIC_SIZES)],
    hidden_probes=lambda: [(cell.W_f, cell.U_f, xs[0], h) for cell, xs, h, _ in _cells(14, HIDDEN_SIZES)],
)


# -- lstm.dL_dU_f -------------------------------------------------------------------------------------
def _loss_probes(seed: int, sizes):
    """(W_f, U_f, b_f, x, h_prev, c_prev, v): a random cell's forget gate with a bias, and a random v."""
    out = []
    for n, (cell, xs, h, c) in enumerate(_cells(seed, sizes)):
        rng = np.random.default_rng([seed, n, 7])
        out.append((cell.W_f, cell.U_f, rng.normal(size=len(h)), xs[0], h, c, rng.normal(size=len(h))))
    return out


def _dL_dU_f(W_f, U_f, b_f, x, h_prev, c_prev, v, *, slope=_sigmoid_prime, bias=True, use_c=True, use_v=True, with_x=False):
    """(v ∘ c_{t−1} ∘ σ′(z_f)) h_{t−1}ᵀ; each keyword switches one factor off, swaps σ′, or pairs with x."""
    z = W_f @ x + U_f @ h_prev + (b_f if bias else 0)
    row = slope(z) * (c_prev if use_c else 1) * (v if use_v else 1)
    return np.outer(row, x if with_x else h_prev)


dL_dU_f = Solution(
    answer=_dL_dU_f,
    wrong={
        "transposed": lambda *a: _dL_dU_f(*a).T,
        "missing-sigmoid-prime": lambda *a: _dL_dU_f(*a, slope=np.ones_like),
        "sigmoid-for-derivative": lambda *a: _dL_dU_f(*a, slope=lstm.sigmoid),
        "missing-c-prev": lambda *a: _dL_dU_f(*a, use_c=False),
        "missing-v": lambda *a: _dL_dU_f(*a, use_v=False),
        "missing-bias": lambda *a: _dL_dU_f(*a, bias=False),
        "x-for-h": lambda *a: _dL_dU_f(*a, with_x=True),
    },
    unnamed=(lambda *a: 2.0 * _dL_dU_f(*a),),
    public_probes=lambda: _loss_probes(6, PUBLIC_SIZES),
    hidden_probes=lambda: _loss_probes(16, HIDDEN_SIZES),
)


def dL_dU_f_loss(W_f, U_f, b_f, x, h_prev, c_prev, v, i_u=None):
    """L = v · c_t as a function of U^f (numpy), for the numerical gradient check; ``i_u`` = i_t ∘ u_t (no U^f in it)."""
    f = lstm.sigmoid(W_f @ x + U_f @ h_prev + b_f)
    return float(v @ (f * c_prev + (0.0 if i_u is None else i_u)))


# -- lstm.forget_bias ---------------------------------------------------------------------------------
forget_bias = Solution(
    answer=math.log(19),
    wrong={"gate-value-for-bias": 0.95, "sign": -math.log(19), "bias-one": 1.0, "rounded-down": 2.94,
           "too-small": 2.0, "not-smallest": 4.0},
)


# -- lstm.argmax_h ------------------------------------------------------------------------------------
def _matrix_probes(seed: int, shapes):
    rng = np.random.default_rng(seed)
    return [(rng.uniform(-1, 1, (k, k)), int(d)) for k, d in shapes]


def _argmax_h(U_f, d):
    row = np.asarray(U_f, dtype=float)[d]
    return row / np.linalg.norm(row)


argmax_h = Solution(
    answer=_argmax_h,
    wrong={
        "unnormalised": lambda U, d: U[d],
        "column-not-row": lambda U, d: U[:, d] / np.linalg.norm(U[:, d]),
        "column-unnormalised": lambda U, d: U[:, d],
        "minimiser": lambda U, d: -_argmax_h(U, d),
        "not-unit-length": lambda U, d: 2 * _argmax_h(U, d),
    },
    unnamed=(lambda U, d: np.eye(len(U))[0],),
    public_probes=lambda: _matrix_probes(5, ((3, 1), (4, 3), (5, 0), (2, 1))),
    hidden_probes=lambda: _matrix_probes(15, ((6, 2), (3, 0), (4, 1))),
)


# -- lstm.argmax_vs_input -----------------------------------------------------------------------------
SCORES, SHIFT = (1.0, 2.5, 0.3), 4.0


def shifted() -> str:
    """Three scores and the same scores shifted by one number (other numbers than any cell's)."""
    moved = tuple(s + SHIFT for s in SCORES)
    return f"scores {SCORES} + {SHIFT:g} = {moved}"


_ARGMAX_FAILS = (
    "You said the best h_{t−1} depends on W^f(d)·x_t. Which h_{t−1} does W^f(d)·x_t involve? With other numbers, "
    + shifted() + ": which candidate has the largest score before the shift, and which after?"
)
_MAX_FAILS = "You said the best value does not move with W^f(d)·x_t, yet the best value is a score too."
_MAX_TEST = "compare the largest score before the shift with the largest after, and σ of each."

argmax_vs_input = Solution(
    answer=(False, True, "B"),
    wrong={"both-claims-fail": (True, False, "D"), "argmax-claim-fails": (True, True, "D"), "max-claim-fails": (False, False, "C"),
           "right-answer-wrong-reason": (False, True, "C")},
    feedback={
        (False, True, "B"): (
            "W^f(d)·x_t is the same number a for every h_{t−1}, and σ is increasing, so the best h_{t−1} is still "
            "U^f(d)/‖U^f(d)‖; the best value σ(a + ‖U^f(d)‖) moves with a."
        ),
        (False, True, "A"): "Your yes/no answers are right, but not for that reason: nothing here says the input term is large, and a "
                            "saturated σ would flatten the maximum, not explain it. Pick the reason that holds for every size of input.",
        (False, True, "C"): "Your yes/no answers are right, but that reason proves too much: it would make the maximum independent of "
                            "x_t as well. Pick the reason that explains both answers.",
        (False, True, "D"): "Your yes/no answers are right, but the reason you picked argues against the first one: W^f(d)·x_t does not "
                            "involve h_{t−1}, so it cannot turn any direction.",
        (True, False): "Test each claim with numbers. " + _ARGMAX_FAILS + " " + _MAX_FAILS + " " + _MAX_TEST[:1].upper() + _MAX_TEST[1:],
        (True, True): _ARGMAX_FAILS,
        (False, False): _MAX_FAILS + " With other numbers, " + shifted() + ": " + _MAX_TEST,
    },
)


def sealed_feedback(question) -> dict:
    """What the student build stores for a claims question: keyed digests and sealed texts (see dlweek8.kinds)."""
    from ... import kinds

    found = globals()[question.id.partition(".")[2]]
    count = len(question.claims)
    by_claims = {answer[:count]: name for name, answer in found.wrong.items() if answer[:count] != found.answer[:count]}
    stored = {"right": kinds.digest(question.id, found.answer),
              "explanation": kinds.seal(question.id, found.answer, found.feedback[found.answer]), "reasons": {}, "claims": {}}
    for combination, text in found.feedback.items():
        key = kinds.digest(question.id, combination)
        if len(combination) == count:
            stored["claims"][key] = [by_claims[combination], kinds.seal(question.id, combination, text)]
        elif combination != found.answer:
            stored["reasons"][key] = kinds.seal(question.id, combination, text)
    return stored


# -- the self-test --------------------------------------------------------------------------------------
def variant_answer(question):
    """The right answer of a self-test question or any of its variants (from its numbers)."""
    if isinstance(question, checks.ForgetBias):  # the self-test's QuizForgetBias too
        return math.log(question.p / (1 - question.p))
    if isinstance(question, checks.QuizCarousel):
        return float(np.prod(question.gates))
    if isinstance(question, checks.QuizRnnScale):
        factor = question.u * question.slope
        return (factor**question.steps, "explodes" if factor > 1 else "vanishes")
    raise TypeError(f"{question.id} has no variants")


quiz_forget_bias_99 = Solution(
    answer=math.log(99),
    wrong={"gate-value-for-bias": 0.99, "sign": -math.log(99), "bias-one": 1.0, "rounded-down": 4.59,
           "too-small": 3.0, "not-smallest": 5.0},
)

quiz_cec = Solution(
    answer=0.9 * 0.8 * 0.95,
    wrong={"summed": 2.65, "last-step-only": 0.95, "two-steps": 0.76, "one-minus-f": 0.001, "carousel-is-one": 1.0},
    unnamed=(0.5,),
)

quiz_rnn_scale = Solution(
    answer=(1.2**20, "explodes"),
    wrong={"slope-ignored": (1.5**20, "explodes"), "weight-ignored": (0.8**20, "vanishes"),
           "one-step-short": (1.2**19, "explodes"), "summed": (24.0, "explodes"), "direction": (1.2**20, "vanishes")},
    unnamed=((1.0, "vanishes"),),
)


# -- written answers, graded by a person: model answers and refused forms live with their rubrics ----
from .rubrics import argmax_vs_input_why, cell_state_dependence_why, no_hand_jacobian_why  # noqa: E402, F401
