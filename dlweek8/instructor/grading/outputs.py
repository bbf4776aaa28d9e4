"""Everything a run writes into its graded folder, and ``python -m dlweek8 report``, which re-renders it.

``report`` holds the rows and the per-submission files; ``classreport`` the class view; ``gradebook``
the LMS files; ``written_page`` the page for grading written answers. This module only puts them
together, so none of them needs another's writer.
"""

from __future__ import annotations

from pathlib import Path

from . import classreport, gradebook, report, written_page, written_scores


def write_all(out: Path, question_ids: list[str], rows: list[report.Row], assignment: str, *, roster=None,
              shard: dict | None = None, notices=(), title: str | None = None, show_names: bool = False,
              memory: dict | None = None) -> dict[str, Path]:
    """Write every output of a run into ``out`` (see the module docstring); return each submission's
    Markdown feedback file. ``roster`` is a list of :class:`.gradebook.Student` (or None)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = report.sorted_rows(rows)
    info = report.RunInfo(assignment, list(question_ids), shard, gradebook.roster_to_json(roster), list(notices), title, memory)
    report.write_results(out / report.RESULTS, rows)
    report.write_atomic(out / report.RUN_INFO, report.run_info_text(info))
    report.write_atomic(out / "grades.csv", report.grades_csv(question_ids, rows))
    stems = report.feedback_files(rows)
    texts = {}
    for row in rows:
        texts[f"{stems[row.submission]}.md"] = report.feedback_markdown(row, question_ids, assignment, notices)
        texts[f"{stems[row.submission]}.html"] = report.feedback_html(row, question_ids, assignment, notices)
    report.write_folder(out / "feedback", texts)
    files = {row.submission: out / "feedback" / f"{stems[row.submission]}.md" for row in rows}
    classreport.write(out, info, rows)
    written_page.write(out, info, rows, show_names=show_names)  # written.html, when the run has written answers
    return files


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
        count = written_scores.fold(rows, scores)
        write_all(args.graded, info.question_ids, rows, info.assignment, roster=gradebook.roster_from_json(info.roster),
                         shard=info.shard, notices=info.notices, title=info.title, show_names=args.show_names, memory=info.memory)
        print(f"folded {count} written score(s) into grades.csv, the feedback files and the gradebook files")
    else:
        classreport.write(args.graded, info, rows)
        written_page.write(args.graded, info, rows, show_names=args.show_names)
    for line in classreport.mismatch_lines(info, rows):
        print(line)
    print(f"wrote {args.graded / 'report.html'} and misconceptions.csv ({len(rows)} submissions)")
    return 0
