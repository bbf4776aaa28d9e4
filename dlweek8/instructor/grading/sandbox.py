"""One bubblewrap sandbox per grading run, and one set of fresh namespaces per submission inside it.

The grader starts :mod:`dlweek8.confined` as a *template* inside ``bwrap`` (the Debian package
``bubblewrap``): no network, its own PID/IPC/UTS/user namespaces, a read-only view of the
Python environment and of the student part of the package (``dlweek8/instructor/`` is an empty
folder there), an empty private ``/tmp`` and HOME, a minimal environment, ``--die-with-parent``.
It sees no submission folder, no ``solutions/``, no ``--out`` folder. Each submission is a fork
of the template that enters namespaces of its own (see :mod:`dlweek8.confined`), so it sees
neither the grader nor any classmate, and the grader can kill everything it started at once.

The process limit: RLIMIT_NPROC binds only a user that is not root (the kernel exempts root, and
a grader running as root, as in CI or a pod, is root inside the sandbox too). So a grader running
as root makes one pids cgroup for the run (:func:`make_run_cgroup`), shows it to the sandbox at
:data:`PIDS_MOUNT`, and each submission moves into a folder of it whose ``pids.max`` is the limit
before any of its code runs (the kernel enforces that for root too); then it unmounts it.

The job goes in, and one stream of JSON events comes out, through pipes whose ends are passed
over a Unix socket (``SCM_RIGHTS``); nothing is shared on disk.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import dlweek8

#: Read-only system folders the interpreter and its libraries need (those that exist).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: Files of /etc that libraries read (dynamic linker, time zone, fonts, certificates); nothing else of /etc.
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/fonts", "/etc/ssl/certs",
             "/etc/nsswitch.conf", "/etc/mime.types")
HOME = "/tmp/home"
#: The working directory of every submission: an empty folder on the read-only root.
WORKDIR = "/grading"
#: Where each submission mounts its own tmpfs before moving it onto /tmp (see :mod:`dlweek8.confined`).
STAGE = "/run/dlweek8-stage"
#: Where the sandbox sees the run's pids cgroup (each submission process unmounts it from its own view).
PIDS_MOUNT = "/run/dlweek8-pids"


class Unavailable(Exception):
    """No sandbox can be made here; the message says why and what to do, in one line."""


def minimal_env() -> dict:
    """The only environment variables a submission sees (no tokens, no grader settings)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": HOME,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "DLWEEK8_SKIP_RENDER": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def _python_dirs() -> list[str]:
    """What the interpreter needs, parents first: its prefixes and the stdlib and site-packages folders
    (sysconfig's paths). Never the grader's working directory, nor any other ``sys.path`` entry, nor a
    folder that holds the project (of which only the package itself is shown)."""
    import sysconfig

    project = str(package_dir().parent)
    wanted = {sys.base_prefix, sys.prefix, *(sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib"))}
    found: list[str] = []
    for path in sorted({os.path.abspath(p) for p in wanted if p and os.path.isdir(p)}, key=len):
        if project == path or project.startswith(path.rstrip(os.sep) + os.sep):
            continue
        if not any(path == d or path.startswith(d + os.sep) for d in found):
            found.append(path)
    return found


def package_dir() -> Path:
    """The package's own folder (the one the sandbox shows, and imports ``dlweek8`` from)."""
    return Path(dlweek8.__file__).resolve().parent


def bound_paths() -> list[str]:
    """Every folder bwrap binds from the grader's machine besides the system folders."""
    return [*_python_dirs(), str(package_dir())]


def bwrap_args(tmp_mb: int = 512, pids_cgroup: str | None = None) -> list[str]:
    """bwrap's arguments: namespaces, the read-only views, the template's /tmp (no submission sees it:
    each mounts its own), the run's pids cgroup (if any) at :data:`PIDS_MOUNT`, then the root, /dev
    and every bind read-only; the command follows."""
    args = ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-add", "ALL",
            "--hostname", "grading"]
    # /tmp comes first, so that a venv or a project that lives under /tmp (a CI clone) is bound on top
    # of it rather than hidden by it; each submission re-binds those on its own /tmp.
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(tmp_mb * 2**20), "--tmpfs", "/tmp", "--dir", HOME]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ETC_FILES:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    for path in _python_dirs():
        args += ["--ro-bind", path, path]
    package = package_dir()
    args += ["--ro-bind", str(package), str(package)]
    instructor = package / "instructor"
    if instructor.exists():
        args += ["--tmpfs", str(instructor), "--remount-ro", str(instructor)]
    if pids_cgroup is not None:
        args += ["--bind", pids_cgroup, PIDS_MOUNT]
    args += ["--dir", WORKDIR, "--dir", STAGE, "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", WORKDIR]
    return args


def template_command(confine: bool, control_fd: int, modules, pids: bool) -> list[str]:
    """The template's command: confined, ``python -I`` (no working directory, PYTHONPATH or user site on
    sys.path) importing ``dlweek8`` from the package's known folder, first on sys.path."""
    options = [*(["--confine"] if confine else []), *([f"--pids={PIDS_MOUNT}"] if pids else [])]
    if not confine:
        return [sys.executable, "-m", "dlweek8.confined", str(control_fd), *options, *modules]
    keep = [f"--keep={p}" for p in bound_paths() if p.startswith("/tmp/")]
    boot = (f"import sys; sys.path.insert(0, {str(package_dir().parent)!r}); import runpy; "
            "runpy.run_module('dlweek8.confined', run_name='__main__', alter_sys=True)")
    return [sys.executable, "-I", "-c", boot, str(control_fd), *options, *keep, *modules]


@functools.cache
def unavailable_reason() -> str | None:
    """Why no sandbox can be made on this machine (one line with the fix), or None when it can."""
    if not sys.platform.startswith("linux"):
        return (f"no sandbox on {sys.platform}: grading runs each submission in a bubblewrap sandbox, which needs Linux; "
                "grade on Linux (or in a container or pod that is itself the sandbox, with --no-sandbox)")
    if shutil.which("bwrap") is None:
        return ("no sandbox: bubblewrap is not installed; install it (Debian/Ubuntu: apt-get install bubblewrap), "
                "or pass --no-sandbox where the machine itself is the sandbox (e.g. a Kubernetes pod)")
    probe = subprocess.run([*bwrap_args(), "--", sys.executable, "-c", "pass"], capture_output=True, text=True, env=minimal_env())
    if probe.returncode != 0:
        detail = " ".join((probe.stderr or "").split())[:200]
        return (f"no sandbox: bubblewrap cannot create namespaces here ({detail}); enable unprivileged user namespaces "
                "(sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0), "
                "or pass --no-sandbox where the machine itself is the sandbox (e.g. a Kubernetes pod)")
    return None


def pids_hierarchies(mountinfo: str, cgroups: str) -> list[tuple[int, str]]:
    """This process's own cgroup folder in each mounted hierarchy that has the pids controller, as
    (cgroup version, folder): v1's ``pids`` hierarchy first, then v2's unified one (whether v2 offers
    pids there is read later). From the texts of /proc/self/mountinfo and /proc/self/cgroup."""
    own = {}
    for line in cgroups.splitlines():
        number, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        for name in controllers.split(",") if number != "0" else ("",):
            own[name] = path
    found = []
    for line in mountinfo.splitlines():
        before, _, after = line.partition(" - ")
        mount, fs = before.split(), after.split()
        if len(mount) < 5 or len(fs) < 3:
            continue
        root, point, fstype, options = mount[3], mount[4], fs[0], fs[2].split(",")
        version, key = (1, "pids") if fstype == "cgroup" and "pids" in options else (2, "") if fstype == "cgroup2" else (0, None)
        path = own.get(key) if version else None
        if path is None:
            continue
        inside = path if root == "/" else path[len(root):] if path == root or path.startswith(root + "/") else None
        if inside is not None:
            found.append((version, os.path.normpath(point + "/" + inside.lstrip("/"))))
    return sorted(found)


def make_run_cgroup() -> str:
    """A new, empty pids cgroup for one grading run (a folder in this process's own pids cgroup).
    Raises OSError, saying why, where there is no pids cgroup this process may write."""
    try:
        with open("/proc/self/mountinfo") as mountinfo, open("/proc/self/cgroup") as cgroups:
            candidates = pids_hierarchies(mountinfo.read(), cgroups.read())
    except OSError:
        candidates = []
    why = "no pids cgroup hierarchy is mounted"
    for version, parent in candidates:
        try:
            if version == 2:
                with open(os.path.join(parent, "cgroup.controllers")) as controllers:
                    if "pids" not in controllers.read().split():
                        raise OSError(f"cgroup v2 at {parent} does not offer the pids controller")
                _enable_pids(parent)
            path = tempfile.mkdtemp(prefix="dlweek8-run-", dir=parent)
        except OSError as exc:
            why = str(exc)
            continue
        try:
            if version == 2:
                _enable_pids(path)
            probe = os.path.join(path, "probe")
            os.mkdir(probe)
            with open(os.path.join(probe, "pids.max"), "w") as limit:
                limit.write("1")
            os.rmdir(probe)
            return path
        except OSError as exc:
            why = f"{parent}: {exc}"
            remove_cgroup(path)
    raise OSError(why)


def _enable_pids(folder: str) -> None:
    """cgroup v2: the folder's children get the pids controller (a no-op where they have it)."""
    control = os.path.join(folder, "cgroup.subtree_control")
    with open(control) as enabled:
        if "pids" in enabled.read().split():
            return
    with open(control, "w") as enable:
        enable.write("+pids")


def remove_cgroup(path: str, seconds: float = 5.0) -> bool:
    """Remove a cgroup folder and the folders in it, deepest first, retrying while their last processes
    end; True when it is gone."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            for folder, _, _ in sorted(os.walk(path), key=lambda entry: -len(entry[0])):
                os.rmdir(folder)
            return True
        except FileNotFoundError:
            if not os.path.exists(path):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)


class Channel:
    """One submission's pipes, as the grader holds them: ``events`` to read, the lifeline to close."""

    def __init__(self, events: int, lifeline: int):
        self.events, self.lifeline = events, lifeline

    def kill(self) -> None:
        """Closing the lifeline makes the supervisor kill the submission's PID 1, and its namespace with it."""
        for name in ("lifeline", "events"):
            fd = getattr(self, name)
            if fd is not None:
                setattr(self, name, None)
                try:
                    os.close(fd)
                except OSError:
                    pass


class Template:
    """The template process (inside bwrap unless ``confine`` is off); :meth:`spawn` is thread-safe."""

    def __init__(self, modules, confine: bool = True, tmp_mb: int = 512):
        self.confine = confine
        #: The run's pids cgroup; ``notice`` says, in one line, why the process limit is RLIMIT_NPROC alone.
        self.pids_cgroup, self.notice = None, None
        if confine and os.geteuid() == 0:  # RLIMIT_NPROC does not bind root
            try:
                self.pids_cgroup = make_run_cgroup()
            except OSError as exc:
                self.notice = (f"the process limit is not enforced: the grader runs as root, which the kernel exempts from "
                               f"RLIMIT_NPROC, and no pids cgroup can be made here ({exc})")
                print(f"grade: {self.notice}", file=sys.stderr)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = template_command(confine, theirs.fileno(), modules, self.pids_cgroup is not None)
        if confine:
            command = [*bwrap_args(tmp_mb, self.pids_cgroup), "--", *command]
        env = minimal_env()
        if not confine:
            env["HOME"] = os.environ.get("TMPDIR", "/tmp")
        try:
            self.process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                            cwd="/" if confine else None)
        except BaseException:
            if self.pids_cgroup is not None:
                remove_cgroup(self.pids_cgroup)
            raise
        theirs.close()
        self.control = ours
        self._lock = threading.Lock()
        ours.settimeout(300)
        try:
            ready = ours.recv(16)
        except OSError:
            ready = b""
        ours.settimeout(None)
        if ready != b"ready":
            self.close()
            raise RuntimeError("the grading sandbox did not start" + ("" if confine else " (without a sandbox)"))

    def spawn(self, job: dict, request: dict) -> Channel:
        """Start one submission process with ``job``; return its channel (the job is written in the background)."""
        job_r, job_w = os.pipe()
        events_r, events_w = os.pipe()
        life_r, life_w = os.pipe()
        try:
            with self._lock:
                socket.send_fds(self.control, [json.dumps(request).encode()], [job_r, events_w, life_r])
        finally:
            for fd in (job_r, events_w, life_r):
                os.close(fd)
        data = json.dumps(job).encode()
        threading.Thread(target=_write_all, args=(job_w, data), daemon=True, name="dlweek8-job").start()
        return Channel(events_r, life_w)

    def close(self) -> None:
        try:
            self.control.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.pids_cgroup is not None and remove_cgroup(self.pids_cgroup):
            self.pids_cgroup = None


def _write_all(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        pass  # the submission process ended before reading its job
    finally:
        os.close(fd)
