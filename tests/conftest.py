"""Suite-wide pytest hooks: the slowest scopes start first, so that the workers finish together;
and the session fixtures of the student repository (``published``, ``student_python``, ``binder_build``).

``python3 run.py test`` runs pytest-xdist with ``--dist loadscope --no-loadscope-reorder``: each
scope (a test module, a test class, a notebook) runs whole on one worker, handed out in
collection order. This hook sorts the scopes by their seconds in ``scope_durations.json``
(slowest first; a scope not in it goes after the known ones, in its usual place), keeping the
order of the tests inside each scope. Without it, xdist hands out the scopes with the most tests
first, so the few slow ones (the browser, grading, the notebooks) started last.

Record the durations afresh (the run then also prints where the time went):

    DLWEEK8_RECORD_DURATIONS=1 python3 run.py test
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import pytest

import student_build

DURATIONS = Path(__file__).with_name("scope_durations.json")
RECORD = os.environ.get("DLWEEK8_RECORD_DURATIONS") == "1"


def scope_of(nodeid: str) -> str:
    """The scope pytest-xdist's loadscope gives a test: its nodeid up to the last ``::``."""
    return nodeid.rsplit("::", 1)[0]


def known_durations(path: Path = DURATIONS) -> dict[str, float]:
    try:
        return {scope: float(seconds) for scope, seconds in json.loads(path.read_text())["seconds"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def slowest_scopes_first(nodeids: list[str], seconds: dict[str, float]) -> list[int]:
    """Positions of ``nodeids`` in their new order: by scope seconds, slowest first, each scope's tests together and in order."""
    first_seen: dict[str, int] = {}
    for position, nodeid in enumerate(nodeids):
        first_seen.setdefault(scope_of(nodeid), position)

    def key(position: int):
        scope = scope_of(nodeids[position])
        return (-seconds.get(scope, 0.0), first_seen[scope], position)

    return sorted(range(len(nodeids)), key=key)


#: Tiers (pytest markers) of whole modules, by the machinery every one of their tests starts. Tests that
#: use the student-build fixtures are ``build``; notebook cells (nbval) are ``nbval``; tests/browser are
#: ``browser`` (tests/browser/conftest.py). ``python3 run.py test --quick`` leaves these tiers out.
MODULE_TIERS = {
    "test_grading.py": "grading",
    "test_hostile_submissions.py": "grading",
    "test_shards.py": "grading",
    "test_k8s_containers.py": "grading",
    "test_grader_robustness.py": "grading",
    "test_pids_cgroup.py": "grading",
    "test_publish.py": "build",
}
BUILD_FIXTURES = {"published", "student_python", "binder_build"}
#: Modules whose results are floating-point numbers from numpy and torch: run a second time under
#: another BLAS kernel by ``python3 run.py test`` (run.OTHER_BLAS).
NUMERIC_MODULES = {"test_questions.py", "test_lstm_reference.py", "test_lstm_checks.py",
                   "test_notebook01_content.py", "test_lstm_explorers.py"}


def tiers_of(item) -> set[str]:
    """The tier markers a collected test gets from where it lives and what it uses."""
    path = Path(str(item.fspath))
    tiers = set()
    if path.suffix == ".ipynb":
        tiers.add("nbval")
    if path.name in MODULE_TIERS:
        tiers.add(MODULE_TIERS[path.name])
    if BUILD_FIXTURES & set(getattr(item, "fixturenames", ())):
        tiers.add("build")
    if path.name in NUMERIC_MODULES:
        tiers.add("numeric")
    return tiers


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="also run the opt-in tests marked slow")


def pytest_collection_modifyitems(config, items):
    run_slow = config.getoption("--run-slow") or os.environ.get("DLWEEK8_RUN_SLOW") == "1"
    for item in items:
        for tier in tiers_of(item):
            item.add_marker(getattr(pytest.mark, tier))
        if item.get_closest_marker("slow") and not run_slow:
            item.add_marker(pytest.mark.skip(reason="opt-in: run with --run-slow (or DLWEEK8_RUN_SLOW=1)"))
    seconds = known_durations()
    if seconds:
        order = slowest_scopes_first([item.nodeid for item in items], seconds)
        items[:] = [items[position] for position in order]


def pytest_collection_finish(session):
    """What the imports and the collection made (torch, matplotlib, the test modules) lives to the end of the run:
    frozen out of the garbage collector's reach, so that its full collections during the tests walk only what the
    tests make (measured on the explorer and variant tests: the collector's CPU time halves, 4-7 % of the run)."""
    gc.freeze()


class _Recorder:
    """Seconds per scope (setup + call + teardown of its tests), the worker that ran it, and when."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.worker: dict[str, str] = {}
        self.span: dict[str, list[float]] = {}

    def pytest_runtest_logreport(self, report):
        scope = scope_of(report.nodeid)
        self.seconds[scope] += report.duration
        node = getattr(report, "node", None)
        self.worker[scope] = getattr(getattr(node, "gateway", None), "id", "main")
        start, stop = getattr(report, "start", None), getattr(report, "stop", None)
        if start is not None:
            span = self.span.setdefault(scope, [start, stop])
            span[0], span[1] = min(span[0], start), max(span[1], stop)

    def pytest_terminal_summary(self, terminalreporter):
        if not self.seconds:
            return
        started = min(span[0] for span in self.span.values()) if self.span else 0.0
        by_file: dict[str, float] = defaultdict(float)
        for scope, seconds in self.seconds.items():
            by_file[scope.split("::", 1)[0]] += seconds
        write = terminalreporter.write_line
        write(f"\nseconds per file (sum of setup, call and teardown; {sum(by_file.values()):.1f} s in all):")
        for name, seconds in sorted(by_file.items(), key=lambda item: -item[1])[:30]:
            write(f"  {seconds:7.1f} s  {name}")
        write("slowest scopes (worker, start..stop since the first test):")
        for scope, seconds in sorted(self.seconds.items(), key=lambda item: -item[1])[:15]:
            span = self.span.get(scope, [started, started])
            write(f"  {seconds:7.1f} s  {self.worker.get(scope, '?'):>4}  {span[0] - started:6.1f}..{span[1] - started:6.1f}  {scope}")
        # Merged into what is known: the second run of ``run.py test`` (the numeric tier again) updates its scopes only.
        merged = dict(known_durations(), **{scope: round(seconds, 2) for scope, seconds in self.seconds.items()})
        DURATIONS.write_text(json.dumps({"seconds": dict(sorted(merged.items()))}, indent=0) + "\n")
        write(f"wrote {DURATIONS}")


# -- the student repository (tests/student_build.py), built once per run ----------------------------


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> Path:
    """The real course published, as the student repository (shared: copy it before changing it)."""
    return student_build.build_once(student_build.shared_folder(tmp_path_factory) / "published" / "lstm-conv",
                                    student_build.publish_course)


@pytest.fixture(scope="session")
def student_python(tmp_path_factory) -> str:
    """The python of a fresh venv that sees this venv's packages but no dlweek8."""
    folder = student_build.build_once(student_build.shared_folder(tmp_path_factory) / "student-venv", student_build.make_venv)
    return str(folder / "bin" / "python")


@pytest.fixture(scope="session")
def binder_build(published, tmp_path_factory) -> student_build.BinderBuild:
    """The published repository checked out and installed by its postBuild into a venv of its own."""
    folder = student_build.build_once(student_build.shared_folder(tmp_path_factory) / "binder",
                                      lambda f: student_build.install_like_binder(published, f))
    return student_build.BinderBuild(folder)


def _leave_without_clean_up() -> None:
    """The last exit handler of a pytest-xdist worker (registered at configure time, so every handler registered
    later, by the tests, the collection or weakref finalizers, has run first): its results are sent, so it skips
    the interpreter's teardown of torch and what the tests imported (1.3-1.8 s per worker, measured; the controller
    waits for it). Handlers registered before it (logging's flush) are skipped too: a worker logs nowhere."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    if RECORD and not hasattr(config, "workerinput"):  # on the controller (or a run without xdist) only
        config.pluginmanager.register(_Recorder(), "dlweek8-scope-durations")
    if hasattr(config, "workerinput"):
        atexit.register(_leave_without_clean_up)  # registered first, so it runs last
