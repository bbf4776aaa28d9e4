"""Answers become plain data, and plain data survives the JSON round trip the grader uses."""

import math

import numpy as np
import pytest
import torch

from dlweek8 import plain


@pytest.mark.parametrize(
    "value, expected",
    [
        ((26, 28), [26, 28]),
        ([np.int64(26), np.int32(28)], [26, 28]),
        (range(52, 55), [52, 53, 54]),
        ({54, 52, 53}, [52, 53, 54]),
        ((x for x in (1, 2)), [1, 2]),
        (np.bool_(True), True),
        (np.float32(0.5), 0.5),
        (None, None),
        ("text", "text"),
    ],
)
def test_to_plain_normalises_reasonable_forms(value, expected):
    assert plain.to_plain(value) == expected


def test_arrays_and_tensors_become_numpy_copies():
    source = np.arange(6.0).reshape(2, 3)
    out = plain.to_plain(source)
    out[0, 0] = 99
    assert source[0, 0] == 0
    np.testing.assert_array_equal(plain.to_plain(torch.ones(2, 2, requires_grad=True)), np.ones((2, 2)))


def test_unsupported_values_are_named_not_raised():
    assert plain.to_plain(lambda x: x) == plain.Unsupported("function")
    assert plain.to_plain(...) == plain.Unsupported("ellipsis")
    assert plain.to_plain(object()) == plain.Unsupported("object")
    assert plain.to_plain(np.array(["a"])).type_name.startswith("numpy array of dtype")


def test_endless_iterables_stop():
    def forever():
        while True:
            yield 1

    assert isinstance(plain.to_plain(forever()), plain.Unsupported)


def test_json_round_trip_keeps_arrays_nan_and_unsupported():
    value = [np.array([[1.0, math.nan]]), float("inf"), {"a": np.int8(3)}, plain.Unsupported("function"), True]
    back = plain.loads(plain.dumps(value))
    np.testing.assert_array_equal(back[0], value[0])
    assert back[0].dtype == np.float64 and back[0].shape == (1, 2)
    assert back[1] == math.inf and back[2] == {"a": 3} and back[3] == plain.Unsupported("function") and back[4] is True


def test_malformed_json_objects_do_not_decode_to_anything_trusted():
    assert plain.loads('{"x": 1}') == plain.Unsupported("malformed data")


def test_a_numpy_still_being_imported_by_another_thread_is_not_used(monkeypatch):
    """The grader's worker threads read plain data while another may be importing numpy: the half-made
    module (no ``bool_`` yet) must not turn plain data into an Unsupported value."""
    import importlib.machinery
    import sys
    import types

    half_made = types.ModuleType("numpy")
    half_made.__spec__ = importlib.machinery.ModuleSpec("numpy", None)
    half_made.__spec__._initializing = True
    monkeypatch.setitem(sys.modules, "numpy", half_made)
    cases = {"probes": [[5, 3], [7, 3, 2]], "expected": [3, 3]}
    assert plain.to_plain(cases) == cases
    assert plain.loads(plain.dumps(cases)) == cases
