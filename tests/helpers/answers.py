"""How a right answer looks when printed, to find it where it must not be shown."""

from __future__ import annotations

import numpy as np

from dlweek8 import plain


def printed_forms(value) -> set[str]:
    """The usual printed forms of a right value that would give it away."""
    value = plain.to_plain(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, int):
        return {str(value), f"{value:,}"} if abs(value) >= 10 else set()
    if isinstance(value, float):
        return {f"{value:.{n}f}" for n in (2, 3, 4)} if not value.is_integer() else printed_forms(int(value))
    if isinstance(value, list):
        items = [str(v) for v in value]
        forms = {", ".join(items), "(" + ", ".join(items) + ")", "[" + ", ".join(items) + "]", " and ".join(items)}
        for v in value:
            forms |= printed_forms(v)
        return forms
    return set()
