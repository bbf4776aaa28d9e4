"""Task 2 latency: a ConvExplorer update (the checks are timed in bench_checks.py).

An explorer update is one slider change to a re-rendered PNG, in this process (goal 50 ms).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Case  # noqa: E402

EXPLORER_GOAL_S = 0.050


def _explorer_case(mode: str) -> Case:
    from dlweek8.widgets.conv_explorer import ConvExplorer

    explorer = ConvExplorer(size=12, kernel=3, stride=2, padding=1, mode=mode)
    sizes = iter(range(10**9))

    def run():  # alternate between two sizes so every call is a real change
        explorer.size.value = 11 + next(sizes) % 2

    return Case(f"ConvExplorer update ({mode})", run, goal_s=EXPLORER_GOAL_S, repeat=40)


def cases() -> list[Case]:
    return [_explorer_case("1-D"), _explorer_case("2-D")]


if __name__ == "__main__":
    from harness import measure

    for case in cases():
        print(measure(case).line())
