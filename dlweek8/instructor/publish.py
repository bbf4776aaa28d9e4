"""``python -m dlweek8 publish DIR``: write the student repository, ready for ``git init`` and a push.

DIR gets:

- ``notebooks/``: the student editions, rendered now from ``solutions/`` (as ``release`` does);
- ``dlweek8/``: the student build of the package, which is the package without its
  ``instructor/`` folder (and without Python's caches): the layout decides, there is no list
  of files to leave out;
- ``pyproject.toml`` with the same runtime dependencies (no test extra, no scripts),
  ``environment.yml`` and ``postBuild`` (Binder), ``LICENSE``, ``lab-settings/`` (JupyterLab's
  settings for the course, which postBuild installs), a ``.gitignore``, and a
  ``README.md`` with the Binder and JupyterHub (nbgitpuller) links of ``--repo``/``--hub``;
- ``.dlweek8-publish.json``, the manifest: what was written. A later publish replaces exactly
  those files; any other non-empty DIR (a ``.git`` folder aside) is refused.

Before anything is written, every file is scanned for answers (:mod:`.leaks`); a publish that
would ship one is refused. ``--with-solutions``, for after the deadline, publishes the same
and adds ``solutions/`` (the solved notebooks with their outputs, without ``instructor-only``
cells) to an earlier publish.
"""

from __future__ import annotations

import json
import os
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..names import INSTRUCTOR_TAG
from . import editions, leaks, links

MANIFEST = ".dlweek8-publish.json"
PACKAGE = "dlweek8"
#: The package's folder that never ships.
INSTRUCTOR_PART = "instructor"
#: Files copied from the course repository as they are.
COPIED = ("environment.yml", "postBuild", "LICENSE", "lab-settings/dlweek8.json", "lab-settings/install.py")
EXECUTABLE = ("postBuild",)
TEMPLATES = Path(__file__).resolve().parent / "templates"
SOLUTIONS_SECTION = """
## Solutions

The solved notebooks are in [`solutions/`](solutions), with their outputs, released after the
deadline. Compare them with your own work.
"""


class PublishError(Exception):
    """DIR cannot be published into; the message says why, in one line (``details``: more lines, if any)."""

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.details = details or []


@dataclass
class Published:
    target: Path
    written: list[str]
    removed: list[str]

    def line(self) -> str:
        notebooks = sum(1 for name in self.written if name.startswith("notebooks/"))
        solutions = sum(1 for name in self.written if name.startswith("solutions/"))
        extra = f", {solutions} solved" if solutions else ""
        return f"published {len(self.written)} files ({notebooks} notebooks{extra}) to {self.target}"


# -- what the student repository holds -----------------------------------------------------------


def package_files(package: Path) -> dict[str, bytes]:
    """The student build: every file of the package but its instructor folder and caches."""
    files = {}
    for folder, subfolders, names in os.walk(package):
        here = Path(folder)
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__" and not (here == package and d == INSTRUCTOR_PART))
        for name in sorted(names):
            if not name.endswith((".pyc", ".pyo")):
                files[f"{PACKAGE}/{(here / name).relative_to(package).as_posix()}"] = (here / name).read_bytes()
    return files


def _ships(package_name: str) -> bool:
    """Whether a (sub)package is in the student build: all but the instructor part."""
    instructor = f"{PACKAGE}.{INSTRUCTOR_PART}"
    return package_name != instructor and not package_name.startswith(instructor + ".")


def _toml(value) -> str:
    """A TOML value for a string or a list of strings (JSON's syntax for these is TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def student_pyproject(project_toml: Path) -> bytes:
    """The course's pyproject.toml reduced to what students install: the runtime package."""
    config = tomllib.loads(project_toml.read_text(encoding="utf-8"))
    project, setuptools = config["project"], config.get("tool", {}).get("setuptools", {})
    text = string.Template((TEMPLATES / "pyproject.toml").read_text(encoding="utf-8")).substitute(
        build_requires=_toml(config["build-system"]["requires"]),
        build_backend=_toml(config["build-system"]["build-backend"]),
        name=_toml(project["name"]),
        version=_toml(project["version"]),
        description=_toml(project["description"]),
        requires_python=_toml(project["requires-python"]),
        license=_toml(project["license"]),
        dependencies="[\n" + "".join(f"    {_toml(d)},\n" for d in project["dependencies"]) + "]",
        packages_include=_toml(setuptools.get("packages", {}).get("find", {}).get("include", [f"{PACKAGE}*"])),
        package_data="".join(f"{_toml(k)} = {_toml(v)}\n" for k, v in setuptools.get("package-data", {}).items() if _ships(k)),
    )
    return text.encode()


def term_module(project_toml: Path) -> bytes:
    """``dlweek8/term.py`` of the student build: the term's salt from ``[tool.dlweek8]`` (see :mod:`dlweek8.student_id`)."""
    from ..student_id import salt_from

    return (f'"""The term\'s salt, written by publish from the course\'s pyproject.toml."""\n\nSALT = {salt_from(project_toml)!r}\n').encode()


def _title(notebook_text: str) -> str:
    """A notebook's first heading, without the ``#``."""
    for cell in json.loads(notebook_text)["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).split("\n"):
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def launch_section(repo: str | None, hub: str | None, branch: str) -> str:
    """The README's Binder and JupyterHub part, with links to the published repository."""
    if not repo:
        return "Your instructor gives you a link that opens these notebooks on Binder or on the class JupyterHub."
    parts = []
    try:
        binder = links.binder_link(repo, branch)
    except ValueError:
        binder = None
    if binder:
        parts.append(
            f"**Binder**: [open the notebooks on Binder]({binder}) [![Binder](https://mybinder.org/badge_logo.svg)]({binder})\n\n"
            f"Nothing to install; the first start builds the environment and takes a few minutes. Your\n"
            f"changes are lost when the session ends: download your notebook before you close the tab."
        )
    if hub:
        pull = links.nbgitpuller_link(hub, repo, branch)
        parts.append(
            f"**Class JupyterHub**: [open the notebooks on the JupyterHub]({pull}). The link copies this\n"
            f"repository into your home folder (nbgitpuller); your edits are kept, and opening the link\n"
            f"again brings in later updates without overwriting them."
        )
    parts.append(f"**The repository**: <{repo}>.")
    return "\n\n".join(parts)


def student_readme(notebooks: dict[str, str], repo: str | None, hub: str | None, branch: str, with_solutions: bool) -> bytes:
    rows = "\n".join(f"| [`{name}`]({name}) | {_title(text)} |" for name, text in sorted(notebooks.items()))
    text = string.Template((TEMPLATES / "README.md").read_text(encoding="utf-8")).substitute(
        notebooks=rows,
        launch=launch_section(repo, hub, branch),
        solutions=SOLUTIONS_SECTION if with_solutions else "",
    )
    return text.encode()


def solved_edition(path: Path) -> bytes:
    """A solved notebook as students get it after the deadline: outputs kept, instructor-only cells dropped."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells = [cell for cell in nb.cells if INSTRUCTOR_TAG not in cell.metadata.get("tags", [])]
    return (nbformat.writes(nb) + "\n").encode()


def student_files(project: Path, repo: str | None = None, hub: str | None = None, branch: str = "main",
                  with_solutions: bool = False) -> dict[str, bytes]:
    """Every file of the student repository (relative path -> content), the manifest aside."""
    project = Path(project)
    solved = editions.solved_notebooks(project / editions.SOLUTIONS)
    if not solved:
        raise PublishError(f"no solved notebooks in {project / editions.SOLUTIONS}/ to publish from")
    notebooks = {f"{editions.NOTEBOOKS}/{path.name}": editions.render(path) for path in solved}
    files = {name: text.encode() for name, text in notebooks.items()}
    files.update(package_files(project / PACKAGE))
    files["pyproject.toml"] = student_pyproject(project / "pyproject.toml")
    files[f"{PACKAGE}/term.py"] = term_module(project / "pyproject.toml")
    for name in COPIED:
        files[name] = (project / name).read_bytes()
    files[".gitignore"] = (TEMPLATES / "gitignore").read_bytes()
    files["README.md"] = student_readme(notebooks, repo, hub, branch, with_solutions)
    if with_solutions:
        files.update({f"{editions.SOLUTIONS}/{path.name}": solved_edition(path) for path in solved})
    return files


# -- writing, never over someone else's files ----------------------------------------------------


def read_manifest(target: Path) -> dict | None:
    """The manifest of an earlier publish in ``target``, or None; PublishError if it is unreadable."""
    path = Path(target) / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        assert isinstance(files, list) and all(isinstance(f, str) for f in files)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise PublishError(f"{path} is not a manifest written by publish; move it away or choose another folder") from None
    for name in files:
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise PublishError(f"{path} lists {name!r}, outside the folder; refusing to touch it")
    return manifest


def _previous(target: Path, with_solutions: bool) -> dict:
    """The earlier publish in ``target`` (an empty manifest if none), or PublishError why not to write there."""
    if target.exists() and not target.is_dir():
        raise PublishError(f"{target} is a file, not a folder")
    manifest = read_manifest(target) if target.exists() else None
    if manifest is None:
        if with_solutions:
            raise PublishError(f"{target} holds no earlier publish ({MANIFEST}): publish without --with-solutions first")
        others = sorted(p.name for p in target.iterdir() if p.name != ".git") if target.exists() else []
        if others:
            raise PublishError(f"{target} is not empty and holds no earlier publish ({MANIFEST}); choose an empty or new folder")
        return {"files": []}
    return manifest


def publish(target: Path, project: Path = Path("."), repo: str | None = None, hub: str | None = None,
            branch: str | None = None, with_solutions: bool = False, scan: bool = True) -> Published:
    """Write the student repository into ``target``; see the module docstring.

    ``scan=False`` skips the leak scan (tests that examine something else, and then scan the
    result themselves); the command line always scans.
    """
    target, project = Path(target), Path(project)
    previous = _previous(target, with_solutions)
    repo = repo or previous.get("repo")
    hub = hub or previous.get("hub")
    branch = branch or previous.get("branch") or "main"
    if hub and not repo:
        raise PublishError("--hub needs --repo: nbgitpuller pulls the published repository")
    files = student_files(project, repo, hub, branch, with_solutions)
    shipped = {name: data for name, data in files.items() if not name.startswith(f"{editions.SOLUTIONS}/")}
    found = leaks.scan_files(shipped, leaks.needles(editions.solved_notebooks(project / editions.SOLUTIONS))) if scan else []
    if found:
        raise PublishError(f"refusing to publish: {len(found)} answer(s) would ship; nothing was written", [f.line() for f in found])
    listed = set(previous["files"])
    clash = sorted(name for name in files if name not in listed and (target / name).exists())
    if clash:
        raise PublishError(f"{target / clash[0]} exists and was not written by an earlier publish; move it away first")
    removed = sorted(listed - set(files))
    for name in sorted(listed):
        (target / name).unlink(missing_ok=True)
    for name in removed:
        _remove_empty_parents(target / name, target)
    for name, data in sorted(files.items()):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if name in EXECUTABLE:
            path.chmod(0o755)
    manifest = {"written_by": "python -m dlweek8 publish", "repo": repo, "hub": hub, "branch": branch,
                "with_solutions": with_solutions, "files": sorted(files)}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return Published(target, sorted(files), removed)


def _remove_empty_parents(path: Path, stop: Path) -> None:
    folder = path.parent
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


# -- command line ------------------------------------------------------------------------------


def add_arguments(parser) -> None:
    parser.add_argument("target", type=Path, metavar="DIR", help="the student repository to write (new, empty, or an earlier publish)")
    parser.add_argument("--repo", help="the URL students open, e.g. https://github.com/ORG/REPO (for the README's links)")
    parser.add_argument("--hub", help="the class JupyterHub, e.g. https://hub.example.edu (an nbgitpuller link)")
    parser.add_argument("--branch", help="the branch the links open (default: main, or the earlier publish's)")
    parser.add_argument("--with-solutions", action="store_true", help="after the deadline: add solutions/ to an earlier publish")
    parser.add_argument("--project", type=Path, default=Path("."), help="the course repository to publish from (default: .)")


def run(args) -> int:
    try:
        result = publish(args.target, args.project, args.repo, args.hub, args.branch, args.with_solutions)
    except PublishError as exc:
        print(f"publish: {exc}")
        for line in exc.details:
            print(f"  {line}")
        return 1
    print(result.line())
    for name in result.removed:
        print(f"removed {name} (no longer published{'; add --with-solutions to keep the solutions' if name.startswith('solutions/') else ''})")
    return 0
