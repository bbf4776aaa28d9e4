"""Grading written answers in a real browser: the round trip of docs/written-answers.md.

A small batch with written answers is graded (the real grader, its sandboxed kernels); its
``written.html`` is opened from disk in Chromium; two answers are scored with the keyboard only; the
downloaded ``written_scores.csv`` is folded in with ``report --written-scores``; the totals and
canvas.csv follow. Answers holding ``<script>``, ``<img onerror>`` or a Markdown heading show as text,
axe-core finds no serious or critical violation, and the page is photographed in light and dark.
"""

from __future__ import annotations

import csv
import io
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from playwright.sync_api import expect

from dlweek8 import __main__ as cli
from dlweek8.instructor.grading import batch, gradebook, runner
from dlweek8.instructor.grading.discover import Assignment
from dlweek8.instructor.grading.written_scores import anon_id
from dlweek8.instructor.references import rubrics

pytestmark = pytest.mark.grading

WHY = "lstm.cell_state_dependence_why"
HOSTILE = '<script>window.__pwned = 1</script> No, <img src=x onerror="window.__pwned = 2"> it is not.\n# Heading\nc is its own input.'
ANSWERS = {
    "alice": rubrics.MODEL_ANSWERS[WHY],
    "bob": HOSTILE,
    "carol": "No, because tanh squashes the cell state and o scales it, so h loses c.",
}
ROSTER = "submission,student_id,name\nalice,111,\"Liddell, Alice\"\nbob,222,\"Builder, Bob\"\ncarol,333,\"Singer, Carol\"\n"


def notebook(answer: str | None) -> nbformat.NotebookNode:
    cells = [new_markdown_cell("# Week 8, Task 1: written answers"), new_code_cell("import dlweek8"),
             new_code_cell('cell_state_dependence = (False, "B")'),
             new_code_cell('dlweek8.check("lstm.cell_state_dependence", cell_state_dependence)'),
             new_code_cell(f"why_cell_state = {answer!r}" if answer is not None else "why_cell_state = ...  # your answer here"),
             new_code_cell(f'dlweek8.check("{WHY}", why_cell_state)')]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("written")
    edition = root / "01_written_fixture.ipynb"
    nbformat.write(notebook(None), edition)
    folder = root / "submissions"
    for name, answer in ANSWERS.items():
        (folder / name).mkdir(parents=True)
        nbformat.write(notebook(answer), folder / name / "01_written_fixture.ipynb")
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    out = root / "graded"
    assignment = Assignment.from_notebook(edition)
    assert assignment.question_ids == ["lstm.cell_state_dependence", WHY]
    batch.grade([folder], out, runner.Limits(cell_timeout=60, notebook_timeout=120), jobs=2, assignment=assignment,
                progress=False, roster=gradebook.read_roster(root / "roster.csv"))
    return out


def test_score_two_answers_by_keyboard_download_and_fold_them_in(graded, browser, screenshots):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto((graded / "written.html").as_uri())
    expect(page.locator("#progress")).to_contain_text("0 of 3")  # no eval: the page's CSP forbids it

    # answers are text: nothing a student wrote runs or renders
    assert page.evaluate("window.__pwned") is None
    assert page.locator("article img").count() == 0 and page.locator("article h1, article script").count() == 0
    texts = page.locator("article .text").all_text_contents()
    assert HOSTILE.replace("\n", "") in [t.replace("\n", "") for t in texts]
    order = page.locator("article.answer").evaluate_all("els => els.map(e => e.dataset.submission)")
    names = {anon_id(f"{name}/01_written_fixture.ipynb"): name for name in ANSWERS}
    assert sorted(names[token] for token in order) == sorted(ANSWERS)  # anonymised: every answer, under its id

    # keyboard only: the first answer meets criteria 1 and 3, the second criterion 2, with a comment
    page.keyboard.press("1")
    page.keyboard.press("3")
    page.keyboard.press("n")
    page.keyboard.press("2")
    page.keyboard.press("c")
    page.keyboard.type("Say why the tanh matters.")
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    assert page.locator("#progress").text_content() == "2 of 3 answers scored"
    page.screenshot(path=str(screenshots / "written_light.png"), full_page=True)
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(screenshots / "written_dark.png"), full_page=True)
    page.emulate_media(color_scheme="light")
    with page.expect_download() as download:
        page.keyboard.press("d")
    scores = graded.parent / "written_scores.csv"
    download.value.save_as(scores)

    from axe_playwright_python.sync_playwright import Axe

    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        violations = Axe().run(page, options={"resultTypes": ["violations"]}).response["violations"]
        serious = [f"{v['impact']} {v['id']}: {n['html'][:120]}" for v in violations if v["impact"] in ("serious", "critical") for n in v["nodes"]]
        assert not serious, f"{scheme}: " + "\n".join(serious)
    # the progress survives a reload (localStorage)
    page.reload()
    expect(page.locator("#progress")).to_contain_text("2 of 3")  # no eval: the page's CSP forbids it
    assert not errors, errors
    context.close()

    rows = list(csv.DictReader(io.StringIO(scores.read_text(encoding="utf-8"))))
    first, second = names[order[0]], names[order[1]]
    assert [(names[r["submission"]], r["question"], r["points"], r["criteria"], r["comment"]) for r in rows] == [
        (first, WHY, "2", "verdict;reason", ""), (second, WHY, "1", "inputs", "Say why the tanh matters.")]

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = cli.main(["report", str(graded), "--written-scores", str(scores)])
    assert code == 0, buffer.getvalue()
    grades = {r["submission"].split("/")[0]: r for r in csv.DictReader(io.StringIO((graded / "grades.csv").read_text(encoding="utf-8")))}
    expected = {name: 1 + {first: 2, second: 1}.get(name, 0) for name in ANSWERS}
    assert {name: float(r["total"]) for name, r in grades.items()} == expected
    assert {name: r[WHY] for name, r in grades.items()} == {name: str(total - 1) for name, total in expected.items()}
    canvas = list(csv.reader(io.StringIO((graded / "canvas.csv").read_text(encoding="utf-8"))))
    assert canvas[1][-1] == "4"  # points possible: 1 for the practice item, 3 for the written answer
    ids = {"alice": "111", "bob": "222", "carol": "333"}
    assert {r[2]: r[-1] for r in canvas[2:]} == {ids[name]: f"{total:g}" for name, total in expected.items()}
    feedback = (graded / "feedback" / f"{second}__01_written_fixture.md").read_text(encoding="utf-8")
    assert "Comment: Say why the tanh matters." in feedback and "- met: says how c\\_{t−1} and h\\_{t−1} enter step t" in feedback

    # the page written again by the fold starts, in a browser that never saw it, from the folded scores
    fresh = browser.new_context()
    page = fresh.new_page()
    page.goto((graded / "written.html").as_uri())
    expect(page.locator("#progress")).to_contain_text("2 of 3")  # no eval: the page's CSP forbids it
    boxes = page.locator("article.answer").nth(0).locator("input[type=checkbox]")
    assert [boxes.nth(k).is_checked() for k in range(3)] == [True, False, True]
    assert page.locator("article.answer").nth(1).locator("textarea").input_value() == "Say why the tanh matters."
    fresh.close()
