"""The default ``k8s-job`` pod, run here: the submission's cells in a kernel container of the *student* image,
judged by the grader's container, the two joined only by a Unix socket on a shared emptyDir.

Each container of the manifest runs under its own bubblewrap with exactly the mounts the manifest declares
(:mod:`helpers.pods`): the kernel in the published student build as the Binder image installs it (its python,
``dlweek8`` in its site-packages, no ``dlweek8/instructor``), as PID 1 of its own PID namespace; the grader's
container with the whole package. Pod 0 grades Alice's solved notebook, pod 1 Mallory's blank one. In Mallory's, a
cell ends its process (the grader runs the notebook again: a second request on the socket), and the last cell tries
to read the instructor package (to answer with its solutions), to write into every folder the grader's container
reads or writes, and to leave a process running that keeps trying to. It reports what it reached in the note of the
error it raises.

Each protection can be switched off to see its test fail: ``DLWEEK8_TEST_KERNEL_OFF=instructor`` (the project, with
its instructor part, in the kernel's image, as when the submission ran in the grader's container),
``=results`` (the pod's results folder also mounted in the kernel container at /results), ``=pids`` (the kernel
container without a PID namespace of its own, as when the pod shares its PID namespace). The others were switched off
in the code once (each test's docstring says how, and what was seen).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from dlweek8.instructor import k8s
from dlweek8.instructor.grading import listing as listings
from dlweek8.instructor.grading import runner

from helpers.editions import EDITIONS, filled, with_cell
from helpers.pods import Image, run_pod
from helpers.submissions import rows_by_submission, total_points

ROOT = Path(__file__).resolve().parents[1]
CONV = next(e for e in EDITIONS if "conv" in e.name)
OFF = os.environ.get("DLWEEK8_TEST_KERNEL_OFF", "")
MARKER = "K8S-KERNEL-LINGERER-41c9"  # on the command line of the process Mallory leaves running
ALICE, MALLORY, BROKEN = f"a_alice/{CONV.name}", f"b_mallory/{CONV.name}", f"c_broken/{CONV.name}"

pytestmark = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and subprocess.run(["bwrap", "--ro-bind", "/", "/", "true"], capture_output=True).returncode == 0),
    reason="running the pod's containers here needs bubblewrap")

#: Mallory's last cell. Reports {"instructor": places it read the instructor package from, "written": places it wrote}.
HOSTILE = '''
import glob, json, os, resource, subprocess, sys
ROOT, VOLUME, SUBMISSIONS, ANSWERS = {root!r}, {volume!r}, {submissions!r}, {answers!r}
seen = {{"instructor": [], "written": [], "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0], "log": []}}
for fd in ("1", "2"):
    try:
        seen["log"].append(os.readlink("/proc/1/fd/" + fd))
    except OSError as exc:
        seen["log"].append(type(exc).__name__)
try:
    import dlweek8.instructor.solutions
    seen["instructor"].append("import")
except Exception:
    pass
places = [ROOT, *(p for entry in sys.path for p in (entry, os.path.dirname(entry)))]
for pid in (p for p in os.listdir("/proc") if p.isdigit()):
    places += [f"/proc/{{pid}}/root{{ROOT}}", f"/proc/{{pid}}/cwd"]
for place in dict.fromkeys(places):
    if os.path.isfile(os.path.join(place, "dlweek8", "instructor", "solutions.py")):
        seen["instructor"].append(place)
        sys.path.insert(0, place)
        for name in [m for m in sys.modules if m == "dlweek8" or m.startswith("dlweek8.")]:
            if not name.endswith("confined"):
                del sys.modules[name]
        try:
            from dlweek8.instructor.solutions import solution
            for qid, name in ANSWERS.items():
                globals()[name] = solution(qid).answer
        except Exception as exc:
            seen["instructor"].append(type(exc).__name__)
        break
FORGED = json.dumps({{"submission": "b_mallory", "forged": "FORGED", "questions": {{}}}}) + "\\n"
targets = ["/results/results.jsonl", "/results/planted.txt", "/listing/listing.json", f"{{VOLUME}}/shard-0/results.jsonl",
           f"{{VOLUME}}/shard-1/planted.txt", ROOT + "/dlweek8/instructor/planted.py"]
targets += glob.glob("/submissions/*/*.ipynb") + glob.glob(SUBMISSIONS + "/*/*.ipynb")
for target in targets:
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(FORGED)
        seen["written"].append(target)
    except OSError:
        pass
LINGER = f"""
import time
while True:
    for target in {{targets!r}}:
        try:
            with open(target, "a") as handle:
                handle.write({{FORGED!r}})
        except OSError:
            pass
    time.sleep(0.2)
"""
subprocess.Popen([sys.executable, "-c", LINGER, {marker!r}], start_new_session=True, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
raise RuntimeError("seen " + json.dumps(seen))
'''


#: A cell that ends its process: the grader skips it and runs the notebook again in a fresh one, a second request on the socket.
ENDS_ITS_PROCESS = "import os\nos._exit(3)"


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def alive_with(marker: str) -> list[str]:
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path("/proc", entry, "cmdline").read_bytes() and int(entry) != os.getpid():
                found.append(entry)
        except OSError:
            continue
    return found


def student_image(binder_build) -> Image:
    """The Binder install of the published build: its python, its venv (dlweek8 without ``instructor``), and the course's
    dependencies (this venv's site-packages, which its ``.pth`` names; without the editable hook that would find the project)."""
    folders = (sys.base_prefix, sys.prefix, str(binder_build.venv)) + ((str(ROOT),) if OFF == "instructor" else ())
    return Image(binder_build.python, folders)


class Pods:
    """What the two pods did, and what a sandboxed ``grade`` of Alice's notebook alone wrote."""

    def __init__(self, folder: Path, volume: Path, ran: dict, alone: Path, before: dict, listing_before: dict, lingering: list[str]):
        self.folder, self.volume, self.ran, self.alone = folder, volume, ran, alone
        self.before, self.listing_before, self.lingering = before, listing_before, lingering

    def rows(self, index: int) -> dict:
        return rows_by_submission(self.volume / f"shard-{index}")

    def seen(self) -> dict:
        (row,) = self.rows(1).values()
        (found,) = [json.loads(n.split(" raised RuntimeError: seen ", 1)[1]) for n in row["notes"] if " raised RuntimeError: seen " in n]
        return found


@pytest.fixture(scope="module")
def pods(binder_build, tmp_path_factory) -> Pods:
    base = tmp_path_factory.mktemp("k8s-containers")
    folder, volume, listing_folder = base / "submissions", base / "volume", base / "listing"
    hostile = with_cell(CONV.student, HOSTILE.format(root=str(ROOT), volume=str(volume), submissions=str(folder), answers=CONV.answers,
                                                     marker=MARKER), at=len(CONV.student.cells))
    hostile = with_cell(hostile, ENDS_ITS_PROCESS, at=len(hostile.cells) - 1)  # just before the hostile cell
    for name, nb in ((ALICE, filled(CONV)), (MALLORY, hostile)):
        (folder / name).parent.mkdir(parents=True)
        nbformat.write(nb, folder / name)
    (folder / BROKEN).parent.mkdir(parents=True)
    (folder / BROKEN).write_text("{ not a notebook", encoding="utf-8")  # nothing to run: the grader lets the kernel go
    listing = listings.of_batch(listings.names_in(folder))
    listing_folder.mkdir()
    (listing_folder / k8s.LISTING_FILE).write_text(listing.to_json(), encoding="utf-8")
    (_, job, _) = k8s.manifests(name="t", image="grader", kernel_image="student", submissions_pvc="s", results_pvc="r", listing=listing,
                                assignment=str(ROOT / "notebooks" / CONV.name), extra_args=["--notes-numbers", "--cell-timeout", "20"])
    pod = job["spec"]["template"]["spec"]
    volume.mkdir()
    before, listing_before = digests(folder), digests(listing_folder)
    kernel_image = student_image(binder_build)
    ran: dict[int, dict] = {}

    def run(index: int) -> None:
        channel = base / f"channel-{index}"
        channel.mkdir()
        volumes = {"submissions": folder, "results": volume, "listing": listing_folder, "channel": channel}
        if OFF == "results":  # the protection off: the pod's results folder in the kernel container too
            pod_off = json.loads(json.dumps(pod))
            pod_off["containers"][0]["volumeMounts"].append({"name": "results", "mountPath": "/results", "subPathExpr": k8s.INDEX_FOLDER})
            pod_off["containers"][0]["env"].append(k8s.INDEX_ENV)
            ran[index] = run_pod(pod_off, index, volumes, {"kernel": kernel_image}, timeout=300)
        else:
            ran[index] = run_pod(pod, index, volumes, {"kernel": kernel_image}, timeout=300, own_pids={"kernel": OFF != "pids"})

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1, 2)]
    for thread in threads:
        thread.start()
    alone = base / "alone"
    (alone / "submissions" / ALICE).parent.mkdir(parents=True)
    nbformat.write(filled(CONV), alone / "submissions" / ALICE)
    for thread in threads:
        thread.join()
    lingering = alive_with(MARKER)
    for pid in lingering:  # only with the protection switched off
        os.kill(int(pid), 9)
    graded = subprocess.run([sys.executable, "-m", "dlweek8", "grade", str(alone / "submissions"), "--out", str(alone / "out"), "--notes-numbers",
                             "--cell-timeout", "20", "--assignment", str(ROOT / "notebooks" / CONV.name)], capture_output=True, text=True, cwd=ROOT,
                            timeout=600)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    return Pods(folder, volume, ran, alone / "out", before, listing_before, lingering)


def test_every_pod_ran_to_its_end(pods):
    """Every container of the three pods ended by itself with status 0: the kernel container as soon as the grader hung up,
    also where the grader had nothing to run (pod 2's file is not a notebook: it connects and hangs up at once)."""
    (row,) = pods.rows(2).values()
    assert row["submission"] == BROKEN and row["notes"][0].startswith("not graded"), row
    for index in (0, 1, 2):
        assert {name: r.returncode for name, r in pods.ran[index].items()} == {"results-folder": 0, "kernel": 0, "grader": 0}, \
            {name: r.output[-3000:] for name, r in pods.ran[index].items()}


def test_an_honest_submission_gets_in_its_pod_exactly_what_grade_gives_it_sandboxed(pods):
    (row,) = pods.rows(0).values()
    (alone,) = rows_by_submission(pods.alone).values()
    assert row["submission"] == ALICE and row["questions"] == alone["questions"] and row["notes"] == alone["notes"]
    assert total_points(row) == total_points(alone) == len(CONV.answers), "Alice's solved notebook: full marks"
    run = json.loads((pods.volume / "shard-0" / "run.json").read_text(encoding="utf-8"))
    assert run["memory"]["bound"].startswith("the kernel container's memory limit"), run["memory"]


def test_a_cell_that_ends_its_process_is_skipped_and_the_notebook_run_again_in_the_kernel_container(pods):
    """The restart after a cell that ended (or timed out) is one more request on the same socket: Mallory's ``os._exit``
    cell is skipped, and her later cells ran in the fresh process (her last cell's note is there)."""
    (row,) = pods.rows(1).values()
    skipped = [n for n in row["notes"] if n.endswith("skipped: it ended the submission's process (os._exit, exit() or a crash); the notebook was re-run without it")]
    assert len(skipped) == 1, row["notes"]
    assert any(" raised RuntimeError: seen " in note for note in row["notes"]), "her last cell ran, in the fresh process"


def test_nothing_of_the_instructor_package_reaches_the_kernel_container(pods):
    """Protection: the kernel container runs the student image, which holds no ``dlweek8/instructor``, and mounts nothing
    of the grader's container (the two share only /channel). Mallory, who answers with the solutions wherever she can
    import or find them (by the grader image's path, every ``sys.path`` entry and its folder, every process's root and
    working folder in /proc), finds nothing and keeps the blank notebook's 0. (Seen to fail with
    ``DLWEEK8_TEST_KERNEL_OFF=instructor``: she found the package at the project's path and scored 12 of 13.)"""
    seen = pods.seen()
    assert seen["instructor"] == []
    (row,) = pods.rows(1).values()
    assert row["submission"] == MALLORY and total_points(row) == 0, row["questions"]


def test_the_kernel_container_writes_nothing_the_grader_reads_or_writes(pods):
    """Protection: the kernel container mounts no submissions, no results, no listing, and not the grader's image.
    Mallory and the process she leaves running write none of them: her pod's results folder holds exactly the files
    the grader writes (those Alice's pod wrote), with no forged line; the submissions and the listing are unchanged.
    (Seen to fail with ``DLWEEK8_TEST_KERNEL_OFF=results``: she wrote /results/results.jsonl, which the grader
    wrote again at its end, and planted /results/planted.txt, which stayed, with her process's lines in it.)"""
    assert pods.seen()["written"] == []
    files = {name.replace("b_mallory", "a_alice") for name in digests(pods.volume / "shard-1")}
    assert files == set(digests(pods.volume / "shard-0")), "only the grader's own files"
    for path in pods.volume.rglob("*"):
        assert not path.is_file() or b"FORGED" not in path.read_bytes(), path
    assert [row["submission"] for row in pods.rows(1).values()] == [MALLORY]
    assert digests(pods.folder) == pods.before and digests(pods.folder.parent / "listing") == pods.listing_before
    assert not (ROOT / "dlweek8" / "instructor" / "planted.py").exists()


def test_nothing_a_submission_starts_outlives_its_pod(pods):
    """Protection: the kernel command is PID 1 of its container's own PID namespace (the pod does not share one) and ends
    as soon as the grader hangs up, without waiting for the processes a submission left; its end ends them all. Mallory's
    detached process (a new session, reparented to PID 1) is gone once the pod has ended. (Seen to fail with
    ``DLWEEK8_TEST_KERNEL_OFF=pids``: the process was still running, writing; and, with ``serve`` waiting for its
    orphans in this mode too, the kernel container never ended.)"""
    assert pods.lingering == []
    assert pods.ran[1]["kernel"].returncode == 0


def test_no_submission_reaches_its_container_s_log(pods):
    """Protection: once the grader is connected, the kernel's PID 1 has stdout and stderr on /dev/null, so a submission
    cannot write the container's log (through /proc/1/fd, which it can open: same user) and fill the node's disk with
    it, for which kubelet would evict the pod. (Seen to fail without: Mallory found a pipe there.)"""
    assert pods.seen()["log"] == ["/dev/null", "/dev/null"]


def test_the_kernel_container_sets_no_node_wide_process_limit(pods):
    """RLIMIT_NPROC counts the processes of the container's user on the whole node (every pod's, the graders' threads
    included): set in the kernel container it would fail an honest notebook's fork on a busy node. The pod's pids limit
    bounds them instead; the kernel leaves the limit as the container has it (here: as this machine has it). (Seen to fail
    with the kernel passing the grader's limit on: 256.)"""
    assert pods.seen()["nproc"] == resource.getrlimit(resource.RLIMIT_NPROC)[0]
    assert pods.seen()["nproc"] != runner.Limits().processes
