"""The student repository as students get it: published into a folder, and installed the way Binder
installs it (the repository's ``postBuild`` run in a fresh environment).

Used through the session fixtures of ``tests/conftest.py`` by ``tests/test_publish.py`` and the
browser tests. The workers of one pytest-xdist run build each piece once, in the run's shared
temporary folder, taking turns through a lock (:func:`build_once`).

The fresh environment is a venv whose site-packages holds a ``.pth`` line naming this venv's
site-packages: it sees the course's dependencies (numpy, torch, jupyterlab, ipywidgets, nbval...)
but not the instructor's editable ``dlweek8``, whose import hook lives in a ``.pth`` file that a plain
path line never runs.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPO = "https://github.com/week8-class/lstm-conv"
HUB = "https://hub.example.edu"
SITE_PACKAGES = Path("lib") / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def clean_env(**extra) -> dict:
    """This process's environment without Python, pip or venv settings (nothing points at the
    instructor's package), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env.update(extra)
    return env


def shared_folder(tmp_path_factory) -> Path:
    """Where this run builds: under pytest-xdist the run's folder, which every worker's own folder sits
    in; without xdist this session's own folder."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(folder: Path, build: Callable[[Path], object]) -> Path:
    """``build(folder)`` unless another worker of this run has built it; the others wait on a lock.

    A build that fails leaves no mark, so the next caller tries again (and fails with its own message)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    done = folder.with_name(folder.name + ".built")
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            build(folder)
            done.touch()
    return folder


def publish_course(target: Path) -> Path:
    """The real course published into ``target`` (without the leak scan: the leak tests scan it themselves)."""
    from dlweek8.instructor import publish  # here, so that loading tests/conftest.py imports no dlweek8

    publish.publish(target, ROOT, REPO, HUB, scan=False)
    return target


def make_venv(folder: Path) -> str:
    """A new venv that sees this venv's packages but no ``dlweek8``; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    (folder / SITE_PACKAGES / "course_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = str(folder / "bin" / "python")
    done = subprocess.run([python, "-P", "-c", "import numpy, torch, nbval, importlib.util as u; print(u.find_spec('dlweek8'))"],
                          capture_output=True, text=True, env=clean_env(), cwd=folder, timeout=120)
    assert done.stdout.strip() == "None", (done.stdout, done.stderr)  # dlweek8 is not importable until we say so
    return python


@dataclass(frozen=True)
class BinderBuild:
    """A checkout of the published repository after its ``postBuild`` installed ``dlweek8`` into ``venv``."""

    folder: Path

    @property
    def checkout(self) -> Path:
        return self.folder / "checkout"

    @property
    def venv(self) -> Path:
        return self.folder / "venv"

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    @property
    def package(self) -> Path:
        """Where postBuild installed the package: the venv's own site-packages."""
        return self.venv / SITE_PACKAGES / "dlweek8"

    def env(self, **extra) -> dict:
        """The environment Binder's users get: this venv's ``bin`` first on PATH, nothing of the instructor's."""
        return clean_env(PATH=str(self.venv / "bin") + os.pathsep + os.environ["PATH"], **extra)


def lab_app_dir(venv: Path) -> Path:
    """Give ``venv`` a JupyterLab application directory of its own, as a Binder environment has (JupyterLab is
    installed there): this venv's static files, schemas and themes linked in, and no settings. Without it, JupyterLab
    run by ``venv``'s python falls back to this venv's application directory, and postBuild's
    ``lab-settings/install.py`` would write there."""
    app_dir = venv / "share" / "jupyter" / "lab"
    app_dir.mkdir(parents=True)
    for part in (Path(sys.prefix) / "share" / "jupyter" / "lab").iterdir():
        if part.name != "settings":
            (app_dir / part.name).symlink_to(part)
    return app_dir


def install_like_binder(published: Path, folder: Path) -> BinderBuild:
    """Copy ``published`` to ``folder/checkout`` (as Binder clones it), make ``folder/venv``, and run
    ``./postBuild`` (``python -m pip install --no-deps .``, then ``lab-settings/install.py``) there with the venv's
    python first on PATH, offline. The venv borrows JupyterLab's packages from this one (its .pth line) but has an
    application directory of its own (:func:`lab_app_dir`), where install.py writes the course's settings."""
    build = BinderBuild(folder)
    shutil.copytree(published, build.checkout)
    make_venv(build.venv)
    lab_app_dir(build.venv)
    env = build.env(PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1")
    done = subprocess.run(["./postBuild"], capture_output=True, text=True, cwd=build.checkout, env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return build
