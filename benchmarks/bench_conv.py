"""Task 2 latencies: ``dlweek8.check`` per convolution question, and a ConvExplorer update.

Value checks get their right answer (goal 1 ms); the function check is timed with a right
function and with a wrong one that goes through the mistake matching (goal 20 ms).  An
explorer update is one slider change to a re-rendered PNG, in this process (goal 50 ms).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Case  # noqa: E402

VALUE_GOAL_S = 0.001
FUNCTION_GOAL_S = 0.020
EXPLORER_GOAL_S = 0.050


def _right_size(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _ceil_size(n, k, s=1, p=0, d=1):
    return math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1


def _check_case(name, question_id, answer, goal, passes=True) -> Case:
    import dlweek8

    def run():
        feedback = dlweek8.check(question_id, answer)
        assert feedback.passed == passes, str(feedback)

    return Case(name, run, goal_s=goal, repeat=50 if callable(answer) else 300)


def _explorer_case(mode: str) -> Case:
    from dlweek8.widgets.conv_explorer import ConvExplorer

    explorer = ConvExplorer(size=12, kernel=3, stride=2, padding=1, mode=mode)
    sizes = iter(range(10**9))

    def run():  # alternate between two sizes so every call is a real change
        explorer.size.value = 11 + next(sizes) % 2

    return Case(f"ConvExplorer update ({mode})", run, goal_s=EXPLORER_GOAL_S, repeat=40)


def cases() -> list[Case]:
    from dlweek8 import checks

    found = []
    for qid in checks.question_ids():
        if not qid.startswith("conv."):
            continue
        question = checks.get(qid)
        if qid == "conv.output_size_fn":
            found.append(_check_case(f"check {qid} (right)", qid, _right_size, FUNCTION_GOAL_S))
            found.append(_check_case(f"check {qid} (ceil mistake)", qid, _ceil_size, FUNCTION_GOAL_S, passes=False))
        else:
            found.append(_check_case(f"check {qid}", qid, question.from_fields(question.solution_fields()), VALUE_GOAL_S))
    # Unrecognised wrong answers take the longest path: every misconception is tried first.
    found.append(_check_case("check conv.input_for_16 (unrecognised)", "conv.input_for_16", [52, 53, 54, 60], VALUE_GOAL_S, passes=False))
    found.append(_check_case("check conv.ops_7x7 (unrecognised)", "conv.ops_7x7", (1, 2), VALUE_GOAL_S, passes=False))
    found += [_explorer_case("1-D"), _explorer_case("2-D")]
    return found


if __name__ == "__main__":
    from harness import measure

    for case in cases():
        print(measure(case).line())
