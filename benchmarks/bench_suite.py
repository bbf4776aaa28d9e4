"""Wall time of the README's test command, ``python3 run.py test``, and of its quick tier,
``python3 run.py test --quick`` (opt in: ``run.py bench --suite``), in one run.

Measured with a warm environment: when the virtual environment running this script carries
run.py's set-up stamp, the command itself runs with DLWEEK8_VENV pointing at it (set-up is
skipped); otherwise the pytest command that run.py runs after set-up is timed directly.

Each run's CPU, all processes of the machine together (Chromium, kernels and sandboxes included), is
a figure of its own: its goal is cores x the wall-time goal, the most CPU the wall-time goal allows.
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


def busy_cpu_seconds() -> float:
    """CPU seconds this machine has spent busy since boot, all processes (``/proc/stat``: user, nice, system,
    irq and softirq; not idle, I/O wait or time stolen by a hypervisor). 0 where there is no /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


#: CPU seconds (all processes: pytest, its workers, Chromium, kernels, sandboxes) of each timed suite run, by tier.
CPU_SECONDS: dict[bool, list[float]] = {True: [], False: []}


def suite_seconds(quick: bool) -> float:
    label, argv, env = command(quick)
    start, busy = time.perf_counter(), busy_cpu_seconds()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    CPU_SECONDS[quick].append(busy_cpu_seconds() - busy)
    summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"      {label}: exit {done.returncode}, {summary}", flush=True)
    for line in [l for l in done.stdout.splitlines() if l.startswith(("FAILED", "ERROR"))][:10]:
        print(f"        {line}", flush=True)
    if done.returncode != 0:
        raise RuntimeError(f"{label} failed (exit {done.returncode}): a red run is not a timing")
    return elapsed


def cpu_of_the_runs_above(quick: bool):
    """The CPU of the runs timed by the case before (one value per call, in order): a wall-time goal on this
    machine needs CPU <= cores x goal, so this line says whether a missed wall goal is the machine's."""
    runs = iter(CPU_SECONDS[quick])
    return lambda: next(runs)


def cases() -> list[Case]:
    quick, full = command(True)[0], command(False)[0]
    cores = _run_py().workers()  # one test worker per core: the cores the suite runs on
    return [
        Case(f"suite wall time: {quick}", lambda: suite_seconds(True), QUICK_GOAL_S, repeat=QUICK_REPEAT, warmup=1, timed_inside=True),
        Case(f"suite CPU, all processes: {quick}", cpu_of_the_runs_above(True), cores * QUICK_GOAL_S,
             repeat=QUICK_REPEAT, warmup=1, timed_inside=True),
        Case(f"suite wall time: {full}", lambda: suite_seconds(False), FULL_GOAL_S, repeat=FULL_REPEAT, warmup=0, timed_inside=True),
        Case(f"suite CPU, all processes: {full}", cpu_of_the_runs_above(False), cores * FULL_GOAL_S,
             repeat=FULL_REPEAT, warmup=0, timed_inside=True),
    ]
