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


def run_all_seconds(path: Path) -> float:
    """Execute every cell of a copy of ``path`` in a new kernel; seconds spent in the cells."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel(stderr=subprocess.DEVNULL):  # the kernel's start-up warnings are noise here
        start = time.perf_counter()
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        return time.perf_counter() - start


def cases() -> list[Case]:
    found = notebooks()
    if not found:
        raise FileNotFoundError("no notebooks in notebooks/ or solutions/")
    return [
        Case(f"Run All {path.parent.name}/{path.name}", lambda p=path: run_all_seconds(p), None,
             repeat=REPEAT, warmup=1, timed_inside=True)
        for path in found
    ]
