"""The forward pass whose backward pass notebook 01 asks for: one LSTM step with stacked weights and a cache.

The step is :func:`dlweek8.lstm.step` (the notes' cell, biases kept); only the weights are stacked,
so that each weight gradient is one array. The gates are stacked as rows in the order
``lstm.GATES`` = (i, f, o, u)::

    W = [W^i; W^f; W^o; W^c]  (4k, d)     U = [U^i; U^f; U^o; U^c]  (4k, k)     b  (4k,)

(PyTorch's ``nn.LSTM`` stacks i, f, g, o instead). A cache is a dict of plain arrays, so a check
can store it and a grader can send it to a function as JSON: the step's inputs and weights, and
its gates and new cell state.

The answers (the backward pass itself) are not here. ``autograd_step_backward`` and
``autograd_backward`` compute the same gradients with ``torch.autograd``, to test against; an answer
that calls them gets no credit.
"""

from __future__ import annotations

import numpy as np

from . import lstm

#: What a cache holds: the step's inputs, its weights, its gates and its new cell state.
CACHE_KEYS = ("x", "h_prev", "c_prev", "W", "U", "b", "i", "f", "o", "u", "c")
#: The gradients a step's backward pass returns, in order.
GRADIENTS = ("dx", "dh_prev", "dc_prev", "dW", "dU", "db")


def blocks(stacked) -> dict:
    """The k-row block of each gate of a stacked weight (or bias): {"i": ..., "f": ..., "o": ..., "u": ...}."""
    stacked = np.asarray(stacked, dtype=float)
    k = len(stacked) // 4
    return {g: stacked[n * k:(n + 1) * k] for n, g in enumerate(lstm.GATES)}


def cell(W, U, b) -> lstm.LSTMCell:
    """The :class:`~dlweek8.lstm.LSTMCell` with these stacked weights (the candidate u uses W^c, U^c, b^c)."""
    parts = {}
    for kind, stacked in (("W", W), ("U", U), ("b", b)):
        for g, block in blocks(stacked).items():
            parts[f"{kind}_{'c' if g == 'u' else g}"] = block
    return lstm.LSTMCell(**parts)


def step_forward(x, h_prev, c_prev, W, U, b) -> tuple:
    """One step: (h_t, c_t, cache), by :func:`dlweek8.lstm.step`."""
    x, h_prev, c_prev, W, U, b = (np.asarray(a, dtype=float) for a in (x, h_prev, c_prev, W, U, b))
    s = lstm.step(cell(W, U, b), x, h_prev, c_prev)
    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "W": W, "U": U, "b": b, "i": s.i, "f": s.f, "o": s.o, "u": s.u, "c": s.c}
    return s.h, s.c, cache


def forward(xs, h0, c0, W, U, b) -> tuple:
    """Unroll over the rows of ``xs`` (T, d): (hs of shape (T, k), the list of T caches)."""
    h, c, hs, caches = h0, c0, [], []
    for x in np.asarray(xs, dtype=float):
        h, c, cache = step_forward(x, h, c, W, U, b)
        hs.append(h)
        caches.append(cache)
    return np.array(hs), caches


def random_parameters(rng: np.random.Generator, hidden_size: int, input_size: int, scale: float = 1.0) -> tuple:
    """(W, U, b): weights uniform in [−scale, scale], biases normal with standard deviation scale / 2."""
    k, d = hidden_size, input_size
    return rng.uniform(-scale, scale, (4 * k, d)), rng.uniform(-scale, scale, (4 * k, k)), rng.normal(0, scale / 2, 4 * k)


# -- torch.autograd, to test against ------------------------------------------------------------------
def _leaves(torch, arrays):
    return [torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64, requires_grad=True) for a in arrays]


def _torch_step(torch, x, h_prev, c_prev, W, U, b):
    z = W @ x + U @ h_prev + b
    k = len(h_prev)
    i, f, o = (torch.sigmoid(z[n * k:(n + 1) * k]) for n in range(3))
    u = torch.tanh(z[3 * k:])
    c = f * c_prev + i * u
    return o * torch.tanh(c), c


def autograd_step_backward(dh, dc, cache) -> tuple:
    """(dx, dh_prev, dc_prev, dW, dU, db) of L = dh · h_t + dc · c_t, by ``torch.autograd`` (float64)."""
    import torch

    leaves = _leaves(torch, [cache[key] for key in ("x", "h_prev", "c_prev", "W", "U", "b")])
    h, c = _torch_step(torch, *leaves)
    loss = h @ torch.as_tensor(np.asarray(dh, dtype=float)) + c @ torch.as_tensor(np.asarray(dc, dtype=float))
    return tuple(g.numpy() for g in torch.autograd.grad(loss, leaves))


def autograd_backward(dhs, caches) -> tuple:
    """(dxs, dh0, dc0, dW, dU, db) of L = Σ_t dhs[t] · h_t over the run the caches record, by ``torch.autograd``."""
    import torch

    first = caches[0]
    xs, h0, c0, W, U, b = _leaves(torch, [[cache["x"] for cache in caches], first["h_prev"], first["c_prev"],
                                          first["W"], first["U"], first["b"]])
    h, c, loss = h0, c0, 0.0
    for t, dh in enumerate(np.asarray(dhs, dtype=float)):
        h, c = _torch_step(torch, xs[t], h, c, W, U, b)
        loss = loss + h @ torch.as_tensor(dh)
    return tuple(g.numpy() for g in torch.autograd.grad(loss, [xs, h0, c0, W, U, b]))


__all__ = ["CACHE_KEYS", "GRADIENTS", "blocks", "cell", "step_forward", "forward", "random_parameters",
           "autograd_step_backward", "autograd_backward"]
