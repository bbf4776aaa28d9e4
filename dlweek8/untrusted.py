"""Call a student's function safely: on copies, with a time limit, errors as one line.

This is the *call* step of a function check (probe inputs, call, judge outputs).
Nothing here raises at the caller: every call ends in an :class:`Outcome`.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import io
import signal
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field

from . import plain

#: Default wall-clock budget, in seconds, for all the calls of one check.
TIME_LIMIT = 2.0


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
        return {
            "value": plain.dumps(self.value),
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
            value=plain.loads(data["value"]),
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
    """``ZeroDivisionError: division by zero`` (first line only, no traceback)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def _raise_time_limit(signum, frame):
    raise TimeLimitExceeded()


@contextlib.contextmanager
def _alarm(seconds: float):
    """Interrupt the main thread after ``seconds`` (POSIX only)."""
    previous = signal.signal(signal.SIGALRM, _raise_time_limit)
    # Re-fire every 0.1 s in case the student's code catches the first one and carries on.
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-4), 0.1)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _can_use_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _in_thread(fn, args, seconds):
    """Fallback away from the main thread: run in a worker, abandon it on time-out."""
    box = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - reported as an outcome
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(TimeLimitExceeded))
        raise TimeLimitExceeded()
    if "error" in box:
        raise box["error"]
    return box.get("value")


@contextlib.contextmanager
def _watching(names: tuple[str, ...], found: list[str]):
    """Record in ``found`` which of the functions ``names`` ("module.qualname") get called."""
    if not names:
        yield
        return
    wanted = frozenset(names)

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            name = f"{frame.f_globals.get('__name__', '')}.{code.co_qualname}"
            if name in wanted and name not in found:
                found.append(name)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(previous)


def _watched(fn, names: tuple[str, ...], found: list[str]):
    """``fn``, recording the watched functions it calls, in whatever thread runs it."""
    if not names:
        return fn

    def run(*args):
        with _watching(names, found):
            return fn(*args)

    return run


def call(fn, args: tuple, seconds: float = TIME_LIMIT, budget: float | None = None, watch: tuple[str, ...] = ()) -> Outcome:
    """Call ``fn(*deepcopy(args))`` within ``seconds``; return its plain result or error.

    ``budget`` is the limit quoted in a time-out message (defaults to ``seconds``); the
    outcome's ``calls`` lists which of the functions named in ``watch`` the call used.
    """
    try:
        args = copy.deepcopy(args)
    except Exception as exc:  # noqa: BLE001
        return Outcome(error=f"could not copy the inputs ({one_line(exc)})", error_type="CopyError")
    sink = io.StringIO()
    caught: list[warnings.WarningMessage] = []
    used: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            warnings.simplefilter("always")
            target = _watched(fn, tuple(watch), used)
            if _can_use_alarm():
                with _alarm(seconds):
                    result = target(*args)
            else:
                result = _in_thread(target, args, seconds)
        value = plain.to_plain(result)
    except TimeLimitExceeded:
        return Outcome(
            error=f"did not finish within {budget or seconds:g} s (an endless loop?)",
            error_type="TimeLimitExceeded",
            timed_out=True,
        )
    except RecursionError:
        return Outcome(error="RecursionError: the function calls itself without end", error_type="RecursionError")
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
        return Outcome(error=one_line(exc), error_type=type(exc).__name__, warnings=_lines(caught), calls=tuple(used))
    return Outcome(value=value, warnings=_lines(caught), calls=tuple(used))


def _lines(caught) -> tuple[str, ...]:
    seen = []
    for w in caught or ():
        line = f"{w.category.__name__}: {str(w.message).splitlines()[0] if str(w.message) else ''}"
        if line not in seen:
            seen.append(line)
    return tuple(seen)


def call_each(fn, probes, seconds: float = TIME_LIMIT, watch: tuple[str, ...] = ()) -> list[Outcome]:
    """Call ``fn`` on every probe within one shared budget; after a time-out, skip the rest."""
    outcomes: list[Outcome] = []
    deadline = time.perf_counter() + seconds
    for args in probes:
        left = deadline - time.perf_counter()
        if left <= 0 or (outcomes and outcomes[-1].timed_out):
            outcomes.append(Outcome(skipped=True, error="not run: time budget used up", error_type="Skipped"))
            continue
        outcomes.append(call(fn, tuple(args), left, budget=seconds, watch=watch))
    return outcomes
