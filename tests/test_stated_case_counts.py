"""Issue 23 item 7: where the README or the docs state how many public cases the output-size check
runs, the number is the check's own (the README said 155 while the check ran 154)."""

import re
from pathlib import Path

from dlweek8 import checks

ROOT = Path(__file__).resolve().parent.parent


def stated_counts() -> list[tuple[str, int]]:
    """(file, number) for every "N public cases" in README.md and docs/*.md (a number may end a line)."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = re.sub(r"\s+", " ", path.read_text(encoding="utf-8"))
        found += [(path.name, int(n)) for n in re.findall(r"(\d+) public cases", text)]
    return found


def test_every_stated_count_of_public_cases_is_the_checks():
    count = len(checks.get("conv.output_size_fn").public_cases().probes)
    stated = stated_counts()
    assert ("README.md", count) in stated, stated
    assert all(n == count for _, n in stated), (count, stated)
