"""``python -m dlweek8 grade``: grade a batch of submissions in parallel and write the report.

Each submission is read once into memory and never written. It is matched to the
assignment (the released student edition it was made from), executed in its own fresh
kernel (a pool of threads each drives one kernel process at a time), and judged here.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from . import gradebook, judge, merge, report, runner, warm
from .discover import Assignment, NotANotebook, Parsed, read_notebook, released_assignments


class GradingError(Exception):
    """The batch as a whole cannot be graded (e.g. no assignment to grade against)."""


def submission_paths(paths) -> list[Path]:
    """Notebooks named, or found under the folders named (checkpoints and backups left out)."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        else:
            found.append(path)
    return found


def _names(paths: list[Path]) -> list[str]:
    """Each submission's name: its path relative to the folder all of them share."""
    resolved = [p.resolve() for p in paths]
    common = Path(os.path.commonpath([p.parent for p in resolved])) if resolved else Path()
    return [p.relative_to(common).as_posix() for p in resolved]


def choose_assignment(parsed: list[Parsed], candidates: list[Assignment]) -> Assignment:
    """The assignment most submissions were made from (by their metadata, else by their question ids)."""
    if not candidates:
        raise GradingError("no released student edition to grade against; pass --assignment NOTEBOOK")
    votes = Counter()
    for p in parsed:
        match = next((a for a in candidates if a.name == p.source), None)
        if match is None:
            overlap = max(candidates, key=lambda a: len(set(a.answers) & set(p.answers)))
            match = overlap if set(overlap.answers) & set(p.answers) else None
        if match is not None:
            votes[match.name] += 1
    if not votes:
        raise GradingError("no submission matches a released assignment; pass --assignment NOTEBOOK")
    name = votes.most_common(1)[0][0]
    return next(a for a in candidates if a.name == name)


def other_assignment(p: Parsed, assignment: Assignment) -> str | None:
    """Why ``p`` is not a submission of ``assignment``, or None if it is."""
    if p.source is not None and p.source != assignment.name:
        return f"not graded: this notebook was made from {p.source}, and this batch grades {assignment.name}"
    if p.source is None and not set(p.answers) & set(assignment.answers):
        return f"not graded: none of the questions of {assignment.name} were found (another assignment?)"
    return None


def grade(paths, out: Path, limits: runner.Limits | None = None, jobs: int | None = None,
          assignment: Assignment | None = None, progress: bool = True, warm_kernels: bool = True,
          shard: tuple[int, int] | None = None, roster: list[gradebook.Student] | None = None) -> tuple[Assignment, list[report.Row]]:
    """Grade every submission in ``paths``; write ``out/grades.csv`` and feedback; return the rows.

    With ``warm_kernels``, each fresh kernel is forked from a template that has imported the
    assignment's modules (:mod:`.warm`); otherwise each starts from scratch. ``shard`` (I, N)
    grades only the I-th of N slices of the sorted submissions (:mod:`.merge`); ``roster`` adds
    the gradebook files.
    """
    from tqdm import tqdm

    limits = limits or runner.Limits()
    paths = submission_paths(paths)
    names = _names(paths)
    shard_info = None
    if shard is not None:
        chosen, shard_info = merge.select(names, *shard)
        wanted = set(chosen)
        keep = [i for i, name in enumerate(names) if name in wanted]
        paths, names = [paths[i] for i in keep], [names[i] for i in keep]
    rows = {name: report.Row(name) for name in names}
    parsed: dict[str, Parsed] = {}
    for name, path in zip(names, paths):
        try:
            parsed[name] = read_notebook(path.read_bytes())  # read once; never written
        except NotANotebook as exc:
            rows[name].notes.append(f"not graded: {exc}")
        except OSError as exc:
            rows[name].notes.append(f"not graded: cannot read the file ({exc.strerror})")
    if assignment is None:
        assignment = choose_assignment(list(parsed.values()), released_assignments(_notebooks_folder()))
    jobs_by_name = {}
    for name, p in parsed.items():
        why = other_assignment(p, assignment)
        if why:
            rows[name].notes.append(why)
            continue
        questions = [(qid, p.answers.get(qid, default), judge.is_function_question(qid)) for qid, default in assignment.answers.items()]
        jobs_by_name[name] = runner.Job(name, p.code_cells, questions, limits)
    workers = max(1, min(jobs or cores(), len(jobs_by_name) or 1))
    preload = [*assignment.imports, *sorted({f"dlweek8.checks.{qid.split('.')[0]}" for qid in assignment.question_ids})]
    template = warm.start(preload, runner.kernel_env()) if warm_kernels and jobs_by_name else None
    try:
        with tqdm(total=len(names), desc="grading", unit="notebook", disable=not progress) as bar:
            bar.update(len(names) - len(jobs_by_name))
            for name, execution in _execute_all(jobs_by_name, workers, template):
                _judge(rows[name], assignment, execution)
                bar.update(1)
    finally:
        if template is not None:
            template.close()  # its kernels go with it
    ordered = [rows[name] for name in names]
    report.write_all(Path(out), assignment.question_ids, ordered, assignment.name, roster=roster,
                     shard=shard_info.to_json() if shard_info else None)
    return assignment, ordered


def _execute_all(jobs_by_name: dict, workers: int, template):
    """Yield (name, Execution) as submissions finish, ``workers`` at a time; Ctrl-C cancels the rest."""
    if not jobs_by_name:
        return
    pool = ThreadPoolExecutor(workers, thread_name_prefix="dlweek8-grade")
    futures = {pool.submit(runner.execute, job, template): name for name, job in jobs_by_name.items()}
    try:
        for future in as_completed(futures):
            try:
                execution = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker that failed still leaves a row
                execution = runner.Execution(notes=[f"the grading worker failed ({type(exc).__name__})"])
            yield futures[future], execution
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def cores() -> int:
    """Cores this process may use (the CPU affinity where known, e.g. in a container)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _judge(row: report.Row, assignment: Assignment, execution: runner.Execution) -> None:
    row.notes += execution.notes
    for qid in assignment.question_ids:
        reply, reason = None, execution.reasons.get(qid)
        if qid in execution.replies:
            try:
                reply = judge.parse_reply(execution.replies[qid])
            except ValueError as exc:
                reason = f"the kernel's reply was malformed ({type(exc).__name__})"
        row.feedback[qid] = judge.verdict(qid, reply, reason)
        row.answers[qid] = report.answer_text(reply)
        if reply is not None and "missing" in reply:
            row.notes.append(f"{qid}: no answer found")


def _notebooks_folder() -> Path:
    """``notebooks/`` in the working directory, else next to the installed package (a clone)."""
    here = Path.cwd() / "notebooks"
    return here if here.is_dir() else Path(__file__).resolve().parents[3] / "notebooks"


def add_arguments(parser) -> None:
    parser.add_argument("submissions", nargs="+", type=Path, help="submitted notebooks, or folders of them")
    parser.add_argument("--out", type=Path, required=True, help="folder for grades.csv and feedback/")
    parser.add_argument("--assignment", type=Path, help="the student edition to grade against (default: the one most submissions came from)")
    parser.add_argument("--cell-timeout", type=float, default=runner.Limits.cell_timeout, help="seconds per cell (default %(default)s)")
    parser.add_argument("--notebook-timeout", type=float, default=runner.Limits.notebook_timeout, help="seconds per notebook (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=cores(), help="submissions graded at once (default: the number of cores, %(default)s)")
    parser.add_argument("--cold-kernels", action="store_true", help="start every kernel from scratch instead of forking it from a warm template")
    parser.add_argument("--roster", type=Path, help="CSV mapping submissions to students (see the README); adds canvas.csv and moodle.csv")
    parser.add_argument("--shard", help="grade only shard I of N of the sorted submissions, as I/N; numbered from 0")
    parser.add_argument("--shards", type=int, help="grade one of N shards, the one JOB_COMPLETION_INDEX names (as in a Kubernetes Indexed Job)")


def run(args) -> int:
    try:
        assignment = Assignment.from_notebook(args.assignment) if args.assignment else None
        if assignment is not None and not assignment.answers:
            raise GradingError(f"{args.assignment} has no dlweek8.check calls of known questions")
        limits = runner.Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout)
        shard = merge.parse_shard(args.shard) if args.shard else merge.index_from_environment(args.shards) if args.shards else None
        roster = gradebook.read_roster(args.roster) if args.roster else None
        assignment, rows = grade(args.submissions, args.out, limits, args.jobs, assignment, warm_kernels=not args.cold_kernels,
                                 shard=shard, roster=roster)
    except (GradingError, NotANotebook, OSError, merge.ShardError, gradebook.RosterError) as exc:
        print(f"grade: {exc}")
        return 1
    except KeyboardInterrupt:
        print("grade: interrupted; nothing was written")
        return 130
    ids = assignment.question_ids
    for line in gradebook.match(roster, [r.submission for r in rows]).lines() if roster is not None and shard is None else ():
        print(line)
    print(f"graded {len(rows)} submissions of {assignment.name} ({len(ids)} questions): {args.out / 'grades.csv'}")
    return 0
