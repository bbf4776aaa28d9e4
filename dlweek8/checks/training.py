"""Notebook 03 checks: gradient flow in training (the adding problem, a tanh RNN against LSTMs).

Three questions, in notebook order: a prediction recorded before training (how the gradient ratio
at initialisation moves with the forget bias, and which models will learn), reading a ratio of the
table (the average factor per step it implies), and a written answer (which model stays at the
baseline, and why) graded by a person. The numbers the questions state are the notebook's own
measurement (seeded, :mod:`dlweek8.training`); tests/test_notebook03_content.py recomputes them.
No question offers per-student variants (docs/notebook03.md says why).
"""

from __future__ import annotations

import math

from .. import answer_forms, plain
from ..mistakes import Mistake, NamesMistakes
from ..question import Field, ValueQuestion

#: The measured ratio |∂L/∂x₀| / |∂L/∂x_{T−1}| of the tanh RNN at initialisation (training.FULL, seed 0), as the table rounds it.
RNN_RATIO = 4.4e-20
#: Steps between x₀ and x_{T−1} at T = 100.
RNN_STEPS = 99


# -- training.predict ----------------------------------------------------------------------------
TRENDS = {
    "grows": "grows as the forget bias grows",
    "shrinks": "shrinks as the forget bias grows",
    "same": "is about the same for forget biases 0, 1 and 3",
}
LEARNERS = {
    "none": "none of the four",
    "b_f=3": "only the LSTM with forget bias 3",
    "b_f=1,3": "the LSTMs with forget biases 1 and 3",
    "lstms": "all three LSTMs, not the RNN",
    "all": "all four models, the RNN too",
}


def _carousel(f: float, steps: int = 99) -> str:
    return f"{f}^{steps} ≈ {f ** steps:.1e}"


class Prediction(NamesMistakes, ValueQuestion):
    """Two predictions made before training: the ratio's trend in b_f, and which models get below the "learned" loss."""

    prompt = (
        "Before training, predict: (1) at initialisation, how does the ratio |∂L/∂x₀| / |∂L/∂x_{T−1}| of the LSTMs "
        "change with the forget bias b_f; (2) which models get their loss below 0.05 within 2,000 Adam steps at T = 100?"
    )
    fields = (
        Field("(1) the LSTMs' ratio at initialisation", "choice", tuple((text, key) for key, text in TRENDS.items())),
        Field("(2) below 0.05 within 2,000 Adam steps", "choice", tuple((text, key) for key, text in LEARNERS.items())),
    )
    hints = (
        "(1) Along the cell state each step multiplies the gradient by f_t = σ(b_f + …): what does a larger b_f do to f_t? "
        "(2) The ratio is a size. Adam divides each parameter's step by the recent size of that parameter's own gradient.",
        "(1) Compare 0.5 and 0.95 multiplied 99 times. (2) A gradient can be tiny and still point the right way: "
        "what matters is whether the parameters have a path that carries a number across 50 steps.",
    )
    mistakes = {
        "ratio-shrinks": Mistake(
            "A larger b_f pushes the forget gate f_t = σ(b_f + …) towards 1, and along the cell state every step multiplies "
            f"the gradient by f_t. For example {_carousel(0.5)}, while {_carousel(0.95)}."
        ),
        "ratio-same": Mistake(
            "The forget bias sits inside f_t = σ(b_f + …), and along the cell state the gradient is multiplied by f_t once per "
            f"step, 99 times here: small changes of f_t compound. For example {_carousel(0.7)}, while {_carousel(0.9)}."
        ),
        "ratio-decides": Mistake(
            "Your prediction lets the size of the initial ratio decide. With Adam the size matters much less: each parameter's "
            "step is divided by the running size of its own gradient, so a weight whose gradient is 1e−12 of another's still "
            "moves by about the learning rate. What matters more is whether the model has a path that can keep a number for 50 steps."
        ),
        "rnn-learns": Mistake(
            "A tanh RNN carries a number across steps only through h_t = tanh(W x_t + U h_{t−1}): every step multiplies the "
            "gradient by U and a tanh slope, and no gate can switch that product to 1. Adam rescales each parameter's step, "
            "not the factor each time step applies."
        ),
        "none-learns": Mistake(
            "Too pessimistic for the LSTMs: their cell state c_t = f_t ∘ c_{t−1} + i_t ∘ u_t is a path on which a number can "
            "stay unchanged once f_t is near 1, and Adam moves weights whose gradients are tiny by about the learning rate."
        ),
    }

    def __init__(self, question_id):
        self.id = question_id

    def judge(self, answer):
        if isinstance(answer, dict):
            answer = [answer.get("trend"), answer.get("learners")]
        if not isinstance(answer, list) or len(answer) != 2:
            return self.invalid(f"Expected a pair (one of {', '.join(map(repr, TRENDS))}; one of {', '.join(map(repr, LEARNERS))}), "
                                f"got {plain.describe(answer)}.")
        trend, learners = (a.strip() if isinstance(a, str) else a for a in answer)
        if trend not in TRENDS:
            return self.invalid(f"(1) must be one of {', '.join(map(repr, TRENDS))}, got {plain.describe(answer[0])}.")
        if learners not in LEARNERS:
            return self.invalid(f"(2) must be one of {', '.join(map(repr, LEARNERS))}, got {plain.describe(answer[1])}.")
        if trend == "grows" and learners == "lstms":
            return self.correct(
                "Both predictions hold, as the run below shows: a larger b_f keeps f_t nearer 1, so more gradient reaches x₀; "
                "and with Adam every LSTM learns while the RNN stays at the baseline, so the initial ratio alone does not decide."
            )
        if trend != "grows":
            return self.named("ratio-shrinks" if trend == "shrinks" else "ratio-same")
        return self.named({"b_f=3": "ratio-decides", "b_f=1,3": "ratio-decides", "all": "rnn-learns", "none": "none-learns"}[learners])


# -- training.per_step_factor --------------------------------------------------------------------
class PerStepFactor(NamesMistakes, ValueQuestion):
    """The average factor per step a ratio r over ``steps`` steps implies: r^(1/steps)."""

    fields = (Field("factor per step", "float"),)
    hints = (
        "If every step multiplied the gradient by the same factor a, then after n steps the ratio would be aⁿ.",
        "Solve aⁿ = r for a: take the n-th root (in Python r ** (1 / n)). Count the steps between x₀ and x_{T−1}.",
    )
    mistakes = {
        "T-steps": Mistake("Count the steps again: from x₀ to x_{T−1} the gradient passes T − 1 steps, not T. "
                           "For example from x₀ to x₃ (T = 4) there are 3 steps."),
        "divided": Mistake("A ratio that builds up over n steps is a product of n factors, so take the n-th root, not r / n. "
                           "For example 0.5 per step for 3 steps gives 0.125, and 0.125 / 3 ≈ 0.042 is not 0.5."),
        "inverted": Mistake("That factor is above 1: it would make the gradient grow going back in time. The ratio is the first "
                            "step's gradient over the last step's, so the factor per step backwards is r^(1/n), below 1 when r < 1."),
        "log10": Mistake("That is a number of orders of magnitude (a base-10 logarithm), not a factor. A factor a per step gives "
                         "aⁿ after n steps; for example a = 0.5 over 10 steps gives 0.5¹⁰ ≈ 9.8e−4."),
        "log10-per-step": Mistake("That is the orders of magnitude lost per step, log₁₀ of the factor, not the factor itself: "
                                  "raise 10 to it. For example −0.3 per step means a factor 10^−0.3 ≈ 0.5."),
    }

    def __init__(self, question_id, ratio: float, steps: int):
        self.id, self.ratio, self.steps = question_id, ratio, steps

    @property
    def prompt(self):
        return (f"The RNN's ratio at initialisation is r = {self.ratio:.2g} over the {self.steps} steps from x₀ to x_{{T−1}} (T = {self.steps + 1}). "
                "If every step multiplied the gradient by the same factor a, what would a be? (3 significant digits)")

    def _right_answer(self) -> float:  # private: computed when judging, never stored
        return self.ratio ** (1 / self.steps)

    def candidates(self) -> list[tuple[str, float]]:
        """(mistake, the answer it gives with these numbers), in the order ``judge`` tries them."""
        r, n = self.ratio, self.steps
        return [("T-steps", r ** (1 / (n + 1))), ("divided", r / n), ("inverted", (1 / r) ** (1 / n)),
                ("log10", math.log10(r)), ("log10-per-step", math.log10(r) / n)]

    @staticmethod
    def _accepts(got: float, value: float) -> bool:
        """Within rounding to 3 significant digits (a little more than half a unit of the 3rd digit)."""
        if value == 0 or not math.isfinite(got):
            return got == value
        return abs(got - value) <= 0.6 * 10 ** (math.floor(math.log10(abs(value))) - 2)

    def judge(self, answer):
        got, problem = answer_forms.number(answer)
        if problem:
            return self.invalid(problem)
        if self._accepts(got, self._right_answer()):
            return self.correct(
                f"a = r^(1/{self.steps}): the gradient loses about {-math.log10(self._right_answer()):.2f} orders of magnitude per step "
                "on average. A factor only a little below 1 is enough to erase a number across 99 steps."
            )
        for name, value in self.candidates():
            if self._accepts(got, value):
                return self.named(name)
        return self.wrong("Not the factor per step. For example a ratio of 1e−6 over 3 steps means 0.01 per step, "
                          "since 0.01³ = 1e−6.")


QUESTIONS = [
    Prediction("training.predict"),
    PerStepFactor("training.per_step_factor", ratio=RNN_RATIO, steps=RNN_STEPS),
]


# -- the written answer, graded by a person (the kind: dlweek8/written.py; rubric: references/rubrics.py) --
from ..written import Criterion, WrittenQuestion, placed  # noqa: E402 - the written block stays at the end

WRITTEN = [
    WrittenQuestion(
        "training.stays_at_baseline_why",
        "In at most three sentences: which model stays at the baseline MSE of predicting the mean, and why does it, "
        "while the others learn?",
        (
            Criterion("which", "names the model that stays at the baseline"),
            Criterion("mechanism", "says what happens to a number's gradient on its way back through that model's steps"),
            Criterion("contrast", "says what the other models have that this one lacks, and what the optimiser does and does not change"),
        ),
        after="training.per_step_factor",
    ),
]
QUESTIONS = placed(QUESTIONS, WRITTEN)
