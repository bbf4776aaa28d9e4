"""Runs a submission's cells inside the grader's sandbox and reports one bounded stream of events.

This is student-side code (it ships with the package) because the sandbox the grader builds
(:mod:`dlweek8.instructor.grading.sandbox`) shows the package *without* ``dlweek8/instructor/``:
nothing here knows a reference, a hidden probe or another submission.

Three processes, all started inside one bubblewrap sandbox per grading run:

- the **template** (:func:`serve`) imports the assignment's heavy modules once (torch, numpy,
  IPython, dlweek8) and never runs a cell. For each :class:`~dlweek8.protocol.Start` request that arrives
  on its control socket (with three pipe ends attached) it forks
- a **supervisor** (:func:`_supervise`), which, when confining, enters new PID, mount, network,
  IPC and UTS namespaces and forks
- the **submission process** (:func:`_run`): PID 1 of its own namespace, with a fresh ``/proc``
  that shows only itself, a private size-capped tmpfs at ``/tmp`` (HOME lives there) and its own
  ``/dev/shm``, a read-only empty working folder (the root, ``/etc``, ``/run`` and ``/dev`` are
  read-only), no capabilities, ``no_new_privs``, resource limits, stdout and stderr on
  ``/dev/null``. It reads the job (cells and questions) from its job pipe, runs the cells in an
  IPython shell, reads each answer (:mod:`dlweek8.kernel_side`) and writes one event per line
  on its result pipe.

The grader may show the sandbox cgroups of the run at ``--cgroup=FOLDER`` (a pids cgroup when it
runs as root, which the kernel exempts from RLIMIT_NPROC; a memory cgroup wherever one is
writable): the supervisor makes a folder in each whose limits are the process limit and
:func:`submission_memory_bytes`, and the submission process, still privileged and before any of
its code runs, moves into them and unmounts them, so that its code cannot raise the limits (it is
still root, without capabilities). When the memory cgroup's limit is reached, the supervisor
kills the whole submission (cgroup v1: an OOM eventfd; v2: ``memory.oom.group``) and says so with
its exit (:class:`~dlweek8.protocol.Exited` with ``out_of_memory``). It removes the folders when it ended.

The supervisor lives outside the submission's PID namespace, where its code cannot reach: when
the grader closes the lifeline pipe (time is up, or the grader ended), it kills the submission's
PID 1, and with it every process of that namespace, detached or not. When the submission process
ends by itself, the supervisor writes :class:`~dlweek8.protocol.Exited` on the result pipe.

The job and the events are the messages of :mod:`dlweek8.protocol`, one JSON line each: a
:class:`~dlweek8.protocol.CellStarted` when a cell starts, a :class:`~dlweek8.protocol.CellRaised`
when a student cell raised, a :class:`~dlweek8.protocol.Reply` per question, a
:class:`~dlweek8.protocol.SetupFailed`, :class:`~dlweek8.protocol.Done` at the end, and the
supervisor's :class:`~dlweek8.protocol.Exited`. A job of another protocol version (or no job) gets
one :class:`~dlweek8.protocol.Refused` saying why, and runs nothing.

    python -m dlweek8.confined CONTROL_FD [--confine] [--cgroup=FOLDER]... MODULE...   # the template (see sandbox.py)

**The kernel container** of a Kubernetes grading pod (``k8s-job``) runs the template on its own, in
the class's student image, beside the grader's container: :func:`listen` binds a Unix socket on the
one volume the two containers share, accepts exactly one connection (the grader's), and serves it
unconfined (the container is the sandbox). It refuses to start where ``dlweek8.instructor`` can be
imported, and, as PID 1 of its container, it ends as soon as the grader hangs up, without waiting
for what a submission left running (leaving the container ends every process in it):

    python -I -m dlweek8.confined --listen=SOCKET [--accept-timeout=SECONDS] MODULE...
"""

from __future__ import annotations

import ctypes
import dataclasses
import importlib
import os
import resource
import select
import shutil
import signal
import socket
import sys
import time

from dlweek8 import protocol

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x4000000, 0x8000000, 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT, _MS_BIND, _MS_MOVE, _MS_REC, _MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 8192, 16384, 1 << 18)
#: Every submission's working directory (empty, on the sandbox's read-only root) and where its own tmpfs
#: is prepared before it is moved onto /tmp (the same paths as in the grader's sandbox.py).
WORKDIR, STAGE = "/grading", "/run/dlweek8-stage"
#: Size of each submission's own /dev/shm.
SHM_MB = 64
_PR_SET_PDEATHSIG, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT = 1, 24, 38, 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_MNT_DETACH = 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

#: Imported by every template: the shell that runs the cells, numpy, and the package's reading side.
BASE_MODULES = ("IPython.core.interactiveshell", "numpy", "dlweek8", "dlweek8.kernel_side", "dlweek8.plain", "dlweek8.untrusted")

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _die_with_parent(signum: int = signal.SIGKILL) -> None:
    _libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)


# -- the template ------------------------------------------------------------------------------------


def _preload(modules) -> None:
    """Import the basics and ``modules``, and build the shell each submission gets a copy of."""
    for name in (*BASE_MODULES, *modules):
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - a module that fails here fails the same way in the cells
            pass
    _shell()  # built once; each submission gets a copy of a shell that has run nothing
    os.makedirs(os.environ.get("HOME", "/tmp/home"), exist_ok=True)


def serve(control_fd: int, modules, confine: bool, cgroup_mounts=(), keep=(), container: bool = False) -> None:
    """Import ``modules``, say ``ready``, then fork one supervisor per request on the control socket
    (``cgroup_mounts``: where the run's cgroups are mounted, if the grader made any; ``keep``: the
    read-only binds under /tmp that each submission re-binds on its own /tmp). When the grader hangs
    up it waits for its children. As a pod's kernel ``container`` (PID 1 of its own PID namespace) it
    does not: every process a submission left is reparented to it, and its leaving ends them all. Nor
    does it set RLIMIT_NPROC there: that counts the processes of the container's user on the whole
    node (other pods' included), not the pod's; the pod's pids limit bounds them."""
    _die_with_parent()
    _preload(modules)
    control = socket.socket(fileno=control_fd)
    control.sendall(b"ready")
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 16, 3)
        except OSError:
            message, fds = b"", []
        if not message:
            _reap(block=not container)  # the grader is done: every submission's lifeline is closed
            return
        if len(fds) == 3:
            pid = os.fork()
            if pid == 0:
                control.close()
                start = _start_request(message, fds[1])
                if container:
                    start = dataclasses.replace(start, processes=0)
                _supervise(start, *fds, confine=confine, cgroup_mounts=cgroup_mounts, keep=keep)
        for fd in fds:
            os.close(fd)
        _reap()


def _start_request(message: bytes, out_fd: int) -> protocol.Start:
    """The grader's :class:`~dlweek8.protocol.Start`; for anything else (another protocol version), one
    :class:`~dlweek8.protocol.Refused` on the result pipe, and this supervisor ends."""
    try:
        start = protocol.decode(message)
        if not isinstance(start, protocol.Start):
            raise protocol.Unreadable(f"a {type(start).__name__} message where a start request belongs")
        return start
    except protocol.Unreadable as exc:
        _write(out_fd, protocol.encode(protocol.Refused(f"the sandbox refused to start the submission: {exc}")))
        os._exit(0)


def _reap(block: bool = False) -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# -- the supervisor ----------------------------------------------------------------------------------


def submission_memory_bytes(start: protocol.Start) -> int:
    """One submission's memory in its cgroup: a process's address space (RLIMIT_AS) plus its /tmp and
    /dev/shm (tmpfs pages count against the cgroup of the process that wrote them)."""
    return (start.memory_bytes or 2**31) + (start.tmp_mb + SHM_MB) * 2**20


def _supervise(start: protocol.Start, job_fd: int, out_fd: int, life_fd: int, confine: bool, cgroup_mounts=(), keep=()) -> None:
    """Start the submission process; kill it (and its namespace) when the lifeline closes, or when its
    memory cgroup ran out. Never returns.

    Without confinement the submission's HOME is a folder made here and removed when it ends (confined,
    HOME lives on the submission's own tmpfs, which goes with its namespace)."""
    home, folders = None, []
    try:
        _die_with_parent()
        os.setsid()
        if confine:
            _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
            for mount in cgroup_mounts:
                folders.append(_CgroupFolder(mount, start.processes, submission_memory_bytes(start)))
        else:
            import tempfile

            home = tempfile.mkdtemp(prefix="dlweek8-submission-")
        pid = os.fork()
        if pid == 0:
            os.close(life_fd)
            _run(start, job_fd, out_fd, confine, home, folders, keep)
        os.close(job_fd)
        watch = os.pidfd_open(pid)
        alarms = [fd for fd in (folder.oom_alarm for folder in folders) if fd is not None]
        ready, _, _ = select.select([life_fd, watch, *alarms], [], [])
        if not set(ready) & {watch}:
            _kill(pid, confine)
        _, status = os.waitpid(pid, 0)
        if not confine:
            _kill(pid, confine)  # what it left in its session
        out_of_memory = any(folder.ran_out_of_memory() for folder in folders)
        _write(out_fd, protocol.encode(protocol.Exited(os.waitstatus_to_exitcode(status), out_of_memory)))
    except BaseException as exc:  # noqa: BLE001 - tell the grader, whatever happened
        try:
            _write(out_fd, protocol.encode(protocol.SetupFailed(f"the sandbox could not start the submission ({type(exc).__name__}: {exc})")))
        except BaseException:  # noqa: BLE001
            pass
    finally:
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)
        for folder in folders:
            folder.remove()
        os._exit(0)


def _kill(pid: int, confine: bool) -> None:
    """PID 1 of a namespace takes every process of it along; without one, its session is the best we have."""
    for kill, target in ((os.kill, pid), (os.killpg, pid)) if not confine else ((os.kill, pid),):
        try:
            kill(target, signal.SIGKILL)
        except OSError:
            pass


# -- the submission process -------------------------------------------------------------------------


def _run(start: protocol.Start, job_fd: int, out_fd: int, confine: bool, home: str | None = None, folders=(), keep=()) -> None:
    """Confine this process, read the job, run it, report. Never returns."""
    try:
        _die_with_parent()
        for folder in folders:
            folder.join()
        if confine:
            _enter_namespaces(start.tmp_mb, keep)
            home = "/tmp/home"
            os.chdir(WORKDIR)  # read-only and empty
        else:
            os.setsid()
            work = os.path.join(home, "work")
            os.makedirs(work, exist_ok=True)
            os.chdir(work)
        os.environ["HOME"] = home
        os.environ["TMPDIR"] = home if not confine else "/tmp"
        _limit(start)
        _to_devnull((0, 1, 2))
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
        os.set_inheritable(out_fd, False)
        execute(_read_all(job_fd), lambda line: _write(out_fd, line))
    except BaseException as exc:  # noqa: BLE001 - the grader gets a line whatever happens
        try:
            _write(out_fd, protocol.encode(protocol.SetupFailed(f"{type(exc).__name__} in the sandboxed runner")))
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(0)


class _CgroupFolder:
    """One submission's folder in one of the run's cgroups: the supervisor makes it (with the process
    limit and the memory limit, as far as the controllers there offer them) and removes it; the
    submission process joins it."""

    def __init__(self, mount: str, processes: int, memory_bytes: int):
        self.mount, self.name = mount, f"submission-{os.getpid()}"
        self.fd = os.open(mount, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)  # the supervisor's way in once it is unmounted
        self.oom_alarm = None
        try:
            os.mkdir(self.name, dir_fd=self.fd)
        except FileExistsError:
            pass
        folder = os.open(self.name, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self.fd)
        try:
            names = set(os.listdir(folder))
        finally:
            os.close(folder)
        if processes and "pids.max" in names:
            self._write("pids.max", str(processes))
        if "memory.limit_in_bytes" in names:  # cgroup v1: the limit, no swap, and an eventfd told of every OOM kill
            self._write("memory.limit_in_bytes", str(memory_bytes))
            self._try_write(names, "memory.memsw.limit_in_bytes", str(memory_bytes))
            self._alarm_on_oom()
        elif "memory.max" in names:  # cgroup v2: the limit, no swap, and an OOM kills the whole folder
            self._write("memory.max", str(memory_bytes))
            self._try_write(names, "memory.swap.max", "0")
            self._try_write(names, "memory.oom.group", "1")

    def _try_write(self, names: set, file: str, text: str) -> None:
        """Where the kernel offers it (no swap accounting, an older v2): the limit alone still holds."""
        if file in names:
            try:
                self._write(file, text)
            except OSError:
                pass

    def _alarm_on_oom(self) -> None:
        """cgroup v1: an eventfd the kernel signals on every OOM in the folder (without it, the killed process
        alone goes, and the exit still says the submission ran out)."""
        alarm = os.eventfd(0, os.EFD_CLOEXEC)
        try:
            control = os.open(f"{self.name}/memory.oom_control", os.O_RDONLY | os.O_CLOEXEC, dir_fd=self.fd)
            try:
                self._write("cgroup.event_control", f"{alarm} {control}")
            finally:
                os.close(control)
        except OSError:
            os.close(alarm)
            return
        self.oom_alarm = alarm

    def _write(self, file: str, text: str) -> None:
        fd = os.open(f"{self.name}/{file}", os.O_WRONLY, dir_fd=self.fd)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)

    def join(self) -> None:
        """In the submission process, while privileged: move in, then unmount the cgroup (this mount
        namespace is the supervisor's and the submission's alone), so its code cannot reach the limits."""
        self._write("cgroup.procs", "0")
        _check(_libc.umount2(self.mount.encode(), _MNT_DETACH), f"umount {self.mount}")
        os.close(self.fd)
        if self.oom_alarm is not None:
            os.close(self.oom_alarm)

    def ran_out_of_memory(self) -> bool:
        """Whether the kernel killed a process of this folder for memory (v1 ``memory.oom_control``, v2 ``memory.events``)."""
        for file in ("memory.oom_control", "memory.events"):
            try:
                fd = os.open(f"{self.name}/{file}", os.O_RDONLY, dir_fd=self.fd)
            except OSError:
                continue
            try:
                counts = dict(line.split()[:2] for line in os.read(fd, 4096).decode().splitlines() if len(line.split()) >= 2)
            finally:
                os.close(fd)
            return int(counts.get("oom_kill", "0")) > 0
        return False

    def remove(self, seconds: float = 5.0) -> None:
        """Remove the folder, retrying while the submission's last processes end."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                os.rmdir(self.name, dir_fd=self.fd)
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() >= deadline:
                    break  # the grader removes it with the run's cgroup
                time.sleep(0.01)
        os.close(self.fd)
        if self.oom_alarm is not None:
            os.close(self.oom_alarm)


def _mount(source, target: str, fstype, flags: int, data, what: str) -> None:
    _check(_libc.mount(source.encode() if source else None, target.encode(), fstype, flags, data), what)


def _enter_namespaces(tmp_mb: int, keep=()) -> None:
    """PID 1 of fresh namespaces: own /proc; its own size-capped tmpfs on /tmp (HOME inside), on which
    the read-only binds of ``keep`` (a venv or the package under /tmp) are bound again; its own /dev/shm;
    a hostname; then no privileges at all. The root, /etc, /run and /dev stay read-only."""
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE, None, "mount --make-rprivate /")
    _mount("proc", "/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None, "mount /proc")
    _mount("tmpfs", STAGE, b"tmpfs", _MS_NOSUID | _MS_NODEV, f"size={int(tmp_mb)}m,mode=1777".encode(), f"mount {STAGE}")
    done: list[str] = []
    for path in sorted(keep, key=len):
        if any(path.startswith(d + "/") for d in done) or not path.startswith("/tmp/"):
            continue
        target = STAGE + path[len("/tmp"):]
        os.makedirs(target, exist_ok=True)
        _mount(path, target, None, _MS_BIND | _MS_REC, None, f"bind {path}")
        _mount(None, target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, None, f"read-only {path}")
        done.append(path)
    os.makedirs(STAGE + "/home", exist_ok=True)
    _mount(STAGE, "/tmp", None, _MS_MOVE, None, "move the submission's tmpfs onto /tmp")
    _mount("tmpfs", "/dev/shm", b"tmpfs", _MS_NOSUID | _MS_NODEV, f"size={SHM_MB}m,mode=1777".encode(), "mount /dev/shm")
    _libc.sethostname(b"submission", len(b"submission"))
    _drop_privileges()


def _drop_privileges() -> None:
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    for cap in range(64):
        if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(_libc.capset(header, data), "capset")


def _limit(start: protocol.Start) -> None:
    """Resource limits: memory (address space), CPU seconds, processes, file size, open files, no core dumps."""
    names = {"memory_bytes": resource.RLIMIT_AS, "cpu_seconds": resource.RLIMIT_CPU, "processes": resource.RLIMIT_NPROC,
             "file_bytes": resource.RLIMIT_FSIZE, "open_files": resource.RLIMIT_NOFILE}
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for key, which in names.items():
        value = getattr(start, key)
        if value:
            resource.setrlimit(which, (value, value))


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            os.close(fd)
            return b"".join(chunks)
        chunks.append(chunk)


def _write(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


# -- running the cells ------------------------------------------------------------------------------

_SHELL = None


def _shell():
    """One IPython shell (history off), made in the template so each submission starts from a copy."""
    global _SHELL
    if _SHELL is None:
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.enabled = False
        _SHELL = InteractiveShell.instance(config=config)
    return _SHELL


def execute(job: bytes, send) -> None:
    """Run the cells of ``job`` (an encoded :class:`~dlweek8.protocol.Job`) in order; ``send`` each event
    as an encoded line (see the module docstring). A job this sandbox cannot read is refused, with the reason."""
    try:
        message = protocol.decode(job, limit=protocol.MAX_JOB_BYTES)
        if not isinstance(message, protocol.Job):
            raise protocol.Unreadable(f"a {type(message).__name__} message instead of a job")
    except protocol.Unreadable as exc:
        send(protocol.encode(protocol.Refused(f"the sandbox refused the job: {exc}")))
        return
    shell = _shell()
    for cell in message.cells:
        send(protocol.encode(protocol.CellStarted(cell.position)))
        if isinstance(cell, protocol.StudentCell):
            result = shell.run_cell(cell.source, store_history=True, silent=False)
            error = result.error_in_exec or result.error_before_exec
            if error is not None:
                send(protocol.encode(protocol.CellRaised(cell.position, _describe_error(error))))
        elif isinstance(cell, protocol.SetupCell):
            try:
                _fresh_package()
            except BaseException as exc:  # noqa: BLE001
                send(protocol.encode(protocol.SetupFailed(f"the grader's setup failed in the sandbox ({type(exc).__name__})")))
        else:
            reader = importlib.import_module("dlweek8.kernel_side")  # the fresh one, after the setup
            send(reader.reply_line(cell.question_id, cell.expression, cell.is_function, shell.user_ns, cell.probes))
    send(protocol.encode(protocol.Done()))


def _fresh_package() -> None:
    """Forget every dlweek8 module the cells may have patched (not this runner) and import clean ones."""
    for name in [m for m in list(sys.modules) if m == "dlweek8" or m.startswith("dlweek8.")]:
        if name != __name__:
            del sys.modules[name]
    importlib.import_module("dlweek8.kernel_side")


def _describe_error(error: BaseException) -> str:
    """``ValueError: first line`` of what a cell raised (a message that cannot be printed is left out)."""
    name = type(error).__name__
    try:
        text = str(error).strip()
        first = text.splitlines()[0][:200] if text else ""
    except BaseException:  # noqa: BLE001 - a __str__ that raises
        first = ""
    return f"{name}: {first}" if first else name


# -- the kernel container of a Kubernetes grading pod ---------------------------------------------------

#: How long the kernel container waits for the grader to connect before it gives up.
ACCEPT_TIMEOUT = 900.0


def instructor_reachable() -> str | None:
    """Where the instructor package (references, hidden probes, the grader) can be imported from here, or None.
    An empty ``dlweek8/instructor`` folder (as the bubblewrap sandbox shows it) holds nothing and counts as none."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("dlweek8.instructor")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    places = list(spec.submodule_search_locations or ())
    if spec.origin not in (None, "namespace") or any(os.path.isdir(p) and os.listdir(p) for p in places):
        return spec.origin if spec.origin not in (None, "namespace") else places[0]
    return None


def listen(path: str, modules, accept_timeout: float = ACCEPT_TIMEOUT) -> int:
    """The kernel container: refuse where the instructor package is importable; import ``modules``; bind a Unix
    socket at ``path`` and accept exactly one connection (the grader's), then serve it unconfined until the
    grader hangs up. Returns the exit status (1 with one line on stderr when it cannot serve)."""
    found = instructor_reachable()
    if found is not None:
        print(f"dlweek8.confined: refusing to run submissions: the instructor package is importable here ({found}); "
              "the kernel container needs the student image (the hub's, without dlweek8/instructor)", file=sys.stderr)
        return 1
    _preload(modules)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        if os.path.lexists(path):
            os.unlink(path)  # left by an earlier run of this container
        listener.bind(path)
        listener.listen(1)
        listener.settimeout(accept_timeout)
        connection, _ = listener.accept()
    except (OSError, TimeoutError) as exc:
        why = f"no grader connected within {accept_timeout:g} s" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
        print(f"dlweek8.confined: cannot serve at {path}: {why}", file=sys.stderr)
        return 1
    finally:
        listener.close()  # exactly one connection: no later one can be accepted
    connection.setblocking(True)
    _to_devnull((1, 2))  # a submission (a fork of this process) could otherwise reach the container's log through
    # /proc/1/fd and fill the node's disk with it, for which kubelet would evict the pod
    try:
        serve(connection.detach(), (), confine=False, container=True)
    except OSError:
        pass  # the grader hung up before the template said it was ready: nothing to run
    return 0


def _to_devnull(fds) -> None:
    """Point the file descriptors ``fds`` at /dev/null from here on."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in fds:
        os.dup2(null, fd)
    if null not in fds:
        os.close(null)


if __name__ == "__main__":
    _args = sys.argv[1:]
    _listen = [a.split("=", 1)[1] for a in _args if a.startswith("--listen=")]
    _accept = [float(a.split("=", 1)[1]) for a in _args if a.startswith("--accept-timeout=")]
    _confine = "--confine" in _args
    _cgroups = [a.split("=", 1)[1] for a in _args if a.startswith("--cgroup=")]
    _keep = [a.split("=", 1)[1] for a in _args if a.startswith("--keep=")]
    _rest = [a for a in _args if a != "--confine" and not a.startswith(("--cgroup=", "--keep=", "--listen=", "--accept-timeout="))]
    if _listen:
        sys.stdout.flush()
        os._exit(listen(_listen[0], _rest, *_accept[:1]))  # PID 1 of its container: leave now, whatever a submission left
    serve(int(_rest[0]), _rest[1:], _confine, _cgroups, _keep)
