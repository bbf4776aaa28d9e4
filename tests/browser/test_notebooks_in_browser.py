"""Every student notebook, used the way a student uses it: in JupyterLab, in headless Chromium.

The server serves the published student repository after its ``postBuild``, from the Binder venv
(``conftest.py``, ``lab_server``); one test proves that the kernel imports that install.
For each ``notebooks/*.ipynb``: Run All without errors; every slider of every explorer changes
the figure or a readout; answer widgets show the package's feedback for a wrong answer, a right
answer, and a right answer to a new variant (the first box of each kind of inputs), and every
other box gives "correct" for its right answer; accessibility (axe-core, keyboard only, dark theme);
and the same notebook in the Notebook 7 interface.  Widgets are found by CSS class
(``.widget-slider``, ``.dlweek8-answer``), so a new notebook is covered without editing this file.
Screenshots land in ``artifacts/screenshots/<notebook>/``.

Each notebook gets its own test class (``TestNotebook_<name>``), so that pytest-xdist's
``--dist loadscope`` can run two notebooks on two workers at once.
"""

from __future__ import annotations

import json
import re
import time

import pytest

import labdriver
from dlweek8 import checks
from dlweek8.instructor import solutions
from dlweek8.feedback import CORRECT, Feedback
from dlweek8.question import Field, ValueQuestion, evaluate
from dlweek8.widgets.answers import maths_text

NOTEBOOK_DIR = labdriver.notebook_dir()
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))


def test_there_are_student_notebooks_to_test():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}; generate them with `python -m dlweek8 release`"


@pytest.fixture(scope="class")
def notebook(request, lab_server, browser_context, screenshots):
    """The class's notebook opened in its own page and workspace, after Run All; yields (page, name, shots, timings)."""
    name = request.cls.notebook_name
    shots = screenshots / name.removesuffix(".ipynb")
    shots.mkdir(exist_ok=True)
    page = browser_context.new_page()
    timings = {}
    start = time.perf_counter()
    labdriver.open_notebook(page, lab_server, name)
    timings["open to kernel idle"] = time.perf_counter() - start
    start = time.perf_counter()
    labdriver.run_all(page)
    timings["Run All"] = time.perf_counter() - start
    page.screenshot(path=shots / "01-after-run-all.png")
    yield page, name, shots, timings
    if not page.is_closed():  # the Notebook 7 test, last, closes it
        page.screenshot(path=shots / "99-end.png")
        page.close()
    (shots / "timings.json").write_text(json.dumps(timings, indent=1))


def _option_label(field: Field, value):
    """The radio label a student clicks for ``value``, or None for a number field."""
    if field.kind == "bool":
        return "yes" if value else "no"
    if field.kind == "choice":  # as the box shows it: maths in Unicode (answers.maths_text)
        return maths_text(next(label for label, option in field.options if option == value))
    return None


def _wrong_fields(question: ValueQuestion, right: list) -> list:
    """Field values of a wrong answer: each number moved by one, each choice changed."""
    wrong = []
    for field, value in zip(question.fields, right, strict=True):
        if field.kind == "int":
            wrong.append(int(value) + 1)
        elif field.kind == "float":
            wrong.append(float(value) + max(1.0, abs(float(value))))
        elif field.kind == "set":
            wrong.append(set(value) | {max(value) + 1})
        elif field.kind == "bool":
            wrong.append(not value)
        else:
            wrong.append(next(option for _, option in field.options if option != value))
    return wrong


def _answer(page, box, question: ValueQuestion, values: list, expected: Feedback, shot=None) -> None:
    labels = [_option_label(f, v) for f, v in zip(question.fields, values, strict=True)]
    labdriver.fill_fields(box, values, labels)
    labdriver.wait_kernel_quiet(box.page)  # the new values reach the kernel before the click does
    labdriver.click_button(box, "Check")
    labdriver.wait_feedback(box, expected.status, expected.message)
    shown = box.locator(".dlweek8-feedback .dlweek8-message").inner_text().strip()
    assert shown == expected.message.strip()
    if shot:
        box.screenshot(path=shot)


#: The interface and the theme are the same code for every notebook: each runs on one notebook only (issue 21),
#: Notebook 7 on the one with explorers, answer boxes and written answers, the dark theme on another.
NOTEBOOK7_ON = "01_lstm_gradients.ipynb"
DARK_THEME_ON = "02_conv_arithmetic.ipynb"


class NotebookInBrowser:
    """The browser tests of one notebook; a ``TestNotebook_<name>`` subclass per notebook sets ``notebook_name``."""

    notebook_name = ""

    def test_run_all_shows_no_error(self, notebook):
        page, name, shots, timings = notebook
        problems = labdriver.cell_problems(page)
        assert not problems, f"{name} after Run All:\n" + "\n".join(problems)
        broken = labdriver.broken_figures(page)
        assert not broken, f"{name}: {broken} figure image(s) did not load"
        assert not labdriver.news_prompts(page), f"{name}: JupyterLab asked: {labdriver.news_prompts(page)}"

    def test_the_kernel_runs_the_published_install(self, notebook, binder_build):
        """A cell added at the end (then deleted again) shows that the notebook's kernel runs the Binder
        venv's python, imports the dlweek8 that postBuild installed there, and cannot import dlweek8.instructor."""
        page, name, shots, timings = notebook
        cells = page.locator(f"{labdriver.NOTEBOOK} .jp-Cell")
        count = cells.count()
        cells.last.locator(".jp-InputPrompt").click()
        page.keyboard.press("Escape")
        page.keyboard.press("b")  # a new code cell below, selected
        page.wait_for_function("([nb, n]) => document.querySelectorAll(nb + ' .jp-Cell').length === n",
                               arg=[labdriver.NOTEBOOK, count + 1])
        cell = cells.nth(count)
        page.keyboard.press("Enter")  # edit mode
        for line in ("import sys, dlweek8", "print(sys.executable)", "print(dlweek8.__file__)", "import dlweek8.instructor"):
            page.keyboard.type(line)
            page.keyboard.press("Enter")
        page.keyboard.press("Control+Enter")  # run it, stay on it
        page.wait_for_function(  # it ran, and the kernel is idle again (its outputs came before that status)
            "(cell) => /\\[\\d+\\]/.test(cell.querySelector('.jp-InputPrompt').textContent) && " + labdriver.KERNEL_IDLE_JS,
            arg=cell.element_handle(), timeout=30_000)
        cell.screenshot(path=shots / "published-install.png")
        printed = cell.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]').all_inner_texts()
        printed = "".join(printed).split()
        error = "".join(cell.locator(labdriver.STDERR_OUTPUT).all_inner_texts())
        page.keyboard.press("Escape")
        page.keyboard.press("d")
        page.keyboard.press("d")  # delete the cell again
        page.wait_for_function("([nb, n]) => document.querySelectorAll(nb + ' .jp-Cell').length === n",
                               arg=[labdriver.NOTEBOOK, count])
        assert printed == [binder_build.python, str(binder_build.package / "__init__.py")], printed
        assert "No module named 'dlweek8.instructor'" in error, error

    def test_every_explorer_slider_changes_the_figure_or_a_readout(self, notebook):
        page, name, shots, timings = notebook
        areas = labdriver.explorers(page)
        if not areas:
            pytest.skip(f"{name} has no explorer (no slider)")
        start = time.perf_counter()
        for number, area in enumerate(areas, 1):
            area.scroll_into_view_if_needed()
            labdriver.plain_tool(area)
            labdriver.settle(area)
            area.screenshot(path=shots / f"explorer{number}-before.png")
            for handle in labdriver.slider_handles(area):
                before = labdriver.explorer_state(area)
                label = handle.get_attribute("aria-valuetext") or handle.get_attribute("aria-valuenow")
                labdriver.nudge(handle)
                assert labdriver.wait_state_change(area, before), (
                    f"{name}, explorer {number}: moving the slider at {label} changed neither the figure nor a readout"
                )
                labdriver.settle(area)
            area.screenshot(path=shots / f"explorer{number}-after.png")
        timings["explorers"] = time.perf_counter() - start
        assert not labdriver.broken_figures(page)

    def test_every_answer_widget_gives_feedback_wrong_right_and_on_a_new_variant(self, notebook):
        """The first box of each kind of inputs (number boxes, yes/no, choices...) is checked blank, answered
        wrong, right, and right on its first new variant; every other box is answered right (the same code path)."""
        page, name, shots, timings = notebook
        boxes = labdriver.answer_boxes(page)
        if not boxes:
            pytest.skip(f"{name} has no answer widget")
        by_class = {"dlweek8-q-" + qid.replace(".", "_"): qid for qid in checks.question_ids()}
        kinds_done = set()
        start = time.perf_counter()
        for box in boxes:
            qid = by_class[labdriver.question_class(box)]
            question = checks.get(qid)
            box.scroll_into_view_if_needed()
            tag = qid.replace(".", "_")
            kinds = tuple(field.kind for field in question.fields)
            right = solutions.right_fields(question)
            right_feedback = evaluate(question, question.from_fields(right))
            assert right_feedback.status == CORRECT, f"{qid}: right fields {right} are not judged correct"
            if kinds in kinds_done:  # no screenshot: it would show what the first box of its kind shows
                _answer(page, box, question, right, right_feedback)
                continue
            kinds_done.add(kinds)

            labdriver.click_button(box, "Check")  # untouched inputs: "not answered yet", never an error
            blank = evaluate(question, ...)
            labdriver.wait_feedback(box, blank.status, blank.message)

            wrong = _wrong_fields(question, right)
            wrong_feedback = evaluate(question, question.from_fields(wrong))
            assert wrong_feedback.status != CORRECT, f"{qid}: {wrong} should be a wrong answer"
            _answer(page, box, question, wrong, wrong_feedback, shots / f"{tag}-1-wrong.png")
            _answer(page, box, question, right, right_feedback, shots / f"{tag}-2-right.png")

            if box.locator("button", has_text="New variant").count():
                labdriver.click_button(box, "New variant")
                box.get_by_text("(variant 1)").wait_for()
                labdriver.wait_new_inputs(box)
                variant = labdriver.shown_question(box, question)
                values = solutions.right_fields(variant)
                variant_feedback = evaluate(variant, variant.from_fields(values))
                assert variant_feedback.status == CORRECT, f"{qid} variant 1: right fields not judged correct"
                _answer(page, box, variant, values, variant_feedback, shots / f"{tag}-3-variant-right.png")
        timings["answer widgets"] = time.perf_counter() - start

    # -- accessibility (after the tests above, so feedback boxes and moved sliders are on the page) --

    def test_axe_finds_no_serious_violation_in_our_content(self, notebook):
        """axe-core on the whole page; our content (markdown, outputs, widgets, feedback) must have no
        serious or critical violation. JupyterLab's own chrome is reported (printed), not failed."""
        page, name, shots, timings = notebook
        start = time.perf_counter()
        usual = page.viewport_size
        found, chrome = [], []
        try:
            for width in labdriver.AXE_WIDTHS:  # the layout must not depend on the screen (or the machine's fonts)
                labdriver.at_width(page, width)
                ours, chrome = labdriver.axe_violations(page)
                found += [f"at {width} px: {line}" for line in ours + labdriver.sideways_scrolling(page)]
        finally:
            labdriver.at_width(page, usual["width"])
        timings["axe"] = time.perf_counter() - start
        (shots / "axe-jupyterlab-chrome.txt").write_text("\n".join(chrome) + "\n")
        print(f"\n{name}: {len(chrome)} serious/critical axe violations in JupyterLab's own chrome "
              f"(not ours; listed in {shots / 'axe-jupyterlab-chrome.txt'})")
        assert not found, f"{name}: axe-core violations or sideways scrolling in our content:\n" + "\n".join(found)
        unnamed = page.evaluate("""(nb) => [...document.querySelectorAll(nb + ' .dlweek8-radio-group')]
            .filter(g => { const box = g.querySelector('.widget-radio-box'), label = g.querySelector('b');
                return !box || box.getAttribute('role') !== 'radiogroup' || box.getAttribute('aria-label') !== label.textContent.trim(); })
            .map(g => g.textContent.slice(0, 60))""", labdriver.NOTEBOOK)
        assert not unnamed, f"{name}: radio groups without their question as accessible name: {unnamed}"

    def test_every_output_image_has_alt_text_that_follows_its_slider(self, notebook):
        page, name, shots, timings = notebook
        missing = page.evaluate(
            """(notebook) => [...document.querySelectorAll(notebook + ' .jp-OutputArea img')]
                .filter(img => img.getClientRects().length > 0)  // rendered (a hidden img is not in the accessibility tree)
                .filter(img => !(img.getAttribute('alt') || '').trim())
                .map(img => (img.closest('.jp-Cell')?.querySelector('.jp-InputArea')?.textContent || '').trim().slice(0, 80))""",
            labdriver.NOTEBOOK,
        )
        assert not missing, f"{name}: images without alt text, in the outputs of cells: {missing}"
        for number, area in enumerate(labdriver.explorers(page), 1):
            images = area.locator("img")
            if not images.count():
                continue
            area.scroll_into_view_if_needed()
            labdriver.plain_tool(area)
            labdriver.settle(area)
            before = [images.nth(i).get_attribute("alt") for i in range(images.count())]
            labdriver.nudge(labdriver.slider_handles(area)[0])
            page.wait_for_function(
                "([area, before]) => JSON.stringify([...area.querySelectorAll('img')].map(i => i.alt)) !== before",
                arg=[area.element_handle(), json.dumps(before)], timeout=15_000,
            )
            labdriver.settle(area)
            summary = area.locator(".dlweek8-summary .widget-html-content")
            assert summary.count() and summary.first.get_attribute("aria-live") == "polite", (
                f"{name}, explorer {number}: no live summary under the figure")

    def test_keyboard_only_answer_a_box_and_move_a_slider(self, notebook):
        """Tab into an answer box, type the right answer, Tab to Check and press Enter; focus a slider
        and press ArrowRight: the feedback and the redrawn figure appear, with no mouse or pointer event."""
        page, name, shots, timings = notebook
        page.evaluate("""() => { window.__dlweek8Pointer = 0;
            for (const type of ['mousedown', 'pointerdown', 'mouseup', 'pointerup'])
                document.addEventListener(type, () => window.__dlweek8Pointer++, true); }""")
        by_class = {"dlweek8-q-" + qid.replace(".", "_"): qid for qid in checks.question_ids()}
        for box in labdriver.answer_boxes(page):
            question = checks.get(by_class[labdriver.question_class(box)])
            if all(f.kind in ("int", "float") for f in question.fields):
                break
        else:
            pytest.skip(f"{name} has no answer box with number fields")
        box.scroll_into_view_if_needed()
        question = labdriver.shown_question(box, question)  # an earlier test may have asked for a variant
        right = solutions.right_fields(question)
        entries = box.locator(".widget-text input")
        for values in (_wrong_fields(question, right), right):  # wrong, then right: the feedback must change
            expected = evaluate(question, question.from_fields(values))
            texts = [repr(value) if isinstance(value, float) else str(value) for value in values]
            assert entries.count() == len(texts), f"{entries.count()} number boxes for {texts}"
            entries.first.focus()  # element.focus(), then only keys
            for index, text in enumerate(texts):
                # wait for the focus, replace what an earlier test typed (End, Backspace), and see the box
                # hold exactly ``text`` before Tab moves on
                labdriver.type_into_focused_input(page, entries.nth(index), text, refocus=index == 0)
                page.keyboard.press("Tab")
            shown = [entries.nth(i).input_value() for i in range(len(texts))]
            assert shown == texts, f"the boxes hold {shown} after typing {texts}"
            for _ in range(3):  # after the last box, Tab reaches Check (the first button)
                if page.evaluate("() => document.activeElement?.textContent.trim()") == "Check":
                    break
                page.keyboard.press("Tab")
            assert page.evaluate("() => document.activeElement?.textContent.trim()") == "Check", "Tab did not reach Check"
            page.keyboard.press("Enter")
            labdriver.wait_feedback(box, expected.status, expected.message)
        box.screenshot(path=shots / "keyboard-answer.png")

        areas = [a for a in labdriver.explorers(page) if a.locator("img").count()]
        if areas:
            area = areas[0]
            area.scroll_into_view_if_needed()
            labdriver.plain_tool(area, keyboard=True)
            labdriver.settle(area)
            handle = labdriver.slider_handles(area)[0]
            before = area.evaluate("(a) => [...a.querySelectorAll('img')].map(i => i.src + i.alt).join()")
            now, top = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
            handle.focus()
            page.keyboard.press("ArrowLeft" if float(now) >= float(top) else "ArrowRight")
            page.wait_for_function(
                "([a, before]) => [...a.querySelectorAll('img')].map(i => i.src + i.alt).join() !== before"
                " && [...a.querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0)",
                arg=[area.element_handle(), before], timeout=15_000,
            )
            # The redrawn figure (new image and alt text) is the proof that the key moved the slider:
            # aria-valuenow is the slider's rounded readout, which one small step need not change.
            area.screenshot(path=shots / "keyboard-slider.png")
        assert page.evaluate("() => window.__dlweek8Pointer") == 0, "a mouse or pointer event happened"

    def test_dark_theme_keeps_figures_feedback_and_answer_boxes_legible(self, notebook):
        """JupyterLab Dark: screenshots; axe-core's colour-contrast rule, and our own measure of every text
        in our content against the background it is drawn on (axe leaves many of them "to review"),
        in the dark theme and again in the light one."""
        page, name, shots, timings = notebook
        if name != DARK_THEME_ON:
            pytest.skip(f"the dark theme is checked on {DARK_THEME_ON}")
        start = time.perf_counter()
        labdriver.set_theme(page, labdriver.DARK)
        try:
            page.screenshot(path=shots / "dark-1-page.png")
            for kind, locator in [("explorer", labdriver.explorers(page)[:1]), ("answer", labdriver.answer_boxes(page)[:1])]:
                for element in locator:
                    element.scroll_into_view_if_needed()
                    element.screenshot(path=shots / f"dark-2-{kind}.png")
            feedback = page.locator(f"{labdriver.NOTEBOOK} .dlweek8-feedback")
            if feedback.count():
                feedback.first.scroll_into_view_if_needed()
                feedback.first.screenshot(path=shots / "dark-3-feedback.png")
            page_colour = page.evaluate("() => getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim()")
            assert page_colour in ("#111", "#111111"), page_colour  # the page colour tests/test_accessibility_colours.py uses
            ours, chrome = labdriver.axe_violations(page, rules=["color-contrast"])
            dark = labdriver.low_contrast_text(page)
        finally:
            labdriver.set_theme(page, labdriver.LIGHT)
            timings["dark theme"] = time.perf_counter() - start
        light = labdriver.low_contrast_text(page)
        problems = ours + [f"dark: {p}" for p in dark] + [f"light: {p}" for p in light]
        assert not problems, f"{name}: text without AA contrast in our content:\n" + "\n".join(problems)

    # -- Notebook 7 (last: it runs the notebook again, in the same kernel) --

    def test_runs_in_notebook7_with_its_widgets(self, notebook, lab_server, browser_context):
        """The same notebook in the Notebook 7 interface, served by the same server (its ``/tree`` is Notebook 7's
        file browser) and opened in the same browser at ``/notebooks/...``, after the JupyterLab page is closed:
        Run All (in the kernel the JupyterLab page started, so no new kernel and no second import of torch), no
        error, and the widgets render: explorer sliders, answer boxes, figures. A slider moved through its
        readout changes its explorer: in Notebook 7 the arrow keys on a focused ipywidgets slider handle are
        taken by the application's own shortcuts (known limitation, see README, Accessibility).
        Screenshots ``notebook7.png``, ``notebook7-explorer.png``."""
        jupyterlab, name, shots, timings = notebook
        if name != NOTEBOOK7_ON:
            pytest.skip(f"Notebook 7 is checked on {NOTEBOOK7_ON}")
        jupyterlab.screenshot(path=shots / "99-end.png")
        jupyterlab.close()  # done with it: it would otherwise receive this run's widget messages too
        start = time.perf_counter()
        tree = labdriver.notebook7_tree_lists(lab_server)
        assert re.search(r'"notebookPage":\s*"tree"', tree), f"/tree is not Notebook 7's file browser:\n{tree[:2000]}"
        page = labdriver.open_in_notebook7(browser_context, lab_server, name)
        timings["Notebook 7 open"] = time.perf_counter() - start
        try:
            assert "/notebooks/" in page.url, page.url  # Notebook 7's notebook page, not JupyterLab
            labdriver.run_all(page)
            timings["Notebook 7 Run All"] = time.perf_counter() - start - timings["Notebook 7 open"]
            page.screenshot(path=shots / "notebook7.png")
            problems = labdriver.cell_problems(page)
            assert not problems, f"{name} in Notebook 7:\n" + "\n".join(problems)
            counts = page.evaluate(
                """(nb) => ({
                    sliders: document.querySelectorAll(nb + ' .widget-slider').length,
                    answers: document.querySelectorAll(nb + ' .dlweek8-answer').length,
                    figures: document.querySelectorAll(nb + ' .dlweek8-figure img, ' + nb + ' img.dlweek8-figure').length,
                    loaded: [...document.querySelectorAll(nb + ' .jp-OutputArea img')].every(i => i.complete && i.naturalWidth > 0),
                })""",
                labdriver.NOTEBOOK,
            )
            assert counts["sliders"] and counts["answers"] and counts["figures"] and counts["loaded"], (
                f"{name}: widgets did not all render in Notebook 7: {counts}")
            area = labdriver.explorers(page)[0]
            area.scroll_into_view_if_needed()
            labdriver.plain_tool(area)
            labdriver.settle(area)
            before = labdriver.explorer_state(area)
            handle = labdriver.slider_handles(area)[0]
            now, top = float(handle.get_attribute("aria-valuenow")), float(handle.get_attribute("aria-valuemax"))
            readout = area.locator(".widget-slider .widget-readout").first
            readout.fill(f"{now + 1 if now + 1 <= top else now - 1:g}")
            readout.press("Enter")
            assert labdriver.wait_state_change(area, before), f"{name}: a slider did not change its explorer in Notebook 7"
            labdriver.settle(area)
            area.screenshot(path=shots / "notebook7-explorer.png")
        finally:
            page.close()
            timings["Notebook 7"] = time.perf_counter() - start


for _name in NOTEBOOKS:
    _class_name = "TestNotebook_" + "".join(c if c.isalnum() else "_" for c in _name.removesuffix(".ipynb"))
    globals()[_class_name] = type(_class_name, (NotebookInBrowser,), {"notebook_name": _name})


def test_the_notebooks_that_carry_notebook7_and_the_dark_theme_exist():
    """Otherwise both tests would skip everywhere after a rename."""
    assert NOTEBOOK7_ON in NOTEBOOKS and DARK_THEME_ON in NOTEBOOKS
