"""Check an analytic gradient against a numerical one (centered differences).

    >>> numeric = numerical_gradient(lambda U: loss(U), U_f)
    >>> relative_error(my_gradient(U_f), numeric) < THRESHOLD
    True

The centered difference (f(x + ε) − f(x − ε)) / 2ε has a truncation error of order ε²
and a rounding error of order (machine ε)·|f| / ε; ε = 1e-6 balances the two in float64,
so a right gradient of a smooth loss typically agrees to about 1e-9 (relative).
"""

from __future__ import annotations

import numpy as np

#: Step of the centered difference (float64).
EPS = 1e-6
#: Below this relative error (float64, smooth loss, ε = 1e-6) the analytic gradient is right.
THRESHOLD = 1e-7
#: Above this it is certainly wrong; in between, look for kinks (ReLU, max) or float32 inputs.
WRONG_ABOVE = 1e-4


def numerical_gradient(f, X, eps: float = EPS) -> np.ndarray:
    """∂f/∂X by centered differences, one entry of ``X`` at a time.

    ``f`` maps an array shaped like ``X`` to a number. ``X`` is copied to float64; the
    caller's array is not changed.
    """
    X = np.array(X, dtype=float)
    grad = np.zeros_like(X)
    for index in np.ndindex(X.shape):
        kept = X[index]
        X[index] = kept + eps
        up = float(f(X))
        X[index] = kept - eps
        down = float(f(X))
        X[index] = kept
        grad[index] = (up - down) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖): 0 when equal, 1 when one is zero or they are opposite; 0 if both are 0."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0
