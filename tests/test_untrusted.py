"""Student functions run on copies, within a time limit, and every failure is one line."""

import threading
import time
import warnings

import numpy as np

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

    def worker():
        box["outcome"] = untrusted.call(lambda: time.sleep(5), (), seconds=0.2)

    thread = threading.Thread(target=worker)
    start = time.perf_counter()
    thread.start()
    thread.join(3)
    assert box["outcome"].timed_out and time.perf_counter() - start < 2


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
