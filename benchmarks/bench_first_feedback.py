"""First feedback in a fresh interpreter: ``import dlweek8`` plus the first check.

Each repetition starts a new Python process (nothing imported, as in a new kernel) and times,
inside it, the import and one ``dlweek8.check``: for each topic, its first value question
(with the right answer) and its first function question.  The function answer returns zeros
of the expected shape where the question states one (so the check gets as far as comparing
with its reference), else 0.  One more case per topic times the whole process from outside
(interpreter start included), as an upper bound.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Case  # noqa: E402

GOAL_S = 0.5
REPEAT = 10

_TIMED = """import time
start = time.perf_counter()
import dlweek8, dlweek8.checks
feedback = dlweek8.check({qid!r}, {answer})
print(time.perf_counter() - start)
print(feedback.status)
"""


def first_questions() -> list[str]:
    """Per topic, in notebook order: the first value question and the first function question."""
    from dlweek8 import checks
    from dlweek8.question import FunctionQuestion

    firsts = {}
    for qid in checks.question_ids():
        kind = isinstance(checks.get(qid), FunctionQuestion)
        firsts.setdefault((qid.split(".", 1)[0], kind), qid)
    return list(firsts.values())


def answer_source(qid: str) -> str:
    """Python source of an answer that exercises the whole check."""
    from dlweek8 import checks
    from dlweek8.question import FunctionQuestion

    question = checks.get(qid)
    if isinstance(question, FunctionQuestion):
        if hasattr(question, "output_shape"):
            return f"lambda *a: __import__('numpy').zeros(dlweek8.checks.get({qid!r}).output_shape(a))"
        return "lambda *a, **k: 0"
    try:
        return repr(question.from_fields(question.solution_fields()))
    except NotImplementedError:
        return "0"


def run_fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
    return done.stdout


def timed_in_fresh_process(qid: str) -> float:
    seconds, _status = run_fresh(_TIMED.format(qid=qid, answer=answer_source(qid))).split()
    return float(seconds)


def cases() -> list[Case]:
    found = [
        Case("first feedback: import dlweek8 (alone)", lambda: float(run_fresh(
            "import time; s = time.perf_counter(); import dlweek8; print(time.perf_counter() - s)")),
            GOAL_S, repeat=REPEAT, warmup=1, timed_inside=True),
    ]
    for qid in first_questions():
        source = _TIMED.format(qid=qid, answer=answer_source(qid))
        found.append(Case(f"first feedback: import + check {qid}", lambda s=source: float(run_fresh(s).split()[0]),
                          GOAL_S, repeat=REPEAT, warmup=1, timed_inside=True))
    first = first_questions()[0]
    source = _TIMED.format(qid=first, answer=answer_source(first))
    found.append(Case(f"first feedback incl. Python start ({first})", lambda: run_fresh(source),
                      GOAL_S, repeat=REPEAT, warmup=1))
    return found
