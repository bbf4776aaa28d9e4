"""Answers and outputs as plain data, the only form a verdict is computed from.

A student's answer (or what their function returned) is turned into *plain data*
before it is judged: ``None``, ``bool``, ``int``, ``float``, ``str``, lists,
dicts with string keys, numeric numpy arrays, or :class:`Unsupported` for
anything else.  The same form crosses the process boundary when the grader reads
answers out of a submission's kernel, as JSON (``dumps`` / ``loads``), never as
pickle.  So a check judges exactly the same data in a notebook and in grading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

#: Iterables longer than this are not materialised (an endless generator stops here).
MAX_ITEMS = 10_000


@dataclass(frozen=True)
class Unsupported:
    """Stands for a value that has no plain form, such as a function or a custom object."""

    type_name: str

    def __str__(self) -> str:
        return f"a {self.type_name}"


def _is_torch_tensor(value) -> bool:
    cls = type(value)
    return cls.__module__.split(".")[0] == "torch" and hasattr(value, "detach")


def to_plain(value, _depth: int = 0):
    """Return ``value`` as plain data; tuples, ranges, sets and iterables become lists."""
    if _depth > 20:
        return Unsupported("structure nested too deeply")
    if value is None or isinstance(value, (bool, str, Unsupported)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if _is_torch_tensor(value):
        try:
            value = value.detach().cpu().numpy()
        except Exception:  # noqa: BLE001 - e.g. a tensor that needs grad in odd states
            return Unsupported("torch tensor that could not be read")
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            return np.array(value, copy=True)
        if value.dtype.kind == "O":
            try:
                return np.array(value.tolist(), dtype=float)
            except (TypeError, ValueError):
                return Unsupported("numpy array of objects")
        return Unsupported(f"numpy array of dtype {value.dtype}")
    if isinstance(value, dict):
        return {str(k): to_plain(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [to_plain(v, _depth + 1) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (list, tuple, range)):
        if len(value) > MAX_ITEMS:
            return Unsupported(f"sequence of more than {MAX_ITEMS} items")
        return [to_plain(v, _depth + 1) for v in value]
    if callable(value):
        return Unsupported("function" if hasattr(value, "__code__") else type(value).__name__)
    if hasattr(value, "__iter__") and not isinstance(value, (bytes, bytearray)):
        items = []
        try:
            for item in value:
                if len(items) >= MAX_ITEMS:
                    return Unsupported(f"iterable of more than {MAX_ITEMS} items")
                items.append(to_plain(item, _depth + 1))
        except Exception as exc:  # noqa: BLE001 - a student's iterator may raise
            return Unsupported(f"iterable that raised {type(exc).__name__}")
        return items
    return Unsupported(type(value).__name__)


def _encode(value):
    if isinstance(value, Unsupported):
        return {"__unsupported__": value.type_name}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": {k: _encode(v) for k, v in value.items()}}
    return value


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "__unsupported__" in value:
            return Unsupported(str(value["__unsupported__"]))
        if "__ndarray__" in value:
            return np.array(value["__ndarray__"], dtype=np.dtype(value["dtype"])).reshape(value["shape"])
        if "__dict__" in value:
            return {k: _decode(v) for k, v in value["__dict__"].items()}
        return Unsupported("malformed data")
    return value


def dumps(value) -> str:
    """Serialise any value to JSON text via :func:`to_plain` (NaN and inf survive)."""
    return json.dumps(_encode(to_plain(value)))


def loads(text: str):
    """Read back what :func:`dumps` wrote, as plain data."""
    return _decode(json.loads(text))


def describe(value) -> str:
    """A short, deterministic description of a plain value for feedback messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {tuple(value.shape)}"
    if isinstance(value, Unsupported):
        return str(value)
    if isinstance(value, list):
        text = "[" + ", ".join(describe(v) if isinstance(v, (np.ndarray, Unsupported)) else repr(v) for v in value[:8])
        return text + (", ...]" if len(value) > 8 else "]")
    return repr(value)
