"""Inert answers (exact built-in data) are read without a time limit; anything that could run a student's code is not."""

from __future__ import annotations

import time

import numpy as np
import pytest

from dlweek8 import plain, untrusted


class SlowTuple(tuple):
    """A tuple whose iteration sleeps: reading it runs the student's code."""

    def __iter__(self):
        time.sleep(5)
        return super().__iter__()


class SlowInt(int):
    def __int__(self):
        time.sleep(5)
        return 0


class SlowList(list):
    def __len__(self):
        time.sleep(5)
        return 0


def _self_containing() -> list:
    items: list = []
    items.append(items)
    return items


INERT = [
    None, True, 3, 2.5, float("nan"), "B", (26, 28), [52, 53, 54], range(52, 56), {50, 51, 52}, frozenset({1}),
    (False, True, "B"), {"depends": False, "reason": "B"}, [[1, 2], (3, 4)], (), 10**400,
]
NOT_INERT = [
    SlowTuple((1, 2)), (1, SlowTuple((1,))), [SlowInt(3)], SlowList([1]), {"a": SlowInt(1)}, np.int64(3), np.array([26, 28]),
    (x for x in range(3)), object(), _self_containing(), list(range(plain.INERT_ITEMS + 1)),
    [list(range(600)), list(range(600))], range(10**30), ..., lambda: 0, b"bytes",
]


@pytest.mark.parametrize("value", INERT, ids=repr)
def test_exact_builtin_data_is_inert_and_reads_as_through_the_time_limit(value):
    assert plain.is_inert(value)
    fast = untrusted.to_plain_within(value)
    slow = untrusted.call(lambda: value, ()).value  # the timed path it skips
    assert repr(fast) == repr(slow)


@pytest.mark.parametrize("value", NOT_INERT, ids=lambda v: plain.type_name(v))
def test_anything_else_is_not_inert(value):
    assert not plain.is_inert(value)


@pytest.mark.parametrize("value", [SlowTuple((1, 2)), [1, SlowTuple((2,))], {"a": SlowList([1])}], ids=["subclass", "nested", "in-dict"])
def test_an_answer_that_runs_code_when_read_is_still_timed(value):
    got = untrusted.to_plain_within(value, seconds=0.3)
    assert isinstance(got, plain.Unsupported) and "within 0.3 s" in str(got)
