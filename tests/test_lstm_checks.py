"""The Task 1 checks beyond what tests/test_questions.py asks of every question.

Nothing here lists the LSTM ids or their right answers: the questions come from
``dlweek8.questions()`` and the right answers from the instructor's solutions. What is
specific is tested by name: exact messages, counter-examples, the accuracy σ′ demands in
any numpy error state, answer forms students write, and bad inputs (never an exception).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import time
import warnings

import ipywidgets as w
import numpy as np
import pytest
import torch

import dlweek8
from dlweek8 import gradcheck, kinds, lstm, untrusted, written
from dlweek8.checks import lstm as lstm_checks
from dlweek8.feedback import CORRECT, INCORRECT, INVALID, UNANSWERED
from dlweek8.instructor import solutions
from dlweek8.instructor.solutions import as_student
from dlweek8.instructor.references import lstm as ref
from dlweek8.question import PROBES_DIR, FunctionQuestion, ValueQuestion
from dlweek8.widgets.answers import answer_box

LSTM = [q for q in dlweek8.questions() if q.id.startswith("lstm.")]
FUNCTIONS = [q for q in LSTM if isinstance(q, FunctionQuestion)]
VALUES = [q for q in LSTM if isinstance(q, ValueQuestion)]
WIDGETS = [q for q in VALUES if q.fields]
VARIANTS = [q for q in VALUES if q.variant(0) is not None]


def ids(questions):
    return [q.id for q in questions]



def sig(z):
    return lstm.sigmoid(z)


def test_the_lstm_questions_come_first_with_the_self_test_last():
    assert LSTM == dlweek8.questions()[: len(LSTM)]
    quiz = [q.id for q in LSTM if q.id.startswith("lstm.quiz_")]
    assert quiz and ids(LSTM)[-len(quiz):] == quiz


# -- every question: prompt, hints, widgets, determinism, probes ------------------------------------
@pytest.mark.parametrize("q", LSTM, ids=ids(LSTM))
def test_prompt_and_hints(q):
    assert q.prompt and "\n" not in q.prompt and 1 <= len(q.hints) <= 2
    if written.is_written(q):  # text in a code cell, graded by a person: no widget, no signature
        assert q.max_points > 0 and not q.fields
    elif isinstance(q, ValueQuestion):
        assert q.fields, f"{q.id}: a value question is answered in a widget"
        assert not hasattr(q, "solution_fields") or _raises_not_implemented(q.solution_fields)
    else:
        assert q.signature


def _raises_not_implemented(method) -> bool:
    try:
        method()
    except NotImplementedError:
        return True
    return False


@pytest.mark.parametrize("q", VALUES, ids=ids(VALUES))
def test_every_mistake_a_value_question_names_is_catalogued(q):
    named = set(getattr(q, "mistakes", {})) | ({"right-answer-wrong-reason"} if isinstance(q, kinds.ClaimsWithReasonQuestion) else set())
    assert named and named == set(solutions.solution(q).wrong), q.id


@pytest.mark.parametrize("q", FUNCTIONS, ids=ids(FUNCTIONS))
def test_function_prompts_and_hints_hold_no_solution_code(q):
    """Hints nudge to the method; the formula appears only after a right answer."""
    said = " ".join((q.prompt, *q.hints))
    for code in ("σ(z)·σ(−z)", "sigmoid(-z)", "@ Js", "Ss[2] @", "np.outer"):
        assert code not in said, f"{q.id}: {code!r} in its prompt or hints"


def test_df_dh_prev_states_its_formula_only_after_a_right_answer():
    q = dlweek8.checks.get("lstm.df_dh_prev")
    assert "σ′(" not in q.prompt and "U^f[d1, d2]" not in q.prompt
    right = dlweek8.check(q.id, as_student(ref.df_dh_prev.answer))
    assert right.passed and "σ′(W^f[d1]·x_t + U^f[d1]·h_{t−1}) · U^f[d1, d2]" in right.message


@pytest.mark.parametrize("q", WIDGETS, ids=ids(WIDGETS))
def test_answer_boxes_take_the_right_answer_and_show_hints_only_after_a_wrong_one(q):
    box = answer_box(q.id)
    assert box._result.value == "" and "Hint" not in box._prompt.value
    fill(box, q.fields_for(solutions.solution(q).answer))
    assert box.check().passed and "Hint" not in box._result.value
    wrong = next(iter(solutions.solution(q).wrong.values()))
    fill(box, q.fields_for(wrong))
    assert not box.check().passed and "dlweek8-incorrect" in box._result.value and "Hint 1" in box._result.value


def fill(box, values):
    for field_input, value in zip(box.inputs, values, strict=True):
        field_input.value = str(value) if isinstance(field_input, w.Text) else value


@pytest.mark.parametrize("q", VARIANTS, ids=ids(VARIANTS))
def test_self_test_variants_are_reproducible_new_numbers_and_judged_right(q):
    seen = {q.prompt}
    for seed in range(6):
        v, again = q.variant(seed), q.variant(seed)
        assert v.id == q.id and v.prompt == again.prompt
        seen.add(v.prompt)
        right = ref.variant_answer(v)
        assert dlweek8.question.evaluate(v, v.from_fields(v.fields_for(right))).passed
        assert not dlweek8.question.evaluate(v, _nudged(right)).passed
    assert len(seen) >= 4
    assert ref.variant_answer(q) == pytest.approx(solutions.solution(q).answer)


def _nudged(answer):
    if isinstance(answer, tuple):
        return (answer[0] * 1.05,) + answer[1:]
    return answer * 1.05


def test_a_variant_box_shows_new_numbers_and_checks_them():
    box = answer_box("lstm.quiz_cec", seed="student-7")
    first = box.question.prompt
    variant = box.new_variant()
    assert variant.prompt != first and "(variant 1)" in box._prompt.value
    fill(box, variant.fields_for(ref.variant_answer(variant)))
    assert box.check().passed


@pytest.mark.parametrize("q", FUNCTIONS, ids=ids(FUNCTIONS))
def test_feedback_is_deterministic(q):
    wrong = next(iter(solutions.solution(q).wrong.values()))
    first = str(dlweek8.check(q.id, as_student(wrong)))
    q.__dict__.pop("_public_cases", None)
    assert str(dlweek8.check(q.id, as_student(wrong))) == first


@pytest.mark.parametrize("q", FUNCTIONS, ids=ids(FUNCTIONS))
def test_cell_probes_use_hidden_size_different_from_input_size(q):
    probes = q.probes()
    assert len(probes) >= 3
    for args in probes:
        shapes = {np.shape(a) for a in args if np.ndim(a) == 2 and np.shape(a)[0] != np.shape(a)[1]}
        if q.id in ("lstm.df_dh_prev", "lstm.dL_dU_f"):
            assert shapes, f"{q.id}: W_f should not be square"


# -- answer forms students write ------------------------------------------------------------------
def dh_diag(i, f, o, u, c_prev, di, df, do, du):
    c = f * c_prev + i * u
    dc = np.diag(c_prev) @ df + np.diag(u) @ di + np.diag(i) @ du
    return (np.diag(np.tanh(c)) @ do + np.diag(o) @ np.diag(1 - np.tanh(c) ** 2) @ dc).tolist()


def dh_torch_float32(*args):
    i, f, o, u, c_prev, di, df, do, du = (torch.tensor(a, dtype=torch.float32) for a in args)
    c = f * c_prev + i * u
    dc = c_prev.unsqueeze(1) * df + u.unsqueeze(1) * di + i.unsqueeze(1) * du
    return torch.tanh(c).unsqueeze(1) * do + (o * (1 - torch.tanh(c) ** 2)).unsqueeze(1) * dc


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


def three_step_loop(Ss):
    k = len(Ss[0]) // 2
    out = np.eye(2 * k)
    for S in Ss:
        out = S @ out
    return out[:k, :k]


def dL_dU_f_autograd(W_f, U_f, b_f, x, h_prev, c_prev, v):
    U = torch.tensor(U_f, requires_grad=True)
    f = torch.sigmoid(torch.tensor(W_f) @ torch.tensor(x) + U @ torch.tensor(h_prev) + torch.tensor(b_f))
    (torch.tensor(v) @ (f * torch.tensor(c_prev))).backward()
    return U.grad


@pytest.mark.parametrize(
    "qid, answer",
    [
        ("lstm.dh_dh_prev", dh_diag),
        ("lstm.dh_dh_prev", dh_torch_float32),
        ("lstm.three_step_jacobian", three_step_loop),
        ("lstm.three_step_jacobian", lambda Ss: np.linalg.multi_dot(Ss[::-1])[: len(Ss[0]) // 2, : len(Ss[0]) // 2]),
        ("lstm.sigmoid_prime", lambda z: torch.sigmoid(torch.as_tensor(z)) * torch.sigmoid(-torch.as_tensor(z))),
        ("lstm.sigmoid_prime", lambda z: np.exp(-np.logaddexp(0, z) - np.logaddexp(0, -z))),
        ("lstm.df_dh_prev", df_loops),
        ("lstm.df_dh_prev", df_autograd),
        ("lstm.dL_dU_f", dL_dU_f_autograd),
        ("lstm.argmax_h", lambda U, d: [v / math.sqrt(sum(x * x for x in U[d])) for v in U[d]]),
        ("lstm.argmax_h", lambda U, d: torch.nn.functional.normalize(torch.tensor(U[d]), dim=0)),
    ],
)
def test_right_answers_in_the_forms_students_write_pass(qid, answer):
    feedback = dlweek8.check(qid, answer)
    assert feedback.passed and feedback.mistake is None, str(feedback)


@pytest.mark.parametrize(
    "qid, answer",
    [
        ("lstm.cell_state_dependence", (np.bool_(False), "b")),
        ("lstm.cell_state_dependence", [False, " B "]),
        ("lstm.cell_state_dependence", {"depends": False, "reason": "B"}),
        ("lstm.argmax_vs_input", [False, True, "b"]),
        ("lstm.argmax_vs_input", {"argmax": False, "max": True, "reason": "B"}),
        ("lstm.forget_bias", 2.944), ("lstm.forget_bias", 2.945), ("lstm.forget_bias", np.float32(2.95)),
        ("lstm.forget_bias", np.array([2.9444])), ("lstm.forget_bias", torch.tensor(2.9444)),
        ("lstm.quiz_forget_bias_99", 4.595), ("lstm.quiz_cec", 0.684), ("lstm.quiz_rnn_scale", (38.3, "Explodes")),
    ],
)
def test_right_values_in_other_forms_pass(qid, answer):
    feedback = dlweek8.check(qid, answer)
    assert feedback.passed, str(feedback)


# -- forget_bias: σ(b) ≥ 0.95 up to rounding in the 3rd decimal -----------------------------------
@pytest.mark.parametrize("b", [2.935, 2.94, 2.943, 2.96, 3.0, 1.0, 0.95])
def test_forget_biases_that_miss_fail(b):
    assert not dlweek8.check("lstm.forget_bias", b).passed


def test_every_accepted_forget_bias_reaches_the_gate_up_to_rounding():
    for b in np.arange(2.90, 3.00, 0.001):
        passed = dlweek8.check("lstm.forget_bias", float(b)).passed
        assert passed == (sig(b) >= 0.95 - 0.0005 * 0.95 * 0.05 - 1e-12 and b <= math.log(19) + 0.01), b
    assert not dlweek8.check("lstm.forget_bias", 2.935).passed and sig(2.935) < 0.9497


def test_forget_bias_messages_say_which_b_and_never_state_ln_19():
    sign = dlweek8.check("lstm.forget_bias", -2.944)
    assert sign.mistake == "sign" and "your b is negative" in sign.message and "σ(b) = 0.0500" in sign.message
    for b in (0.95, -2.944, -2.94, 1.0, 2.94, 2.5, 4.0):
        said = str(dlweek8.check("lstm.forget_bias", b)) + " ".join(dlweek8.checks.get("lstm.forget_bias").hints)
        assert "2.94" not in said.replace(f"{b}", "") and "ln 19" not in said and "ln(19)" not in said


# -- σ′: judged by values, the same in every numpy error state ------------------------------------
def naive_sigmoid_prime(z):
    return np.exp(-z) / (1 + np.exp(-z)) ** 2


def sigma_one_minus_sigma(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)


def sigma_sigma_minus_naive(z):
    def s(t):
        return 1 / (1 + np.exp(-t))

    return s(z) * s(-z)


@pytest.mark.parametrize("state", ["warn", "ignore", "print", "raise", "filter-error"])
@pytest.mark.parametrize(
    "answer, status, mistake",
    [(naive_sigmoid_prime, INCORRECT, "overflow-nan"), (sigma_one_minus_sigma, INCORRECT, "cancellation"),
     (sigma_sigma_minus_naive, CORRECT, None)],
)
def test_the_sigmoid_prime_verdict_does_not_depend_on_numpy_error_state(state, answer, status, mistake):
    old = np.seterr(all="warn" if state == "filter-error" else state)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error" if state == "filter-error" else "ignore" if state == "ignore" else "default")
            feedback = dlweek8.check("lstm.sigmoid_prime", answer)
    finally:
        np.seterr(**old)
    assert (feedback.status, feedback.mistake) == (status, mistake), str(feedback)


def test_sigma_one_minus_sigma_fails_with_cancellation_explained_at_another_z():
    feedback = dlweek8.check("lstm.sigmoid_prime", sigma_one_minus_sigma)
    assert feedback.mistake == "cancellation" and "not underflow" in feedback.message
    assert "z = 37" in feedback.message and "z = 40" not in feedback.message
    assert dict(feedback.example)["at"] == "z = 40" and dict(feedback.example)["got"] == "0"
    # the numbers in the message are float64 facts
    assert 1.0 / (1.0 + math.exp(-37)) == 1.0 and f"{math.exp(-37) / (1 + math.exp(-37)) ** 2:.3g}" in feedback.message


def test_sigma_one_minus_sigma_is_100_percent_off_at_40_as_the_notebook_says():
    s = sig(40.0)
    true = math.exp(-40) / (1 + math.exp(-40)) ** 2
    assert abs(s * (1 - s) - true) / true == 1.0 and lstm_checks.SigmoidPrime._errors(np.array([0.0]), np.array([true]))[0] == 1.0


@pytest.mark.parametrize("answer", [naive_sigmoid_prime, sigma_one_minus_sigma, lambda z: sig(z), lambda z: np.zeros_like(z),
                                    lambda z: -sig(z) * sig(-z)])
def test_no_wrong_sigmoid_prime_is_handed_the_answer(answer):
    feedback = dlweek8.check("lstm.sigmoid_prime", answer)
    said = str(feedback) + " ".join(feedback.hints)
    assert not feedback.passed
    assert not re.search(r"σ\(z\)\s*[·*]\s*σ\(−z\)|σ\(−z\)", said), said


def test_sigmoid_prime_accuracy_is_relative_where_sigma_prime_is_a_normal_float():
    q = dlweek8.checks.get("lstm.sigmoid_prime")
    assert "1e-6" in q.prompt and "±1000" in q.prompt and "NaN" in q.prompt
    slightly_off = dlweek8.check(q.id, lambda z: sig(z) * sig(-z) * (1 + 3e-6))
    assert slightly_off.status == INCORRECT and slightly_off.mistake is None
    assert dlweek8.check(q.id, lambda z: sig(z) * sig(-z) * (1 + 3e-7)).passed
    # a subnormal 5e-324 where σ′ underflows to 0 is fine; a normal float there is not
    assert dlweek8.check(q.id, lambda z: sig(z) * sig(-z) + np.where(np.abs(z) > 900, 5e-324, 0)).passed
    assert not dlweek8.check(q.id, lambda z: sig(z) * sig(-z) + np.where(np.abs(z) > 900, 1e-300, 0)).passed


def test_a_wrong_sigmoid_prime_shows_the_z_of_its_worst_entry():
    feedback = dlweek8.check("lstm.sigmoid_prime", lambda z: sig(z) * sig(-z) + np.where(z == 0, 0.05, 0.0))
    rows = dict(feedback.example)
    assert feedback.status == INCORRECT and rows["at"] == "z = 0" and rows["expected"] == "0.25" and rows["got"] == "0.3"


# -- dh_dh_prev, three_step_jacobian, dL_dU_f ---------------------------------------------------------
def test_adding_diag_f_is_named_as_the_c_depends_on_h_mistake():
    def with_diag_f(i, f, o, u, c_prev, di, df, do, du):
        c = f * c_prev + i * u
        dc = c_prev[:, None] * df + np.diag(f) + u[:, None] * di + i[:, None] * du
        return np.tanh(c)[:, None] * do + (o * (1 - np.tanh(c) ** 2))[:, None] * dc

    feedback = dlweek8.check("lstm.dh_dh_prev", with_diag_f)
    assert feedback.mistake == "diag-f-term" and "as if c_{t−1} depended on h_{t−1}" in feedback.message


def test_the_h_only_product_is_named_with_the_gap_measured_on_the_stored_cell():
    feedback = dlweek8.check("lstm.three_step_jacobian", as_student(ref.three_step_jacobian.wrong["h-only-product"]))
    assert feedback.mistake == "h-only-product" and "misses the path through c" in feedback.message
    cases = dlweek8.checks.get("lstm.three_step_jacobian").public_cases()
    gap = np.linalg.norm(np.asarray(cases.mistakes["h-only-product"][0]) - cases.expected[0]) / np.linalg.norm(cases.expected[0])
    assert f"{gap:.0%} off" in feedback.message and gap > 0.5


def test_the_notebook_cell_seed_2_k_4_h_only_product_is_98_percent_off():
    """Issue 8 §1: on the notebook's cell (seed 2, k = 4) the h-only product is 98 % off the true block."""
    rng = np.random.default_rng(2)
    cell = lstm.random_cell(rng, hidden_size=4, input_size=3)
    xs = rng.standard_normal((3, 3))
    h0, c0 = rng.uniform(-1, 1, 4), rng.standard_normal(4)
    full = lstm.autograd_unrolled_jacobian(cell, xs, h0, c0)[:4, :4]
    h_only = lstm.autograd_unrolled_jacobian(cell, xs, h0, c0, carry_cell_state=False)
    assert f"{np.linalg.norm(h_only - full) / np.linalg.norm(full):.0%}" == "98%"


def test_the_whole_state_product_is_named_not_rejected_for_its_shape():
    feedback = dlweek8.check("lstm.three_step_jacobian", lambda Ss: Ss[2] @ Ss[1] @ Ss[0])
    assert feedback.mistake == "whole-product" and dict(feedback.example)["got shape"] == "(6, 6)"


def test_a_product_of_two_steps_is_wrong_without_a_name_and_shows_the_worst_entry():
    feedback = dlweek8.check("lstm.three_step_jacobian", lambda Ss: (Ss[2] @ Ss[1])[: len(Ss[0]) // 2, : len(Ss[0]) // 2])
    assert feedback.status == INCORRECT and feedback.mistake is None
    assert [label for label, _ in feedback.example] == ["inputs", "worst entry", "expected (autograd)", "got"]


def test_dL_dU_f_with_x_in_place_of_h_is_named_dL_dW_f():
    def with_x(W_f, U_f, b_f, x, h_prev, c_prev, v):
        z = W_f @ x + U_f @ h_prev + b_f
        return np.outer(v * c_prev * sig(z) * sig(-z), x)

    feedback = dlweek8.check("lstm.dL_dU_f", with_x)
    assert feedback.mistake == "x-for-h" and "∂L/∂W^f" in feedback.message


def test_a_numerical_gradient_from_the_package_gets_no_credit_but_ones_own_passes():
    def numeric(W_f, U_f, b_f, x, h_prev, c_prev, v):
        return gradcheck.numerical_gradient(lambda U: v @ (sig(W_f @ x + U @ h_prev + b_f) * c_prev), U_f)

    feedback = dlweek8.check("lstm.dL_dU_f", numeric)
    assert feedback.mistake == "package-function" and "numerical_gradient" in feedback.message


# -- yes/no questions with a reason ------------------------------------------------------------------
REASONED = [q for q in VALUES if isinstance(q, kinds.ClaimsWithReasonQuestion)]


@pytest.mark.parametrize("q", REASONED, ids=ids(REASONED))
def test_right_claims_with_each_wrong_reason_get_half_credit_and_a_rebuttal(q):
    found = solutions.solution(q)
    right = found.answer
    assert dlweek8.check(q.id, right).points == 1.0
    for letter in q.reasons:
        if letter == right[-1]:
            continue
        feedback = dlweek8.check(q.id, right[:-1] + (letter,))
        assert (feedback.mistake, feedback.points) == ("right-answer-wrong-reason", 0.5), str(feedback)
        assert feedback.message == found.feedback[right[:-1] + (letter,)]


@pytest.mark.parametrize("q", REASONED, ids=ids(REASONED))
def test_every_combination_gets_the_feedback_its_reference_writes(q):
    """Every claims × letter combination is judged from the sealed store, with the text the references hold."""
    found = solutions.solution(q)
    count = len(q.claims)
    named = {answer[:count]: name for name, answer in found.wrong.items() if name != "right-answer-wrong-reason"}
    for combination in _combinations(q):
        feedback = dlweek8.check(q.id, combination)
        if combination == found.answer:
            assert feedback.passed and feedback.message == found.feedback[combination]
        elif combination[:count] == found.answer[:count]:
            assert feedback.mistake == "right-answer-wrong-reason" and feedback.message == found.feedback[combination]
        else:
            assert feedback.mistake == named[combination[:count]] and feedback.points == 0, str(feedback)
            assert feedback.message == found.feedback[combination[:count]]


def _combinations(q):
    return [claims + (letter,) for claims in itertools.product((False, True), repeat=len(q.claims)) for letter in q.reasons]


def test_the_stored_sealed_feedback_is_what_the_references_give():
    for q in REASONED:
        stored = json.loads((PROBES_DIR / f"{q.id}.json").read_text(encoding="utf-8"))
        assert stored == solutions.sealed_feedback(q), "run: python -m dlweek8 store-probes"


# -- issue 22 item 3: no attribute holds a yes/no or value answer in the clear ------------------------------
def _attribute_values(obj):
    """Every attribute value of ``obj`` and of its class (and bases), and one level into containers."""
    names = set(vars(obj)) if hasattr(obj, "__dict__") else set()
    for klass in type(obj).__mro__:
        names |= set(vars(klass))
    values = []
    for name in sorted(names):
        try:
            value = getattr(obj, name)
        except Exception:  # noqa: BLE001 - a property that needs more than the object
            continue
        values.append((name, value))
        if isinstance(value, dict):
            values += [(f"{name}[key]", key) for key in value] + [(f"{name}[{key!r}]", item) for key, item in value.items()]
        elif isinstance(value, (tuple, list, set, frozenset)):
            values += [(f"{name}[]", item) for item in value]
    return values


def _holds(value, answer) -> bool:
    """Whether ``value`` is ``answer`` in the clear: equal, a float within rounding, or a text stating it."""
    if isinstance(answer, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value - answer) <= 1e-3
    if isinstance(answer, tuple):
        as_list = list(answer)
        return value in (answer, as_list, answer[:-1], as_list[:-1]) if isinstance(value, (tuple, list)) else False
    return value == answer


def _leaks(q) -> list[str]:
    found = solutions.solution(q)
    leaks = [name for name, value in _attribute_values(q) if _holds(value, found.answer)]
    # a claims question: no text that the right combination alone gets (its explanation) in the clear
    texts = [found.feedback[found.answer]] if found.feedback else []
    leaks += [name for name, value in _attribute_values(q) if isinstance(value, str) and any(t[:60] in value for t in texts)]
    return leaks


LEAK_SCANNED = [q for q in dlweek8.questions() if q.id.startswith(("lstm.", "backprop.")) and not written.is_written(q)
                and not isinstance(q, FunctionQuestion)]


@pytest.mark.parametrize("q", LEAK_SCANNED, ids=ids(LEAK_SCANNED))
def test_no_attribute_of_a_question_holds_its_answer_in_the_clear(q):
    """Protection: the keyed digests and sealed texts of dlweek8.kinds, and the logit computed inside ForgetBias.judge."""
    assert not _leaks(q), f"{q.id} holds its answer in {_leaks(q)}"
    assert dlweek8.check(q.id, as_student(solutions.solution(q).answer)).passed  # the protection keeps the check working


def test_the_attribute_scan_finds_an_answer_held_in_the_clear():
    """The scan above, run on the questions as they were before the protection: each leak is found."""
    cell = dlweek8.checks.get("lstm.cell_state_dependence")
    bias = dlweek8.checks.get("lstm.forget_bias")
    for q, name, value in ((cell, "right_claims", (False,)), (cell, "right_reason_and_claims", [False, "B"]),
                           (bias, "expected", math.log(19)),
                           (cell, "explanation", solutions.solution(cell).feedback[(False, "B")])):
        q.__dict__[name] = value
        try:
            assert name in _leaks(q)
        finally:
            del q.__dict__[name]


def _functions_from_p_to_the_bias(module) -> list[str]:
    """Public functions of ``module`` that turn the gate value 0.95 into the graded bias ln 19."""
    found = []
    for name in dir(module):
        value = getattr(module, name)
        if callable(value) and not isinstance(value, type) and not name.startswith("_"):
            try:
                out = value(0.95)
            except Exception:  # noqa: BLE001 - not a function of one number
                continue
            if isinstance(out, float) and abs(out - math.log(19)) < 1e-3:
                found.append(name)
    return found


def test_the_checks_module_has_no_public_function_from_p_to_the_bias(monkeypatch):
    """Protection: the logit is computed inside ForgetBias.judge only. A planted public logit is found."""
    assert _functions_from_p_to_the_bias(lstm_checks) == []
    monkeypatch.setattr(lstm_checks, "logit", lambda p: math.log(p / (1 - p)), raising=False)
    assert _functions_from_p_to_the_bias(lstm_checks) == ["logit"]


# -- issue 22 item 4: yes/no feedback never states the right combination --------------------------------------
#: Wording that states a right claim of each question, or that the claims should be flipped.
RIGHT_WORDING = {
    "lstm.cell_state_dependence": (r"not a function", r"pin(s)? down", r"no function maps", r"is no function", r"cannot be a function",
                                   r"does not depend", r"independent"),
    "lstm.argmax_vs_input": (r"argmax (does not|doesn't|cannot|won't) (depend|move|change)", r"(max|maximum|best value) (moves|depends|changes)",
                             r"does not depend", r"still wins", r"keeps the winner", r"same (one|candidate) wins"),
}
GIVE_AWAY = (r"wrong way round", r"the other way round", r"the right answer", r"should be", r"\b(True|False)\b", r"flip")


@pytest.mark.parametrize("q", REASONED, ids=ids(REASONED))
def test_feedback_on_a_wrong_combination_never_states_the_right_one(q):
    found = solutions.solution(q)
    right_letter = found.answer[-1]
    right_reason = q.reasons[right_letter]
    for combination in _combinations(q):
        if combination == found.answer:
            continue
        feedback = dlweek8.check(q.id, combination)
        said = " ".join([feedback.message, *(f"{label} {value}" for label, value in feedback.example)])
        assert not feedback.passed
        for pattern in RIGHT_WORDING[q.id] + GIVE_AWAY:
            assert not re.search(pattern, said, re.I), f"{combination}: {pattern!r} in {said!r}"
        assert right_reason not in said and right_reason[:40] not in said, f"{combination}: the right reason's text in {said!r}"
        assert not re.search(rf"(reason|letter|option)\s*\(?{right_letter}\b", said), f"{combination}: names the right letter"
        assert repr(found.answer) not in said and ", ".join(map(str, found.answer[:-1])) not in said


def test_the_old_give_away_wording_is_caught():
    """The catalogue above rejects the two texts issue 22 quotes."""
    for text, qid in (("Both claims are the wrong way round. Adding the same number keeps the winner.", "lstm.argmax_vs_input"),
                      ("Counter-example: ... So h_{t−1} does not pin down c_{t−1}.", "lstm.cell_state_dependence")):
        assert any(re.search(p, text, re.I) for p in RIGHT_WORDING[qid] + GIVE_AWAY)


@pytest.mark.parametrize("q", REASONED, ids=ids(REASONED))
def test_claims_without_a_reason_are_asked_for_it(q):
    feedback = dlweek8.check(q.id, solutions.solution(q).answer[:-1] if len(q.claims) > 1 else solutions.solution(q).answer[0])
    assert feedback.status == INVALID and "Give the reason too" in feedback.message


def test_the_cell_state_feedback_argues_validly():
    q = dlweek8.checks.get("lstm.cell_state_dependence")
    direction = dlweek8.check(q.id, (False, "A"))
    assert "proves nothing" in direction.message
    for answer in ((True, "A"), (True, "B"), (True, "D")):
        wrong = dlweek8.check(q.id, answer)
        assert wrong.mistake == "claim-fails" and "both give h" in wrong.message and "computed after" not in wrong.message
    right = dlweek8.check(q.id, (False, "B"))
    assert "separate inputs" in right.message and "loses information" in right.message


def test_the_same_h_counter_example_is_true():
    o1, c1, o2 = 0.5, 1.0, 0.8
    text = ref.same_h_counter_example()
    c2 = float(re.search(r"o = 0.8, c = ([\d.]+)", text).group(1))
    assert abs(o1 * math.tanh(c1) - o2 * math.tanh(c2)) < 1e-4 and abs(c1 - c2) > 0.4


def test_the_argmax_feedback_shows_a_shift_with_other_numbers():
    feedback = dlweek8.check("lstm.argmax_vs_input", (True, True, "D"))
    assert feedback.mistake == "argmax-claim-fails" and "(5.0, 6.5, 4.3)" in feedback.message


# -- bad inputs -----------------------------------------------------------------------------------------
def _raises(*args):
    raise ValueError("boom")


def _loops(*args):
    """Never returns; sleeps rather than spins, so the other test worker keeps the CPU."""
    while True:
        time.sleep(0.01)


class LyingArray:
    """Claims to equal everything and to have any shape asked."""

    shape = (3, 3)

    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        raise TypeError("no array here")


class AlwaysClose(float):
    def __eq__(self, other):
        return True

    def __sub__(self, other):
        return 0.0

    __hash__ = float.__hash__


@pytest.mark.parametrize("q", FUNCTIONS, ids=ids(FUNCTIONS))
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
        (lambda *a: LyingArray(), INVALID, "Expected"),
        (lambda *a: [[AlwaysClose(0.0)]], INVALID, "shape"),
        (_raises, INVALID, "ValueError: boom"),
        (..., UNANSWERED, "Replace"),
    ],
)
def test_bad_function_answers_get_one_line(q, answer, status, text):
    feedback = dlweek8.check(q.id, answer)
    assert feedback.status == status and text in feedback.message, str(feedback)
    assert "\n" not in feedback.message


@pytest.mark.parametrize("q", FUNCTIONS, ids=ids(FUNCTIONS))
def test_nan_outputs_fail(q):
    def nan_like(*args):
        warnings.warn("careful", RuntimeWarning, stacklevel=1)
        out = as_student(solutions.solution(q).answer)(*args)
        return np.full(np.shape(out), np.nan)

    feedback = dlweek8.check(q.id, nan_like)
    assert feedback.status in (INVALID, INCORRECT) and not feedback.passed
    assert "NaN" in feedback.message or "nan" in feedback.message


@pytest.mark.parametrize("q", FUNCTIONS, ids=ids(FUNCTIONS))
def test_unwritten_functions_are_unanswered_and_endless_loops_stopped(q, monkeypatch):
    def todo(*args):
        raise NotImplementedError

    assert dlweek8.check(q.id, todo).status == UNANSWERED
    if q is FUNCTIONS[0]:
        monkeypatch.setattr(untrusted, "TIME_LIMIT", 0.2)  # 2 s in a notebook (test_conv_checks waits it out once)
        feedback = dlweek8.check(q.id, _loops)
        assert feedback.status == INVALID and "did not finish within 0.2 s" in feedback.message


def test_student_functions_get_copies_of_the_probes():
    q = dlweek8.checks.get("lstm.df_dh_prev")
    before = [tuple(np.array(a, copy=True) for a in args) for args in q.probes()]

    def vandal(W_f, U_f, x, h_prev):
        U_f[:] = 0.0
        return U_f

    dlweek8.check(q.id, vandal)
    assert dlweek8.check(q.id, as_student(ref.df_dh_prev.answer)).passed
    for args, again in zip(before, q.probes(), strict=True):
        for a, b in zip(args, again, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("q", VALUES, ids=ids(VALUES))
@pytest.mark.parametrize("answer", [None, np.nan, "False", "2.94", [1, 2, 3, 4, 5], lstm.step, {"x": 1}, AlwaysClose(1.0)])
def test_bad_value_answers_get_one_line(q, answer):
    feedback = dlweek8.check(q.id, answer)
    assert not feedback.passed and "\n" not in feedback.message, str(feedback)
    assert feedback.status in (INVALID, INCORRECT)


@pytest.mark.parametrize("q", VALUES, ids=ids(VALUES))
def test_blank_value_answers_are_unanswered(q):
    assert dlweek8.check(q.id, ...).status == UNANSWERED


@pytest.mark.parametrize("q", FUNCTIONS, ids=ids(FUNCTIONS))
def test_the_package_maths_that_stays_gets_no_credit(q):
    """Every public callable of dlweek8.lstm and dlweek8.gradcheck, and the private stand-ins, fail every function question."""
    names = [n for n in dir(lstm) if callable(getattr(lstm, n)) and not isinstance(getattr(lstm, n), type)]
    for name in names:
        assert not dlweek8.check(q.id, getattr(lstm, name)).passed, f"dlweek8.lstm.{name} passes {q.id}"
    for name in ("numerical_gradient", "relative_error"):
        assert not dlweek8.check(q.id, getattr(gradcheck, name)).passed
    for private in q.own_work:
        module, _, name = private.rpartition(".")
        function = getattr(__import__(module, fromlist=[name]), name)
        assert not dlweek8.check(q.id, lambda *a, _f=function: _f(*a)).passed


def test_the_references_left_the_student_package():
    for name in ("dh_dh_prev", "dc_dh_prev", "df_dh_prev", "forget_bias_for", "sigmoid_prime", "argmax_h", "_argmax_h"):
        assert not hasattr(lstm, name), name


# -- issue 22 item 4: the reason is exactly one of the offered letters ----------------------------------------
@pytest.mark.parametrize("qid", ["lstm.cell_state_dependence", "lstm.argmax_vs_input"])
def test_a_reason_must_be_exactly_one_offered_letter(qid):
    *claims, right_reason = solutions.solution(qid).answer
    for reason in ("Because they are separate", "B because", "BB", "b)", ""):
        feedback = dlweek8.check(qid, (*claims, reason))
        assert feedback.status == "invalid" and feedback.points == 0, (reason, str(feedback))
    for letter in (right_reason, right_reason.lower(), f" {right_reason} "):
        assert dlweek8.check(qid, (*claims, letter)).passed


# -- issue 23 item 4: common slips that got only "differs on 4 of 4 cells" are named ----------------------------
SLIPS = [("lstm.dh_dh_prev", "i-u-swapped"), ("lstm.three_step_jacobian", "h-only-wrong-order"), ("lstm.df_dh_prev", "U-transposed")]


@pytest.mark.parametrize("qid, name", SLIPS)
def test_a_common_slip_is_named_with_a_counter_example(qid, name):
    feedback = dlweek8.check(qid, as_student(solutions.solution(qid).wrong[name]))
    assert (feedback.status, feedback.mistake, feedback.mistakes) == (INCORRECT, name, (name,)), str(feedback)
    assert "differs from the reference" not in feedback.message and ("For example" in feedback.message or "for a = 3x" in feedback.message
                                                                      or "Order matters" in feedback.message)
    assert dict(feedback.example)["got"] != dict(feedback.example)["expected (autograd)"]


def slip_i_u(i, f, o, u, c_prev, di, df, do, du):
    """The slip as a student writes it: i_t with ∂i_t and u_t with ∂u_t."""
    c = f * c_prev + i * u
    dc = c_prev[:, None] * df + i[:, None] * di + u[:, None] * du
    return np.tanh(c)[:, None] * do + (o * (1 - np.tanh(c) ** 2))[:, None] * dc


def slip_h_only_wrong_order(Ss):
    k = len(Ss[0]) // 2
    return Ss[0][:k, :k] @ Ss[1][:k, :k] @ Ss[2][:k, :k]


def slip_u_transposed(W_f, U_f, x, h_prev):
    z = W_f @ x + U_f @ h_prev
    return (sig(z) * sig(-z))[:, None] * U_f.T


@pytest.mark.parametrize("qid, name, answer", [(*SLIPS[0], slip_i_u), (*SLIPS[1], slip_h_only_wrong_order), (*SLIPS[2], slip_u_transposed)])
def test_the_slips_written_by_hand_are_named_and_really_wrong(qid, name, answer):
    """Each slip, written as a student would, is named; and it is wrong against torch.autograd (not only against the reference)."""
    assert dlweek8.check(qid, answer).mistake == name
    rng = np.random.default_rng(7)
    cell = lstm.random_cell(rng, hidden_size=4, input_size=3)
    x, h, c = lstm.random_state(rng, cell)
    if qid == "lstm.df_dh_prev":
        truth = torch.autograd.functional.jacobian(lambda hh: torch.sigmoid(torch.tensor(cell.W_f) @ torch.tensor(x) + torch.tensor(cell.U_f) @ hh),
                                                   torch.tensor(h)).numpy()
        assert not np.allclose(answer(cell.W_f, cell.U_f, x, h), truth, atol=1e-6)
    elif qid == "lstm.dh_dh_prev":
        s = lstm.step(cell, x, h, c)
        J = lstm.gate_jacobians(cell, x, h)
        truth = lstm.autograd_jacobians(cell, x, h, c)["h"]
        assert not np.allclose(answer(s.i, s.f, s.o, s.u, c, J["i"], J["f"], J["o"], J["u"]), truth, atol=1e-6)
    else:
        xs = rng.standard_normal((3, 3))
        steps = lstm.run(cell, xs, h, c)
        hs, cs = [h] + [st.h for st in steps], [c] + [st.c for st in steps]
        Ss = [lstm.state_jacobian(cell, xs[n], hs[n], cs[n]) for n in range(3)]
        truth = lstm.autograd_unrolled_jacobian(cell, xs, h, c)[:4, :4]
        assert not np.allclose(answer(Ss), truth, atol=1e-6)


def test_the_slips_counter_examples_are_true():
    a_b = lstm_checks._product_rule_example()
    x, eps = 1.0, 1e-6
    derivative = (3 * (x + eps) ** 3 - 3 * (x - eps) ** 3) / (2 * eps)
    assert f"= {round(derivative):g} = b·a′ + a·b′ = 1·3 + 3·2" in a_b and "a·a′ + b·b′ = 3·3 + 1·2 = 11" in a_b
    A, B = np.array([[1, 1], [0, 1]]), np.array([[1, 0], [1, 1]])
    order = lstm_checks._order_example()
    assert f"AB = {(A @ B).tolist()}" in order and f"BA = {(B @ A).tolist()}" in order
    U = np.array([[1, 2], [3, 4]])
    said = lstm_checks.DfDhPrev.mistakes["U-transposed"].message
    assert f"row 0 is {tuple(U[0].tolist())}" in said and f"row 0 of U^fᵀ is {tuple(U.T[0].tolist())}" in said
