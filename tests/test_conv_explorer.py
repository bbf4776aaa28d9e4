"""ConvExplorer: slider changes redraw the figure, and it shows the right placements and unreached cells."""

import numpy as np
import pytest

from dlweek8.widgets import conv_explorer as cx
from dlweek8.widgets.conv_explorer import ConvExplorer


def png_changes(explorer, change) -> bool:
    before, renders = explorer.view.png_shown, explorer.view.renders
    change()
    return explorer.view.png_shown != before and explorer.view.renders > renders


def test_builds_a_png_in_the_figure_widget():
    e = ConvExplorer()
    assert e.view.png_shown.startswith(b"\x89PNG")
    assert "dlweek8-figure" in e.view._picture._dom_classes
    assert e.view.figure is e._in_image.axes.figure  # one figure, built once


@pytest.mark.parametrize("name, value", [("size", 12), ("kernel", 4), ("stride", 3), ("padding", 2), ("dilation", 2), ("mode", "2-D")])
def test_every_control_redraws(name, value):
    e = ConvExplorer(size=9, kernel=3, stride=2, padding=1, dilation=1)
    figure = e.view.figure
    assert png_changes(e, lambda: setattr(getattr(e, name), "value", value))
    assert e.view.figure is figure


@pytest.mark.parametrize(
    "params, out, unreached",
    [
        ((7, 3, 2, 0, 1), 3, ()),
        ((8, 3, 2, 0, 1), 3, (7,)),
        ((10, 2, 3, 0, 1), 3, (2, 5, 8, 9)),
        ((5, 2, 1, 0, 3), 2, (2,)),
        ((12, 3, 3, 1, 1), 4, (11,)),
        ((19, 7, 3, 0, 1), 5, ()),
    ],
)
@pytest.mark.parametrize("mode", ["1-D", "2-D"])
def test_output_size_and_unreached_cells(params, out, unreached, mode):
    n, k, s, p, d = params
    e = ConvExplorer(size=n, kernel=k, stride=s, padding=p, dilation=d, mode=mode)
    assert e.output_size == out and e.unreached == unreached
    assert e.placement_count == (out * out if mode == "2-D" else out)
    reached_row = p + min(set(range(n)) - set(unreached))
    drawn = e.cells[0] if mode == "1-D" else e.cells[reached_row]  # the input row / a reached row in 2-D
    red = [i - p for i in range(n + 2 * p) if np.allclose(drawn[i], cx.UNREACHED)]
    assert tuple(red) == unreached
    if mode == "1-D":
        # one row per placement with k taps each, d apart, then the window that does not fit
        for i in range(out):
            taps = np.flatnonzero(np.all(np.isclose(e.cells[i + 1], cx.TAP) | np.isclose(e.cells[i + 1], cx.CURRENT), axis=1))
            assert list(taps) == [i * s + j * d for j in range(k)]
        assert e.cells.shape[0] == out + 2
        overflow = np.flatnonzero(np.all(np.isclose(e.cells[-1], cx.OVERFLOW), axis=1))
        assert list(overflow) == [out * s + j * d for j in range(k)]
    else:
        assert e.output_cells.shape[:2] == (out, out)
    assert f"<b>{out}</b>" in e.formula.value
    assert f"⌊({n} + 2·{p} − {d}·({k} − 1) − 1) / {s}⌋ + 1" in e.formula.value


def test_formula_explains_the_floor():
    e = ConvExplorer(size=8, kernel=3, stride=2, padding=0)
    assert "5 is not a multiple of 2" in e.formula.value
    assert "input cells no placement reaches: 7" in e.formula.value
    e.size.value = 7
    assert "every input cell is reached" in e.formula.value


def test_a_kernel_that_does_not_fit_is_explained_not_raised():
    e = ConvExplorer(size=3, kernel=3, stride=1, padding=0)
    assert png_changes(e, lambda: setattr(e.kernel, "value", 5))
    assert e.output_size == 0 and e.placement_count == 0 and e.current is None
    assert "no placement fits" in e.formula.value
    e.mode.value = "2-D"
    assert e.output_size == 0


@pytest.mark.parametrize("mode", ["1-D", "2-D"])
def test_play_steps_through_the_placements(mode):
    e = ConvExplorer(size=9, kernel=3, stride=2, padding=1, mode=mode)
    out = e.output_size
    assert e.play.max == e.placement.max == e.placement_count - 1
    seen = []
    for step in range(e.placement_count):
        if step:
            assert png_changes(e, lambda step=step: setattr(e.play, "value", step))
        assert e.placement.value == step
        seen.append(e.current)
    if mode == "1-D":
        assert seen == [i * 2 for i in range(out)]
        assert np.allclose(e.output_cells[0, out - 1], cx.CURRENT)
    else:
        assert seen == [(r * 2, c * 2) for r in range(out) for c in range(out)]
        assert np.allclose(e.output_cells[out - 1, out - 1], cx.CURRENT)


def test_the_placement_is_clamped_when_the_output_shrinks():
    e = ConvExplorer(size=16, kernel=3, stride=1, padding=0)
    e.play.value = 13
    e.size.value = 5
    assert e.placement.value == e.play.value == e.placement_count - 1 == 2


# -- issue 8 §6: a default where floor does something, colours that do not contradict each other ---------
def test_the_default_has_a_leftover_that_floor_drops():
    e = ConvExplorer()
    n, k, s, p, d = e.parameters
    assert (n + 2 * p - e.span) % s != 0 and e.unreached
    assert "is not a multiple of" in e.formula.value


def is_colour(cells, colour):
    return np.all(np.isclose(cells, colour), axis=-1)


@pytest.mark.parametrize("params", [(7, 3, 2, 0, 1), (8, 3, 2, 0, 1), (10, 4, 3, 1, 1), (12, 2, 4, 1, 1), (9, 3, 1, 1, 2)])
@pytest.mark.parametrize("mode", ["1-D", "2-D"])
def test_unreached_and_not_fitting_have_their_own_colours_and_marks(params, mode):
    n, k, s, p, d = params
    e = ConvExplorer(size=n, kernel=k, stride=s, padding=p, dilation=d, mode=mode)
    assert not np.allclose(cx.UNREACHED, cx.OVERFLOW)
    unreached_drawn = is_colour(e.cells, cx.UNREACHED)
    if mode == "1-D":
        assert not unreached_drawn[1:].any()  # only the input row marks unreached cells
        assert e._overflow.get_visible() and e._overflow.get_hatch()
    assert len(e.crosses) == int(unreached_drawn.sum())  # each unreached cell is marked ×, not only coloured
    # the side panel and the figure agree
    assert ("every input cell is reached" in e.formula.value) == (not unreached_drawn.any())
    assert ("never reached" in e.legend.value) == bool(unreached_drawn.any())


def test_padding_is_named_only_when_there_is_padding():
    e = ConvExplorer(size=7, kernel=3, stride=2, padding=0)
    assert "padding" not in e.legend.value and "no padding" in e.caption.value
    assert not is_colour(e.cells[0], cx.PAD).any()  # cells beyond the input are not drawn as padding
    e.padding.value = 1
    assert "padding" in e.legend.value and is_colour(e.cells[0], cx.PAD).sum() == 2


# -- it asks first --------------------------------------------------------------------------------
def test_it_asks_for_a_prediction_before_the_sliders_move():
    e = ConvExplorer(size=8, kernel=3, stride=2, padding=0)
    assert "how many windows" in e.question.value and "appear" in e.question.value
    assert all(c.disabled for c in (e.size, e.kernel, e.stride, e.padding, e.dilation, e.mode))
    shown = [child for child in e.children if child.layout.display != "none"]  # what gives the count away is hidden
    assert shown == [e.children[0], e.children[1]] and e.children[1].children[1] is e.formula and e.formula.layout.display == "none"
    assert e.legend in e.answer_shown and any(e.view.widget in getattr(w, "children", ()) for w in e.answer_shown)
    assert e.judge_prediction() is None and "Choose" in e.verdict.value
    assert e.formula.layout.display == "none", "choosing nothing reveals nothing"
    assert 3 in [v for _, v in e.guess.options]
    e.guess.value = 4
    assert e.judge_prediction() is False
    assert "Not quite" in e.verdict.value and "The windows start at 0, 2 and 4;" in e.verdict.value and "1 cell left over" in e.verdict.value
    assert not any(c.disabled for c in (e.size, e.kernel, e.stride, e.padding, e.dilation, e.mode))
    assert all(widget.layout.display is None for widget in e.answer_shown) and "appear" not in e.question.value
    e.size.value = 9  # a new question for the new numbers
    assert e.guess.value is None and "n = 9" in e.question.value
    e.guess.value = 4
    assert e.judge_prediction() is True and "Right" in e.verdict.value


# -- it says what it shows, with numbers ----------------------------------------------------------------
def test_it_describes_the_figure_with_its_numbers():
    e = ConvExplorer(size=8, kernel=3, stride=2, padding=0)
    assert e.view.alt == (
        "1-D convolution, n = 8, k = 3, s = 2, p = 0: 3 windows at 0, 2 and 4 (span 3); input cell 7 is never reached; "
        "the next window, at 6, would end at 8, past the last input cell 7."
    )
    headers, rows = e.view.table
    assert headers == ("window", "start", "end") and rows[-1] == ("next (does not fit)", 6, 8)
    e.size.value = 7
    assert "every input cell is reached" in e.view.alt and "n = 7" in e.view.alt
    e.mode.value = "2-D"
    assert e.view.alt.startswith("2-D convolution, n = 7") and "per dimension" in e.view.alt


def test_it_lays_out_the_view_widget_under_its_caption():
    e = ConvExplorer()
    figure = e.children[-1]
    assert figure.children == (e.caption, e.view.widget)
    assert "padded input: 10 + 2·1 = 12 cells" in e.caption.value and "output: 3, placement 1 of 3" in e.caption.value
