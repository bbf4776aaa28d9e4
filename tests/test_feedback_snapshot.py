"""Every feedback text of the LSTM and backprop checks, for a catalogue of answers, against a stored snapshot.

The snapshot (``tests/snapshots/lstm_backprop_feedback.json``) was recorded before the question kinds
moved to ``dlweek8/kinds.py`` (issue 21): a refactoring that changes no behaviour leaves it as it is.
Numbers in the texts compare within a relative 1e-6 (the last bits of a matrix product follow the
BLAS kernel); everything else compares exactly. After a deliberate change of feedback, rewrite it
with ``DLWEEK8_UPDATE_SNAPSHOT=1 python -m pytest tests/test_feedback_snapshot.py`` and review the diff.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

import dlweek8
from dlweek8 import plain, untrusted, written
from dlweek8.instructor import solutions
from dlweek8.instructor.solutions import as_student
from dlweek8.question import FunctionQuestion, evaluate, judge_calls

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "lstm_backprop_feedback.json"
QUESTIONS = [q for q in dlweek8.questions() if q.id.startswith(("lstm.", "backprop.")) and not written.is_written(q)]


def _raises(*args):
    raise ValueError("boom")


def _mapped(reference, change):
    """A function giving ``change`` of each array the reference returns."""
    def answer(*args):
        out = reference(*args)
        return tuple(change(x) for x in out) if isinstance(out, tuple) else change(out)

    return answer


def _function_answers(q) -> dict:
    found = solutions.solution(q)
    answers = {"right": as_student(found.answer)}
    answers |= {f"wrong:{name}": as_student(wrong) for name, wrong in found.wrong.items() if callable(wrong)}
    answers |= {f"unnamed:{n}": as_student(wrong) for n, wrong in enumerate(found.unnamed)}
    answers |= {
        "returns None": lambda *a: None,
        "returns a string": lambda *a: "0.5",
        "returns a 7x7x7 array": lambda *a: np.zeros((7, 7, 7)),
        "returns a number": lambda *a: 0.25,
        "raises": _raises,
        "NaN of the right shape": _mapped(found.answer, lambda x: np.full(np.shape(x), np.nan)),
        "scaled by 1.01": _mapped(found.answer, lambda x: 1.01 * np.asarray(x)),
        "not a function": 3,
        "blank": ...,
    }
    return answers


def _value_answers(q) -> dict:
    found = solutions.solution(q)
    answers = {"right": found.answer}
    answers |= {f"wrong:{name}": wrong for name, wrong in found.wrong.items()}
    answers |= {f"unnamed:{n}": wrong for n, wrong in enumerate(found.unnamed)}
    answers |= {"None": None, "NaN": float("nan"), "text": "False", "a list of five": [1, 2, 3, 4, 5], "a dict": {"x": 1}, "blank": ...}
    if hasattr(q, "claims"):  # every combination of claims and letter, and forms without a letter
        for combination in itertools.product(*[(False, True)] * len(q.claims), q.reasons):
            answers[f"combination {combination}"] = combination
        answers["claims only"] = found.answer[:-1] if len(q.claims) > 1 else found.answer[0]
        answers["letter that is a sentence"] = (*found.answer[:-1], "Because they are separate")
    elif isinstance(found.answer, tuple):
        answers["first part nudged"] = (found.answer[0] * 1.05, *found.answer[1:])
    else:
        for factor in (0.5, 0.99, 1.001, 1.05, 2.0, -1.0):
            answers[f"right × {factor}"] = found.answer * factor
    return answers


def _record(feedback) -> dict:
    return {"status": feedback.status, "message": feedback.message, "example": [list(row) for row in feedback.example],
            "mistakes": list(feedback.mistakes), "points": feedback.points, "hints": list(feedback.hints)}


def _lookup(cases, fallback=None):
    table = {plain.dumps(list(p)): out for p, out in zip(cases.probes, cases.expected, strict=True)}

    def answer(*args):
        found = table.get(plain.dumps([plain.to_plain(a) for a in args]))
        return fallback(*args) if found is None and fallback is not None else found

    return answer


def records() -> dict:
    """Every (question, answer) → its feedback, as plain data."""
    out = {}
    for q in QUESTIONS:
        if isinstance(q, FunctionQuestion):
            for label, answer in _function_answers(q).items():
                out[f"{q.id} | {label}"] = _record(evaluate(q, answer))
            graded = solutions.graded_cases(q)  # the grader's view: public and hidden cases
            found = solutions.solution(q)
            graded_answers = {"right": as_student(found.answer), "lookup table": _lookup(q.public_cases())}
            graded_answers |= {f"fitted, then {name}": _lookup(q.public_cases(), wrong) for name, wrong in found.wrong.items() if callable(wrong)}
            for label, answer in graded_answers.items():
                outcomes = untrusted.call_each(answer, graded.probes, seconds=10)
                out[f"{q.id} | graded | {label}"] = _record(judge_calls(q, graded, outcomes))
        else:
            for label, answer in _value_answers(q).items():
                out[f"{q.id} | {label}"] = _record(evaluate(q, answer))
            if q.variant(0) is not None:
                for seed in range(3):
                    variant = q.variant(f"snapshot-{seed}")
                    out[f"{q.id} | variant {seed} | prompt"] = {"message": variant.prompt}
                    for label, answer in list(_value_answers(q).items())[:4]:
                        out[f"{q.id} | variant {seed} | {label}"] = _record(evaluate(variant, answer))
    return json.loads(json.dumps(out, ensure_ascii=False))


_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:e[-+]?\d+)?")


def same_text(stored: str, fresh: str) -> bool:
    """Equal apart from numbers, which agree within a relative 1e-6."""
    if _NUMBER.split(stored) != _NUMBER.split(fresh):
        return False
    a, b = _NUMBER.findall(stored), _NUMBER.findall(fresh)
    return len(a) == len(b) and all(x == y or math.isclose(float(x), float(y), rel_tol=1e-6, abs_tol=1e-12) for x, y in zip(a, b, strict=True))


def differences(stored, fresh, where="") -> list[str]:
    if isinstance(stored, dict) and isinstance(fresh, dict):
        if stored.keys() != fresh.keys():
            return [f"{where}: keys {sorted(set(stored) ^ set(fresh))[:5]} differ"]
        return [d for key in stored for d in differences(stored[key], fresh[key], f"{where}[{key}]")]
    if isinstance(stored, list) and isinstance(fresh, list) and len(stored) == len(fresh):
        return [d for n, (a, b) in enumerate(zip(stored, fresh, strict=True)) for d in differences(a, b, f"{where}[{n}]")]
    if isinstance(stored, str) and isinstance(fresh, str):
        return [] if same_text(stored, fresh) else [f"{where}: {stored!r} became {fresh!r}"]
    return [] if stored == fresh else [f"{where}: {stored!r} became {fresh!r}"]


def test_every_feedback_text_is_the_recorded_one():
    fresh = records()
    if os.environ.get("DLWEEK8_UPDATE_SNAPSHOT"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(fresh, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    stored = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert len(stored) > 350
    found = differences(stored, fresh)
    assert not found, f"{len(found)} feedback texts changed:\n" + "\n".join(found[:10])


def test_the_snapshot_comparison_catches_a_changed_word_and_a_changed_number():
    assert same_text("differs on 4 of 4 cells: 0.0551213", "differs on 4 of 4 cells: 0.05512130000001")
    assert not same_text("differs on 4 of 4 cells", "differs on 3 of 4 cells")
    assert not same_text("Your Jacobian is transposed", "Your Jacobian is transposed.")
    assert differences({"a": {"message": "x 1.5"}}, {"a": {"message": "x 1.6"}}) and differences({"a": 1}, {"b": 1})


@pytest.mark.parametrize("q", QUESTIONS, ids=[q.id for q in QUESTIONS])
def test_the_snapshot_covers_every_question(q):
    stored = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert sum(key.startswith(f"{q.id} | ") for key in stored) >= 8
