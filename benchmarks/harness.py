"""Tiny benchmark harness: time a callable many times, report median and spread against a goal.

Each ``benchmarks/bench_*.py`` defines ``cases() -> list[Case]``; ``run_all.py`` runs them all.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Case:
    name: str
    fn: Callable[[], object]
    goal_s: float | None = None
    repeat: int = 50
    warmup: int = 2
    #: fn measures itself and returns seconds (time taken in a subprocess, a kernel or a browser)
    timed_inside: bool = False
    #: the goal, computed when the case has run (from a case measured before it in the same run)
    goal_from: Callable[[], float] | None = None


@dataclass
class Result:
    name: str
    median_s: float
    p10_s: float
    p90_s: float
    goal_s: float | None
    n: int

    @property
    def met(self) -> bool | None:
        return None if self.goal_s is None else self.median_s <= self.goal_s

    def line(self) -> str:
        goal = "" if self.goal_s is None else f"  goal <= {_fmt(self.goal_s)}  {'OK' if self.met else 'MISSED'}"
        return f"{self.name:<48} median {_fmt(self.median_s):>9}  (p10 {_fmt(self.p10_s)}, p90 {_fmt(self.p90_s)}, n={self.n}){goal}"


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def measure(case: Case) -> Result:
    for _ in range(case.warmup):
        case.fn()
    times = []
    for _ in range(case.repeat):
        start = time.perf_counter()
        inside = case.fn()
        times.append(float(inside) if case.timed_inside else time.perf_counter() - start)
    times.sort()
    q = statistics.quantiles(times, n=10) if len(times) >= 2 else [times[0]] * 9
    goal = case.goal_from() if case.goal_from else case.goal_s
    return Result(case.name, statistics.median(times), q[0], q[-1], goal, len(times))
