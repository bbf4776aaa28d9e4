"""Explorer latency in the browser: slider key press to the redrawn figure, measured inside the page.

Starts JupyterLab on a temporary copy of ``notebooks/`` and headless Chromium (the browser tests'
``tests/browser/labdriver.py``), runs every notebook, then for every slider of every explorer
times, with the page's own clock, a key press until the main thread has produced the frame that
shows the new figure: the new image has loaded (at once, or at its ``load`` event), the next
animation frame has run, then the first task after it. Event listeners note the moment; Python
reads it with a cheap predicate every 25 ms, so measuring does not slow the redraw.

The figure the goal was first set against polled a state predicate (every image's source) on each
animation frame; it is measured too, in the same run, as a reference without goal: that polling
runs on the page's main thread in the middle of the redraw and adds its own cost.

JupyterLab runs with a student's default notebook windowing (:func:`student_settings`), not the
browser tests' "every cell in the DOM".  Needs Chromium; ``teardown()`` stops only the server and
browser started here.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "browser"))

from harness import Case  # noqa: E402

GOAL_S = 0.100
REPEAT = 20
#: Every slider is timed; the first of each explorer (the one the goal was set against) REPEAT times, the others fewer.
REPEAT_OTHER_SLIDERS = 10

#: Record the time of the next key press (capture phase: before any widget handles it).
_ARM = """() => {
    window.__dlweek8KeyAt = null;
    document.addEventListener('keydown', () => { window.__dlweek8KeyAt = performance.now(); }, {capture: true, once: true});
}"""
#: Sources of the explorer's images (its figures).
_FIGURES = "(area) => JSON.stringify([...area.querySelectorAll('img')].map(img => img.src))"
#: Milliseconds from that key press until the explorer is redrawn, false until then: a new figure
#: image has loaded (or, for an explorer without figures, its readouts changed).
_REDRAWN = """([area, before, figuresBefore]) => {
    if (window.__dlweek8KeyAt === null) return false;
    const images = [...area.querySelectorAll('img')];
    if (images.length) {
        if ((%s)(area) === figuresBefore) return false;
        if (!images.every(img => img.complete && img.naturalWidth > 0)) return false;
    } else if ((%s)(area) === before) return false;
    return performance.now() - window.__dlweek8KeyAt;
}"""

#: Arm before a key press: ``window.__dlweek8PaintedMs`` becomes the milliseconds from the key press
#: until a new ``<img>`` in the explorer (an element that was not there at arming) has loaded, the
#: next animation frame has run, and then the first task after it: the main thread has produced the
#: frame that shows the new figure (raster and display follow off the main thread). The key press
#: time is :data:`_ARM`'s, armed first.
_ARM_PAINT = """(area) => {
    window.__dlweek8PaintedMs = null;
    const old = new Set(area.querySelectorAll('img'));
    if (!old.size) throw new Error('this explorer has no figure to time');
    const painted = () => requestAnimationFrame(() => setTimeout(() => {
        if (window.__dlweek8PaintedMs === null) window.__dlweek8PaintedMs = performance.now() - window.__dlweek8KeyAt;
    }));
    const watch = new MutationObserver(() => {
        if (window.__dlweek8KeyAt === null) return;
        const images = [...area.querySelectorAll('img')];
        if (!images.length || images.some(img => old.has(img))) return;  // not yet all replaced
        watch.disconnect();
        const pending = images.filter(img => !(img.complete && img.naturalWidth > 0));
        if (!pending.length) { painted(); return; }
        let left = pending.length;
        for (const img of pending) img.addEventListener('load', () => { if (--left === 0) painted(); }, {once: true});
    });
    watch.observe(area, {childList: true, subtree: true});
}"""

_open: list = []  # what teardown() must close, newest last


def student_settings(labdriver) -> dict:
    """The tests' quiet settings, but with JupyterLab's default notebook windowing, as a student has it.

    The browser tests keep every cell in the DOM (``windowingMode: none``) so that they can find
    off-screen widgets; that makes the browser lay out the whole notebook on every change, which a
    student's JupyterLab (``contentVisibility``, the default) skips for cells out of view."""
    tracker = "@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
    return {name: value for name, value in labdriver.SETTINGS.items() if name != tracker}


def press_to_redraw_seconds(page, area, handle) -> float:
    """Key press until a predicate polled on every animation frame sees new, loaded figure images."""
    import labdriver

    before = labdriver.explorer_state(area)
    figures_before = area.evaluate(_FIGURES)
    page.evaluate(_ARM)
    labdriver.nudge(handle)
    elapsed_ms = page.wait_for_function(
        _REDRAWN % (_FIGURES, labdriver._STATE_JS), arg=[area.element_handle(), before, figures_before],
        polling="raf", timeout=15_000,
    ).json_value()
    labdriver.settle(area)  # paced as press_to_paint_seconds is, so that the two compare
    return elapsed_ms / 1000


def press_to_paint_seconds(page, area, handle) -> float:
    """Key press to the first frame after the new figure loaded, timed by the page's event listeners."""
    import labdriver

    page.evaluate(_ARM)  # the key press time (null until then)
    area.evaluate(_ARM_PAINT)
    labdriver.nudge(handle)
    elapsed_ms = page.wait_for_function("() => window.__dlweek8PaintedMs", polling=25, timeout=15_000).json_value()
    labdriver.settle(area)  # nothing late may land in the next press's window
    return elapsed_ms / 1000


def cases() -> list[Case]:
    import labdriver
    from playwright.sync_api import sync_playwright

    reason = labdriver.browser_missing_reason()
    if reason:
        raise RuntimeError(reason)
    notebooks = sorted(p.name for p in labdriver.notebook_dir().glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {labdriver.notebook_dir()}")
    server = labdriver.JupyterLabServer(settings=student_settings(labdriver))
    _open.append(server.stop)
    playwright = sync_playwright().start()
    _open.append(playwright.stop)
    browser = labdriver.launch_browser(playwright)
    _open.append(browser.close)
    found = []
    for name in notebooks:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        labdriver.open_notebook(page, server, name)
        labdriver.run_all(page)
        for number, area in enumerate(labdriver.explorers(page), 1):
            labdriver.unlock(area)  # an explorer that asks for a prediction first
            # the plain tool: the ConvExplorer would hide its figure until each new setting's prediction is checked
            labdriver.free_exploration(area)
            where = f"{name.removesuffix('.ipynb')} explorer {number}"
            # textContent, not innerText: an explorer out of view has no layout, and so no innerText
            labels = area.locator(".widget-slider .widget-label").evaluate_all("(labels) => labels.map(l => l.textContent.trim())")
            handles = labdriver.slider_handles(area)
            names = [labels[i] if i < len(labels) else f"slider {i + 1}" for i in range(len(handles))]
            for index, (handle, label) in enumerate(zip(handles, names, strict=True)):
                found.append(Case(
                    f"browser: key press to painted figure, {where}, {label}",
                    lambda page=page, area=area, handle=handle: press_to_paint_seconds(page, area, handle),
                    GOAL_S, repeat=REPEAT if index == 0 else REPEAT_OTHER_SLIDERS, warmup=2, timed_inside=True,
                ))
            found.append(Case(
                f"browser: key press to redraw, polled each frame (reference), {where}, {names[0]}",
                lambda page=page, area=area, handle=handles[0]: press_to_redraw_seconds(page, area, handle),
                None, repeat=REPEAT, warmup=2, timed_inside=True,
            ))
    return found


def teardown() -> None:
    while _open:
        _open.pop()()
