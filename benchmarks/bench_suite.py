"""Wall time of the README's test command, ``python3 run.py test``, and of its quick tier,
``python3 run.py test --quick`` (opt in: ``run.py bench --suite``), in one run.

Measured with a warm environment: when the virtual environment running this script carries
run.py's set-up stamp, the command itself runs with DLWEEK8_VENV pointing at it (set-up is
skipped); otherwise the pytest command that run.py runs after set-up is timed directly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Case  # noqa: E402

ROOT = HERE.parent
OPT_IN = "--suite"
#: Goals of issue 21, on 2 cores: the quick tier (lint included) and everything CI runs.
QUICK_GOAL_S, FULL_GOAL_S = 45.0, 180.0
#: The quick tier is timed three times, the whole suite (minutes) once unless told otherwise.
QUICK_REPEAT = int(os.environ.get("DLWEEK8_QUICK_REPEAT", "3"))
FULL_REPEAT = int(os.environ.get("DLWEEK8_SUITE_REPEAT", "1"))


def command(quick: bool) -> tuple[str, list[str], dict]:
    """(label, argv, environment) of the suite run to time."""
    env = dict(os.environ)
    tier = ["--quick"] if quick else []
    if (Path(sys.prefix) / ".dlweek8-stamp").exists():
        env["DLWEEK8_VENV"] = sys.prefix
        return " ".join(["python3 run.py test", *tier]), [sys.executable, str(ROOT / "run.py"), "test", *tier, "-q"], env
    argv = _run_py().test_runs([*tier, "-q"], python=Path(sys.executable))[0][0]
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as run.py test runs pytest
    return f"{' '.join(argv[3:])} (the first pytest run of run.py test, without lint)", argv, env


def _run_py():
    """run.py as a module, for the pytest command it builds (workers follow the cores)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dlweek8_run_py", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def suite_seconds(quick: bool) -> float:
    label, argv, env = command(quick)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"      {label}: exit {done.returncode}, {summary}", flush=True)
    for line in [l for l in done.stdout.splitlines() if l.startswith(("FAILED", "ERROR"))][:10]:
        print(f"        {line}", flush=True)
    if done.returncode != 0:
        raise RuntimeError(f"{label} failed (exit {done.returncode}): a red run is not a timing")
    return elapsed


def cases() -> list[Case]:
    return [
        Case(f"suite wall time: {command(True)[0]}", lambda: suite_seconds(True), QUICK_GOAL_S, repeat=QUICK_REPEAT, warmup=1, timed_inside=True),
        Case(f"suite wall time: {command(False)[0]}", lambda: suite_seconds(False), FULL_GOAL_S, repeat=FULL_REPEAT, warmup=0, timed_inside=True),
    ]
