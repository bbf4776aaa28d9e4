"""Explorer latency in the browser: slider key press to the redrawn figure, measured inside the page.

Starts JupyterLab on a temporary copy of ``notebooks/`` and headless Chromium (the browser tests'
``tests/browser/labdriver.py``), runs every notebook, then for the first slider of each explorer
times, with the page's own clock, a key press until the explorer shows something new and every
image in it has loaded (polled on each animation frame). JupyterLab runs with a student's default
notebook windowing (:func:`student_settings`), not the browser tests' "every cell in the DOM".  Needs Chromium; ``teardown()`` stops
only the server and browser started here.
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

_open: list = []  # what teardown() must close, newest last


def student_settings(labdriver) -> dict:
    """The tests' quiet settings, but with JupyterLab's default notebook windowing, as a student has it.

    The browser tests keep every cell in the DOM (``windowingMode: none``) so that they can find
    off-screen widgets; that makes the browser lay out the whole notebook on every change, which a
    student's JupyterLab (``contentVisibility``, the default) skips for cells out of view."""
    tracker = "@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
    return {name: value for name, value in labdriver.SETTINGS.items() if name != tracker}


def press_to_redraw_seconds(page, area, handle) -> float:
    import labdriver

    before = labdriver.explorer_state(area)
    figures_before = area.evaluate(_FIGURES)
    page.evaluate(_ARM)
    labdriver.nudge(handle)
    elapsed_ms = page.wait_for_function(
        _REDRAWN % (_FIGURES, labdriver._STATE_JS), arg=[area.element_handle(), before, figures_before],
        polling="raf", timeout=15_000,
    ).json_value()
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
            handle = labdriver.slider_handles(area)[0]
            found.append(Case(
                f"browser: key press to redraw, {name.removesuffix('.ipynb')} explorer {number}",
                lambda page=page, area=area, handle=handle: press_to_redraw_seconds(page, area, handle),
                GOAL_S, repeat=REPEAT, warmup=2, timed_inside=True,
            ))
    return found


def teardown() -> None:
    while _open:
        _open.pop()()
