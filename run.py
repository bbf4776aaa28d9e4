#!/usr/bin/env python3
"""Quick start: set up a virtual environment and then open the notebooks or run the tests.

    python3 run.py lab      # set up, then open JupyterLab on notebooks/
    python3 run.py test     # set up, then run every test (unit, notebooks, browser)
    python3 run.py bench    # set up, then run the benchmarks
    python3 run.py lock     # rewrite requirements/constraints.txt from the environment

Set-up is skipped when .venv already matches pyproject.toml and the constraints.
Extra arguments go to the tool, e.g. ``python3 run.py test -k conv``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("DLWEEK8_VENV", ROOT / ".venv"))
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
TORCH = "torch==2.13.0"  # CPU wheel; installed first so nothing pulls a CUDA build
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _stamp() -> str:
    digest = hashlib.sha256(sys.version.encode())
    for path in (ROOT / "pyproject.toml", CONSTRAINTS):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def setup(tests: bool) -> None:
    """Create .venv and install dlweek8 (with its test extra if ``tests``), pinned by the constraints."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"dlweek8 needs Python 3.11; this is {sys.version.split()[0]}. Run it with python3.11.")
    stamp_file = VENV / ".dlweek8-stamp"
    wanted = {_stamp() + ":test"} if tests else {_stamp() + ":test", _stamp() + ":run"}
    if stamp_file.exists() and stamp_file.read_text() in wanted:
        return
    print(f"Setting up {VENV} (the first run takes a few minutes)...", flush=True)
    if not PYTHON.exists():
        venv.create(VENV, with_pip=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + [TORCH], check=True)
    target = f"{ROOT}[test]" if tests else str(ROOT)
    subprocess.run(pip + ["-c", str(CONSTRAINTS), "-e", target], check=True)
    stamp_file.write_text(_stamp() + (":test" if tests else ":run"))


def _exec(args: list[str]) -> None:
    """Run a tool from the environment in place of this process."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", VIRTUAL_ENV=str(VENV))
    sys.stdout.flush()
    if os.name == "nt":
        sys.exit(subprocess.run(args, env=env, cwd=ROOT).returncode)
    os.chdir(ROOT)
    os.execve(args[0], args, env)


def main(argv: list[str]) -> None:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command == "lab":
        setup(tests=False)
        _exec([str(BIN / "jupyter"), "lab", "--notebook-dir", str(ROOT / "notebooks"), *rest])
    elif command == "test":
        setup(tests=True)
        _exec([str(PYTHON), "-m", "pytest", "-n", "2", "--dist", "loadscope", *rest])
    elif command == "bench":
        setup(tests=True)
        _exec([str(PYTHON), str(ROOT / "benchmarks" / "run_all.py"), *rest])
    elif command == "lock":
        setup(tests=True)
        frozen = subprocess.run([str(PYTHON), "-m", "pip", "freeze", "--exclude-editable"], check=True, capture_output=True, text=True).stdout
        lines = [line for line in frozen.splitlines() if not line.startswith("torch==")]
        CONSTRAINTS.write_text(CONSTRAINTS.read_text().splitlines()[0] + f"\n{TORCH}\n" + "\n".join(lines) + "\n")
        print(f"wrote {CONSTRAINTS}")
    else:
        print(__doc__)
        sys.exit(0 if command in ("help", "-h", "--help") else 2)


if __name__ == "__main__":
    main(sys.argv[1:])
