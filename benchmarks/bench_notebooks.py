"""Run All time of each notebook (student editions in ``notebooks/``, solved ones in ``solutions/``).

Each repetition starts a fresh kernel with nbclient and times only the cells, as a student's
Run All in an open notebook would; kernel start-up is not included.  Nothing is written back.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Case  # noqa: E402

ROOT = HERE.parent
REPEAT = 3


def notebooks() -> list[Path]:
    return sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb"))


#: Notebook 03 trains four models: its Run All is timed in the fast setting the tests use (goal ≤ 30 s on
#: 2 cores) and once in the full one students run (goal ≤ 3 min); other notebooks ignore the variable.
TRAINING = "03_gradient_flow_in_training.ipynb"
FAST_GOAL_S, FULL_GOAL_S = 30.0, 180.0


@contextlib.contextmanager
def training_setting(fast: bool):
    """DLWEEK8_FAST for the kernels started inside (dlweek8.training.chosen_setting reads it)."""
    before = os.environ.get("DLWEEK8_FAST")
    os.environ["DLWEEK8_FAST"] = "1" if fast else "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("DLWEEK8_FAST", None)
        else:
            os.environ["DLWEEK8_FAST"] = before


def run_all_seconds(path: Path, from_heading: str | None = None, fast: bool = True) -> float:
    """Execute every cell of a copy of ``path`` in a new kernel (notebook 03 in its fast or full setting); seconds
    spent in the cells (with ``from_heading``: only in the cells from the markdown cell starting with it to the end)."""
    with training_setting(fast):
        return _run_all_seconds(path, from_heading)


def _run_all_seconds(path: Path, from_heading: str | None) -> float:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    first = 0 if from_heading is None else next(i for i, c in enumerate(notebook.cells) if c.source.startswith(from_heading))
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel(stderr=subprocess.DEVNULL):  # the kernel's start-up warnings are noise here
        for index, cell in enumerate(notebook.cells[:first]):
            client.execute_cell(cell, index)
        start = time.perf_counter()
        for index, cell in enumerate(notebook.cells[first:], start=first):
            client.execute_cell(cell, index)
        return time.perf_counter() - start


#: Notebook 02's last section (the ResNet-18 table and Exercises 12-13): issue 25 asks it to add <= 3 s to Run All.
SECTION_12 = ("solutions/02_conv_arithmetic.ipynb", "## 12 A real network, counted", 3.0)


def cases() -> list[Case]:
    found = notebooks()
    if not found:
        raise FileNotFoundError("no notebooks in notebooks/ or solutions/")
    section_path, heading, goal = SECTION_12
    fast = [
        Case(f"Run All {path.parent.name}/{path.name}" + (" (fast setting)" if path.name == TRAINING else ""),
             lambda p=path: run_all_seconds(p), FAST_GOAL_S if path.name == TRAINING else None,
             repeat=REPEAT, warmup=1, timed_inside=True)
        for path in found
    ]
    section = [Case("notebook 02 section 12 (its cells only)", lambda: run_all_seconds(ROOT / section_path, heading), goal,
                    repeat=REPEAT, warmup=1, timed_inside=True)]
    full = [Case(f"Run All {path.parent.name}/{path.name} (full setting)", lambda p=path: run_all_seconds(p, fast=False), FULL_GOAL_S,
                 repeat=1, warmup=0, timed_inside=True)
            for path in found if path.name == TRAINING and path.parent.name == "solutions"]
    return fast + section + full
