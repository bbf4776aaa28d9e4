"""Both student notebooks in the Notebook 7 interface (``jupyter notebook``), served by the same
server as the JupyterLab tests: open /tree, open the notebook from the file list, Run All, and see
the widgets render (explorer sliders, answer boxes, figures with alt text), with no error.

The two notebooks are opened and run at the same time (two kernels on two cores). A slider is moved
through its readout: in Notebook 7 the arrow keys on a focused ipywidgets slider handle are taken by
the application's own shortcuts (known limitation, see README, Accessibility).
Screenshots: ``artifacts/screenshots/notebook7-<name>.png``.
"""

from __future__ import annotations

import pytest

import labdriver

NOTEBOOKS = sorted(p.name for p in labdriver.notebook_dir().glob("*.ipynb"))


@pytest.fixture(scope="module")
def notebook7_pages(lab_server, browser_context):
    pages = {}
    for name in NOTEBOOKS:
        pages[name] = labdriver.open_in_notebook7(browser_context, lab_server, name)
        pages[name].get_by_role("menuitem", name="Run", exact=True).click()
        pages[name].get_by_role("menuitem", name="Run All Cells", exact=True).click()
    yield pages
    for page in pages.values():
        page.close()


def test_both_notebooks_run_in_notebook7_with_their_widgets(notebook7_pages, screenshots):
    failures = []
    for name, page in notebook7_pages.items():
        assert "/notebooks/" in page.url, page.url  # Notebook 7's notebook page, not JupyterLab
        page.bring_to_front()
        labdriver.run_all_finished(page)
        page.screenshot(path=screenshots / f"notebook7-{name.removesuffix('.ipynb')}.png")
        problems = labdriver.cell_problems(page)
        counts = page.evaluate(
            """(nb) => ({
                sliders: document.querySelectorAll(nb + ' .widget-slider').length,
                answers: document.querySelectorAll(nb + ' .dlweek8-answer').length,
                figures: document.querySelectorAll(nb + ' .dlweek8-figure img, ' + nb + ' img.dlweek8-figure').length,
                loaded: [...document.querySelectorAll(nb + ' .jp-OutputArea img')].every(i => i.complete && i.naturalWidth > 0),
            })""",
            labdriver.NOTEBOOK,
        )
        if problems:
            failures.append(f"{name}: " + "; ".join(problems))
        if not (counts["sliders"] and counts["answers"] and counts["figures"] and counts["loaded"]):
            failures.append(f"{name}: widgets did not all render in Notebook 7: {counts}")
        areas = labdriver.explorers(page)
        if areas:  # one slider still redraws its explorer
            area = areas[0]
            area.scroll_into_view_if_needed()
            labdriver.unlock(area)
            labdriver.settle(area)
            before = labdriver.explorer_state(area)
            # Through the slider's readout: Notebook 7 (unlike JupyterLab) takes arrow keys for its own
            # shortcuts before a focused slider handle sees them.
            handle = labdriver.slider_handles(area)[0]
            now, top = float(handle.get_attribute("aria-valuenow")), float(handle.get_attribute("aria-valuemax"))
            readout = area.locator(".widget-slider .widget-readout").first
            readout.fill(f"{now + 1 if now + 1 <= top else now - 1:g}")
            readout.press("Enter")
            if not labdriver.wait_state_change(area, before):
                failures.append(f"{name}: a slider did not change its explorer in Notebook 7")
            area.screenshot(path=screenshots / f"notebook7-{name.removesuffix('.ipynb')}-explorer.png")
    assert not failures, "\n".join(failures)
