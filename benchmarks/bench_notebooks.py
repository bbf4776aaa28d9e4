"""Run All time of each notebook (student editions in ``notebooks/``, solved ones in ``solutions/``).

Each repetition starts a fresh kernel with nbclient and times only the cells, as a student's
Run All in an open notebook would; kernel start-up is not included.  Nothing is written back.
"""

from __future__ import annotations

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


def run_all_seconds(path: Path, from_heading: str | None = None) -> float:
    """Execute every cell of a copy of ``path`` in a new kernel; seconds spent in the cells (with
    ``from_heading``: only in the cells from the markdown cell starting with it to the end)."""
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
    return [
        Case(f"Run All {path.parent.name}/{path.name}", lambda p=path: run_all_seconds(p), None,
             repeat=REPEAT, warmup=1, timed_inside=True)
        for path in found
    ] + [Case("notebook 02 section 12 (its cells only)", lambda: run_all_seconds(ROOT / section_path, heading), goal,
              repeat=REPEAT, warmup=1, timed_inside=True)]
