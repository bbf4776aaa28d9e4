"""environment.yml (Binder, conda-forge) names the same runtime packages as pyproject.toml."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
#: PyPI name -> conda-forge name, where they differ.
CONDA_NAME = {"torch": "pytorch-cpu"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def _canonical(requirement: str) -> str:
    """The PyPI name as pip and uv compare it (PEP 503): jupyter_client and Jupyter-Client are one."""
    return re.sub(r"[-_.]+", "-", _name(requirement))


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_matches_pyproject_runtime_dependencies():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"][0] == "conda-forge"
    assert set(env["channels"]) <= {"conda-forge", "nodefaults"}
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    assert "python" in conda and "python=3.11" in env["dependencies"]
    wanted = {CONDA_NAME.get(_name(d), _name(d)) for d in _pyproject()["project"]["dependencies"]}
    assert conda - {"python", "pip"} == wanted


def test_binder_installs_dlweek8_itself():
    post_build = (ROOT / "postBuild").read_text()
    assert "pip install --no-deps ." in post_build


def test_constraints_pin_every_dependency_and_torch_cpu_first():
    lines = [l for l in (ROOT / "requirements/constraints.txt").read_text().splitlines() if l and not l.startswith("#")]
    assert lines[0] == "torch==2.13.0"
    pinned = {_canonical(l) for l in lines}
    project = _pyproject()["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert _canonical(requirement) in pinned, requirement
    assert all("==" in l for l in lines)
