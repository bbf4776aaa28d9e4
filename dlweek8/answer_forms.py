"""Read the reasonable forms of an answer: every helper returns ``(value, None)`` or ``(None, problem)``.

The problem is a one-line sentence for the student, e.g. "Expected 2 integers, got 3 values."
"""

from __future__ import annotations

import math
import re

from .plain import Unsupported, describe, is_array


def _flat(answer):
    if is_array(answer):
        return answer.reshape(-1).tolist() if answer.ndim <= 1 else None
    if isinstance(answer, list):
        return answer
    return [answer]


#: A number written with comma groups ("1,234", "12,345"): a thousands separator or a decimal comma.
_COMMA_GROUPS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+")


def _got(value) -> str:
    """How an answer that is not a number is described; a comma-grouped number says why it is not read."""
    if isinstance(value, str) and _COMMA_GROUPS.fullmatch(value.strip()):
        plain = value.strip().replace(",", "")
        if value.count(",") > 1:  # several groups: only thousands can be meant
            return f"{value!r}: write {plain}, without the commas"
        readings = f"{plain} for thousands or {value.strip().replace(',', '.')} for a decimal"
        return f"{value!r}: a comma may separate thousands or be a decimal comma, so it is not read either way; write {readings}"
    return describe(value)


def integer(value):
    """An int from an int, a bool-free integral float or a size-1 array."""
    if is_array(value) and value.size == 1:
        value = value.reshape(-1)[0].item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"Expected an integer, got {_got(value)}."
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return None, f"Expected an integer, got {value!r}."
    return int(value), None


def integers(answer, count: int | None = None):
    """A tuple of ints from a tuple, list, 1-D array or (when ``count`` is 1) a bare int."""
    items = _flat(answer)
    if items is None or isinstance(answer, (Unsupported, str, dict)):
        return None, f"Expected {'a tuple of ' + str(count) if count else 'a sequence of'} integers, got {describe(answer)}."
    if count is not None and len(items) != count:
        return None, f"Expected {count} integer{'s' if count != 1 else ''}, got {len(items)} value{'s' if len(items) != 1 else ''}: {describe(answer)}."
    values = []
    for item in items:
        value, problem = integer(item)
        if problem:
            return None, problem
        values.append(value)
    return tuple(values), None


def integer_set(answer):
    """A frozenset of ints from any iterable (a range, list, set) or a bare int."""
    values, problem = integers(answer)
    return (frozenset(values), None) if problem is None else (None, problem)


def number(answer):
    """A finite float from an int, float or size-1 array."""
    if is_array(answer) and answer.size == 1:
        answer = answer.reshape(-1)[0].item()
    if isinstance(answer, list) and len(answer) == 1:
        answer = answer[0]
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        return None, f"Expected a number, got {_got(answer)}."
    if not math.isfinite(answer):
        return None, f"Expected a finite number, got {answer!r}."
    return float(answer), None


def boolean(answer):
    """A bool (True/False, numpy bools included; 0 and 1 are not accepted as words)."""
    if isinstance(answer, bool):
        return answer, None
    return None, f"Expected True or False, got {describe(answer)}."


def array(answer, shape: tuple[int, ...]):
    """A float64 array of exactly ``shape``, with a message naming NaN/inf or a wrong shape."""
    import numpy as np  # an array answer (a function's output): numpy is needed now

    if isinstance(answer, list):
        try:
            answer = np.array(answer, dtype=float)
        except (TypeError, ValueError):
            return None, f"Expected an array of shape {shape}, got {describe(answer)}."
    if not isinstance(answer, np.ndarray):
        return None, f"Expected an array of shape {shape}, got {describe(answer)}."
    if answer.shape != tuple(shape):
        if answer.shape == tuple(reversed(shape)) and len(shape) == 2 and shape[0] != shape[1]:
            return None, f"Expected shape {tuple(shape)}, got {answer.shape}: transposed?"
        return None, f"Expected an array of shape {tuple(shape)}, got shape {answer.shape}."
    answer = answer.astype(float)
    if not np.all(np.isfinite(answer)):
        return None, "Your array contains NaN or inf."
    return answer, None
