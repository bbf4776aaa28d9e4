"""ConvExplorer: where a convolution's kernel lands, and why the output size has a floor.

Sliders set the input size n, kernel k, stride s, padding p (per side) and dilation d.
The explorer asks for a prediction on every setting (how many windows fit?): what shows the
count (the workings, the legend, the figure, the placement stepper) stays hidden until that
prediction is checked; the sliders unlock after the first one. The "free exploration" switch
shows everything at once, without questions. The count is found by enumerating the window
starts, not by a closed formula: the notebook asks the student to derive that formula (Exercise 1). The figure shows the padded input with every kernel placement, the input cells no
placement reaches (vermillion, marked ×), the next window that does not fit (yellow, hatched)
and the output; a Play control steps through the placements.
Colours are from the Okabe-Ito palette, and marks (×, hatching) repeat what colour says.
The figure is built once; a change updates two images, markers, two rectangles and texts.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle

from ..conv import unreached_inputs as unreached_cells, window_starts  # placements enumerated, never a closed formula
from .figure import FigureView, PathLabels

#: Cell colours (RGB in 0..1), colour-blind safe (Okabe-Ito), each with a second cue.
PAD = np.array([0.80, 0.80, 0.80])  # padding: grey, and the caption says where it is
#: 2-D: padding that some placement covers; grey-purple, never one of the blues of input cells under placements
PAD_COVERED = np.array([0.62, 0.55, 0.66])
INPUT = np.array([1.0, 1.0, 1.0])
UNREACHED = np.array([0.835, 0.369, 0.0])  # vermillion #D55E00, marked ×
TAP = np.array([0.337, 0.706, 0.914])  # sky blue #56B4E9
CURRENT = np.array([0.0, 0.447, 0.698])  # blue #0072B2
OVERFLOW = np.array([0.941, 0.894, 0.259])  # yellow #F0E442, hatched: the window that does not fit
GHOST = np.array([0.97, 0.97, 0.97])  # outside the padded input
GRID = np.array([0.55, 0.55, 0.55])

#: Text colours of the side panel and the verdict: JupyterLab's theme colours (legible in light and
#: dark themes), with light-theme fallbacks of contrast ≥ 4.5:1 on white.
RIGHT_TEXT = "var(--jp-success-color1, #1a7f37)"
WRONG_TEXT = "var(--jp-error-color1, #b42318)"

#: The explorer's default: 10 cells, kernel 4, stride 3, padding 1. The windows start at 0, 3
#: and 6; two cells are left over (one input cell, one padding cell), so another stride has no room.
DEFAULT = {"size": 10, "kernel": 4, "stride": 3, "padding": 1, "dilation": 1}

#: Cell index labels: 8 pt is 10 px at the figure's 90 dpi.
INDEX_POINTS = 8


def _rgb(colour) -> tuple[int, int, int]:
    """A drawn colour as the 8-bit RGB the image holds (what :func:`_show` stores)."""
    return tuple(int(v) for v in (np.asarray(colour, float) * 255).astype(np.uint8))


def _grid_lines(rows: int, cols: int) -> list:
    """Segments of the lines between and around ``rows`` × ``cols`` unit cells."""
    horizontal = [((0, r), (cols, r)) for r in range(rows + 1)]
    vertical = [((c, 0), (c, rows)) for c in range(cols + 1)]
    return horizontal + vertical


def _show(image_artist, grid, cells: np.ndarray) -> None:
    """Put ``cells`` (one RGB value per cell) in ``image_artist``, redraw ``grid`` and fit the axes."""
    rows, cols = cells.shape[:2]
    # as 8-bit RGB, which matplotlib resamples twice as fast as floats (the same pixels: it truncates too)
    image_artist.set_data((np.asarray(cells) * 255).astype(np.uint8))
    image_artist.set_extent((0, cols, rows, 0))
    grid.set_segments(_grid_lines(rows, cols))
    image_artist.axes.set_xlim(-0.05, cols + 0.05)
    image_artist.axes.set_ylim(rows + 0.05, -0.05)


def _listing(values) -> str:
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class ConvExplorer(w.VBox):
    """Sliders for n, k, s, p, d in 1-D or 2-D; attributes ``size``, ``kernel``, ``stride``,
    ``padding``, ``dilation``, ``mode``, ``play`` and ``placement`` are the controls;
    ``guess``, ``check_guess`` and ``verdict`` the prediction; ``free_exploration`` the switch that
    shows the count at once."""

    def __init__(self, size: int = DEFAULT["size"], kernel: int = DEFAULT["kernel"], stride: int = DEFAULT["stride"],
                 padding: int = DEFAULT["padding"], dilation: int = DEFAULT["dilation"], mode: str = "1-D",
                 free_exploration: bool = False):
        style = {"description_width": "initial"}
        layout = w.Layout(width="260px")
        self.mode = w.ToggleButtons(options=["1-D", "2-D"], value=mode, style={"button_width": "60px"})
        self.size = w.IntSlider(value=size, min=1, max=24, description="input n", style=style, layout=layout)
        self.kernel = w.IntSlider(value=kernel, min=1, max=7, description="kernel k", style=style, layout=layout)
        self.stride = w.IntSlider(value=stride, min=1, max=4, description="stride s", style=style, layout=layout)
        self.padding = w.IntSlider(value=padding, min=0, max=3, description="padding p", style=style, layout=layout)
        self.dilation = w.IntSlider(value=dilation, min=1, max=3, description="dilation d", style=style, layout=layout)
        self.play = w.Play(value=0, min=0, max=0, interval=700, description="Play")
        self.placement = w.IntSlider(value=0, min=0, max=0, description="placement", style=style, layout=layout)
        w.link((self.play, "value"), (self.placement, "value"))
        #: the count worked out on this setting's numbers (enumerated starts, no general formula)
        self.workings = w.HTML(layout=w.Layout(max_width="100%"))
        self.legend = w.HTML()
        self.caption = w.HTML()
        # The prediction comes first, on every setting: the count stays hidden until it is checked.
        self.question = w.HTML()
        self.guess = w.RadioButtons(options=[], value=None, description="windows", style=style, layout=w.Layout(width="auto"))
        self.check_guess = w.Button(description="Check my prediction", button_style="primary", layout=w.Layout(width="auto"))
        self.check_guess.on_click(lambda _: self.judge_prediction())
        self.verdict = w.HTML()
        self.free_exploration = w.Checkbox(value=free_exploration, indent=False, layout=w.Layout(width="auto"),
                                           description="free exploration (show the count at once, no predictions)")
        #: True once a prediction has been checked: the sliders stay unlocked from then on
        self.predicted = False
        #: the setting (n, k, s, p, d) whose prediction was checked last, and the one asked about now
        self._checked_setting = self._posed_setting = None
        self._parameter_controls = (self.mode, self.size, self.kernel, self.stride, self.padding, self.dilation, self.play, self.placement)
        self.view = FigureView(width=9.0, height=3.0, dpi=90)
        self._build_figure()
        self._updating = False
        for control in (self.mode, self.size, self.kernel, self.stride, self.padding, self.dilation):
            control.observe(self._on_parameters, names="value")
        self.placement.observe(self._on_placement, names="value")
        self.free_exploration.observe(lambda _: self._reveal(), names="value")
        # wrapping rows, never squeezed: at a narrow window the workings go under the sliders (no sideways scrolling)
        wrap = w.Layout(flex_flow="row wrap", max_width="100%")
        self._stepper = w.HBox([self.play, self.placement], layout=wrap)
        controls = w.VBox([self.mode, self.size, self.kernel, self.stride, self.padding, self.dilation, self._stepper],
                          layout=w.Layout(flex="0 0 auto"))
        self._prediction_box = w.VBox([self.question, self.guess, self.check_guess, self.verdict],
                                      layout=w.Layout(border="1px solid #d0d7de", padding="4px 8px"))
        figure = w.VBox([self.caption, self.view.widget], layout=w.Layout(max_width="100%", min_width="0"))
        #: what shows the count of windows (the answer to the prediction): hidden until this setting's is checked
        self.answer_shown = (self.workings, self.legend, figure, self._stepper)
        super().__init__([self._prediction_box, self.free_exploration, w.HBox([controls, self.workings], layout=wrap), self.legend, figure])
        self.add_class("dlweek8-conv-explorer")
        self._on_parameters()

    # -- state ---------------------------------------------------------------------------
    @property
    def parameters(self) -> tuple[int, int, int, int, int]:
        return self.size.value, self.kernel.value, self.stride.value, self.padding.value, self.dilation.value

    @property
    def span(self) -> int:
        """Cells from the kernel's first tap to its last: its k taps are d apart."""
        return self.dilation.value * (self.kernel.value - 1) + 1

    @property
    def starts(self) -> list[int]:
        """Start of every placement along one dimension (padded coordinates), enumerated."""
        return window_starts(*self.parameters)

    @property
    def output_size(self) -> int:
        """Output size per dimension (how many placements fit), 0 when the kernel does not fit the padded input."""
        return len(self.starts)

    @property
    def unreached(self) -> tuple[int, ...]:
        """Input indices (per dimension, 0-based, unpadded) that no kernel tap touches."""
        return unreached_cells(*self.parameters)

    @property
    def placement_count(self) -> int:
        out = self.output_size
        return out * out if self.mode.value == "2-D" else out

    @property
    def current(self):
        """Start of the current placement in padded coordinates: an int in 1-D, (row, col) in 2-D."""
        s, out = self.stride.value, self.output_size
        if not out:
            return None
        i = self.placement.value
        return (i // out * s, i % out * s) if self.mode.value == "2-D" else i * s

    @property
    def next_window(self) -> tuple[int, int] | None:
        """(start, end) in padded coordinates of the window after the last one: it does not fit."""
        out = self.output_size
        if not out:
            return None
        start = out * self.stride.value
        return start, start + self.span - 1

    @property
    def count_shown(self) -> bool:
        """Whether what shows the count is visible: this setting's prediction was checked, or free exploration is on."""
        return self.free_exploration.value or self._checked_setting == self.parameters

    # -- the prediction ----------------------------------------------------------------------
    def _ask(self) -> None:
        """Ask how many windows fit (per dimension) for the current numbers."""
        self._posed_setting = self.parameters
        self._pose()
        right = self.output_size
        self.guess.options = [(str(v), v) for v in sorted({max(right - 1, 0), right, right + 1, max(right + 2, 3)})]
        self.guess.value = None
        self.verdict.value = ""

    def _pose(self) -> None:
        """The question's text, with what checking a prediction reveals."""
        n, k, s, p, d = self.parameters
        dilation = f", d = {d}" if d != 1 else ""
        if not self.predicted:
            note = " <i>(The windows and their count appear, and the sliders unlock, when you have checked a prediction.)</i>"
        elif self._checked_setting != self.parameters:
            note = " <i>(New numbers, new prediction: the windows appear when you have checked it.)</i>"
        else:
            note = ""
        self.question.value = (
            f"<b>Predict first:</b> with n = {n}, k = {k}, s = {s}, p = {p}{dilation}, how many windows fit along one dimension?{note}"
        )

    def judge_prediction(self) -> bool | None:
        """Confirm or refute the chosen prediction, with the numbers; None if nothing is chosen."""
        if self.guess.value is None:
            self.verdict.value = "Choose a number first."
            return None
        n, k, s, p, d = self.parameters
        right, guess = self.output_size, self.guess.value
        if not right:
            reason = f"The kernel spans {self.span} cells but the padded input has only {n + 2 * p}: no window fits."
        else:
            where = " (padded coordinates)" if p else ""
            start, end = self.next_window
            last = n + 2 * p - 1
            reason = (f"The windows start at {self._starts()}{where}; the next, at {start}, would end at {end}, "
                      f"past the last {'padded ' if p else ''}cell {last}.")
            left = self._left_over()
            if left:
                reason += f" {_plural(left, 'cell')} after the last window; another window needs {s} more (one stride)."
        correct = guess == right
        colour = RIGHT_TEXT if correct else WRONG_TEXT
        head = f"<b>Right</b>: {right}." if correct else f"<b>Not quite</b>: {right}, not {guess}."
        self.verdict.value = (
            f"<span style='color:{colour}'>{head}</span> {reason} "
            "Now move the sliders: can you make a cell in the middle unreachable?"
        )
        self._checked_setting = self.parameters
        self.predicted = True
        self._pose()  # without the note on what checking reveals
        self._reveal()
        return correct

    def _reveal(self) -> None:
        """Show or hide what gives the count away; unlock the controls after a first prediction or in free exploration."""
        shown = self.count_shown
        for widget in self.answer_shown:
            widget.layout.display = None if shown else "none"
        self._prediction_box.layout.display = "none" if self.free_exploration.value else None
        for control in self._parameter_controls:
            control.disabled = not (self.predicted or self.free_exploration.value)

    def _left_over(self) -> int:
        """Cells of the padded input after the last window's last tap (0 when nothing fits)."""
        starts = self.starts
        return self.size.value + 2 * self.padding.value - (starts[-1] + self.span) if starts else 0

    def _starts(self) -> str:
        starts = self.starts
        return _listing(starts) if len(starts) <= 5 else f"{starts[0]}, {starts[1]}, {starts[2]}, …, {starts[-1]}"

    # -- figure ----------------------------------------------------------------------------
    def _build_figure(self) -> None:
        fig = self.view.figure
        self._ax_in = fig.add_axes((0.03, 0.03, 0.59, 0.86))
        self._ax_out = fig.add_axes((0.70, 0.03, 0.28, 0.86))
        for ax in (self._ax_in, self._ax_out):
            ax.set_frame_on(False)
            ax.set_anchor("N")  # grids hang just under their captions
            ax.set_xticks([])
            ax.set_yticks([])
        blank = np.ones((1, 1, 3))
        self._in_image = self._ax_in.imshow(blank, interpolation="nearest", origin="upper")
        self._out_image = self._ax_out.imshow(blank, interpolation="nearest", origin="upper")
        self._in_grid = self._ax_in.add_collection(LineCollection([], colors=[GRID], linewidths=0.7))
        self._out_grid = self._ax_out.add_collection(LineCollection([], colors=[GRID], linewidths=0.7))
        self._box = Rectangle((0, 0), 1, 1, fill=False, edgecolor="#08306b", linewidth=2)
        self._ax_in.add_patch(self._box)
        self._overflow = Rectangle((0, 0), 1, 1, fill=False, edgecolor="#6b5d00", hatch="///", linewidth=1.2, linestyle="--")
        self._ax_in.add_patch(self._overflow)
        self._overflow_label = self._ax_in.text(0, 0, "", fontsize=INDEX_POINTS, va="center", ha="left", color="#4d4300")
        (self._end,) = self._ax_in.plot([], [], color="black", linewidth=1.6, linestyle=(0, (4, 2)))
        self._crosses = self._ax_in.scatter([], [], marker="x", s=28, c="black", linewidths=1.2, zorder=5)
        numbers = {"size": INDEX_POINTS, "color": "#57606a"}
        self._in_top, self._out_top = (PathLabels(ax, ha="center", va="bottom", **numbers) for ax in (self._ax_in, self._ax_out))
        self._in_left, self._out_left = (PathLabels(ax, ha="right", va="center", **numbers) for ax in (self._ax_in, self._ax_out))

    def _taps(self, start: int) -> np.ndarray:
        return start + self.dilation.value * np.arange(self.kernel.value)

    def _input_row(self, width: int) -> np.ndarray:
        n, p = self.size.value, self.padding.value
        row = np.tile(GHOST, (width, 1))
        row[: n + 2 * p] = PAD
        row[p : p + n] = INPUT
        for i in self.unreached:
            row[p + i] = UNREACHED
        return row

    def _cells_1d(self):
        n, k, s, p, d = self.parameters
        padded, out, span = n + 2 * p, self.output_size, self.span
        following = out * s  # where the next window would start: it does not fit
        width = max(padded, following + span) if out else max(padded, span)
        cells = np.tile(GHOST, (out + 2, width, 1))
        cells[0] = self._input_row(width)
        for i in range(out):
            cells[i + 1, :padded] = INPUT
            cells[i + 1, self._taps(i * s)] = CURRENT if i == self.placement.value else TAP
        last = out + 1
        cells[last, :padded] = INPUT
        start = following if out else 0
        cells[last, self._taps(start)] = OVERFLOW
        overflow = (start, last, span, 1)
        outputs = np.tile(INPUT, (1, max(out, 1), 1))
        crosses = [(p + i + 0.5, 0.5) for i in self.unreached]
        if not out:
            return cells, None, outputs, None, overflow, crosses
        outputs[0, self.placement.value] = CURRENT
        return cells, (self.placement.value * s, self.placement.value + 1, span, 1), outputs, (0, self.placement.value), overflow, crosses

    def _coverage(self) -> np.ndarray:
        """2-D: how many placements touch each cell of the padded input."""
        n, k, s, p, d = self.parameters
        line = np.zeros(n + 2 * p)
        for start in self.starts:
            line[self._taps(start)] += 1
        return np.outer(line, line)

    @staticmethod
    def _shade(coverage, most) -> np.ndarray:
        """2-D: the blue of an input cell under ``coverage`` placements (darker: more), of at most ``most``."""
        strength = (0.25 + 0.75 * np.asarray(coverage, float) / max(most, 1))[..., None]
        return INPUT * (1 - strength) + TAP * strength

    def _cells_2d(self):
        n, k, s, p, d = self.parameters
        padded, out, span = n + 2 * p, self.output_size, self.span
        coverage = self._coverage()
        touched = coverage > 0
        is_input = np.zeros((padded, padded), bool)
        is_input[p : p + n, p : p + n] = True
        cells = np.where(is_input[..., None], INPUT, np.where(touched[..., None], PAD_COVERED, PAD))
        cells = np.where((is_input & touched)[..., None], self._shade(coverage, coverage.max()), cells)
        unreached = is_input & ~touched
        cells[unreached] = UNREACHED
        rows, cols = np.nonzero(unreached)
        crosses = list(zip(cols + 0.5, rows + 0.5, strict=True))
        outputs = np.tile(INPUT, (max(out, 1), max(out, 1), 1))
        if not out:
            return cells, None, outputs, None, None, crosses
        row, col = divmod(self.placement.value, out)
        taps = np.ix_(self._taps(row * s), self._taps(col * s))
        cells[taps] = np.where(is_input[taps][..., None], CURRENT, PAD_COVERED)  # padding stays padding
        outputs[row, col] = CURRENT
        return cells, (col * s, row * s, span, span), outputs, (row, col), None, crosses

    def _label_cells(self, two_d: bool, cells: np.ndarray) -> None:
        """Number the cells: padded coordinates along the top of the input (and down its left side in 2-D),
        output indices on the output; every second number when there are many. Drawn as glyph outlines
        (:class:`PathLabels`): some 60 ``Text`` artists took longer than the rest of the figure."""
        padded = self.size.value + 2 * self.padding.value
        every = 1 if padded <= 16 else 2
        top = [(c + 0.5, -0.15, str(c)) for c in range(0, cells.shape[1], every)]
        left = [(-0.15, r + 0.5, str(r)) for r in range(0, padded, every)] if two_d else []
        self._in_top.place(top)
        self._in_left.place(left)
        out = self.output_size
        self._out_top.place([(c + 0.5, -0.15, str(c)) for c in range(out)])
        self._out_left.place([(-0.15, r + 0.5, str(r)) for r in range(out)] if two_d else [])

    def _draw(self) -> None:
        two_d = self.mode.value == "2-D"
        cells, box, outputs, current, overflow, crosses = self._cells_2d() if two_d else self._cells_1d()
        self.cells, self.output_cells = cells, outputs  # what is drawn, one RGB value per cell
        self.crosses = crosses  # centres of the × marks on unreached input cells
        _show(self._in_image, self._in_grid, cells)
        _show(self._out_image, self._out_grid, outputs)
        self._label_cells(two_d, cells)
        self._box.set_visible(box is not None)
        if box is not None:
            self._box.set_bounds(*box)
        self._overflow.set_visible(overflow is not None)
        self._overflow_label.set_visible(overflow is not None)
        if overflow is not None:
            self._overflow.set_bounds(*overflow)
            start, row, span, _ = overflow
            self._overflow_label.set_position((start + span + 0.2, row + 0.5))
            self._overflow_label.set_text("does not fit" if self.output_size else "no window fits")
        self._crosses.set_offsets(np.array(crosses, float).reshape(-1, 2))
        padded = self.size.value + 2 * self.padding.value
        self._end.set_data([padded, padded], [0, cells.shape[0]])
        self._end.set_visible(not two_d and cells.shape[1] > padded)
        if current is None:
            output = "no output: the kernel does not fit"
        else:
            out = self.output_size
            size = f"{out}×{out}" if two_d else f"{out}"
            output = f"output: {size}, placement {self.placement.value + 1} of {self.placement_count}"
        self.caption.value = (  # over the figure, as HTML: text is the slowest thing matplotlib draws
            "<div style='display:flex;width:100%;max-width:810px;font-size:90%'>"
            f"<div style='width:63%'>{self._input_caption(two_d)}</div><div>{output}</div></div>"
        )
        self._out_image.set_visible(current is not None)
        self._out_grid.set_visible(current is not None)
        self.legend.value = self._legend_html(two_d)
        self.view.describe(*self._description(two_d))
        self.view.refresh()

    def _input_caption(self, two_d: bool) -> str:
        """One short line over the grid (text is the slowest thing to draw); the key is in ``legend``."""
        n, p = self.size.value, self.padding.value
        if p:
            return f"padded input: {n} + 2·{p} = {n + 2 * p} cells (input cell i is cell i + {p})"
        return f"input: {n} cells, no padding"

    def _named_colours(self, two_d: bool) -> list[tuple]:
        """(colour, mark, name) of every colour the figure can use now, in the legend's order."""
        p = self.padding.value
        named = [(INPUT, "", "output value" if two_d else "input cell (in a window's row: not under its taps); output value")]
        if p:
            named.append((PAD, "", "padding (zeros)" + (", under no placement" if two_d else "")))
            if two_d:
                named.append((PAD_COVERED, "", "padding under a placement"))
        if two_d:
            coverage = self._coverage()
            inside = coverage[p : p + self.size.value, p : p + self.size.value]
            for count in np.unique(inside[inside > 0]).astype(int):
                named.append((self._shade(count, coverage.max()), "", f"input cell under {_plural(count, 'placement')}"))
        else:
            named.append((TAP, "", "tap of a placement"))
        named.append((CURRENT, "", "tap of the current placement" if not two_d else "input cell under the current placement"))
        named.append((UNREACHED, "×", "input cell never reached"))
        if not two_d:
            named.append((OVERFLOW, "/", "next window: does not fit (hatched)"))
            named.append((GHOST, "", "beyond the " + ("padded input" if p else "input")))
        return named

    def _legend_html(self, two_d: bool) -> str:
        """The colour key: every colour the figure shows now (and only those), each with a second cue."""
        colours = np.concatenate([self.cells.reshape(-1, 3), self.output_cells.reshape(-1, 3)])
        drawn = {tuple(int(v) for v in c) for c in np.unique((colours * 255).astype(np.uint8), axis=0)}

        def swatch(colour, mark=""):
            rgb = ",".join(map(str, _rgb(colour)))
            return (f"<span style='display:inline-block;width:1.1em;height:1.1em;background:rgb({rgb});color:#000;border:1px solid #888;"
                    f"vertical-align:middle;text-align:center;line-height:1.1em;font-size:80%'>{mark}</span>")

        items = [f"{swatch(colour, mark)} {name}" for colour, mark, name in self._named_colours(two_d) if _rgb(colour) in drawn]
        if not two_d:
            items.append("dashed line: end of the " + ("padded input" if self.padding.value else "input"))
        items.append("numbers: cell " + ("rows and columns" if two_d else "positions") + ", from 0")
        return "<div style='font-size:90%'>" + " &nbsp; ".join(items) + "</div>"

    def _description(self, two_d: bool):
        """(alt, summary, table) of the figure, with its numbers."""
        n, k, s, p, d = self.parameters
        out, span = self.output_size, self.span
        dims = "2-D" if two_d else "1-D"
        numbers = f"{dims} convolution, n = {n}, k = {k}, s = {s}, p = {p}" + (f", d = {d}" if d != 1 else "")
        unreached = self.unreached
        if not out:
            alt = f"{numbers}: the kernel spans {span} cells but the padded input has {n + 2 * p}, so no window fits."
            return alt, alt, (("window", "start", "end"), [])
        start, end = self.next_window
        per_dim = " per dimension" if two_d else ""
        many = len(unreached) > 1
        if not unreached:
            reached = "every input cell is reached"
        elif two_d:
            reached = f"the input cells in row{'s' if many else ''} or column{'s' if many else ''} {_listing(unreached)} are never reached"
        else:
            reached = f"input cell{'s' if many else ''} {_listing(unreached)} {'are' if many else 'is'} never reached"
        where = "padded coordinates, " if p else ""
        last = "padded cell" if p else "input cell"
        alt = (
            f"{numbers}: {_plural(out, 'window')}{per_dim} at {self._starts()} ({where}span {span}); {reached}; "
            f"the next window, at {start}, would end at {end}, past the last {last} {n + 2 * p - 1}."
        )
        summary = f"{_plural(out, 'window')}{per_dim}; {reached}."
        rows = [(i + 1, i * s, i * s + span - 1) for i in range(out)] + [("next (does not fit)", start, end)]
        return alt, summary, (("window", "start", "end"), rows)

    # -- events ------------------------------------------------------------------------------
    def _on_parameters(self, change=None) -> None:
        self._updating = True
        try:
            last = max(self.placement_count - 1, 0)
            self.play.max = self.placement.max = last
            if self.placement.value > last:
                self.placement.value = last
        finally:
            self._updating = False
        self.workings.value = self._workings_html()
        if self.parameters != self._posed_setting:  # 1-D ↔ 2-D keeps the numbers: the same question
            self._ask()
        self._draw()
        self._reveal()

    def _on_placement(self, change=None) -> None:
        if not self._updating:
            self._draw()

    def _workings_html(self) -> str:
        """The count on this setting's numbers: the taps, the cells, the starts that fit and the one that does not."""
        n, k, s, p, d = self.parameters
        span, padded = self.span, n + 2 * p
        taps = _listing(list(range(0, span, d))) if k <= 5 else f"0, {d}, …, {span - 1}"
        where = "padded input" if p else "input"
        lines = [
            f"taps at {taps} (k = {k}, {d} apart): the kernel spans {_plural(span, 'cell')}",
            f"{where}: cells 0 … {padded - 1}" + (f" ({n} + 2·{p})" if p else ""),
        ]
        if span > padded:
            lines.append(
                f"<span style='color:{WRONG_TEXT}'>the kernel spans {span} cells but the {where} has only {padded}: "
                "no placement fits (PyTorch raises an error)</span>"
            )
        else:
            out = self.output_size
            lines.append(f"windows start at {self._starts()} (every {s}): <b>{_plural(out, 'window')}</b>"
                         + (f", {self.placement_count} placements in 2-D" if self.mode.value == "2-D" else ""))
            start, end = self.next_window
            lines.append(f"next start {start} would end at {end}, past cell {padded - 1}: not computed")
            left = self._left_over()
            if left:
                lines.append(f"{_plural(left, 'cell')} after the last window; another window needs {s} more (one stride)")
            unreached = self.unreached
            if unreached:
                shifted = f" (padded cell{'s' if len(unreached) > 1 else ''} {', '.join(str(i + p) for i in unreached)})" if p else ""
                lines.append(f"<span style='color:{WRONG_TEXT}'>× input cells no placement reaches: "
                             f"{', '.join(map(str, unreached))}{shifted}</span>")
            else:
                lines.append("every input cell is reached")
        return "<div style='font-family:monospace;line-height:1.5;margin-left:1em'>" + "<br>".join(lines) + "</div>"


def conv_explorer(**kwargs) -> ConvExplorer:
    """Build a :class:`ConvExplorer` (keyword arguments: size, kernel, stride, padding, dilation, mode, free_exploration)."""
    return ConvExplorer(**kwargs)


__all__ = ["ConvExplorer", "conv_explorer", "window_starts", "unreached_cells", "DEFAULT"]
