"""The computation graph of one LSTM step, drawn by matplotlib: which arrows carry h and which carry c.

The graph is data (:data:`NODES`, :data:`EDGES`); the figure, its alt text and its table are
all made from that data, so they cannot disagree. Arrows differ by colour AND by line style
(and the legend names them), so the figure does not rely on colour alone:

* cell state c: vermillion, thick, dashed;
* hidden state h: blue, solid;
* x_t and gate values (i, f, o, u): grey, thin, dotted.
"""

from __future__ import annotations

from matplotlib.lines import Line2D

from .figure import FigureView

#: What an arrow carries -> (colour, line width, line style, legend label).
STYLES = {
    "c": ("#bc4c00", 2.6, (0, (5, 2.5)), "carries the cell state c"),
    "h": ("#0969da", 2.0, "-", "carries the hidden state h"),
    "g": ("#57606a", 1.2, ":", "carries x_t or a gate value"),
}

#: name -> (x, y, label, kind): "state" boxes are inputs/outputs, "op" circles are ∘ and +,
#: "gate" boxes compute σ or tanh of W x_t + U h_{t−1}.
NODES = {
    "c_prev": (0.7, 6.0, "$c_{t-1}$", "state"),
    "h_prev": (0.7, 1.3, "$h_{t-1}$", "state"),
    "x": (0.7, 0.3, "$x_t$", "state"),
    "f": (3.0, 3.4, "$f_t=\\sigma(\\cdot)$", "gate"),
    "i": (4.8, 3.4, "$i_t=\\sigma(\\cdot)$", "gate"),
    "u": (6.6, 3.4, "$u_t=\\tanh(\\cdot)$", "gate"),
    "o": (8.4, 3.4, "$o_t=\\sigma(\\cdot)$", "gate"),
    "forget": (3.0, 6.0, "$\\circ$", "op"),
    "write": (5.7, 4.8, "$\\circ$", "op"),
    "add": (5.7, 6.0, "$+$", "op"),
    "squash": (9.9, 4.8, "$\\tanh$", "op"),
    "show": (9.9, 3.4, "$\\circ$", "op"),
    "c": (11.6, 6.0, "$c_t$", "state"),
    "h": (11.6, 3.4, "$h_t$", "state"),
}

#: (from, to, what the arrow carries). The gates read h_{t−1} and x_t; only f_t touches c_{t−1}.
EDGES = (
    ("c_prev", "forget", "c"),
    ("forget", "add", "c"),
    ("add", "c", "c"),
    ("add", "squash", "c"),
    ("h_prev", "f", "h"), ("h_prev", "i", "h"), ("h_prev", "u", "h"), ("h_prev", "o", "h"),
    ("x", "f", "g"), ("x", "i", "g"), ("x", "u", "g"), ("x", "o", "g"),
    ("f", "forget", "g"),
    ("i", "write", "g"),
    ("u", "write", "g"),
    ("write", "add", "g"),
    ("squash", "show", "h"),  # tanh(c_t) is what h_t shows (issue 23 item 7)
    ("o", "show", "g"),
    ("show", "h", "h"),
)

_PLAIN = {"c_prev": "c_{t−1}", "h_prev": "h_{t−1}", "x": "x_t", "f": "forget gate f_t", "i": "input gate i_t",
          "u": "candidate u_t", "o": "output gate o_t", "forget": "product f_t ∘ c_{t−1}", "write": "product i_t ∘ u_t",
          "add": "sum c_t = f_t ∘ c_{t−1} + i_t ∘ u_t", "squash": "tanh(c_t)", "show": "product o_t ∘ tanh(c_t)",
          "c": "c_t", "h": "h_t"}
_CARRIES = {"c": "cell state", "h": "hidden state", "g": "input or gate value"}


def _route(src: str, dst: str) -> list[tuple[float, float]]:
    """The polyline of an arrow: straight, or up from a bus under the gates for the gate inputs."""
    x0, y0, *_ = NODES[src]
    x1, y1, *_ = NODES[dst]
    if src in ("h_prev", "x"):
        lane = x1 - 0.25 if src == "h_prev" else x1 + 0.25  # h and x enter each gate side by side
        return [(x0 + 0.45, y0), (lane, y0), (lane, y1 - 0.32)]
    if src == "add" and dst == "squash":
        return [(x0 + 0.25, y0), (x1, y0), (x1, y1 + 0.25)]
    if src == "write" and dst == "add":
        return [(x0, y0 + 0.25), (x1, y1 - 0.25)]
    if src in ("i", "u"):
        return [(x0, y0 + 0.32), (x0, y1), (x1 - 0.25 if src == "i" else x1 + 0.25, y1)]
    if src == "o":
        return [(x0 + 0.75, y0), (x1 - 0.25, y1)]
    if src == "f":
        return [(x0, y0 + 0.32), (x1, y1 - 0.25)]
    pad0 = 0.45 if NODES[src][3] == "state" else 0.25
    pad1 = 0.45 if NODES[dst][3] == "state" else 0.25
    if y0 == y1:
        return [(x0 + pad0, y0), (x1 - pad1, y1)]
    return [(x0, y0 - pad0 if y1 < y0 else y0 + pad0), (x1, y1 + pad1 if y1 < y0 else y1 - pad1)]


def draw(ax) -> None:
    """Draw the graph of one LSTM step on ``ax`` (data coordinates 0–12 × 0–7)."""
    for src, dst, kind in EDGES:
        colour, width, style, _ = STYLES[kind]
        points = _route(src, dst)
        if len(points) > 2:
            xs, ys = zip(*points[:-1], strict=True)
            ax.plot(xs, ys, color=colour, lw=width, ls=style, solid_capstyle="butt", zorder=1)
        ax.annotate("", xy=points[-1], xytext=points[-2], zorder=2,
                    arrowprops={"arrowstyle": "-|>", "color": colour, "lw": width, "linestyle": style,
                                "shrinkA": 0, "shrinkB": 0, "mutation_scale": 12})
    for x, y, label, kind in NODES.values():
        if kind == "op":
            box = {"boxstyle": "circle,pad=0.15", "facecolor": "white", "edgecolor": "#24292f"}
        elif kind == "gate":
            box = {"boxstyle": "round,pad=0.3", "facecolor": "#f6f8fa", "edgecolor": "#24292f"}
        else:
            box = {"boxstyle": "square,pad=0.3", "facecolor": "white", "edgecolor": "#24292f", "lw": 1.5}
        ax.text(x, y, label, ha="center", va="center", fontsize=9 if "tanh" in label else {"state": 11, "op": 13, "gate": 9}[kind], bbox=box, zorder=3)
    ax.text(6.2, 6.45, "cell state path (top line)", ha="center", va="bottom", fontsize=8, color="#24292f")
    handles = [Line2D([], [], color=c, lw=w, ls=s, label=label) for c, w, s, label in STYLES.values()]
    ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=1.0, fancybox=False, handlelength=3.5)
    ax.set_xlim(0, 12.3)
    ax.set_ylim(-0.2, 7.0)
    ax.set_axis_off()


def alt_text() -> str:
    """What the figure shows, in words, from :data:`EDGES`."""
    by_kind = {kind: [f"{_PLAIN[s]} → {_PLAIN[d]}" for s, d, k in EDGES if k == kind] for kind in STYLES}
    return (
        "Computation graph of one LSTM step. Cell-state arrows (vermillion, dashed): " + "; ".join(by_kind["c"]) + ". "
        "Hidden-state arrows (blue, solid): " + "; ".join(by_kind["h"]) + ". "
        "Input and gate-value arrows (grey, dotted): " + "; ".join(by_kind["g"]) + ". "
        "c_{t−1} reaches only the product with f_t; h_{t−1} reaches only the four gates."
    )


def table() -> tuple:
    """(headers, rows): one row per arrow."""
    return ("from", "to", "carries"), [(_PLAIN[s], _PLAIN[d], _CARRIES[k]) for s, d, k in EDGES]


def lstm_graph_view(width: float = 9.0, height: float = 4.6) -> FigureView:
    """A :class:`FigureView` of the graph, described and rendered."""
    view = FigureView(width, height)
    ax = view.figure.add_axes((0.0, 0.0, 1.0, 1.0))
    draw(ax)
    view.describe(alt_text(), "One LSTM step: c_{t−1} flows along the top line through f_t ∘ c_{t−1} and + to c_t; "
                              "h_{t−1} and x_t feed the four gates; h_t = o_t ∘ tanh(c_t).", table())
    view.refresh()
    return view


def lstm_graph():
    """The figure with its alt text, summary and data-table toggle, for a notebook cell."""
    view = lstm_graph_view()
    return view.widget
