"""Solutions of notebook 03's questions (gradient flow in training): right answers and catalogues of wrong ones.

Each catalogue entry makes exactly one named mistake of ``dlweek8/checks/training.py``. The numbers
the questions state are recomputed from a seeded run in tests/test_notebook03_content.py.
"""

from __future__ import annotations

from ... import checks
from ..solutions import Solution


def _factor_solution() -> Solution:
    question = checks.get("training.per_step_factor")
    wrong = {name: value for name, value in question.candidates()}
    return Solution(answer=question._right_answer(), wrong=wrong, unnamed=(0.5, 1.0))


predict = Solution(
    answer=("grows", "lstms"),
    wrong={
        "ratio-shrinks": ("shrinks", "lstms"),
        "ratio-same": ("same", "lstms"),
        "ratio-decides": ("grows", "b_f=3"),
        "rnn-learns": ("grows", "all"),
        "none-learns": ("grows", "none"),
    },
)
per_step_factor = _factor_solution()

# -- the written answer, graded by a person: its model answer and refused forms live with its rubric --
from .rubrics import stays_at_baseline_why  # noqa: E402, F401
