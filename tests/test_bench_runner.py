"""benchmarks/run_all.py: runs every bench module, reports the broken ones and keeps going."""

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("run_all", module)
    spec.loader.exec_module(module)
    return module


HEADER = "from harness import Case\n"
MODULES = {
    "bench_a_good.py": HEADER + "def cases():\n    return [Case('adds', lambda: 1 + 1, 1.0, repeat=3, warmup=0)]\n",
    "bench_b_import_error.py": "import module_that_does_not_exist\n",
    "bench_c_cases_raise.py": HEADER + "def cases():\n    raise RuntimeError('no browser here')\n",
    "bench_d_case_raises.py": HEADER
    + "def boom():\n    raise ValueError('broken case')\n"
    + "def cases():\n    return [Case('boom', boom, repeat=2, warmup=0), Case('fine', lambda: None, repeat=2, warmup=0)]\n",
    "bench_e_opt_in.py": HEADER + "OPT_IN = '--suite'\ndef cases():\n    raise AssertionError('must not run')\n",
    "bench_f_self_timed.py": HEADER
    + "CLOSED = []\ndef cases():\n    return [Case('inside', lambda: 0.25, 0.1, repeat=3, warmup=0, timed_inside=True)]\n"
    + "def teardown():\n    open(__file__ + '.closed', 'w').close()\n",
}


def test_broken_modules_are_reported_and_the_others_still_run(tmp_path, capsys):
    for name, text in MODULES.items():
        (tmp_path / name).write_text(text)
    status = _run_all().main([], folder=tmp_path, results=tmp_path / "results")
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "results" / "latest.json").read_text())

    assert status == 1
    names = [entry["name"] for entry in report["results"]]
    assert names == ["adds", "fine", "inside"]
    problems = "\n".join(report["problems"])
    assert "bench_b_import_error: could not import: ModuleNotFoundError" in problems
    assert "bench_c_cases_raise.cases(): RuntimeError: no browser here" in problems
    assert "bench_d_case_raises: boom: ValueError: broken case" in problems
    assert report["skipped"] == ["bench_e_opt_in (opt in with --suite)"]
    assert "NOT MEASURED" in out

    inside = next(e for e in report["results"] if e["name"] == "inside")
    assert inside["median"] == 0.25 and inside["met"] is False  # the case's own timing, judged against its goal
    assert (tmp_path / "bench_f_self_timed.py.closed").exists()
    assert "| inside | 250.00 ms |" in (tmp_path / "results" / "latest.md").read_text()


def test_a_partial_run_keeps_the_other_modules_figures(tmp_path):
    for name in ("bench_a_good.py", "bench_f_self_timed.py"):
        (tmp_path / name).write_text(MODULES[name])
    run_all = _run_all()
    assert run_all.main([], folder=tmp_path, results=tmp_path / "results") == 0
    assert run_all.main(["--only", "good"], folder=tmp_path, results=tmp_path / "results") == 0
    report = json.loads((tmp_path / "results" / "latest.json").read_text())
    assert sorted(e["name"] for e in report["results"]) == ["adds", "inside"]


def test_a_goal_can_come_from_a_case_measured_before_it_in_the_same_run(tmp_path):
    (tmp_path / "bench_side_by_side.py").write_text(
        HEADER
        + "SEEN = []\n"
        + "def theirs():\n    SEEN.append(2.0)\n    return 2.0\n"
        + "def cases():\n    return [Case('theirs', theirs, repeat=3, warmup=0, timed_inside=True),\n"
        + "            Case('ours', lambda: 0.15, repeat=3, warmup=0, timed_inside=True, goal_from=lambda: max(SEEN) / 20)]\n"
    )
    assert _run_all().main([], folder=tmp_path, results=tmp_path / "results") == 0
    ours = next(e for e in json.loads((tmp_path / "results" / "latest.json").read_text())["results"] if e["name"] == "ours")
    assert ours["goal"] == 0.1 and ours["met"] is False  # 0.15 s is not 20 times faster than 2 s


SAMPLE = {
    "when": "2026-12-06 17:00 UTC",
    "machine": {"nproc": 2, "cpu": "AMD EPYC", "ram_gb": 23.5, "python": "3.11.7", "load_1min": 0.5},
    "results": [
        {"when": "2026-12-06 17:00 UTC", "module": "bench_checks", "name": "check, value", "unit": "s",
         "median": 0.0001, "p10": 0.00008, "p90": 0.0002, "n": 50, "goal": 0.001, "met": True},
        {"when": "2026-12-01 09:30 UTC", "module": "bench_lstm", "name": "gradient flow, steps T", "unit": "s",
         "median": 0.123, "p10": 0.078, "p90": 0.138, "n": 20, "goal": 0.1, "met": False},
        {"when": "2026-12-06 17:00 UTC", "module": "bench_env_size", "name": "environment", "unit": "bytes",
         "median": 2 * 1024**3, "p10": None, "p90": None, "n": 1, "goal": None, "met": None, "note": "site-packages"},
    ],
    "problems": ["bench_browser.cases(): RuntimeError: no chromium"],
}


def test_the_measurements_page_has_dates_medians_spreads_goals_and_one_line_per_missed_goal():
    page = _run_all().measurements_page(SAMPLE)
    rows = [line for line in page.splitlines() if line.startswith("| ") and "figure" not in line]
    assert len(rows) == 3
    slow = next(r for r in rows if r.startswith("| gradient flow, steps T |"))
    assert "2026-12-01 09:30 UTC" in slow and "123.00 ms" in slow and "78.00 ms – 138.00 ms" in slow and "≤ 100.00 ms" in slow
    assert slow.rstrip().endswith("**no** |")
    missed = page.split("## Missed goals", 1)[1].split("##", 1)[0]
    assert [line for line in missed.splitlines() if line.startswith("- ")] == [
        "- gradient flow, steps T: median 123.00 ms against ≤ 100.00 ms (2026-12-01 09:30 UTC)."]
    assert "- bench_browser.cases(): RuntimeError: no chromium" in page


def test_a_page_without_missed_goals_says_so(tmp_path):
    run_all = _run_all()
    met = dict(SAMPLE, results=[SAMPLE["results"][0]], problems=[])
    assert "None: every figure with a goal met it." in run_all.measurements_page(met)
    (tmp_path / "bench_a_good.py").write_text(MODULES["bench_a_good.py"])
    assert run_all.main([], folder=tmp_path, results=tmp_path / "results") == 0
    assert "| adds |" in (tmp_path / "results" / "measurements.md").read_text()  # a run into other results writes its page there


def test_the_suite_bench_counts_the_cpu_of_every_process_it_starts():
    """The CPU figure of ``bench --suite`` is the machine's busy time: a child's CPU counts as much as our own."""
    import subprocess

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_suite

    before = bench_suite.busy_cpu_seconds()
    subprocess.run([sys.executable, "-c", "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass"], check=True)
    assert bench_suite.busy_cpu_seconds() - before >= 0.4
    bench_suite.CPU_SECONDS[False][:] = [300.0, 410.0]
    runs = bench_suite.cpu_of_the_runs_above(False)
    assert [runs(), runs()] == [300.0, 410.0]
    names = [case.name for case in bench_suite.cases()]
    assert names[1].startswith("suite CPU") and names[3].startswith("suite CPU")
    assert bench_suite.cases()[3].goal_s == bench_suite._run_py().workers() * bench_suite.FULL_GOAL_S
