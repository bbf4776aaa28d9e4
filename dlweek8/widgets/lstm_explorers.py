"""Explorers for Task 1: gradient flow through time, the forget-gate argmax, and σ′ at extreme z.

Each explorer is an ``ipywidgets.VBox``: sliders (attributes, so tests can move them)
above a :class:`~dlweek8.widgets.figure.FigureView`. The figure is built once; a slider
change updates the artists' data, stores what was drawn in ``data`` and refreshes. Artists
that change (and static ones a full draw paints over them) are animated and the legends kept
on top, so a refresh redraws only those unless axis limits moved.
"""

from __future__ import annotations

import html
from functools import lru_cache

import ipywidgets as w
import numpy as np

from .. import lstm, untrusted
from ..checks.lstm import EXTREME_Z
from .figure import FigureView

_STYLE = {"description_width": "initial"}
_FLOOR = 1e-300  # log axes cannot show 0
#: Opaque square legends: the fast refresh pastes them back over the moving curves.
_LEGEND = {"framealpha": 1.0, "fancybox": False}


def _spines(*axes) -> list:
    """The axes' frame lines, which a full draw paints over the curves (so they are animated with them)."""
    return [spine for ax in axes for spine in ax.spines.values()]


@lru_cache(maxsize=16)
def gradient_flow_cell(hidden_size: int, input_size: int = 8, seed: int = 0, length: int = 100):
    """The explorer's random cell (PyTorch's default init, no biases) and an input sequence of ``length`` steps."""
    if input_size == hidden_size:
        input_size += 1
    rng = np.random.default_rng([seed, hidden_size])
    cell = lstm.random_cell(rng, hidden_size, input_size)
    inputs = rng.standard_normal((length, input_size))
    inputs.setflags(write=False)  # shared by every caller through the cache
    return cell, inputs


class _Explorer(w.VBox):
    """Sliders over a figure; subclasses build artists in ``_build`` and redraw in ``update``."""

    def __init__(self, sliders, width=9.0, height=3.4):
        self.view = FigureView(width, height)
        self.data: dict = {}
        self.status = w.HTML()
        for slider in sliders:
            slider.observe(lambda _change: self.update(), names="value")
        self._build()
        self.view.figure.tight_layout()
        # tight_layout leaves a placeholder layout engine, which makes every savefig draw twice
        self.view.figure.set_layout_engine(None)
        super().__init__([w.HBox(sliders, layout=w.Layout(flex_flow="row wrap")), self.view.image, self.status])
        self.add_class("dlweek8-explorer")
        self.update()

    def _build(self) -> None:
        raise NotImplementedError

    def update(self) -> None:
        raise NotImplementedError


class GradientFlowExplorer(_Explorer):
    """Mean |∂c_T/∂c_t| and |∂h_T/∂h_t| over t for a random LSTM cell, next to a tanh RNN of the same size.

    The RNN is h_t = tanh(W^c x_t + U^c h_{t−1}): the LSTM's own candidate path without gates.
    """

    MAX_HIDDEN = 32
    MAX_LENGTH = 100

    def __init__(self, forget_bias: float = 0.0, length: int = 50, hidden_size: int = 16, input_size: int = 8, seed: int = 0):
        self.bias_slider = w.FloatSlider(value=forget_bias, min=-2.0, max=5.0, step=0.25, description="forget bias b_f",
                                         continuous_update=False, style=_STYLE)
        self.length_slider = w.IntSlider(value=length, min=5, max=self.MAX_LENGTH, step=5, description="steps T",
                                         continuous_update=False, style=_STYLE)
        self.hidden_slider = w.IntSlider(value=hidden_size, min=2, max=self.MAX_HIDDEN, description="hidden size k",
                                         continuous_update=False, style=_STYLE)
        self._input_size, self._seed = input_size, seed
        super().__init__([self.bias_slider, self.length_slider, self.hidden_slider])

    def cell_and_inputs(self, hidden_size: int):
        """The cell and inputs drawn for ``hidden_size`` (see :func:`gradient_flow_cell`)."""
        return gradient_flow_cell(hidden_size, self._input_size, self._seed, self.MAX_LENGTH)

    def _build(self):
        fig = self.view.figure
        self._ax, self._gates_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
        ax = self._ax
        (self._lstm_c,) = ax.plot([], [], color="#0969da", lw=2, label="LSTM  mean |∂c_T/∂c_t|")
        (self._lstm_h,) = ax.plot([], [], color="#0969da", lw=1.2, ls="--", label="LSTM  mean |∂h_T/∂h_t|")
        (self._rnn_h,) = ax.plot([], [], color="#bc4c00", lw=1.5, label="tanh RNN  mean |∂h_T/∂h_t|")
        ax.set_yscale("log")
        ax.set_xlabel("step t")
        ax.set_title("gradient from step T that reaches step t", fontsize=10)
        ax.axhline(1.0, color="#6e7781", lw=0.6, zorder=1)  # under the animated curves, as in a full draw
        legend = ax.legend(loc="upper left", fontsize=8, **_LEGEND)
        self._summary = ax.text(0.99, 0.03, "", transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
                                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "#d0d7de"})
        edges = np.linspace(0.0, 1.0, 21)
        self._hist = self._gates_ax.stairs(np.zeros(20), edges, fill=True, color="#0969da", alpha=0.6)
        self._sigma_b = self._gates_ax.axvline(0.5, color="#cf222e", lw=1.2, label="σ(b_f)")
        self._gates_ax.set_xlim(0, 1)
        self._gates_ax.set_xlabel("forget gate f_t (all units, all steps)")
        self._gates_ax.set_yticks([])  # so its y-limits can follow the counts without a full redraw
        gates_legend = self._gates_ax.legend(loc="upper left", fontsize=8, **_LEGEND)
        self._drawn_limits = None
        self._weakest: dict = {}
        self.view.animate(self._lstm_c, self._lstm_h, self._rnn_h, self._summary, self._hist, self._sigma_b,
                          *_spines(ax, self._gates_ax))
        self.view.keep_on_top(legend, gates_legend)

    def _weakest_flow(self, T: int, k: int) -> list:
        """The LSTM curves at the lowest forget bias on the slider, where they are smallest (cached per T, k)."""
        if (T, k) not in self._weakest:
            base, inputs = self.cell_and_inputs(k)
            flow = lstm.gradient_flow(base.with_forget_bias(float(self.bias_slider.min)), inputs[:T])
            self._weakest[(T, k)] = [np.maximum(flow["c"], _FLOOR), np.maximum(flow["h"], _FLOOR)]
        return self._weakest[(T, k)]

    @staticmethod
    def _log_limits(curves) -> tuple[float, float]:
        """Whole decades from a tenth of the smallest value (at least 1e-40) to ten times the largest (at least 100).

        Means over |∂c_T/∂c_t| stay well below 10 for every bias on the slider, so the top
        is 100 unless a curve explodes.
        """
        smallest = min(v.min() for v in curves) / 10.0
        largest = max(v.max() for v in curves) * 10.0
        low = max(10.0 ** np.floor(np.log10(smallest)), 1e-40)
        return float(low), float(max(100.0, 10.0 ** np.ceil(np.log10(largest))))

    def update(self):
        bias, T, k = float(self.bias_slider.value), int(self.length_slider.value), int(self.hidden_slider.value)
        base, inputs = self.cell_and_inputs(k)
        xs = inputs[:T]
        flow = lstm.gradient_flow(base.with_forget_bias(bias), xs)
        rnn = lstm.rnn_gradient_flow(base.W_c, base.U_c, xs)
        t = np.arange(T + 1)
        curves = [np.maximum(flow["c"], _FLOOR), np.maximum(flow["h"], _FLOOR), np.maximum(rnn, _FLOOR)]
        for line, values in zip((self._lstm_c, self._lstm_h, self._rnn_h), curves):
            line.set_data(t, values)
        # Limits that hold the curves at every forget bias on the slider (they are smallest at the
        # lowest), so moving it leaves the axes, and the cached background, alone.
        limits = ((0, T), self._log_limits(curves + self._weakest_flow(T, k)))
        full = limits != self._drawn_limits  # new tick labels: the cached background is stale
        if full:
            self._ax.set_xlim(*limits[0])
            self._ax.set_ylim(*limits[1])
            self._drawn_limits = limits
        counts, _ = np.histogram(flow["f"], bins=20, range=(0.0, 1.0))
        self._hist.set_data(values=counts)
        self._gates_ax.set_ylim(0, counts.max() * 1.15)  # no y ticks: only animated artists depend on it
        self._sigma_b.set_xdata([float(lstm.sigmoid(bias))] * 2)
        self._summary.set_text(
            f"T = {T}, k = {k}, b_f = {bias:g}\n"
            f"LSTM mean |∂c_T/∂c_0| = {flow['c'][0]:.2g}\n"
            f"LSTM mean |∂h_T/∂h_0| = {flow['h'][0]:.2g}\n"
            f"RNN  mean |∂h_T/∂h_0| = {rnn[0]:.2g}"
        )
        self.data = {"t": t, "lstm_c": flow["c"], "lstm_h": flow["h"], "rnn_h": rnn, "forget_gates": flow["f"]}
        self.status.value = (
            f"<span class='dlweek8-status'>mean forget gate {flow['f'].mean():.3f}; gradient reaching step 0: "
            f"LSTM cell state {flow['c'][0]:.2g}, RNN {rnn[0]:.2g}</span>"
        )
        self.view.refresh(full=full)


class ArgmaxExplorer(_Explorer):
    """k = 2: which unit h_{t−1} maximises f_t(d) = σ(a + U^f(d)·h_{t−1}), with a = W^f(d)·x_t."""

    def __init__(self, row=(1.2, 0.7), input_term: float = 0.0, angle: float = 0.0):
        self.row = np.asarray(row, dtype=float)
        self.input_slider = w.FloatSlider(value=input_term, min=-4.0, max=4.0, step=0.25, description="W^f(d)·x_t",
                                          style=_STYLE)
        self.angle_slider = w.FloatSlider(value=angle, min=-180.0, max=180.0, step=5.0, description="angle of h_{t−1} (°)",
                                          style=_STYLE)
        self._angles = np.linspace(-180.0, 180.0, 721)
        self._unit = np.stack([np.cos(np.radians(self._angles)), np.sin(np.radians(self._angles))])
        super().__init__([self.input_slider, self.angle_slider])

    def _build(self):
        self._circle_ax, self._curve_ax = self.view.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
        ax = self._circle_ax
        ax.plot(self._unit[0], self._unit[1], color="#6e7781", lw=1)
        best = lstm.argmax_h(self.row[None], 0)
        row_arrow = ax.annotate("", xy=self.row, xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": "#cf222e", "lw": 2})
        row_label = ax.text(*self.row * 1.05, "U^f(d)", color="#cf222e", fontsize=9)
        ax.plot(*best, "o", color="#cf222e", ms=7, mfc="none", label="argmax U^f(d)/‖U^f(d)‖")
        (self._h_arrow,) = ax.plot([], [], color="#0969da", lw=2)
        (self._h_dot,) = ax.plot([], [], "o", color="#0969da", ms=6, label="h_{t−1}")
        lim = max(1.3, 1.15 * float(np.linalg.norm(self.row)))
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        circle_legend = ax.legend(loc="lower left", fontsize=7, **_LEGEND)
        ax.set_title("unit circle, k = 2", fontsize=10)
        cx = self._curve_ax
        reference = lstm.sigmoid(self.row @ self._unit)
        cx.plot(self._angles, reference, color="#6e7781", lw=1, ls=":", label="W^f(d)·x_t = 0")
        (self._curve,) = cx.plot([], [], color="#0969da", lw=2, label="f_t(d)")
        self._best_line = cx.axvline(np.degrees(np.arctan2(self.row[1], self.row[0])), color="#cf222e", lw=1)
        self._max_line = cx.axhline(0.5, color="#cf222e", lw=0.8, ls="--")
        (self._now,) = cx.plot([], [], "o", color="#0969da", ms=6)
        cx.set_xlim(-180, 180)
        cx.set_ylim(0, 1.02)
        cx.set_xlabel("angle of h_{t−1} (degrees)")
        curve_legend = cx.legend(loc="lower left", fontsize=7, **_LEGEND)
        self._label = cx.text(0.99, 0.97, "", transform=cx.transAxes, ha="right", va="top", fontsize=8,
                              bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "#d0d7de"})
        # The U^f(d) arrow and label lie above h_{t-1} in a full draw, so they are redrawn over it.
        self.view.animate(self._h_arrow, self._h_dot, row_arrow, row_label, self._curve, self._best_line, self._max_line,
                          self._now, self._label, *_spines(ax, cx))
        self.view.keep_on_top(circle_legend, curve_legend)

    def update(self):
        a, angle = float(self.input_slider.value), float(self.angle_slider.value)
        values = lstm.sigmoid(a + self.row @ self._unit)
        best = int(np.argmax(values))
        h = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
        self._curve.set_data(self._angles, values)
        self._best_line.set_xdata([self._angles[best]] * 2)
        self._max_line.set_ydata([values[best]] * 2)
        self._now.set_data([angle], [float(lstm.sigmoid(a + self.row @ h))])
        self._h_arrow.set_data([0, h[0]], [0, h[1]])
        self._h_dot.set_data([h[0]], [h[1]])
        self._label.set_text(f"argmax at {self._angles[best]:.1f}°\nmax f_t(d) = σ({a:g} + ‖U^f(d)‖) = {values[best]:.3f}")
        self.data = {"angles": self._angles, "f": values, "argmax_angle": float(self._angles[best]),
                     "max": float(values[best]), "h": h}
        self.view.refresh(full=False)


class SigmoidExplorer(_Explorer):
    """σ and σ′, with a student's σ′ (called as untrusted code) drawn over them; the extreme-z probe is marked."""

    def __init__(self, sigmoid_prime=None, z_range: float = 10.0):
        self.student = sigmoid_prime
        self.range_slider = w.FloatLogSlider(value=z_range, base=10, min=0.5, max=3.0, step=0.05, description="z range ±",
                                             continuous_update=False, style=_STYLE)
        self.probe = EXTREME_Z
        self.probe_outcome = None if sigmoid_prime is None else untrusted.call(sigmoid_prime, (EXTREME_Z.copy(),))
        super().__init__([self.range_slider])

    def _build(self):
        self._lin_ax, self._log_ax = self.view.figure.subplots(1, 2)
        (self._sigma,) = self._lin_ax.plot([], [], color="#6e7781", lw=1.5, label="σ(z)")
        (self._true,) = self._lin_ax.plot([], [], color="#0969da", lw=2, label="σ′(z) = σ(z)σ(−z)")
        (self._mine,) = self._lin_ax.plot([], [], color="#bc4c00", lw=1.5, ls="--", label="your σ′")
        self._lin_ax.set_ylim(-0.05, 1.05)
        lin_legend = self._lin_ax.legend(loc="upper left", fontsize=7, **_LEGEND)
        self._lin_ax.set_xlabel("z")
        (self._true_log,) = self._log_ax.plot([], [], color="#0969da", lw=2, label="σ′(z)")
        (self._mine_log,) = self._log_ax.plot([], [], color="#bc4c00", lw=1.5, ls="--", label="your σ′")
        (self._probe_true,) = self._log_ax.plot([], [], "o", color="#0969da", mfc="none", ms=8, label="probe z = ±40, ±1000")
        (self._probe_bad,) = self._log_ax.plot([], [], "x", color="#cf222e", ms=9, mew=2, label="your NaN / inf / wrong")
        self._log_ax.set_yscale("log")
        self._log_ax.set_ylim(1e-320, 10)
        self._log_ax.set_xlabel("z")
        self._log_ax.set_title("log scale: tiny values at large |z|", fontsize=10)
        log_legend = self._log_ax.legend(loc="lower center", fontsize=7, **_LEGEND)
        # The slider only moves the x-limits, so the x axes (ticks, labels) are animated with the curves.
        self.view.animate(self._lin_ax.xaxis, self._sigma, self._true, self._mine,
                          self._log_ax.xaxis, self._true_log, self._mine_log, self._probe_true, self._probe_bad,
                          *_spines(self._lin_ax, self._log_ax))
        self.view.keep_on_top(lin_legend, log_legend)

    def _student_values(self, z):
        """The student's σ′ on ``z`` (NaN where it failed) and a one-line problem, if any."""
        if self.student is None:
            return None, ""
        outcome = untrusted.call(self.student, (z.copy(),))
        if not outcome.ok:
            return None, f"Your σ′ {'did not run' if outcome.error_type == 'NotImplementedError' else 'failed'}: {outcome.error}"
        try:
            values = np.asarray(outcome.value, dtype=float)
        except (TypeError, ValueError):
            return None, "Your σ′ did not return numbers."
        if values.shape != z.shape:
            return None, f"Your σ′ returned shape {values.shape} for an input of shape {z.shape}."
        return values, (f"Warning: {outcome.warnings[0]}" if outcome.warnings else "")

    def update(self):
        R = float(self.range_slider.value)
        z = np.linspace(-R, R, 801)
        true = lstm.sigmoid_prime(z)
        self._sigma.set_data(z, lstm.sigmoid(z))
        self._true.set_data(z, true)
        self._true_log.set_data(z, np.where(true > 0, true, np.nan))
        mine, problem = self._student_values(z)
        shown = mine if mine is not None else np.full_like(z, np.nan)
        self._mine.set_data(z, shown)
        self._mine_log.set_data(z, np.where(shown > 0, shown, np.nan))
        for ax in (self._lin_ax, self._log_ax):
            ax.set_xlim(-R, R)
        inside = np.abs(self.probe) <= R
        probe_true = lstm.sigmoid_prime(self.probe)
        self._probe_true.set_data(self.probe[inside], np.maximum(probe_true[inside], 1e-318))
        bad = self._bad_probes(probe_true) & inside
        self._probe_bad.set_data(self.probe[bad], np.full(bad.sum(), 1.0))
        self.data = {"z": z, "true": true, "student": mine, "probe_bad": bad}
        self.status.value = self._report(problem)
        self.view.refresh(full=False)

    def _bad_probes(self, probe_true) -> np.ndarray:
        outcome = self.probe_outcome
        if outcome is None or not outcome.ok:
            return np.zeros(self.probe.shape, bool)
        try:
            got = np.asarray(outcome.value, dtype=float).reshape(self.probe.shape)
        except (TypeError, ValueError):
            return np.ones(self.probe.shape, bool)
        return ~np.isfinite(got) | ~np.isclose(got, probe_true, rtol=1e-4, atol=1e-12)

    def _report(self, problem: str) -> str:
        rows = []
        outcome = self.probe_outcome
        if outcome is not None:
            if outcome.ok:
                try:
                    got = np.asarray(outcome.value, dtype=float).reshape(self.probe.shape)
                    rows = [f"σ′({z:g}): yours {g:.3g}, true {t:.3g}" for z, g, t in zip(self.probe, got, lstm.sigmoid_prime(self.probe))]
                except (TypeError, ValueError):
                    rows = ["your σ′ did not return 4 numbers for the probe"]
            else:
                rows = [f"probe z = [-1000, -40, 40, 1000]: {outcome.error}"]
            if outcome.warnings:
                rows.append(f"probe warned: {outcome.warnings[0]}")
        if problem:
            rows.append(problem)
        return "<br>".join(html.escape(r) for r in rows)
