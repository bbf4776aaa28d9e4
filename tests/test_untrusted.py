"""Student functions run on copies, within a time limit, and every failure is one line."""

import contextlib
import io
import sys
import threading
import time
import warnings

import numpy as np
import pytest

from dlweek8 import untrusted


def test_a_good_function_returns_its_plain_value():
    outcome = untrusted.call(lambda a, b: (a + b, b), (1, 2))
    assert outcome.ok and outcome.value == [3, 2]


def test_inputs_are_copies():
    data = np.zeros(3)

    def mutate(a):
        a[:] = 7
        return a.sum()

    assert untrusted.call(mutate, (data,)).value == 21.0
    assert data.sum() == 0


def test_exceptions_become_one_line():
    outcome = untrusted.call(lambda: 1 / 0, ())
    assert outcome.error == "ZeroDivisionError: division by zero" and outcome.error_type == "ZeroDivisionError"
    assert "\n" not in untrusted.call(lambda: exec("raise ValueError('a\\nb')"), ()).error


def test_system_exit_and_keyboard_interrupt_are_caught():
    assert untrusted.call(lambda: exit(3), ()).error_type == "SystemExit"

    def interrupt():
        raise KeyboardInterrupt

    assert untrusted.call(interrupt, ()).error_type == "KeyboardInterrupt"


def test_warnings_are_captured():
    def overflow():
        return np.exp(np.array([1000.0]))

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the caller's filters are left alone
        outcome = untrusted.call(overflow, ())
    assert outcome.ok and any("overflow" in w for w in outcome.warnings)


def test_an_endless_loop_stops_within_the_limit():
    def loop():
        while True:
            pass

    start = time.perf_counter()
    outcome = untrusted.call(loop, (), seconds=0.3)
    assert outcome.timed_out and "did not finish within 0.3 s" in outcome.error
    assert time.perf_counter() - start < 1.5


def test_time_limit_off_the_main_thread():
    box = {}

    def worker():  # short sleeps: the abandoned call stops at the next one
        box["outcome"] = untrusted.call(lambda: [time.sleep(0.01) for _ in range(500)], (), seconds=0.2)

    thread = threading.Thread(target=worker)
    start = time.perf_counter()
    thread.start()
    thread.join(3)
    assert box["outcome"].timed_out and time.perf_counter() - start < 2


@contextlib.contextmanager
def a_call_abandoned_off_the_main_thread():
    """A check made in another thread and timed out while its function stays blocked in C (the stop
    sent at the time-out lands only once it returns). Yields ``end``: let the function return, and
    wait until the abandoned call has unwound."""
    entered, release, box = threading.Event(), threading.Event(), {}

    def stuck():
        box["worker"] = threading.current_thread()
        print("swallowed")
        entered.set()
        release.wait(10)

    def end():
        release.set()
        box["worker"].join(5)
        assert not box["worker"].is_alive()

    caller = threading.Thread(target=lambda: box.update(outcome=untrusted.call(stuck, (), seconds=0.5)))
    caller.start()
    caller.join(5)
    try:
        assert entered.is_set() and box["outcome"].timed_out
        yield end
    finally:
        release.set()


def test_a_call_abandoned_off_the_main_thread_gives_the_streams_back_and_never_takes_them_later():
    """The caller gets its stdout back at the time-out; when the abandoned call ends later, after
    someone else (a later test, a cell) replaced stdout, its exit leaves that replacement alone."""
    original, later = sys.stdout, io.StringIO()
    try:
        with a_call_abandoned_off_the_main_thread() as end:
            assert sys.stdout is original, "the time-out left stdout in the swallowing sink"
            sys.stdout = later  # what a later test's capture does
            end()
            assert sys.stdout is later, "the abandoned call's late exit took the later stdout away"
    finally:
        sys.stdout = original


def test_a_call_abandoned_off_the_main_thread_gives_back_the_warnings_and_the_recursion_limit():
    """The same for the rest of what a call sets for the whole process: at the time-out the caller's
    warnings filters and recursion limit are back, and the call's late end does not undo what was set since."""
    limit = sys.getrecursionlimit()
    mine = untrusted.RECURSION_LIMIT + 7  # not the value a call sets
    sys.setrecursionlimit(mine)
    filters = list(warnings.filters)
    try:
        with a_call_abandoned_off_the_main_thread() as end:
            assert sys.getrecursionlimit() == mine, "the time-out left the call's recursion limit in place"
            assert list(warnings.filters) == filters, "the time-out left the call's warnings filters in place"
            sys.setrecursionlimit(mine + 10)  # the notebook sets its own after the time-out
            end()
            assert sys.getrecursionlimit() == mine + 10, "the abandoned call's late end undid the notebook's recursion limit"
            assert list(warnings.filters) == filters
    finally:
        sys.setrecursionlimit(limit)


def test_a_step_that_fails_while_giving_back_still_gives_back_the_streams():
    original, real = sys.stdout, sys.setrecursionlimit

    def breaks():
        sys.setrecursionlimit = None  # giving back the recursion limit now raises TypeError

    try:
        outcome = untrusted.call(breaks, ())
    finally:
        sys.setrecursionlimit = real
    assert sys.stdout is original and isinstance(outcome, untrusted.Outcome)  # and call() did not raise


def test_streams_the_function_replaces_are_put_back():
    original = sys.stdout, sys.stderr

    def rebinds():
        sys.stdout = io.StringIO()
        sys.stderr = sys.__stderr__
        return 1

    assert untrusted.call(rebinds, ()).value == 1
    assert untrusted.call_each(lambda: rebinds(), [(), ()])[1].value == 1
    assert (sys.stdout, sys.stderr) == original


def test_call_each_shares_one_budget_and_skips_after_a_time_out():
    calls = []

    def slow(n):
        calls.append(n)
        if n == 1:
            while True:
                pass
        return n

    outcomes = untrusted.call_each(slow, [(0,), (1,), (2,)], seconds=0.3)
    assert [o.ok for o in outcomes] == [True, False, False]
    assert outcomes[1].timed_out and outcomes[2].skipped and calls == [0, 1]
    assert "0.3 s" in outcomes[1].error


def test_outcomes_round_trip_as_json():
    outcome = untrusted.call(lambda: np.eye(2), ())
    back = untrusted.Outcome.from_json(outcome.to_json())
    np.testing.assert_array_equal(back.value, np.eye(2))


# -- the limit and imports: a library stopped half-imported stays broken (torch: the kernel crashes) --

SLOW_MODULE = """
import time
started = True
time.sleep({seconds})  # the limit's signal wakes this sleep; the import must go on
import sys as _sys
_sys.modules[__name__].finished = True
"""


def _slow_module(folder, name: str, seconds: float):
    import sys

    (folder / f"{name}.py").write_text(SLOW_MODULE.format(seconds=seconds))
    sys.path.insert(0, str(folder))


def test_the_limit_lets_an_installed_import_finish_then_stops(tmp_path, monkeypatch):
    import importlib
    import sys

    _slow_module(tmp_path, "dlweek8_slow_installed", 0.6)
    monkeypatch.setattr(untrusted, "installed_roots", lambda: (str(tmp_path.resolve()) + "/",))  # as if installed
    try:
        outcome = untrusted.call(lambda: importlib.import_module("dlweek8_slow_installed") and time.sleep(5), (), seconds=0.2)
        assert outcome.timed_out, outcome
        assert sys.modules["dlweek8_slow_installed"].finished  # the import ran to its end, then the call stopped
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("dlweek8_slow_installed", None)


def test_a_notebooks_own_module_is_stopped_mid_import(tmp_path, monkeypatch):
    import importlib
    import sys

    _slow_module(tmp_path, "dlweek8_slow_own", 5)
    monkeypatch.setattr(untrusted, "installed_roots", lambda: ("/nonexistent/",))
    try:
        start = time.monotonic()
        outcome = untrusted.call(lambda: importlib.import_module("dlweek8_slow_own"), (), seconds=0.2)
        assert outcome.timed_out and time.monotonic() - start < 2, outcome
        assert "dlweek8_slow_own" not in sys.modules
    finally:
        sys.path.remove(str(tmp_path))


def test_an_endless_installed_import_is_stopped_after_the_grace(tmp_path, monkeypatch):
    import importlib
    import sys

    _slow_module(tmp_path, "dlweek8_endless_installed", 30)
    monkeypatch.setattr(untrusted, "installed_roots", lambda: (str(tmp_path.resolve()) + "/",))
    monkeypatch.setattr(untrusted, "IMPORT_GRACE", 0.3)
    try:
        start = time.monotonic()
        outcome = untrusted.call(lambda: importlib.import_module("dlweek8_endless_installed"), (), seconds=0.2)
        assert outcome.timed_out and time.monotonic() - start < 2, outcome
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("dlweek8_endless_installed", None)


class _LoopingFinder:
    """A finder of the notebook's own: it loops inside the import machinery (or runs code with an unreadable file name)."""

    def __init__(self, name: str, unreadable: bool = False):
        self.name, self.unreadable = name, unreadable

    def find_spec(self, name, path=None, target=None):
        if name != self.name:
            return None
        if self.unreadable:  # code whose file name no path function accepts: the watchdog's check fails
            code = compile("while True:\n    pass\n", "x", "exec").replace(co_filename="/x\0y")
            exec(code)  # noqa: S102 - test code
        while True:
            pass


@pytest.mark.parametrize("unreadable", [False, True], ids=["looping finder", "unreadable file name"])
def test_notebook_code_inside_the_import_machinery_is_stopped_on_time(unreadable):
    import importlib
    import sys

    finder = _LoopingFinder(f"dlweek8_looping_{unreadable}", unreadable)
    sys.meta_path.insert(0, finder)
    try:
        start = time.monotonic()
        outcome = untrusted.call(lambda: importlib.import_module(finder.name), (), seconds=0.2)
        assert outcome.timed_out and time.monotonic() - start < 2, outcome
    finally:
        sys.meta_path.remove(finder)


def test_a_function_that_blocks_the_limits_signals_is_still_stopped():
    import signal

    def blocks_then_loops():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGUSR2})
        while True:
            pass

    start = time.monotonic()
    try:
        outcome = untrusted.call(blocks_then_loops, (), seconds=0.2)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM, signal.SIGUSR2})
    assert outcome.timed_out and time.monotonic() - start < 2, outcome
