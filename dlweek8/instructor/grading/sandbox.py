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
as root makes one pids cgroup for the run (:func:`make_run_cgroup`). Memory: RLIMIT_AS bounds
each process, not a submission's many processes and the files it keeps in its tmpfs, so wherever
a memory cgroup is writable (root, or a delegated v2 cgroup) the run gets one too, and each
submission a folder of it whose limit is :func:`submission_memory_mb` (its processes and its
tmpfs together; :func:`memory_bound` says which bound applied, for ``run.json``). The sandbox sees
each run cgroup at one of :data:`CGROUP_MOUNTS`; each submission moves into its own folder of
each before any of its code runs (the kernel enforces them for root too); then it unmounts them.

The job goes in, and one stream of events comes out (the messages of :mod:`dlweek8.protocol`), through pipes whose ends are passed
over a Unix socket (``SCM_RIGHTS``); nothing is shared on disk.

In a Kubernetes grading pod (``k8s-job``) the template is not started here: it is the pod's kernel
container (:func:`dlweek8.confined.listen`, the class's student image), and :class:`RemoteTemplate`
reaches it through the Unix socket it binds on the one volume the two containers share, then sends
the same requests as :class:`Template`. The submission then runs in a container that holds no part of
the instructor package and mounts neither the submissions nor the results.
"""

from __future__ import annotations

import functools
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
from dlweek8 import confined, protocol

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
#: Where the sandbox sees the run's cgroups, one per hierarchy (each submission process unmounts them from its own view).
CGROUP_MOUNTS = ("/run/dlweek8-cgroup-0", "/run/dlweek8-cgroup-1")


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


def bwrap_args(tmp_mb: int = 512, cgroups=()) -> list[str]:
    """bwrap's arguments: namespaces, the read-only views, the template's /tmp (no submission sees it:
    each mounts its own), the run's cgroup folders (if any) at :data:`CGROUP_MOUNTS`, then the root,
    /dev and every bind read-only; the command follows."""
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
    for folder, mount in zip(cgroups, CGROUP_MOUNTS[:len(cgroups)], strict=True):
        args += ["--bind", folder, mount]
    args += ["--dir", WORKDIR, "--dir", STAGE, "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", WORKDIR]
    return args


def template_command(confine: bool, control_fd: int, modules, cgroups: int = 0) -> list[str]:
    """The template's command: confined, ``python -I`` (no working directory, PYTHONPATH or user site on
    sys.path) importing ``dlweek8`` from the package's known folder, first on sys.path; ``cgroups``: how
    many of :data:`CGROUP_MOUNTS` hold a run cgroup."""
    options = [*(["--confine"] if confine else []), *(f"--cgroup={mount}" for mount in CGROUP_MOUNTS[:cgroups])]
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


def cgroup_hierarchies(mountinfo: str, cgroups: str, controller: str = "pids") -> list[tuple[int, str]]:
    """This process's own cgroup folder in each mounted hierarchy that may have ``controller``, as
    (cgroup version, folder): v1's hierarchy of that controller first, then v2's unified one (whether
    v2 offers the controller there is read later). From the texts of /proc/self/mountinfo and /proc/self/cgroup."""
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
        version, key = (1, controller) if fstype == "cgroup" and controller in options else (2, "") if fstype == "cgroup2" else (0, None)
        path = own.get(key) if version else None
        if path is None:
            continue
        inside = path if root == "/" else path[len(root):] if path == root or path.startswith(root + "/") else None
        if inside is not None:
            found.append((version, os.path.normpath(point + "/" + inside.lstrip("/"))))
    return sorted(found)


#: The file that sets each controller's limit, in cgroup v1 and v2 (the probe writes it).
LIMIT_FILES = {"pids": ("pids.max", "pids.max"), "memory": ("memory.limit_in_bytes", "memory.max")}


def make_run_cgroup(controller: str = "pids", shared: str | None = None) -> str:
    """A new, empty cgroup with ``controller`` for one grading run (a folder in this process's own
    cgroup of that controller). ``shared``: a run cgroup already made in a v2 hierarchy; there it gets
    this controller too (a process is in one v2 cgroup). Raises OSError, saying why, where there is no
    such cgroup this process may write."""
    try:
        with open("/proc/self/mountinfo") as mountinfo, open("/proc/self/cgroup") as cgroups:
            candidates = cgroup_hierarchies(mountinfo.read(), cgroups.read(), controller)
    except OSError:
        candidates = []
    whys = [f"no {controller} cgroup hierarchy is mounted"] if not candidates else []
    for version, parent in candidates:
        reuse = version == 2 and shared is not None and os.path.dirname(shared) == parent
        try:
            if version == 2:
                with open(os.path.join(parent, "cgroup.controllers")) as controllers:
                    if controller not in controllers.read().split():
                        raise OSError(f"cgroup v2 at {parent} does not offer the {controller} controller")
                _enable(parent, controller)
            path = shared if reuse else tempfile.mkdtemp(prefix="dlweek8-run-", dir=parent)
        except OSError as exc:
            whys.append(str(exc))
            continue
        try:
            if version == 2:
                _enable(path, controller)
            probe = os.path.join(path, "probe")
            os.mkdir(probe)
            try:
                with open(os.path.join(probe, LIMIT_FILES[controller][version - 1]), "w") as limit:
                    limit.write("1" if controller == "pids" else str(64 * 2**20))
            finally:
                os.rmdir(probe)
            return path
        except OSError as exc:
            whys.append(f"{parent}: {exc}")
            if not reuse:
                remove_cgroup(path)
    raise OSError("; ".join(whys))


def _enable(folder: str, controller: str) -> None:
    """cgroup v2: the folder's children get ``controller`` (a no-op where they have it)."""
    control = os.path.join(folder, "cgroup.subtree_control")
    with open(control) as enabled:
        if controller in enabled.read().split():
            return
    with open(control, "w") as enable:
        enable.write(f"+{controller}")


def submission_memory_mb(limits) -> int:
    """What one submission may hold in a memory cgroup, in MB (:func:`dlweek8.confined.submission_memory_bytes`)."""
    return confined.submission_memory_bytes(limits.start()) // 2**20


def memory_bound(limits, template: Template | RemoteTemplate) -> dict:
    """Which bound held each submission's memory, with the numbers in MB (for ``run.json``)."""
    if isinstance(template, RemoteTemplate):
        return {"bound": "the kernel container's memory limit (k8s-job): all of the submission's processes together, and RLIMIT_AS per process",
                "process_mb": limits.memory_mb}
    if "memory" in template.cgroups:
        return {"bound": f"memory cgroup v{template.cgroup_version('memory')}: one per submission, its processes and its tmpfs together",
                "submission_mb": submission_memory_mb(limits)}
    fallback = {"process_mb": limits.memory_mb, "processes": limits.processes}
    if not template.confine:
        return {"bound": "RLIMIT_AS per process x the process limit (no sandbox, no tmpfs)",
                "submission_mb": limits.memory_mb * limits.processes, **fallback}
    return {"bound": f"RLIMIT_AS per process x the process limit, plus the tmpfs (no memory cgroup: {template.why.get('memory', 'not asked for')})",
            "submission_mb": limits.memory_mb * limits.processes + limits.tmp_mb + confined.SHM_MB, **fallback,
            "tmp_mb": limits.tmp_mb, "shm_mb": confined.SHM_MB}


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
    """The template process (inside bwrap unless ``confine`` is off); :meth:`spawn` is thread-safe.
    ``memory_cgroup=False`` leaves memory to RLIMIT_AS alone (to see what the cgroup protects)."""

    def __init__(self, modules, confine: bool = True, tmp_mb: int = 512, memory_cgroup: bool = True):
        self.confine = confine
        #: The run's cgroups (controller -> folder; one folder may serve two in cgroup v2), and why one is missing.
        self.cgroups: dict[str, str] = {}
        self.why: dict[str, str] = {}
        #: One line saying why the process limit is RLIMIT_NPROC alone, or None.
        self.notice = None
        wanted = (["pids"] if os.geteuid() == 0 else []) + (["memory"] if memory_cgroup else [])  # RLIMIT_NPROC does not bind root
        for controller in wanted if confine else ():
            shared = next((p for p in self.cgroups.values() if os.path.exists(os.path.join(p, "cgroup.controllers"))), None)
            try:
                self.cgroups[controller] = make_run_cgroup(controller, shared)
            except OSError as exc:
                self.why[controller] = str(exc)
        if "pids" in self.why:
            self.notice = (f"the process limit is not enforced: the grader runs as root, which the kernel exempts from "
                           f"RLIMIT_NPROC, and no pids cgroup can be made here ({self.why['pids']})")
            print(f"grade: {self.notice}", file=sys.stderr)
        folders = list(dict.fromkeys(self.cgroups.values()))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = template_command(confine, theirs.fileno(), modules, len(folders))
        if confine:
            command = [*bwrap_args(tmp_mb, folders), "--", *command]
        env = minimal_env()
        if not confine:
            env["HOME"] = os.environ.get("TMPDIR", "/tmp")
        try:
            self.process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                            cwd="/" if confine else None)
        except BaseException:
            self._remove_cgroups()
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

    @property
    def pids_cgroup(self) -> str | None:
        return self.cgroups.get("pids")

    def cgroup_version(self, controller: str) -> int:
        return 2 if os.path.exists(os.path.join(self.cgroups[controller], "cgroup.controllers")) else 1

    def _remove_cgroups(self) -> None:
        for controller, folder in list(self.cgroups.items()):
            if remove_cgroup(folder):
                del self.cgroups[controller]

    def spawn(self, job: bytes, start: protocol.Start) -> Channel:
        """Start one submission process as ``start`` asks, with ``job`` (an encoded :class:`dlweek8.protocol.Job`);
        return its channel (the job is written in the background)."""
        job_r, job_w = os.pipe()
        events_r, events_w = os.pipe()
        life_r, life_w = os.pipe()
        try:
            with self._lock:
                socket.send_fds(self.control, [protocol.encode(start)], [job_r, events_w, life_r])
        finally:
            for fd in (job_r, events_w, life_r):
                os.close(fd)
        threading.Thread(target=_write_all, args=(job_w, job), daemon=True, name="dlweek8-job").start()
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
        self._remove_cgroups()


def _write_all(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        pass  # the submission process ended before reading its job
    finally:
        os.close(fd)


#: Seconds the grader waits for the kernel container's socket and its ``ready``; and for the kernel to take one request.
KERNEL_STARTUP_S, KERNEL_REQUEST_S = 300.0, 60.0


class RemoteTemplate:
    """The template of a pod's kernel container (:func:`dlweek8.confined.listen`), reached through its Unix socket
    at ``path``: waits up to ``startup_s`` for the socket and the template's ``ready``, then speaks as to a
    :class:`Template` (each spawn, a restart after a time-out included, is one request). The kernel imports what its
    own command names; it confines nothing (its container is the sandbox) and makes no cgroup."""

    confine = False
    spawn = Template.spawn  # the same requests on the same kind of socket

    def __init__(self, path: str, startup_s: float | None = None):
        startup_s = KERNEL_STARTUP_S if startup_s is None else startup_s
        self.path, self.cgroups, self.why, self.notice = path, {}, {}, None
        self.control = connect_kernel(path, startup_s)
        self._lock = threading.Lock()
        try:
            ready = self.control.recv(16)
        except OSError:
            ready = b""
        if ready != b"ready":
            self.close()
            raise OSError(f"the kernel container at {path} did not say it was ready within {startup_s:g} s")
        self.control.settimeout(KERNEL_REQUEST_S)  # a kernel that stops taking requests cannot hold the grader

    def close(self) -> None:
        """Hang up: the kernel container kills what is left of the submission and ends."""
        try:
            self.control.close()
        except OSError:
            pass


def connect_kernel(path: str, startup_s: float | None = None) -> socket.socket:
    """A connection to the kernel container's socket, waiting up to ``startup_s`` (default :data:`KERNEL_STARTUP_S`) for it
    to be made (raises OSError, saying why)."""
    startup_s = KERNEL_STARTUP_S if startup_s is None else startup_s
    deadline = time.monotonic() + startup_s
    while True:
        control = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            control.settimeout(max(1.0, deadline - time.monotonic()))
            control.connect(path)
            return control
        except OSError as exc:
            control.close()
            if time.monotonic() >= deadline:
                raise OSError(f"no kernel container answered at {path} within {startup_s:g} s ({exc.strerror or type(exc).__name__})") from exc
            time.sleep(0.1)


def release_kernel(path: str, startup_s: float | None = None) -> None:
    """Connect, wait for the template's ``ready`` and hang up, so that a kernel container given nothing to run ends (best effort)."""
    try:
        with connect_kernel(path, startup_s) as control:
            control.recv(16)
    except OSError:
        pass
