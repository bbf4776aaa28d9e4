"""``python -m dlweek8 grade``: grade a batch of submissions in parallel and write the report.

Each submission is read once into memory and never written. It is matched to the
assignment (the released student edition it was made from), executed in its own fresh
kernel (a pool of threads each drives one kernel process at a time), and judged here.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ... import untrusted
from ...feedback import Feedback
from ...written import is_written
from . import gradebook, judge, outputs, report, runner, sandbox, shards, whose
from .discover import Assignment, NotANotebook, Parsed, read_notebook, released_assignments


class GradingError(Exception):
    """The batch as a whole cannot be graded (e.g. no assignment to grade against)."""


#: Largest submission read, in MB (a bigger file gets a row with the reason).
MAX_SIZE_MB = 50
#: Most cells, and most JSON values (objects, lists and the items in them), a submission may hold: both
#: counted in its bytes before it is parsed, so that reading a notebook is bounded in time and memory
#: (a released notebook has about 100 cells and 3,000 values; a 42 MB file of 970,000 empty cells is refused
#: in 0.1 s). Then only what grading reads (cell types and sources, the notebook's metadata) is validated.
MAX_CELLS = 2000
MAX_JSON_VALUES = 2_000_000
#: Most characters of code a submission's cells may hold in all (the grader keeps every submission's code until it ran).
MAX_CODE_CHARS = 5 * 2**20
#: Longest verdict message or hint, and example cell, kept in results and feedback: whatever quotes a student's value
#: (``got '...'``) is capped with it.
MESSAGE_CHARS, EXAMPLE_CHARS = 1000, 300
NO_SANDBOX_NOTICE = "graded without a sandbox (--no-sandbox): the submissions' code ran with the grader's access to this machine"


def submission_paths(paths) -> list[Path]:
    """Notebooks named, or found under the folders named (checkpoints and backups left out).

    Paths are kept as given, never resolved: a symlink is listed under its own name, links to
    folders are not followed, and a folder named ``*.ipynb`` is listed (it gets a row saying so).
    Names that are not UTF-8 survive (surrogate escapes)."""
    found = []
    for path in map(Path, paths):
        if path.is_dir() and not path.is_symlink():
            inside = []
            for folder, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
                inside += [Path(folder, name) for name in (*files, *dirs) if name.endswith(".ipynb")]
            found += sorted(inside)
        else:
            found.append(path)
    return found


def _names(paths: list[Path]) -> list[str]:
    """Each submission's name: its path relative to the folder all of them share (not resolved), printable."""
    absolute = [Path(os.path.abspath(p)) for p in paths]
    common = Path(os.path.commonpath([p.parent for p in absolute])) if absolute else Path()
    return [printable(p.relative_to(common).as_posix()) for p in absolute]


def printable(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 written as ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def read_submission(path: Path, roots: list[str], max_bytes: int) -> bytes:
    """The bytes of one submission, without blocking; OSError or ValueError with a one-line reason.

    A FIFO is opened non-blocking and refused, as is every file that is not regular (a device, a
    folder), a link that leads out of the folders given, and a file over ``max_bytes``."""
    if path.is_symlink():
        target = os.path.realpath(path)
        if roots and not any(target == r or target.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
            raise ValueError("a link to a file outside the submissions")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "a socket"
            raise ValueError(f"not a regular file ({kind})")
        if info.st_size > max_bytes:
            raise ValueError(f"larger than {max_bytes // 2**20} MB ({info.st_size // 2**20} MB); see --max-size")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise ValueError(f"larger than {max_bytes // 2**20} MB; see --max-size")
        return b"".join(chunks)
    finally:
        os.close(fd)


def bounded_notebook(data: bytes) -> Parsed:
    """A submission's bytes read as a notebook within bounded time and memory; :class:`NotANotebook` or
    ValueError with a one-line reason. The cells and JSON values are counted in the bytes first
    (:data:`MAX_CELLS`, :data:`MAX_JSON_VALUES`: upper bounds, as the marks inside strings count too),
    then everything grading does not read (outputs, attachments, cell metadata) is dropped before
    nbformat validates it; its code is at most :data:`MAX_CODE_CHARS`."""
    import json

    cells = data.count(b'"cell_type"')
    if cells > MAX_CELLS:
        raise ValueError(f"more than {MAX_CELLS} cells ({cells}): not a notebook of this course")
    values = data.count(b"{") + data.count(b"[") + data.count(b",")
    if values > MAX_JSON_VALUES:
        raise ValueError(f"more than {MAX_JSON_VALUES} JSON values ({values}): not a notebook of this course")
    try:
        raw = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raw = None  # read_notebook says why
    if isinstance(raw, dict) and isinstance(raw.get("cells"), list):
        for cell in raw["cells"]:
            if isinstance(cell, dict):
                cell.pop("attachments", None)
                cell["metadata"] = {}
                if cell.get("cell_type") == "code":
                    cell["outputs"], cell["execution_count"] = [], None
        data = json.dumps(raw).encode()
    parsed = read_notebook(data)
    code = sum(len(source) for _, source in parsed.code_cells)
    if code > MAX_CODE_CHARS:
        raise ValueError(f"its code cells hold more than {MAX_CODE_CHARS // 2**20} MB of code ({code // 2**20} MB)")
    return parsed


def linked_to_another(paths: list[Path], names: list[str], roots: list[str]) -> dict[int, str]:
    """Submission number -> a note, for every submission that is a symlink to another submission's file,
    into another folder, or (in a folder that holds the submissions themselves, where whose file it is
    cannot be told) to any other file under the folders given: those are not graded. One file under two
    names (hard links) cannot be told apart: each is noted, and graded."""
    links = [os.path.islink(p) for p in paths]
    real = [os.path.realpath(p) for p in paths]
    owner = {target: i for i, (target, link) in enumerate(zip(real, links, strict=True)) if not link}
    found: dict[int, str] = {}
    for i, (path, target) in enumerate(zip(paths, real, strict=True)):
        if not links[i]:
            continue
        folder = os.path.realpath(os.path.dirname(os.path.abspath(path)))
        if target in owner:
            found[i] = f"not graded: a link to another submission's file ({names[owner[target]]})"
        elif any(target.startswith(r.rstrip(os.sep) + os.sep) for r in roots) and (folder in roots or not target.startswith(folder + os.sep)):
            found[i] = "not graded: a link to a file in another submission's folder"
    files: dict[tuple[int, int], list[int]] = {}
    for i, path in enumerate(paths):
        try:
            info = os.stat(path)
        except OSError:
            continue
        if not links[i] and stat.S_ISREG(info.st_mode):
            files.setdefault((info.st_dev, info.st_ino), []).append(i)
    for same in files.values():
        for i in same if len(same) > 1 else ():
            found[i] = ("the same file as another submission (a hard link): graded for each, as which student "
                        "wrote it cannot be told")
    return found


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
          shard: tuple[int, int] | None = None, roster: list[gradebook.Student] | None = None,
          sandboxed: bool = True, max_size_mb: float = MAX_SIZE_MB, resume: bool = False,
          notes_numbers: bool = False, kernel_socket: str | None = None) -> tuple[Assignment, list[report.Row]]:
    """Grade every submission in ``paths``; write ``out/grades.csv`` and feedback; return the rows.

    Each submission runs in its own sandbox (:mod:`.sandbox`); ``sandboxed=False`` runs them
    without one and says so in every output. With ``warm_kernels``, each submission's process
    is forked from a template that has imported the assignment's modules; otherwise the template
    imports only the basics. Every file gets exactly one row, whatever it holds; rows are
    appended to ``out/results.jsonl`` as they are graded, and with ``resume`` the submissions
    already there are not graded again. ``shard`` (I, N) grades only the I-th of N slices of the
    sorted submissions (:mod:`.merge`); ``roster`` adds the gradebook files. ``run.json`` says which
    bound held each submission's memory. ``kernel_socket``: the submissions run in the template of
    another container, reached through that socket (:class:`.sandbox.RemoteTemplate`), not here.
    """
    from tqdm import tqdm

    if sandboxed and kernel_socket is None and (why := sandbox.unavailable_reason()):
        raise GradingError(why)
    limits = limits or runner.Limits()
    out = Path(out)
    roots = [os.path.realpath(p) for p in map(str, paths) if os.path.isdir(p)]
    paths = submission_paths(paths)
    names = _names(paths)
    shard_info = None
    if shard is not None:
        chosen, shard_info = shards.select(names, *shard)
        wanted = set(chosen)
        keep = [i for i, name in enumerate(names) if name in wanted]
        paths, names = [paths[i] for i in keep], [names[i] for i in keep]
    names = _distinct(names)
    notices = [] if sandboxed else [NO_SANDBOX_NOTICE]
    notices += [whose.NOTES_NOTICE] if notes_numbers else [whose.NO_ROSTER_NOTICE] if roster is None else []
    rows = {name: report.Row(name) for name in names}
    progress_file = out / report.RESULTS
    done = {row.submission: row for row in report.read_results(progress_file)} if resume and progress_file.exists() else {}
    done = {name: row for name, row in done.items() if name in rows}
    rows.update(done)
    parsed: dict[str, Parsed] = {}
    links = linked_to_another(paths, names, roots)
    for number, (name, path) in enumerate(zip(names, paths, strict=True)):
        if name in done:
            continue
        if number in links:
            rows[name].notes.append(links[number])
            if links[number].startswith("not graded"):
                continue
        try:
            parsed[name] = bounded_notebook(read_submission(path, roots, int(max_size_mb * 2**20)))
        except NotANotebook as exc:
            rows[name].notes.append(f"not graded: {exc}")
        except ValueError as exc:
            rows[name].notes.append(f"not graded: {exc}")
        except OSError as exc:
            rows[name].notes.append(f"not graded: cannot read the file ({exc.strerror or type(exc).__name__})")
        except Exception as exc:  # noqa: BLE001 - one file never ends the batch
            rows[name].notes.append(f"not graded: the file could not be read ({type(exc).__name__})")
    if assignment is None:
        assignment = choose_assignment(list(parsed.values()), released_assignments(_notebooks_folder()))
    out.mkdir(parents=True, exist_ok=True)
    report.write_results(progress_file, list(done.values()))  # the record starts from what is kept
    jobs_by_name = {}
    for name, p in parsed.items():
        try:
            why = other_assignment(p, assignment)
            if why:
                rows[name].notes.append(why)
                continue
            questions = [(qid, p.answers.get(qid, default), judge.graded_probes(qid) if judge.is_function_question(qid) else None)
                         for qid, default in assignment.answers.items()]
            jobs_by_name[name] = runner.Job(name, p.code_cells, questions, limits)
        except Exception as exc:  # noqa: BLE001
            rows[name].notes.append(f"not graded: {type(exc).__name__} while preparing it")
    for name, row in rows.items():
        if name not in jobs_by_name and name not in done:
            _finish(row, sandboxed, progress_file)
    workers = max(1, min(jobs or cores(), len(jobs_by_name) or 1))
    preload = [*assignment.imports, *sorted({f"dlweek8.checks.{qid.split('.')[0]}" for qid in assignment.question_ids})] if warm_kernels else []
    template = _template(preload, sandboxed, limits, kernel_socket) if jobs_by_name else None
    if template is None and kernel_socket is not None:
        sandbox.release_kernel(kernel_socket)  # nothing to run: let the kernel container end
    memory = sandbox.memory_bound(limits, template) if template is not None else None
    try:
        with tqdm(total=len(names), desc="grading", unit="notebook", disable=not progress) as bar:
            bar.update(len(names) - len(jobs_by_name))
            for name, execution in _execute_all(jobs_by_name, workers, template):
                try:
                    _judge(rows[name], assignment, execution, whose_numbers(name, parsed[name], roster, notes_numbers))
                except Exception as exc:  # noqa: BLE001 - judging one submission never ends the batch
                    rows[name].notes.append(f"the grader could not judge this submission ({type(exc).__name__})")
                _finish(rows[name], sandboxed, progress_file)
                bar.update(1)
    finally:
        if template is not None:
            template.close()  # the submissions' processes go with it
    ordered = [rows[name] for name in names]
    outputs.write_all(out, assignment.question_ids, ordered, assignment.name, roster=roster,
                     shard=shard_info.to_json() if shard_info else None, notices=notices, memory=memory)
    return assignment, ordered


def _finish(row: report.Row, sandboxed: bool, progress_file: Path) -> None:
    """A row is complete: say how it was graded, and add it to the record as progress."""
    if not sandboxed and NO_SANDBOX_NOTICE not in row.notes:
        row.notes.append(NO_SANDBOX_NOTICE)
    report.append_result(progress_file, row)


def _template(preload: list[str], sandboxed: bool, limits: runner.Limits, kernel_socket: str | None):
    """The run's template: bubblewrap's (or unconfined), or a kernel container's through its socket."""
    if kernel_socket is None:
        return sandbox.Template(preload, confine=sandboxed, tmp_mb=limits.tmp_mb)
    try:
        return sandbox.RemoteTemplate(kernel_socket)
    except OSError as exc:
        raise GradingError(f"{exc}: is the kernel container running python -m dlweek8.confined --listen={kernel_socket} in the student image?") from exc


def _distinct(names: list[str]) -> list[str]:
    """Names made distinct where two files print the same (e.g. two undecodable names)."""
    seen, result = set(), []
    for name in names:
        unique, n = name, 1
        while unique in seen:
            n += 1
            unique = f"{name} ({n})"
        seen.add(unique)
        result.append(unique)
    return result


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


def whose_numbers(name: str, parsed: Parsed, roster, notes_numbers: bool) -> whose.Whose | None:
    """Whose numbers judge submission ``name`` (None: the notes', with ``--notes-numbers``)."""
    if notes_numbers:
        return None
    student, source = whose.student_of(name, roster)
    return whose.Whose(student, source, whose.notebook_id(source_text for _, source_text in parsed.code_cells))


def _judge(row: report.Row, assignment: Assignment, execution: runner.Execution, student: whose.Whose | None = None) -> None:
    row.notes += execution.notes
    if student is not None:
        row.notes.append(f"judged against the numbers of student {student.student} (id from {student.source})")
    for qid in assignment.question_ids:
        reply, reason = None, execution.reasons.get(qid)
        if qid in execution.replies:
            try:
                reply = judge.parse_reply(execution.replies[qid])
            except ValueError as exc:
                reason = f"the kernel's reply was malformed ({type(exc).__name__})"
        found = capped(judge.verdict(qid, reply, reason, student.student if student else None))
        if student is not None and not found.passed and (other := whose.fits_other(qid, reply, student)) is not whose.NOBODY:
            found = capped(whose.other_numbers(found, student, other))
            row.notes.append(whose.note(qid, student, other))
        row.feedback[qid] = found
        row.answers[qid] = report.answer_text(reply, written=is_written(qid))
        if reply is not None and "missing" in reply:
            row.notes.append(f"{qid}: no answer found")


def capped(found: Feedback) -> Feedback:
    """A verdict whose message, hints and example cells are at most :data:`MESSAGE_CHARS` and
    :data:`EXAMPLE_CHARS` long (a student's value quoted in them is capped with them)."""
    return dataclasses.replace(
        found, message=untrusted.capped(found.message, MESSAGE_CHARS), hints=tuple(untrusted.capped(h, MESSAGE_CHARS) for h in found.hints),
        example=tuple((untrusted.capped(str(k), EXAMPLE_CHARS), untrusted.capped(str(v), EXAMPLE_CHARS)) for k, v in found.example))


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
    parser.add_argument("--cold-kernels", action="store_true", help="fork every submission's process from a template that has imported only the basics, not the assignment's modules")
    parser.add_argument("--no-sandbox", action="store_true", help="grade without the bubblewrap sandbox (only where the machine is itself the sandbox, e.g. a Kubernetes pod); every output says so")
    parser.add_argument("--kernel-socket", help="run the submissions in the kernel container listening on this Unix socket "
                        "(a k8s-job pod's; python -m dlweek8.confined --listen=SOCKET in the student image), not here")
    parser.add_argument("--max-size", type=float, default=MAX_SIZE_MB, help="largest submission read, in MB (default %(default)s)")
    parser.add_argument("--resume", action="store_true", help="keep the rows already in OUT/results.jsonl and grade only the other submissions")
    parser.add_argument("--roster", type=Path, help="CSV mapping submissions to students (see the README); adds canvas.csv and moodle.csv")
    parser.add_argument("--notes-numbers", action="store_true",
                        help="judge every submission against the notes' numbers, not the roster id's own (a term without variants)")
    parser.add_argument("--shard", help="grade only shard I of N of the sorted submissions, as I/N; numbered from 0")
    parser.add_argument("--shards", type=int, help="grade one of N shards, the one JOB_COMPLETION_INDEX names (as in a Kubernetes Indexed Job)")


def run(args) -> int:
    try:
        if args.kernel_socket and args.no_sandbox:
            raise GradingError("give --kernel-socket or --no-sandbox, not both: with --kernel-socket the submissions run in the kernel container")
        assignment = Assignment.from_notebook(args.assignment) if args.assignment else None
        if assignment is not None and not assignment.answers:
            raise GradingError(f"{args.assignment} has no dlweek8.check calls of known questions")
        limits = runner.Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout)
        shard = shards.parse_shard(args.shard) if args.shard else shards.index_from_environment(args.shards) if args.shards else None
        roster = gradebook.read_roster(args.roster) if args.roster else None
        assignment, rows = grade(args.submissions, args.out, limits, args.jobs, assignment, warm_kernels=not args.cold_kernels,
                                 shard=shard, roster=roster, sandboxed=not args.no_sandbox, max_size_mb=args.max_size, resume=args.resume,
                                 notes_numbers=args.notes_numbers, kernel_socket=args.kernel_socket)
    except (GradingError, NotANotebook, OSError, shards.ShardError, gradebook.RosterError) as exc:
        print(f"grade: {exc}")
        return 1
    except KeyboardInterrupt:
        print("grade: interrupted; nothing was written")
        return 130
    ids = assignment.question_ids
    for line in gradebook.match(roster, [r.submission for r in rows]).lines() if roster is not None and shard is None else ():
        print(line)
    print(f"graded {len(rows)} submissions of {assignment.name} ({len(ids)} questions): {args.out / 'grades.csv'}")
    if args.no_sandbox:
        print(f"grade: {NO_SANDBOX_NOTICE}")
    if args.notes_numbers or roster is None:
        print(f"grade: {whose.NOTES_NOTICE}" if args.notes_numbers else f"grade: {whose.NO_ROSTER_NOTICE} (--roster: the institution's ids)")
    return 0
