"""The README's quick start is exactly two commands, and both exist in run.py and in CI."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_quick_start_is_two_commands_lab_and_test():
    assert _quick_start_commands() == ["python3 run.py lab", "python3 run.py test"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci/run").read_text()
    assert re.search(r"^python3(\.11)? run\.py test\s*$", ci, re.M)


def test_run_py_lists_its_commands_and_rejects_unknown_ones():
    ok = subprocess.run([sys.executable, str(ROOT / "run.py")], capture_output=True, text=True)
    assert ok.returncode == 0 and "run.py lab" in ok.stdout and "run.py test" in ok.stdout
    bad = subprocess.run([sys.executable, str(ROOT / "run.py"), "nope"], capture_output=True, text=True)
    assert bad.returncode == 2
