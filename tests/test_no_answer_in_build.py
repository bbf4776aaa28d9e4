"""No right answer one attribute or one call away in the student build (issue 22 item 3).

The protection covered: the student package holds no right value of a value question (no
``.expected``, ``right_claims``, solution fields...) and no public function that computes one from a
question's numbers (the graded formulas live in ``dlweek8.instructor.references``; a check computes
its right answer privately). In a published build, in a subprocess that can import nothing of the
instructor's, ``tests/helpers/answer_sweep.py`` walks every question object (its attributes and its
class's, one level into containers) and calls every public function of the package with every graded
question's numbers, for the notes' numbers and for one student's variant. Each right answer comes
from ``dlweek8.instructor.solutions.answer``. Switched off (today's main: ``conv.output_size``,
``.expected``...), the sweep reports dozens of answers; the planted leaks below prove the detector.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dlweek8
from dlweek8 import variants
from dlweek8.instructor import solutions
from dlweek8.question import FunctionQuestion

from helpers import answer_sweep
from student_build import clean_env

SWEEP = Path(answer_sweep.__file__)
STUDENT = "s-sweep-4711"
ANSWERED = [q for q in dlweek8.questions() if not isinstance(q, FunctionQuestion)]


def forms(answer) -> list:
    """The right answer as plain data, and for a yes/no answer its claims and its reason letter apart."""
    if isinstance(answer, (list, set, frozenset, range)):  # a run of input sizes: any order, any container
        return [["set", sorted(answer)]]
    found = [list(answer) if isinstance(answer, tuple) else answer]
    if isinstance(answer, tuple) and len(answer) > 1 and isinstance(answer[-1], str) and all(isinstance(v, bool) for v in answer[:-1]):
        found += [list(answer[:-1]), answer[-1]]
    return found


def targets() -> dict:
    """{"notes": {id: forms}, STUDENT: {id: forms}}: the notes' numbers for every answered question, the student's for graded ones."""
    notes = {q.id: forms(solutions.solution(q).answer) for q in ANSWERED}
    own = {q.id: forms(solutions.answer(q.id, STUDENT)) if variants.graded(q) else notes[q.id] for q in ANSWERED}
    return {"notes": notes, STUDENT: own}


@pytest.fixture(scope="module")
def sweep(published, student_python, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("sweep")
    (folder / "targets.json").write_text(json.dumps(targets()), encoding="utf-8")
    sandbox = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",  # own PIDs, no network: a
               "--ro-bind", str(folder), str(folder), "--ro-bind", str(published), str(published),  # function that kills or forks
               "--ro-bind", str(Path(student_python).parents[1]), str(Path(student_python).parents[1]),  # hurts nothing
               "--ro-bind", sys.prefix, sys.prefix,  # this venv's packages, even when it lives under /tmp (a CI clone)
               "--ro-bind", str(SWEEP), str(SWEEP),  # the sweep itself, even when the project lives under /tmp
               "--unshare-pid", "--unshare-net", "--die-with-parent", "--new-session", "--chdir", "/tmp"]
    env = {k: v for k, v in clean_env(PYTHONPATH=str(published), OMP_NUM_THREADS="1", MPLCONFIGDIR="/tmp", MPLBACKEND="Agg").items()
           if k not in ("DLWEEK8_STUDENT", "JUPYTERHUB_USER")}
    done = subprocess.run([*sandbox, student_python, "-P", str(SWEEP), str(published / "dlweek8"), str(folder / "targets.json")],
                          capture_output=True, text=True, env=env, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, (done.stdout[-2000:], done.stderr[-3000:])
    return json.loads(lines[-1][len("RESULT "):])


@pytest.mark.build
def test_the_sweep_saw_the_build(sweep):
    """It called the package's functions (most to the end) with each graded question's numbers, the student's being their own."""
    assert len(sweep["functions"]) >= 40 and len(sweep["unfinished"]) < len(sweep["functions"]) / 10, sweep["unfinished"]
    graded = variants.graded_ids()
    assert graded and set(sweep["numbers"]["notes"]) == set(graded) == set(sweep["numbers"][STUDENT])
    for qid in graded:
        assert sweep["numbers"][STUDENT][qid] == repr(variants.numbers(variants.question_for(qid, STUDENT)))
        assert sweep["numbers"][STUDENT][qid] != sweep["numbers"]["notes"][qid]


@pytest.mark.build
@pytest.mark.parametrize("qid", [q.id for q in ANSWERED])
def test_no_attribute_holds_the_right_answer(sweep, qid):
    found = [hit for hit in sweep["attributes"] if hit[1] == qid]
    assert not found, "\n".join(f"{who}: {qid}.{where} is the right answer {answer}" for who, qid, where, answer in found)


@pytest.mark.build
@pytest.mark.parametrize("qid", [q.id for q in ANSWERED])
def test_no_public_function_returns_the_right_answer(sweep, qid):
    found = [hit for hit in sweep["calls"] if hit[1] == qid]
    assert not found, "\n".join(f"{who}: {call} returns the right answer {answer} of {qid}" for who, qid, call, answer in found[:20])


# -- the detector, in-process (quick tier): planted leaks are found -----------------------------
class _Planted:
    hidden = 3

    def __init__(self):
        self.numbers = {"kernel": 5}
        self.expected = (26, 28)

    def solution(self):
        return [52, 54, 53]


def test_planted_attributes_are_found():
    hits = answer_sweep.attribute_hits(_Planted(), [[26, 28]])
    assert ("expected", "[26, 28]") in hits
    assert answer_sweep.attribute_hits(_Planted(), [["set", [52, 53, 54]]]) == [("solution()", "['set', [52, 53, 54]]")]
    assert answer_sweep.attribute_hits(_Planted(), [5]) == [("numbers[1]", "5")]  # one level into a dict
    assert answer_sweep.attribute_hits(_Planted(), [[27, 28], 6, "B"]) == []
    offered = _Planted()
    offered.reasons, offered.right_reason = ("A", "B", "C"), "B"  # the offered letters are no leak; the right one named is
    assert answer_sweep.attribute_hits(offered, ["B"]) == [("right_reason", "'B'")]


def test_planted_functions_are_found():
    def output_size(size, kernel_size, stride=1, padding=0):
        return tuple((n + 2 * padding - kernel_size) // stride + 1 for n in size)

    def params(in_channels, out_channels, kernel_size):
        return in_channels * out_channels * kernel_size**2

    jobs = [("notes", "size", {"size": (78, 84), "kernel_size": 5, "stride": 3, "padding": 2}, [[26, 28]]),
            ("notes", "params", {"input_shape": (32, 19, 19), "out_channels": 64, "kernel_size": 7, "bias": False}, [100352])]
    assert [hit[1] for hit in answer_sweep.call_hits(output_size, jobs)][:1] == ["size"]
    assert {hit[1] for hit in answer_sweep.call_hits(params, jobs)} == {"params"}
    assert answer_sweep.call_hits(lambda *args: 0, jobs) == []


def test_a_function_in_a_child_reports_its_hits_even_when_stopped():
    def output_size(size, kernel_size, stride=1, padding=0):
        return tuple((n + 2 * padding - kernel_size) // stride + 1 for n in size)

    def slow_output_size(size, kernel_size, stride=1, padding=0):  # each call within the per-call limit, all far past the function's
        time.sleep(0.1)
        return output_size(size, kernel_size, stride, padding)

    jobs = [("notes", "size", {"size": (78, 84), "kernel_size": 5, "stride": 3, "padding": 2}, [[26, 28]])] * 2
    hits, finished = answer_sweep.in_child(output_size, jobs)
    assert finished and hits == answer_sweep.call_hits(output_size, jobs) and hits
    assert len(hits) == 2 * len({tuple(hit[2:]) for hit in hits})  # the same call for two jobs ran once, and counts for each
    hits, finished = answer_sweep.in_child(slow_output_size, jobs, seconds=1.0)
    assert not finished and hits[:1] == [["notes", "size", "slow_output_size(*(), **{'size': (78, 84), 'kernel_size': 5, 'stride': 3, 'padding': 2})", "[26, 28]"]]
    assert answer_sweep.in_child(lambda *args: os._exit(3), jobs) == ([], False)


def test_answers_compare_as_numbers_sets_and_claims():
    same = answer_sweep.same
    assert same(range(52, 55), ["set", [52, 53, 54]]) and same({54, 52, 53}, ["set", [52, 53, 54]]) and not same([52, 53], ["set", [52, 53, 54]])
    assert same((26.0, 28), [26, 28]) and not same((26, 28, 1), [26, 28]) and not same(True, 1) and same(2.9444, 2.944438979)
    assert same("B", "B") and same([False], [False]) and not same([0], [False])
    import numpy as np

    assert same(np.array([26, 28]), [26, 28]) and same(np.int64(7), 7)
    assert not same(float("nan"), 1.0) and sys.maxsize
