"""The instructor's view of a graded batch: ``report.html`` and ``misconceptions.csv``.

Computed from the rows alone (``results.jsonl``), so ``python -m dlweek8 report graded/``
re-renders them without running anything. Definitions used throughout:

- *pass rate* of a question: submissions whose answer is correct / all submissions of the batch;
- *checked answers* of a question: submissions whose answer was judged correct or not quite
  (not blank, unreadable or missing);
- *share* of a named mistake: its count / the question's checked answers (so the pass share,
  the named shares and the unrecognised share of a question add up to 1);
- *unrecognised*: an answer judged not quite with no mistake name, grouped by its printed value.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ...names import CORRECT, INCORRECT, INVALID, STATUS_TITLE, UNANSWERED
from . import gradebook, report

#: Problems a submission's notes can report, by how the note begins or what it says.
PROBLEM_KINDS = (
    ("could not be read or graded", ("not graded:",)),
    ("timed out", ("stopped: the notebook did not finish", "did not finish within")),
    ("stopped the kernel", ("stopped the kernel",)),
    ("grader failure", ("the grading worker failed", "could not be executed", "the grader's setup failed", "stopped: more than")),
    ("a cell raised an error", (" raised ", "more cells raised errors")),
)


def problem_kind(note: str) -> str | None:
    """Which kind of problem a note reports, or None for a note that is not one."""
    for kind, marks in PROBLEM_KINDS:
        if any(note.startswith(m) if m.endswith(":") else m in note for m in marks):
            return kind
    return None


@dataclass
class QuestionStats:
    question_id: str
    statuses: Counter = field(default_factory=Counter)
    mistakes: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)  # mistake -> first message
    unrecognised: Counter = field(default_factory=Counter)  # printed answer -> count
    unrecognised_examples: dict[str, str] = field(default_factory=dict)

    @property
    def checked(self) -> int:
        return self.statuses[CORRECT] + self.statuses[INCORRECT]

    def share(self, count: int) -> float:
        return count / self.checked if self.checked else 0.0


@dataclass
class ClassStats:
    """Everything the report shows, computed once from the rows."""

    question_ids: list[str]
    totals: dict[str, float]
    questions: dict[str, QuestionStats]
    problems: list[tuple[str, list[str], list[str]]]  # submission, kinds, notes

    @property
    def size(self) -> int:
        return len(self.totals)

    def pass_rate(self, qid: str) -> float:
        return self.questions[qid].statuses[CORRECT] / self.size if self.size else 0.0

    def by_difficulty(self) -> list[str]:
        """Question ids, hardest (lowest pass rate) first; ties in notebook order."""
        order = {qid: i for i, qid in enumerate(self.question_ids)}
        return sorted(self.question_ids, key=lambda q: (self.pass_rate(q), order[q]))


def statistics(question_ids: list[str], rows: list[report.Row]) -> ClassStats:
    questions = {qid: QuestionStats(qid) for qid in question_ids}
    problems = []
    for row in rows:
        for qid, stats in questions.items():
            found = row.feedback.get(qid)
            if found is None:
                stats.statuses["not graded"] += 1
                continue
            stats.statuses[found.status] += 1
            if found.status != INCORRECT:
                continue
            if found.mistake:
                stats.mistakes[found.mistake] += 1
                stats.examples.setdefault(found.mistake, found.message)
            else:
                shown = row.answers.get(qid) or "(not recorded)"
                stats.unrecognised[shown] += 1
                stats.unrecognised_examples.setdefault(shown, found.message)
        kinds = sorted({k for k in map(problem_kind, row.notes) if k})
        if kinds:
            problems.append((row.submission, kinds, list(row.notes)))
    totals = {row.submission: row.total(question_ids) for row in rows}
    return ClassStats(list(question_ids), totals, questions, problems)


def _rate(value: float) -> str:
    return f"{100 * value:.1f}%"


def _share(value: float) -> str:
    """A share as misconceptions.csv writes it: the exact float (shortest repr)."""
    return repr(float(value))


def misconception_rows(stats: ClassStats) -> list[list[str]]:
    """Rows of misconceptions.csv: question, mistake, count, share; by question, then most frequent."""
    rows = []
    for qid in stats.question_ids:
        q = stats.questions[qid]
        for mistake, count in sorted(q.mistakes.items(), key=lambda item: (-item[1], item[0])):
            rows.append([qid, mistake, str(count), _share(q.share(count))])
    return rows


# -- figures ------------------------------------------------------------------------------------


def _png(fig) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float, height: float):
    from matplotlib.figure import Figure  # no pyplot: no global figure state

    return Figure(figsize=(width, height), layout="constrained")


def score_figure(stats: ClassStats) -> tuple[str, str]:
    """PNG (base64) of the score distribution, and alt text stating its numbers."""
    import numpy as np

    top = int(round(report.possible(stats.question_ids)))
    totals = np.array(list(stats.totals.values()), dtype=float)
    rounded = np.clip(np.rint(totals), 0, top).astype(int) if totals.size else np.zeros(0, int)
    counts = np.bincount(rounded, minlength=top + 1)
    fig = _figure(7.5, 2.8)
    ax = fig.add_subplot()
    ax.bar(np.arange(top + 1), counts, color="#0969da", width=0.8)
    ax.set_xticks(np.arange(top + 1))
    ax.set_xlabel(f"total points (of {top}, rounded)")
    ax.set_ylabel("submissions")
    ax.spines[["top", "right"]].set_visible(False)
    png = _png(fig)
    spread = ", ".join(f"{points} point{'' if points == 1 else 's'}: {count}" for points, count in enumerate(counts) if count)
    mean = f"mean {totals.mean():.2f}, median {np.median(totals):g}" if totals.size else "no submissions"
    alt = f"Bar chart of total points of {int(totals.size)} submissions: {spread or 'none'}; {mean}."
    return png, alt


def pass_rate_figure(stats: ClassStats) -> tuple[str, str]:
    """PNG (base64) of the pass rate per question, hardest first, and alt text stating the rates."""
    order = stats.by_difficulty()
    rates = [100 * stats.pass_rate(q) for q in order]
    fig = _figure(7.5, 0.8 + 0.32 * max(1, len(order)))
    ax = fig.add_subplot()
    positions = list(range(len(order)))
    ax.barh(positions, rates, color="#1a7f37", height=0.7)
    ax.set_yticks(positions, order, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("pass rate (% of submissions)")
    for y, rate in zip(positions, rates, strict=True):
        ax.text(min(rate + 1, 88), y, f"{rate:.0f}%", va="center", fontsize=8, color="#1f2328")
    ax.spines[["top", "right"]].set_visible(False)
    png = _png(fig)
    alt = "Horizontal bar chart of the pass rate per question, hardest first: " + "; ".join(f"{q} {_rate(stats.pass_rate(q))}" for q in order) + "."
    return png, alt


# -- the page -----------------------------------------------------------------------------------

_STYLE = """
figure { margin: .5rem 0 1rem; } figure img { max-width: 100%; height: auto; }
figcaption { color: #424a53; font-size: .9rem; }
.muted { color: #57606a; }
table.mistakes td:first-child { white-space: nowrap; font-family: ui-monospace, monospace; font-size: .9rem; }
#unrecognised td:nth-child(2), #problems td:first-child { font-family: ui-monospace, monospace; font-size: .9rem; overflow-wrap: anywhere; min-width: 9rem; max-width: 22rem; }
"""


def _table(table_id: str, caption: str, header: list[str], rows: list[list[str]], numeric=(), attrs: str = "") -> str:
    esc = html.escape

    def cls(i: int) -> str:
        return ' class="num"' if i in numeric else ""

    head = "".join(f'<th scope="col"{cls(i)}>{esc(h)}</th>' for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{esc(str(c))}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<table id="{esc(table_id)}"{attrs}><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render(info: report.RunInfo, rows: list[report.Row], generated: str | None = None) -> str:
    """report.html: self-contained, figures embedded, every student-controlled text escaped."""
    esc = html.escape
    stats = statistics(info.question_ids, rows)
    generated = generated or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"<h1>Class report: {esc(info.assignment)}</h1>",
        f'<p>{stats.size} submissions, {len(info.question_ids)} questions, {report._number(report.possible(info.question_ids))} points '
        f'(1 point each; a written answer its rubric\'s points). <span class="muted" id="generated">Generated {esc(generated)}.</span></p>',
    ]
    parts += [f'<p class="notice">{esc(n)}</p>' for n in info.notices]

    parts.append("<h2>Score distribution</h2>")
    png, alt = score_figure(stats)
    parts.append(f'<figure><img src="data:image/png;base64,{png}" alt="{esc(alt)}"><figcaption>{esc(alt)}</figcaption></figure>')

    parts.append("<h2>Pass rate per question</h2>")
    png, alt = pass_rate_figure(stats)
    parts.append(f'<figure><img src="data:image/png;base64,{png}" alt="{esc(alt)}"><figcaption>Hardest first.</figcaption></figure>')
    rate_rows = []
    for qid in stats.by_difficulty():
        s = stats.questions[qid].statuses
        rate_rows.append([qid, _rate(stats.pass_rate(qid)), s[CORRECT], s[INCORRECT], s[INVALID], s[UNANSWERED] + s["not graded"]])
    parts.append(_table("pass-rates", "Questions ordered by difficulty (lowest pass rate first)",
                        ["question", "pass rate", STATUS_TITLE[CORRECT], STATUS_TITLE[INCORRECT], STATUS_TITLE[INVALID], "not answered"],
                        rate_rows, numeric={1, 2, 3, 4, 5}))

    parts.append("<h2>Misconceptions per question</h2>")
    parts.append("<p>Share: of the answers checked for that question (correct or not quite). "
                 "The same figures are in <code>misconceptions.csv</code>.</p>")
    for qid in stats.by_difficulty():
        q = stats.questions[qid]
        parts.append(f"<h3><code>{esc(qid)}</code></h3>")
        if not q.mistakes:
            parts.append(f'<p class="muted">No named mistakes ({q.checked} answers checked, pass rate {_rate(stats.pass_rate(qid))}).</p>')
            continue
        mistake_rows = [[m, c, _rate(q.share(c)), q.examples[m]] for m, c in sorted(q.mistakes.items(), key=lambda i: (-i[1], i[0]))]
        parts.append(_table(f"mistakes-{qid}", f"Named mistakes in {qid} ({q.checked} answers checked)", ["mistake", "count", "share", "example message"],
                            mistake_rows, numeric={1, 2}, attrs=f' class="mistakes" data-question="{esc(qid)}"'))

    parts.append("<h2>Answers no catalogue recognised</h2>")
    unknown_rows = []
    for qid in info.question_ids:
        q = stats.questions[qid]
        for shown, count in sorted(q.unrecognised.items(), key=lambda i: (-i[1], i[0])):
            unknown_rows.append([qid, shown, count, _rate(q.share(count)), q.unrecognised_examples[shown]])
    if unknown_rows:
        parts.append("<p>Wrong answers with no mistake name, grouped by value: candidates for a new named mistake.</p>")
        parts.append(_table("unrecognised", "Unrecognised wrong answers, grouped by value", ["question", "answer", "count", "share", "message"],
                            unknown_rows, numeric={2, 3}))
    else:
        parts.append("<p>Every wrong answer had a name.</p>")

    parts += written_section(info.question_ids, rows)

    parts.append("<h2>Submissions that crashed, timed out or could not be read</h2>")
    if stats.problems:
        parts.append(_table("problems", f"{len(stats.problems)} submission{'' if len(stats.problems) == 1 else 's'} with problems", ["submission", "problem", "reasons"],
                            [[name, ", ".join(kinds), "; ".join(notes)] for name, kinds, notes in stats.problems]))
    else:
        parts.append("<p>None: every submission ran to the end.</p>")

    parts.append("<h2>Roster</h2>")
    roster = gradebook.roster_from_json(info.roster)
    if info.shard:
        parts.append(f"<p>This folder is shard {info.shard['index']} of {info.shard['count']} (numbered from 0): "
                     "the roster is matched, and the gradebook files written, when the shards are merged.</p>")
    elif roster is None:
        parts.append("<p>No roster was given, so no gradebook files were written (<code>--roster roster.csv</code>).</p>")
    else:
        matching = gradebook.match(roster, [r.submission for r in rows])
        parts.append(f"<p>{len(roster)} students on the roster, {sum(1 for _, n in matching.pairs if n)} matched to a submission; "
                     "grades in <code>canvas.csv</code> and <code>moodle.csv</code>.</p>")
        mismatch = [["no roster entry", name] for name in matching.unmatched]
        mismatch += [["no submission", s.label] for s in matching.missing]
        mismatch += [["matches several submissions", f"{s.label}: {', '.join(names)}"] for s, names in matching.ambiguous]
        if mismatch:
            parts.append(_table("roster-mismatches", "Roster mismatches (nothing dropped silently)", ["problem", "who"], mismatch))
        else:
            parts.append("<p>Every submission and every student matched.</p>")
    return report.html_page(f"Class report: {info.assignment}", "\n".join(parts), _STYLE)


def written_section(question_ids: list[str], rows: list[report.Row]) -> list[str]:
    """The written answers graded by a person: per question, how many were scored, the points
    distribution, and how often each criterion was met (nothing when the run has no written question)."""
    from ... import checks
    from ...written import is_written

    written = [qid for qid in question_ids if is_written(qid)]
    if not written:
        return []
    esc = html.escape
    parts = ["<h2>Written answers, graded by a person</h2>",
             "<p>Scores folded in with <code>report --written-scores</code>; share: of the answers scored.</p>"]
    for qid in written:
        question = checks.get(qid)
        scores = [row.written[qid] for row in rows if qid in row.written]
        parts.append(f"<h3><code>{esc(qid)}</code></h3>")
        if not scores:
            parts.append(f'<p class="muted">None of {len(rows)} answers scored yet (out of {question.max_points} points).</p>')
            continue
        points = Counter(report._number(float(score["points"])) for score in scores)
        spread = ", ".join(f"{value} points: {count}" for value, count in sorted(points.items(), key=lambda item: float(item[0])))
        parts.append(f"<p>{len(scores)} of {len(rows)} answers scored (out of {question.max_points} points); {esc(spread)}.</p>")
        met = Counter(key for score in scores for key in set(score.get("criteria") or ()))
        criterion_rows = [[c.key, c.looks_at, c.points, met[c.key], _rate(met[c.key] / len(scores))] for c in question.criteria]
        parts.append(_table(f"criteria-{qid}", f"Criteria met in {qid} ({len(scores)} answers scored)",
                            ["criterion", "looks at", "points", "met", "share"], criterion_rows, numeric={2, 3, 4},
                            attrs=f' class="criteria" data-question="{esc(qid)}"'))
    return parts


def write(out: Path, info: report.RunInfo, rows: list[report.Row], generated: str | None = None) -> None:
    """Write report.html, misconceptions.csv and, with a roster, canvas.csv and moodle.csv."""
    out = Path(out)
    stats = statistics(info.question_ids, rows)
    report.write_atomic(out / "misconceptions.csv", report.csv_text(["question", "mistake", "count", "share"], misconception_rows(stats)))
    roster = gradebook.roster_from_json(info.roster)
    if roster is not None and not info.shard:  # a shard's roster is matched at the merge
        matching = gradebook.match(roster, [r.submission for r in rows])
        totals = {submission: report._number(total) for submission, total in stats.totals.items()}
        title, possible = info.gradebook_title, report._number(report.possible(info.question_ids))
        report.write_atomic(out / "canvas.csv", report.csv_text(*gradebook.canvas_rows(matching, totals, title, possible)))
        report.write_atomic(out / "moodle.csv", report.csv_text(*gradebook.moodle_rows(matching, totals, title)))
    report.write_atomic(out / "report.html", render(info, rows, generated))


# -- python -m dlweek8 report ----------------------------------------------------------------------


def add_arguments(parser) -> None:
    parser.add_argument("graded", type=Path, help="a folder written by grade or merge (with results.jsonl and run.json)")
    parser.add_argument("--roster", type=Path, help="a roster CSV to use instead of the one given when grading (see the README)")
    parser.add_argument("--title", help="the gradebook column title (default: the assignment's file name)")
    parser.add_argument("--written-scores", type=Path, help="written_scores.csv downloaded from graded/written.html: fold the "
                        "points a person gave the written answers into grades.csv, the gradebook files, the feedback and this report")
    parser.add_argument("--show-names", action="store_true", help="write graded/written.html with the submissions' names (default: anonymised)")


def run(args) -> int:
    try:
        info, rows = report.read_run(args.graded)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        print(f"report: {args.graded} is not a graded folder ({type(exc).__name__}: {exc})")
        return 1
    scores = None
    if args.written_scores is not None:  # checked whole before anything is written
        from . import written_scores

        try:
            scores = written_scores.read_scores(args.written_scores, info.question_ids, rows)
        except written_scores.ScoresError as exc:
            print(f"report: {exc}; nothing was written")
            return 1
    if args.roster is not None:
        try:
            info.roster = gradebook.roster_to_json(gradebook.read_roster(args.roster))
        except gradebook.RosterError as exc:
            print(f"report: {exc}")
            return 1
    if args.title:
        info.title = args.title
    if args.roster is not None or args.title:
        report.write_atomic(args.graded / report.RUN_INFO, report.run_info_text(info))
    if scores is not None:
        from . import written_scores

        count = written_scores.fold(rows, scores)
        report.write_all(args.graded, info.question_ids, rows, info.assignment, roster=gradebook.roster_from_json(info.roster),
                         shard=info.shard, notices=info.notices, title=info.title, show_names=args.show_names, memory=info.memory)
        print(f"folded {count} written score(s) into grades.csv, the feedback files and the gradebook files")
    else:
        from . import written_page

        write(args.graded, info, rows)
        written_page.write(args.graded, info, rows, show_names=args.show_names)
    for line in mismatch_lines(info, rows):
        print(line)
    print(f"wrote {args.graded / 'report.html'} and misconceptions.csv ({len(rows)} submissions)")
    return 0


def mismatch_lines(info: report.RunInfo, rows: list[report.Row]) -> list[str]:
    """Roster mismatches, for the terminal (empty without a roster)."""
    roster = gradebook.roster_from_json(info.roster)
    return [] if roster is None or info.shard else gradebook.match(roster, [r.submission for r in rows]).lines()
