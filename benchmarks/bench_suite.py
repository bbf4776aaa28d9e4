"""Wall time of the README's test command, ``python3 run.py test``, and of its quick tier, ``python3 run.py test --quick``
(opt in: ``run.py bench --suite``).

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
#: Goals on 2 cores (issue 21): everything, and the quick tier (lint and every test outside the heavy tiers).
GOAL_S = 180.0
QUICK_GOAL_S = 45.0
REPEAT = int(os.environ.get("DLWEEK8_SUITE_REPEAT", "3"))


def command(quick: bool = False) -> tuple[str, list[str], dict]:
    """(label, argv, environment) of the suite run to time (its quick tier if ``quick``)."""
    env = dict(os.environ)
    tier = ["--quick"] if quick else []
    if (Path(sys.prefix) / ".dlweek8-stamp").exists():
        env["DLWEEK8_VENV"] = sys.prefix
        return " ".join(["python3 run.py test", *tier]), [sys.executable, str(ROOT / "run.py"), "test", *tier, "-q"], env
    (argv, _), *_ = _run_py().test_runs([*tier, "-q"], python=Path(sys.executable))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as run.py test runs pytest
    return f"{' '.join(argv[3:])} (run.py test{' --quick' if quick else ''} after set-up, without lint)", argv, env


def _run_py():
    """run.py as a module, for the pytest command it builds (workers follow the cores)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dlweek8_run_py", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def suite_seconds(quick: bool = False) -> float:
    label, argv, env = command(quick)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"      {label}: exit {done.returncode}, {summary}", flush=True)
    for line in [l for l in done.stdout.splitlines() if l.startswith(("FAILED", "ERROR"))][:10]:
        print(f"        {line}", flush=True)
    return elapsed


def cases() -> list[Case]:
    return [
        Case(f"suite wall time: {command(quick=True)[0]}", lambda: suite_seconds(quick=True), QUICK_GOAL_S, repeat=REPEAT, warmup=1, timed_inside=True),
        Case(f"suite wall time: {command()[0]}", suite_seconds, GOAL_S, repeat=REPEAT, warmup=0, timed_inside=True),
    ]
