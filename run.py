#!/usr/bin/env python3
"""Quick start: set up a virtual environment and then open the notebooks or run the tests.

    python3 run.py lab      # set up, then open JupyterLab on notebooks/
    python3 run.py test     # set up, lint (ruff, deptry), then run every test (unit, notebooks, browser, grading),
                            # then the numerical tests again under another BLAS kernel
    python3 run.py test --quick   # lint and the quick tier only: no browser, grading, build or nbval tests
    python3 run.py lint     # set up, then list every ruff and deptry finding
    python3 run.py bench    # set up, then run the benchmarks
    python3 run.py lock     # resolve pyproject.toml afresh into requirements/constraints.txt (uv)

Options:
    --torch-cpu             install torch from the PyTorch CPU wheel index (a few hundred MB) instead
                            of PyPI, whose Linux wheel is the CUDA build (several GB)
    DLWEEK8_TORCH_INDEX=URL the same with any PyTorch wheel index (e.g. .../whl/cu126)

Set-up is skipped when .venv already matches pyproject.toml and the constraints.
Extra arguments go to the tool, e.g. ``python3 run.py test -k conv``.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("DLWEEK8_VENV", ROOT / ".venv"))
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
#: The course's JupyterLab settings, and install.py, which puts them where a python's JupyterLab reads them (postBuild runs it too).
LAB_SETTINGS = ROOT / "lab-settings"
#: Installed first, on its own, so that its build is chosen by its index alone.
TORCH = "torch==2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
#: What the lock pins on top of pyproject.toml, and why.
LOCK_PINS = {
    TORCH: "the PyTorch the notebooks and tests are checked with",
    "jsonschema<4.25": "4.25 added rfc3987-syntax to its format-nongpl extra (wanted by jupyter-events), which builds an "
    "Earley parser at import: 1-5 s in every process that imports nbformat (test workers, graders, CLI runs)",
}
HEADER = "# Exact versions for `python3 run.py`, the CI and the benchmarks. Regenerate with: python3 run.py lock"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def torch_index(argv: list[str]) -> tuple[str | None, list[str]]:
    """The PyTorch wheel index asked for (``--torch-cpu`` or DLWEEK8_TORCH_INDEX), and argv without the flag."""
    rest = [arg for arg in argv if arg != "--torch-cpu"]
    if len(rest) != len(argv):
        return TORCH_CPU_INDEX, rest
    return os.environ.get("DLWEEK8_TORCH_INDEX") or None, rest


def install_commands(python: Path, tests: bool, index: str | None, reinstall_torch: bool = False) -> list[list[str]]:
    """The pip commands of set-up: torch first (from ``index`` if given), then dlweek8 pinned by the constraints."""
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    torch = pip + [TORCH]
    if index:
        # Only torch comes from the PyTorch index; its dependencies come from PyPI in the next step, pinned.
        torch = pip + ["--index-url", index, "--no-deps"] + (["--force-reinstall"] if reinstall_torch else []) + [TORCH]
    target = f"{ROOT}[test]" if tests else str(ROOT)
    return [torch, pip + ["-c", str(CONSTRAINTS), "-e", target]]


def _stamp(index: str | None) -> str:
    digest = hashlib.sha256(sys.version.encode())
    digest.update(f"torch from {index or 'PyPI'}".encode())
    for path in (ROOT / "pyproject.toml", CONSTRAINTS, *sorted(p for p in LAB_SETTINGS.iterdir() if p.is_file())):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def setup(tests: bool, index: str | None = None) -> None:
    """Create .venv and install dlweek8 (with its test extra if ``tests``), pinned by the constraints."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"dlweek8 needs Python 3.11; this is {sys.version.split()[0]}. Run it with python3.11.")
    stamp_file, torch_file = VENV / ".dlweek8-stamp", VENV / ".dlweek8-torch-index"
    stamp = _stamp(index)
    wanted = {stamp + ":test"} if tests else {stamp + ":test", stamp + ":run"}
    if stamp_file.exists() and stamp_file.read_text() in wanted:
        return
    print(f"Setting up {VENV} (the first run takes a few minutes)...", flush=True)
    if not PYTHON.exists():
        venv.create(VENV, with_pip=True)
    previous = torch_file.read_text() if torch_file.exists() else "PyPI"
    for command in install_commands(PYTHON, tests, index, reinstall_torch=previous != (index or "PyPI")):
        subprocess.run(command, check=True)
    subprocess.run([str(PYTHON), str(LAB_SETTINGS / "install.py")], check=True)
    torch_file.write_text(index or "PyPI")
    stamp_file.write_text(stamp + (":test" if tests else ":run"))


def workers() -> int:
    """Test workers: one per core this process may run on."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cores or 1)


def pytest_command(rest: list[str], python: Path = PYTHON) -> list[str]:
    """pytest on every core; whole modules per worker, handed out in collection order (tests/conftest.py: slowest first)."""
    return [str(python), "-m", "pytest", "-n", str(workers()), "--dist", "loadscope", "--no-loadscope-reorder", *rest]


#: The heavy tiers (markers set in tests/conftest.py) that ``test --quick`` leaves out; ``slow`` is opt-in everywhere.
HEAVY_TIERS = ("browser", "grading", "build", "nbval")
#: Folders that hold heavy-tier tests only (nbval's notebooks, the browser suite): ``test --quick`` does not collect them.
HEAVY_FOLDERS = ("notebooks", "solutions", "tests/browser")
#: A second BLAS kernel for the numerical tests: the last bits of a matrix product follow the kernel, and no
#: test or verdict may depend on them (numpy's OpenBLAS reads OPENBLAS_CORETYPE; Prescott runs its oldest x86 kernel).
OTHER_BLAS = {"OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1"}


#: Arguments of ``run.py test`` that change what pytest prints (or adds slow tests), not which tests run.
OUTPUT_FLAGS = ("--run-slow", "-q", "-v", "-x", "-qq", "-vv", "-rA", "-ra")


def test_runs(rest: list[str], python: Path = PYTHON) -> list[tuple[list[str], dict]]:
    """The pytest runs of ``run.py test``: (argv, extra environment) each.

    ``--quick`` runs only the quick tier; otherwise everything (but ``slow``), then the tests marked
    ``numeric`` again under :data:`OTHER_BLAS`. Extra arguments (but ``--run-slow``) choose a subset, run once.
    """
    if "--quick" in rest:
        rest = [arg for arg in rest if arg != "--quick"]
        skipped = [f"--ignore={folder}" for folder in HEAVY_FOLDERS]
        return [(pytest_command(["-m", " and ".join(f"not {tier}" for tier in (*HEAVY_TIERS, "slow")), *skipped, *rest], python), {})]
    runs = [(pytest_command(rest, python), {})]
    if not [arg for arg in rest if arg not in OUTPUT_FLAGS]:  # a chosen subset runs once
        runs.append((pytest_command(["-m", "numeric", "-q"], python), dict(OTHER_BLAS)))
    return runs


def _tool_env() -> dict:
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", VIRTUAL_ENV=str(VENV), NO_COLOR="1")


def _test_env(extra: dict) -> dict:
    """The tools' environment for a pytest run, with ``extra``, writing bytecode even where PYTHONDONTWRITEBYTECODE is set:
    the next run then reads the package's bytecode and pytest's rewritten test modules instead of compiling them again
    in every worker (3 s of CPU each, measured)."""
    return {name: value for name, value in dict(_tool_env(), **extra).items() if name != "PYTHONDONTWRITEBYTECODE"}


def lint(verbose: bool, root: Path = ROOT) -> bool:
    """ruff (rules in pyproject.toml) and deptry (every import declared, every dependency used): one line each.

    The findings are listed when there are any, or always if ``verbose``. True when both are clean.
    """
    clean = True
    for label, argv, what in (
        ("ruff", [str(BIN / "ruff"), "check", "--quiet", "--output-format", "concise", "."], "lint"),
        ("deptry", [str(BIN / "deptry"), "--no-ansi", *_local_modules(root), "."], "dependencies"),
    ):
        done = subprocess.run(argv, cwd=root, env=_tool_env(), capture_output=True, text=True)
        output = (done.stdout + done.stderr).strip()
        findings = [line for line in output.splitlines() if _is_finding(label, line)]
        if done.returncode == 0:
            print(f"{what}: {label} is clean", flush=True)
            continue
        clean = False
        if findings or verbose:
            print("\n".join(findings or output.splitlines()), flush=True)
        files = len({line.split(":", 1)[0] for line in findings})
        print(f"{what}: {label} FAILED with {len(findings)} finding(s) in {files} file(s)"
              + ("" if findings else f" (exit {done.returncode}: {output.splitlines()[-1] if output else 'no output'})"), flush=True)
    return clean


def _local_modules(root: Path) -> list[str]:
    """deptry arguments naming the modules and packages tests and benchmarks import from their own folder (test_x, harness, helpers)."""
    folders = (root / "tests", root / "tests" / "browser", root / "benchmarks")
    names = sorted({path.stem for folder in folders for path in folder.glob("*.py")} | {path.parent.name for folder in folders for path in folder.glob("*/__init__.py")})
    return [argument for name in ["dlweek8", *names] for argument in ("--known-first-party", name)]


def _is_finding(tool: str, line: str) -> bool:
    """A line ``path:line:col: CODE message`` (ruff) or ``path[:line:col]: DEPnnn message`` (deptry)."""
    return re.match(r"\S+: (DEP\d{3}) " if tool == "deptry" else r"\S+:\d+:\d+: [A-Z]+\d+ ", line) is not None


def pip_index(python: Path = PYTHON) -> list[str]:
    """uv arguments for pip's configured index (``index-url``), so lock resolves where pip installs from.

    Extra indexes and find-links are left out on purpose: they are machine-local caches (wheels of one
    build), and a lock must come out the same on every machine. Without a configured index, uv uses PyPI.
    """
    index = os.environ.get("PIP_INDEX_URL")
    if not index:
        done = subprocess.run([str(python), "-m", "pip", "config", "get", "global.index-url"], capture_output=True, text=True)
        index = done.stdout.strip() if done.returncode == 0 else ""
    return ["--index-url", index] if index else []


def lock_command(output: Path, pins: Path, index: list[str]) -> list[str]:
    """``uv pip compile``: pyproject.toml with its test extra, for Python 3.11, constrained by ``pins`` (LOCK_PINS)."""
    return [str(BIN / "uv"), "pip", "compile", str(ROOT / "pyproject.toml"), "--extra", "test", "--python-version", "3.11",
            "--constraint", str(pins), "--no-header", "--no-annotate", "--quiet", "--output-file", str(output), *index]


def torch_first(resolved: str) -> str:
    """The constraints file: header, TORCH, then every other pin as resolved."""
    pins = [line for line in resolved.splitlines() if line.strip() and not line.startswith("#")]
    others = [line for line in pins if not line.lower().startswith("torch==")]
    return "\n".join([HEADER, TORCH, *others]) + "\n"


def lock() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        pin, output = Path(scratch) / "pins.txt", Path(scratch) / "resolved.txt"
        pin.write_text("".join(f"{requirement}  # {why}\n" for requirement, why in LOCK_PINS.items()))
        subprocess.run(lock_command(output, pin, pip_index()), check=True, cwd=ROOT)
        CONSTRAINTS.write_text(torch_first(output.read_text()))
    print(f"wrote {CONSTRAINTS.relative_to(ROOT)}")


def exit_status(lint_clean: bool, pytest_status: int) -> int:
    """The test command fails when pytest fails or when lint is not clean (then after the tests have run)."""
    if pytest_status:
        return pytest_status
    if not lint_clean:
        print("FAILED: lint or dependency findings above (python3 run.py lint lists them)", flush=True)
        return 1
    return 0


def _exec(args: list[str]) -> None:
    """Run a tool from the environment in place of this process."""
    sys.stdout.flush()
    if os.name == "nt":
        sys.exit(subprocess.run(args, env=_tool_env(), cwd=ROOT).returncode)
    os.chdir(ROOT)
    os.execve(args[0], args, _tool_env())


def lab_flags() -> list[str]:
    """JupyterLab refuses to start as root (a container, a cloud VM's default user) without --allow-root."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        print("run.py: running as root, so JupyterLab is started with --allow-root")
        return ["--allow-root"]
    return []


def main(argv: list[str]) -> None:
    index, argv = torch_index(argv)
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command == "lab":
        setup(tests=False, index=index)
        _exec([str(BIN / "jupyter"), "lab", "--notebook-dir", str(ROOT / "notebooks"), *lab_flags(), *rest])
    elif command == "test":
        setup(tests=True, index=index)
        clean = lint(verbose=False)
        tests = 0
        for argv, extra in test_runs(rest):
            if extra:
                print("again under another BLAS kernel: " + " ".join(f"{k}={v}" for k, v in extra.items()), flush=True)
            tests = tests or subprocess.run(argv, cwd=ROOT, env=_test_env(extra)).returncode
        sys.exit(exit_status(clean, tests))
    elif command == "lint":
        setup(tests=True, index=index)
        sys.exit(0 if lint(verbose=True) else 1)
    elif command == "bench":
        setup(tests=True, index=index)
        _exec([str(PYTHON), str(ROOT / "benchmarks" / "run_all.py"), *rest])
    elif command == "lock":
        setup(tests=True, index=index)
        lock()
    else:
        print(__doc__)
        sys.exit(0 if command in ("help", "-h", "--help") else 2)


if __name__ == "__main__":
    main(sys.argv[1:])
