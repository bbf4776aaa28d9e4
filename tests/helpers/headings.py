"""The heading rules of a notebook's markdown (WCAG 2.1 1.3.1): one H1, first, no skipped level going down."""

from __future__ import annotations


def heading_problems(levels: list[int]) -> list[str]:
    problems = []
    if levels.count(1) != 1:
        problems.append(f"{levels.count(1)} H1 headings (want exactly one)")
    if levels and levels[0] != 1:
        problems.append(f"the first heading is H{levels[0]}, not the H1")
    for before, after in zip(levels, levels[1:], strict=False):
        if after > before + 1:
            problems.append(f"H{before} followed by H{after} (skips a level)")
    return problems
