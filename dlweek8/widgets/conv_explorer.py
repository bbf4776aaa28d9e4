"""ConvExplorer: where a convolution's kernel lands, and why the output size has a floor.

Sliders set the input size n, kernel k, stride s, padding p (per side) and dilation d.
The figure shows the padded input with every kernel placement, the input cells no
placement reaches, and the output; a Play control steps through the placements.
The figure is built once; a change updates two images, a rectangle and the titles.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle

from .. import conv
from .figure import FigureView

#: Cell colours (RGB in 0..1).
PAD = np.array([0.83, 0.83, 0.83])
INPUT = np.array([1.0, 1.0, 1.0])
UNREACHED = np.array([0.96, 0.55, 0.55])
TAP = np.array([0.62, 0.79, 0.88])
CURRENT = np.array([0.13, 0.44, 0.71])
OVERFLOW = np.array([0.99, 0.86, 0.84])
GHOST = np.array([0.97, 0.97, 0.97])
GRID = np.array([0.55, 0.55, 0.55])

def _grid_lines(rows: int, cols: int) -> list:
    """Segments of the lines between and around ``rows`` × ``cols`` unit cells."""
    horizontal = [((0, r), (cols, r)) for r in range(rows + 1)]
    vertical = [((c, 0), (c, rows)) for c in range(cols + 1)]
    return horizontal + vertical


def _show(image_artist, grid, cells: np.ndarray) -> None:
    """Put ``cells`` (one RGB value per cell) in ``image_artist``, redraw ``grid`` and fit the axes."""
    rows, cols = cells.shape[:2]
    image_artist.set_data(cells)
    image_artist.set_extent((0, cols, rows, 0))
    grid.set_segments(_grid_lines(rows, cols))
    image_artist.axes.set_xlim(-0.05, cols + 0.05)
    image_artist.axes.set_ylim(rows + 0.05, -0.05)


class ConvExplorer(w.VBox):
    """Sliders for n, k, s, p, d in 1-D or 2-D; attributes ``size``, ``kernel``, ``stride``,
    ``padding``, ``dilation``, ``mode``, ``play`` and ``placement`` are the controls."""

    def __init__(self, size: int = 9, kernel: int = 3, stride: int = 2, padding: int = 1, dilation: int = 1, mode: str = "1-D"):
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
        self.formula = w.HTML()
        self.view = FigureView(width=9.0, height=3.0, dpi=90)
        self._build_figure()
        self._updating = False
        for control in (self.mode, self.size, self.kernel, self.stride, self.padding, self.dilation):
            control.observe(self._on_parameters, names="value")
        self.placement.observe(self._on_placement, names="value")
        controls = w.VBox([self.mode, self.size, self.kernel, self.stride, self.padding, self.dilation, w.HBox([self.play, self.placement])])
        super().__init__([w.HBox([controls, self.formula]), self.view.image])
        self.add_class("dlweek8-conv-explorer")
        self._on_parameters()

    # -- state ---------------------------------------------------------------------------
    @property
    def parameters(self) -> tuple[int, int, int, int, int]:
        return self.size.value, self.kernel.value, self.stride.value, self.padding.value, self.dilation.value

    @property
    def span(self) -> int:
        return conv.effective_kernel(self.kernel.value, self.dilation.value)

    @property
    def output_size(self) -> int:
        """Output size per dimension, 0 when the kernel does not fit the padded input."""
        try:
            return conv.output_size(*self.parameters)
        except ValueError:
            return 0

    @property
    def unreached(self) -> tuple[int, ...]:
        """Input indices (per dimension, 0-based, unpadded) that no kernel tap touches."""
        if not self.output_size:
            return tuple(range(self.size.value))
        return conv.unreached_inputs(*self.parameters)

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

    # -- figure ----------------------------------------------------------------------------
    def _build_figure(self) -> None:
        fig = self.view.figure
        self._ax_in = fig.add_axes((0.02, 0.03, 0.6, 0.78))
        self._ax_out = fig.add_axes((0.68, 0.03, 0.3, 0.78))
        for ax in (self._ax_in, self._ax_out):
            ax.set_axis_off()
            ax.set_anchor("N")  # grids hang just under their captions
        blank = np.ones((1, 1, 3))
        self._in_image = self._ax_in.imshow(blank, interpolation="nearest", origin="upper")
        self._out_image = self._ax_out.imshow(blank, interpolation="nearest", origin="upper")
        self._in_grid = self._ax_in.add_collection(LineCollection([], colors=[GRID], linewidths=0.7))
        self._out_grid = self._ax_out.add_collection(LineCollection([], colors=[GRID], linewidths=0.7))
        self._box = Rectangle((0, 0), 1, 1, fill=False, edgecolor="#08306b", linewidth=2)
        self._ax_in.add_patch(self._box)
        self._in_title = fig.text(0.02, 0.97, "", fontsize=8, va="top")
        self._out_title = fig.text(0.68, 0.97, "", fontsize=8, va="top")

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
        following = out * s  # where the next, impossible, window would start
        width = max(padded, following + span) if out else max(padded, span)
        cells = np.tile(GHOST, (out + 2, width, 1))
        cells[0] = self._input_row(width)
        for i in range(out):
            cells[i + 1, : padded] = INPUT
            cells[i + 1, self._taps(i * s)] = CURRENT if i == self.placement.value else TAP
        last = out + 1
        cells[last, : padded] = INPUT
        start = following if out else 0
        taps = self._taps(start)
        cells[last, taps] = OVERFLOW
        cells[last, taps[taps < padded]] = UNREACHED
        outputs = np.tile(INPUT, (1, max(out, 1), 1))
        if not out:
            return cells, None, outputs, None
        outputs[0, self.placement.value] = CURRENT
        return cells, (self.placement.value * s, self.placement.value + 1, span, 1), outputs, (0, self.placement.value)

    def _cells_2d(self):
        n, k, s, p, d = self.parameters
        padded, out, span = n + 2 * p, self.output_size, self.span
        cells = np.tile(PAD, (padded, padded, 1))
        cells[p : p + n, p : p + n] = INPUT
        line = np.zeros(padded)
        for start in range(0, out * s, s):
            line[self._taps(start)] += 1
        coverage = np.outer(line, line)  # how many placements touch each cell
        touched = coverage > 0
        strength = (0.35 + 0.65 * coverage / max(coverage.max(), 1))[..., None]
        cells = np.where(touched[..., None], cells * (1 - strength) + TAP * strength, cells)
        unreached = np.zeros((padded, padded), bool)
        unreached[p : p + n, p : p + n] = ~touched[p : p + n, p : p + n]
        cells[unreached] = UNREACHED
        outputs = np.tile(INPUT, (max(out, 1), max(out, 1), 1))
        if not out:
            return cells, None, outputs, None
        row, col = divmod(self.placement.value, out)
        taps_r, taps_c = self._taps(row * s), self._taps(col * s)
        cells[np.ix_(taps_r, taps_c)] = CURRENT
        outputs[row, col] = CURRENT
        return cells, (col * s, row * s, span, span), outputs, (row, col)

    def _draw(self) -> None:
        two_d = self.mode.value == "2-D"
        cells, box, outputs, current = self._cells_2d() if two_d else self._cells_1d()
        self.cells, self.output_cells = cells, outputs  # what is drawn, one RGB value per cell
        _show(self._in_image, self._in_grid, cells)
        _show(self._out_image, self._out_grid, outputs)
        self._box.set_visible(box is not None)
        if box is not None:
            self._box.set_bounds(*box)
        self._in_title.set_text(self._input_caption(two_d))
        self._out_image.set_visible(current is not None)
        self._out_grid.set_visible(current is not None)
        if current is None:
            self._out_title.set_text("no output:\nthe kernel does not fit")
        else:
            out = self.output_size
            size = f"{out}×{out}" if two_d else f"{out}"
            self._out_title.set_text(f"output: {size}\nplacement {self.placement.value + 1} of {self.placement_count}")
        self.view.refresh()

    def _input_caption(self, two_d: bool) -> str:
        n, k, s, p, d = self.parameters
        first = f"padded input: {n} + 2·{p} = {n + 2 * p} cells (grey: padding, red: unreached)"
        if not self.output_size:
            return f"{first}\nthe kernel spans {self.span} cells: no placement fits"
        if two_d:
            return f"{first}\nblue: cells under a placement (darker: more); dark: current"
        return f"{first}\nrows: each placement (dark: current); last: next, does not fit"

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
        self.formula.value = self._formula_html()
        self._draw()

    def _on_placement(self, change=None) -> None:
        if not self._updating:
            self._draw()

    def _formula_html(self) -> str:
        n, k, s, p, d = self.parameters
        span, padded = self.span, n + 2 * p
        lines = [
            "<b>out = ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1</b>",
            f"= ⌊({n} + 2·{p} − {d}·({k} − 1) − 1) / {s}⌋ + 1",
        ]
        if span > padded:
            lines.append(
                f"<span style='color:#cf222e'>the kernel spans {span} cells but the padded input has only {padded}: "
                "no placement fits (PyTorch raises an error)</span>"
            )
        else:
            top = padded - span
            out = top // s + 1
            lines.append(f"= ⌊{top} / {s}⌋ + 1 = {top // s} + 1 = <b>{out}</b>")
            lines.append(f"kernel span d(k − 1) + 1 = {span}; {self.placement_count} placement{'s' if self.placement_count != 1 else ''}")
            unreached = self.unreached
            if top % s:
                lines.append(
                    f"{top} is not a multiple of {s}: the last window ends {top % s} cell{'s' if top % s > 1 else ''} "
                    "before the end, too few for another stride, so floor drops the fraction"
                )
            if unreached:
                lines.append(f"<span style='color:#b42318'>input cells no placement reaches: {', '.join(map(str, unreached))}</span>")
            else:
                lines.append("every input cell is reached")
        return "<div style='font-family:monospace;line-height:1.5;margin-left:1em'>" + "<br>".join(lines) + "</div>"


def conv_explorer(**kwargs) -> ConvExplorer:
    """Build a :class:`ConvExplorer` (keyword arguments: size, kernel, stride, padding, dilation, mode)."""
    return ConvExplorer(**kwargs)


__all__ = ["ConvExplorer", "conv_explorer"]
