"""Fresh kernels in a fraction of the time: fork them from a template that has imported the heavy modules.

Starting a kernel and importing torch, matplotlib and dlweek8 costs seconds of CPU per
submission. The *template* is one process per grading run that imports those modules
(the assignment's own imports, and nothing else) and never runs a cell; each kernel is a
fork of it that then becomes an ordinary ipykernel on the connection file jupyter_client
wrote. So every submission still gets a new kernel process that has run no one else's code.

POSIX only; :func:`start` returns None where forking is unavailable and the grader then
launches kernels the usual way.

    python -m dlweek8.instructor.grading.warm MODULE...   # the template (started by :func:`start`)
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

#: Imported by every template: the kernel itself, numpy and the grader's kernel side.
BASE_MODULES = ("ipykernel.kernelapp", "IPython", "numpy", "dlweek8", "dlweek8.kernel_side")
_PR_SET_PDEATHSIG = 1


def _die_with_parent(signum: int) -> None:
    """Linux: get ``signum`` when the parent process ends, so nothing outlives the grader."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum)
    except (OSError, AttributeError):
        pass


# -- the template process ------------------------------------------------------------------------


def _reap(signum, frame) -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(modules) -> None:
    """Import ``modules``, then fork one kernel per request line read on stdin; answer with its pid."""
    _die_with_parent(signal.SIGTERM)
    for name in (*BASE_MODULES, *modules):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module that fails here fails the same way in the kernel
            pass
    start_dir = os.getcwd()
    signal.signal(signal.SIGCHLD, _reap)
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _become_kernel(request, start_dir)
        out.write(f"{pid}\n")
        out.flush()


def _become_kernel(request: dict, start_dir: str) -> None:
    """In the forked child: detach, take the kernel's environment and folder, run ipykernel. Never returns."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        _die_with_parent(signal.SIGKILL)
        if sys.path and sys.path[0] in ("", start_dir):
            del sys.path[0]  # as ipykernel_launcher does; the kernel adds its own folder back
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        from ipykernel import kernelapp

        sys.argv = ["ipykernel_launcher", *request["args"]]
        kernelapp.launch_new_instance(argv=request["args"])
    finally:
        os._exit(0)


# -- the grader's side -----------------------------------------------------------------------------


class Template:
    """A running template process; :meth:`fork` is thread-safe."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self._lock = threading.Lock()

    def fork(self, args: list[str], cwd: str, env: dict) -> int:
        with self._lock:
            self.process.stdin.write(json.dumps({"args": args, "cwd": cwd, "env": env}) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError("the kernel template stopped")
        return int(line)

    def close(self) -> None:
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start(modules, env: dict) -> Template | None:
    """Start a template that has imported ``modules``; None if forking is unavailable or it fails."""
    if not hasattr(os, "fork") or sys.platform == "darwin":
        return None
    process = subprocess.Popen(
        [sys.executable, "-m", __name__, *modules],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    if process.stdout.readline().strip() != "ready":
        process.kill()
        return None
    return Template(process)


class ForkedProcess:
    """Stands in for the ``Popen`` of a kernel forked by the template (not our child: polled by pid)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -1
            except PermissionError:
                pass
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


@functools.cache
def kernel_manager_class():
    """An ``AsyncKernelManager`` that forks its kernel from ``template`` (imported lazily: jupyter_client)."""
    from jupyter_client.manager import AsyncKernelManager

    class WarmKernelManager(AsyncKernelManager):
        template: Template | None = None

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            args = kernel_cmd[3:] if kernel_cmd[1:3] == ["-m", "ipykernel_launcher"] else None
            if self.template is None or args is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            pid = self.template.fork(args, str(kw.get("cwd") or os.getcwd()), dict(kw.get("env") or os.environ))
            provisioner = self.provisioner
            provisioner.process = ForkedProcess(pid)
            provisioner.pid = provisioner.pgid = pid  # the child calls setsid(): its own process group
            provisioner.cwd = kw.get("cwd")
            self._reconcile_connection_info(provisioner.connection_info)

    return WarmKernelManager


if __name__ == "__main__":
    serve(sys.argv[1:])
