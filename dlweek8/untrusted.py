"""Call a student's function safely: on copies, with a time limit, errors as one line.

This is the *call* step of a function check (probe inputs, call, judge outputs).
Nothing here raises at the caller: every call ends in an :class:`Outcome`.
"""

from __future__ import annotations

import _frozen_importlib
import contextlib
import functools
import io
import os
import signal
import sys
import threading
import time
import warnings
from dataclasses import dataclass

from . import plain

#: Default wall-clock budget, in seconds, for all the calls of one check.
TIME_LIMIT = 2.0
#: When the limit ends during the import of an installed module (torch loads parts of itself on
#: first use), the import may finish first, for at most this long (the grader's per-answer timeout,
#: 20 s, stays above the call budget plus this). Stopped half-way, the import would leave that library
#: half-registered: every later use of it raising, and the kernel crashing.
IMPORT_GRACE = 10.0
#: On the stack during every import (the import system's own function).
_FIND_AND_LOAD = _frozen_importlib._find_and_load.__code__


@dataclass
class Outcome:
    """What one call produced: a plain value, or an error line, plus any warnings."""

    value: object = None
    error: str | None = None
    error_type: str | None = None
    warnings: tuple[str, ...] = ()
    timed_out: bool = False
    skipped: bool = False
    calls: tuple[str, ...] = ()  # watched package functions the call used (see ``call(watch=...)``)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.skipped

    def to_json(self) -> dict:
        """JSON-ready data, the value plain-encoded once (:func:`dlweek8.plain.encode`)."""
        return {
            "value": plain.encode(self.value),
            "error": self.error,
            "error_type": self.error_type,
            "warnings": list(self.warnings),
            "timed_out": self.timed_out,
            "skipped": self.skipped,
            "calls": list(self.calls),
        }

    @classmethod
    def from_json(cls, data: dict) -> "Outcome":
        return cls(
            value=plain.decode(data["value"]),
            error=data.get("error"),
            error_type=data.get("error_type"),
            warnings=tuple(data.get("warnings", ())),
            timed_out=bool(data.get("timed_out")),
            skipped=bool(data.get("skipped")),
            calls=tuple(str(name) for name in data.get("calls", ())),
        )


class TimeLimitExceeded(BaseException):
    """Raised inside a student's function when its time is up (not an ``Exception``)."""


def one_line(exc: BaseException) -> str:
    """``ZeroDivisionError: division by zero`` (first line only, no traceback); never raises."""
    name = type(exc).__name__
    try:
        text = str(exc).strip()
        text = text.splitlines()[0][:300] if text else ""
    except Exception:  # noqa: BLE001 - an exception whose __str__ raises
        text = ""
    return f"{name}: {text}" if text else name


#: The recursion limit an answer function runs under, whatever the notebook set.
RECURSION_LIMIT = 1000
#: numpy's error state while an answer runs: numpy's own defaults (overflow and invalid values warn).
NUMPY_ERRORS = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}
def capped(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters (the cut marked with ``…``, and how long it was)."""
    if len(text) <= limit:
        return text
    tail = f"… ({len(text)} characters)"
    return text[: max(0, limit - len(tail))] + tail


class _NullSink(io.TextIOBase):
    """Swallows what the function prints (nothing is kept)."""

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        return len(text)


class _Borrowed:
    """What a call sets for the whole process while it runs (print streams, warnings, torch's default
    dtype, the recursion limit), given back exactly once (:meth:`give_back`): by the call when it
    ends, or by its caller when it abandons the call on a time-out off the main thread. The
    abandoned call's late end then leaves alone whatever the notebook set since.

    numpy's error state is not here: ``np.errstate`` is per thread (a context variable).
    """

    def __init__(self):
        self._undo: list = []
        self._lock = threading.Lock()
        self.given_back = False

    def set_known_state(self, sink: _NullSink) -> list:
        """Print into ``sink``; warnings recorded and always shown, the recursion limit and torch's default dtype
        at known values. Returns the list the warnings are recorded in."""
        saved_streams = sys.stdout, sys.stderr
        self._undo.append(lambda: (setattr(sys, "stdout", saved_streams[0]), setattr(sys, "stderr", saved_streams[1])))
        sys.stdout = sys.stderr = sink
        recording = warnings.catch_warnings(record=True)
        caught = recording.__enter__()
        self._undo.append(lambda: recording.__exit__(None, None, None))
        warnings.resetwarnings()
        warnings.simplefilter("always")
        limit = sys.getrecursionlimit()
        self._undo.append(lambda: sys.setrecursionlimit(limit))
        sys.setrecursionlimit(max(RECURSION_LIMIT, _depth() + 100))
        torch = sys.modules.get("torch")
        if torch is not None and hasattr(torch, "get_default_dtype"):
            dtype = torch.get_default_dtype()
            self._undo.append(lambda: torch.set_default_dtype(dtype))
            torch.set_default_dtype(torch.float32)
        return caught

    def give_back(self) -> None:
        """Restore what :meth:`set_known_state` changed, last change first, all of it even if one step raises;
        the second call does nothing."""
        with self._lock:
            if self.given_back:
                return
            self.given_back = True
        problem = None
        for undo in reversed(self._undo):
            try:
                undo()
            except BaseException as exc:  # noqa: BLE001 - the rest is still given back, then it is raised
                problem = problem or exc
        if problem is not None:
            raise problem


@contextlib.contextmanager
def _known_state(borrowed: _Borrowed, sink: _NullSink):
    """numpy's error state, warnings filters, torch's default dtype and the recursion limit at known
    values while the function runs, with what it prints going to ``sink``; the notebook's own given
    back afterwards (see :class:`_Borrowed`). Yields the caught warnings.

    numpy is not imported here: until it is, its error state is its default, which is the known one
    (so reading a value answer never imports it, and a function that imports it starts from that state).
    """
    np = sys.modules.get("numpy")
    errstate = np.errstate(**NUMPY_ERRORS) if np is not None and hasattr(np, "errstate") else contextlib.nullcontext()
    with errstate:
        try:
            yield borrowed.set_known_state(sink)
        finally:
            borrowed.give_back()


def _depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def _async_raiser():
    """A function that raises :class:`TimeLimitExceeded` in the thread with a given id.

    ctypes is imported here, in the calling thread before the student's code runs, and not with
    dlweek8: a value answer of plain built-in data is read with no time limit at all.
    """
    import ctypes

    set_async_exc, exception = ctypes.pythonapi.PyThreadState_SetAsyncExc, ctypes.py_object(TimeLimitExceeded)
    return lambda ident: set_async_exc(ctypes.c_ulong(ident), exception)


@functools.cache
def installed_roots() -> tuple[str, ...]:
    """Folders of code that is installed, not written in the notebook: Python's prefixes (the standard
    library, the environment's site-packages) and this package."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(os.path.abspath(__file__))}
    return tuple(os.path.join(os.path.realpath(root), "") for root in roots)


#: File names of code typed in a notebook or shell (an IPython shell's cells; a kernel's are temporary files).
_TYPED_IN = ("<ipython-input-", "<stdin>")


@functools.lru_cache(maxsize=4096)
def _installed_file(filename: str, roots: tuple[str, ...]) -> bool:
    """Code from an installed file, or generated by installed code ("<frozen ...>", "<string>" of a dataclass)."""
    if filename.startswith("<"):
        return not filename.startswith(_TYPED_IN)
    return os.path.realpath(filename).startswith(roots)


def in_installed_import(frame, roots: tuple[str, ...]) -> bool:
    """True while the thread at ``frame`` is inside an import and runs only installed code there (the
    import machinery, a library's own top-level code): no code of the notebook's between the innermost
    import and the frame. A stop there is put off (:data:`IMPORT_GRACE`)."""
    while frame is not None:
        code = frame.f_code
        if code is _FIND_AND_LOAD:
            return True
        if not _installed_file(code.co_filename, roots):
            return False
        frame = frame.f_back
    return False


class _Watchdog:
    """Stops the main thread's call ``seconds`` from now without an interval timer.

    A thread raises :class:`TimeLimitExceeded` in the main thread (``PyThreadState_SetAsyncExc``,
    for code that runs Python) and, to wake a blocking call such as ``time.sleep``, sends it a
    signal whose handler is still a Python function (ours on SIGALRM or SIGUSR2, or one the
    function installed: it runs Python, so the exception fires there). So neither
    ``signal.setitimer(0)`` nor a swapped SIGALRM handler lifts the limit, and the notebook's own
    interval timer is never touched; an alarm of its own that fires during the call still reaches
    the notebook's handler. The stop waits while an installed module is being imported
    (:func:`in_installed_import`), for at most :data:`IMPORT_GRACE` seconds: the signal's handler
    decides that in the main thread. Only when the handlers were replaced, or the signals do not
    arrive for 0.1 s, is the exception sent from the watch thread, which may then fire inside an import.
    """

    SIGNALS = (signal.SIGALRM, signal.SIGUSR2)

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.main = threading.main_thread().ident
        self.active = self.fired = False
        self.done = threading.Event()
        self.previous = {}
        self.raise_in = _async_raiser()
        self.roots = installed_roots()  # here, in the main thread: the watch thread imports nothing
        self.thread = threading.Thread(target=self._watch, daemon=True, name="dlweek8-time-limit")

    def _stop_now(self, frame) -> bool:
        """Past the deadline, and not inside an installed import (or past its grace too); a check that fails stops."""
        now = time.monotonic()
        if now < self.deadline:
            return False
        try:
            return now >= self.deadline + IMPORT_GRACE or not in_installed_import(frame, self.roots)
        except BaseException:  # noqa: BLE001 - e.g. a code object with an unreadable file name
            return True

    def _handler(self, signum, frame):
        if self.active and self.done.is_set() is False and self._stop_now(frame):
            raise TimeLimitExceeded()
        previous = self.previous.get(signum)
        if callable(previous):  # the notebook's own alarm, early: its own handler
            previous(signum, frame)

    def start(self) -> None:
        for signum in self.SIGNALS:
            self.previous[signum] = signal.signal(signum, self._handler)
        self.deadline = time.monotonic() + self.seconds
        self.active = True
        self.thread.start()

    def _watch(self) -> None:
        if self.done.wait(self.seconds):
            return
        self.fired = True
        overdue = 0
        while not self.done.is_set():
            ours = next((signum for signum in self.SIGNALS if signal.getsignal(signum) == self._handler), None)
            if ours is not None:  # our handler decides in the main thread, between two of its steps: never inside an import
                signal.pthread_kill(self.main, ours)
            overdue = overdue + 1 if self._stop_now(sys._current_frames().get(self.main)) else 0
            if overdue >= (10 if ours is not None else 1):  # our handlers were replaced, or the signals do not arrive
                self.raise_in(self.main)
                for signum in self.SIGNALS:  # wake a blocking call through whatever handler is installed
                    if callable(signal.getsignal(signum)):
                        signal.pthread_kill(self.main, signum)
                        break
            self.done.wait(0.01)

    def stop(self) -> None:
        """End the watch, clear what it may still have sent, restore the notebook's handlers."""
        while True:
            try:
                self.active = False
                self.done.set()
                if self.thread.ident is not None:
                    self.thread.join()
                if self.fired:
                    for _ in range(10_000):  # let an exception it sent last fire here (clearing it with
                        pass  # SetAsyncExc(NULL) can leave CPython 3.11's eval breaker stuck under a profiler)
                    if hasattr(signal, "sigtimedwait"):  # Linux; not macOS
                        for signum in signal.sigpending() & set(self.SIGNALS):  # sent while the call blocked them:
                            signal.sigtimedwait([signum], 0)  # taken here, not delivered later to a default handler
                for signum, previous in self.previous.items():
                    signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
                self.previous = {}
                return
            except TimeLimitExceeded:
                continue


def _can_use_signals() -> bool:
    return threading.current_thread() is threading.main_thread() and all(hasattr(signal, n) for n in ("pthread_kill", "SIGUSR2", "SIGALRM"))


def _in_thread(fn, seconds):
    """Fallback away from the main thread: run in a worker, abandon it on time-out."""
    box, raise_in = {}, _async_raiser()

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported as an outcome
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise_in(worker.ident)
        raise TimeLimitExceeded()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def within(fn, seconds: float):
    """``fn()`` with a wall-clock limit of ``seconds``: its value, or :class:`TimeLimitExceeded`."""
    if not _can_use_signals():
        return _in_thread(fn, seconds)
    watchdog = _Watchdog(max(seconds, 1e-3))
    try:
        try:
            watchdog.start()
            return fn()
        finally:
            watchdog.stop()
    except TimeLimitExceeded:
        watchdog.stop()
        raise


def _code_of(name: str):
    """The code object of the function ``name`` ("module.qualname"), or None if it cannot be found."""
    module_name, _, qualname = name.rpartition(".")
    while module_name and module_name not in sys.modules:
        module_name, _, outer = module_name.rpartition(".")
        qualname = f"{outer}.{qualname}"
    target = sys.modules.get(module_name)
    for part in qualname.split("."):
        target = getattr(target, part, None)
    return getattr(target, "__code__", None)


@contextlib.contextmanager
def _watching(names: tuple[str, ...], found: list[str]):
    """Record in ``found`` which of the functions ``names`` ("module.qualname") get called.

    A global trace function sees only Python-level calls (no C calls, returns or lines, as a
    profile function would), and compares code objects: cheap enough for torch-heavy answers.
    """
    if not names:
        yield
        return
    codes = {}
    for name in names:
        code = _code_of(name)
        if code is not None:
            codes[code] = name

    def trace(frame, event, arg):
        name = codes.get(frame.f_code)
        if name is not None and name not in found:
            found.append(name)
        return None  # no local tracing

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        yield
    finally:
        sys.settrace(previous)


def call(fn, args: tuple, seconds: float | None = None, watch: tuple[str, ...] = ()) -> Outcome:
    """Call ``fn(*deepcopy(args))`` and turn its result into plain data, both within ``seconds``.

    The function runs with numpy's error state, warnings filters, torch's default dtype and the
    recursion limit at known values (the notebook's are restored afterwards), with what it prints
    swallowed. The outcome's ``calls`` lists which of the functions named in ``watch`` the call
    used. Never raises. ``seconds`` defaults to :data:`TIME_LIMIT`. (:func:`call_each` with one probe.)
    """
    return call_each(fn, [args], seconds, watch)[0]


def to_plain_within(value, seconds: float | None = None):
    """``plain.to_plain(value)`` within ``seconds`` (an answer can be an object that sleeps when read);
    an :class:`plain.Unsupported` that says so on a time-out or an error. Never raises."""
    if plain.is_inert(value):  # nothing of the student's runs while it is read: no time limit needed
        return plain.to_plain(value)
    seconds = TIME_LIMIT if seconds is None else seconds
    outcome = call(lambda: value, (), seconds)
    if outcome.timed_out:
        return plain.Unsupported(f"value that could not be read within {seconds:g} s")
    if outcome.error is not None:
        return plain.Unsupported(f"value that raised {outcome.error_type} when read")
    return outcome.value


def _lines(caught) -> tuple[str, ...]:
    seen = []
    for w in list(caught or ())[:100]:
        try:
            text = str(w.message).strip()
            line = f"{w.category.__name__}: {text.splitlines()[0][:300] if text else ''}"
        except Exception:  # noqa: BLE001 - a warning whose message cannot be printed
            line = getattr(w.category, "__name__", "Warning")
        if line not in seen:
            seen.append(line)
    return tuple(seen)


def call_each(fn, probes, seconds: float | None = None, watch: tuple[str, ...] = ()) -> list[Outcome]:
    """Call ``fn`` on every probe within one shared budget (default :data:`TIME_LIMIT`); after a time-out, skip the rest.

    One time limit and one known state cover all the calls (setting them up per call would cost
    more than a simple answer's own work); each call still gets copies of its inputs, and its own
    warnings and watched calls. Everything the student's code can make slow happens inside the
    limit: copying the inputs, the call, the conversion of its result (lazy results, generators)
    and the description of what it raised.
    """
    import copy

    seconds = TIME_LIMIT if seconds is None else seconds
    probes = list(probes)
    outcomes: list[Outcome] = []
    sink = _NullSink()

    def one(args, seen) -> Outcome:
        try:
            args = copy.deepcopy(tuple(args))
        except Exception as exc:  # noqa: BLE001
            return Outcome(error=f"could not copy the inputs ({one_line(exc)})", error_type="CopyError")
        before, used = len(seen), []
        try:
            with _watching(tuple(watch), used):
                result = fn(*args)
            value = plain.to_plain(result)
        except TimeLimitExceeded:
            raise
        except RecursionError:
            return Outcome(error="RecursionError: the function calls itself without end", error_type="RecursionError")
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
            return Outcome(error=one_line(exc), error_type=type(exc).__name__, warnings=_lines(seen[before:]), calls=tuple(used))
        return Outcome(value=value, warnings=_lines(seen[before:]), calls=tuple(used))

    borrowed = _Borrowed()

    def run():
        with _known_state(borrowed, sink) as seen:
            for args in probes:
                outcomes.append(one(args, seen))

    try:
        within(run, seconds)
    except TimeLimitExceeded:
        borrowed.give_back()  # off the main thread, the abandoned worker may still hold it
        outcomes.append(Outcome(error=f"did not finish within {seconds:g} s (an endless loop?)",
                                error_type="TimeLimitExceeded", timed_out=True))
    except BaseException as exc:  # noqa: BLE001 - e.g. a handler of the notebook's own that raised
        outcomes.append(Outcome(error=one_line(exc), error_type=type(exc).__name__))
    while len(outcomes) < len(probes):
        outcomes.append(Outcome(skipped=True, error="not run: time budget used up", error_type="Skipped"))
    return outcomes[: len(probes)]
