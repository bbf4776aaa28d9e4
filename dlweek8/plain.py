"""Answers and outputs as plain data, the only form a verdict is computed from.

A student's answer (or what their function returned) is turned into *plain data*
before it is judged: ``None``, ``bool``, ``int``, ``float``, ``str``, lists,
dicts with string keys, numeric numpy arrays, or :class:`Unsupported` for
anything else.  The same form crosses the process boundary when the grader reads
answers out of a submission's kernel, as JSON (``encode`` / ``decode`` inside a message of
:mod:`dlweek8.protocol`; ``dumps`` / ``loads`` as text), never as pickle.  So a check judges exactly the same data in a notebook and in grading.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

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


#: Arrays with more numbers than this are not copied.
MAX_ARRAY_SIZE = 10_000_000
#: Integers beyond this size are no answer to anything (and have no float form).
MAX_INT = 10**300


def _numpy():
    """The numpy module if it is imported, else None: a numpy object can only exist once it is.

    So reading an answer never imports numpy (about 100 ms), and a student's own ``import numpy``
    gets the real module.
    """
    module = sys.modules.get("numpy")
    if module is not None and getattr(getattr(module, "__spec__", None), "_initializing", False):
        return None  # another thread is importing it (a grader's worker): no numpy object exists for us yet
    return module


def is_array(value) -> bool:
    """Whether ``value`` is a numpy array (without importing numpy)."""
    np = _numpy()
    return np is not None and isinstance(value, np.ndarray)


#: Exact types whose reading runs none of the student's code (a subclass's may).
_INERT_SCALARS = (type(None), bool, int, float, str)
_INERT_SEQUENCES = (tuple, list, set, frozenset, range)
#: Items an inert value may hold in all, so that reading it stays quick.
INERT_ITEMS = 1000


def is_inert(value) -> bool:
    """Whether reading ``value`` runs none of the student's code and is quick: exact built-in scalars
    in exact tuples, lists, sets, ranges and dicts, at most :data:`INERT_ITEMS` items in all.

    Such an answer needs no time limit while :func:`to_plain` reads it.
    """
    stack, count = [value], 0
    while stack:
        item = stack.pop()
        kind, count = type(item), count + 1
        if kind in _INERT_SCALARS:
            continue
        if kind not in _INERT_SEQUENCES and kind is not dict:
            return False
        try:
            count += len(item)
        except OverflowError:  # a range longer than sys.maxsize
            return False
        if count > INERT_ITEMS:
            return False
        if kind is range:
            continue
        stack.extend(item)
        if kind is dict:
            stack.extend(item.values())
    return True


def type_name(value) -> str:
    """The name of ``value``'s type; never raises."""
    try:
        return str(type(value).__name__)
    except Exception:  # noqa: BLE001
        return "object"


def to_plain(value, _depth: int = 0):
    """Return ``value`` as plain data; tuples, ranges, sets and iterables become lists.

    Never raises on an ``Exception``: an object whose ``__len__``, ``__iter__``, ``__array__``,
    ``__float__`` or ``__str__`` raises becomes an :class:`Unsupported` that says so. Run it under a
    time limit (:func:`dlweek8.untrusted.to_plain_within`) when the object may be slow.
    """
    try:
        return _to_plain(value, _depth)
    except RecursionError:
        return Unsupported("structure nested too deeply")
    except Exception as exc:  # noqa: BLE001 - a hostile object's methods
        return Unsupported(f"{type_name(value)} that raised {type_name(exc)} when read")


def _to_plain(value, _depth: int):
    if _depth > 20:
        return Unsupported("structure nested too deeply")
    kind = type(value)  # type(), unlike isinstance, cannot be fooled by a __class__ property
    if value is None or kind in (bool, str, Unsupported):
        return value
    np = _numpy()
    if np is not None and kind is np.bool_:
        return bool(value)
    if issubclass(kind, (int, np.integer) if np is not None else int) and not issubclass(kind, bool):
        number = int.__int__(value) if issubclass(kind, int) else int(value)
        return number if -MAX_INT <= number <= MAX_INT else Unsupported("integer too large to be an answer")
    if issubclass(kind, (float, np.floating) if np is not None else float):
        return float.__float__(value) if issubclass(kind, float) else float(value)
    if issubclass(kind, str):
        return str.__str__(value)
    if _is_torch_tensor(value):
        try:
            value = value.detach().cpu().numpy()
        except Exception:  # noqa: BLE001 - e.g. a tensor that needs grad in odd states
            return Unsupported("torch tensor that could not be read")
        kind, np = type(value), _numpy()
    if np is not None and issubclass(kind, np.ndarray):
        if value.size > MAX_ARRAY_SIZE:
            return Unsupported(f"array of more than {MAX_ARRAY_SIZE:,} numbers")
        if value.dtype.kind in "biuf":
            return np.array(value, copy=True, subok=False)
        if value.dtype.kind == "O":
            try:
                return np.array(value.tolist(), dtype=float)
            except Exception:  # noqa: BLE001 - e.g. integers beyond float, or objects
                return Unsupported("numpy array of objects")
        return Unsupported(f"numpy array of dtype {value.dtype}")
    if issubclass(kind, dict):
        if dict.__len__(value) > MAX_ITEMS:
            return Unsupported(f"dict of more than {MAX_ITEMS} items")
        return {str(k): to_plain(v, _depth + 1) for k, v in dict.items(value)}
    if issubclass(kind, (set, frozenset)):
        if len(value) > MAX_ITEMS:
            return Unsupported(f"set of more than {MAX_ITEMS} items")
        items = [to_plain(v, _depth + 1) for v in value]
        try:
            return sorted(items)
        except Exception:  # noqa: BLE001 - e.g. arrays, which have no order
            return items
    if issubclass(kind, (list, tuple, range)):
        if len(value) > MAX_ITEMS:
            return Unsupported(f"sequence of more than {MAX_ITEMS} items")
        return [to_plain(v, _depth + 1) for v in value]
    if callable(value):
        return Unsupported("function" if hasattr(value, "__code__") else type_name(value))
    if hasattr(value, "__iter__") and not issubclass(kind, (bytes, bytearray)):
        items = []
        try:
            for item in value:
                if len(items) >= MAX_ITEMS:
                    return Unsupported(f"iterable of more than {MAX_ITEMS} items")
                items.append(to_plain(item, _depth + 1))
        except Exception as exc:  # noqa: BLE001 - a student's iterator may raise
            return Unsupported(f"iterable that raised {type_name(exc)}")
        return items
    return Unsupported(type_name(value))


def _encode(value):
    if isinstance(value, Unsupported):
        return {"__unsupported__": value.type_name}
    if is_array(value):
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
            import numpy as np  # an array answer is being read back: numpy is needed now

            dtype = np.dtype(str(value["dtype"]))
            if dtype.kind not in "biuf":
                return Unsupported("malformed data")
            return np.array(value["__ndarray__"], dtype=dtype).reshape(value["shape"])
        if "__dict__" in value:
            return {k: _decode(v) for k, v in value["__dict__"].items()}
        return Unsupported("malformed data")
    return value


def encode(value):
    """Any value as JSON-ready data via :func:`to_plain` (arrays, dicts and unsupported values tagged;
    NaN and inf stay floats): how plain data travels inside a JSON message."""
    return _encode(to_plain(value))


def decode(data):
    """Read back what :func:`encode` made, as plain data; ValueError on anything else (nesting too deep included)."""
    try:
        return _decode(data)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - e.g. an array whose shape does not fit its numbers
        raise ValueError(f"malformed plain data ({type_name(exc)})") from None


def dumps(value) -> str:
    """:func:`encode` as JSON text."""
    import json  # for function cases and the grader: not on the way to a value check

    return json.dumps(encode(value))


def loads(text: str):
    """Read back what :func:`dumps` wrote, as plain data; ValueError on anything else (nesting too deep included)."""
    import json

    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    return decode(data)


def describe(value) -> str:
    """A short, deterministic description of a plain value for feedback messages."""
    if is_array(value):
        return f"an array of shape {tuple(value.shape)}"
    if isinstance(value, Unsupported):
        return str(value)
    if isinstance(value, list):
        text = "[" + ", ".join(describe(v) if is_array(v) or isinstance(v, Unsupported) else repr(v) for v in value[:8])
        return text + (", ...]" if len(value) > 8 else "]")
    return repr(value)
