"""A value check in a fresh kernel imports no numpy, torch or anything else outside the standard library.

numpy alone takes 70-110 ms to import, several times the rest of the first feedback, so the
value-check path (``import dlweek8``, ``dlweek8.check``, the feedback's text) must stay on the
standard library; numpy and torch are imported where a function answer is judged. Each test runs
a fresh interpreter, as a new kernel is, and reads its ``sys.modules``: a top-level
``import numpy`` anywhere on that path makes these tests fail (no timing is asserted; speed is
measured by ``benchmarks/bench_first_feedback.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import dlweek8
from dlweek8.instructor.solutions import solution
from dlweek8.question import ValueQuestion

ROOT = Path(__file__).resolve().parents[1]

#: Prints, as JSON, the statuses of the checks and the modules outside the standard library that
#: importing dlweek8 and running them added (``{checks}`` is a list of (question id, answer source)).
_PROBE = """
import json, sys
before = set(sys.modules)
{prelude}
import dlweek8
statuses = []
for qid, answer in {checks}:
    feedback = dlweek8.check(qid, eval(answer))
    str(feedback), feedback.hint(1), dlweek8.hint(qid)
    statuses.append(feedback.status)
dlweek8.questions()
added = {{name.split(".")[0] for name in set(sys.modules) - before}}
print(json.dumps({{"statuses": statuses, "outside_stdlib": sorted(added - set(sys.stdlib_module_names) - {{"dlweek8"}})}}))
"""

#: Answers that are not right and not catalogued: each must still get a verdict without numpy.
_BAD = ("None", "float('nan')", "'abc'", "[1, 2, 3, 4, 5]", "{'a': 1}", "object()", "...")


def _value_questions() -> list[ValueQuestion]:
    return [q for q in dlweek8.questions() if isinstance(q, ValueQuestion)]


def _run(checks: list[tuple[str, str]], prelude: str = "") -> dict:
    """Statuses and new non-stdlib modules of a fresh interpreter that imports dlweek8 and runs ``checks``."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(prelude=prelude, checks=repr(checks))],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _first_value_question(topic: str) -> ValueQuestion:
    return next(q for q in _value_questions() if q.id.startswith(topic + "."))


@pytest.mark.parametrize("topic", ["lstm", "conv"])
def test_first_value_check_of_each_topic_imports_only_the_standard_library(topic):
    question = _first_value_question(topic)
    found = _run([(question.id, repr(solution(question).answer))])
    assert found["statuses"] == ["correct"]
    assert found["outside_stdlib"] == [], f"import dlweek8 + check({question.id!r}) imported {found['outside_stdlib']}"


def test_every_value_check_right_wrong_or_bad_imports_only_the_standard_library():
    checks, expected = [], []
    for question in _value_questions():
        known = solution(question)
        checks.append((question.id, repr(known.answer)))
        expected.append("correct")
        for answer in [*known.wrong.values(), *known.unnamed]:
            checks.append((question.id, repr(answer)))
            expected.append("wrong")
        checks += [(question.id, bad) for bad in _BAD]
        expected += ["any"] * len(_BAD)
    found = _run(checks)
    assert found["outside_stdlib"] == [], f"value checks imported {found['outside_stdlib']}"
    for (qid, answer), want, got in zip(checks, expected, found["statuses"], strict=True):
        if want == "correct":
            assert got == "correct", (qid, answer, got)
        elif want == "wrong":
            assert got == "incorrect", (qid, answer, got)  # a catalogued wrong answer is judged, not refused


def test_the_probe_sees_numpy_when_it_is_imported():
    """Guards the tests above against passing vacuously: an import of numpy on the path shows."""
    question = _first_value_question("conv")
    found = _run([(question.id, repr(solution(question).answer))], prelude="import numpy")
    assert "numpy" in found["outside_stdlib"]


def test_numpy_answers_are_read_when_numpy_is_imported_after_dlweek8():
    """A student's own ``import numpy`` (after ``import dlweek8``) gets the real numpy, and its values are answers."""
    question = _first_value_question("conv")
    height, width = solution(question).answer
    script = (
        "import dlweek8\n"
        "import numpy as np\n"
        "assert np.ndarray.__module__ == 'numpy' and hasattr(np, 'linalg')\n"
        f"print(dlweek8.check({question.id!r}, np.array([{height}, {width}])).status,"
        f" dlweek8.check({question.id!r}, (np.int64({height}), np.float64({width}))).status,"
        f" dlweek8.check({question.id!r}, np.array([{height}, {width + 1}])).status)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["correct", "correct", "incorrect"]
