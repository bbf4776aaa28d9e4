"""Text contrast of the colours dlweek8 draws with, by WCAG 2.1's relative-luminance formula.

The feedback box and the figure sit on an opaque light background with a border in every theme,
so their text colours are measured on that background; the box must also stand out from the
page of JupyterLab's light and dark themes (non-text contrast, 3:1).  The browser suite checks
the same in the rendered page (axe-core, tests/browser/test_accessibility.py).
"""

import pytest

from dlweek8 import feedback
from dlweek8.feedback import BOX_BACKGROUND, MUTED_COLOUR, STATUS_COLOUR, TEXT_COLOUR, Feedback

#: --jp-layout-color0 of JupyterLab 4's light and dark themes (read in the browser suite too)
PAGE = {"light": "#ffffff", "dark": "#111111"}
TEXT_MINIMUM = 4.5  # WCAG 2.1 AA, 1.4.3, normal text
NON_TEXT_MINIMUM = 3.0  # WCAG 2.1 AA, 1.4.11, boundaries of components


def luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_formula_on_known_pairs():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert contrast("#777777", "#ffffff") < TEXT_MINIMUM


TEXT_COLOURS = {"text": TEXT_COLOUR, "question id": MUTED_COLOUR, **{f"status {s}": c for s, c in STATUS_COLOUR.items()}}


@pytest.mark.parametrize("theme", PAGE)
@pytest.mark.parametrize("name", TEXT_COLOURS)
def test_feedback_text_has_aa_contrast_in_both_themes(name, theme):
    box = BOX_BACKGROUND  # opaque, so the same in both themes
    assert contrast(TEXT_COLOURS[name], box) >= TEXT_MINIMUM, (name, theme, round(contrast(TEXT_COLOURS[name], box), 2))


@pytest.mark.parametrize("theme", PAGE)
@pytest.mark.parametrize("status", STATUS_COLOUR)
def test_the_feedback_box_stands_out_from_the_page(status, theme):
    edge = max(contrast(STATUS_COLOUR[status], PAGE[theme]), contrast(BOX_BACKGROUND, PAGE[theme]))
    assert edge >= NON_TEXT_MINIMUM


@pytest.mark.parametrize("status", STATUS_COLOUR)
def test_the_rendered_box_uses_exactly_these_colours(status):
    """The HTML declares its opaque background and text colour (not inherited from the theme), and
    the colour is never the only cue: the verdict is also a word and a mark."""
    shown = Feedback("q.id", status, "A message.", example=(("got", "1"),), hints=("h",))._repr_html_()
    assert f"background:{BOX_BACKGROUND};color:{TEXT_COLOUR}" in shown
    assert f"color:{STATUS_COLOUR[status]}" in shown and f"color:{MUTED_COLOUR}" in shown
    assert feedback._TITLE[status] in shown and feedback._MARK[status] in shown
    colours = {part.split(";")[0].split('"')[0] for part in shown.split("color:")[1:]}
    assert colours <= set(TEXT_COLOURS.values()), colours - set(TEXT_COLOURS.values())


def test_the_old_palette_fails_on_the_dark_theme():
    """What this file guards against: the earlier transparent box put grey and green text straight
    on the dark page."""
    assert contrast("#6e7781", PAGE["dark"]) < TEXT_MINIMUM
    assert contrast("#1a7f37", PAGE["dark"]) < TEXT_MINIMUM


def test_the_figure_frame_stands_out_from_both_pages():
    from dlweek8.widgets.figure import picture_html

    shown = picture_html(b"", "alt", 1, 1)
    assert "background:#fff;" in shown
    border = shown.split("border:1px solid ")[1][:7]
    for page in PAGE.values():
        assert max(contrast(border, page), contrast("#ffffff", page)) >= NON_TEXT_MINIMUM
