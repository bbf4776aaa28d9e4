"""The containers of a ``k8s-job`` pod, run here as the manifest declares them: their commands, their
environments and their mounts, each container under bubblewrap (or, for comparing what pods write,
with each mount path replaced by a local folder and no isolation)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' ``$(NAME)`` expansion (args, env values, subPathExpr)."""
    return re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), text)


def pod_env(container: dict, index: int) -> dict[str, str]:
    """The container's environment; the one value from the downward API is the completion index."""
    env: dict[str, str] = {}
    for item in container.get("env", []):
        env[item["name"]] = str(index) if "valueFrom" in item else expand(item["value"], env)
    return env


def mounts_of(pod: dict, container: dict, index: int, volumes: dict[str, Path]) -> list[tuple[str, Path | None, bool]]:
    """(mount path, local folder or None for a fresh emptyDir, read-only) of each of the container's mounts, as the
    manifest declares them: ``volumes`` maps each PVC or ConfigMap volume to a local folder (and an emptyDir that
    several containers share, to the one folder they all see), a subPath(Expr) picks a folder inside it, and a
    mount is read-only when it or its volume says so (a ConfigMap always is)."""
    declared = {v["name"]: v for v in pod["volumes"]}
    env = pod_env(container, index)
    found = []
    for mount in container["volumeMounts"]:
        volume = declared[mount["name"]]
        if "emptyDir" in volume and mount["name"] not in volumes:
            found.append((mount["mountPath"], None, False))
            continue
        source = volumes[mount["name"]]
        inside = expand(mount["subPathExpr"], env) if "subPathExpr" in mount else mount.get("subPath")
        read_only = bool(mount.get("readOnly")) or "configMap" in volume or volume.get("persistentVolumeClaim", {}).get("readOnly", False)
        found.append((mount["mountPath"], source / inside if inside else source, read_only))
    return found


def mapped_pod(pod: dict, container: dict, index: int, volumes: dict[str, Path], scratch: Path) -> tuple[list[str], dict[str, str], Path]:
    """The container's command, environment and working folder with each mount path replaced by its local folder
    (no isolation: for comparing what the pods write)."""
    places = {}
    for path, source, _ in mounts_of(pod, container, index, volumes):
        if source is None:
            source = scratch / f"pod-{index}" / path.strip("/").replace("/", "_")
            source.mkdir(parents=True, exist_ok=True)
        places[path] = str(source)

    def local(text: str) -> str:
        if os.path.exists(text):
            return text  # a path of this machine given to k8s-job (e.g. a roster under /tmp), or /tmp itself
        for path, source in sorted(places.items(), key=lambda item: -len(item[0])):
            if text == path or text.startswith(path + "/"):
                return source + text[len(path):]
        return text

    env = pod_env(container, index)
    args = [local(expand(a, env)) for a in container["args"]]
    assert args[0] == "python"
    return [sys.executable, *args[1:]], {k: local(v) for k, v in env.items()}, Path(local(container.get("workingDir", str(ROOT))))


#: The system's own folders, in every simulated image.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")


@dataclass(frozen=True)
class Image:
    """A container image as this machine stands in for it: what ``python`` is there, and the folders it holds
    (bound read-only, beside the system's); ``empty``: folders it shows empty (a package part it does not ship)."""

    python: str
    folders: tuple[str, ...]
    empty: tuple[str, ...] = ()


#: The grader's image: this interpreter, its venv and the project (an editable install of the whole package).
GRADER = Image(sys.executable, (sys.base_prefix, sys.prefix, str(ROOT)))
#: The student image as the bubblewrap sandbox shows it: the same, with ``dlweek8/instructor`` an empty folder.
MASKED_STUDENT = Image(sys.executable, GRADER.folders, (str(ROOT / "dlweek8" / "instructor"),))


def bwrap_container(pod: dict, container: dict, index: int, volumes: dict[str, Path], image: Image = GRADER, own_pids: bool = True) -> list[str]:
    """The container run under bubblewrap with exactly the mounts the manifest declares (see :func:`mounts_of`): its
    command PID 1 of its own PID namespace (``--as-pid-1``, as in a pod that does not share its PID namespace; not with
    ``own_pids`` off), an emptyDir a fresh tmpfs, the image read-only, the root read-only if the securityContext says
    so, nothing else."""
    env = pod_env(container, index)
    mounts = mounts_of(pod, container, index, volumes)
    spaces = ["--unshare-all", "--as-pid-1"] if own_pids else ["--unshare-user-try", "--unshare-ipc", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    args = ["bwrap", *spaces, "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm"]
    args += [arg for path, source, _ in mounts if source is None for arg in ("--tmpfs", path)]  # first: the image may live under /tmp
    bound: list[str] = []
    for path in sorted({*SYSTEM_DIRS, *image.folders}, key=len):
        if path in SYSTEM_DIRS and os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path) and not any(path == d or path.startswith(d.rstrip("/") + "/") for d in bound):
            bound.append(path)
            args += ["--ro-bind", path, path]
    for path in image.empty:
        args += ["--tmpfs", path, "--remount-ro", path]
    for path, source, read_only in mounts:
        if source is not None:
            args += ["--ro-bind" if read_only else "--bind", str(source), path]
    if container.get("securityContext", {}).get("readOnlyRootFilesystem"):
        args += ["--remount-ro", "/"]
    args += ["--chdir", container.get("workingDir", "/"), "--clearenv"]
    for name, value in {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **env}.items():
        args += ["--setenv", name, value]
    command = [expand(a, env) for a in container["args"]]
    return args + [image.python if command[0] == "python" else command[0], *command[1:]]


@dataclass
class Ran:
    """What one container of a pod did."""

    name: str
    returncode: int
    output: str


def run_pod(pod: dict, index: int, volumes: dict[str, Path], images: dict[str, Image] | None = None, timeout: float = 600,
            own_pids: dict[str, bool] | None = None) -> dict[str, Ran]:
    """Pod ``index``: its init containers one after the other, then its containers all at once, as kubelet runs them;
    each under :func:`bwrap_container` in the image ``images`` names for it (default :data:`GRADER`; ``own_pids``: the
    containers that get no PID namespace of their own). Returns what each container did, by name, once every one has
    ended (``timeout``: for each container, after the one before it ended)."""
    images, own_pids = images or {}, own_pids or {}
    ran = {}
    for container in pod.get("initContainers", []):
        done = subprocess.run(bwrap_container(pod, container, index, volumes, images.get(container["name"], GRADER)), capture_output=True,
                              text=True, timeout=timeout)
        ran[container["name"]] = Ran(container["name"], done.returncode, done.stdout + done.stderr)
        if done.returncode != 0:
            return ran
    started = {c["name"]: subprocess.Popen(bwrap_container(pod, c, index, volumes, images.get(c["name"], GRADER), own_pids.get(c["name"], True)),
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for c in pod["containers"]}
    try:
        for name, process in started.items():
            output, _ = process.communicate(timeout=timeout)
            ran[name] = Ran(name, process.returncode, output)
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return ran
