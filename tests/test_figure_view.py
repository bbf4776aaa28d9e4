"""FigureView: the fast refresh (cached background + animated artists) shows the same picture as a full draw."""

import io

import numpy as np
import pytest
from PIL import Image

from dlweek8.widgets import figure as figure_module
from dlweek8.widgets.figure import FigureView
from helpers.pictures import TOLERANCE, assert_same_picture, mismatches, pixels, rim_mask

X = np.linspace(0.0, 10.0, 200)


def wave(phase: float) -> np.ndarray:
    return 1.8 * np.sin(X + phase)


def plot(view: FigureView, phase: float, title="waves", animate=True):
    """A line passing under an opaque legend, a changing text, a static reference line."""
    ax = view.figure.subplots()
    (line,) = ax.plot(X, wave(phase), color="#0969da", lw=2, label="sin")
    ax.axhline(0.0, color="#6e7781", lw=0.8, zorder=1)  # static, under the line, as in a full draw
    ax.set_xlim(0, 10)
    ax.set_ylim(-2, 2)
    ax.set_title(title)
    legend = ax.legend(loc="upper right", framealpha=1.0, fancybox=False)
    text = ax.text(0.02, 0.05, f"phase {phase:g}", transform=ax.transAxes)
    if animate:
        view.animate(line, text, *ax.spines.values())
        view.keep_on_top(legend)
    return ax, line, text, legend


def picture_of(phase: float, title="waves") -> bytes:
    """An independent full draw of the plot at ``phase``, with nothing animated."""
    view = FigureView(6, 3)
    plot(view, phase, title, animate=False)
    return view.png()


def move(line, text, phase: float) -> None:
    line.set_ydata(wave(phase))
    text.set_text(f"phase {phase:g}")


@pytest.fixture
def animated():
    view = FigureView(6, 3)
    ax, line, text, legend = plot(view, 0.0)
    view.refresh()
    return view, ax, line, text, legend


def test_fast_refresh_draws_only_the_animated_artists_and_matches_a_full_draw(animated):
    view, ax, line, text, legend = animated
    assert view.full_renders == view.renders == 1
    for phase in (1.0, 2.5, 4.0):
        move(line, text, phase)
        view.refresh(full=False)
        assert view.full_renders == 1 and view.renders > 1  # the background was reused
        assert_same_picture(view, [legend])
        assert mismatches(view.png_shown, picture_of(phase), view, [legend]) == 0


def test_the_change_is_visible_and_the_old_curve_is_gone(animated):
    view, ax, line, text, legend = animated
    before = view.png_shown
    move(line, text, 3.0)
    view.refresh(full=False)
    after = pixels(view.png_shown)
    assert mismatches(view.png_shown, before) > 500  # the curve and text moved
    old, new = pixels(picture_of(0.0)), pixels(picture_of(3.0))
    only_old = (np.abs(old - new).max(axis=-1) > 60) & (new.min(axis=-1) > 240)  # curve then, white now
    assert only_old.sum() > 200
    assert after[only_old].min() > 240  # no trace of the old curve left


def test_the_legend_stays_above_the_curve(animated):
    view, ax, line, text, legend = animated
    move(line, text, 1.5)  # the wave's crest now runs under the legend
    view.refresh(full=False)
    box = rim_mask(view, [legend], pixels(view.png_shown).shape)
    inside = pixels(view.png_shown)
    renderer = view.canvas.get_renderer()
    x0, y0, x1, y1 = legend.get_window_extent(renderer).extents
    height = inside.shape[0]
    region = inside[int(height - y1) + 3:int(height - y0) - 3, int(x0) + 3:int(x1) - 3]
    reference = pixels(picture_of(1.5))[int(height - y1) + 3:int(height - y0) - 3, int(x0) + 3:int(x1) - 3]
    np.testing.assert_allclose(region, reference, atol=TOLERANCE)
    assert box.any()


def test_a_stale_background_is_caught_and_a_full_refresh_fixes_it(animated):
    view, ax, line, text, legend = animated
    ax.set_ylim(-4, 4)  # a static change: new ticks, so the cached background is stale
    view.refresh(full=False)
    assert mismatches(view.png_shown, view.png(), view, [legend]) > 100
    view.refresh()
    assert view.full_renders == 2
    assert_same_picture(view, [legend])


def test_a_full_refresh_pastes_the_kept_legend_instead_of_laying_it_out_again(animated, monkeypatch):
    """Kept-on-top artists do not change: later full draws at the same size paste their first pixels."""
    view, ax, line, text, legend = animated
    painted = []
    original = legend.draw
    monkeypatch.setattr(legend, "draw", lambda renderer: (painted.append(legend.get_visible()), original(renderer))[1])
    for limits, phase in (((-4, 4), 2.0), ((-3, 3), 1.5)):
        ax.set_ylim(*limits)
        move(line, text, phase)
        before = painted.count(True)
        view.refresh()
        assert painted.count(True) == before, "the full refresh laid the legend out again"
        assert_same_picture(view, [legend])  # what a real full draw shows, legend included


def test_a_kept_legend_hidden_or_shown_again_is_drawn_as_it_is_now(animated):
    view, ax, line, text, legend = animated
    for visible in (False, True):
        legend.set_visible(visible)
        view.refresh()
        assert_same_picture(view, [legend] if visible else [])
        move(line, text, 2.0 if visible else 1.0)
        view.refresh(full=False)
        assert_same_picture(view, [legend] if visible else [])


def test_without_animated_artists_every_refresh_is_a_full_draw():
    view = FigureView(6, 3)
    ax, line, text, legend = plot(view, 0.0, animate=False)
    view.refresh(full=False)
    ax.set_title("changed")
    view.refresh(full=False)
    assert view.full_renders == view.renders == 2
    assert mismatches(view.png_shown, picture_of(0.0, "changed")) == 0
    assert mismatches(view.png_shown, picture_of(0.0)) > 0


def test_the_image_has_the_figure_natural_pixel_size():
    view = FigureView(7.0, 3.5, dpi=80)
    plot(view, 0.0)
    view.refresh()
    assert Image.open(io.BytesIO(view.png_shown)).size == (560, 280)
    assert 'width="560" height="280"' in view._picture.value


def test_skip_render_leaves_the_image_empty(monkeypatch):
    monkeypatch.setattr(figure_module, "SKIP_RENDER", True)
    view = FigureView(6, 3)
    plot(view, 0.0)
    view.refresh()
    view.refresh(full=False)
    assert view.png_shown == b"" and view.renders == 0


# -- the text equivalent: alt text, live summary, data table -------------------------------------

def shown_img(view: FigureView):
    """(alt, png bytes) of the <img> that ``view.widget`` shows."""
    from html.parser import HTMLParser
    import base64

    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "img":
                found.append(dict(attrs))

    Parser().feed(view._picture.value)
    assert len(found) == 1, view._picture.value[:200]
    src = found[0]["src"]
    assert src.startswith("data:image/png;base64,")
    return found[0]["alt"], base64.b64decode(src.split(",", 1)[1])


def described(view: FigureView, line, text, phase: float) -> None:
    move(line, text, phase)
    view.describe(f'Sine wave, phase {phase:g} "rad" <shifted>', f"phase {phase:g}",
                  (("x", "sin(x + phase)"), [(round(x, 2), round(float(y), 3)) for x, y in zip(X[:3], wave(phase)[:3], strict=True)]))
    view.refresh(full=False)


def test_the_widget_shows_the_same_png_with_the_described_alt_text_and_summary(animated):
    view, ax, line, text, legend = animated
    described(view, line, text, 2.0)
    alt, png = shown_img(view)
    assert alt == 'Sine wave, phase 2 "rad" <shifted>'  # escaped in the HTML, intact for the reader
    assert png == view.png_shown  # the picture sent is the one the checks compare
    assert_same_picture(view, [legend])
    assert view._summary.value == "phase 2"
    assert view._picture in view.widget.children and view._summary in view.widget.children
    described(view, line, text, 3.0)
    assert shown_img(view)[0] == 'Sine wave, phase 3 "rad" <shifted>' and view._summary.value == "phase 3"
    assert 'width="480" height="240"' in view._picture.value  # natural size, no layout jump


def test_without_a_description_the_alt_text_falls_back_to_titles_and_the_summary_to_the_alt(animated):
    view, *_ = animated
    assert shown_img(view)[0] == "Figure: waves"
    view.describe("Only an alt text")
    view.refresh()
    assert view._summary.value == "Only an alt text"
    assert FigureView(2, 2).alt_text() == "Figure (not described)"


def test_the_data_table_is_built_only_while_shown(animated):
    view, ax, line, text, legend = animated
    described(view, line, text, 1.0)
    assert view.table_builds == 0 and view._table.value == "" and view._table.layout.display == "none"
    view._table_button.click()
    assert view.table_shown and view._table.layout.display is None
    assert view._table_button.description == "Hide the data table"
    table = view._table.value
    assert '<th scope="col"' in table and ">sin(x + phase)</th>" in table and "<caption" in table
    assert f"<td style=\"text-align:right;padding:2px 8px\">{round(float(wave(1.0)[0]), 3)}</td>" in table
    described(view, line, text, 2.0)  # shown: follows the slider
    assert view.table_builds == 2 and f">{round(float(wave(2.0)[0]), 3)}<" in view._table.value
    view._table_button.click()
    described(view, line, text, 3.0)  # hidden again: not rebuilt
    assert view.table_builds == 2 and view._table.value == "" and view._table_button.description == "Show data as a table"


def test_table_cells_are_escaped_and_an_empty_table_says_so():
    from dlweek8.widgets.figure import table_html

    assert "<td" in table_html(("a", "b"), []) and "no data" in table_html(("a", "b"), [])
    table = table_html(("<b>",), [("x<y",)])
    assert ">&lt;b&gt;</th>" in table and ">x&lt;y</td>" in table and "<b>" not in table


def test_the_png_travels_once_inside_the_img_with_its_alt_text(animated):
    """One comm message per redraw carries the picture and its alt text: no second image widget syncs a copy."""
    import ipywidgets as w

    view, *_ = animated

    def tree(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from tree(child)

    assert not [c for c in tree(view.widget) if isinstance(c, w.Image)]
    assert not [name for name, value in vars(view).items() if isinstance(value, w.Image)]
    assert view._picture.value.count("data:image/png;base64,") == 1 and shown_img(view)[1] == view.png_shown


# -- PathLabels: tick labels as glyph outlines, aligned like Text ---------------------------------------
@pytest.mark.parametrize("ha, va", [("right", "center"), ("center", "top"), ("left", "center")])
def test_path_labels_sit_where_text_would_and_follow_place(ha, va):
    from dlweek8.widgets.figure import PathLabels

    view = FigureView(4.0, 3.0, dpi=100)
    ax = view.figure.subplots()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    labels = PathLabels(ax, ha=ha, va=va, size=10)
    labels.place([(0.5, 0.5, "10⁻⁵"), (0.2, 0.8, "42")])
    assert labels.texts == ["10⁻⁵", "42"] and len(labels.collection.get_paths()) == 2
    renderer = view.canvas.get_renderer()
    view.canvas.draw()
    ink = pixels(view.png())  # where the glyphs were drawn, in figure pixels (y down)
    dark = np.argwhere(ink.max(axis=-1) < 128)
    anchor = ax.transData.transform((0.5, 0.5))
    x, y = anchor[0], view.figure.bbox.height - anchor[1]
    near = dark[(np.abs(dark[:, 1] - x) < 40) & (np.abs(dark[:, 0] - y) < 20)]
    left, right = near[:, 1].min(), near[:, 1].max()
    if ha == "right":
        assert abs(right - x) <= 2
    elif ha == "left":
        assert abs(left - x) <= 2
    else:
        assert abs((left + right) / 2 - x) <= 2
    text = ax.text(0.5, 0.5, "0", fontsize=10, ha="center", va="center_baseline" if va == "center" else "top")
    box = text.get_window_extent(renderer)
    digit_rows = near[:, 0]
    if va == "top":
        assert abs(digit_rows.min() - (view.figure.bbox.height - box.y1)) <= 4  # the tops of the digits at the anchor
    labels.place([(0.1, 0.1, "7")])  # placing again replaces every label
    assert labels.texts == ["7"] and len(labels.collection.get_paths()) == 1


def test_png_rgb_decodes_to_the_same_pixels():
    from dlweek8.widgets.figure import png_rgb

    rng = np.random.default_rng(0)
    for shape in ((1, 1, 3), (7, 13, 4), (40, 3, 3)):
        picture = rng.integers(0, 256, shape, dtype=np.uint8)
        decoded = Image.open(io.BytesIO(png_rgb(picture)))
        decoded.load()  # checks every chunk's CRC and the zlib stream
        assert decoded.mode == "RGB" and decoded.size == (shape[1], shape[0])
        np.testing.assert_array_equal(np.asarray(decoded), picture[..., :3])
