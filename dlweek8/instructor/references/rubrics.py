"""Rubrics of the written answers (graded by a person), their model answers and wrong forms.

A written question (:class:`dlweek8.written.WrittenQuestion`) shows students what each criterion
looks at, without the answer; its rubric here says what earns the point, with the answer in it.
Keys and points are the question's. Never shipped: the student build leaves out
``dlweek8/instructor/`` (tested by a leak scan of the published build in tests/test_written.py).

Each question's :class:`~dlweek8.instructor.solutions.Solution` holds the model answer (the one
in the solved notebook) and a catalogue of answers whose *form* the instant check refuses.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ... import checks, kinds
from . import Solution


@dataclass(frozen=True)
class RubricItem:
    """One criterion as the grader sees it: what earns its points."""

    key: str
    earns: str
    points: int = 1


RUBRICS = {
    "lstm.cell_state_dependence_why": (
        RubricItem("verdict", "answers no: c_{t−1} is not a function of h_{t−1}"),
        RubricItem("inputs", "states that c_{t−1} and h_{t−1} are separate inputs of step t (the state is the pair)"),
        RubricItem("reason", "gives a reason h does not determine c, e.g. o ∘ tanh(c) loses information (two c give one h), "
                             "or c_t would then be a function of h_t, which the equations do not give"),
    ),
    "lstm.no_hand_jacobian_why": (
        RubricItem("structure", "the chain rule makes it a product of three one-step Jacobians of the state (h, c), "
                                "S_t S_{t−1} S_{t−2}, each at its own step's gates and states"),
        RubricItem("paths", "h_t depends on h_{t−3} through the cell states c_{t−1}, c_{t−2} as well as through h, "
                            "so a product of the h-only blocks is not enough"),
        RubricItem("instead", "expanded by hand it is a sum over every path with terms that change at every step; "
                              "a computer multiplies the numeric matrices (or autograd does it)"),
    ),
    "lstm.argmax_vs_input_why": (
        RubricItem("argmax", "the argmax does not depend on it: W^f(d)·x_t adds the same number to every candidate's "
                             "pre-activation and σ is increasing, so the best h_{t−1} stays U^f(d)/‖U^f(d)‖"),
        RubricItem("max", "the max does depend on it: it is σ(W^f(d)·x_t + ‖U^f(d)‖), which moves with the input term"),
        RubricItem("numbers", "an example with numbers, e.g. x_t = 0 gives σ(‖U^f(d)‖) while x_t = 10000·W^f(d)/‖W^f(d)‖ "
                              "gives σ(10000·‖W^f(d)‖ + ‖U^f(d)‖), practically 1"),
    ),
    "training.stays_at_baseline_why": (
        RubricItem("which", "the tanh RNN stays at the baseline (about 0.167 = 1/6, the variance of X₁ + X₂)"),
        RubricItem("mechanism", "its only path back in time multiplies the gradient at every step by U and a tanh slope, "
                                "so what reaches a number 50 or more steps back is vanishingly small (a ratio near 1e−20 at "
                                "initialisation) and carries no usable direction; predicting the mean is the best it can do"),
        RubricItem("contrast", "the LSTMs have the cell state c_t = f_t ∘ c_{t−1} + i_t ∘ u_t, an additive path that keeps a "
                               "number when f_t is near 1; Adam rescales each parameter's step (so the LSTMs' tiny initial "
                               "ratios hardly matter, and b_f barely changes when they learn) but cannot change the RNN's "
                               "per-step factors"),
    ),
}


def rubric(question_id: str) -> tuple[RubricItem, ...]:
    """The rubric of a written question; ``KeyError`` when it has none."""
    return RUBRICS[question_id]


# -- model answers (as in the solved notebook) and answers of a refused form -----------------------

MODEL_ANSWERS = {
    "lstm.cell_state_dependence_why": (
        "No, c_{t−1} is not a function of h_{t−1}: the two are separate inputs of step t, and the state is the pair (h, c). "
        "The output h = o ∘ tanh(c) throws information away, e.g. with one unit o = 0.5, c = 1 and o = 0.8, c ≈ 0.52 "
        "both give h ≈ 0.38. So one value of h_{t−1} fits many values of c_{t−1}, and c_{t−1} cannot be read off h_{t−1}."
    ),
    "lstm.no_hand_jacobian_why": (
        "By the chain rule ∂h_t/∂h_{t−3} is a block of the product S_t S_{t−1} S_{t−2} of three one-step Jacobians of "
        "the whole state s = (h, c), each evaluated at its own step's gates and states. The dependence runs through "
        "the cell states c_{t−1} and c_{t−2} as well as through h, so the k × k blocks ∂h_τ/∂h_{τ−1} alone are not enough. "
        "Expanded symbolically this is a sum over every path through h and c, with terms that differ at every step, "
        "so we let the computer multiply three numeric 2k × 2k matrices (or let autograd do it) instead."
    ),
    "lstm.argmax_vs_input_why": (
        "The argmax does not depend on it: W^f(d)·x_t adds one and the same number a to the pre-activation of every "
        "candidate h_{t−1}, and σ is increasing, so the best unit vector stays U^f(d)/‖U^f(d)‖. The max does depend "
        "on it, since it equals σ(a + ‖U^f(d)‖). For example x_t = 0 gives σ(‖U^f(d)‖), while "
        "x_t = 10000·W^f(d)/‖W^f(d)‖ gives σ(10000·‖W^f(d)‖ + ‖U^f(d)‖), which is practically 1."
    ),
    "training.stays_at_baseline_why": (
        "The tanh RNN stays at the baseline: its loss ends near 0.167, the MSE of always predicting the mean. Its only way back "
        "in time multiplies the gradient at every step by U and a tanh slope, so the gradient that reaches the marked numbers "
        "tens of steps back is vanishingly small (about 1e−20 from x₀ at initialisation), and Adam's per-parameter rescaling "
        "cannot restore a direction that is lost in that product. The LSTMs have the cell state, an additive path on which a "
        "number survives whenever the forget gate is near 1, so they learn whatever their initial b_f."
    ),
}

_TOO_LONG = {
    "lstm.cell_state_dependence_why": (
        "No. The cell state is its own input. The hidden state is computed from it. Many cell states give one hidden "
        "state, e.g. when o is 0.5 or 0.8."
    ),
    "lstm.no_hand_jacobian_why": (
        "It is a product. There are three factors. Each has many terms. Autograd does it for us."
    ),
    "lstm.argmax_vs_input_why": (
        "The argmax does not move. The max moves. The input adds a constant. Sigma is increasing, i.e. it keeps the order."
    ),
    "training.stays_at_baseline_why": (
        "The RNN stays. Its gradient vanishes. The LSTM has a cell state. Adam does not help the RNN."
    ),
}


def _right_reason(practice) -> str:
    """The right reason letter of a claims question, found from its stored digests (the references
    import this module, so their answers are not at hand here)."""
    right = practice.sealed()["right"]
    combinations = itertools.product(*[(False, True)] * len(practice.claims), practice.reasons)
    return next(c[-1] for c in combinations if kinds.digest(practice.id, c) == right)


def _wrong_forms(question_id: str) -> dict:
    question = checks.get(question_id)
    wrong = {"too-many-sentences": _TOO_LONG[question_id], "too-short": "No, it isn't.", "copies-prompt": question.prompt}
    if question.practice:
        best = _right_reason(checks.get(question.practice))
        wrong["copies-option"] = checks.get(question.practice).reasons[best]
    return wrong


def written_solution(question_id: str) -> Solution:
    """The model answer and the catalogue of refused forms of a written question."""
    return Solution(answer=MODEL_ANSWERS[question_id], wrong=_wrong_forms(question_id), unnamed=())


cell_state_dependence_why = written_solution("lstm.cell_state_dependence_why")
no_hand_jacobian_why = written_solution("lstm.no_hand_jacobian_why")
argmax_vs_input_why = written_solution("lstm.argmax_vs_input_why")
stays_at_baseline_why = written_solution("training.stays_at_baseline_why")
