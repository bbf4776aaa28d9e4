"""The Task 1 checks: right answers in reasonable forms pass, real wrong answers fail with their mistake
named, and bad inputs get a one-line message (never an exception)."""

import math
import time
import warnings

import ipywidgets as w
import numpy as np
import pytest
import torch

import dlweek8
from dlweek8 import checks, lstm
from dlweek8.feedback import INCORRECT, INVALID, UNANSWERED
from dlweek8.question import FunctionQuestion, ValueQuestion
from dlweek8.widgets.answers import answer_box

LSTM_IDS = [
    "lstm.cell_state_dependence", "lstm.dh_dh_prev", "lstm.three_step_jacobian", "lstm.sigmoid_prime",
    "lstm.df_dh_prev", "lstm.forget_bias", "lstm.argmax_h", "lstm.argmax_vs_input",
]
FUNCTION_IDS = ["lstm.dh_dh_prev", "lstm.three_step_jacobian", "lstm.sigmoid_prime", "lstm.df_dh_prev", "lstm.argmax_h"]
VALUE_IDS = ["lstm.cell_state_dependence", "lstm.forget_bias", "lstm.argmax_vs_input"]


def sig(z):
    return lstm.sigmoid(z)


# -- right answers, in the forms students write -------------------------------------------------
def dh_rows(i, f, o, u, c_prev, di, df, do, du):
    c = f * c_prev + i * u
    dc = c_prev[:, None] * df + u[:, None] * di + i[:, None] * du
    return np.tanh(c)[:, None] * do + (o * (1 - np.tanh(c) ** 2))[:, None] * dc


def dh_diag(i, f, o, u, c_prev, di, df, do, du):
    c = f * c_prev + i * u
    dc = np.diag(c_prev) @ df + np.diag(u) @ di + np.diag(i) @ du
    return (np.diag(np.tanh(c)) @ do + np.diag(o) @ np.diag(1 - np.tanh(c) ** 2) @ dc).tolist()


def dh_torch_float32(*args):
    i, f, o, u, c_prev, di, df, do, du = (torch.tensor(a, dtype=torch.float32) for a in args)
    c = f * c_prev + i * u
    dc = c_prev.unsqueeze(1) * df + u.unsqueeze(1) * di + i.unsqueeze(1) * du
    return torch.tanh(c).unsqueeze(1) * do + (o * (1 - torch.tanh(c) ** 2)).unsqueeze(1) * dc


def df_rows(W_f, U_f, x, h_prev):
    z = W_f @ x + U_f @ h_prev
    return (sig(z) * (1 - sig(z)))[:, None] * U_f


def df_loops(W_f, U_f, x, h_prev):
    k = U_f.shape[0]
    out = [[0.0] * k for _ in range(k)]
    for d1 in range(k):
        z = sum(W_f[d1, j] * x[j] for j in range(len(x))) + sum(U_f[d1, j] * h_prev[j] for j in range(k))
        for d2 in range(k):
            out[d1][d2] = float(sig(z) * sig(-z)) * U_f[d1, d2]
    return out


def df_autograd(W_f, U_f, x, h_prev):
    W, U, x_t = (torch.tensor(a) for a in (W_f, U_f, x))
    return torch.autograd.functional.jacobian(lambda h: torch.sigmoid(W @ x_t + U @ h), torch.tensor(h_prev))


def three_step(Js):
    J2, J1, J0 = Js
    return J0 @ J1 @ J2


def three_step_loop(Js):
    out = np.eye(len(Js[0]))
    for J in Js:
        out = J @ out
    return out


def sp_expit(z):
    return sig(z) * (1 - sig(z))


def sp_torch(z):
    return torch.sigmoid(torch.as_tensor(z)) * torch.sigmoid(-torch.as_tensor(z))


def argmax_list(U_f, d):
    row = list(U_f[d])
    norm = math.sqrt(sum(v * v for v in row))
    return [v / norm for v in row]


RIGHT_FUNCTIONS = [
    ("lstm.dh_dh_prev", lstm.dh_dh_prev),
    ("lstm.dh_dh_prev", dh_rows),
    ("lstm.dh_dh_prev", dh_diag),
    ("lstm.dh_dh_prev", dh_torch_float32),
    ("lstm.three_step_jacobian", three_step),
    ("lstm.three_step_jacobian", three_step_loop),
    ("lstm.three_step_jacobian", lambda Js: np.linalg.multi_dot(Js[::-1])),
    ("lstm.sigmoid_prime", lstm.sigmoid_prime),
    ("lstm.sigmoid_prime", sp_torch),
    ("lstm.sigmoid_prime", lambda z: sig(z) * sig(-z)),
    ("lstm.df_dh_prev", lstm.df_dh_prev),
    ("lstm.df_dh_prev", df_rows),
    ("lstm.df_dh_prev", df_loops),
    ("lstm.df_dh_prev", df_autograd),
    ("lstm.argmax_h", lstm.argmax_h),
    ("lstm.argmax_h", argmax_list),
    ("lstm.argmax_h", lambda U, d: torch.nn.functional.normalize(torch.tensor(U[d]), dim=0)),
]


@pytest.mark.parametrize("qid, fn", RIGHT_FUNCTIONS)
def test_right_function_answers_pass(qid, fn):
    feedback = dlweek8.check(qid, fn)
    assert feedback.passed, str(feedback)
    assert feedback.mistake is None


def test_sigma_one_minus_sigma_passes_but_is_told_about_z_40():
    feedback = dlweek8.check("lstm.sigmoid_prime", sp_expit)
    assert feedback.passed and "z = 40" in feedback.message and "4.24835e-18" in feedback.message
    assert "rounds to 0" not in dlweek8.check("lstm.sigmoid_prime", lstm.sigmoid_prime).message


@pytest.mark.parametrize(
    "qid, answer",
    [
        ("lstm.cell_state_dependence", False), ("lstm.cell_state_dependence", np.bool_(False)),
        ("lstm.forget_bias", math.log(19)), ("lstm.forget_bias", 2.944), ("lstm.forget_bias", np.float32(2.95)),
        ("lstm.forget_bias", np.array([2.9444])), ("lstm.forget_bias", torch.tensor(2.9444)),
        ("lstm.argmax_vs_input", (False, True)), ("lstm.argmax_vs_input", [False, True]),
        ("lstm.argmax_vs_input", np.array([False, True])), ("lstm.argmax_vs_input", {"argmax": False, "max": True}),
    ],
)
def test_right_values_pass(qid, answer):
    feedback = dlweek8.check(qid, answer)
    assert feedback.passed, str(feedback)


# -- the catalogue of real wrong answers --------------------------------------------------------
def _dh(i, f, o, u, c_prev, di, df, do, du, *, o_term=True, slope=lambda c: 1 - np.tanh(c) ** 2, c=None,
        df_term=True, di_term=True, du_term=True):
    c = f * c_prev + i * u if c is None else c
    dc = (c_prev[:, None] * df if df_term else 0) + (u[:, None] * di if di_term else 0) + (i[:, None] * du if du_term else 0)
    return (np.tanh(c)[:, None] * do if o_term else 0) + (o * slope(c))[:, None] * dc


def dh_numpy_broadcast(i, f, o, u, c_prev, di, df, do, du):
    c = f * c_prev + i * u
    return np.tanh(c) * do + o * (1 - np.tanh(c) ** 2) * (c_prev * df + u * di + i * du)


def naive_sigmoid_prime(z):
    return np.exp(-z) / (1 + np.exp(-z)) ** 2


def naive_sigma_times_one_minus(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)


WRONG = [
    ("lstm.dh_dh_prev", lambda *a: _dh(*a, o_term=False), "missing-do-term"),
    ("lstm.dh_dh_prev", lambda *a: _dh(*a, slope=lambda c: np.ones_like(c)), "missing-tanh-prime"),
    ("lstm.dh_dh_prev", lambda *a: _dh(*a, slope=np.tanh), "tanh-for-tanh-prime"),
    ("lstm.dh_dh_prev", lambda *a: _dh(*a, du_term=False), "missing-i-du"),
    ("lstm.dh_dh_prev", lambda *a: _dh(*a, df_term=False), "missing-df-cprev"),
    ("lstm.dh_dh_prev", lambda *a: _dh(*a, di_term=False), "missing-di-u"),
    ("lstm.dh_dh_prev", lambda i, f, o, u, c_prev, *J: _dh(i, f, o, u, c_prev, *J, c=c_prev), "c-prev-for-c"),
    ("lstm.dh_dh_prev", lambda *a: lstm.dh_dh_prev(*a).T, "transposed"),
    ("lstm.dh_dh_prev", dh_numpy_broadcast, "column-scaling"),
    ("lstm.three_step_jacobian", lambda Js: Js[0] @ Js[1] @ Js[2], "wrong-order"),
    ("lstm.three_step_jacobian", lambda Js: sum(Js), "summed"),
    ("lstm.three_step_jacobian", lambda Js: Js[0] * Js[1] * Js[2], "elementwise-product"),
    ("lstm.three_step_jacobian", lambda Js: Js[-1], "last-step-only"),
    ("lstm.three_step_jacobian", lambda Js: (Js[2] @ Js[1] @ Js[0]).T, "transposed"),
    ("lstm.sigmoid_prime", naive_sigmoid_prime, "overflow-nan"),
    ("lstm.sigmoid_prime", naive_sigma_times_one_minus, "overflow"),
    ("lstm.sigmoid_prime", lambda z: sig(z), "sigmoid-for-derivative"),
    ("lstm.sigmoid_prime", lambda z: sig(-z), "missing-square"),
    ("lstm.sigmoid_prime", lambda z: 1 - np.tanh(z) ** 2, "tanh-derivative"),
    ("lstm.sigmoid_prime", lambda z: -sig(z) * sig(-z), "sign"),
    ("lstm.df_dh_prev", lambda W, U, x, h: lstm.df_dh_prev(W, U, x, h).T, "transposed"),
    ("lstm.df_dh_prev", lambda W, U, x, h: sig(W @ x + U @ h)[:, None] * U, "sigmoid-for-derivative"),
    ("lstm.df_dh_prev", lambda W, U, x, h: U, "missing-sigmoid-prime"),
    ("lstm.df_dh_prev", lambda W, U, x, h: lstm.sigmoid_prime(W @ x + U @ h) * U, "column-scaling"),
    ("lstm.df_dh_prev", lambda W, U, x, h: lstm.sigmoid_prime(U @ h)[:, None] * U, "missing-input-term"),
    ("lstm.df_dh_prev", lambda W, U, x, h: lstm.sigmoid_prime(W @ x)[:, None] * U, "missing-recurrent-term"),
    ("lstm.argmax_h", lambda U, d: U[d], "unnormalised"),
    ("lstm.argmax_h", lambda U, d: U[:, d] / np.linalg.norm(U[:, d]), "column-not-row"),
    ("lstm.argmax_h", lambda U, d: U[:, d], "column-not-row"),
    ("lstm.argmax_h", lambda U, d: -U[d] / np.linalg.norm(U[d]), "minimiser"),
    ("lstm.argmax_h", lambda U, d: U[d] / np.abs(U[d]).sum(), "not-unit-length"),
]


@pytest.mark.parametrize("qid, fn, mistake", WRONG, ids=[f"{q}:{m}" for q, _, m in WRONG])
def test_wrong_functions_fail_and_name_the_mistake(qid, fn, mistake):
    feedback = dlweek8.check(qid, fn)
    assert feedback.status == INCORRECT, str(feedback)
    assert feedback.mistake == mistake, str(feedback)


@pytest.mark.parametrize("qid, fn", [
    ("lstm.dh_dh_prev", lambda *a: _dh(*a) + 1e-3),
    ("lstm.df_dh_prev", lambda W, U, x, h: lstm.df_dh_prev(W, U, x, h) * 1.01),
    ("lstm.three_step_jacobian", lambda Js: Js[2] @ Js[1]),
])
def test_unrecognised_wrong_answers_show_the_worst_entry(qid, fn):
    feedback = dlweek8.check(qid, fn)
    assert feedback.status == INCORRECT and feedback.mistake is None
    labels = [label for label, _ in feedback.example]
    assert labels == ["inputs", "worst entry", "expected (autograd)", "got"]


def test_a_wrong_argmax_of_unit_length_is_still_wrong():
    feedback = dlweek8.check("lstm.argmax_h", lambda U, d: np.eye(len(U))[d])
    assert feedback.status == INCORRECT and "length 1" in feedback.message


WRONG_VALUES = [
    ("lstm.cell_state_dependence", True, "c-depends-on-h"),
    ("lstm.forget_bias", 0.95, "gate-value-for-bias"),
    ("lstm.forget_bias", -math.log(19), "sign"),
    ("lstm.forget_bias", 1.0, "bias-one"),
    ("lstm.forget_bias", 2.5, "too-small"),
    ("lstm.forget_bias", 3.0, "not-smallest"),
    ("lstm.forget_bias", math.log(20), "not-smallest"),
    ("lstm.argmax_vs_input", (True, True), "argmax-moves"),
    ("lstm.argmax_vs_input", (False, False), "max-fixed"),
    ("lstm.argmax_vs_input", (True, False), "swapped"),
]


@pytest.mark.parametrize("qid, answer, mistake", WRONG_VALUES)
def test_wrong_values_fail_and_name_the_mistake(qid, answer, mistake):
    feedback = dlweek8.check(qid, answer)
    assert feedback.status == INCORRECT and feedback.mistake == mistake, str(feedback)


@pytest.mark.parametrize("qid", ["lstm.cell_state_dependence", "lstm.argmax_vs_input"])
def test_conceptual_feedback_gives_the_reason_right_or_wrong(qid):
    q = checks.get(qid)
    right = dlweek8.check(qid, tuple(q.solution_fields()) if len(q.fields) > 1 else q.solution_fields()[0])
    wrong = dlweek8.check(qid, (True, True) if len(q.fields) > 1 else True)
    assert right.passed and not wrong.passed
    assert q.reason in right.message and q.reason in wrong.message


# -- bad inputs -----------------------------------------------------------------------------------
def _raises(*args):
    raise ValueError("boom")


def _loops(*args):
    """Never returns; sleeps rather than spins, so the other test worker keeps the CPU."""
    while True:
        time.sleep(0.01)


def _warns_and_returns_nan(*args):
    warnings.warn("careful", RuntimeWarning)
    return np.full((2, 2), np.nan)


@pytest.mark.parametrize("qid", FUNCTION_IDS)
@pytest.mark.parametrize(
    "answer, status, text",
    [
        (None, INVALID, "Expected a function"),
        ("lambda z: z", INVALID, "Expected a function"),
        (np.nan, INVALID, "Expected a function"),
        (lambda *a: None, INVALID, "returned None"),
        (lambda *a: "0.5", INVALID, "Expected"),
        (lambda *a: np.zeros((7, 7, 7)), INVALID, "shape"),
        (lambda *a: 0.25, INVALID, "Expected"),
        (_raises, INVALID, "ValueError: boom"),
        (..., UNANSWERED, "Replace"),
    ],
)
def test_bad_function_answers_get_one_line(qid, answer, status, text):
    feedback = dlweek8.check(qid, answer)
    assert feedback.status == status and text in feedback.message, str(feedback)
    assert "\n" not in feedback.message


@pytest.mark.parametrize("qid", FUNCTION_IDS)
def test_nan_outputs_and_warnings_are_reported(qid):
    feedback = dlweek8.check(qid, _warns_and_returns_nan)
    assert feedback.status in (INVALID, INCORRECT) and not feedback.passed
    if qid != "lstm.sigmoid_prime":  # σ′ is judged on its values at the extreme probe instead
        assert "NaN" in feedback.message or "shape" in feedback.message


def test_nan_of_the_right_shape_names_nan_and_the_warning():
    def nan_jacobian(*args):
        warnings.warn("overflow encountered in exp", RuntimeWarning)
        return np.full((len(args[0]),) * 2, np.nan)

    feedback = dlweek8.check("lstm.dh_dh_prev", nan_jacobian)
    assert feedback.status == INVALID and "NaN" in feedback.message and "RuntimeWarning: overflow" in feedback.message


def test_a_function_that_is_not_written_yet_is_unanswered():
    def todo(*args):
        raise NotImplementedError

    for qid in FUNCTION_IDS:
        assert dlweek8.check(qid, todo).status == UNANSWERED


@pytest.mark.parametrize("qid", ["lstm.dh_dh_prev", "lstm.sigmoid_prime"])
def test_an_endless_loop_is_stopped(qid):
    feedback = dlweek8.check(qid, _loops)
    assert feedback.status == INVALID and "did not finish within 2 s" in feedback.message


def test_student_functions_get_copies_of_the_probes():
    q = checks.get("lstm.df_dh_prev")
    before = [tuple(a.copy() for a in args) for args in q.probes()]

    def vandal(W_f, U_f, x, h_prev):
        U_f[:] = 0.0
        return lstm.df_dh_prev(W_f, U_f, x, h_prev)

    dlweek8.check("lstm.df_dh_prev", vandal)
    assert dlweek8.check("lstm.df_dh_prev", lstm.df_dh_prev).passed
    for args, again in zip(before, q.probes()):
        for a, b in zip(args, again):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("qid", VALUE_IDS)
@pytest.mark.parametrize("answer", [None, np.nan, "False", "2.94", [1, 2, 3], lstm.step, {"x": 1}])
def test_bad_value_answers_get_one_line(qid, answer):
    feedback = dlweek8.check(qid, answer)
    assert feedback.status == INVALID and "\n" not in feedback.message, str(feedback)


@pytest.mark.parametrize("qid", VALUE_IDS)
def test_blank_value_answers_are_unanswered(qid):
    assert dlweek8.check(qid, ...).status == UNANSWERED


# -- every question: prompt, hints, widgets, determinism, probes ------------------------------------
def test_the_lstm_ids_in_notebook_order():
    assert [qid for qid in checks.question_ids() if qid.startswith("lstm.")] == LSTM_IDS


@pytest.mark.parametrize("qid", LSTM_IDS)
def test_prompt_and_hints(qid):
    q = checks.get(qid)
    assert q.prompt and "\n" not in q.prompt and 1 <= len(q.hints) <= 2
    if isinstance(q, ValueQuestion):
        assert q.fields and q.variant(0) is None
    else:
        assert isinstance(q, FunctionQuestion) and q.signature


@pytest.mark.parametrize("qid", VALUE_IDS)
def test_answer_boxes_accept_the_solution_fields(qid):
    box = answer_box(qid)
    assert box.check().status == UNANSWERED
    for field_input, value in zip(box.inputs, checks.get(qid).solution_fields()):
        field_input.value = str(value) if isinstance(field_input, w.Text) else value
    assert box.check().passed
    box.inputs[0].value = {"lstm.forget_bias": "0.95"}.get(qid, True)
    assert not box.check().passed and "dlweek8-incorrect" in box._result.value


@pytest.mark.parametrize("qid, fn", [(qid, fn) for qid, fn in RIGHT_FUNCTIONS[::3]] + [(q, f) for q, f, _ in WRONG[::4]])
def test_feedback_is_deterministic(qid, fn):
    q = checks.get(qid)
    first = str(dlweek8.check(qid, fn))
    q.clear_cache()
    assert str(dlweek8.check(qid, fn)) == first


@pytest.mark.parametrize("qid", ["lstm.dh_dh_prev", "lstm.three_step_jacobian", "lstm.df_dh_prev"])
def test_probes_use_hidden_size_different_from_input_size_and_are_deterministic(qid):
    q = checks.get(qid)
    first, again = q.probes(), q.probes()
    for args_a, args_b in zip(first, again):
        for a, b in zip(args_a, args_b):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    if qid == "lstm.df_dh_prev":
        assert all(W.shape[0] != W.shape[1] for W, *_ in first)
    assert len(first) >= 3


def test_three_step_probes_include_the_cell_state_path():
    q = checks.get("lstm.three_step_jacobian")
    from dlweek8.checks.lstm import PROBE_SIZES

    sizes = [args[0][0].shape for args in q.probes()]
    hidden = [k for k, _ in PROBE_SIZES]
    # (k, k) h-path probes first, then (2k, 2k) Jacobians of the stacked state (c, h)
    assert sizes == [(k, k) for k in hidden[:q.H_PATH]] + [(2 * k, 2 * k) for k in hidden[q.H_PATH:]]


def test_a_wrong_sigmoid_prime_shows_the_z_of_its_worst_entry():
    feedback = dlweek8.check("lstm.sigmoid_prime", lambda z: np.zeros_like(z))
    assert feedback.status == INCORRECT and feedback.mistake is None
    rows = dict(feedback.example)
    assert rows["at"] == "z = 0" and rows["expected"] == "0.25" and rows["got"] == "0"
