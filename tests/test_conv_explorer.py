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
    assert f"<b>{out} window{'' if out == 1 else 's'}</b>" in e.workings.value


def test_the_workings_count_on_the_numbers_and_say_what_is_left_over():
    e = ConvExplorer(size=8, kernel=3, stride=2, padding=0)
    assert "windows start at 0, 2 and 4 (every 2)" in e.workings.value
    assert "next start 6 would end at 8, past cell 7" in e.workings.value
    assert "1 cell after the last window; another window needs 2 more" in e.workings.value
    assert "input cells no placement reaches: 7" in e.workings.value
    e.size.value = 7
    assert "every input cell is reached" in e.workings.value and "after the last window" not in e.workings.value
    e.padding.value, e.kernel.value, e.stride.value, e.size.value = 1, 2, 3, 9  # input cell i is padded cell i + 1
    assert "reaches: 1, 4, 7 (padded cells 2, 5, 8)" in e.workings.value


def test_a_kernel_that_does_not_fit_is_explained_not_raised():
    e = ConvExplorer(size=3, kernel=3, stride=1, padding=0)
    assert png_changes(e, lambda: setattr(e.kernel, "value", 5))
    assert e.output_size == 0 and e.placement_count == 0 and e.current is None
    assert "no placement fits" in e.workings.value
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
    assert "after the last window" in e.workings.value


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
    assert ("every input cell is reached" in e.workings.value) == (not unreached_drawn.any())
    assert ("never reached" in e.legend.value) == bool(unreached_drawn.any())


def test_padding_is_named_only_when_there_is_padding():
    e = ConvExplorer(size=7, kernel=3, stride=2, padding=0)
    assert "padding" not in e.legend.value and "no padding" in e.caption.value
    assert not is_colour(e.cells[0], cx.PAD).any()  # cells beyond the input are not drawn as padding
    e.padding.value = 1
    assert "padding" in e.legend.value and is_colour(e.cells[0], cx.PAD).sum() == 2


# -- it asks first, on every setting (issue 23 item 6) ----------------------------------------------
SLIDERS = ("size", "kernel", "stride", "padding", "dilation", "mode")


def count_visible(e) -> bool:
    """Whether anything that shows the count is on screen (the workings, legend, figure or stepper)."""
    return any(widget.layout.display != "none" for widget in e.answer_shown)


def test_it_asks_for_a_prediction_before_the_sliders_move():
    e = ConvExplorer(size=8, kernel=3, stride=2, padding=0)
    assert "how many windows" in e.question.value and "unlock" in e.question.value
    assert all(getattr(e, name).disabled for name in SLIDERS)
    shown = [child for child in e.children if child.layout.display != "none"]  # what gives the count away is hidden
    assert shown[:2] == [e.children[0], e.free_exploration] and not count_visible(e)
    assert e.workings in e.answer_shown and e.legend in e.answer_shown and e._stepper in e.answer_shown
    assert any(e.view.widget in getattr(w, "children", ()) for w in e.answer_shown)
    assert e.judge_prediction() is None and "Choose" in e.verdict.value
    assert not count_visible(e), "choosing nothing reveals nothing"
    assert 3 in [v for _, v in e.guess.options]
    e.guess.value = 4
    assert e.judge_prediction() is False
    assert "Not quite" in e.verdict.value and "The windows start at 0, 2 and 4;" in e.verdict.value and "1 cell after the last window" in e.verdict.value
    assert not any(getattr(e, name).disabled for name in SLIDERS)
    assert all(widget.layout.display is None for widget in e.answer_shown) and "unlock" not in e.question.value


def test_every_new_setting_hides_the_count_until_its_own_prediction_is_checked():
    e = ConvExplorer(size=8, kernel=3, stride=2, padding=0)
    e.guess.value = 3
    assert e.judge_prediction() is True and count_visible(e)
    for name, value, letter in (("size", 9, "n"), ("kernel", 2, "k"), ("stride", 3, "s"), ("padding", 1, "p"), ("dilation", 2, "d")):
        getattr(e, name).value = value
        assert not count_visible(e), f"after {name} = {value} the count shows before a prediction"
        assert e.guess.value is None and e.verdict.value == "" and f"{letter} = {value}" in e.question.value
        assert "New numbers, new prediction" in e.question.value
        assert not getattr(e, name).disabled  # the sliders stay free: only the answer waits
        e.placement.value = 0  # stepping through placements reveals nothing either
        assert not count_visible(e)
        e.guess.value = next(v for _, v in e.guess.options if v != e.output_size)
        e.check_guess.click()  # a wrong prediction, checked, shows the count too
        assert count_visible(e) and "Not quite" in e.verdict.value and "New numbers" not in e.question.value
    verdict = e.verdict.value
    e.mode.value = "2-D"  # the same numbers: the count per dimension is the one just checked
    assert count_visible(e) and e.verdict.value == verdict and "New numbers" not in e.question.value


def test_free_exploration_shows_the_count_always_and_asks_nothing():
    e = ConvExplorer(size=8, kernel=3, stride=2, padding=0)
    e.free_exploration.value = True
    assert count_visible(e) and all(widget.layout.display is None for widget in e.answer_shown)
    assert e._prediction_box.layout.display == "none" and not any(getattr(e, name).disabled for name in SLIDERS)
    for name, value in (("size", 11), ("stride", 3), ("mode", "2-D")):
        getattr(e, name).value = value
        assert count_visible(e)
    e.free_exploration.value = False  # back to predicting: this setting has no checked prediction yet
    assert not count_visible(e) and e._prediction_box.layout.display is None
    assert ConvExplorer(free_exploration=True).count_shown


# -- the count is enumerated, never the graded closed formula (issue 22 item 3) ---------------------
def test_the_explorer_does_not_use_the_graded_formulas(monkeypatch):
    from dlweek8 import conv

    for name in ("output_size", "input_sizes", "op_count", "receptive_field", "param_count", "unfold_shape",
                 "effective_kernel", "unreached_inputs", "placements"):
        if hasattr(conv, name):
            monkeypatch.delattr(conv, name)
    e = ConvExplorer(size=9, kernel=3, stride=2, padding=1, dilation=2)
    for name, value in (("size", 12), ("mode", "2-D"), ("stride", 1)):
        getattr(e, name).value = value
    assert e.output_size == len(range(0, 12 + 2 - 5 + 1, 1))


@pytest.mark.parametrize("n", range(1, 14))
@pytest.mark.parametrize("k, s, p, d", [(1, 1, 0, 1), (3, 1, 1, 1), (3, 2, 0, 1), (4, 3, 1, 1), (2, 3, 0, 1), (3, 2, 2, 2), (5, 4, 3, 1), (3, 3, 0, 3)])
def test_counts_and_unreached_cells_match_pytorch(n, k, s, p, d):
    """The windows are what F.conv1d computes, and the unreached cells are those whose gradient is exactly 0."""
    import torch
    import torch.nn.functional as F

    x = torch.ones(1, 1, n, requires_grad=True)
    weight = torch.ones(1, 1, k)
    if n + 2 * p < d * (k - 1) + 1:
        assert cx.window_starts(n, k, s, p, d) == [] and cx.unreached_cells(n, k, s, p, d) == tuple(range(n))
        return
    out = F.conv1d(x, weight, stride=s, padding=p, dilation=d)
    out.sum().backward()
    assert len(cx.window_starts(n, k, s, p, d)) == out.shape[-1]
    assert cx.unreached_cells(n, k, s, p, d) == tuple(int(i) for i in torch.nonzero(x.grad[0, 0] == 0).flatten())


def test_no_text_of_the_explorer_gives_the_general_formula():
    """Issue 23 item 5: Exercise 1, after the explorer, asks for the formula; the explorer counts on examples."""
    for params in ((10, 4, 3, 1, 1), (8, 3, 2, 0, 1), (9, 3, 1, 1, 2), (3, 5, 1, 0, 1)):
        e = ConvExplorer(*params, free_exploration=True)
        e.guess.value = e.guess.options[0][1]
        e.judge_prediction()
        for mode in ("1-D", "2-D"):
            e.mode.value = mode
            texts = (e.workings.value, e.verdict.value, e.question.value, e.legend.value, e.caption.value, e.view.alt, e.view.summary)
            for text in texts:
                assert "⌊" not in text and "floor" not in text and "/ s" not in text and "d(k − 1)" not in text, text


# -- cell numbers, padding's own colour in 2-D, every shade in the legend (issue 23 item 7) -----------
def legend_colours(e) -> set:
    import re

    return {tuple(int(v) for v in m.split(",")) for m in re.findall(r"background:rgb\(([\d,]+)\)", e.legend.value)}


@pytest.mark.parametrize("params", [(10, 4, 3, 1, 1), (8, 3, 2, 0, 1), (9, 3, 1, 1, 2), (12, 2, 4, 2, 1), (7, 3, 1, 3, 3), (3, 5, 1, 0, 1), (16, 3, 2, 1, 1)])
@pytest.mark.parametrize("mode", ["1-D", "2-D"])
def test_the_legend_names_every_shade_the_figure_draws_and_no_other(params, mode):
    e = ConvExplorer(*params, mode=mode, free_exploration=True)
    for placement in sorted({0, e.placement.max}):
        e.placement.value = placement
        drawn = {tuple(int(v) for v in c) for c in (np.concatenate([e.cells.reshape(-1, 3), e.output_cells.reshape(-1, 3)]) * 255).astype(np.uint8)}
        assert drawn == legend_colours(e), (drawn ^ legend_colours(e))


@pytest.mark.parametrize("params", [(10, 4, 3, 1, 1), (9, 3, 1, 2, 2), (6, 3, 1, 1, 1)])
def test_padding_has_its_own_colours_in_2d_even_under_placements(params):
    n, k, s, p, d = params
    e = ConvExplorer(*params, mode="2-D", free_exploration=True)
    padding = np.ones(e.cells.shape[:2], bool)
    padding[p : p + n, p : p + n] = False
    input_colours = {tuple(c) for c in e.cells[~padding].round(6)}
    padding_colours = {tuple(c) for c in e.cells[padding].round(6)}
    assert padding_colours <= {tuple(cx.PAD.round(6)), tuple(cx.PAD_COVERED.round(6))}
    assert tuple(cx.PAD_COVERED.round(6)) in padding_colours  # the windows cover some padding
    assert not input_colours & padding_colours
    for placement in range(e.placement_count):  # the current window over padding keeps it padding-coloured
        e.placement.value = placement
        assert {tuple(c) for c in e.cells[padding].round(6)} <= padding_colours | {tuple(cx.PAD.round(6))}


@pytest.mark.parametrize("mode", ["1-D", "2-D"])
def test_cells_are_numbered_in_padded_coordinates(mode):
    e = ConvExplorer(size=10, kernel=4, stride=3, padding=1, mode=mode, free_exploration=True)
    columns = e.cells.shape[1]
    assert e._in_top.texts == [str(i) for i in range(columns)]
    np.testing.assert_allclose(e._in_top.collection.get_offsets()[:, 0], np.arange(columns) + 0.5)  # over the cell centres
    assert (e._in_top.collection.get_offsets()[:, 1] < 0).all()  # above the first row
    assert e._in_left.texts == ([str(i) for i in range(12)] if mode == "2-D" else [])
    assert e._out_top.texts == ["0", "1", "2"] and e._out_left.texts == (["0", "1", "2"] if mode == "2-D" else [])
    assert "input cell i is cell i + 1" in e.caption.value
    e.size.value = 20  # 22 padded cells: every second number
    assert e._in_top.texts[:3] == ["0", "2", "4"]
    assert e._in_top._font.get_size_in_points() * e.view.figure.dpi / 72 >= 10


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
