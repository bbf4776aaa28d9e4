"""Grading throughput: 20 submissions of each student edition, graded on 2 workers, every one sandboxed.

Goal: at least 40 submissions a minute on 2 cores, i.e. 20 graded within 30 s, with every
submission in its own sandbox (bubblewrap, :mod:`dlweek8.instructor.grading.sandbox`; with a memory
cgroup per submission where one can be made). Each submission is the student edition answered
from its solved notebook (``editions.answered``), so the sandboxed processes do the real
notebook's work. For comparison, in the same run: each notebook's batch with ``--no-sandbox``, and
the first notebook's with a template that has not imported the assignment's modules (``--cold-kernels``).

Memory (``sizes()``, goal at most 500 MB each): the first batch graded again by the real ``grade``
command in a process of its own, with the peak resident memory (VmHWM) of that grader process and
of the largest process it started (a worker's submission process, which shares the template's
pages), read from /proc while it runs. ``main()`` prints the same figures and the load average,
since the machine may be shared.

    python benchmarks/bench_grading.py            # prints submissions per minute and memory (the first notebook)
    python benchmarks/bench_grading.py 03         # the same for the notebooks whose names contain 03
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from harness import Case  # noqa: E402

SUBMISSIONS = 20
WORKERS = 2
GOAL_S = 60.0 * SUBMISSIONS / 40  # 40 a minute
#: How each notebook's batch, and the first notebook's only, is graded for comparison in the same run (label, grade_batch keywords).
BESIDE_EACH = (("--no-sandbox", {"sandboxed": False}),)
BESIDE_FIRST = (("sandboxed, cold template", {"warm": False}),)
COMPARISONS = BESIDE_EACH + BESIDE_FIRST


def _editions():
    """(student edition path, solved path) for every released notebook."""
    from dlweek8.instructor import editions

    pairs = [(ROOT / "notebooks" / s.name, s) for s in editions.solved_notebooks(ROOT / "solutions")]
    pairs = [(student, solved) for student, solved in pairs if student.exists()]
    if not pairs:
        raise RuntimeError("no released notebooks: run `python -m dlweek8 release` first")
    return pairs


def grade_batch(student: Path, solved: Path, count: int = SUBMISSIONS, workers: int = WORKERS, warm: bool = True,
                sandboxed: bool = True) -> float:
    """Grade ``count`` copies of one answered notebook; return the seconds taken (asserting equal totals)."""
    import nbformat

    from dlweek8.instructor import editions
    from dlweek8.instructor.grading import batch, discover

    full = nbformat.writes(editions.answered(nbformat.read(student, as_version=4), nbformat.read(solved, as_version=4)))
    assignment = discover.Assignment.from_notebook(student)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        for n in range(count):
            (folder / f"student{n:03d}.ipynb").write_text(full, encoding="utf-8")
        start = time.perf_counter()
        _, rows = batch.grade([folder], Path(tmp) / "out", jobs=workers, assignment=assignment, progress=False, warm_kernels=warm,
                              sandboxed=sandboxed, notes_numbers=True)
        seconds = time.perf_counter() - start
    totals = {r.total(assignment.question_ids) for r in rows}
    assert len(totals) == 1 and not any("stopped" in n or "skipped" in n for r in rows for n in r.notes), \
        f"copies of one notebook graded differently: {sorted(totals)}, e.g. {rows[0].notes}"
    return seconds


def grade_command_memory(student: Path, solved: Path, count: int = SUBMISSIONS, workers: int = WORKERS) -> tuple[float, float, float]:
    """(seconds, the grader's peak MB, the largest peak MB of a process it started) for ``python -m dlweek8 grade``
    on ``count`` copies of one answered notebook, sandboxed."""
    import subprocess

    import nbformat

    from dlweek8.instructor import editions

    full = nbformat.writes(editions.answered(nbformat.read(student, as_version=4), nbformat.read(solved, as_version=4)))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        for n in range(count):
            (folder / f"student{n:03d}.ipynb").write_text(full, encoding="utf-8")
        command = [sys.executable, "-m", "dlweek8", "grade", str(folder), "--out", str(Path(tmp) / "out"), "--jobs", str(workers),
                   "--assignment", str(student)]
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with MemorySampler(root=process.pid) as memory:
            process.wait()
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            raise RuntimeError(f"grade ended with {process.returncode}")
    return seconds, memory.grader_mb, memory.worker_mb


def sizes():
    from run_all import Size

    student, solved = _editions()[0]
    _, grader, worker = grade_command_memory(student, solved)
    goal = 500 * 10**6
    return [Size(f"grade {SUBMISSIONS} x {student.name} on {WORKERS} workers, sandboxed: grader process peak memory", int(grader * 2**20), goal,
                 "VmHWM of the grade command"),
            Size("  same: largest process it started (a worker's submission process)", int(worker * 2**20), goal,
                 "VmHWM, the template's shared pages included")]


def cases() -> list[Case]:
    pairs = _editions()
    found = []
    for number, (student, solved) in enumerate(pairs):
        found.append(Case(f"grade {SUBMISSIONS} x {student.name} on {WORKERS} workers, sandboxed",
                          lambda s=student, o=solved: grade_batch(s, o), goal_s=GOAL_S, repeat=1, warmup=0))
        found += [Case(f"  same, {student.name}, {label}", lambda s=student, o=solved, k=kwargs: grade_batch(s, o, **k), repeat=1, warmup=0)
                  for label, kwargs in (BESIDE_EACH + BESIDE_FIRST if number == 0 else BESIDE_EACH)]  # for comparison, in the same run
    return found


class MemorySampler:
    """Peak resident memory (VmHWM) of ``root`` (default: this process), and of the largest other process it
    started, and the CPU seconds of all the processes it started (sampled from /proc every ``every`` s, so a
    process's last moments are missed: the CPU figure is a lower bound)."""

    def __init__(self, every: float = 0.1, root: int | None = None):
        import threading

        self.every, self.grader_mb, self.worker_mb, self.root = every, 0.0, 0.0, root or os.getpid()
        self._cpu: dict[tuple[int, str], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        me = self.root
        while not self._stop.wait(self.every):
            parents, rss = {}, {}
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    fields = Path("/proc", entry, "status").read_text().splitlines()
                except OSError:
                    continue
                info = dict(line.split(":", 1) for line in fields if ":" in line)
                parents[int(entry)] = int(info.get("PPid", "0").strip() or 0)
                rss[int(entry)] = int(info.get("VmHWM", "0 kB").split()[0]) / 1024 if "VmHWM" in info else 0.0
            self.grader_mb = max(self.grader_mb, rss.get(me, 0.0))
            for pid in rss:
                ancestor, hops = parents.get(pid), 0
                while ancestor and ancestor != me and hops < 20:
                    ancestor, hops = parents.get(ancestor), hops + 1
                if ancestor == me:
                    self.worker_mb = max(self.worker_mb, rss[pid])
                    try:
                        stat = Path("/proc", str(pid), "stat").read_text().rsplit(")", 1)[1].split()
                    except (OSError, IndexError):
                        continue
                    key = (pid, stat[19])  # pid and start time: a pid used twice is two processes
                    self._cpu[key] = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    @property
    def children_cpu_s(self) -> float:
        return sum(self._cpu.values())


def main(names=()) -> None:
    """The first notebook, or those whose file names contain one of ``names``: each comparison, then the grade command."""
    pairs = _editions()
    for student, solved in [pair for pair in pairs if any(name in pair[0].name for name in names)] if names else pairs[:1]:
        for label, kwargs in (("sandboxed", {}), *COMPARISONS):
            load = os.getloadavg()[0]
            own = resource.getrusage(resource.RUSAGE_SELF)
            with MemorySampler() as memory:
                seconds = grade_batch(student, solved, **kwargs)
            after = resource.getrusage(resource.RUSAGE_SELF)
            grader_cpu = after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime
            cpu = (grader_cpu + memory.children_cpu_s) / SUBMISSIONS
            # On a shared machine the wall clock measures the neighbours too; CPU seconds per
            # submission (the grader's own, and every process it started, sampled) do not, and
            # 2 free cores grade about 2 * 60 / cpu of them a minute.
            print(f"{student.name} ({label}): {SUBMISSIONS} in {seconds:.1f} s on {WORKERS} workers = "
                  f"{SUBMISSIONS * 60 / seconds:.1f}/minute (goal >= 40); {cpu:.2f} CPU s per submission = "
                  f"{2 * 60 / cpu:.0f}/minute on 2 free cores; grader peak {memory.grader_mb:.0f} MB, "
                  f"largest process it started {memory.worker_mb:.0f} MB (goal <= 500); load average {load:.1f}")
        seconds, grader, worker = grade_command_memory(student, solved)
        print(f"{student.name} (the grade command, sandboxed): {SUBMISSIONS} in {seconds:.1f} s; grader process peak {grader:.0f} MB, "
              f"largest process it started {worker:.0f} MB (goal <= 500)")


if __name__ == "__main__":
    main(sys.argv[1:])
