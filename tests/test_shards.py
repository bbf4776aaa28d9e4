"""Shards and merge: ``grade --shard I/N`` / ``--shards N`` grade slices of the sorted batch, and
``merge`` assembles them into exactly what one run of the whole batch writes.

The end-to-end test runs the real CLI in separate processes, as Kubernetes pods would (each with
``JOB_COMPLETION_INDEX`` set), on real submissions built from the student edition.
"""

from __future__ import annotations

import ast
import builtins
import csv
import hashlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dlweek8 import __main__ as cli
from dlweek8 import checks, kernel_side
from dlweek8.instructor import k8s
from dlweek8.instructor.grading import gradebook, judge, outputs, report, shards
from dlweek8.instructor.grading import listing as listings
from dlweek8.instructor.solutions import solution

from helpers.editions import EDITIONS, filled, with_cell
from helpers.pods import MASKED_STUDENT, mapped_pod, run_pod

ROOT = Path(__file__).resolve().parents[1]
IDS = ["conv.size_78x84", "conv.params_7x7"]


# -- choosing a shard ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, parsed", [("0/3", (0, 3)), ("2/3", (2, 3)), (" 0 / 1 ", (0, 1))])
def test_a_shard_is_I_of_N_numbered_from_0(text, parsed):
    assert shards.parse_shard(text) == parsed


@pytest.mark.parametrize("text", ["3/3", "1/0", "-1/3", "1", "a/b", "", "1/3/4"])
def test_a_bad_shard_is_refused_in_one_line(text):
    with pytest.raises(shards.ShardError) as info:
        shards.parse_shard(text)
    assert "\n" not in str(info.value)


def test_the_index_comes_from_JOB_COMPLETION_INDEX():
    assert shards.index_from_environment(4, {"JOB_COMPLETION_INDEX": "3"}) == (3, 4)
    for env in ({}, {"JOB_COMPLETION_INDEX": "4"}, {"JOB_COMPLETION_INDEX": "x"}):
        with pytest.raises(shards.ShardError, match="JOB_COMPLETION_INDEX|outside"):
            shards.index_from_environment(4, env)


@pytest.mark.parametrize("size", [0, 1, 2, 5, 12, 13])
@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_the_shards_cut_the_sorted_batch_into_balanced_disjoint_slices(size, count):
    names = [f"s{(i * 7) % 13:02d}/{i}.ipynb" for i in range(size)]
    slices = [shards.select(names, i, count) for i in range(count)]
    assert [n for chosen, _ in slices for n in chosen] == sorted(names)
    lengths = [len(chosen) for chosen, _ in slices]
    assert max(lengths) - min(lengths) <= 1
    assert len({shard.batch_digest for _, shard in slices}) == 1 and all(s.batch_size == size for _, s in slices)


# -- merging, without kernels -----------------------------------------------------------------------


def make_rows(n: int) -> list[report.Row]:
    rows = []
    for i in range(n):
        r = report.Row(f"student{i:02d}/nb.ipynb", notes=["cell 1 raised ValueError: x"] if i % 4 == 1 else [])
        for j, qid in enumerate(IDS):
            q = checks.get(qid)
            r.feedback[qid] = q.correct("Correct.") if (i + j) % 3 else q.wrong("Off by one.", mistake="off-by-one")
            r.answers[qid] = str(i + j)
        rows.append(r)
    return rows


def write_shards(tmp_path: Path, rows, count: int, roster=None) -> list[Path]:
    by_name = {r.submission: r for r in rows}
    folders = []
    for index in range(count):
        chosen, shard = shards.select(list(by_name), index, count)
        folder = tmp_path / f"shard-{index}"
        outputs.write_all(folder, IDS, [by_name[n] for n in chosen], "solutions/x.ipynb", roster=roster, shard=shard.to_json())
        folders.append(folder)
    return folders


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, with report.html's generation time blanked."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.name == "report.html":
                data = re.sub(rb"Generated [^<]*\.", b"Generated (time).", data)
            found[path.relative_to(folder).as_posix()] = data
    return found


def test_a_merge_writes_what_one_run_writes(tmp_path):
    rows = make_rows(11)
    roster = gradebook.parse_roster("submission,student_id\n" + "".join(f"student{i:02d},S{i}\n" for i in range(0, 12, 2)))
    outputs.write_all(tmp_path / "one", IDS, rows, "solutions/x.ipynb", roster=roster)
    parts = write_shards(tmp_path, rows, 3, roster)
    assert cli.main(["merge", *map(str, reversed(parts)), "--out", str(tmp_path / "merged")]) == 0
    one, merged = files_of(tmp_path / "one"), files_of(tmp_path / "merged")
    assert sorted(one) == sorted(merged) and "canvas.csv" in one and "feedback/student00__nb.html" in one
    assert {k for k in one if one[k] != merged[k]} == set()


@pytest.fixture()
def parts(tmp_path) -> list[Path]:
    return write_shards(tmp_path, make_rows(9), 3)


def refused(capsys, *argv) -> str:
    assert cli.main(["merge", *map(str, argv)]) == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return out


def test_a_missing_shard_is_refused(parts, tmp_path, capsys):
    out = refused(capsys, parts[0], parts[2], "--out", tmp_path / "m")
    assert out == "merge: refusing to merge: missing shard 1 of 0 to 2\n"
    assert not (tmp_path / "m").exists()


def test_a_duplicated_shard_is_refused(parts, tmp_path, capsys):
    out = refused(capsys, parts[0], parts[1], parts[1], parts[2], "--out", tmp_path / "m")
    assert out.startswith("merge: refusing to merge: shard 1 given 2 times")


def test_shards_of_another_batch_are_refused(parts, tmp_path, capsys):
    other = write_shards(tmp_path / "other", make_rows(10), 3)
    out = refused(capsys, parts[0], other[1], parts[2], "--out", tmp_path / "m")
    assert "shards of different runs (their batch of submissions differ)" in out


def test_an_incomplete_shard_is_refused(parts, tmp_path, capsys):
    results = parts[1] / "results.jsonl"
    results.write_text("".join(results.read_text().splitlines(keepends=True)[:-1]))
    assert "is incomplete (1 of its submissions have no row" in refused(capsys, *parts, "--out", tmp_path / "m")


def test_a_whole_run_is_not_a_shard(tmp_path, capsys):
    outputs.write_all(tmp_path / "whole", IDS, make_rows(2), "solutions/x.ipynb")
    assert "was graded as a whole batch, not as a shard" in refused(capsys, tmp_path / "whole", "--out", tmp_path / "m")
    assert "is not a graded shard (no run.json)" in refused(capsys, tmp_path, "--out", tmp_path / "m")


# -- merging what the pods of a k8s-job wrote, against its listing ---------------------------------------


def write_pod_folders(tmp_path: Path, rows) -> tuple[list[Path], Path]:
    """The shard-I folders of a one-submission-per-pod Job, and its listing."""
    listing = listings.of_batch([r.submission for r in rows])
    by_name = {r.submission: r for r in rows}
    folders = []
    for index, entry in enumerate(listing.entries):
        folder = tmp_path / "results" / f"shard-{index}"
        outputs.write_all(folder, IDS, [by_name[n] for n in entry], "solutions/x.ipynb", shard=listing.shard(index).to_json())
        folders.append(folder)
    (tmp_path / "listing.json").write_text(listing.to_json(), encoding="utf-8")
    return folders, tmp_path / "listing.json"


def grades_of(folder: Path) -> dict[str, list[str]]:
    with open(folder / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row[0]: row[1:] for row in list(csv.reader(handle))[1:]}


def test_a_merge_of_the_pods_folders_with_their_listing_writes_what_one_run_writes(tmp_path):
    rows = make_rows(5)
    outputs.write_all(tmp_path / "one", IDS, rows, "solutions/x.ipynb")
    folders, listing = write_pod_folders(tmp_path, rows)
    assert cli.main(["merge", *map(str, folders), "--listing", str(listing), "--out", str(tmp_path / "merged")]) == 0
    one, merged = files_of(tmp_path / "one"), files_of(tmp_path / "merged")
    assert sorted(one) == sorted(merged) and {k for k in one if one[k] != merged[k]} == set()


def forge(folder: Path, row: report.Row, keep_own: bool = True) -> None:
    """What a hostile submission can do in its own results folder: add (or put only) a row naming someone else."""
    results = folder / "results.jsonl"
    own = results.read_text(encoding="utf-8") if keep_own else ""
    results.write_text(own + json.dumps(row.to_json()) + "\n", encoding="utf-8")


def test_a_forged_row_for_a_classmate_in_another_shard_is_refused_and_changes_no_grade(tmp_path, capsys):
    """Protection: merge --listing checks every row of shard I against the listing's entry I."""
    rows = make_rows(4)
    folders, listing = write_pod_folders(tmp_path, rows)
    assert cli.main(["merge", *map(str, folders), "--listing", str(listing), "--out", str(tmp_path / "honest")]) == 0
    capsys.readouterr()
    victim = report.Row(rows[0].submission, notes=["forged"])  # shard 0's student, no points
    for qid in IDS:
        victim.feedback[qid] = checks.get(qid).wrong("Forged.", mistake="off-by-one")
    forge(folders[1], victim)
    assert cli.main(["merge", *map(str, folders), "--listing", str(listing), "--out", str(tmp_path / "merged")]) == 1
    out = capsys.readouterr().out.splitlines()
    refusal = [line for line in out if line.startswith("merge: ")]
    assert refusal == [f"merge: refused shard 1 ({folders[1]}): its rows name '{rows[0].submission}', which the listing assigns to shard 0; "
                       "its 1 submission(s) are marked not graded"]
    honest, merged = grades_of(tmp_path / "honest"), grades_of(tmp_path / "merged")
    assert merged[rows[0].submission] == honest[rows[0].submission], "the classmate's grade is unchanged"
    assert all(merged[r.submission] == honest[r.submission] for r in rows if r.submission != rows[1].submission)
    forger = [r for r in report.read_results(tmp_path / "merged" / "results.jsonl") if r.submission == rows[1].submission][0]
    assert not forger.feedback and forger.notes[0].startswith("not graded: the results of shard 1 were refused (its rows name")
    # without the listing the merge cannot tell whose shard the row was in: refused as a whole (two rows for one name)
    assert cli.main(["merge", *map(str, folders), "--out", str(tmp_path / "unlisted")]) == 1
    assert not (tmp_path / "unlisted").exists()


@pytest.mark.parametrize("spoil, reason", [
    (lambda f, rows: forge(f, report.Row("nobody/else.ipynb")), "its rows name 'nobody/else.ipynb', which is not in the listing"),
    (lambda f, rows: forge(f, rows[1]), "it holds two rows for one submission"),
    (lambda f, rows: (f / "results.jsonl").write_text(""), "it is incomplete (1 of its submissions have no row"),
    (lambda f, rows: ((f / "results.jsonl").unlink(), (f / "results.jsonl").symlink_to(f.parent / "shard-0" / "results.jsonl")),
     "its results.jsonl is missing or not a regular file"),
    (lambda f, rows: (f / "run.json").write_text("[1, 2]"), "cannot read its run.json"),
    (lambda f, rows: (f / "run.json").write_text((f / "run.json").read_text().replace('"index": 1', '"index": 0')),
     "its run.json claims shard 0 of 4 of another listing or index"),
    (lambda f, rows: (f / "run.json").write_text((f / "run.json").read_text().replace('"assignment": "solutions/x.ipynb"', '"assignment": "other.ipynb"')),
     "it was graded with another assignment, questions, roster or notices than most shards"),
])
def test_whatever_a_pod_writes_in_its_folder_refuses_that_folder_alone(tmp_path, capsys, spoil, reason):
    rows = make_rows(4)
    folders, listing = write_pod_folders(tmp_path, rows)
    assert cli.main(["merge", *map(str, folders), "--listing", str(listing), "--out", str(tmp_path / "honest")]) == 0
    spoil(folders[1], rows)
    capsys.readouterr()
    assert cli.main(["merge", *map(str, folders), "--listing", str(listing), "--out", str(tmp_path / "merged")]) == 1
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("merge: ")]
    assert line.startswith(f"merge: refused shard 1 ({folders[1]}): {reason}")
    honest, merged = grades_of(tmp_path / "honest"), grades_of(tmp_path / "merged")
    assert {n: g for n, g in merged.items() if n != rows[1].submission} == {n: g for n, g in honest.items() if n != rows[1].submission}


def test_with_a_listing_the_folders_must_be_the_jobs_and_all_there(tmp_path, capsys):
    rows = make_rows(3)
    folders, listing = write_pod_folders(tmp_path, rows)
    out = refused(capsys, folders[0], folders[2], "--listing", listing, "--out", tmp_path / "m")
    assert out == "merge: refusing to merge: missing shard 1 of 0 to 2\n"
    shutil.copytree(folders[1], tmp_path / "elsewhere")
    out = refused(capsys, folders[0], tmp_path / "elsewhere", folders[2], "--listing", listing, "--out", tmp_path / "m")
    assert out == f"merge: with --listing, give the shard-I folders the Job wrote, not {tmp_path / 'elsewhere'}\n"
    assert refused(capsys, *folders, "--listing", tmp_path / "nothing.json", "--out", tmp_path / "m").startswith("merge: cannot read the listing")


# -- end to end: separate processes, as the pods run them ---------------------------------------------

CONV = next(e for e in EDITIONS if "conv" in e.name)
#: Submissions drawn from the catalogues (plus a blank one with a formula for a name, and an unreadable one).
#: Kept small for the suite (each is graded twice); DLWEEK8_E2E_CLASS=21 runs the issue's class of 20+.
CLASS = int(os.environ.get("DLWEEK8_E2E_CLASS", "6"))


def written_out(answer, name: str) -> str | None:
    """Python source that binds ``name`` to a catalogue answer, or None when it cannot be written out."""
    if callable(answer):
        if not inspect.isfunction(answer) or answer.__name__ == "<lambda>" or set(answer.__code__.co_names) - set(dir(builtins)):
            return None  # a lambda, or it needs names of the references module
        source = textwrap.dedent(inspect.getsource(answer))
        return re.sub(r"^def \w+\(", f"def {name}(", source, count=1)
    text = repr(answer)
    try:
        return f"{name} = {text}" if ast.literal_eval(text) == answer else None
    except (ValueError, SyntaxError):
        return None


@dataclass
class Drawn:
    files: dict[str, bytes]
    mistakes: Counter  # (qid, mistake) -> count
    unnamed: Counter  # qid -> count
    right: Counter  # qid -> count


def verdict_here(qid: str, name: str, source: str):
    """The verdict on a catalogue answer's written-out source, run and judged in this process against the notes'
    numbers: no notebook, kernel, sandbox, shard or report in between."""
    is_function = judge.is_function_question(qid)
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 - the catalogue's own answers
    reply = kernel_side.reply(qid, name, is_function, namespace, judge.graded_probes(qid) if is_function else None)
    return judge.verdict(qid, json.loads(json.dumps(reply)))


def drawn_class(seed: int = 11) -> Drawn:
    """CLASS submissions from the student edition; each answer right, a named wrong one or an unnamed wrong one.
    What each drawn wrong answer should count as (the first mistake name it fits, or unnamed) is its verdict
    judged here (:func:`verdict_here`), independently of the run under test."""
    rng = np.random.default_rng(seed)
    options = {}
    for qid, name in CONV.answers.items():
        found = solution(qid)
        named = [(src, verdict_here(qid, name, src)) for _, w in sorted(found.wrong.items()) if (src := written_out(w, name))]
        for (mistake, w) in sorted(found.wrong.items()):
            if src := written_out(w, name):
                assert mistake in verdict_here(qid, name, src).mistakes, (qid, mistake)  # each catalogue answer fits its own name
        unnamed = [(src, verdict_here(qid, name, src)) for w in found.unnamed if (src := written_out(w, name))]
        options[qid] = (named, unnamed)
    drawn = Drawn({}, Counter(), Counter(), Counter())
    for n in range(CLASS):
        nb = filled(CONV)
        for qid, (named, unnamed) in options.items():
            pick = rng.random()
            if pick < 0.5 and named:
                source, expected = named[rng.integers(len(named))]
            elif pick < 0.65 and unnamed:
                source, expected = unnamed[rng.integers(len(unnamed))]
            else:
                drawn.right[qid] += 1
                continue
            drawn.right[qid] += expected.passed
            drawn.unnamed[qid] += expected.status == "incorrect" and not expected.mistake
            if not expected.passed:
                for name in expected.mistakes or ((expected.mistake,) if expected.mistake else ()):
                    drawn.mistakes[qid, name] += 1  # the report counts an answer under every name it fits
            check = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and f'dlweek8.check("{qid}"' in c.source)
            nb = with_cell(nb, source, at=check)  # just before the check cell that names it
        drawn.files[f"s{n:02d}/{CONV.name}"] = nbformat.writes(nb).encode()
    drawn.files["=cmd|calc.ipynb"] = nbformat.writes(CONV.student).encode()
    drawn.files["zz/malformed.ipynb"] = nbformat.writes(filled(CONV)).encode()[:500]
    return drawn


def grade_command(folder: Path, out: Path, *extra: str) -> list[str]:
    """The whole batch in one run, sandboxed as the pods of ``k8s-job --pod-sandbox`` grade their shards."""
    return [sys.executable, "-m", "dlweek8", "grade", str(folder), "--out", str(out), "--assignment", str(ROOT / "notebooks" / CONV.name),
            "--roster", str(folder.parent / "roster.csv"), "--notes-numbers", *extra]


def job_for(folder: Path, listing_file: Path, **options) -> dict:
    """The Job ``k8s-job`` makes for the submissions in ``folder`` (its listing written to ``listing_file``)."""
    listing = listings.of_batch(listings.names_in(folder), options.pop("shards", None))
    listing_file.parent.mkdir(parents=True, exist_ok=True)
    listing_file.write_text(listing.to_json(), encoding="utf-8")
    if not options.get("pod_sandbox"):
        options["kernel_image"] = "student"
    (_, job, _) = k8s.manifests(name="t", image="i", submissions_pvc="s", results_pvc="r", listing=listing, assignment=str(ROOT / "notebooks" / CONV.name),
                                **options)
    return job


def test_shards_run_as_pods_and_merged_equal_one_run(tmp_path):
    """Also the end-to-end run of the class report through real kernels (CLASS + 2 submissions)."""
    folder = tmp_path / "submissions"
    drawn = drawn_class()
    for name, data in drawn.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    roster = "submission,student_id,name\n" + "".join(f"s{n:02d},S{n},Student {n}\n" for n in range(CLASS - 1)) + "zed,S99,Zed\n"
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "JOB_COMPLETION_INDEX"}
    # The one run first, then the three pods at once: all four at once put five kernels on the machine, and a
    # function answer near its time limit could then be judged differently by the two sides.
    single = subprocess.run(grade_command(folder, tmp_path / "one", "--jobs", "2"), capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert single.returncode == 0, single.stdout + single.stderr
    # the pods of k8s-job --pod-sandbox --shards 3 (bubblewrap inside each), their mounts mapped to folders here
    job = job_for(folder, tmp_path / "listing" / k8s.LISTING_FILE, shards=3, pod_sandbox=True, jobs_per_pod=1,
                  extra_args=["--roster", str(tmp_path / "roster.csv"), "--notes-numbers"])
    pod = job["spec"]["template"]["spec"]
    volumes = {"submissions": folder, "results": tmp_path / "volume", "listing": tmp_path / "listing"}
    pods = []
    for i in range(3):
        for container in (*pod["initContainers"], *pod["containers"]):
            args, pod_environment, cwd = mapped_pod(pod, container, i, volumes, tmp_path / "scratch")
            process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd, env={**env, **pod_environment})
            if container in pod["initContainers"]:
                assert process.wait(timeout=60) == 0
        pods.append(process)
    outputs = [p.communicate(timeout=900)[0] for p in pods]
    assert [p.returncode for p in pods] == [0, 0, 0], outputs
    assert all("roster:" not in o for o in outputs), "a shard leaves the roster to the merge"
    assert not (tmp_path / "volume" / "shard-0" / "canvas.csv").exists()
    merged = subprocess.run([sys.executable, "-m", "dlweek8", "merge", *(str(tmp_path / "volume" / f"shard-{i}") for i in (2, 0, 1)),
                             "--listing", str(tmp_path / "listing" / k8s.LISTING_FILE), "--out", str(tmp_path / "merged")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    # the mismatches on the terminal of both: s20, the formula and the unreadable file have no entry; zed no submission
    for printed in (single.stdout, merged.stdout):
        assert "3 submission(s) with no roster entry" in printed and "Zed (S99)" in printed
    one, assembled = files_of(tmp_path / "one"), files_of(tmp_path / "merged")
    assert sorted(one) == sorted(assembled) and len([k for k in one if k.endswith(".html")]) == CLASS + 2 + 1
    differ = [k for k in one if one[k] != assembled[k]]
    assert differ == [], [(k, one[k][:400], assembled[k][:400]) for k in differ if k.endswith((".csv", ".jsonl"))][:2]
    # the class report of the real run equals what was drawn
    with open(tmp_path / "one" / "misconceptions.csv", newline="", encoding="utf-8") as handle:
        counted = {(r["question"], r["mistake"]): int(r["count"]) for r in csv.DictReader(handle)}
    rows = {r.submission: r for r in report.read_results(tmp_path / "one" / "results.jsonl")}
    # the report counts each drawn wrong answer under every name it fits, as judged here (verdict_here)
    assert sum(drawn.mistakes.values()) > 0
    assert counted == dict(drawn.mistakes)
    assert sorted(rows) == sorted(drawn.files)
    for qid in CONV.answers:
        graded = [rows[f"s{n:02d}/{CONV.name}"].feedback[qid] for n in range(CLASS)]
        assert sum(f.passed for f in graded) == drawn.right[qid], qid
        assert sum(f.status == "incorrect" and not f.mistake for f in graded) == drawn.unnamed[qid], qid
    assert rows["zz/malformed.ipynb"].notes[0].startswith("not graded")
    assert all(rows[f"s{n:02d}/{CONV.name}"].answers for n in range(CLASS)), "the record holds the printed answers"
    assert "\n'=cmd|calc.ipynb," in (tmp_path / "one" / "grades.csv").read_text(encoding="utf-8").replace("\r\n", "\n")


#: A submission that, graded in pod 0, tries to reach pod 1's results (by every path a pod could have to them) and the
#: classmates' submissions; it notes in its own results folder which foreign results it could read or write.
HOSTILE = '''
import glob, json, os
forged, volume, submissions = {forged!r}, {volume!r}, {submissions!r}
folders = {{"/results/shard-1", "/results/../shard-1", "/results-volume/shard-1", volume + "/shard-1"}}
for pattern in ("/results/*/results.jsonl", "/results/../*/results.jsonl", "/results-volume/*/results.jsonl", volume + "/*/results.jsonl"):
    folders |= {{os.path.dirname(p) for p in glob.glob(pattern)}}
seen = {{"read": [], "written": []}}
for folder in sorted(folders):
    try:
        with open(os.path.join(folder, "results.jsonl"), encoding="utf-8") as handle:
            if "b_alice" in handle.read():
                seen["read"].append(folder)
    except OSError:
        pass
for folder in sorted(folders):
    try:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "results.jsonl"), "w", encoding="utf-8") as handle:
            handle.write(forged)
        seen["written"].append(folder)
    except OSError:
        pass
for path in glob.glob("/submissions/*/*.ipynb") + glob.glob(submissions + "/*/*.ipynb"):
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(" ")
        seen["written"].append(path)
    except OSError:
        pass
raise RuntimeError("seen " + json.dumps(seen))
'''


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="simulating the pod's mounts needs bubblewrap")
def test_a_hostile_pod_cannot_write_another_index_s_results(tmp_path):
    """Protection: the per-index ``subPathExpr`` of the results mount (each pod sees only ``shard-<its index>``), with the
    submissions volume read-only. The pods of ``k8s-job`` (one submission each: a kernel container, here the package with
    its instructor part hidden, beside the grader's) run here, each container under bubblewrap with exactly the mounts
    the manifest declares. Pod 1 grades Alice; then pod 0 grades Mallory, whose notebook tries to overwrite pod 1's
    results with a row giving Alice no points. Alice's merged grade must be the one her own pod wrote. (Seen to fail, when
    the submission ran in the grader's container, with the whole results volume mounted at /results and
    ``--out /results/shard-$(JOB_COMPLETION_INDEX)``, the Job as it was before: Mallory rewrote Alice's row. That the
    kernel container mounts no results at all is tested by ``tests/test_k8s_containers.py``.)"""
    folder, volume = tmp_path / "submissions", tmp_path / "volume"
    solved = filled(CONV)
    alice = f"b_alice/{CONV.name}"
    forged = json.dumps(report.Row(alice, notes=["forged by a classmate"]).to_json()) + "\n"
    hostile = with_cell(solved, HOSTILE.format(forged=forged, volume=str(volume), submissions=str(folder)))
    for name, nb in ((f"a_mallory/{CONV.name}", hostile), (alice, solved)):
        (folder / name).parent.mkdir(parents=True)
        nbformat.write(nb, folder / name)
    # The solved notebook answers the notes' numbers: grade this term without variants.
    job = job_for(folder, tmp_path / "listing" / k8s.LISTING_FILE, extra_args=["--notes-numbers"])
    pod = job["spec"]["template"]["spec"]
    volumes = {"submissions": folder, "results": volume, "listing": tmp_path / "listing"}
    volume.mkdir()
    before = digests(folder)

    def run(index: int) -> None:
        channel = tmp_path / f"channel-{index}"
        channel.mkdir()
        ran = run_pod(pod, index, {**volumes, "channel": channel}, {"kernel": MASKED_STUDENT})
        assert [r.returncode for r in ran.values()] == [0, 0, 0], {r.name: r.output[-2000:] for r in ran.values()}

    run(1)
    alices_own = digests(volume / "shard-1")
    (alices_row,) = report.read_results(volume / "shard-1" / report.RESULTS)
    assert alices_row.feedback and all(f.passed for f in alices_row.feedback.values()), "Alice's solved notebook gets full marks"
    run(0)
    (mallorys_row,) = report.read_results(volume / "shard-0" / report.RESULTS)
    (seen,) = [json.loads(note.split(" raised RuntimeError: seen ", 1)[1]) for note in mallorys_row.notes if " raised RuntimeError: seen " in note]
    assert digests(volume / "shard-1") == alices_own, f"pod 0 wrote pod 1's results: {seen['written']}"
    assert seen["read"] == [], "no pod sees another pod's results"
    assert digests(folder) == before, "the submissions are read-only"
    merged = subprocess.run([sys.executable, "-m", "dlweek8", "merge", str(volume / "shard-0"), str(volume / "shard-1"),
                             "--listing", str(tmp_path / "listing" / k8s.LISTING_FILE), "--out", str(tmp_path / "graded")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    rows = {r.submission: r for r in report.read_results(tmp_path / "graded" / report.RESULTS)}
    assert rows[alice].to_json() == alices_row.to_json()
