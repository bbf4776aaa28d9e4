"""Task 1 latencies: the LSTM explorers' updates (the checks are timed in bench_checks.py).

An explorer update is a slider change up to the new PNG in the image widget. Every move takes
FigureView's fast path (only the animated artists are drawn); GradientFlowExplorer's steps
slider, which once redrew the whole figure, is timed separately.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Case  # noqa: E402

#: The browser adds ~50 ms to the kernel-side update, and a redraw should appear within 100 ms.
EXPLORER_GOAL_S = 0.050


def forget_computed_curves() -> None:
    """Empty GradientFlowExplorer's caches of computed curves, so that every move computes as a new setting does."""
    from dlweek8.widgets import lstm_explorers

    lstm_explorers._lstm_flow.cache_clear()
    lstm_explorers._rnn_flow.cache_clear()


def _explorer_cases() -> list[Case]:
    from dlweek8.widgets.lstm_explorers import GradientFlowExplorer

    explorer = GradientFlowExplorer(forget_bias=0.0, length=50, hidden_size=16)
    values = iter([0.0, 3.0] * 1000)
    steps = GradientFlowExplorer(forget_bias=0.0, length=50, hidden_size=16)
    lengths = iter([45, 50] * 1000)

    def move_bias_slider():  # a setting not seen before: the explorer's caches of computed curves are emptied
        forget_computed_curves()
        explorer.bias_slider.value = next(values)

    def move_steps_slider():  # new step ticks and a new gradient range: animated, no full draw
        forget_computed_curves()
        steps.length_slider.value = next(lengths)

    return [
        Case("GradientFlowExplorer update (T=50, k=16)", move_bias_slider, goal_s=EXPLORER_GOAL_S, repeat=20),
        Case("GradientFlowExplorer steps T", move_steps_slider, goal_s=EXPLORER_GOAL_S, repeat=10),
    ]


def _other_explorer_cases() -> list[Case]:
    from dlweek8.instructor.solutions import solution
    from dlweek8.widgets.lstm_explorers import ArgmaxExplorer, SigmoidExplorer

    argmax = ArgmaxExplorer()
    inputs = iter([-2.0, 2.0] * 1000)
    angles = iter([0.0, 90.0] * 1000)
    reference = solution("lstm.sigmoid_prime").answer
    sigmoid = SigmoidExplorer(lambda z: reference(z))  # a right σ′ drawn over σ, as a student's function
    ranges = iter([10.0, 1000.0] * 1000)

    def move_input_slider():
        argmax.input_slider.value = next(inputs)

    def move_angle_slider():
        argmax.angle_slider.value = next(angles)

    def move_range_slider():  # includes the untrusted call of the student's σ′ on the grid
        sigmoid.range_slider.value = next(ranges)

    return [
        Case("ArgmaxExplorer update", move_input_slider, goal_s=EXPLORER_GOAL_S, repeat=20),
        Case("ArgmaxExplorer angle update", move_angle_slider, goal_s=EXPLORER_GOAL_S, repeat=20),
        Case("SigmoidExplorer update", move_range_slider, goal_s=EXPLORER_GOAL_S, repeat=20),
    ]


def cases() -> list[Case]:
    return _explorer_cases() + _other_explorer_cases()


if __name__ == "__main__":
    from harness import measure

    for case in cases():
        print(measure(case).line())
