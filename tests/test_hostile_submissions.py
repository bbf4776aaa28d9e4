"""A hostile class: one batch of honest and hostile submissions through the real command line.

Each test states a promise of ``python -m dlweek8 grade`` (issue 10), not a mechanism:
honest classmates keep their exact totals, every file has one row, nothing of a submission is
alive after ``grade`` returns, nothing from solutions/, another submission or the grader's
environment reaches any output, no file outside the sandbox is written, bounds hold.

``DLWEEK8_TEST_NO_SANDBOX=1`` runs the same batch with ``--no-sandbox``, to see which promises
the sandbox keeps (the escape, outliving and persistence tests then fail).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dlweek8.instructor import editions
from dlweek8.instructor.grading import discover, sandbox

ROOT = Path(__file__).resolve().parents[1]
NO_SANDBOX = os.environ.get("DLWEEK8_TEST_NO_SANDBOX") == "1"
SECRET = "CANARYENV7f3a"  # in the grader's environment
CLASSMATE_SECRET = "CANARYCLASSMATE91c2"  # in an honest classmate's notebook
MARKER = "H3-DETACHED-7d1e"  # on the command line of the detached process
NOTEBOOK_TIMEOUT = 20
CELL_TIMEOUT = 10

pytestmark = pytest.mark.skipif(not NO_SANDBOX and sandbox.unavailable_reason() is not None, reason=str(sandbox.unavailable_reason()))


def _edition():
    solved = editions.solved_notebooks(ROOT / "solutions")[0]
    student = ROOT / "notebooks" / solved.name
    return student, solved


def _value_question(assignment) -> str:
    from dlweek8.instructor.grading import judge

    return next(qid for qid in assignment.question_ids if not judge.is_function_question(qid))


def _right_value(qid: str):
    """The right answer to a value question, as a literal (from the instructor's references)."""
    from dlweek8.instructor import solutions

    answer = solutions.solution(qid).answer
    return answer.tolist() if hasattr(answer, "tolist") else answer


def _hostile(qid: str, code: str) -> bytes:
    """A small notebook: the hostile cell, then a check cell that reads ``leak``."""
    cells = [new_code_cell("import dlweek8\nleak = None"), new_code_cell(code), new_code_cell(f'dlweek8.check("{qid}", leak)')]
    return nbformat.writes(new_notebook(cells=cells)).encode()


@dataclass
class Batch:
    out: Path
    rows: dict
    csv_text: str
    files: list[str]
    honest: list[str]
    expected_total: float
    seconds: float
    grader_home: Path
    alive: list[str]
    csv_after_wait: str
    max_rss_mb: float


def _grade(folder: Path, out: Path, home: Path, *extra) -> tuple[float, subprocess.CompletedProcess]:
    env = dict(os.environ, HOME=str(home), DLWEEK8_TEST_SECRET=SECRET)
    command = [sys.executable, "-m", "dlweek8", "grade", str(folder), "--out", str(out), "--jobs", "2",
               "--cell-timeout", str(CELL_TIMEOUT), "--notebook-timeout", str(NOTEBOOK_TIMEOUT), *extra]
    if NO_SANDBOX:
        command.append("--no-sandbox")
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    return time.monotonic() - start, done


def _alive_with(marker: str) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path("/proc", entry, "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline and int(entry) != os.getpid():
                found.append(entry)
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Batch:
    student, solved = _edition()
    assignment = discover.Assignment.from_notebook(student)
    qid = _value_question(assignment)
    honest_nb = editions.answered(nbformat.read(student, as_version=4), nbformat.read(solved, as_version=4))
    honest = nbformat.writes(honest_nb).encode()
    classmate_nb = nbformat.reads(honest.decode(), as_version=4)
    classmate_nb.cells.insert(0, new_markdown_cell(f"my notes: {CLASSMATE_SECRET}"))
    classmate = nbformat.writes(classmate_nb).encode()

    home = tmp_path_factory.mktemp("grader_home")

    root = tmp_path_factory.mktemp("hostile")
    folder, out = root / "submissions", root / "out"
    folder.mkdir()
    classmate_path = folder / "classmate.ipynb"
    py = json.dumps(sys.executable)
    attacks = {
        "escape.ipynb": f"""
import glob, os, re
text = ''
for path in glob.glob({json.dumps(str(ROOT / 'solutions'))} + '/*.ipynb') + [{json.dumps(str(classmate_path))}]:
    try: text += open(path).read()
    except OSError: pass
for path in glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline'):
    try: text += open(path, 'rb').read().decode('utf-8', 'replace')
    except OSError: pass
text += repr(dict(os.environ))
found = re.findall(r'CANARY\\w+', text) + [l.strip() for l in text.replace('\\\\n', '\\n').splitlines() if '### SOLUTION' in l][:2]
leak = ' '.join(dict.fromkeys(found))[:180] or 'nothing found'
""",
        "outlive.ipynb": f"""
import subprocess, os
code = '''
import os, sys, time
target = sys.argv[1]
for _ in range(600):
    if os.path.exists(target):
        time.sleep(1)
        open(target, 'w').write('submission,total\\\\nvictim,0\\\\n')
        break
    time.sleep(0.1)
time.sleep(30)
'''
subprocess.Popen([{py}, '-c', code, {json.dumps(str(out / 'grades.csv'))}, {json.dumps(MARKER)}], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    os.execv({py}, [{py}, '-c', 'import time; time.sleep(60)', {json.dumps(MARKER)}])
leak = 1
""",
        "persist.ipynb": f"""
import os, re, glob
homes = {{os.path.expanduser('~'), {json.dumps(str(home))}}}
for path in glob.glob('/proc/*/environ'):
    try: homes.update(re.findall(r'(?:^|\\x00)HOME=([^\\x00]+)', open(path, 'rb').read().decode('utf-8', 'replace')))
    except OSError: pass
for h in homes:
    if not h.startswith({json.dumps(str(home.parent))}) and h != os.path.expanduser('~'):
        continue  # this test's homes only: run without the sandbox, it must not poison the machine's own
    try:
        startup = os.path.join(h, '.ipython', 'profile_default', 'startup')
        os.makedirs(startup, exist_ok=True)
        open(os.path.join(startup, '00-zero.py'), 'w').write('import dlweek8; dlweek8.check = lambda *a, **k: None\\n')
    except OSError: pass
leak = 2
""",
        "forged.ipynb": """
import os
forged = b'{"reply": "x", "text": "' + b'[' * 100000 + b'"}\\n' + b'[' * 200000 + b'\\n{"done": 5}\\n'
class Forger:
    def __iter__(self):
        for fd in range(3, 64):
            try: os.write(fd, forged)
            except OSError: pass
        return iter([1, 2])
for fd in range(3, 64):
    try: os.write(fd, forged)
    except OSError: pass
leak = Forger()
""",
        "sleepy.ipynb": """
import time
class Sleepy:
    def __iter__(self):
        while True:
            try: time.sleep(100)
            except BaseException: pass
leak = Sleepy()
""",
        "printer.ipynb": """
import os, sys
chunk = b'x' * (1 << 20)
for _ in range(400):
    os.write(1, chunk)
print('y' * 50_000_000)
leak = 3
""",
    }
    files = {name: _hostile(qid, code) for name, code in attacks.items()}
    small = _hostile(qid, f"leak = {_right_value(qid)!r}")  # a small honest notebook, for the names (cheap to run)
    files.update({"honest.ipynb": honest, "classmate.ipynb": classmate, "small.ipynb": small, "=HYPERLINK(1).ipynb": small,
                  "deep.ipynb": b"[" * 100_000, "big.ipynb": b" " * (2 * 2**20)})
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / os.fsdecode(b"caf\xe9.ipynb")).write_bytes(small)
    os.symlink("small.ipynb", folder / "alias.ipynb")
    os.symlink("/dev/zero", folder / "zero.ipynb")
    os.mkfifo(folder / "fifo.ipynb")
    (folder / "folder.ipynb").mkdir()
    names = sorted(os.listdir(folder))

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    seconds, done = _grade(folder, out, home, "--assignment", str(student), "--max-size", "1")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert done.returncode == 0, done.stdout + done.stderr
    alive = _alive_with(MARKER)
    csv_text = (out / "grades.csv").read_text(encoding="utf-8")
    time.sleep(3)  # what a detached process would do once grades.csv exists
    after = (out / "grades.csv").read_text(encoding="utf-8")
    for pid in _alive_with(MARKER):  # clean up after a run without the sandbox
        try:
            os.kill(int(pid), 9)
        except OSError:
            pass
    rows = {}
    for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rows[row["submission"]] = row
    printable = [os.fsencode(n).decode("utf-8", "backslashreplace") for n in names]
    expected_total = _total(rows["honest.ipynb"]) if "honest.ipynb" in rows else -1
    return Batch(out, rows, csv_text, printable, ["classmate.ipynb"],
                 expected_total, seconds, home, alive, after, max(rss, before) / 1024)


def _total(row) -> float:
    return sum(q["points"] for q in row["questions"].values())


def test_every_file_has_exactly_one_row(batch):
    assert sorted(batch.rows) == sorted(batch.files)
    for name, reason in [("deep.ipynb", "nested too deeply"), ("big.ipynb", "larger than 1 MB"), ("zero.ipynb", "a link to a file outside the submissions"),
                         ("fifo.ipynb", "not a regular file (a FIFO)"), ("folder.ipynb", "not a regular file (a folder)")]:
        assert any(reason in note for note in batch.rows[name]["notes"]), (name, batch.rows[name]["notes"])


def test_honest_classmates_keep_their_exact_totals(batch):
    """Two copies of one honest notebook, graded alongside the attacks, get the same total; so do the
    copies of a small honest notebook under other names."""
    assert batch.expected_total > 0, batch.rows["honest.ipynb"]["notes"]
    for name in batch.honest:
        assert _total(batch.rows[name]) == batch.expected_total, (name, batch.rows[name]["notes"])
    small = _total(batch.rows["small.ipynb"])
    assert small > 0 and all(_total(batch.rows[n]) == small for n in ("=HYPERLINK(1).ipynb", "caf\\xe9.ipynb", "alias.ipynb"))


def test_names_are_kept_as_given_and_inert_in_the_csv(batch):
    assert "alias.ipynb" in batch.rows and "caf\\xe9.ipynb" in batch.rows
    assert "\n'=HYPERLINK(1).ipynb," in batch.csv_text or "\r\n'=HYPERLINK(1).ipynb," in batch.csv_text
    assert "\n=HYPERLINK" not in batch.csv_text


def test_nothing_secret_reaches_any_output(batch):
    texts = b"".join(p.read_bytes() for p in batch.out.rglob("*") if p.is_file())
    for secret in (SECRET, CLASSMATE_SECRET, "### SOLUTION"):
        assert secret.encode() not in texts, secret
    assert "nothing found" in json.dumps(batch.rows["escape.ipynb"])


def test_nothing_of_a_submission_outlives_grade(batch):
    assert batch.alive == []
    assert batch.csv_after_wait == batch.csv_text


def test_nothing_persists_outside_the_submission(batch):
    assert not (batch.grader_home / ".ipython").exists()


def test_bounds_hold(batch):
    sleepy = batch.rows["sleepy.ipynb"]
    assert _total(sleepy) == 0 and "did not finish within" in json.dumps(sleepy["questions"])
    # Alone, the sleeper never ends; with the bound, the batch ends (the margin is for a shared machine's load).
    assert batch.seconds < 3 * NOTEBOOK_TIMEOUT + 300
    # 400 MB printed is not held by the grader (the issue measured 1.3 GB)
    assert batch.max_rss_mb < 1000, batch.max_rss_mb


def test_report_timings(batch):
    print(f"hostile batch: {batch.seconds:.1f} s, grader max RSS {batch.max_rss_mb:.0f} MB")
