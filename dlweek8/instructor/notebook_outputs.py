"""Store the reference outputs that nbval compares: those of cells tagged ``nbval-check-output``.

A solved notebook is kept with outputs only in those cells, so it stays small and
its diffs readable; every other output is dropped, and no run leaves its timestamps behind.
"""

from __future__ import annotations

from pathlib import Path
from ..names import CHECKED_TAG


def store_outputs(path: Path, timeout: int = 120) -> int:
    """Execute ``path`` in a fresh kernel and keep only checked outputs; return how many cells kept one."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    kept = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if CHECKED_TAG in cell.metadata.get("tags", []):
            kept += 1
        else:
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return kept


def add_arguments(parser) -> None:
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")


def run(args) -> int:
    for path in args.notebooks:
        print(f"{path}: stored outputs of {store_outputs(path, args.timeout)} checked cells")
    return 0
