"""The LSTM maths against torch: nn.LSTM for the step, torch.autograd for every Jacobian and gradient.

Covers the student-side maths (dlweek8.lstm, dlweek8.gradcheck) and the instructor's references
(dlweek8/instructor/references/lstm.py) on every probe they are judged on.
"""

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from dlweek8 import gradcheck, lstm
from dlweek8.instructor.references import lstm as ref

SIZES = [(3, 2), (4, 7), (6, 3)]
ALL_SIZES = [("public", 0, ref.PUBLIC_SIZES), ("hidden", 10, ref.HIDDEN_SIZES)]


def _cell_and_state(seed, k, d, biases=False):
    rng = np.random.default_rng(seed)
    cell = lstm.random_cell(rng, k, d, scale=1.0)
    if biases:
        cell = lstm.LSTMCell(**{**cell.__dict__, **{f"b_{g}": rng.normal(size=k) for g in "ifoc"}})
    return cell, *lstm.random_state(rng, cell)


@pytest.mark.parametrize("bias", [True, False])
def test_step_matches_nn_lstm_after_conversion(bias):
    torch.manual_seed(0)
    module = torch.nn.LSTM(input_size=3, hidden_size=5, bias=bias).double()
    cell = lstm.from_torch(module)
    assert cell.W_f.shape == (5, 3) and cell.U_c.shape == (5, 5)
    xs = torch.randn(7, 1, 3, dtype=torch.float64)
    h0, c0 = torch.randn(1, 1, 5, dtype=torch.float64), torch.randn(1, 1, 5, dtype=torch.float64)
    out, (h_T, c_T) = module(xs, (h0, c0))
    steps = lstm.run(cell, xs[:, 0].numpy(), h0[0, 0].numpy(), c0[0, 0].numpy())
    np.testing.assert_allclose(np.stack([s.h for s in steps]), out[:, 0].detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(steps[-1].c, c_T[0, 0].detach().numpy(), atol=1e-12)


def test_conversion_keeps_the_gate_order_i_f_g_o():
    module = torch.nn.LSTM(input_size=2, hidden_size=3)
    with torch.no_grad():
        for n in range(4):
            module.weight_ih_l0[3 * n:3 * (n + 1)] = float(n)
            module.bias_ih_l0[3 * n:3 * (n + 1)] = float(n)
            module.bias_hh_l0[3 * n:3 * (n + 1)] = 10.0 * n
    cell = lstm.from_torch(module)
    assert [cell.W_i[0, 0], cell.W_f[0, 0], cell.W_c[0, 0], cell.W_o[0, 0]] == [0.0, 1.0, 2.0, 3.0]
    assert [cell.b_i[0], cell.b_f[0], cell.b_c[0], cell.b_o[0]] == [0.0, 11.0, 22.0, 33.0]


@pytest.mark.parametrize("k, d", SIZES)
@pytest.mark.parametrize("biases", [False, True])
def test_every_analytic_jacobian_matches_autograd(k, d, biases):
    for seed in range(3):
        cell, x, h, c = _cell_and_state(seed, k, d, biases)
        analytic, auto = lstm.jacobians(cell, x, h, c), lstm.autograd_jacobians(cell, x, h, c)
        assert set(analytic) == set(auto) == {"i", "f", "o", "u", "c", "h"}
        for name in auto:
            assert analytic[name].shape == (k, k)
            np.testing.assert_allclose(analytic[name], auto[name], atol=1e-12, err_msg=name)


# -- the references, on every probe they judge with -------------------------------------------------
@pytest.mark.parametrize("edition, offset, sizes", ALL_SIZES)
def test_dh_and_df_references_match_autograd_on_their_probe_cells(edition, offset, sizes):
    for seed, question in ((1, ref.dh_dh_prev), (4, ref.df_dh_prev)):
        for cell, xs, h, c in ref._cells(seed + offset, sizes):
            auto = lstm.autograd_jacobians(cell, xs[0], h, c)
            if question is ref.dh_dh_prev:
                s, J = lstm.step(cell, xs[0], h, c), lstm.gate_jacobians(cell, xs[0], h)
                got = question.answer(s.i, s.f, s.o, s.u, c, J["i"], J["f"], J["o"], J["u"])
                np.testing.assert_allclose(got, auto["h"], atol=1e-12)
            else:
                np.testing.assert_allclose(question.answer(cell.W_f, cell.U_f, xs[0], h), auto["f"], atol=1e-12)
    # and the stored probes are those cells
    assert len(ref.dh_dh_prev.public_probes()) == len(ref.PUBLIC_SIZES)


@pytest.mark.parametrize("edition, seed, sizes", [("public", 2, ref.PUBLIC_SIZES), ("hidden", 12, ref.HIDDEN_SIZES)])
def test_the_three_step_reference_is_autograd_through_three_lstm_steps(edition, seed, sizes):
    probes = ref.three_step_jacobian.public_probes() if edition == "public" else ref.three_step_jacobian.hidden_probes()
    for (Ss,), (cell, xs, h0, c0) in zip(probes, ref.three_step_cells(seed, sizes), strict=True):
        k = cell.hidden_size
        assert [S.shape for S in Ss] == [(2 * k, 2 * k)] * 3
        h0_t = torch.tensor(h0, requires_grad=True)

        def h_t(h_start, cell=cell, xs=xs, c0=c0):
            h, c = h_start, torch.tensor(c0)
            for x in xs:
                *_, c, h = lstm.torch_step(cell, x, h, c)
            return h

        auto = torch.autograd.functional.jacobian(h_t, h0_t).numpy()
        np.testing.assert_allclose(ref.three_step_jacobian.answer(Ss), auto, atol=1e-12)
        # the h-only product misses the c path: far from the truth on every probe
        h_only = ref.three_step_jacobian.wrong["h-only-product"](Ss)
        assert np.linalg.norm(h_only - auto) > 0.05 * np.linalg.norm(auto)


def test_state_jacobian_is_ordered_h_then_c_and_matches_autograd():
    cell, x, h, c = _cell_and_state(3, 4, 3)
    S = lstm.state_jacobian(cell, x, h, c)
    np.testing.assert_allclose(S, lstm.autograd_unrolled_jacobian(cell, x[None], h, c), atol=1e-12)
    J = lstm.jacobians(cell, x, h, c)
    s = lstm.step(cell, x, h, c)
    np.testing.assert_allclose(S[:4, :4], J["h"], atol=1e-15)  # ∂h_t/∂h_{t−1}
    np.testing.assert_allclose(S[4:, :4], J["c"], atol=1e-15)  # ∂c_t/∂h_{t−1}
    np.testing.assert_allclose(S[4:, 4:], np.diag(s.f), atol=1e-15)  # ∂c_t/∂c_{t−1} = diag(f_t)
    np.testing.assert_allclose(S[:4, 4:], np.diag(s.o * lstm.tanh_prime(s.c) * s.f), atol=1e-15)  # ∂h_t/∂c_{t−1}


def test_unrolled_products_match_autograd_and_the_h_path_alone_does_not():
    cell, x, h, c = _cell_and_state(3, 4, 3)
    xs = np.vstack([x, np.random.default_rng(0).standard_normal((2, 3))])
    steps = lstm.run(cell, xs, h, c)
    hs, cs = [h] + [s.h for s in steps], [c] + [s.c for s in steps]
    S = [lstm.state_jacobian(cell, xs[n], hs[n], cs[n]) for n in range(3)]
    full = S[2] @ S[1] @ S[0]
    np.testing.assert_allclose(full, lstm.autograd_unrolled_jacobian(cell, xs, h, c), atol=1e-12)
    h_path = lstm.autograd_unrolled_jacobian(cell, xs, h, c, carry_cell_state=False)
    np.testing.assert_allclose(S[2][:4, :4] @ S[1][:4, :4] @ S[0][:4, :4], h_path, atol=1e-12)
    assert not np.allclose(full[:4, :4], h_path, atol=1e-6)
    # the carousel: the c → c blocks alone multiply to diag(f_t f_{t−1} f_{t−2})
    np.testing.assert_allclose(S[2][4:, 4:] @ S[1][4:, 4:] @ S[0][4:, 4:], np.diag(steps[0].f * steps[1].f * steps[2].f))


def test_gradient_flow_matches_the_autograd_jacobian_of_the_run():
    rng = np.random.default_rng(1)
    cell = lstm.random_cell(rng, 3, 2, forget_bias=1.0)
    xs = rng.standard_normal((6, 2))
    flow = lstm.gradient_flow(cell, xs)
    auto = lstm.autograd_unrolled_jacobian(cell, xs, np.zeros(3), np.zeros(3))
    assert flow["h"][0] == pytest.approx(np.linalg.norm(auto[:3, :3], 2), rel=1e-10)  # spectral norms
    assert flow["c"][0] == pytest.approx(np.linalg.norm(auto[3:, 3:], 2), rel=1e-10)
    assert flow["carousel"][0] == pytest.approx(np.prod([s.f for s in lstm.run(cell, xs)], axis=0).max(), rel=1e-12)
    assert flow["c"][-1] == flow["h"][-1] == flow["carousel"][-1] == pytest.approx(1.0)  # the identity
    W, U = cell.W_c, cell.U_c
    auto_rnn = torch.autograd.functional.jacobian(
        lambda h0: _rnn(torch.as_tensor(W), torch.as_tensor(U), torch.as_tensor(xs), h0), torch.zeros(3, dtype=torch.float64))
    assert lstm.rnn_gradient_flow(W, U, xs)[0] == pytest.approx(np.linalg.norm(auto_rnn.numpy(), 2), rel=1e-10)


def _rnn(W, U, xs, h):
    for x in xs:
        h = torch.tanh(W @ x + U @ h)
    return h


def test_forget_bias_three_keeps_the_cell_state_gradient_alive():
    rng = np.random.default_rng(0)
    cell, xs = lstm.random_cell(rng, 16, 8), rng.standard_normal((50, 8))
    closed, open_ = lstm.gradient_flow(cell.with_forget_bias(0.0), xs), lstm.gradient_flow(cell.with_forget_bias(3.0), xs)
    assert closed["c"][0] < 1e-9 < 1e-2 < open_["c"][0]


# -- σ′ ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sigmoid_prime", [ref.sigmoid_prime.answer, lstm._sigmoid_prime], ids=["reference", "private"])
def test_sigmoid_prime_is_accurate_at_extreme_z_without_warnings(sigmoid_prime):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = sigmoid_prime(np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0]))
        assert lstm.sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]
    exact40 = math.exp(-40) / (1 + math.exp(-40)) ** 2
    assert values[0] == values[-1] == 0.0 and values[2] == 0.25
    assert values[1] == pytest.approx(exact40, rel=1e-12) and values[3] == pytest.approx(exact40, rel=1e-12)
    z = np.linspace(-700, 700, 1401)
    e = np.exp(-np.abs(z))  # e^{−|z|}/(1 + e^{−|z|})²: σ′ is even, and this form neither cancels nor overflows
    np.testing.assert_allclose(sigmoid_prime(z), e / (1 + e) ** 2, rtol=1e-13)
    small = torch.linspace(-8, 8, 33, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(small).sum().backward()
    np.testing.assert_allclose(sigmoid_prime(small.detach().numpy()), small.grad.numpy(), rtol=1e-12)
    assert sigmoid_prime(np.zeros((2, 3))).shape == (2, 3)


def test_torch_autograd_itself_cancels_for_large_positive_z():
    """torch's sigmoid backward computes σ(1 − σ): at z = 40 it returns 0, so the check's truth is the exact formula."""
    z = torch.tensor([40.0, -40.0], dtype=torch.float64, requires_grad=True)
    torch.sigmoid(z).sum().backward()
    exact40 = math.exp(-40) / (1 + math.exp(-40)) ** 2
    assert z.grad[0].item() == 0.0 and z.grad[1].item() == pytest.approx(exact40, rel=1e-12)
    assert ref.sigmoid_prime.answer(np.array([40.0]))[0] == pytest.approx(exact40, rel=1e-15)


# -- ∂L/∂U^f and the gradient check -------------------------------------------------------------------
@pytest.mark.parametrize("edition", ["public", "hidden"])
def test_the_dL_dU_f_reference_matches_autograd_and_the_numerical_gradient(edition):
    probes = ref.dL_dU_f.public_probes() if edition == "public" else ref.dL_dU_f.hidden_probes()
    for W_f, U_f, b_f, x, h, c, v in probes:
        U = torch.tensor(U_f, requires_grad=True)
        f = torch.sigmoid(torch.tensor(W_f) @ torch.tensor(x) + U @ torch.tensor(h) + torch.tensor(b_f))
        (torch.tensor(v) @ (f * torch.tensor(c))).backward()
        answer = ref.dL_dU_f.answer(W_f, U_f, b_f, x, h, c, v)
        np.testing.assert_allclose(answer, U.grad.numpy(), rtol=1e-12, atol=1e-15)
        numeric = gradcheck.numerical_gradient(lambda M, a=(W_f, b_f, x, h, c, v): ref.dL_dU_f_loss(a[0], M, *a[1:]), U_f)
        assert gradcheck.relative_error(answer, numeric) < gradcheck.THRESHOLD
        for name, wrong in ref.dL_dU_f.wrong.items():
            out = wrong(W_f, U_f, b_f, x, h, c, v)
            assert out.shape != numeric.shape or gradcheck.relative_error(out, numeric) > gradcheck.WRONG_ABOVE, name


def test_i_t_u_t_does_not_change_the_gradient_with_respect_to_U_f():
    W_f, U_f, b_f, x, h, c, v = ref.dL_dU_f.public_probes()[1]
    i_u = np.random.default_rng(3).normal(size=len(h))
    with_iu = gradcheck.numerical_gradient(lambda M: ref.dL_dU_f_loss(W_f, M, b_f, x, h, c, v, i_u), U_f)
    assert gradcheck.relative_error(with_iu, ref.dL_dU_f.answer(W_f, U_f, b_f, x, h, c, v)) < gradcheck.THRESHOLD


def test_numerical_gradient_of_known_functions_and_it_leaves_the_input_alone():
    X = np.arange(6.0).reshape(2, 3) / 7
    kept = X.copy()
    np.testing.assert_allclose(gradcheck.numerical_gradient(lambda A: float((A**2).sum()), X), 2 * X, atol=1e-8)
    np.testing.assert_allclose(gradcheck.numerical_gradient(lambda A: float(np.sin(A).sum()), X), np.cos(X), atol=1e-9)
    np.testing.assert_array_equal(X, kept)
    ints = np.array([1, 2])
    assert gradcheck.numerical_gradient(lambda A: float(A @ A), ints).tolist() == pytest.approx([2.0, 4.0])


def test_relative_error_and_its_thresholds():
    a = np.array([1.0, -2.0, 3.0])
    assert gradcheck.relative_error(a, a) == 0.0 and gradcheck.relative_error(a, -a) == 1.0
    assert gradcheck.relative_error(a, np.zeros(3)) == 1.0 and gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gradcheck.relative_error(a, a * (1 + 1e-9)) < gradcheck.THRESHOLD < gradcheck.WRONG_ABOVE < gradcheck.relative_error(a, 1.001 * a)
    with pytest.raises(ValueError):
        gradcheck.relative_error(a, a[:2])


# -- the self-test's claims -----------------------------------------------------------------------------
def test_the_carousel_answer_is_the_autograd_derivative_along_c_only():
    gates = np.array([0.9, 0.8, 0.95])
    c0 = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    c = c0
    for f, iu in zip(gates, (0.3, -0.2, 0.1), strict=True):
        c = float(f) * c + iu  # c_τ = f_τ c_{τ−1} + i_τ u_τ, with the h path held fixed
    c.backward()
    assert c0.grad.item() == pytest.approx(ref.quiz_cec.answer)


def test_the_rnn_scale_answer_is_the_autograd_derivative_of_a_one_unit_tanh_rnn():
    u, slope, T = 1.5, 0.8, 20
    level = math.sqrt(1 - slope)  # h_τ = ±level keeps 1 − h_τ² = slope
    h0 = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    h, targets = h0, [level * (-1) ** n for n in range(T)]
    for target in targets:
        wx = math.atanh(target) - u * float(h.detach())  # the input that lands h_τ on target
        h = torch.tanh(u * h + wx)
    h.backward()
    assert abs(h0.grad.item()) == pytest.approx(ref.quiz_rnn_scale.answer[0], rel=1e-9)
    assert (u * slope > 1) == (ref.quiz_rnn_scale.answer[1] == "explodes")


def test_the_references_call_none_of_the_watched_package_functions():
    from dlweek8 import checks, untrusted

    for q in checks.all_questions():
        if q.id.startswith("lstm.") and getattr(q, "own_work", ()):
            answer = ref.__dict__[q.id.split(".", 1)[1]].answer
            args = q.probes()[0]
            assert untrusted.call(answer, args, watch=q.own_work).calls == (), q.id


def test_random_cells_refuse_square_input_weights():
    with pytest.raises(ValueError):
        lstm.random_cell(np.random.default_rng(0), 4, 4)
    cell = lstm.random_cell(np.random.default_rng(0), 4, 3)
    assert cell.b_f is None and cell.with_forget_bias(2.0).b_f.tolist() == [2.0] * 4


def test_importing_the_package_and_lstm_module_does_not_import_torch():
    code = ("import sys, dlweek8, dlweek8.lstm, dlweek8.gradcheck, dlweek8.checks.lstm; "
            "dlweek8.check('lstm.forget_bias', 3.0); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_torch_step_matches_the_numpy_step():
    cell, x, h, c = _cell_and_state(5, 4, 3, biases=True)
    ours = lstm.step(cell, x, h, c)
    for name, tensor in zip(("i", "f", "o", "u", "c", "h"), lstm.torch_step(cell, x, h, c), strict=True):
        np.testing.assert_allclose(tensor.numpy(), getattr(ours, name), atol=1e-14, err_msg=name)
