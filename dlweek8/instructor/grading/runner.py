"""Execute one submission in its own sandboxed process and collect what it reports per question.

The submission's code cells run in order with errors allowed, so one crashing cell does not
hide later answers (:mod:`dlweek8.confined`, in a process forked from the run's template inside
the sandbox, :mod:`.sandbox`). The job goes there, and each step comes back, as one message of
:mod:`dlweek8.protocol` (a JSON line; anything else is dropped). A cell that runs past the
per-cell time limit, or kills its process (``os._exit``, a segfault), is skipped: the process
and everything it started are killed and the notebook re-run in a fresh one without that cell,
a few times at most. ``notebook_timeout`` bounds the student's cells, restarts included;
reading the answers gets at most as long again, so nothing runs past twice that bound.

What comes back is bounded: at most :data:`dlweek8.protocol.MAX_EVENT_BYTES` per event and
:data:`MAX_STREAM_BYTES` in all, whatever the submission prints (what it prints goes nowhere).
Nothing here writes the submission: the job is sent through a pipe. A sandbox that speaks another
protocol version refuses the job (or is refused): the submission gets a note saying so.
"""

from __future__ import annotations

import math
import os
import select
import time
from dataclasses import dataclass, field

from ... import protocol
from . import sandbox

#: Seconds reading one answer may take at most (less when --cell-timeout is lower): the function-call budget plus reading,
#: plus at most untrusted.IMPORT_GRACE (10 s) when the budget ends inside an import of an installed module.
QUESTION_CELL_TIMEOUT = 20
#: Seconds a fresh submission process may take to report its first cell.
STARTUP_TIMEOUT = 60
#: The most read from one run.
MAX_STREAM_BYTES = 64 * 2**20


@dataclass
class Limits:
    cell_timeout: float = 60.0  # one cell of the submission
    notebook_timeout: float = 300.0  # all of the submission's cells, restarts included
    max_restarts: int = 3  # cells skipped after a time-out or a death
    memory_mb: int = 2048  # address space of each process of the submission
    processes: int = 256  # processes: RLIMIT_NPROC; for a grader running as root, a pids cgroup per submission
    file_mb: int = 64  # largest file it may write
    open_files: int = 256
    tmp_mb: int = 256  # its private /tmp (HOME, working folder)

    def start(self) -> protocol.Start:
        """The sandbox's request to start one submission process under these limits."""
        return protocol.Start(tmp_mb=self.tmp_mb, memory_bytes=self.memory_mb * 2**20, cpu_seconds=math.ceil(2 * self.notebook_timeout) + 10,
                              processes=self.processes, file_bytes=self.file_mb * 2**20, open_files=self.open_files)


@dataclass
class Job:
    """One submission to execute: its code cells (cell number, source) and the questions to read, each as
    (question id, answer expression, probes): a function answer is called on the probes (argument lists:
    the caller's graded cases, public and hidden), None for a value question."""

    submission: str
    code_cells: list[tuple[int, str]]
    questions: list[tuple[str, str, list | None]]
    limits: Limits = field(default_factory=Limits)


@dataclass
class Execution:
    """What came back: one reply per question (a decoded JSON object, from the sandbox: unchecked), or the
    reason there is none; notes on the run."""

    replies: dict[str, dict] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


class _Skip(Exception):
    """Stop this attempt: the cell at ``position`` timed out or ended the process."""

    def __init__(self, position: int, why: str):
        self.position, self.why = position, why


class _OutOfTime(Exception):
    """The bound on the whole submission was reached."""


class _OutOfMemory(Exception):
    """The submission's memory cgroup ran out: the sandbox stopped all of it."""


class _Refused(Exception):
    """The sandbox refused the job, or spoke another protocol version: ``reason`` says which."""

    def __init__(self, reason: str):
        self.reason = reason


@dataclass
class _Attempt:
    errors: list[str] = field(default_factory=list)
    replies: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def execute(job: Job, template: sandbox.Template) -> Execution:
    """Run ``job`` to the end in processes forked from ``template``; never raises (a failure becomes a note)."""
    start = time.monotonic()
    try:
        result = _execute(job, template)
    except Exception as exc:  # noqa: BLE001 - e.g. a template that stopped
        result = Execution(notes=[f"the submission could not be executed ({type(exc).__name__}: {exc})"])
    result.seconds = time.monotonic() - start
    return result


def _execute(job: Job, template) -> Execution:
    cells = _cells(job)
    skipped: dict[int, str] = {}
    result = Execution()
    start = time.monotonic()
    cells_deadline = start + job.limits.notebook_timeout
    hard_deadline = start + 2 * job.limits.notebook_timeout
    attempt = _Attempt()
    for _ in range(job.limits.max_restarts + 1):
        attempt = _Attempt()
        try:
            _attempt_run(cells, skipped, job.limits, cells_deadline, hard_deadline, template, attempt)
        except _Skip as skip:
            skipped[skip.position] = skip.why
            result.replies.update(attempt.replies)  # answers read before a later one hung stay read
            continue
        except (_OutOfMemory, _OutOfTime, _Refused) as stop:
            result.replies.update(attempt.replies)
            result.notes.append(f"stopped: {_why_stopped(stop, job.limits)}"
                                + (", so no answers were read" if not result.replies else "; the answers read by then were graded"))
            break
        result.replies.update(attempt.replies)
        break
    else:
        result.notes.append(f"stopped: more than {job.limits.max_restarts} cells had to be skipped, so no answers were read")
    result.notes += attempt.notes
    errors = attempt.errors
    result.notes += errors[:MAX_ERROR_NOTES]
    if len(errors) > MAX_ERROR_NOTES:
        result.notes.append(f"and {len(errors) - MAX_ERROR_NOTES} more cells raised errors")
    for position, why in sorted(skipped.items()):
        cell = cells[position]
        if isinstance(cell, protocol.QuestionCell):
            result.reasons[cell.label] = why
        else:
            result.notes.insert(0, f"{cell.label} skipped: {why}")
    for qid, _, _ in job.questions:
        if qid not in result.replies:
            result.reasons.setdefault(qid, "the notebook did not run to the end")
    return result


def _why_stopped(stop: Exception, limits: Limits) -> str:
    if isinstance(stop, _OutOfMemory):
        return f"the notebook's processes and its files in /tmp together used more than {sandbox.submission_memory_mb(limits)} MB of memory"
    if isinstance(stop, _OutOfTime):
        return f"the notebook did not finish within {limits.notebook_timeout:g} s"
    return stop.reason


def _cells(job: Job) -> list:
    """The job's cells in order (a cell's position is its index): the student's, the setup, one per question."""
    cells: list = [protocol.StudentCell(position, number, source) for position, (number, source) in enumerate(job.code_cells)]
    cells.append(protocol.SetupCell(len(cells)))
    for qid, expression, probes in job.questions:
        cells.append(protocol.QuestionCell(len(cells), qid, expression, probes is not None, None if probes is None else list(probes)))
    return cells


def _attempt_run(cells, skipped, limits: Limits, cells_deadline: float, hard_deadline: float, template, attempt: _Attempt) -> None:
    """Run every cell not skipped in one fresh submission process, filling ``attempt`` from its events."""
    job = protocol.Job(tuple(cell for cell in cells if cell.position not in skipped))
    channel = template.spawn(protocol.encode(job), limits.start())
    reader = _Events(channel.events)
    current, deadline = None, min(time.monotonic() + STARTUP_TIMEOUT, hard_deadline)
    try:
        while True:
            event = reader.next(deadline)
            if event is _TIMEOUT:
                if current is None or time.monotonic() >= hard_deadline or (_is_student(cells[current]) and time.monotonic() >= cells_deadline):
                    raise _OutOfTime()
                raise _Skip(current, _timeout_reason(cells[current], math.ceil(_limit(cells[current], limits))))
            if isinstance(event, protocol.Exited) and event.out_of_memory:
                raise _OutOfMemory()
            if isinstance(event, protocol.Refused):
                raise _Refused(_first_line(event.reason))
            if event is _END or isinstance(event, protocol.Exited):
                if current is None:
                    raise RuntimeError("the submission process ended before running a cell")
                raise _Skip(current, _death_reason(cells[current]))
            if isinstance(event, protocol.CellStarted) and 0 <= event.position < len(cells):
                current = event.position
                now = time.monotonic()
                if _is_student(cells[current]):
                    deadline = min(now + limits.cell_timeout, cells_deadline)
                    if now >= cells_deadline:
                        raise _OutOfTime()
                else:
                    deadline = min(now + _limit(cells[current], limits), hard_deadline)
            elif isinstance(event, protocol.CellRaised):
                if 0 <= event.position < len(cells) and _is_student(cells[event.position]):
                    attempt.errors.append(f"{cells[event.position].label} raised {_first_line(event.text)}")
            elif isinstance(event, protocol.Reply):
                if current is not None and isinstance(cells[current], protocol.QuestionCell) and cells[current].question_id == event.question_id:
                    attempt.replies[event.question_id] = event.reply
            elif isinstance(event, protocol.SetupFailed):
                attempt.notes.append(_first_line(event.text))
            elif isinstance(event, protocol.Done):
                return
    finally:
        channel.kill()


def _is_student(cell) -> bool:
    return isinstance(cell, protocol.StudentCell)


def _limit(cell, limits: Limits) -> float:
    """A student cell gets the per-cell limit; reading an answer as long, but at most QUESTION_CELL_TIMEOUT."""
    return limits.cell_timeout if _is_student(cell) else min(QUESTION_CELL_TIMEOUT, limits.cell_timeout)


_TIMEOUT, _END = object(), object()


class _Events:
    """Reads the events of one run from a pipe: each line bounded in size (:func:`dlweek8.protocol.decode`), the
    whole stream too. A line that is no event is dropped; one of another protocol version ends the run (:class:`_Refused`)."""

    def __init__(self, fd: int):
        self.fd, self.buffer, self.total, self.ended = fd, b"", 0, False

    def next(self, deadline: float):
        while True:
            line, sep, rest = self.buffer.partition(b"\n")
            if sep:
                self.buffer = rest
                try:
                    return protocol.decode(line)
                except protocol.OtherVersion as exc:
                    raise _Refused(str(exc)) from None
                except protocol.Unreadable:
                    continue
            if len(self.buffer) > protocol.MAX_EVENT_BYTES or self.total > MAX_STREAM_BYTES or self.ended:
                return _END
            left = deadline - time.monotonic()
            if left <= 0:
                return _TIMEOUT
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return _TIMEOUT
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                self.ended = True
                continue
            self.total += len(chunk)
            self.buffer += chunk


def _timeout_reason(cell, seconds: int) -> str:
    if isinstance(cell, protocol.QuestionCell):
        return f"reading this answer did not finish within {seconds} s, so the submission's process was stopped"
    return f"it did not finish within {seconds} s (an endless loop?); the notebook was re-run without it"


def _death_reason(cell) -> str:
    if isinstance(cell, protocol.QuestionCell):
        return "reading this answer ended the submission's process (os._exit or a crash)"
    return "it ended the submission's process (os._exit, exit() or a crash); the notebook was re-run without it"


#: Errors of the submission's cells listed in the notes; the rest are counted.
MAX_ERROR_NOTES = 3


def _first_line(text) -> str:
    text = str(text or "").strip()
    return text.splitlines()[0][:200] if text else ""
