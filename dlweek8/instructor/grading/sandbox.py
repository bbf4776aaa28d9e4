"""One bubblewrap sandbox per grading run, and one set of fresh namespaces per submission inside it.

The grader starts :mod:`dlweek8.confined` as a *template* inside ``bwrap`` (the Debian package
``bubblewrap``): no network, its own PID/IPC/UTS/user namespaces, a read-only view of the
Python environment and of the student part of the package (``dlweek8/instructor/`` is an empty
folder there), an empty private ``/tmp`` and HOME, a minimal environment, ``--die-with-parent``.
It sees no submission folder, no ``solutions/``, no ``--out`` folder. Each submission is a fork
of the template that enters namespaces of its own (see :mod:`dlweek8.confined`), so it sees
neither the grader nor any classmate, and the grader can kill everything it started at once.

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
import threading
from pathlib import Path

import dlweek8

#: Read-only system folders the interpreter and its libraries need (those that exist).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: Files of /etc that libraries read (dynamic linker, time zone, fonts, certificates); nothing else of /etc.
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/fonts", "/etc/ssl/certs",
             "/etc/nsswitch.conf", "/etc/mime.types")
HOME = "/tmp/home"


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
    """The interpreter's prefixes and sys.path folders (the venv, site-packages), parents first; never a
    folder that holds the project (of which only the package itself is shown)."""
    project = str(Path(dlweek8.__file__).resolve().parent.parent)
    found: list[str] = []
    for path in sorted({os.path.abspath(p) for p in (sys.base_prefix, sys.prefix, *sys.path) if p and os.path.isdir(p)}, key=len):
        if project == path or project.startswith(path.rstrip(os.sep) + os.sep):
            continue
        if not any(path == d or path.startswith(d + os.sep) for d in found):
            found.append(path)
    return found


def bwrap_args(tmp_mb: int = 512) -> list[str]:
    """bwrap's arguments: namespaces, the read-only views, the private /tmp; then the command follows."""
    args = ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-add", "ALL",
            "--hostname", "grading"]
    # The private /tmp comes first, so that a venv or a project that lives under /tmp (a CI clone)
    # is bound on top of it rather than hidden by it.
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
    package = Path(dlweek8.__file__).resolve().parent
    args += ["--ro-bind", str(package), str(package)]
    instructor = package / "instructor"
    if instructor.exists():
        args += ["--tmpfs", str(instructor), "--remount-ro", str(instructor)]
    args += ["--chdir", "/tmp"]
    return args


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
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = [sys.executable, "-m", "dlweek8.confined", str(theirs.fileno()), *(["--confine"] if confine else []), *modules]
        if confine:
            command = [*bwrap_args(tmp_mb), "--", *command]
        env = minimal_env()
        if not confine:
            env["HOME"] = os.environ.get("TMPDIR", "/tmp")
        self.process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                        cwd="/" if confine else None)
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


def _write_all(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        pass  # the submission process ended before reading its job
    finally:
        os.close(fd)
