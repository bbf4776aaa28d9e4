"""Shards and merge: ``grade --shard I/N`` / ``--shards N`` grade slices of the sorted batch, and
``merge`` assembles them into exactly what one run of the whole batch writes.

The end-to-end test runs the real CLI in separate processes, as Kubernetes pods would (each with
``JOB_COMPLETION_INDEX`` set), on real submissions built from the student edition.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlweek8 import __main__ as cli
from dlweek8 import checks
from dlweek8.instructor import k8s
from dlweek8.instructor.grading import gradebook, merge, report

from test_grading import EDITIONS, filled, half_wrong, with_cell, wrong_definitions

ROOT = Path(__file__).resolve().parents[1]
IDS = ["conv.size_78x84", "conv.params_7x7"]


# -- choosing a shard ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, parsed", [("0/3", (0, 3)), ("2/3", (2, 3)), (" 0 / 1 ", (0, 1))])
def test_a_shard_is_I_of_N_numbered_from_0(text, parsed):
    assert merge.parse_shard(text) == parsed


@pytest.mark.parametrize("text", ["3/3", "1/0", "-1/3", "1", "a/b", "", "1/3/4"])
def test_a_bad_shard_is_refused_in_one_line(text):
    with pytest.raises(merge.ShardError) as info:
        merge.parse_shard(text)
    assert "\n" not in str(info.value)


def test_the_index_comes_from_JOB_COMPLETION_INDEX():
    assert merge.index_from_environment(4, {"JOB_COMPLETION_INDEX": "3"}) == (3, 4)
    for env in ({}, {"JOB_COMPLETION_INDEX": "4"}, {"JOB_COMPLETION_INDEX": "x"}):
        with pytest.raises(merge.ShardError, match="JOB_COMPLETION_INDEX|outside"):
            merge.index_from_environment(4, env)


@pytest.mark.parametrize("size", [0, 1, 2, 5, 12, 13])
@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_the_shards_cut_the_sorted_batch_into_balanced_disjoint_slices(size, count):
    names = [f"s{(i * 7) % 13:02d}/{i}.ipynb" for i in range(size)]
    slices = [merge.select(names, i, count) for i in range(count)]
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
        chosen, shard = merge.select(list(by_name), index, count)
        folder = tmp_path / f"shard-{index}"
        report.write_all(folder, IDS, [by_name[n] for n in chosen], "solutions/x.ipynb", roster=roster, shard=shard.to_json())
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
    report.write_all(tmp_path / "one", IDS, rows, "solutions/x.ipynb", roster=roster)
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
    report.write_all(tmp_path / "whole", IDS, make_rows(2), "solutions/x.ipynb")
    assert "was graded as a whole batch, not as a shard" in refused(capsys, tmp_path / "whole", "--out", tmp_path / "m")
    assert "is not a graded shard (no run.json)" in refused(capsys, tmp_path, "--out", tmp_path / "m")


# -- end to end: separate processes, as the pods run them ---------------------------------------------

CONV = next(e for e in EDITIONS if "conv" in e.name)


def submissions(folder: Path) -> None:
    full = filled(CONV)
    fn = CONV.answers["conv.output_size_fn"]
    made = {
        "alice/full.ipynb": full,
        "bob/half.ipynb": with_cell(full, wrong_definitions(CONV, half_wrong(CONV)), at=len(full.cells)),
        "carol/ceil.ipynb": with_cell(full, f"def {fn}(n, k, s=1, p=0, d=1):\n    return -(-(n + 2 * p - d * (k - 1)) // s)", at=len(full.cells)),
        "dave/crash.ipynb": with_cell(full, "raise RuntimeError('boom')"),
        "=cmd|calc.ipynb": CONV.student,
    }
    for name, nb in made.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(nbformat.writes(nb), encoding="utf-8")
    (folder / "erin").mkdir()
    (folder / "erin" / "malformed.ipynb").write_text(nbformat.writes(full)[:500], encoding="utf-8")


def grade_command(folder: Path, out: Path, *extra: str) -> list[str]:
    command = [sys.executable, "-m", "dlweek8", "grade", str(folder), "--out", str(out), "--assignment", str(ROOT / "notebooks" / CONV.name),
               "--roster", str(folder.parent / "roster.csv"), *extra]
    help_text = subprocess.run([sys.executable, "-m", "dlweek8", "grade", "--help"], capture_output=True, text=True, cwd=ROOT).stdout
    return command + (["--no-sandbox"] if "--no-sandbox" in help_text else [])


def pod_command(folder: Path, results: Path, index: int) -> list[str]:
    """The command of the Job's pod ``index`` (from the k8s-job manifest), with its volumes here."""
    (job, _) = k8s.manifests(name="t", image="i", submissions_pvc="s", results_pvc="r", shards=3, jobs_per_pod=1,
                             assignment=str(ROOT / "notebooks" / CONV.name), extra_args=["--roster", str(folder.parent / "roster.csv")])
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:3] == ["python", "-m", "dlweek8"]
    local = {k8s.SUBMISSIONS: str(folder), f"{k8s.RESULTS}/shard-$(JOB_COMPLETION_INDEX)": str(results / f"shard-{index}")}
    command = [sys.executable, *(local.get(a, a) for a in args[1:])]
    help_text = subprocess.run([sys.executable, "-m", "dlweek8", "grade", "--help"], capture_output=True, text=True, cwd=ROOT).stdout
    return command if "--no-sandbox" in help_text else [a for a in command if a != "--no-sandbox"]


def test_shards_run_as_pods_and_merged_equal_one_run(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    submissions(folder)
    (tmp_path / "roster.csv").write_text("submission,student_id,name\nalice,S1,Alice\nbob,S2,Bob\ncarol,S3,Carol\nzed,S9,Zed\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "JOB_COMPLETION_INDEX"}
    single = subprocess.run(grade_command(folder, tmp_path / "one", "--jobs", "2"), capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert single.returncode == 0, single.stdout + single.stderr
    pods = [
        subprocess.Popen(pod_command(folder, tmp_path, i), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                         env={**env, "JOB_COMPLETION_INDEX": str(i)})
        for i in range(3)
    ]
    outputs = [pod.communicate(timeout=600)[0] for pod in pods]
    assert [pod.returncode for pod in pods] == [0, 0, 0], outputs
    assert all("roster:" not in o for o in outputs), "a shard leaves the roster to the merge"
    assert not (tmp_path / "shard-0" / "canvas.csv").exists()
    merged = subprocess.run([sys.executable, "-m", "dlweek8", "merge", *(str(tmp_path / f"shard-{i}") for i in (2, 0, 1)), "--out", str(tmp_path / "merged")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    # every submission, and the mismatches, on the terminal of both
    for printed in (single.stdout, merged.stdout):
        assert "3 submission(s) with no roster entry" in printed and "Zed (S9)" in printed
    one, assembled = files_of(tmp_path / "one"), files_of(tmp_path / "merged")
    assert sorted(one) == sorted(assembled)
    assert [k for k in one if one[k] != assembled[k]] == []
    # and the run itself graded what it should
    rows = {r.submission: r for r in report.read_results(tmp_path / "one" / "results.jsonl")}
    assert sorted(rows) == ["=cmd|calc.ipynb", "alice/full.ipynb", "bob/half.ipynb", "carol/ceil.ipynb", "dave/crash.ipynb", "erin/malformed.ipynb"]
    assert rows["alice/full.ipynb"].total(CONV.answers) == len(CONV.answers)
    assert rows["carol/ceil.ipynb"].feedback["conv.output_size_fn"].mistake == "ceil-for-floor"
    assert rows["carol/ceil.ipynb"].answers["conv.output_size_fn"].startswith("returns ")
    assert rows["erin/malformed.ipynb"].notes[0].startswith("not graded")
    grades = (tmp_path / "one" / "grades.csv").read_text(encoding="utf-8")
    assert "\n'=cmd|calc.ipynb," in grades.replace("\r\n", "\n")
    csv_text = (tmp_path / "one" / "misconceptions.csv").read_text(encoding="utf-8")
    assert "conv.output_size_fn,ceil-for-floor,1," in csv_text
