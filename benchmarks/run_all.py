#!/usr/bin/env python3
"""Run every ``benchmarks/bench_*.py`` and print median and spread against each goal.

    python3 run.py bench                  # everything except the opt-in suite timing
    python3 run.py bench --suite          # also time the README test command (minutes)
    python3 run.py bench --only browser   # modules whose name contains "browser"

A module defines ``cases() -> list[Case]`` (timings, see ``harness.py``), and may define
``sizes() -> list[Size]`` (byte counts), ``teardown()`` (called after its cases) and
``OPT_IN = "--flag"`` (run only when that flag is given).  A module that is missing a
dependency or fails is reported and the others still run.  Results also go to
``benchmarks/results/latest.json`` and ``latest.md`` (git-ignored), which keep the latest
figures of every module: a partial run (``--only``) replaces only the modules it ran.  The same
figures, with their dates and one line per missed goal, are written to ``docs/measurements.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Result, _fmt, measure  # noqa: E402

RESULTS = HERE / "results"
#: the measured-figures page of the docs, rewritten by every run into RESULTS
MEASUREMENTS = HERE.parent / "docs" / "measurements.md"


@dataclass
class Size:
    """A size figure in bytes, e.g. the installed environment."""

    name: str
    bytes: int
    goal_bytes: int | None = None
    note: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.goal_bytes is None else self.bytes <= self.goal_bytes

    def line(self) -> str:
        goal = "" if self.goal_bytes is None else f"  goal <= {gigabytes(self.goal_bytes)}  {'OK' if self.met else 'MISSED'}"
        note = f"  ({self.note})" if self.note else ""
        return f"{self.name:<48} {gigabytes(self.bytes):>16}{goal}{note}"


def gigabytes(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def machine() -> dict:
    """nproc, CPU model and RAM of this machine (for the README's table)."""
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo") if line.startswith("MemTotal")), 0)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"nproc": cores, "cpu": cpu, "ram_gb": round(mem_kb / 1024**2, 1), "python": platform.python_version(),
            "os": platform.platform(terse=True), "load_1min": load}


def _read(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses and pickling look modules up by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[path.stem]
        raise
    return module


def one_line(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}{at}"


def run_module(path: Path, flags: set[str], report: dict) -> None:
    print(f"\n== {path.stem}", flush=True)
    try:
        module = load(path)
    except Exception as exc:  # noqa: BLE001 - a broken benchmark must not stop the others
        report["problems"].append(f"{path.stem}: could not import: {one_line(exc)}")
        print(f"   could not import: {one_line(exc)}", flush=True)
        return
    opt_in = getattr(module, "OPT_IN", None)
    if opt_in and opt_in not in flags:
        print(f"   skipped (opt in with {opt_in})", flush=True)
        report["skipped"].append(f"{path.stem} (opt in with {opt_in})")
        return
    report["ran"].append(path.stem)
    try:
        for kind, getter in (("case", "cases"), ("size", "sizes")):
            if not hasattr(module, getter):
                continue
            try:
                items = getattr(module, getter)()
            except Exception as exc:  # noqa: BLE001
                report["problems"].append(f"{path.stem}.{getter}(): {one_line(exc)}")
                print(f"   {getter}() failed: {one_line(exc)}", flush=True)
                continue
            for item in items:
                try:
                    result = measure(item) if kind == "case" else item
                except Exception as exc:  # noqa: BLE001
                    report["problems"].append(f"{path.stem}: {item.name}: {one_line(exc)}")
                    print(f"   {item.name}: FAILED {one_line(exc)}", flush=True)
                    continue
                print("   " + result.line(), flush=True)
                report["results"].append(_entry(path.stem, result))
    finally:
        if hasattr(module, "teardown"):
            try:
                module.teardown()
            except Exception as exc:  # noqa: BLE001
                report["problems"].append(f"{path.stem}.teardown(): {one_line(exc)}")


def _entry(module: str, result) -> dict:
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(result, Result):
        return {"when": when, "module": module, "name": result.name, "unit": "s", "median": result.median_s, "p10": result.p10_s,
                "p90": result.p90_s, "n": result.n, "goal": result.goal_s, "met": result.met}
    return {"when": when, "module": module, "name": result.name, "unit": "bytes", "median": result.bytes, "p10": None, "p90": None,
            "n": 1, "goal": result.goal_bytes, "met": result.met, "note": result.note}


def _cell(entry: dict, key: str) -> str:
    value = entry[key]
    if value is None:
        return "–"
    return _fmt(value) if entry["unit"] == "s" else gigabytes(value)


def _spread_goal_met(e: dict) -> tuple[str, str, str]:
    """The spread, goal and met? cells of one figure's table row."""
    spread = f"{_cell(e, 'p10')} – {_cell(e, 'p90')}" if e["p10"] is not None else (e.get("note") or "–")
    goal = "–" if e["goal"] is None else "≤ " + _cell(e, "goal")
    return spread, goal, {True: "yes", False: "**no**", None: "–"}[e["met"]]


def _machine(m: dict, load_separator: str) -> str:
    """Cores, CPU, RAM and Python of the measuring machine, and its load average at the start."""
    return (f"{m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}"
            + (f"{load_separator} load average {m['load_1min']:.1f} at the start." if m.get("load_1min") is not None else "."))


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"Measured {report['when']} on " + _machine(m, ";"),
        "",
        "| figure | median | spread (p10–p90) | n | goal | met? |",
        "|---|---|---|---|---|---|",
    ]
    for e in report["results"]:
        spread, goal, met = _spread_goal_met(e)
        name = e["name"] + (f" (measured {e['when']})" if e.get("when", report["when"]) != report["when"] else "")
        lines.append(f"| {name} | {_cell(e, 'median')} | {spread} | {e['n']} | {goal} | {met} |")
    for problem in report["problems"]:
        lines.append(f"\nNot measured: {problem}")
    return "\n".join(lines) + "\n"


def measurements_page(report: dict) -> str:
    """docs/measurements.md: each figure with the date it was measured, median, spread and goal, then one line per missed goal."""
    m = report["machine"]
    lines = [
        "# Measured figures",
        "",
        "Written by `python3 run.py bench` (`benchmarks/run_all.py`); do not edit by hand. Machine: "
        + _machine(m, ",")
        + " How figures are taken and why goals are missed: [the measurement notes](measurement-notes.md).",
        "",
        "| figure | measured | median | spread (p10–p90) | n | goal | met? |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in report["results"]:
        spread, goal, met = _spread_goal_met(e)
        lines.append(f"| {e['name']} | {e.get('when', report['when'])} | {_cell(e, 'median')} | {spread} | {e['n']} | {goal} | {met} |")
    missed = [e for e in report["results"] if e["met"] is False]
    lines += ["", "## Missed goals", ""]
    lines += [f"- {e['name']}: median {_cell(e, 'median')} against ≤ {_cell(e, 'goal')} ({e.get('when', report['when'])})." for e in missed]
    if not missed:
        lines.append("None: every figure with a goal met it.")
    if report["problems"]:
        lines += ["", "## Not measured", ""] + [f"- {problem}" for problem in report["problems"]]
    return "\n".join(lines) + "\n"


def _keep_other_modules(report: dict, ran: set[str], results: Path) -> None:
    """Add the previous figures of modules this run did not run (measured on this machine)."""
    try:
        previous = json.loads((results / "latest.json").read_text())
    except (OSError, ValueError):
        return
    if previous.get("machine", {}).get("cpu") != report["machine"]["cpu"]:
        return
    kept = [e for e in previous.get("results", []) if e.get("module") not in ran]
    report["results"] = sorted(kept + report["results"], key=lambda e: e["module"])


def main(argv: list[str], folder: Path = HERE, results: Path = RESULTS, page: Path | None = None) -> int:
    """Run the ``bench_*.py`` modules of ``folder``; write the tables to ``results`` and the measurements page
    to ``page`` (docs/measurements.md for the default ``results``, else ``results/measurements.md``); 1 if any could not run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", action="store_true", help="also time the README test command (takes minutes)")
    parser.add_argument("--only", nargs="*", default=[], help="run only modules whose name contains one of these")
    args = parser.parse_args(argv)
    flags = {"--suite"} if args.suite else set()
    report = {"when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
              "results": [], "problems": [], "skipped": [], "ran": []}
    print("Machine: {nproc} cores, {cpu}, {ram_gb} GB RAM, Python {python}, load average {load_1min}".format(**report["machine"]))
    modules = sorted(folder.glob("bench_*.py"))
    if args.only:
        modules = [p for p in modules if any(word in p.stem for word in args.only)]
    for path in modules:
        run_module(path, flags, report)
    results.mkdir(exist_ok=True)
    _keep_other_modules(report, set(report["ran"]), results)
    (results / "latest.json").write_text(json.dumps(report, indent=1))
    (results / "latest.md").write_text(markdown(report))
    page = page or (MEASUREMENTS if results == RESULTS else results / "measurements.md")
    page.parent.mkdir(exist_ok=True)
    page.write_text(measurements_page(report), encoding="utf-8")
    missed = [e["name"] for e in report["results"] if e["met"] is False]
    print(f"\n{len(report['results'])} figures, {len(missed)} missed their goal"
          + (f": {', '.join(missed)}" if missed else "") + f"; table in {results / 'latest.md'}")
    for problem in report["problems"]:
        print(f"NOT MEASURED: {problem}")
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
