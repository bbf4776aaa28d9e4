"""The README's quick start is exactly two commands, and both exist in run.py and in CI."""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from helpers.lab import QUIET, notification_settings  # tests/ is on sys.path under pytest

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


def _run_py():
    import importlib.util

    spec = importlib.util.spec_from_file_location("dlweek8_run_py", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_torch_cpu_flag_installs_torch_alone_from_the_cpu_index(monkeypatch):
    run = _run_py()
    monkeypatch.delenv("DLWEEK8_TORCH_INDEX", raising=False)
    assert run.torch_index(["--torch-cpu", "lab"]) == ("https://download.pytorch.org/whl/cpu", ["lab"])
    assert run.torch_index(["test", "--torch-cpu", "-k", "conv"]) == ("https://download.pytorch.org/whl/cpu", ["test", "-k", "conv"])
    assert run.torch_index(["test", "-k", "conv"]) == (None, ["test", "-k", "conv"])
    monkeypatch.setenv("DLWEEK8_TORCH_INDEX", "https://download.pytorch.org/whl/cu126")
    assert run.torch_index(["lab"]) == ("https://download.pytorch.org/whl/cu126", ["lab"])

    torch, rest = run.install_commands(Path("py"), tests=True, index="https://download.pytorch.org/whl/cpu")
    assert torch[:4] == ["py", "-m", "pip", "install"]
    assert torch[torch.index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    assert "--no-deps" in torch and torch[-1] == "torch==2.13.0" and "--force-reinstall" not in torch
    # everything else (torch's own dependencies included) comes from the default index, pinned
    assert "--index-url" not in rest and rest[rest.index("-c") + 1] == str(ROOT / "requirements" / "constraints.txt")
    assert rest[-2:] == ["-e", f"{ROOT}[test]"]
    switched, _ = run.install_commands(Path("py"), tests=False, index="https://x/cpu", reinstall_torch=True)
    assert "--force-reinstall" in switched


def test_default_route_installs_torch_from_the_default_index_first():
    run = _run_py()
    torch, rest = run.install_commands(Path("py"), tests=False, index=None)
    assert torch[-1] == "torch==2.13.0" and "--index-url" not in torch and "--no-deps" not in torch
    assert rest[-2:] == ["-e", str(ROOT)]


def test_test_workers_follow_the_cores_this_process_may_use(monkeypatch):
    run = _run_py()
    monkeypatch.setattr(run.os, "sched_getaffinity", lambda pid: set(range(6)), raising=False)
    command = run.pytest_command(["-k", "conv"])
    assert command[command.index("-n") + 1] == "6"
    assert command[command.index("--dist") + 1] == "loadscope" and command[-2:] == ["-k", "conv"]
    assert "--no-loadscope-reorder" in command  # scopes go out in collection order: tests/conftest.py puts the slowest first


def test_lock_resolves_pyproject_with_uv_for_python_311_with_the_test_extra(monkeypatch, tmp_path):
    run = _run_py()
    monkeypatch.setenv("PIP_INDEX_URL", "https://mirror.example/simple")
    assert run.pip_index() == ["--index-url", "https://mirror.example/simple"]
    command = run.lock_command(tmp_path / "out.txt", tmp_path / "torch.txt", run.pip_index())
    assert command[0].endswith("uv") and command[1:3] == ["pip", "compile"] and command[3] == str(ROOT / "pyproject.toml")
    pairs = dict(zip(command[4::1], command[5::1], strict=False))
    assert pairs["--extra"] == "test" and pairs["--python-version"] == "3.11"
    assert pairs["--constraint"] == str(tmp_path / "torch.txt") and pairs["--output-file"] == str(tmp_path / "out.txt")
    assert pairs["--index-url"] == "https://mirror.example/simple"
    assert list(run.LOCK_PINS)[0] == "torch==2.13.0" and all(run.LOCK_PINS.values())  # every pin says why
    resolved = "# comment\nanyio==4.16.0\ntorch==2.13.0\nzipp==3.0\n"
    assert run.torch_first(resolved).splitlines() == [run.HEADER, "torch==2.13.0", "anyio==4.16.0", "zipp==3.0"]


SCRATCH_PYPROJECT = """[project]
name = "scratch"
version = "0"
dependencies = ["numpy"]

[tool.ruff.lint]
select = ["F", "B"]
"""


def test_lint_fails_on_a_lint_finding_and_on_an_undeclared_import(tmp_path, capsys):
    run = _run_py()
    (tmp_path / "pyproject.toml").write_text(SCRATCH_PYPROJECT)
    (tmp_path / "scratch").mkdir()
    module = tmp_path / "scratch" / "__init__.py"
    module.write_text("import numpy\n\nprint(numpy.pi)\n")
    assert run.lint(verbose=False, root=tmp_path)
    assert capsys.readouterr().out.splitlines() == ["lint: ruff is clean", "dependencies: deptry is clean"]

    module.write_text("import os\n\nimport numpy\nimport not_a_declared_module\n\nprint(numpy.pi, not_a_declared_module)\n")
    assert not run.lint(verbose=False, root=tmp_path)
    out = capsys.readouterr().out
    assert "scratch/__init__.py:1:8: F401" in out and "lint: ruff FAILED with 1 finding(s) in 1 file(s)" in out
    assert "DEP001 'not_a_declared_module' imported but missing" in out and "dependencies: deptry FAILED with 1 finding(s)" in out
    assert run.exit_status(lint_clean=False, pytest_status=0) == 1
    assert run.exit_status(lint_clean=True, pytest_status=0) == 0 and run.exit_status(True, 3) == 3


def test_lab_starts_as_root_too(monkeypatch):
    """JupyterLab exits at once as root unless told --allow-root; run.py lab says it and passes it."""
    run = _run_py()
    monkeypatch.setattr(run.os, "geteuid", lambda: 0)
    assert run.lab_flags() == ["--allow-root"]
    monkeypatch.setattr(run.os, "geteuid", lambda: 1000)
    assert run.lab_flags() == []


def test_the_quick_tier_leaves_out_every_heavy_tier_and_the_full_run_repeats_the_numbers_under_another_blas():
    run = _run_py()
    (quick, extra), = run.test_runs(["--quick", "-k", "conv"], python=Path("py"))
    def marks(argv):  # the argument of pytest's -m (the first -m is python's: -m pytest)
        return argv[len(argv) - argv[::-1].index("-m")]

    marks_quick = marks(quick)
    assert extra == {} and "--quick" not in quick and quick[-2:] == ["-k", "conv"]
    assert all(f"not {tier}" in marks_quick for tier in ("browser", "grading", "build", "nbval", "slow"))
    full, again = run.test_runs([], python=Path("py"))
    assert marks(full[0]) == "pytest" and full[1] == {}
    assert marks(again[0]) == "numeric"
    assert again[1]["OPENBLAS_CORETYPE"] and again[1]["OPENBLAS_NUM_THREADS"] == "1"
    assert len(run.test_runs(["-k", "conv"], python=Path("py"))) == 1  # a chosen subset runs once
    assert len(run.test_runs(["--run-slow"], python=Path("py"))) == 2
    assert len(run.test_runs(["-q"], python=Path("py"))) == 2  # quieter output is still the whole run (bench --suite passes -q)


def test_the_quick_tier_does_not_collect_the_folders_of_heavy_tests_only():
    run = _run_py()
    (quick, _), = run.test_runs(["--quick"], python=Path("py"))
    assert [arg for arg in quick if arg.startswith("--ignore=")] == [f"--ignore={folder}" for folder in run.HEAVY_FOLDERS]
    for folder in run.HEAVY_FOLDERS:  # nothing there that the quick tier would run: notebooks (nbval) and the browser suite
        collectable = [p for p in (ROOT / folder).rglob("*") if p.suffix == ".ipynb" or p.name.startswith("test_")]
        assert collectable, folder
        if folder == "tests/browser":
            assert "item.add_marker(pytest.mark.browser)" in (ROOT / folder / "conftest.py").read_text()
        else:
            assert all(p.suffix == ".ipynb" for p in collectable), folder
    (full, _), _ = run.test_runs([], python=Path("py"))
    assert not [arg for arg in full if arg.startswith("--ignore")]


def test_pytest_runs_write_bytecode_for_the_next_run(monkeypatch):
    run = _run_py()
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = run._test_env({"OPENBLAS_NUM_THREADS": "1"})
    assert "PYTHONDONTWRITEBYTECODE" not in env and env["OPENBLAS_NUM_THREADS"] == "1" and env["VIRTUAL_ENV"] == str(run.VENV)


SEEN_BY_PYTEST = """
import os, pytest
pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "notebooks/03_gradient_flow_in_training.ipynb"])
print("DLWEEK8_FAST", os.environ.get("DLWEEK8_FAST"))
"""


def test_a_notebook_tested_alone_trains_in_the_fast_setting_unless_told_otherwise():
    """``pytest notebooks/03_…`` (or ``run.py test notebooks``) collects no tests/conftest.py; the repository's
    conftest.py still asks for the fast setting (the full one took 90 s a notebook). DLWEEK8_FAST=0 keeps the full one."""
    env = {name: value for name, value in os.environ.items() if name != "DLWEEK8_FAST"}
    for given, seen in ((None, "1"), ("0", "0")):
        extra = {} if given is None else {"DLWEEK8_FAST": given}
        done = subprocess.run([sys.executable, "-c", SEEN_BY_PYTEST], cwd=ROOT, env=dict(env, **extra), capture_output=True, text=True)
        assert done.stdout.splitlines()[-1] == f"DLWEEK8_FAST {seen}", done.stdout[-2000:] + done.stderr[-2000:]


def test_tiers_follow_what_a_test_starts():
    # by path: under xdist, ``import conftest`` may give tests/browser/conftest.py
    spec = importlib.util.spec_from_file_location("tests_conftest", ROOT / "tests" / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)

    class Item:
        def __init__(self, path, fixtures=()):
            self.fspath, self.fixturenames = path, list(fixtures)

    assert conftest.tiers_of(Item(ROOT / "notebooks" / "01_lstm_gradients.ipynb")) == {"nbval"}
    assert conftest.tiers_of(Item(ROOT / "tests" / "test_hostile_submissions.py")) == {"grading"}
    assert conftest.tiers_of(Item(ROOT / "tests" / "test_plain.py", ["published"])) == {"build"}
    assert conftest.tiers_of(Item(ROOT / "tests" / "test_questions.py")) == {"numeric"}
    assert conftest.tiers_of(Item(ROOT / "tests" / "test_plain.py")) == set()


def test_set_up_installs_the_course_lab_settings_where_jupyterlab_reads_them(tmp_path, monkeypatch):
    """Set-up (and Binder's postBuild) runs lab-settings/install.py with the environment's python: the student who runs
    ``python3 run.py lab`` gets no "Jupyter news?" prompt and no update notices. A changed settings file sets up again."""
    app_dir = tmp_path / "lab"  # JupyterLab's application directory, as JUPYTERLAB_DIR names it
    done = subprocess.run([sys.executable, str(ROOT / "lab-settings" / "install.py")], env=dict(os.environ, JUPYTERLAB_DIR=str(app_dir)),
                          capture_output=True, text=True)
    target = app_dir / "settings" / "overrides.d" / "dlweek8.json"
    assert done.returncode == 0 and str(target) in done.stdout, done.stderr
    assert target.read_bytes() == (ROOT / "lab-settings" / "dlweek8.json").read_bytes()
    assert notification_settings(sys.executable, dict(os.environ, JUPYTERLAB_DIR=str(app_dir))) == QUIET
    assert "python lab-settings/install.py" in (ROOT / "postBuild").read_text()
    run = _run_py()
    course = tmp_path / "course"
    (course / "requirements").mkdir(parents=True)
    shutil.copytree(ROOT / "lab-settings", course / "lab-settings")
    for name in ("pyproject.toml", "requirements/constraints.txt"):
        (course / name).write_bytes((ROOT / name).read_bytes())
    monkeypatch.setattr(run, "ROOT", course)
    monkeypatch.setattr(run, "CONSTRAINTS", course / "requirements" / "constraints.txt")
    monkeypatch.setattr(run, "LAB_SETTINGS", course / "lab-settings")
    before = run._stamp(None)
    (course / "lab-settings" / "dlweek8.json").write_text("{}\n")
    assert run._stamp(None) != before
