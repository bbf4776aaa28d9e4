"""The student repository: what ships, what never does, and that it still runs as Binder installs it.

- ``publish`` writes a complete repository, by the package's layout, and never writes over
  anything it did not write;
- the leak scan finds no solution line, solved value or hash of either in it, and does find
  one that is put there on purpose;
- with only the published build importable, no callable of the student package (as it is,
  wrapped, or with its source pasted in) answers a function question;
- a lookup table of the public probes passes the notebook check (it fails the grader: tests/test_grading.py);
- the published notebooks pass nbval after ``postBuild`` installed the package.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import dlweek8
from dlweek8 import __main__ as cli
from dlweek8 import checks
from dlweek8.instructor import editions, leaks, links, publish
from dlweek8.instructor.grading import discover
from dlweek8.question import FunctionQuestion

from student_build import HUB, REPO, clean_env

from helpers.editions import LOOKUP_CELL  # tests/ is on sys.path under pytest
from helpers.lab import QUIET, notification_settings

ROOT = Path(__file__).resolve().parents[1]
SOLVED = editions.solved_notebooks(ROOT / "solutions")
TOP_LEVEL = {".dlweek8-publish.json", ".gitignore", "LICENSE", "README.md", "dlweek8", "environment.yml", "lab-settings", "notebooks",
             "postBuild", "pyproject.toml"}


def _texts(folder: Path) -> dict[str, str]:
    return {name: data.decode("utf-8", errors="replace") for name, data in leaks.folder_files(folder).items()}


# -- what the student repository holds -----------------------------------------------------------


def test_the_repository_has_what_a_student_needs_and_nothing_else(published):
    assert {p.name for p in published.iterdir()} == TOP_LEVEL
    assert sorted(p.name for p in (published / "notebooks").iterdir()) == [p.name for p in SOLVED]
    for source in SOLVED:
        assert (published / "notebooks" / source.name).read_text(encoding="utf-8") == editions.render(source)
    assert (published / "environment.yml").read_bytes() == (ROOT / "environment.yml").read_bytes()
    assert (published / "postBuild").read_bytes() == (ROOT / "postBuild").read_bytes() and os.access(published / "postBuild", os.X_OK)
    assert "MIT License" in (published / "LICENSE").read_text() and "the dlweek8 authors" in (published / "LICENSE").read_text()
    manifest = json.loads((published / publish.MANIFEST).read_text())
    assert manifest["files"] == sorted(leaks.folder_files(published).keys() - {publish.MANIFEST})


def test_the_package_is_the_instructors_minus_the_instructor_folder(published):
    package = ROOT / "dlweek8"
    expected = {
        p.relative_to(package).as_posix() for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc" and p.relative_to(package).parts[0] != "instructor"
    }
    shipped = {p.relative_to(published / "dlweek8").as_posix() for p in (published / "dlweek8").rglob("*") if p.is_file()}
    assert shipped == expected | {"term.py"}  # term.py: the term's salt, written by publish
    assert any(name.startswith("checks/probes/") for name in shipped)
    assert not (published / "dlweek8" / "instructor").exists()


def test_the_build_follows_the_layout_not_a_list(tmp_path):
    """A new module, a new subpackage and a new instructor file: the first two ship, the last does not."""
    project = small_course(tmp_path / "course")
    (project / "dlweek8" / "newtopic").mkdir()
    (project / "dlweek8" / "newtopic" / "__init__.py").write_text("X = 1\n")
    (project / "dlweek8" / "extra.py").write_text("Y = 2\n")
    (project / "dlweek8" / "instructor" / "more_secrets.py").write_text("Z = 3\n")
    publish.publish(tmp_path / "out", project)
    shipped = {p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out" / "dlweek8").rglob("*") if p.is_file()}
    assert shipped == {"dlweek8/__init__.py", "dlweek8/extra.py", "dlweek8/newtopic/__init__.py", "dlweek8/term.py"}


def test_no_notebook_metadata_names_or_hashes_a_solution(published):
    for path in (published / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["dlweek8"] == {"assignment": path.stem, "edition": "student", "written_sha256": editions.content_hash(nb)}
        assert "solutions" not in json.dumps(nb.metadata)


def test_the_student_pyproject_has_the_runtime_only(published):
    ours = tomllib.loads((ROOT / "pyproject.toml").read_text())
    theirs = tomllib.loads((published / "pyproject.toml").read_text())
    assert theirs["project"]["dependencies"] == ours["project"]["dependencies"]
    assert theirs["project"]["license"] == "MIT" and theirs["project"]["requires-python"] == ours["project"]["requires-python"]
    assert "optional-dependencies" not in theirs["project"] and "scripts" not in theirs["project"]
    assert "pytest" not in theirs.get("tool", {})
    shipped_data = {k: v for k, v in ours["tool"]["setuptools"]["package-data"].items() if not k.startswith("dlweek8.instructor")}
    assert theirs["tool"]["setuptools"]["package-data"] == shipped_data and "dlweek8.checks" in shipped_data
    # the course's JupyterLab settings and their installer, which postBuild runs
    for name in ("dlweek8.json", "install.py"):
        assert (published / "lab-settings" / name).read_bytes() == (ROOT / "lab-settings" / name).read_bytes()


def test_the_readme_links_to_the_published_repository(published):
    readme = (published / "README.md").read_text()
    assert links.binder_link(REPO) in readme and links.nbgitpuller_link(HUB, REPO) in readme
    assert "notebooks/01_lstm_gradients.ipynb" in readme and "Week 8, Task 1" in readme
    assert "solutions" not in readme.lower() and "instructor" not in readme.lower()


def test_without_a_repository_the_readme_has_no_links(tmp_path):
    publish.publish(tmp_path / "out", small_course(tmp_path / "course"))
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "mybinder.org/v2" not in readme and "git-pull" not in readme and "Your instructor gives you a link" in readme


def test_python_m_dlweek8_runs_in_the_student_build(published, student_python):
    done = subprocess.run([student_python, "-P", "-m", "dlweek8", "--help"], capture_output=True, text=True,
                          env=_env(PYTHONPATH=str(published)), cwd=published.parent, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "release" not in done.stdout and "publish" not in done.stdout  # the instructor's commands are not there


# -- never over someone else's files -----------------------------------------------------------


def small_course(project: Path) -> Path:
    """A course repository with one solved notebook and a package with an instructor folder."""
    (project / "solutions").mkdir(parents=True)
    answer = new_code_cell("size_78x84 = (26, 28)  ### SOLUTION")
    secret = new_code_cell("print('graders only')")
    secret.metadata["tags"] = ["instructor-only"]
    nb = new_notebook(cells=[new_markdown_cell("# Week 8, Task 9: sizes"), answer, new_code_cell('dlweek8.check("conv.size_78x84", size_78x84)'), secret])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, project / "solutions" / "09_sizes.ipynb")
    (project / "dlweek8" / "instructor").mkdir(parents=True)
    (project / "dlweek8" / "__init__.py").write_text("")
    (project / "dlweek8" / "instructor" / "references.py").write_text("size_78x84 = (26, 28)\n")
    (project / "dlweek8" / "__pycache__").mkdir()
    (project / "dlweek8" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (project / "lab-settings").mkdir()
    for name in publish.COPIED + ("pyproject.toml",):
        shutil.copy2(ROOT / name, project / name)
    return project


def _publish(argv) -> tuple[int, str]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["publish", *map(str, argv)])
    return code, out.getvalue()


def test_a_folder_that_is_not_a_publish_is_refused_untouched(tmp_path):
    project = small_course(tmp_path / "course")
    target = tmp_path / "someones-work"
    target.mkdir()
    (target / "thesis.tex").write_text("mine")
    code, out = _publish([target, "--project", project])
    assert code == 1 and out.count("\n") == 1 and "not empty" in out and "earlier publish" in out
    assert [p.name for p in target.iterdir()] == ["thesis.tex"]


def test_an_empty_clone_with_only_git_is_accepted(tmp_path):
    project = small_course(tmp_path / "course")
    (tmp_path / "clone" / ".git").mkdir(parents=True)
    code, out = _publish([tmp_path / "clone", "--project", project, "--repo", REPO])
    assert code == 0 and out.startswith("published ")
    assert (tmp_path / "clone" / ".git").is_dir() and (tmp_path / "clone" / "notebooks" / "09_sizes.ipynb").exists()


def test_republishing_replaces_exactly_what_it_wrote(tmp_path):
    project = small_course(tmp_path / "course")
    target = tmp_path / "out"
    assert _publish([target, "--project", project, "--repo", REPO])[0] == 0
    (target / "NOTES.md").write_text("the class's own notes")
    (target / "notebooks" / "09_sizes.ipynb").write_text("{}")  # a file publish wrote: replaced
    shutil.move(project / "solutions" / "09_sizes.ipynb", project / "solutions" / "10_sizes.ipynb")
    code, _ = _publish([target, "--project", project])
    assert code == 0
    assert (target / "NOTES.md").read_text() == "the class's own notes"
    assert sorted(p.name for p in (target / "notebooks").iterdir()) == ["10_sizes.ipynb"]
    assert links.binder_link(REPO) in (target / "README.md").read_text()  # the earlier --repo is kept
    manifest = json.loads((target / publish.MANIFEST).read_text())
    assert "notebooks/10_sizes.ipynb" in manifest["files"] and "notebooks/09_sizes.ipynb" not in manifest["files"]


def test_a_file_publish_did_not_write_is_never_overwritten(tmp_path):
    project = small_course(tmp_path / "course")
    target = tmp_path / "out"
    _publish([target, "--project", project])
    (target / "solutions").mkdir()
    (target / "solutions" / "09_sizes.ipynb").write_text("a colleague's own file")
    code, out = _publish([target, "--project", project, "--with-solutions"])
    assert code == 1 and "not written by an earlier publish" in out
    assert (target / "solutions" / "09_sizes.ipynb").read_text() == "a colleague's own file"


def test_a_manifest_cannot_point_outside_the_folder(tmp_path):
    project = small_course(tmp_path / "course")
    target = tmp_path / "out"
    _publish([target, "--project", project])
    (tmp_path / "precious.txt").write_text("keep")
    manifest = json.loads((target / publish.MANIFEST).read_text())
    manifest["files"].append("../precious.txt")
    (target / publish.MANIFEST).write_text(json.dumps(manifest))
    code, out = _publish([target, "--project", project])
    assert code == 1 and "outside the folder" in out and (tmp_path / "precious.txt").read_text() == "keep"


def test_solutions_are_added_after_the_deadline_and_only_to_a_publish(tmp_path):
    project = small_course(tmp_path / "course")
    target = tmp_path / "out"
    code, out = _publish([target, "--project", project, "--with-solutions"])
    assert code == 1 and "no earlier publish" in out and not target.exists()
    _publish([target, "--project", project, "--repo", REPO])
    code, out = _publish([target, "--project", project, "--with-solutions"])
    assert code == 0 and "1 solved" in out
    solved = nbformat.read(target / "solutions" / "09_sizes.ipynb", as_version=4)
    assert [c.source for c in solved.cells][1] == "size_78x84 = (26, 28)  ### SOLUTION"
    assert not any("instructor-only" in c.metadata.get("tags", []) for c in solved.cells)
    assert "## Solutions" in (target / "README.md").read_text()
    code, out = _publish([target, "--project", project])  # a plain publish takes them back out, and says so
    assert code == 0 and "removed solutions/09_sizes.ipynb" in out and not (target / "solutions").exists()


def test_a_hub_needs_the_repository(tmp_path):
    code, out = _publish([tmp_path / "out", "--project", small_course(tmp_path / "course"), "--hub", HUB])
    assert code == 1 and "--hub needs --repo" in out and not (tmp_path / "out").exists()


# -- the leak scan -------------------------------------------------------------------------------


def test_nothing_published_is_an_answer(published):
    found = leaks.scan(published, SOLVED)
    assert not found, "answers in the student repository:\n" + "\n".join(f.line() for f in found)


def test_the_command_refuses_to_publish_an_answer(tmp_path, monkeypatch):
    """A release bug that leaves one solution line in a notebook: publish writes nothing and names it."""
    original = editions._stub_line

    def leaky(lines, index, where):
        if "size_78x84" in lines[index]:
            return lines[index].rstrip()[: -len(editions.LINE_MARK)].rstrip()
        return original(lines, index, where)

    monkeypatch.setattr(editions, "_stub_line", leaky)
    target = tmp_path / "out"
    code, out = _publish([target, "--project", ROOT])
    assert code == 1 and "refusing to publish" in out and "notebooks/02_conv_arithmetic.ipynb" in out, out
    assert not target.exists()
    publish.publish(target, ROOT, scan=False)
    found = leaks.scan(target, SOLVED)
    assert any(f.path == "notebooks/02_conv_arithmetic.ipynb" and "size_78x84 = (26, 28)" in f.what for f in found), found


@pytest.fixture(scope="module")
def course_needles() -> list:
    """What the scan looks for in this course (the same list ``leaks.scan`` builds)."""
    return leaks.needles(SOLVED)


@pytest.mark.parametrize(
    "where, text, reported",
    [
        ("README.md", "\nHint: the bias is about 2.944.\n", "value of lstm.forget_bias"),
        ("dlweek8/extra_notes.py", "SIZES = [52, 53, 54]\n", "value of conv.input_for_16"),
        ("dlweek8/extra_notes.py", "PARAMS = 100_352\n", "value of conv.params_7x7"),
        ("notebooks/notes.md", "The output is 26 × 28.\n", "value of conv.size_78x84"),
        ("notebooks/notes.md", "so $b = \\ln 19$.\n", "written as 'math.log(19)'"),
        ("dlweek8/extra_notes.py", "B = np.log( 19 )\n", "written as 'math.log(19)'"),
        ("dlweek8/checks/extra.py", "def sigmoid_prime(z):\n    return sigmoid(z)   *   sigmoid(-z)\n", "answer line"),
    ],
)
def test_the_scan_finds_an_answer_written_into_any_file(published, course_needles, where, text, reported):
    """The published file with an answer appended (or a new file holding one), scanned as the scan
    reads every file; the whole folder's clean scan is ``test_nothing_published_is_an_answer``."""
    before = (published / where).read_bytes() if (published / where).exists() else b""
    found = leaks.scan_files({where: before + text.encode("utf-8")}, course_needles)
    assert any(reported in f.what for f in found), [f.line() for f in found]
    assert not leaks.scan_files({where: before}, course_needles)  # the answer written in is what was found


def test_the_scan_finds_a_hash_of_a_solution_in_metadata(published, course_needles):
    """What ``release`` used to record: the solved notebook's hash. And a hash of a small answer."""
    name = "02_conv_arithmetic.ipynb"
    nb = nbformat.read(published / "notebooks" / name, as_version=4)
    solved = nbformat.read(ROOT / "solutions" / name, as_version=4)
    nb.metadata["dlweek8"]["source_sha256"] = editions.content_hash(solved)
    nb.metadata["dlweek8"]["check"] = hashlib.sha256(b"(26, 28)").hexdigest()
    small_id, small = next((qid, v) for qid, v in leaks.solved_values().items() if not leaks.value_patterns(v))
    nb.cells[0].metadata["answer_md5"] = hashlib.md5(str(small).encode()).hexdigest()  # a small answer hashed: still an answer
    found = {f.what for f in leaks.scan_files({f"notebooks/{name}": nbformat.writes(nb).encode("utf-8")}, course_needles)}
    assert "sha256 of the solved notebook 02_conv_arithmetic.ipynb (its content hash)" in found
    assert any(w.startswith("sha256 of the value of") and "(26, 28)" in w for w in found), found
    assert f"md5 of the value of {small_id}" in found, found


def test_the_rules_for_lines_and_values():
    assert all(leaks.is_generic(line) for line in ("", ")", "])", "return x", "pass", "return y"))
    assert not leaks.is_generic("return sigmoid(z) * sigmoid(-z)") and not leaks.is_generic("row = U_f[d]")
    assert leaks.is_generic("c = f * c_prev + i * u")  # the forward equation notebook 01 states
    assert leaks.value_patterns(26) == [] and leaks.value_patterns(True) == [] and leaks.value_patterns((False, True)) == []

    def matches(value, text):
        import re

        return any(re.search(p, text) for p in leaks.value_patterns(value))

    for text in ("(26, 28)", "[26,28]", "is 26, 28.", "26 × 28", "26x28"):
        assert matches((26, 28), text), text
    for text in ("(126, 28)", "26, 281", "2.6, 28"):
        assert not matches((26, 28), text), text
    for text in ("2.944", "b ≈ 2.9444 here", "2.94444", "2.944439", "2.9444389791664403"):
        assert matches(2.9444389791664403, text), text
    for text in ("2.9441", "12.944", "2.94"):
        assert not matches(2.9444389791664403, text), text
    for text in ("100352", "100,352", "100 352", "100_352"):
        assert matches(100352, text), text
    assert not matches(100352, "1003520") and not matches(100352, "2100352")
    for text in ("[52, 53, 54]", "{52,53,54}", "range(52, 55)", "52 ≤ n < 55", "52 <= n <= 54"):
        assert matches(range(52, 55), text), text
    assert leaks.evaluate("__import__('os').system('true')") is None and leaks.evaluate("math.log(19)") == pytest.approx(2.944439)


def test_the_text_a_pattern_requires_is_in_every_match(course_needles):
    """The scan's substring test before each regex (``Needle.required``) never skips a match: every
    pattern of this course, on texts it matches; and a few patterns with a known answer."""
    import re

    assert leaks.required_text(re.compile(r"(?<![\w.,])2\.944(?![\w]|[.,]\d)")) == "2.944"
    assert leaks.required_text(re.compile(r"(?<![\w.])(?:math\.|np\.)?log\s*\(\s*19\s*\)")) == "log"
    assert leaks.required_text(re.compile(r"a|bcd")) == "" and leaks.required_text(re.compile("abc", re.IGNORECASE)) == ""
    texts = ["(26, 28)", "[26,28]", "26 × 28", "2.944", "2.9444389791664403", "100 352", "range(52, 55)", "52 <= n < 55",
             "np.log( 19 )", "ln 19", "return sigmoid(z)   *   sigmoid(-z)"] + [line for path in SOLVED for line in path.read_text().split("\\n")]
    matched = 0
    for needle in course_needles:
        if needle.pattern is None:
            continue
        for text in texts:
            match = needle.pattern.search(text)
            if match:
                matched += 1
                assert needle.required in match.group(), (needle.pattern.pattern, needle.required, match.group())
    assert matched > 50, matched  # the catalogue really exercises the patterns


# -- with only the published build importable ----------------------------------------------------


def _env(**extra) -> dict:
    return clean_env(**extra, MPLBACKEND="Agg")


TRY_EVERY_CALLABLE = r'''
import importlib, inspect, json, pkgutil, sys, textwrap
import dlweek8
assert dlweek8.__file__.startswith(sys.argv[1]), dlweek8.__file__
try:
    import dlweek8.instructor
except ImportError:
    pass
else:
    sys.exit(f"dlweek8.instructor is importable from {dlweek8.instructor.__file__}")
from dlweek8 import checks
from dlweek8.question import FunctionQuestion

names = sorted(m.name for m in pkgutil.walk_packages(dlweek8.__path__, "dlweek8.") if m.name != "dlweek8.__main__")
modules = [dlweek8, *map(importlib.import_module, names)]
found = {}
for module in modules:
    for name, obj in vars(module).items():
        if not name.startswith("__") and (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__:
            found[f"{module.__name__}.{name}"] = obj

def forms(obj):
    """The callable as a student could hand it in: as it is, wrapped, and with its source pasted in."""
    yield "as is", obj
    yield "wrapped", lambda *args: obj(*args)
    if inspect.isfunction(obj):
        try:
            namespace = dict(vars(sys.modules[obj.__module__]), __name__="__main__")
            exec(textwrap.dedent(inspect.getsource(obj)), namespace)
            yield "pasted", namespace[obj.__name__]
        except Exception:
            pass

questions = [q for q in checks.all_questions() if isinstance(q, FunctionQuestion)]
import os, time

def try_in_child(name, obj):
    """Each callable in a forked child: some are process plumbing (fork, dup2, kill, exit) that
    would take the run down with them. The child reports its passes through a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            passed = [[q.id, name, how] for q in questions for how, answer in forms(obj) if dlweek8.check(q.id, answer).passed]
            os.write(write, json.dumps(passed).encode())
        finally:
            os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 30  # each call has 2 s: a child past this is blocked (e.g. reading a descriptor)
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            print(f"STOPPED {name}", file=sys.stderr, flush=True)
            break
        time.sleep(0.01)
    data = b"".join(iter(lambda: os.read(read, 65536), b""))
    os.close(read)
    return json.loads(data) if data else None

for q in questions:  # load what every check loads (torch, the stored cases) once, before forking
    dlweek8.check(q.id, lambda *args: None)
for name in sys.argv[2:]:  # what torch loads on first use (the grader's map of it): once here, not in every child
    importlib.import_module(name)
results = {name: try_in_child(name, obj) for name, obj in found.items()}
passed = [p for found_passes in results.values() if found_passes for p in found_passes]
print("RESULT " + json.dumps({"questions": [q.id for q in questions], "callables": sorted(found), "passed": passed,
                              "no_report": sorted(n for n, r in results.items() if r is None),
                              "own_work": {q.id: list(q.own_work) for q in questions}}), flush=True)
os._exit(0)  # skip interpreter teardown
'''


def test_no_callable_of_the_student_build_answers_a_function_question(published, student_python):
    """Every function and class of every module (private helpers too), as the answer to every function
    question: as it is, wrapped in a lambda, or with its source pasted into the notebook. None passes;
    pasted source may pass only for a function the question declares in ``own_work`` (maths the
    notebook derives in full and its explorers need: calling it gets no credit, its code is readable)."""
    venv = Path(student_python).parents[1]
    sandbox = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",  # own PIDs: a callable that
               "--ro-bind", str(published), str(published), "--ro-bind", str(venv), str(venv),       # kills or forks hurts nothing
               "--ro-bind", sys.prefix, sys.prefix,  # this venv's packages, even when it lives under /tmp (a CI clone)
               "--unshare-pid", "--unshare-net", "--die-with-parent", "--new-session", "--chdir", "/tmp"]
    first_use = sorted({name for names in discover.LOADED_ON_FIRST_USE.values() for name in names})
    done = subprocess.run([*sandbox, student_python, "-P", "-c", TRY_EVERY_CALLABLE, str(published / "dlweek8"), *first_use], capture_output=True, text=True,
                          env=_env(PYTHONPATH=str(published), OMP_NUM_THREADS="1", MPLCONFIGDIR="/tmp"), timeout=900)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, (done.stdout[-2000:], done.stderr[-3000:])
    result = json.loads(lines[-1][len("RESULT "):])
    assert len(result["questions"]) >= 5 and len(result["callables"]) >= 20, result
    assert "dlweek8.lstm.step" in result["callables"] and "dlweek8.checks.conv._right" in result["callables"]
    assert len(result["no_report"]) < len(result["callables"]) / 4, result["no_report"]  # most callables were really tried
    passing = [(qid, name, how) for qid, name, how in result["passed"] if how != "pasted" or name not in result["own_work"][qid]]
    assert passing == [], "callables of the student build that pass a function check:\n" + "\n".join(
        f"{qid} <- {name} ({how})" for qid, name, how in passing)


def test_the_isolation_is_real(published, student_python):
    """The same subprocess set-up, pointed at the instructor's package, does import dlweek8.instructor."""
    probe = "import dlweek8, dlweek8.instructor, sys; print(dlweek8.__file__)"
    own = subprocess.run([student_python, "-P", "-c", probe], capture_output=True, text=True, env=_env(PYTHONPATH=str(ROOT)), cwd=ROOT.parent, timeout=120)
    assert own.returncode == 0 and own.stdout.strip() == str(ROOT / "dlweek8" / "__init__.py")
    theirs = subprocess.run([student_python, "-P", "-c", probe], capture_output=True, text=True, env=_env(PYTHONPATH=str(published)), cwd=published.parent, timeout=120)
    assert theirs.returncode == 1 and "No module named 'dlweek8.instructor'" in theirs.stderr


# -- a lookup table of the public probes ---------------------------------------------------------


def lookup_answer(question_id: str):
    """The grading tests' lookup table (``helpers.editions.LOOKUP_CELL``), made here as the notebook would make it."""
    namespace: dict = {}
    exec(LOOKUP_CELL, namespace)  # noqa: S102 - our own test code
    return namespace["_lookup"](question_id)


FUNCTION_QUESTIONS = [q.id for q in checks.all_questions() if isinstance(q, FunctionQuestion)]


@pytest.mark.parametrize("question_id", FUNCTION_QUESTIONS)
def test_a_lookup_table_passes_the_notebook_check(question_id):
    feedback = dlweek8.check(question_id, lookup_answer(question_id))
    assert feedback.passed, feedback.message


# -- it still runs, installed the way Binder installs it -----------------------------------------


def _browser_runs_them(session, folder: Path) -> bool:
    """This session's browser tests run every notebook in ``folder`` (Run All, no error) in this same build."""
    covered = {getattr(item.cls, "notebook_name", None) for item in session.items
               if item.get_closest_marker("browser") and item.name == "test_run_all_shows_no_error"}
    if not covered >= {path.name for path in folder.glob("*.ipynb")}:
        return False
    import labdriver  # importable once tests/browser is collected

    return labdriver.browser_missing_reason() is None


def test_the_published_notebooks_run_after_postbuild(binder_build, tmp_path, request):
    """postBuild (``python -m pip install --no-deps .``) into the student environment (the shared
    ``binder_build`` fixture), then nbval. When the browser tests run, they prove the same thing in
    the same build (Run All without an error, in a kernel that imports this install) and this
    second run of both notebooks is skipped; without a browser, it is the proof."""
    where = subprocess.run([binder_build.python, "-P", "-c", "import dlweek8, importlib.util as u; print(dlweek8.__file__, u.find_spec('dlweek8.instructor'))"],
                           capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=120)
    assert where.stdout.split() == [str(binder_build.package / "__init__.py"), "None"], where
    # JupyterLab in that environment reads the course's settings: no "Jupyter news?" prompt, no update notices
    assert notification_settings(binder_build.python, _env(), cwd=tmp_path) == QUIET
    assert (binder_build.venv / "share" / "jupyter" / "lab" / "settings" / "overrides.d" / "dlweek8.json").is_file()  # postBuild put it there
    if _browser_runs_them(request.session, binder_build.checkout / "notebooks"):
        pytest.skip("the browser tests Run All the published notebooks in this build (test_run_all_shows_no_error)")
    run = subprocess.run([binder_build.python, "-P", "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q", str(binder_build.checkout / "notebooks")],
                         capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
