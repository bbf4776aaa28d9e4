"""Pixel comparison of a FigureView's shown image with a full draw of its figure."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from dlweek8.widgets.figure import FigureView

#: a channel may differ by this much (antialiasing rounding) and still count as the same pixel
TOLERANCE = 8


def pixels(png: bytes) -> np.ndarray:
    """The PNG's pixels as an int array (height, width, RGB)."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def rim_mask(view: FigureView, artists, shape) -> np.ndarray:
    """True on the 2-pixel-wide border of each artist's box, where a pasted legend meets the curves under it."""
    mask = np.zeros(shape[:2], bool)
    height = shape[0]
    renderer = view.canvas.get_renderer()
    for artist in artists:
        x0, y0, x1, y1 = artist.get_window_extent(renderer).extents
        top, bottom, left, right = int(height - y1), int(np.ceil(height - y0)), int(x0), int(np.ceil(x1))
        ring = np.zeros_like(mask)
        ring[max(top - 2, 0):bottom + 2, max(left - 2, 0):right + 2] = True
        ring[top + 2:bottom - 2, left + 2:right - 2] = False
        mask |= ring
    return mask


def mismatches(shown: bytes, reference: bytes, view: FigureView | None = None, on_top=()) -> int:
    """How many pixels of ``shown`` differ from ``reference``, outside the rims of ``on_top`` artists."""
    a, b = pixels(shown), pixels(reference)
    assert a.shape == b.shape, (a.shape, b.shape)
    different = np.abs(a - b).max(axis=-1) > TOLERANCE
    if on_top:
        different &= ~rim_mask(view, on_top, a.shape)
    return int(different.sum())


def assert_same_picture(view: FigureView, on_top=()) -> None:
    """The image widget shows what a full draw of the figure (animated artists included) shows."""
    assert view.png_shown, "nothing rendered"
    bad = mismatches(view.png_shown, view.png(), view, on_top)
    assert bad == 0, f"{bad} pixels differ from a full draw"
