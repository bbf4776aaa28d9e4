"""Execute one submission in a fresh kernel (nbclient) and collect what it reports per question.

The submission's code cells run in order with errors allowed, so one crashing cell does not
hide later answers. A cell that runs past the per-cell time limit, or kills its kernel
(``os._exit``, a segfault), is skipped: the kernel is stopped and the notebook re-run in a
fresh kernel without that cell, a few times at most. The per-notebook limit bounds all of
this; when it is reached the kernel is stopped and nothing more is read. Then the grader's
own cells (:mod:`dlweek8.kernel_side`) report each answer as JSON between a random marker.

Nothing here writes the submission: cells are built in memory from its parsed sources, and
the kernel runs in an empty temporary folder.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass, field

from ... import kernel_side
from . import judge, warm

#: nbclient logs every time-out and kernel death as an error; they are reported as notes instead.
_QUIET = logging.getLogger("dlweek8.instructor.grading.nbclient")
_QUIET.setLevel(logging.CRITICAL)
_QUIET.propagate = False

#: Seconds a question cell may take: the function-call budget plus reading and printing.
QUESTION_CELL_TIMEOUT = 20


@dataclass
class Limits:
    cell_timeout: float = 60.0  # one cell of the submission
    notebook_timeout: float = 300.0  # all of the submission's cells, restarts included
    max_restarts: int = 3  # cells skipped after a time-out or a kernel death


@dataclass
class Job:
    """One submission to execute: its code cells (cell number, source) and the questions to read."""

    submission: str
    code_cells: list[tuple[int, str]]
    questions: list[tuple[str, str, bool]]  # (question id, answer expression, is a function question)
    limits: Limits = field(default_factory=Limits)


@dataclass
class Execution:
    """What came back: one JSON reply (text) per question, or the reason there is none; notes on the run."""

    replies: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Cell:
    kind: str  # "student", "setup" or "question"
    label: str  # "cell 7" or the question id
    source: str


class _Skip(Exception):
    """Stop this attempt: the cell at ``position`` timed out or killed the kernel."""

    def __init__(self, position: int, why: str):
        self.position, self.why = position, why


class _OutOfTime(Exception):
    """The per-notebook limit was reached."""


def kernel_env() -> dict:
    """The kernel's environment: no PNG rendering, a non-interactive matplotlib backend."""
    return dict(os.environ, DLWEEK8_SKIP_RENDER="1", MPLBACKEND="Agg", PYDEVD_DISABLE_FILE_VALIDATION="1")


def execute(job: Job, template: warm.Template | None = None) -> Execution:
    """Run ``job`` to the end, forking kernels from ``template`` if given; never raises (a failure becomes a note)."""
    start = time.monotonic()
    try:
        result = asyncio.run(_execute(job, template))
    except Exception as exc:  # noqa: BLE001 - e.g. a kernel that cannot start
        result = Execution(notes=[f"the submission could not be executed ({type(exc).__name__}: {exc})"])
    result.seconds = time.monotonic() - start
    return result


async def _execute(job: Job, template) -> Execution:
    marker = "@@dlweek8-" + secrets.token_hex(16) + "@@"
    cells = [_Cell("student", f"cell {number}", source) for number, source in job.code_cells]
    cells.append(_Cell("setup", "setup", kernel_side.setup_source()))
    cells += [
        _Cell("question", qid, kernel_side.question_source(marker, qid, expr, is_fn, judge.probes_json(qid) if is_fn else None))
        for qid, expr, is_fn in job.questions
    ]
    skipped: dict[int, str] = {}
    result = Execution()
    deadline = time.monotonic() + job.limits.notebook_timeout
    with tempfile.TemporaryDirectory(prefix="dlweek8-grade-") as workdir:
        for _attempt in range(job.limits.max_restarts + 1):
            try:
                outputs = await _attempt_run(cells, skipped, job.limits, deadline, workdir, template)
            except _Skip as skip:
                skipped[skip.position] = skip.why
                continue
            except _OutOfTime:
                result.notes.append(
                    f"stopped: the notebook did not finish within {job.limits.notebook_timeout:g} s, so no answers were read"
                )
                break
            _collect(cells, outputs, marker, result)
            break
        else:
            result.notes.append(f"stopped: more than {job.limits.max_restarts} cells had to be skipped, so no answers were read")
    for position, why in sorted(skipped.items()):
        cell = cells[position]
        if cell.kind == "question":
            result.reasons[cell.label] = why
        else:
            result.notes.insert(0, f"{cell.label} skipped: {why}")
    for qid, _, _ in job.questions:
        if qid not in result.replies:
            result.reasons.setdefault(qid, "the notebook did not run to the end")
    return result


async def _attempt_run(cells, skipped, limits: Limits, deadline: float, workdir: str, template) -> dict[int, list]:
    """Run every cell not skipped in one fresh kernel; return each cell's outputs by position."""
    import nbclient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbformat.v4 import new_code_cell, new_notebook

    positions = [i for i in range(len(cells)) if i not in skipped]
    nb = new_notebook(cells=[new_code_cell(cells[i].source) for i in positions])
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        allow_errors=True,
        shutdown_kernel="immediate",
        startup_timeout=60,
        resources={"metadata": {"path": workdir}},
        log=_QUIET,
    )
    # Local sockets in the private work folder rather than TCP ports on localhost.
    client.km = warm.kernel_manager_class()(kernel_name="python3", transport="ipc", ip=os.path.join(workdir, f"kernel{len(skipped)}"))
    client.km.template = template
    outputs: dict[int, list] = {}
    async with client.async_setup_kernel(env=kernel_env()):
        for index, position in enumerate(positions):
            cell = cells[position]
            if cell.kind == "student":
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _OutOfTime()
                limit = min(limits.cell_timeout, left)
            else:
                limit = QUESTION_CELL_TIMEOUT
            client.timeout = max(1, math.ceil(limit))
            try:
                await client.async_execute_cell(nb.cells[index], index)
            except CellTimeoutError:
                if cell.kind == "student" and time.monotonic() >= deadline:
                    raise _OutOfTime() from None
                raise _Skip(position, _timeout_reason(cell, client.timeout)) from None
            except DeadKernelError:
                raise _Skip(position, _death_reason(cell)) from None
            outputs[position] = list(nb.cells[index].outputs)
    return outputs


def _timeout_reason(cell: _Cell, seconds: int) -> str:
    if cell.kind == "question":
        return f"reading this answer did not finish within {seconds} s, so the kernel was stopped"
    return f"it did not finish within {seconds} s (an endless loop?); the notebook was re-run without it"


def _death_reason(cell: _Cell) -> str:
    if cell.kind == "question":
        return "reading this answer stopped the kernel (os._exit or a crash)"
    return "it stopped the kernel (os._exit, exit() or a crash); the notebook was re-run without it"


#: Errors of the submission's cells listed in the notes; the rest are counted.
MAX_ERROR_NOTES = 3


def _collect(cells, outputs: dict[int, list], marker: str, result: Execution) -> None:
    pattern = re.compile(re.escape(marker) + r"(.*?)" + re.escape(marker), re.S)
    errors = []
    for position, cell in enumerate(cells):
        cell_outputs = outputs.get(position)
        if cell_outputs is None:
            continue
        if cell.kind == "student":
            for output in cell_outputs:
                if output.get("output_type") == "error":
                    errors.append(f"{cell.label} raised {output.get('ename')}: {_first_line(output.get('evalue'))}")
        elif cell.kind == "setup":
            for output in cell_outputs:
                if output.get("output_type") == "error":
                    result.notes.append(f"the grader's setup failed in the kernel ({output.get('ename')})")
        else:
            text = "".join(o.get("text", "") for o in cell_outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")
            found = pattern.findall(text)
            if len(found) == 1:
                result.replies[cell.label] = found[0]
            else:
                errors = [f"{o.get('ename')}" for o in cell_outputs if o.get("output_type") == "error"]
                result.reasons[cell.label] = (
                    f"the grading code raised {errors[0]} in the kernel (was sys or print replaced?)"
                    if errors
                    else "the grading code printed no reply (was sys.stdout or print replaced?)"
                )
    result.notes += errors[:MAX_ERROR_NOTES]
    if len(errors) > MAX_ERROR_NOTES:
        result.notes.append(f"and {len(errors) - MAX_ERROR_NOTES} more cells raised errors")


def _first_line(text) -> str:
    text = str(text or "").strip()
    return text.splitlines()[0][:200] if text else ""
