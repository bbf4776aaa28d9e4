"""dlweek8.training: the adding problem's data, the models' forget bias, the gradient ratio against
autograd by hand, reproducible training, and (opt-in, slow) the full run's measured shape."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlweek8 import training as tr

SMALL = tr.Setting(T=12, steps=30, batch=16, hidden=8)


def test_the_data_marks_two_steps_one_in_each_half_and_the_target_is_their_sum():
    x, y = tr.adding_batch(64, 20, torch.Generator().manual_seed(3))
    assert x.shape == (64, 20, 2) and y.shape == (64,)
    markers = x[..., 1]
    assert torch.all(markers.sum(1) == 2)
    assert torch.all(markers[:, :10].sum(1) == 1) and torch.all(markers[:, 10:].sum(1) == 1)
    assert torch.allclose((x[..., 0] * markers).sum(1), y)
    assert torch.all((x[..., 0] >= 0) & (x[..., 0] < 1))


def test_the_baseline_is_the_mse_of_predicting_the_mean():
    _, y = tr.adding_batch(200_000, 10, torch.Generator().manual_seed(0))
    assert abs(float(y.mean()) - 1.0) < 5e-3
    assert abs(float(((y - 1.0) ** 2).mean()) - tr.BASELINE_MSE) < 3e-3
    assert abs(tr.BASELINE_MSE - 1 / 6) < 1e-15


@pytest.mark.parametrize("bias", [0.0, 1.0, 3.0])
def test_the_forget_bias_is_the_total_bias_of_pytorchs_forget_gate(bias):
    """Checked against nn.LSTM itself: with zero weights, the forget gate is σ(b_f), i.e. c_1 = σ(b_f)·c_0 + i·g."""
    model = tr.make_model("lstm", bias, SMALL)
    lstm = model.recurrent
    assert torch.allclose(tr.forget_bias(lstm), torch.full((8,), bias))
    with torch.no_grad():
        lstm.weight_ih_l0.zero_()
        lstm.weight_hh_l0.zero_()
        k = lstm.hidden_size
        for b in (lstm.bias_ih_l0, lstm.bias_hh_l0):
            b[2 * k:3 * k] = 0.0  # g = tanh(0) = 0: no new input, so c_1 = f · c_0
        c0 = torch.ones(1, 1, k)
        _, (_, c1) = lstm(torch.zeros(1, 1, 2), (torch.zeros(1, 1, k), c0))
    assert torch.allclose(c1, torch.sigmoid(torch.tensor(bias)).expand_as(c1), atol=1e-6)


def test_the_ratio_is_the_first_steps_gradient_over_the_last_steps():
    model = tr.make_model("rnn", None, SMALL)
    x, y = tr.probe_batch(SMALL)
    xs = x.clone().requires_grad_(True)
    torch.mean((model(xs) - y) ** 2).backward()
    expected = float(xs.grad[:, 0].norm() / xs.grad[:, -1].norm())
    model.zero_grad(set_to_none=True)
    assert tr.gradient_ratio(model, x, y) == pytest.approx(expected, rel=1e-5)
    norms = tr.gradient_norms(model, x, y)
    assert norms.shape == (12,) and norms[0] / norms[-1] == pytest.approx(expected, rel=1e-5)
    assert all(p.grad is None for p in model.parameters())  # measuring leaves the model untouched


def test_a_larger_forget_bias_lets_more_gradient_reach_the_first_step():
    r = tr.ratios(tr.Setting(T=40, batch=16, hidden=16))
    assert r["LSTM b_f=0"] < r["LSTM b_f=1"] < r["LSTM b_f=3"]


def test_training_is_reproducible_and_learns_something():
    first = tr.train(tr.make_model("lstm", 1.0, SMALL), SMALL)
    again = tr.train(tr.make_model("lstm", 1.0, SMALL), SMALL)
    assert np.array_equal(first.losses, again.losses)
    other = tr.train(tr.make_model("lstm", 1.0, SMALL), tr.Setting(T=12, steps=30, batch=16, hidden=8, seed=1))
    assert not np.array_equal(first.losses, other.losses)
    assert first.losses.shape == (30,) and np.all(np.isfinite(first.losses))
    assert first.smoothed[-1] < first.losses[0]  # from a loss near 1 at the start (outputs near 0) towards the baseline


def test_clipping_bounds_the_gradient_norm_of_every_step():
    model = tr.make_model("rnn", None, SMALL)
    seen = []
    original = torch.nn.utils.clip_grad_norm_

    def spy(parameters, max_norm):
        parameters = list(parameters)
        total = original(parameters, max_norm)
        seen.append(float(torch.sqrt(sum((p.grad ** 2).sum() for p in parameters))))
        return total

    torch.nn.utils.clip_grad_norm_ = spy
    try:
        tr.train(model, SMALL)
    finally:
        torch.nn.utils.clip_grad_norm_ = original
    assert len(seen) == SMALL.steps and max(seen) <= SMALL.clip * (1 + 1e-5)


def test_smoothing_and_first_below():
    assert np.allclose(tr.smooth([4, 2, 0, 2], window=2), [4, 3, 1, 1])
    assert tr.first_below([0.3, 0.2, 0.04, 0.01], 0.05) == 2 and tr.first_below([0.3], 0.05) is None


def test_sgd_is_offered_and_a_wrong_name_is_refused():
    model = tr.make_model("lstm", 0.0, SMALL)
    assert isinstance(tr.optimizer_for(model, tr.Setting(optimizer="sgd")), torch.optim.SGD)
    with pytest.raises(ValueError):
        tr.optimizer_for(model, tr.Setting(optimizer="rmsprop"))


def test_the_figures_say_in_words_what_they_show():
    runs = {name: tr.train(tr.make_model(kind, bias, SMALL), SMALL, name) for name, kind, bias in tr.MODELS[:2]}
    view = tr.loss_figure(runs)
    assert "baseline 0.167" in view.alt and all(name in view.alt for name in runs)
    headers, rows = view.table
    assert len(rows) == 2 and rows[0][0] == "RNN"
    ratio_view = tr.ratio_figure(SMALL)
    assert "b_f=3" in ratio_view.alt and ratio_view.png_shown


def test_without_rendering_the_figures_say_the_same_and_are_not_laid_out(monkeypatch):
    """The batch grader (DLWEEK8_SKIP_RENDER=1) skips the figures' layout, never their words."""
    from dlweek8.widgets import figure

    runs = {name: tr.train(tr.make_model(kind, bias, SMALL), SMALL, name) for name, kind, bias in tr.MODELS[:2]}
    shown = [tr.loss_figure(runs), tr.ratio_figure(SMALL)]
    monkeypatch.setattr(figure, "SKIP_RENDER", True)
    graded = [tr.loss_figure(runs), tr.ratio_figure(SMALL)]
    assert [(v.alt, v.table) for v in graded] == [(v.alt, v.table) for v in shown]
    assert all(v.figure.get_layout_engine() is None and not v.png_shown for v in graded)
    assert all(v.figure.subplotpars.left != g.figure.subplotpars.left for v, g in zip(shown, graded, strict=True))


@pytest.mark.slow
def test_the_full_run_rnn_stays_at_the_baseline_and_every_lstm_learns():
    """The measured shape of the full setting (seed 0, one thread): about 45 s on one core."""
    runs = tr.run_experiment(tr.FULL, progress=False)
    assert runs["RNN"].final > 0.8 * tr.BASELINE_MSE and runs["RNN"].first_learned is None
    lstms = [run for name, run in runs.items() if name.startswith("LSTM")]
    assert all(run.final < tr.LEARNED_MSE for run in lstms), {name: (run.final, run.first_learned) for name, run in runs.items()}
    steps = [run.first_learned for run in lstms]
    assert max(steps) < 2 * min(steps)  # b_f changes when the loss first drops below 0.05 by less than a factor of 2


def test_the_forget_gates_rebuild_nn_lstms_cell_state():
    """Checked against nn.LSTM: with training.forget_gates as f_t, c_t = f_t ∘ c_{t−1} + i_t ∘ g_t gives nn.LSTM's last cell state."""
    model = tr.make_model("lstm", 1.0, SMALL)
    lstm = model.recurrent
    x, _ = tr.probe_batch(SMALL)
    f = tr.forget_gates(model, x)
    k = lstm.hidden_size
    with torch.no_grad():
        states, (_, c_last) = lstm(x)
        h_prev = torch.cat([torch.zeros_like(states[:, :1]), states[:, :-1]], dim=1)
        z = x @ lstm.weight_ih_l0.T + h_prev @ lstm.weight_hh_l0.T + lstm.bias_ih_l0 + lstm.bias_hh_l0
        i, g = torch.sigmoid(z[..., :k]), torch.tanh(z[..., 2 * k:3 * k])
        c = torch.zeros(x.shape[0], k)
        for t in range(x.shape[1]):
            c = f[:, t] * c + i[:, t] * g[:, t]
    assert f.shape == (16, 12, 8) and torch.allclose(c, c_last[0], atol=1e-5)
    assert tr.forget_gates(tr.make_model("rnn", None, SMALL), x) is None


def test_the_weight_gradient_norm_is_autograds_and_leaves_the_model_untouched():
    model = tr.make_model("lstm", 0.0, SMALL)
    x, y = tr.probe_batch(SMALL)
    torch.mean((model(x) - y) ** 2).backward()
    expected = float(torch.sqrt(sum((p.grad.double() ** 2).sum() for p in model.parameters())))
    model.zero_grad(set_to_none=True)
    assert tr.weight_gradient_norm(model, x, y) == pytest.approx(expected, rel=1e-6)
    assert all(p.grad is None for p in model.parameters())


def test_a_run_measures_before_and_after_training():
    run = tr.train(tr.make_model("lstm", 3.0, SMALL), SMALL)
    fresh = tr.measure(tr.make_model("lstm", 3.0, SMALL), SMALL)
    assert run.extra["before"] == pytest.approx(fresh)
    assert run.extra["after"]["ratio"] != pytest.approx(fresh["ratio"])
    assert set(run.extra["after"]) == {"ratio", "weight_gradient", "forget_gate", "forget_gate_max_unit"}


def test_the_setting_follows_the_environment(monkeypatch):
    for fast, skip, expected in (("1", None, tr.FAST), ("0", None, tr.FULL), (None, None, tr.FULL), (None, "1", tr.GRADING),
                                 ("1", "1", tr.GRADING)):
        for name, value in (("DLWEEK8_FAST", fast), ("DLWEEK8_SKIP_RENDER", skip)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        assert tr.chosen_setting() == expected, (fast, skip)
    assert "fast setting" in tr.describe_setting(tr.FAST) and "2,000 steps" in tr.describe_setting(tr.FULL)


def test_an_experiment_can_train_some_models_only():
    runs = tr.run_experiment(tr.Setting(T=12, steps=3, batch=4, hidden=4), progress=False, names=["LSTM b_f=3", "RNN"])
    assert list(runs) == ["RNN", "LSTM b_f=3"]
    with pytest.raises(ValueError):
        tr.run_experiment(SMALL, progress=False, names=["GRU"])


def test_the_ratio_table_has_a_caption_and_every_model():
    html = tr.ratios_html({"RNN": 4.4e-20, "LSTM b_f=3": 3.9})
    assert "<caption" in html and "Gradient ratios at initialisation" in html and "4.4e-20" in html and "-19.4" in html
