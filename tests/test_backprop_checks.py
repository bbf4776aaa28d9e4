"""The backward-pass checks on bad answers: one clear line each, never a raise; and float32 answers pass."""

from __future__ import annotations

import numpy as np
import pytest

import dlweek8
from dlweek8 import untrusted
from dlweek8.instructor import solutions
from dlweek8.names import CORRECT, INCORRECT, INVALID

IDS = ("backprop.step_backward", "backprop.lstm_backward")


def _none(*args):
    return None


def _strings(*args):
    return ("a",) * 6


def _raises(*args):
    raise ValueError("broken")


def _five(*args):
    return (np.zeros(2),) * 5


def _loops(*args):
    while True:
        pass


@pytest.mark.parametrize("qid", IDS)
@pytest.mark.parametrize("answer", [_none, _strings, _raises, _five, _loops, 3, "text", None])
def test_a_bad_answer_gets_one_line_and_no_credit(qid, answer, monkeypatch):
    monkeypatch.setattr(untrusted, "TIME_LIMIT", 0.2)  # the loop waits out the limit (2 s in a notebook: test_conv_checks)
    feedback = dlweek8.check(qid, answer)
    assert feedback.status == INVALID and "\n" not in feedback.message and "Traceback" not in feedback.message


@pytest.mark.parametrize("qid", IDS)
def test_float32_answers_pass_and_a_scaled_one_is_told_which_gradients_differ(qid):
    right = solutions.solution(qid).answer

    def float32(*args):
        return tuple(np.asarray(g, dtype=np.float32) for g in right(*args))

    def scaled(*args):
        grads = list(right(*args))
        grads[-1] = 1.5 * grads[-1]
        return tuple(grads)

    assert dlweek8.check(qid, float32).status == CORRECT
    feedback = dlweek8.check(qid, scaled)
    assert feedback.status == INCORRECT and feedback.mistake is None and "db differs" in feedback.message
    assert dict(feedback.example)["gradient"] == "db"
