"""``graded/written.html``: one static page on which a person grades the written answers of a batch.

One section per written question holds every submission's answer, shown as text (escaped, never
read as HTML or Markdown), anonymised unless ``--show-names``, in a stable shuffled order (by a
hash of the question and the submission, so a re-rendered page keeps its order). Each answer has
the rubric's checkboxes and a comment box. Keyboard: ``n``/``j`` next answer (marks the current one
scored), ``p``/``k`` previous, ``1``-``9`` toggle a criterion, ``c`` the comment (``Esc`` leaves it),
``d`` download. Progress is kept in the browser's localStorage (an answer
scored and folded in before starts from that score); "Download scores" writes
``written_scores.csv`` (:mod:`.written_scores`), which ``python -m dlweek8 report graded/
--written-scores written_scores.csv`` folds in. No server, no network: a Content-Security-Policy
lets only the page's own script run.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from pathlib import Path

from ... import checks
from ...names import CORRECT, INCORRECT, INVALID, UNANSWERED
from ...written import is_written
from ..references import rubrics
from . import report
from .written_scores import anon_id

PAGE = "written.html"
#: What the instant check said of an answer's form, by its status (it never judged the content).
_FORM = {CORRECT: "form accepted", INCORRECT: "form refused", UNANSWERED: "no answer", INVALID: "not readable as text"}

_STYLE = """
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa;
        --accent: #0969da; --current: #fff8c5; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --panel: #151b23; --accent: #4493f8;
          --current: #2e2a12; --ok: #3fb950; }
}
body { font-family: system-ui, sans-serif; max-width: 56rem; margin: 1.5rem auto; padding: 0 1rem; color: var(--fg);
       background: var(--bg); line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1rem; margin: 0 0 .4rem; }
kbd { border: 1px solid var(--line); border-radius: 3px; padding: 0 .3rem; font-family: ui-monospace, monospace; background: var(--panel); }
.toolbar { position: sticky; top: 0; background: var(--bg); border-bottom: 1px solid var(--line); padding: .5rem 0; z-index: 1;
           display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
button { font: inherit; padding: .3rem .8rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #ffffff; cursor: pointer; }
@media (prefers-color-scheme: dark) { button { color: #0d1117; } }
.answer { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .9rem; margin: .8rem 0; }
.answer.current { outline: 3px solid var(--accent); outline-offset: 2px; background: var(--current); }
.answer:focus { outline: 3px solid var(--accent); }
.text { white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-serif, Georgia, serif; background: var(--panel);
        border-left: 4px solid var(--line); padding: .4rem .7rem; margin: .4rem 0; }
.form, .muted { color: var(--muted); font-size: .9rem; margin: .2rem 0; }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: .5rem 0; }
legend { font-size: .9rem; color: var(--muted); }
fieldset label { display: block; margin: .15rem 0; }
textarea { width: 100%; box-sizing: border-box; font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--muted); border-radius: 4px; }
.scored { color: var(--ok); font-weight: bold; }
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var page = document.documentElement.getAttribute("data-page");
  var storeKey = "dlweek8-written:" + page;
  var answers = Array.prototype.slice.call(document.querySelectorAll("article.answer"));
  var state = {};
  try { state = JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { state = {}; }
  var current = 0;

  function idOf(a) { return a.getAttribute("data-question") + "|" + a.getAttribute("data-submission"); }
  function boxes(a) { return Array.prototype.slice.call(a.querySelectorAll("input[type=checkbox]")); }
  function save() { try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode: kept in memory */ } }
  function record(a) {
    var met = boxes(a).filter(function (b) { return b.checked; }).map(function (b) { return b.getAttribute("data-key"); });
    var entry = state[idOf(a)] || {};
    entry.criteria = met;
    entry.comment = a.querySelector("textarea").value;
    entry.scored = true;
    state[idOf(a)] = entry;
    save();
    show(a);
  }
  function points(a) {
    return boxes(a).reduce(function (sum, b) { return sum + (b.checked ? Number(b.getAttribute("data-points")) : 0); }, 0);
  }
  function show(a) {
    var entry = state[idOf(a)];
    a.querySelector("output").textContent = String(points(a));
    var mark = a.querySelector(".state");
    mark.textContent = entry && entry.scored ? "scored" : "not scored yet";
    mark.className = "state" + (entry && entry.scored ? " scored" : "");
    var done = answers.filter(function (x) { var e = state[idOf(x)]; return e && e.scored; }).length;
    document.getElementById("progress").textContent = done + " of " + answers.length + " answers scored";
  }
  function load(a) {
    var entry = state[idOf(a)];
    if (!entry && a.hasAttribute("data-folded")) {  // scored earlier and folded in: start from that score
      try { entry = state[idOf(a)] = JSON.parse(a.getAttribute("data-folded")); entry.scored = true; } catch (e) { entry = undefined; }
    }
    if (entry) {
      boxes(a).forEach(function (b) { b.checked = (entry.criteria || []).indexOf(b.getAttribute("data-key")) >= 0; });
      a.querySelector("textarea").value = entry.comment || "";
    }
    show(a);
  }
  function go(n) {
    if (!answers.length) { return; }
    answers[current].classList.remove("current");
    current = Math.max(0, Math.min(answers.length - 1, n));
    var a = answers[current];
    a.classList.add("current");
    a.focus();
    a.scrollIntoView({block: "nearest"});
    document.getElementById("where").textContent = "Answer " + (current + 1) + " of " + answers.length;
  }
  function cell(text) {
    text = String(text);
    if (/^[=+\-@\t\r]/.test(text)) { text = "'" + text; }
    return '"' + text.replace(/"/g, '""') + '"';
  }
  function download() {
    var lines = [["submission", "question", "points", "criteria", "comment"].join(",")];
    answers.forEach(function (a) {
      var entry = state[idOf(a)];
      if (!entry || !entry.scored) { return; }
      lines.push([cell(a.getAttribute("data-submission")), cell(a.getAttribute("data-question")), String(points(a)),
                  cell((entry.criteria || []).join(";")), cell(entry.comment || "")].join(","));
    });
    var blob = new Blob([lines.join("\r\n") + "\r\n"], {type: "text/csv"});
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "written_scores.csv";
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  answers.forEach(function (a, n) {
    load(a);
    boxes(a).forEach(function (b) { b.addEventListener("change", function () { record(a); }); });
    a.querySelector("textarea").addEventListener("input", function () { record(a); });
    a.addEventListener("focusin", function () { if (current !== n) { answers[current].classList.remove("current"); current = n; a.classList.add("current"); } });
  });
  document.getElementById("download").addEventListener("click", download);
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && target.tagName === "TEXTAREA") {
      if (event.key === "Escape") { event.preventDefault(); answers[current].focus(); }
      return;
    }
    if (!answers.length) { return; }
    var a = answers[current];
    if (event.key === "n" || event.key === "j") { event.preventDefault(); record(a); go(current + 1); }
    else if (event.key === "p" || event.key === "k") { event.preventDefault(); go(current - 1); }
    else if (/^[1-9]$/.test(event.key)) {
      var box = boxes(a)[Number(event.key) - 1];
      if (box) { event.preventDefault(); box.checked = !box.checked; record(a); }
    }
    else if (event.key === "c") { event.preventDefault(); a.querySelector("textarea").focus(); }
    else if (event.key === "d") { event.preventDefault(); download(); }
  });
  if (answers.length) { go(0); }
  document.getElementById("progress").textContent = answers.filter(function (x) { var e = state[idOf(x)]; return e && e.scored; }).length
    + " of " + answers.length + " answers scored";
})();
"""


def _order_key(question_id: str, submission: str) -> str:
    return hashlib.sha256(f"{question_id}\n{submission}".encode("utf-8", "surrogatepass")).hexdigest()


def written_question_ids(question_ids) -> list[str]:
    return [qid for qid in question_ids if is_written(qid)]


def _answer(row: report.Row, qid: str, n: int, total: int, show_names: bool, number: int) -> str:
    esc = html.escape
    question = checks.get(qid)
    rubric = {item.key: item for item in rubrics.rubric(qid)}
    token = row.submission if show_names else anon_id(row.submission)
    text = row.answers.get(qid)
    found = row.feedback.get(qid)
    form = f"{_FORM.get(found.status, found.status)}. {found.message}" if found else "no verdict recorded"
    name = f": {esc(row.submission)}" if show_names else ""
    shown = f'<div class="text" lang="en">{esc(text)}</div>' if text else '<p class="muted">(no answer)</p>'
    boxes = []
    for k, criterion in enumerate(question.criteria, 1):
        item = rubric.get(criterion.key)
        earns = item.earns if item else criterion.looks_at
        box_id = f"a{number}-c{k}"
        boxes.append(f'<label for="{box_id}"><input type="checkbox" id="{box_id}" data-key="{esc(criterion.key)}" '
                     f'data-points="{criterion.points}"> <kbd>{k}</kbd> {esc(earns)} '
                     f'({criterion.points} point{"s" if criterion.points != 1 else ""})</label>')
    folded = row.written.get(qid)
    folded_attr = (f' data-folded="{esc(json.dumps({"criteria": list(folded.get("criteria") or ()), "comment": folded.get("comment") or ""}))}"'
                   if folded else "")
    return (
        f'<article class="answer" tabindex="-1" id="a{number}" data-question="{esc(qid)}" data-submission="{esc(token)}"{folded_attr} '
        f'aria-labelledby="a{number}-h">'
        f'<h3 id="a{number}-h">Answer {n} of {total}{name}</h3>'
        f"{shown}"
        f'<p class="form">Form check: {esc(form)}</p>'
        f'<fieldset><legend>Rubric of {esc(qid)}</legend>{"".join(boxes)}</fieldset>'
        f'<label for="a{number}-comment">Comment for the student</label>'
        f'<textarea id="a{number}-comment" rows="2"></textarea>'
        f'<p>Points: <output for="{" ".join(f"a{number}-c{k}" for k in range(1, len(question.criteria) + 1))}">0</output> '
        f'/ {question.max_points} <span class="state">not scored yet</span></p>'
        "</article>"
    )


def render(info: report.RunInfo, rows: list[report.Row], show_names: bool = False) -> str:
    """The page; every text a student controls is escaped, so it shows as text."""
    esc = html.escape
    written = written_question_ids(info.question_ids)
    page_id = hashlib.sha256(json.dumps([info.assignment, written, sorted(r.submission for r in rows)]).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    parts = [
        f"<h1>Written answers: {esc(info.assignment)}</h1>",
        f"<p>{len(rows)} submissions, {'with names' if show_names else 'anonymised'}, each question's answers in a fixed shuffled order. "
        "Tick the criteria an answer meets; the points are their sum.</p>",
        "<p>Keys: <kbd>n</kbd> or <kbd>j</kbd> next answer (marks this one scored), <kbd>p</kbd> or <kbd>k</kbd> previous, "
        "<kbd>1</kbd>–<kbd>9</kbd> toggle a criterion, <kbd>c</kbd> comment (<kbd>Esc</kbd> leaves it), <kbd>d</kbd> download. "
        "Progress stays in this browser (localStorage). Fold the downloaded file in with "
        "<code>python -m dlweek8 report graded/ --written-scores written_scores.csv</code>.</p>",
        '<div class="toolbar"><button type="button" id="download">Download scores</button> '
        '<span id="where"></span> <span id="progress" role="status" aria-live="polite"></span></div>',
    ]
    number = 0
    for s, qid in enumerate(written, 1):
        question = checks.get(qid)
        answered = sorted(rows, key=lambda row: _order_key(qid, row.submission))
        parts.append(f'<section aria-labelledby="q{s}"><h2 id="q{s}"><code>{esc(qid)}</code> (out of {question.max_points} points)</h2>')
        parts.append(f'<p class="prompt">{esc(question.prompt)}</p>')
        for n, row in enumerate(answered, 1):
            number += 1
            parts.append(_answer(row, qid, n, len(answered), show_names, number))
        parts.append("</section>")
    if not written:
        parts.append("<p>This assignment has no written answers.</p>")
    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    policy = f"default-src 'none'; script-src 'sha256-{script_hash}'; style-src 'unsafe-inline'; img-src data:"
    title = f"Written answers: {info.assignment}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en" data-page="{page_id}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(parts)
        + f"\n</main>\n<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def write(out: Path, info: report.RunInfo, rows: list[report.Row], show_names: bool = False) -> Path | None:
    """Write ``out/written.html`` when the run has written questions; return its path (None otherwise)."""
    if not written_question_ids(info.question_ids):
        return None
    path = Path(out) / PAGE
    report.write_atomic(path, render(info, report.sorted_rows(rows), show_names))
    return path
