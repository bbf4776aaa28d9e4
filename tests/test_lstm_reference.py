"""dlweek8.lstm against torch: nn.LSTM for the step, torch.autograd for every Jacobian."""

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from dlweek8 import lstm

SIZES = [(3, 2), (4, 7), (6, 3)]


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


@pytest.mark.parametrize("k, d", SIZES)
def test_single_jacobian_formulas(k, d):
    cell, x, h, c = _cell_and_state(7, k, d)
    auto = lstm.autograd_jacobians(cell, x, h, c)
    np.testing.assert_allclose(lstm.df_dh_prev(cell.W_f, cell.U_f, x, h), auto["f"], atol=1e-12)
    s, J = lstm.step(cell, x, h, c), lstm.gate_jacobians(cell, x, h)
    np.testing.assert_allclose(lstm.dh_dh_prev(s.i, s.f, s.o, s.u, c, J["i"], J["f"], J["o"], J["u"]), auto["h"], atol=1e-12)
    # the row-scaling form is diag(v) @ J
    np.testing.assert_allclose(s.o[:, None] * J["u"], np.diag(s.o) @ J["u"], atol=1e-15)


def test_state_jacobian_and_unrolled_products_match_autograd():
    cell, x, h, c = _cell_and_state(3, 4, 3)
    rng = np.random.default_rng(0)
    xs = np.vstack([x, rng.standard_normal((2, 3))])
    np.testing.assert_allclose(lstm.state_jacobian(cell, x, h, c), lstm.autograd_unrolled_jacobian(cell, x[None], h, c), atol=1e-12)
    steps = lstm.run(cell, xs, h, c)
    hs, cs = [h] + [s.h for s in steps], [c] + [s.c for s in steps]
    full = lstm.state_jacobian(cell, xs[2], hs[2], cs[2]) @ lstm.state_jacobian(cell, xs[1], hs[1], cs[1]) @ lstm.state_jacobian(cell, xs[0], hs[0], cs[0])
    np.testing.assert_allclose(full, lstm.autograd_unrolled_jacobian(cell, xs, h, c), atol=1e-12)
    one_step = [lstm.jacobians(cell, xs[s], hs[s], cs[s])["h"] for s in range(3)]
    h_path = lstm.autograd_unrolled_jacobian(cell, xs, h, c, carry_cell_state=False)
    np.testing.assert_allclose(one_step[2] @ one_step[1] @ one_step[0], h_path, atol=1e-12)
    # the full ∂h_t/∂h_{t-3} also goes through the cell states, so it differs from the h-path product
    assert not np.allclose(full[4:, 4:], h_path, atol=1e-6)


def test_gradient_flow_matches_the_autograd_jacobian_of_the_run():
    rng = np.random.default_rng(1)
    cell = lstm.random_cell(rng, 3, 2, forget_bias=1.0)
    xs = rng.standard_normal((6, 2))
    flow = lstm.gradient_flow(cell, xs)
    auto = lstm.autograd_unrolled_jacobian(cell, xs, np.zeros(3), np.zeros(3))
    assert flow["c"][0] == pytest.approx(np.abs(auto[:3, :3]).mean(), rel=1e-10)
    assert flow["h"][0] == pytest.approx(np.abs(auto[3:, 3:]).mean(), rel=1e-10)
    assert flow["c"][-1] == flow["h"][-1] == pytest.approx(1 / 3)  # the identity, averaged
    W, U = cell.W_c, cell.U_c
    auto_rnn = torch.autograd.functional.jacobian(
        lambda h0: _rnn(torch, torch.as_tensor(W), torch.as_tensor(U), torch.as_tensor(xs), h0), torch.zeros(3, dtype=torch.float64))
    assert lstm.rnn_gradient_flow(W, U, xs)[0] == pytest.approx(np.abs(auto_rnn.numpy()).mean(), rel=1e-10)


def _rnn(torch, W, U, xs, h):
    for x in xs:
        h = torch.tanh(W @ x + U @ h)
    return h


def test_forget_bias_three_keeps_the_cell_state_gradient_alive():
    rng = np.random.default_rng(0)
    cell, xs = lstm.random_cell(rng, 16, 8), rng.standard_normal((50, 8))
    closed, open_ = lstm.gradient_flow(cell.with_forget_bias(0.0), xs), lstm.gradient_flow(cell.with_forget_bias(3.0), xs)
    assert closed["c"][0] < 1e-9 < 1e-2 < open_["c"][0]


def test_sigmoid_prime_is_accurate_at_extreme_z_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = lstm.sigmoid_prime(np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0]))
        assert lstm.sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]
    exact40 = math.exp(-40) / (1 + math.exp(-40)) ** 2
    assert values[0] == values[-1] == 0.0 and values[2] == 0.25
    assert values[1] == pytest.approx(exact40, rel=1e-12) and values[3] == pytest.approx(exact40, rel=1e-12)
    assert exact40 == pytest.approx(4.2484e-18, rel=1e-4)


def test_sigmoid_prime_matches_autograd_and_keeps_the_shape():
    z = torch.linspace(-8, 8, 33, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(z).sum().backward()
    np.testing.assert_allclose(lstm.sigmoid_prime(z.detach().numpy()), z.grad.numpy(), rtol=1e-12)
    assert lstm.sigmoid_prime(np.zeros((2, 3))).shape == (2, 3)


def test_argmax_h_maximises_the_inner_product_over_unit_vectors():
    rng = np.random.default_rng(2)
    U = rng.normal(size=(4, 4))
    best = lstm.argmax_h(U, 2)
    assert np.linalg.norm(best) == pytest.approx(1.0)
    others = rng.normal(size=(2000, 4))
    others /= np.linalg.norm(others, axis=1, keepdims=True)
    assert (others @ U[2]).max() < U[2] @ best
    assert lstm.forget_bias_for(0.95) == pytest.approx(math.log(19))


def test_random_cells_refuse_square_input_weights():
    with pytest.raises(ValueError):
        lstm.random_cell(np.random.default_rng(0), 4, 4)
    cell = lstm.random_cell(np.random.default_rng(0), 4, 3)
    assert cell.b_f is None and cell.with_forget_bias(2.0).b_f.tolist() == [2.0] * 4


def test_importing_the_package_and_lstm_module_does_not_import_torch():
    code = "import sys, dlweek8, dlweek8.lstm, dlweek8.checks.lstm; dlweek8.check('lstm.forget_bias', 3.0); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_torch_step_matches_the_numpy_step():
    cell, x, h, c = _cell_and_state(5, 4, 3, biases=True)
    ours = lstm.step(cell, x, h, c)
    for name, tensor in zip(("i", "f", "o", "u", "c", "h"), lstm.torch_step(cell, x, h, c)):
        np.testing.assert_allclose(tensor.numpy(), getattr(ours, name), atol=1e-14, err_msg=name)
