"""Explorers for Task 1: gradient flow through time, the forget-gate argmax, and σ′ at extreme z.

Each explorer is an ``ipywidgets.VBox``: sliders (attributes, so tests can move them)
above a :class:`~dlweek8.widgets.figure.FigureView`. The figure is built once; a slider
change updates the artists' data, stores what was drawn in ``data`` and refreshes. Artists
that change (and static ones a full draw paints over them) are animated and the legends kept
on top, so every refresh redraws only those: no slider moves axis limits (the gradient-flow
figure draws its own tick marks and labels).
"""

from __future__ import annotations

import html
import threading
from functools import lru_cache

import ipywidgets as w
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.ticker import FuncFormatter, NullFormatter
from matplotlib.transforms import ScaledTranslation

from .. import lstm, untrusted
from ..checks.lstm import EXTREME_Z, SIGMOID_PRIME_RTOL, SigmoidPrime
from ..feedback import STATUS_COLOUR
from ..names import CORRECT, INCORRECT
from . import figure as figure_module
from .figure import FigureView, PathLabels

_STYLE = {"description_width": "initial"}
_FLOOR = 1e-300  # log axes cannot show 0
_TINY = float(np.finfo(float).tiny)  # the smallest normal float64, 2.2e-308
#: Opaque square legends: the fast refresh pastes them back over the moving curves.
_LEGEND = {"framealpha": 1.0, "fancybox": False}
#: Legend text size in points: 9.5 pt is 10.6 px at the explorers' 80 dpi (issue 23: at least 10 px).
LEGEND_POINTS = 9.5


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


class Prediction(w.VBox):
    """A question asked before the sliders move: choices, a "Check my prediction" button and a verdict.

    ``judge(choice)`` returns (right, explanation): the explanation states what the explorer
    computes, with its numbers, so the verdict confirms or refutes the prediction.
    """

    def __init__(self, question: str, options, judge):
        # HTMLMath: the question's $...$ maths is typeset, not shown as W^f(d)·x_t
        self.question = w.HTMLMath(f"<b>Predict first, then move the sliders:</b> {html.escape(question)}")
        self.guess = w.RadioButtons(options=list(options), value=None, description="Your prediction",
                                    style=_STYLE, layout=w.Layout(width="auto"))
        self.check_guess = w.Button(description="Check my prediction", button_style="primary",
                                    layout=w.Layout(width="auto", align_self="flex-start"))
        self.check_guess.on_click(lambda _: self.judge_prediction())
        self.verdict = w.HTML()
        self.verdict.add_class("dlweek8-prediction-verdict")
        self._judge = judge
        #: called with no argument after each verdict (the explorer unlocks its sliders)
        self.on_checked = None
        #: the last verdict: True (confirmed), False (refuted) or None (nothing checked yet)
        self.confirmed = None
        super().__init__([self.question, self.guess, self.check_guess, self.verdict],
                         layout=w.Layout(border="1px solid #8c959f", padding="4px 8px", margin="0 0 6px 0"))
        self.add_class("dlweek8-prediction")

    def judge_prediction(self):
        """Confirm or refute the chosen prediction with the explorer's own numbers; None if nothing is chosen."""
        if self.guess.value is None:
            self.verdict.value = "Choose a prediction first."
            return None
        right, explanation = self._judge(self.guess.value)
        colour = STATUS_COLOUR[CORRECT if right else INCORRECT]
        head = "✓ Confirmed." if right else "✗ Refuted."
        # words and an icon as well as colour, on an opaque light box: legible in light and dark themes (AA contrast)
        self.verdict.value = (
            f"<div role='status' style='background:#ffffff;color:#1f2328;border:1px solid {colour};"
            f"border-left:4px solid {colour};padding:4px 8px'><b style='color:{colour}'>{head}</b> "
            f"{html.escape(explanation)}</div>"
        )
        self.confirmed = bool(right)
        if self.on_checked is not None:
            self.on_checked()
        return self.confirmed


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _decade(value: float, _position=None) -> str:
    """A log-axis tick label as plain text: 10⁻⁴⁰, 1, 10²; drawn far faster than the mathtext 10^{−40}."""
    exponent = int(round(np.log10(value))) if value > 0 else 0
    if value <= 0 or not np.isclose(value, 10.0**exponent, rtol=1e-3, atol=0.0):  # 2·10⁻⁴⁰ is no decade
        return ""
    return "1" if exponent == 0 else "10" + str(exponent).translate(_SUPERSCRIPT)


def _g(value: float) -> str:
    """A number for alt text and summaries: 2 significant digits, exponents written out."""
    return f"{value:.2g}"


class _Explorer(w.VBox):
    """A prediction, sliders, then the figure (with its text equivalent) and a status line.

    Subclasses build artists in ``_build``, redraw in ``update`` (calling ``view.describe``
    before ``view.refresh``) and pose their question in ``_prediction``.
    """

    def __init__(self, sliders, width=9.0, height=3.4):
        self.view = FigureView(width, height)
        self.data: dict = {}
        self.status = w.HTML()
        for slider in sliders:
            slider.observe(lambda _change: self.update(), names="value")
        self._build()
        self.view.lay_out()
        self.prediction = Prediction(*self._prediction())
        # Ask first (issue 23 item 6): the sliders unlock once a prediction is checked, or with the switch
        self.sliders = tuple(sliders)
        self.free_exploration = w.Checkbox(value=False, description="free exploration (skip the prediction)",
                                           indent=False, layout=w.Layout(width="auto"))
        self.free_exploration.observe(lambda _change: self._lock(), names="value")
        self.prediction.on_checked = self._lock
        self._lock()
        super().__init__([self.prediction, self.free_exploration, w.HBox(sliders, layout=w.Layout(flex_flow="row wrap")),
                          self.view.widget, self.status])
        self.add_class("dlweek8-explorer")
        self.update()

    @property
    def locked(self) -> bool:
        """True until a prediction has been checked (right or wrong) or free exploration is switched on."""
        return self.prediction.confirmed is None and not self.free_exploration.value

    def _lock(self) -> None:
        for slider in self.sliders:
            slider.disabled = self.locked

    def _build(self) -> None:
        raise NotImplementedError

    def _prediction(self) -> tuple:
        """(question, options, judge) for :class:`Prediction`."""
        raise NotImplementedError

    def update(self) -> None:
        raise NotImplementedError


@lru_cache(maxsize=64)
def _spectral_norm(hidden_size: int, input_size: int, seed: int, length: int) -> float:
    """‖U^c‖₂ of the explorer's cell (the RNN's U is rescaled from it)."""
    return float(np.linalg.norm(gradient_flow_cell(hidden_size, input_size, seed, length)[0].U_c, 2))


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)  # shared by every caller through a cache
    return array


@lru_cache(maxsize=32)
def _lstm_flow(hidden_size: int, input_size: int, seed: int, length: int, bias: float, steps: int) -> dict:
    """:func:`lstm.gradient_flow` of the explorer's cell with forget bias ``bias`` over its first ``steps`` inputs."""
    cell, inputs = gradient_flow_cell(hidden_size, input_size, seed, length)
    return {key: _read_only(value) for key, value in lstm.gradient_flow(cell.with_forget_bias(bias), inputs[:steps]).items()}


@lru_cache(maxsize=32)
def _rnn_flow(hidden_size: int, input_size: int, seed: int, length: int, norm: float, steps: int) -> np.ndarray:
    """:func:`lstm.rnn_gradient_flow` of the explorer's tanh RNN with ‖U‖₂ = ``norm`` over its first ``steps`` inputs."""
    _, inputs = gradient_flow_cell(hidden_size, input_size, seed, length)
    return _read_only(lstm.rnn_gradient_flow(*_rnn_weights(hidden_size, input_size, seed, length, norm), inputs[:steps]))


def _rnn_weights(hidden_size: int, input_size: int, seed: int, length: int, norm: float):
    """(W, U) of the tanh RNN: W = W^c and U = norm · U^c / ‖U^c‖₂ of the explorer's cell, so that ‖U‖₂ = norm."""
    cell, _ = gradient_flow_cell(hidden_size, input_size, seed, length)
    return cell.W_c, cell.U_c * (norm / _spectral_norm(hidden_size, input_size, seed, length))


class GradientFlowExplorer(_Explorer):
    """Spectral norms ‖∂c_T/∂c_t‖₂ (all paths), of the carousel diag(f_T ∘ … ∘ f_{t+1}) alone, and
    ‖∂h_T/∂h_t‖₂ over t for a random LSTM cell, next to a tanh RNN of the same size (all 1 at t = T).

    The RNN is h_t = tanh(W^c x_t + U h_{t−1}) with U = ‖U‖₂ · U^c / ‖U^c‖₂: the LSTM's own
    candidate path without gates, its recurrent matrix rescaled to the spectral norm on the
    ``rnn_norm_slider`` (small: the gradient vanishes; large: it can explode).
    """

    MAX_HIDDEN = 32
    MAX_LENGTH = 100

    def __init__(self, forget_bias: float = 0.0, length: int = 50, hidden_size: int = 16, rnn_norm: float = 1.0,
                 input_size: int = 8, seed: int = 0):
        self.bias_slider = w.FloatSlider(value=forget_bias, min=-2.0, max=5.0, step=0.25, description="forget bias b_f",
                                         continuous_update=False, style=_STYLE)
        self.length_slider = w.IntSlider(value=length, min=5, max=self.MAX_LENGTH, step=5, description="steps T",
                                         continuous_update=False, style=_STYLE)
        self.hidden_slider = w.IntSlider(value=hidden_size, min=2, max=self.MAX_HIDDEN, description="hidden size k",
                                         continuous_update=False, style=_STYLE)
        self.rnn_norm_slider = w.FloatSlider(value=rnn_norm, min=0.25, max=8.0, step=0.25, description="tanh RNN ‖U‖₂",
                                             continuous_update=False, style=_STYLE)
        self._input_size, self._seed = input_size, seed
        self._start = (float(forget_bias), int(length), int(hidden_size))
        #: compute the curves one slider step away in the background after each update
        self.compute_ahead = True
        self._wanted: list = []
        self._worker: threading.Thread | None = None
        self._drawn_setting: tuple | None = None  # (b_f, T, k, ‖U‖₂) of the last update
        self._last_move = None  # (slider, ±step) of the last single-slider move
        super().__init__([self.bias_slider, self.length_slider, self.hidden_slider, self.rnn_norm_slider], height=4.3)

    def cell_and_inputs(self, hidden_size: int):
        """The cell and inputs drawn for ``hidden_size`` (see :func:`gradient_flow_cell`)."""
        return gradient_flow_cell(hidden_size, self._input_size, self._seed, self.MAX_LENGTH)

    def rnn_weights(self, hidden_size: int, norm: float):
        """(W, U) of the tanh RNN: W = W^c and U = norm · U^c / ‖U^c‖₂, so that ‖U‖₂ = norm."""
        return _rnn_weights(hidden_size, self._input_size, self._seed, self.MAX_LENGTH, norm)

    # -- the next step, computed ahead -------------------------------------------------------------
    def _neighbours(self, bias: float, T: int, k: int, norm: float) -> list:
        """The computations one slider step away (an arrow key moves a slider by one step): first the next step
        of the slider just moved, in the direction it moved, then its step back, then the other sliders.
        T and k change both curves, b_f only the LSTM's, ‖U‖₂ only the RNN's."""
        where = (self._input_size, self._seed, self.MAX_LENGTH)
        now = (bias, T, k, norm)
        moves = [(slider, step) for slider in self.sliders for step in (slider.step, -slider.step)]
        last = self._last_move
        if last in moves:
            moves.remove(last)
            moves.remove((last[0], -last[1]))
            moves[:0] = [last, (last[0], -last[1])]
        wanted = []
        for slider, step in moves:
            index = self.sliders.index(slider)
            moved = now[index] + step
            if not slider.min <= moved <= slider.max:
                continue
            b, t, h, n = now[:index] + (moved,) + now[index + 1:]
            if slider is not self.rnn_norm_slider:
                wanted.append((_lstm_flow, (h, *where, b, t)))
            if slider is not self.bias_slider:
                wanted.append((_rnn_flow, (h, *where, n, t)))
        return wanted

    def _compute_ahead(self, bias: float, T: int, k: int, norm: float) -> None:
        """Fill the curve caches for the settings one step away, in a background thread (numpy only, no drawing),
        so that the next arrow key press draws at once. A newer request replaces an older one."""
        if figure_module.SKIP_RENDER or not self.compute_ahead:  # the batch grader: nobody moves a slider
            return
        now = (bias, T, k, norm)
        changed = [i for i, (a, b) in enumerate(zip(now, self._drawn_setting or now, strict=True)) if a != b]
        if len(changed) == 1:  # one slider moved: which, and which way
            i = changed[0]
            step = self.sliders[i].step
            self._last_move = (self.sliders[i], step if now[i] > self._drawn_setting[i] else -step)
        self._drawn_setting = now
        self._wanted = self._neighbours(bias, T, k, norm)
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._fill_caches, name="dlweek8-gradient-flow-ahead", daemon=True)
            self._worker.start()

    def _fill_caches(self) -> None:
        while self._wanted:
            wanted, self._wanted = self._wanted, []
            for compute, arguments in wanted:
                if self._wanted:  # the sliders moved on: their neighbours first
                    break
                compute(*arguments)

    # -- the prediction ------------------------------------------------------------------------
    _OPTIONS = (
        ("about the same", "same"),
        ("a few times larger", "few"),
        ("many orders of magnitude larger, still below 1", "orders"),
        ("it rises above 1: the gradient grows on its way back", "explodes"),
    )

    def _prediction(self):
        _, T, k = self._start
        question = (f"With $k = {k}$ units and $T = {T}$ steps, you raise the forget bias $b_f$ from 0 to 3. What happens "
                    "to the spectral norm $\\lVert\\partial c_T/\\partial c_0\\rVert_2$ of the LSTM's full Jacobian (every path), "
                    "the most a gradient arriving at $c_T$ can be scaled by when it reaches $c_0$?")
        return question, self._OPTIONS, self._judge

    def _judge(self, choice: str):
        _, T, k = self._start
        base, inputs = self.cell_and_inputs(k)
        flows = [lstm.gradient_flow(base.with_forget_bias(b), inputs[:T]) for b in (0.0, 3.0)]
        closed, opened = (flow["c"][0] for flow in flows)
        carousel = [flow["carousel"][0] for flow in flows]
        decades = np.log10(max(opened, _FLOOR) / max(closed, _FLOOR))
        truth = "explodes" if opened > 1 else "same" if decades < 0.5 else "few" if decades < 2 else "orders"
        return choice == truth, (
            f"For this cell, ‖∂c_{T}/∂c_0‖₂ goes from {_g(closed)} at b_f = 0 to {_g(opened)} at b_f = 3: "
            f"{decades:.0f} orders of magnitude{', and above 1: the gradient grows' if opened > 1 else ''}. The carousel alone, "
            f"diag(f_{T} ∘ … ∘ f_1), goes only from {_g(carousel[0])} to {_g(carousel[1])}: b_f = 3 moves f_t from about 0.5 "
            "to about σ(3) ≈ 0.95, and 0.95 per step still shrinks. The rest comes from the paths through h. Now set "
            "b_f = 3 on the slider and compare the two curves; then try the tanh RNN's ‖U‖₂."
        )

    # -- the figure ----------------------------------------------------------------------------
    #: Where the step axis is labelled, as fractions of T (T is a multiple of 5 on its slider: whole steps).
    _STEP_TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    #: At most this many labelled decades on the gradient axis.
    _MOST_DECADES = 7

    def _build(self):
        fig = self.view.figure
        self._ax, self._gates_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
        ax = self._ax
        # Colour AND line style tell the curves apart.
        (self._lstm_c,) = ax.plot([], [], color="#0969da", lw=2.2, label="LSTM ‖∂c_T/∂c_t‖₂, all paths")
        (self._carousel,) = ax.plot([], [], color="#1a7f37", lw=2.0, ls=":", label="LSTM carousel alone ‖diag(∏f)‖₂")
        (self._lstm_h,) = ax.plot([], [], color="#0969da", lw=1.2, ls="--", label="LSTM ‖∂h_T/∂h_t‖₂")
        (self._rnn_h,) = ax.plot([], [], color="#bc4c00", lw=1.5, ls="-.", label="tanh RNN ‖∂h_T/∂h_t‖₂")
        # The axes are fixed, [0, 1] × [0, 1]: the curves are drawn as t / T against the position of log₁₀ of
        # the gradient between the decades that hold them (``y_limits``), and the tick marks, labels and
        # the line at 1 are animated artists. So every slider, T and k included, takes the fast refresh
        # while the gradient axis follows the data (issue 23 item 7 and Speed).
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, 1.0)
        ax.set_xticks([])
        ax.set_yticks([])
        (self._one,) = ax.plot([0.0, 1.0], [0.0, 0.0], color="#6e7781", lw=0.6, zorder=1)  # the level 1 (10⁰)
        self._grid = ax.add_collection(LineCollection([], colors="#d0d7de", linewidths=0.5, zorder=0.5))
        self._marks = ax.add_collection(LineCollection([], colors="black", linewidths=0.8, clip_on=False))
        # tick labels as glyph outlines, one artist per axis (Text artists were most of an update's time)
        self._y_labels = PathLabels(ax, ha="right", va="center", pad=(-4.0, 0.0))
        self._x_labels = PathLabels(ax, ha="center", va="top", pad=(0.0, -4.0))
        ax.set_xlabel("step t", labelpad=16)  # under the tick labels
        ax.set_ylabel("gradient reaching step t\n(spectral norm, log scale)", fontsize=9, labelpad=34)
        # above the axes, where no curve (vanishing or exploding) can hide behind it
        legend = ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=2, fontsize=LEGEND_POINTS, columnspacing=1.0,
                           handlelength=2.5, borderaxespad=0.0, **_LEGEND)
        edges = np.linspace(0.0, 1.0, 21)
        self._hist = self._gates_ax.stairs(np.zeros(20), edges, fill=True, color="#0969da", alpha=0.6)
        self._sigma_b = self._gates_ax.axvline(0.5, color="#cf222e", lw=1.2, label="σ(b_f)")
        self._gates_ax.set_xlim(0, 1)
        self._gates_ax.set_xticks([0.0, 0.5, 1.0])
        self._gates_ax.set_xlabel("forget gate f_t (all units, all steps)")
        self._gates_ax.set_ylabel("count", fontsize=9)
        self._gates_ax.set_yticks([])  # so its y-limits can follow the counts without a full redraw
        gates_legend = self._gates_ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), fontsize=LEGEND_POINTS, borderaxespad=0.0,
                                             **_LEGEND)
        #: (low, high): the decades at the bottom and top of the gradient axis now
        self.y_limits = (1e-3, 10.0)
        # The numbers go in the live summary under the figure (matplotlib text was most of an update's time).
        self.view.animate(self._grid, self._one, self._lstm_c, self._carousel, self._lstm_h, self._rnn_h, self._hist,
                          self._sigma_b, self._marks, self._y_labels.collection, self._x_labels.collection,
                          *_spines(ax, self._gates_ax))
        self.view.keep_on_top(legend, gates_legend)

    @staticmethod
    def _decade_ticks(low: float, high: float, most: int = 7) -> list[float]:
        """At most ``most`` labelled decades from ``low`` to ``high``, every few, always 10⁰."""
        first, last = round(np.log10(low)), round(np.log10(high))
        needed = -(-(last - first) // (most - 1))
        stride = next((nice for nice in (1, 2, 3, 5, 10, 20, 50) if nice >= needed), needed)
        return [10.0 ** e for e in range(-(-first // stride) * stride, last + 1, stride)]

    @staticmethod
    def _log_limits(curves) -> tuple[float, float]:
        """The whole decades just below the smallest value and just above the largest (at least 10⁻¹ and 10¹):
        the gradient axis follows the curves drawn now."""
        smallest = min(float(v.min()) for v in curves)
        largest = max(float(v.max()) for v in curves)
        low = min(10.0 ** np.floor(np.log10(smallest)), 0.1)
        high = max(10.0 ** np.ceil(np.log10(largest)), 10.0)
        if low == smallest:  # a curve on a decade sits on the bottom edge: one more below
            low /= 10.0
        if high == largest:
            high *= 10.0
        return float(low), float(high)

    def _place_axes(self, T: int, low: float, high: float):
        """Tick marks, labels, grid and the level 1 for steps 0..T and gradients from ``low`` to ``high``;
        returns the function that maps gradients to heights in the axes."""
        span = np.log10(high) - np.log10(low)

        def height(values):
            return (np.log10(values) - np.log10(low)) / span

        decades = self._decade_ticks(low, high, self._MOST_DECADES)
        ys = [float(height(d)) for d in decades]
        self._y_labels.place((0.0, y, _decade(d)) for y, d in zip(ys, decades, strict=True))
        self._x_labels.place((u, 0.0, f"{u * T:.0f}") for u in self._STEP_TICKS)
        self._grid.set_segments([((0.0, y), (1.0, y)) for y in ys])
        self._marks.set_segments([((-0.012, y), (0.0, y)) for y in ys] + [((u, -0.02), (u, 0.0)) for u in self._STEP_TICKS])
        one = float(height(1.0))
        self._one.set_ydata([one, one])
        self.y_limits = (low, high)
        return height

    def update(self):
        bias, T, k = float(self.bias_slider.value), int(self.length_slider.value), int(self.hidden_slider.value)
        norm = float(self.rnn_norm_slider.value)
        # the LSTM's curves do not depend on ‖U‖₂, the RNN's not on b_f: moving one recomputes only its own
        flow = _lstm_flow(k, self._input_size, self._seed, self.MAX_LENGTH, bias, T)
        rnn = _rnn_flow(k, self._input_size, self._seed, self.MAX_LENGTH, norm, T)
        t = np.arange(T + 1)
        curves = [np.maximum(flow[key], _FLOOR) for key in ("c", "carousel", "h")] + [np.maximum(rnn, _FLOOR)]
        height = self._place_axes(T, *self._log_limits(curves))
        for line, values in zip((self._lstm_c, self._carousel, self._lstm_h, self._rnn_h), curves, strict=True):
            line.set_data(t / T, height(values))
        counts, _ = np.histogram(flow["f"], bins=20, range=(0.0, 1.0))
        self._hist.set_data(values=counts)
        self._gates_ax.set_ylim(0, counts.max() * 1.15)  # no y ticks: only animated artists depend on it
        self._sigma_b.set_xdata([float(lstm.sigmoid(bias))] * 2)
        rnn_fate = "explodes" if rnn[0] > 1 else "vanishes" if rnn[0] < 1e-3 else "shrinks"
        self.data = {"t": t, "lstm_c": flow["c"], "carousel": flow["carousel"], "lstm_h": flow["h"], "rnn_h": rnn, "forget_gates": flow["f"],
                     "rnn_norm": norm}
        mean_f = float(flow["f"].mean())
        alt = (
            f"Gradient size (spectral norm, 1 at t = T) over T = {T} steps for k = {k} units, log scale. LSTM with forget bias "
            f"{bias:g} (mean forget gate {mean_f:.2f}): ‖∂c_T/∂c_0‖₂ = {_g(flow['c'][0])} along all paths, "
            f"{_g(flow['carousel'][0])} along the carousel diag(f_T ∘ … ∘ f_1) alone; ‖∂h_T/∂h_0‖₂ = {_g(flow['h'][0])}. "
            f"tanh RNN with ‖U‖₂ = {norm:g}: ‖∂h_T/∂h_0‖₂ = {_g(rnn[0])}, it {rnn_fate}. "
            f"Right panel: histogram of the forget gates, σ(b_f) = {float(lstm.sigmoid(bias)):.2f}."
        )
        summary = (f"b_f = {bias:g}, T = {T}, k = {k}: ‖∂c_T/∂c_0‖₂ = {_g(flow['c'][0])} (all paths), carousel alone "
                   f"{_g(flow['carousel'][0])} (mean f_t {mean_f:.3f}); the tanh RNN with ‖U‖₂ = {norm:g} gives {_g(rnn[0])} ({rnn_fate}).")
        rows = [(int(s), _g(flow["c"][s]), _g(flow["carousel"][s]), _g(flow["h"][s]), _g(rnn[s])) for s in t]
        headers = ("step t", "LSTM ‖∂c_T/∂c_t‖₂", "carousel ‖diag(∏f)‖₂", "LSTM ‖∂h_T/∂h_t‖₂", "RNN ‖∂h_T/∂h_t‖₂")
        self.view.describe(alt, summary, (headers, rows))
        self.view.refresh(full=False)
        self._compute_ahead(bias, T, k, norm)


class ArgmaxExplorer(_Explorer):
    """k = 2: which unit h_{t−1} maximises f_t(d) = σ(a + U^f(d)·h_{t−1}), with a = W^f(d)·x_t.

    The curve is sampled every 0.5°; the best angle is computed exactly, the direction of U^f(d)
    (σ is increasing and U^f(d)·h is largest along the row), and the largest value is f_t(d) there.
    """

    def __init__(self, row=(1.2, 0.7), input_term: float = 0.0, angle: float = 0.0):
        self.row = np.asarray(row, dtype=float)
        self.input_slider = w.FloatSlider(value=input_term, min=-4.0, max=4.0, step=0.25, description="W^f(d)·x_t",
                                          style=_STYLE)
        self.angle_slider = w.FloatSlider(value=angle, min=-180.0, max=180.0, step=5.0, description="angle of h_{t−1} (°)",
                                          style=_STYLE)
        self._angles = np.linspace(-180.0, 180.0, 721)
        self._unit = np.stack([np.cos(np.radians(self._angles)), np.sin(np.radians(self._angles))])
        super().__init__([self.input_slider, self.angle_slider])

    @property
    def best_angle(self) -> float:
        """The angle (degrees) of the best unit h_{t−1}: the direction of the row U^f(d)."""
        return float(np.degrees(np.arctan2(self.row[1], self.row[0])))

    def largest(self, input_term: float) -> float:
        """f_t(d) at the best unit h_{t−1}: σ(a + U^f(d)·ĥ) with ĥ the row's direction."""
        best = np.radians(self.best_angle)
        return float(lstm.sigmoid(input_term + self.row @ np.array([np.cos(best), np.sin(best)])))

    def curve(self, input_term: float) -> np.ndarray:
        """f_t(d) = σ(a + U^f(d)·h) over the sampled unit vectors h, for a = ``input_term``."""
        return lstm.sigmoid(input_term + self.row @ self._unit)

    _OPTIONS = (
        ("the best angle stays, the largest f_t(d) rises", "stays-rises"),
        ("the best angle turns, the largest f_t(d) rises", "turns-rises"),
        ("the best angle stays, the largest f_t(d) stays", "stays-stays"),
        ("the best angle turns, the largest f_t(d) stays", "turns-stays"),
    )

    def _prediction(self):
        question = (r"You will move the slider $W^f(d) \cdot x_t$ from 0 to 3. What happens to the best $h_{t-1}$ "
                    "(its angle on the circle) and to the largest value of $f_t(d)$?")
        return question, self._OPTIONS, self._judge

    def _judge(self, choice: str):
        before, after = self.curve(0.0), self.curve(3.0)
        angles = (self.best_angle,) * 2  # exact: U^f(d)·h is largest along the row, whatever the input term
        before, after = self.largest(0.0), self.largest(3.0)
        turns = not np.allclose(self._angles[np.argmax(self.curve(0.0))], self._angles[np.argmax(self.curve(3.0))])
        rises = after > before + 1e-9
        truth = ("turns" if turns else "stays") + "-" + ("rises" if rises else "stays")
        return choice == truth, (
            f"At W^f(d)·x_t = 0 the best angle is {angles[0]:.2f}° with f_t(d) = {before:.3f}; at 3 it is "
            f"{angles[1]:.2f}° with f_t(d) = {after:.3f}. Move the slider and watch the red line and the dashed level."
        )

    def _build(self):
        self._circle_ax, self._curve_ax = self.view.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
        ax = self._circle_ax
        ax.plot(self._unit[0], self._unit[1], color="#6e7781", lw=1)
        ax.annotate("", xy=self.row, xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": "#cf222e", "lw": 2})
        ax.text(*self.row * 1.05, "$U^f(d)$", color="#cf222e", fontsize=10, ha="right", va="bottom", clip_on=True)
        # where the row's direction meets the circle: the best unit vector
        theta = np.arctan2(self.row[1], self.row[0])
        ax.plot(np.cos(theta), np.sin(theta), "o", color="#cf222e", ms=7, mfc="none", label="best unit $h_{t-1}$")
        # h_{t−1} lies above the U^f(d) arrow and label (zorder 4 > 3) in every draw, so the fast refresh
        # redraws only h_{t−1}, not the arrow (an annotation's arrow costs more than the curves)
        (self._h_arrow,) = ax.plot([], [], color="#0969da", lw=2, zorder=4)
        (self._h_dot,) = ax.plot([], [], "s", color="#0969da", ms=6, label="$h_{t-1}$ (angle slider)", zorder=4)
        lim = max(1.3, 1.15 * float(np.linalg.norm(self.row)))
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        circle_legend = ax.legend(loc="lower left", fontsize=LEGEND_POINTS, **_LEGEND)
        ax.set_title("unit circle, k = 2", fontsize=10)
        cx = self._curve_ax
        cx.plot(self._angles, self.curve(0.0), color="#6e7781", lw=1, ls=":", label=r"$W^f(d) \cdot x_t = 0$")
        (self._curve,) = cx.plot([], [], color="#0969da", lw=2, label="$f_t(d)$")
        self._best_line = cx.axvline(np.degrees(theta), color="#cf222e", lw=1)
        self._max_line = cx.axhline(0.5, color="#cf222e", lw=0.8, ls="--")
        (self._now,) = cx.plot([], [], "s", color="#0969da", ms=6)
        cx.set_xlim(-180, 180)
        cx.set_ylim(0, 1.02)
        cx.set_xlabel("angle of $h_{t-1}$ (degrees)")
        cx.set_ylabel("$f_t(d)$", fontsize=10)
        curve_legend = cx.legend(loc="lower left", fontsize=LEGEND_POINTS, **_LEGEND)
        self.view.animate(self._h_arrow, self._h_dot, self._curve, self._best_line, self._max_line,
                          self._now, *_spines(ax, cx))
        self.view.keep_on_top(circle_legend, curve_legend)

    def update(self):
        a, angle = float(self.input_slider.value), float(self.angle_slider.value)
        values = self.curve(a)
        best_angle, largest = self.best_angle, self.largest(a)
        h = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
        now = float(lstm.sigmoid(a + self.row @ h))
        self._curve.set_data(self._angles, values)
        self._best_line.set_xdata([best_angle] * 2)
        self._max_line.set_ydata([largest] * 2)
        self._now.set_data([angle], [now])
        self._h_arrow.set_data([0, h[0]], [0, h[1]])
        self._h_dot.set_data([h[0]], [h[1]])
        self.data = {"angles": self._angles, "f": values, "argmax_angle": best_angle, "max": largest, "h": h}
        u = ", ".join(f"{v:g}" for v in self.row)
        alt = (f"Left: the unit circle with the row U^f(d) = ({u}) and h_{{t−1}} at {angle:g}°. Right: f_t(d) against "
               f"the angle of h_{{t−1}} with W^f(d)·x_t = {a:g}: largest {largest:.3f} at {best_angle:.2f}°; "
               f"at {angle:g}° it is {now:.3f}.")
        summary = f"W^f(d)·x_t = {a:g}: best angle {best_angle:.2f}°, largest f_t(d) = {largest:.3f}; your h_{{t−1}} at {angle:g}° gives {now:.3f}."
        rows = [(f"{g:g}", f"{v:.3f}", f"{r:.3f}") for g, v, r in zip(self._angles[::20], values[::20], self.curve(0.0)[::20], strict=True)]
        self.view.describe(alt, summary, (("angle of h_{t−1} (°)", f"f_t(d) at W^f(d)·x_t = {a:g}", "f_t(d) at 0"), rows))
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

    _OPTIONS = (
        ("up to about |z| = 40", "40"),
        ("up to about |z| = 700", "700"),
        ("up to about |z| = 10 000", "10000"),
        ("for every z", "every"),
    )

    def _prediction(self):
        return (r"$\sigma'(z)$ shrinks fast as $|z|$ grows. Up to which $|z|$ is the true $\sigma'(z)$ still a normal "
                r"float64 (at least $2.2 \times 10^{-308}$)? Widen the range to see.", self._OPTIONS, self._judge)

    def _judge(self, choice: str):
        z = np.arange(0.0, 2000.0, 0.05)
        values = lstm._sigmoid_prime(z)
        normal, nonzero = float(z[values >= _TINY].max()), float(z[values > 0].max())
        truth = min(("40", "700", "10000"), key=lambda option: abs(np.log(float(option) / normal)))
        return choice == truth, (
            f"σ′(z) ≈ e^(−|z|) for large |z|: it is a normal float up to |z| ≈ {normal:.1f} (σ′ = {_g(float(lstm._sigmoid_prime(normal)))} "
            f"there), a subnormal float up to |z| ≈ {nonzero:.0f}, and beyond that the nearest float64 is 0. At z = ±40 it "
            f"is still {_g(float(lstm._sigmoid_prime(40.0)))}, so 0 there is a 100 % error; at z = ±1000 the right float64 "
            "answer is 0, and NaN or inf is wrong."
        )

    def _build(self):
        self._lin_ax, self._log_ax = self.view.figure.subplots(1, 2)
        (self._sigma,) = self._lin_ax.plot([], [], color="#6e7781", lw=1.5, ls=":", label="σ(z)")
        (self._true,) = self._lin_ax.plot([], [], color="#0969da", lw=2, label="true σ′(z)")
        (self._mine,) = self._lin_ax.plot([], [], color="#bc4c00", lw=1.5, ls="--", label="your σ′")
        self._lin_ax.set_ylim(-0.05, 1.05)
        lin_legend = self._lin_ax.legend(loc="upper left", fontsize=LEGEND_POINTS, **_LEGEND)
        (self._true_log,) = self._log_ax.plot([], [], color="#0969da", lw=2, label="true σ′(z)")
        (self._mine_log,) = self._log_ax.plot([], [], color="#bc4c00", lw=1.5, ls="--", label="your σ′")
        (self._probe_true,) = self._log_ax.plot([], [], "o", color="#0969da", mfc="none", ms=8, label="probe z = ±40, ±1000")
        (self._probe_bad,) = self._log_ax.plot([], [], "x", color="#cf222e", ms=9, mew=2, label="your NaN / inf / wrong")
        self._log_ax.set_yscale("log")
        self._log_ax.yaxis.set_major_formatter(FuncFormatter(_decade))  # plain text: mathtext labels cost 8 parses a build
        self._log_ax.set_ylim(1e-320, 10)
        self._log_ax.set_title("log scale: tiny values at large |z|", fontsize=10)
        log_legend = self._log_ax.legend(loc="lower center", fontsize=LEGEND_POINTS, **_LEGEND)
        # Both panels plot against z / R on fixed axes with fixed ticks at ±R, ±R/2 and 0; only the five
        # tick labels of each change with the slider (redrawing whole x axes was most of an update).
        self._tick_labels = []
        for ax in (self._lin_ax, self._log_ax):
            ax.set_xlim(-1.0, 1.0)
            ax.set_xticks(self._TICKS)
            ax.xaxis.set_major_formatter(NullFormatter())
            tick = ax.xaxis.get_major_ticks()[0]
            below = ax.get_xaxis_transform() + ScaledTranslation(0, -(tick.get_pad() + tick.get_tick_padding()) / 72,
                                                                 self.view.figure.dpi_scale_trans)
            self._tick_labels += [ax.text(u, 0.0, "", transform=below, ha="center", va="top", fontsize="medium")
                                  for u in self._TICKS]
            ax.set_xlabel("z", labelpad=14)  # under the tick labels drawn above
        self._label_ticks(float(self.range_slider.value))  # so that tight_layout leaves them room
        self.view.animate(self._sigma, self._true, self._mine, self._true_log, self._mine_log, self._probe_true,
                          self._probe_bad, *self._tick_labels, *_spines(self._lin_ax, self._log_ax))
        self.view.keep_on_top(lin_legend, log_legend)

    _TICKS = (-1.0, -0.5, 0.0, 0.5, 1.0)

    def _label_ticks(self, R: float) -> None:
        """Tick labels ±R, ±R/2, 0 on both panels (with a true minus sign, as matplotlib writes them)."""
        for label, u in zip(self._tick_labels, self._TICKS * 2, strict=True):
            value = u * R
            label.set_text((f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}").replace("-", "−"))

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
        u = z / R  # what the axes plot: z in units of the range, so that only the tick labels change
        true = lstm._sigmoid_prime(z)
        self._sigma.set_data(u, lstm.sigmoid(z))
        self._true.set_data(u, true)
        self._true_log.set_data(u, np.where(true > 0, true, np.nan))
        mine, problem = self._student_values(z)
        shown = mine if mine is not None else np.full_like(z, np.nan)
        self._mine.set_data(u, shown)
        self._mine_log.set_data(u, np.where(shown > 0, shown, np.nan))
        self._label_ticks(R)
        inside = np.abs(self.probe) <= R
        probe_true = lstm._sigmoid_prime(self.probe)
        self._probe_true.set_data(self.probe[inside] / R, np.maximum(probe_true[inside], 1e-318))
        bad = self._bad_probes(probe_true) & inside
        self._probe_bad.set_data(self.probe[bad] / R, np.full(bad.sum(), 1.0))
        self.data = {"z": z, "true": true, "student": mine, "probe_bad": bad}
        self.status.value = self._report(problem)
        self.view.describe(*self._description(R, z, true, mine, bad))
        self.view.refresh(full=False)

    def _description(self, R: float, z, true, mine, bad) -> tuple:
        """Alt text, summary and table of what is drawn (the table: 21 evenly spaced z)."""
        edge = float(true[-1])
        if mine is None:
            yours = "your σ′ is not drawn" if self.student is not None else "no σ′ of yours is drawn"
        else:
            finite = np.isfinite(mine)
            with np.errstate(all="ignore"):
                error = np.abs(mine - true) / true
            worst = int(np.nanargmax(np.where(finite, error, np.inf)))
            yours = (f"your σ′ is not finite at {int((~finite).sum())} of {z.size} points" if not finite.all()
                     else f"your σ′ differs from the true one by at most {_g(float(error[worst]))} (relative, at z = {z[worst]:.3g})")
        marked = ", ".join(f"{v:g}" for v in self.probe[bad])
        probes = f"; red crosses at probe z = {marked}" if marked else ""
        alt = (f"σ(z) and σ′(z) for z from −{R:.3g} to {R:.3g}, linear scale (left) and log scale (right): the true σ′ "
               f"is {_g(edge)} at z = ±{R:.3g}; {yours}{probes}.")
        summary = f"z range ±{R:.3g}: true σ′ at the edge {_g(edge)}; {yours}{probes}."
        picks = np.linspace(0, z.size - 1, 21).astype(int)
        rows = [(f"{z[n]:.3g}", _g(float(true[n])), "" if mine is None else _g(float(mine[n]))) for n in picks]
        return alt, summary, (("z", "true σ′(z)", "your σ′(z)"), rows)

    def _bad_probes(self, probe_true) -> np.ndarray:
        outcome = self.probe_outcome
        if outcome is None or not outcome.ok:
            return np.zeros(self.probe.shape, bool)
        try:
            got = np.asarray(outcome.value, dtype=float).reshape(self.probe.shape)
        except (TypeError, ValueError):
            return np.ones(self.probe.shape, bool)
        # the check's own criterion: relative error where σ′ is a normal float (0 at z = ±40 is 100 % off)
        with np.errstate(all="ignore"):
            errors = SigmoidPrime._errors(got, probe_true).reshape(self.probe.shape)
        return ~np.isfinite(got) | ~(errors <= SIGMOID_PRIME_RTOL)

    def _report(self, problem: str) -> str:
        rows = []
        outcome = self.probe_outcome
        if outcome is not None:
            if outcome.ok:
                try:
                    got = np.asarray(outcome.value, dtype=float).reshape(self.probe.shape)
                    rows = [f"σ′({z:g}): yours {g:.3g}, true {t:.3g}" for z, g, t in zip(self.probe, got, lstm._sigmoid_prime(self.probe), strict=True)]
                except (TypeError, ValueError):
                    rows = ["your σ′ did not return 4 numbers for the probe"]
            else:
                rows = [f"probe z = [-1000, -40, 40, 1000]: {outcome.error}"]
            if outcome.warnings:
                rows.append(f"probe warned: {outcome.warnings[0]}")
        if problem:
            rows.append(problem)
        return "<br>".join(html.escape(r) for r in rows)
