"""The class report: a synthetic class whose verdicts are drawn at known frequencies from the
catalogues of named wrong answers (plus unknown values), fed straight to the report; every
count, share and pass rate it shows must equal the generator's truth exactly.
"""

from __future__ import annotations

import csv
import json
import concurrent.futures
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup

from dlweek8 import __main__ as cli
from dlweek8 import checks, variants
from dlweek8.instructor.grading import discover, outputs, report, whose
from dlweek8.instructor.solutions import solution
from dlweek8.names import CORRECT, INCORRECT, INVALID, UNANSWERED

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = discover.Assignment.from_notebook(ROOT / "notebooks" / "01_lstm_gradients.ipynb")
QUESTION_IDS = ASSIGNMENT.question_ids
CLASS_SIZE = 320
#: Unknown wrong answers (no mistake name), as the record prints them; two are hostile text.
UNKNOWN = ["12345", "[0.5, 0.5]", "<script>alert('x')</script>", "=HYPERLINK(\"http://x\")"]
PROBLEM_NOTES = {
    "unreadable": "not graded: not valid JSON (Expecting value: line 1 column 1 (char 0))",
    "timeout": "stopped: the notebook did not finish within 300 s, so no answers were read",
    "crash": "cell 4 skipped: it stopped the kernel (os._exit, exit() or a crash); the notebook was re-run without it",
}


@dataclass
class Truth:
    """What the generator drew, counted independently of the report code."""

    rows: list[report.Row] = field(default_factory=list)
    statuses: dict[str, Counter] = field(default_factory=lambda: {q: Counter() for q in QUESTION_IDS})
    mistakes: Counter = field(default_factory=Counter)  # (qid, mistake)
    unknown: Counter = field(default_factory=Counter)  # (qid, printed answer)
    problems: dict[str, str] = field(default_factory=dict)  # submission -> note


def catalogue(qid: str) -> list[str]:
    """The named wrong answers of ``qid``; a graded value question's answers may also fit someone else's numbers."""
    return sorted(solution(qid).wrong) + ([whose.OTHER_NUMBERS] if variants.graded(checks.get(qid)) else [])


def synthetic_class(size: int = CLASS_SIZE, seed: int = 8) -> Truth:
    rng = np.random.default_rng(seed)
    truth = Truth()
    # each question: its own pass probability, and each named mistake its own frequency
    plans = {}
    for i, qid in enumerate(QUESTION_IDS):
        names = catalogue(qid)
        named = rng.dirichlet(np.ones(len(names))) * 0.35 if names else np.zeros(0)
        p_correct = 0.2 + 0.4 * i / len(QUESTION_IDS)  # distinct difficulties (below 0.6 however many questions)
        rest = 1 - p_correct - named.sum()
        plans[qid] = (names, np.concatenate([[p_correct], named, [rest * 0.5, rest * 0.3, rest * 0.2]]))
    for n in range(size):
        row = report.Row(f"student{n:03d}/01_lstm_gradients.ipynb")
        kind = ("unreadable", "timeout", "crash")[n % 3] if n % 40 == 7 else None
        if kind:
            row.notes.append(PROBLEM_NOTES[kind])
            truth.problems[row.submission] = PROBLEM_NOTES[kind]
        if kind == "unreadable":
            truth.rows.append(row)  # no verdicts at all, as batch leaves a file it cannot read
            for qid in QUESTION_IDS:
                truth.statuses[qid]["not graded"] += 1
            continue
        for qid in QUESTION_IDS:
            question = checks.get(qid)
            names, p = plans[qid]
            pick = rng.choice(len(p), p=p) if kind != "timeout" else len(p) - 2
            if pick == 0:
                row.feedback[qid] = question.correct("Correct.")
            elif pick <= len(names):
                name = names[pick - 1]
                row.feedback[qid] = question.wrong(f"This answer makes the mistake {name} (submission {n}).", mistake=name)
                row.answers[qid] = f"answer of kind {name}"
                truth.mistakes[qid, name] += 1
            elif pick == len(names) + 1:
                shown = UNKNOWN[rng.integers(len(UNKNOWN))]
                row.feedback[qid] = question.wrong("Not the right value.")
                row.answers[qid] = shown
                truth.unknown[qid, shown] += 1
            elif pick == len(names) + 2:
                row.feedback[qid] = question.invalid("No answer could be read: the notebook did not run to the end.")
            else:
                row.feedback[qid] = question.unanswered()
            truth.statuses[qid][row.feedback[qid].status] += 1
        truth.rows.append(row)
    return truth


@pytest.fixture(scope="module")
def drawn() -> Truth:
    return synthetic_class()


@pytest.fixture(scope="module")
def written(drawn, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("class")
    outputs.write_all(out, QUESTION_IDS, drawn.rows, ASSIGNMENT.name)
    return out


def soup(out: Path) -> BeautifulSoup:
    return BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")


def table(page: BeautifulSoup, table_id: str) -> list[list[str]]:
    found = page.find("table", id=table_id)
    assert found is not None, table_id
    return [[td.get_text() for td in tr.find_all("td")] for tr in found.find("tbody").find_all("tr")]


def checked(drawn: Truth, qid: str) -> int:
    return drawn.statuses[qid][CORRECT] + drawn.statuses[qid][INCORRECT]


def test_the_class_is_big_and_uses_every_catalogue(drawn):
    assert len(drawn.rows) >= 300
    assert {qid for qid, _ in drawn.mistakes} == {q for q in QUESTION_IDS if catalogue(q)}
    assert sum(drawn.mistakes.values()) > 300 and sum(drawn.unknown.values()) > 50


def test_misconceptions_csv_equals_the_truth(drawn, written):
    with open(written / "misconceptions.csv", newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["question", "mistake", "count", "share"]
        rows = list(reader)
    found = {(q, m): (int(c), float(s)) for q, m, c, s in rows}
    assert len(found) == len(rows)
    assert found == {key: (count, count / checked(drawn, key[0])) for key, count in drawn.mistakes.items()}


def test_pass_rates_are_exact_and_ordered_by_difficulty(drawn, written):
    rows = table(soup(written), "pass-rates")
    rate = {q: drawn.statuses[q][CORRECT] / CLASS_SIZE for q in QUESTION_IDS}
    assert [r[0] for r in rows] == sorted(QUESTION_IDS, key=lambda q: (rate[q], QUESTION_IDS.index(q)))
    for qid, shown, correct, incorrect, invalid, blank, others in rows:
        s = drawn.statuses[qid]
        assert shown == f"{100 * rate[qid]:.1f}%"
        assert (int(correct), int(incorrect), int(invalid), int(blank)) == (s[CORRECT], s[INCORRECT], s[INVALID], s[UNANSWERED] + s["not graded"])
        assert int(others) == drawn.mistakes[qid, whose.OTHER_NUMBERS]


def test_answers_for_someone_elses_numbers_are_counted_and_named_per_question(drawn, written):
    """Issue 22: per question, how many submissions answered another student's (or the notes') numbers, and which."""
    truth = {qid: sorted(r.submission for r in drawn.rows if (f := r.feedback.get(qid)) and f.mistake == whose.OTHER_NUMBERS)
             for qid in QUESTION_IDS}
    assert any(truth.values())  # the synthetic class has some (else this test could not fail)
    shown = {qid: (int(count), which.split(", ")) for qid, count, which in table(soup(written), "other-numbers")}
    assert shown == {qid: (len(names), names) for qid, names in truth.items() if names}


def test_each_questions_mistake_table_has_counts_shares_and_an_example(drawn, written):
    page = soup(written)
    seen = {}
    for found in page.find_all("table", class_="mistakes"):
        qid = found["data-question"]
        for mistake, count, share, example in table(page, found["id"]):
            seen[qid, mistake] = int(count)
            assert share == f"{100 * int(count) / checked(drawn, qid):.1f}%"
            assert example.startswith(f"This answer makes the mistake {mistake} (submission ")
    assert seen == dict(drawn.mistakes)


def test_unrecognised_answers_are_grouped_by_value(drawn, written):
    rows = table(soup(written), "unrecognised")
    assert {(q, a): int(c) for q, a, c, _, _ in rows} == dict(drawn.unknown)
    raw = (written / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in raw


def test_crashed_timed_out_and_unreadable_submissions_are_listed_with_reasons(drawn, written):
    rows = table(soup(written), "problems")
    assert {name: reasons for name, _, reasons in rows} == drawn.problems
    kinds = {name: kind for name, kind, _ in rows}
    assert {kinds[n] for n, note in drawn.problems.items() if note.startswith("not graded")} == {"could not be read or graded"}
    assert {kinds[n] for n, note in drawn.problems.items() if note.startswith("stopped:")} == {"timed out"}
    assert {kinds[n] for n, note in drawn.problems.items() if "stopped the kernel" in note} == {"stopped the kernel"}


def test_figures_are_embedded_and_their_alt_text_states_the_numbers(drawn, written):
    page = soup(written)
    images = page.find_all("img")
    assert len(images) == 2 and all(img["src"].startswith("data:image/png;base64,") for img in images)
    totals = [sum(r.points(q) for q in QUESTION_IDS) for r in drawn.rows]
    counts = Counter(int(t) for t in totals)
    score_alt = images[0]["alt"]
    assert f"of {CLASS_SIZE} submissions" in score_alt
    assert all(f"{points} point{'' if points == 1 else 's'}: {count}" in score_alt for points, count in counts.items())
    rate_alt = images[1]["alt"]
    assert all(f"{q} {100 * drawn.statuses[q][CORRECT] / CLASS_SIZE:.1f}%" in rate_alt for q in QUESTION_IDS)


class _Structure(HTMLParser):
    """Tags must nest and close; headings must not skip a level."""

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack, self.headings, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag in ("h1", "h2", "h3", "h4"):
            self.headings.append(int(tag[1]))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")


def test_the_page_is_well_formed_with_headings_in_order(written):
    text = (written / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    parser = _Structure()
    parser.feed(text)
    assert parser.errors == [] and parser.stack == []
    levels = parser.headings
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))


def test_the_report_command_re_renders_from_the_record_alone(drawn, written, tmp_path, capsys):
    copy = tmp_path / "graded"
    shutil.copytree(written, copy)
    for name in ("report.html", "misconceptions.csv"):
        (copy / name).unlink()
    assert cli.main(["report", str(copy)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (copy / "misconceptions.csv").read_bytes() == (written / "misconceptions.csv").read_bytes()
    assert table(soup(copy), "pass-rates") == table(soup(written), "pass-rates")


def test_the_report_command_refuses_a_folder_that_is_not_graded(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"report: {tmp_path} is not a graded folder") and out.count("\n") == 1


def test_the_record_round_trips_exactly(drawn, written):
    back = report.read_results(written / "results.jsonl")
    assert back == report.sorted_rows(drawn.rows)
    assert all(report.Row.from_json(json.loads(json.dumps(r.to_json()))) == r for r in drawn.rows[:40])


def test_a_line_cut_short_by_a_killed_run_is_left_out(drawn, tmp_path):
    path = tmp_path / "results.jsonl"
    report.write_results(path, drawn.rows[:3])
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(report.results_text(drawn.rows[3:4])[:50])
    assert report.read_results(path) == drawn.rows[:3]
    report.append_result(path.with_name("progress.jsonl"), drawn.rows[0])
    assert report.read_results(path.with_name("progress.jsonl")) == drawn.rows[:1]


def test_the_figures_leave_no_pyplot_state(written):
    import matplotlib

    pyplot = __import__("sys").modules.get("matplotlib.pyplot")
    assert pyplot is None or pyplot.get_fignums() == []
    assert matplotlib.get_backend()  # untouched by the report


# -- in a real browser (the browser tier: it starts Chromium) --------------------------------------


@pytest.mark.browser
def test_the_report_opens_in_chromium_without_console_errors(written):
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("DLWEEK8_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (DLWEEK8_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    shots = ROOT / "artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    def look():
        """The browser session, in a thread of its own: the sync API refuses a thread whose asyncio loop
        runs (an earlier test on this worker may have left one)."""
        problems = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=args)
            try:
                page = browser.new_page(viewport={"width": 1100, "height": 900})
                page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("request", lambda r: problems.append(f"request to {r.url}") if not r.url.startswith(("file:", "data:")) else None)
                page.goto((written / "report.html").as_uri())
                page.wait_for_load_state("load")
                widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
                assert len(widths) == 2 and min(widths) > 100, "every figure decodes"
                page.screenshot(path=str(shots / "class_report.png"), full_page=True)
                from axe_playwright_python.sync_playwright import Axe

                found = Axe().run(page).response["violations"]
                violations = [f"{v['id']} ({v['impact']}): {len(v['nodes'])} nodes" for v in found]
            finally:
                browser.close()
        return problems, violations

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        problems, violations = pool.submit(look).result()
    assert problems == []
    assert violations == [], "axe-core: contrast, headings, alt text, table headers, language"


# -- the printed answer in the record ---------------------------------------------------------------


def test_the_record_prints_each_answer_briefly():
    from dlweek8 import plain, untrusted

    assert report.answer_text({"value": plain.encode((26, 28))}) == "[26, 28]"
    assert report.answer_text({"value": plain.encode(np.array([[1.0, 2.0], [3.0, 4.0]]))}) == "[[1.0, 2.0], [3.0, 4.0]]"
    assert report.answer_text({"value": plain.encode(np.zeros((50, 50)))}) == "an array of shape (50, 50)"
    assert report.answer_text({"value": plain.encode("=1+1\n<b>")}) == "'=1+1\\n<b>'"
    long = report.answer_text({"value": plain.encode("x" * 1000)})
    assert len(long) == report.ANSWER_CHARS and long.endswith("…")
    outcomes = [untrusted.Outcome(value=3).to_json(), untrusted.Outcome(error="ZeroDivisionError: division by zero", error_type="ZeroDivisionError").to_json()]
    assert report.answer_text({"outcomes": outcomes}) == "returns 3; raised ZeroDivisionError"
    for nothing in (None, {"missing": "name 'x' is not defined"}, {"error": "too large"}, {"value": {"__ndarray__": [1.0], "dtype": "<f8", "shape": [7]}}, "junk"):
        assert report.answer_text(nothing) is None
