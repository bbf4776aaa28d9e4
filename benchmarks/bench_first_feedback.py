"""First feedback in a fresh interpreter: ``import dlweek8`` plus the first check, and otter-grader's.

Each repetition starts a new Python process (nothing imported, as in a new kernel) and times,
inside it, the import and one ``dlweek8.check``: for each topic, its first value question
(with its right answer, from the instructor's solutions) and its first function question.
The function answer returns zeros of the expected shape where the question states one (so the
check gets as far as comparing outputs), else 0; it uses numpy only, as a student's would, so
a function check that needs torch pays for importing it here. One more case times the whole
process from outside (interpreter start included), as an upper bound.

Side by side, in the same run: otter-grader (pinned below, in a virtual environment of its own
that this module creates once under ~/.cache/dlweek8-bench) answers the same first value
question in a fresh process (``import otter``, ``otter.Notebook()``, ``grader.check("q1")`` on
a test asserting the same right answer). The dlweek8 case right after it has the goal
"20 times faster": otter's median / 20, as measured in this run.

Both sides run with their bytecode compiled, as installed: pip compiles every package it installs
(otter's above), and a kernel writes dlweek8's on its first import. So this module compiles
dlweek8's once before timing, and the fresh processes may write bytecode (a source edited during
the run is compiled once, by the next process): under ``PYTHONDONTWRITEBYTECODE`` every fresh
process would compile the sources again, which no student's kernel does.
"""

from __future__ import annotations

import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Case  # noqa: E402

GOAL_S = 0.5
REPEAT = 10
OTTER = "otter-grader==7.0.0"
OTTER_VENV = Path(os.environ.get("DLWEEK8_OTTER_VENV", Path.home() / ".cache" / "dlweek8-bench" / OTTER.replace("==", "-")))
AHEAD = 20

_TIMED = """import time
start = time.perf_counter()
import dlweek8
feedback = dlweek8.check({qid!r}, {answer})
print(time.perf_counter() - start)
print(feedback.status)
"""

_OTTER_TIMED = """import time
start = time.perf_counter()
import otter
grader = otter.Notebook(tests_dir="tests")
answer = {answer}
result = grader.check("q1")
print(time.perf_counter() - start)
print("correct" if result.passed_all_public else "incorrect")
"""

_OTTER_TEST = """OK_FORMAT = True

test = {{"name": "q1", "points": 1, "suites": [{{"cases": [{{"code": {code!r}, "hidden": False, "locked": False}}],
        "scored": True, "setup": "", "teardown": "", "type": "doctest"}}]}}
"""

_scratch: list[Path] = []
#: The fresh processes' environment: this one, but allowed to write bytecode, as a kernel is.
_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def compile_bytecode() -> None:
    """Write dlweek8's bytecode (``__pycache__``), as installing the package does."""
    import dlweek8

    compileall.compile_dir(Path(dlweek8.__file__).resolve().parent, quiet=1)


def first_questions() -> list:
    """Per topic, in notebook order: the first value question and the first function question."""
    import dlweek8
    from dlweek8.question import FunctionQuestion

    firsts = {}
    for question in dlweek8.questions():
        firsts.setdefault((question.id.split(".", 1)[0], isinstance(question, FunctionQuestion)), question)
    return list(firsts.values())


def answer_source(question) -> str:
    """Python source of an answer that exercises the whole check (the right value, for a value question)."""
    from dlweek8.instructor.solutions import solution
    from dlweek8.question import FunctionQuestion

    if isinstance(question, FunctionQuestion):
        if hasattr(question, "output_shape"):
            return f"lambda *a: __import__('numpy').zeros(dlweek8.checks.get({question.id!r}).output_shape(a))"
        return "lambda *a, **k: 0"
    return repr(solution(question).answer)


def run_fresh(code: str, python: str = sys.executable, cwd: Path | None = None) -> str:
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120, cwd=cwd, env=_ENV)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
    return done.stdout


def timed(code: str, expect: str | None = None, python: str = sys.executable, cwd: Path | None = None) -> float:
    """Seconds the fresh process measured itself; its printed status must be ``expect`` when given."""
    seconds, status = run_fresh(code, python, cwd).split()[-2:]
    if expect and status != expect:
        raise AssertionError(f"expected {expect}, the process printed {status}")
    return float(seconds)


def otter_python() -> str:
    """The interpreter of otter-grader's own virtual environment (created on first use)."""
    python = OTTER_VENV / "bin" / "python"
    if not python.exists():
        print(f"      installing {OTTER} into {OTTER_VENV} (once)", flush=True)
        venv.create(OTTER_VENV, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", OTTER], check=True)
    return str(python)


def otter_cases(question) -> list[Case]:
    """otter-grader, then dlweek8, on the same question and right answer; dlweek8's goal is otter's median / AHEAD."""
    python = otter_python()
    folder = Path(tempfile.mkdtemp(prefix="dlweek8-otter-"))
    _scratch.append(folder)
    (folder / "tests").mkdir()
    answer = answer_source(question)
    (folder / "tests" / "q1.py").write_text(_OTTER_TEST.format(code=f">>> answer == {answer}\nTrue"))
    otter_times: list[float] = []

    def otter_once() -> float:
        otter_times.append(timed(_OTTER_TIMED.format(answer=answer), "correct", python, folder))
        return otter_times[-1]

    def otter_goal() -> float:
        return sorted(otter_times)[len(otter_times) // 2] / AHEAD

    ours = _TIMED.format(qid=question.id, answer=answer)
    return [
        Case(f"otter-grader first feedback: import + check (same answer as {question.id})", otter_once,
             repeat=REPEAT, warmup=1, timed_inside=True),
        Case(f"first feedback {question.id}, goal otter-grader's / {AHEAD}", lambda: timed(ours, "correct"),
             repeat=REPEAT, warmup=1, timed_inside=True, goal_from=otter_goal),
    ]


def cases() -> list[Case]:
    compile_bytecode()
    found = [
        Case("first feedback: import dlweek8 (alone)", lambda: timed(
            "import time; s = time.perf_counter(); import dlweek8; print(time.perf_counter() - s); print('-')"),
            GOAL_S, repeat=REPEAT, warmup=1, timed_inside=True),
    ]
    firsts = first_questions()
    for question in firsts:
        source = _TIMED.format(qid=question.id, answer=answer_source(question))
        found.append(Case(f"first feedback: import + check {question.id}", lambda s=source: timed(s),
                          GOAL_S, repeat=REPEAT, warmup=1, timed_inside=True))
    source = _TIMED.format(qid=firsts[0].id, answer=answer_source(firsts[0]))
    found.append(Case(f"first feedback incl. Python start ({firsts[0].id})", lambda: run_fresh(source),
                      GOAL_S, repeat=REPEAT, warmup=1))
    from dlweek8.question import FunctionQuestion

    for question in firsts:
        if not isinstance(question, FunctionQuestion):
            found += otter_cases(question)
    return found


def teardown() -> None:
    while _scratch:
        shutil.rmtree(_scratch.pop(), ignore_errors=True)
