"""The maths of Task 1: an LSTM cell in the notes' notation, its Jacobians and the gradient flow.

The cell (no peepholes; biases optional, the notes drop them)::

    i = σ(W^i x + U^i h_prev + b^i)     f = σ(W^f x + U^f h_prev + b^f)
    o = σ(W^o x + U^o h_prev + b^o)     u = tanh(W^c x + U^c h_prev + b^c)
    c = f ∘ c_prev + i ∘ u              h = o ∘ tanh(c)

A Jacobian ``J`` has ``J[a, b] = ∂out[a] / ∂in[b]``. Multiplying the output by a vector
``v`` element-wise scales the rows of ``J``: diag(v) J, written ``v[:, None] * J``.

Everything here is numpy; torch is imported only by the ``autograd_*`` functions
and :func:`from_torch`. The answers to the graded questions are not here: they live in
``dlweek8/instructor/references/lstm.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

GATES = ("i", "f", "o", "u")


# -- the sigmoid ------------------------------------------------------------------------------
def sigmoid(z):
    """σ(z) = 1 / (1 + e^{-z}) without overflow at any z (e^{-|z|} never exceeds 1)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_prime(z):
    """σ′ for the gate Jacobians and the σ′ explorer (no credit as an answer: it is the package's own).

    σ′ is even, and e^{−|z|} / (1 + e^{−|z|})² neither overflows nor cancels.
    """
    e = np.exp(-np.abs(np.asarray(z, dtype=float)))
    return e / (1.0 + e) ** 2


def tanh_prime(z):
    """tanh′(z) = 1 − tanh(z)²."""
    return 1.0 - np.tanh(z) ** 2


# -- the cell ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LSTMCell:
    """Weights in the notes' names: ``W_*`` is (k, input size), ``U_*`` is (k, k), ``b_*`` is (k,) or None."""

    W_i: np.ndarray
    U_i: np.ndarray
    W_f: np.ndarray
    U_f: np.ndarray
    W_o: np.ndarray
    U_o: np.ndarray
    W_c: np.ndarray
    U_c: np.ndarray
    b_i: np.ndarray | None = None
    b_f: np.ndarray | None = None
    b_o: np.ndarray | None = None
    b_c: np.ndarray | None = None

    @property
    def hidden_size(self) -> int:
        return self.U_f.shape[0]

    @property
    def input_size(self) -> int:
        return self.W_f.shape[1]

    def weights(self, gate: str) -> tuple:
        """(W, U, b) of gate "i", "f", "o" or "u" (the candidate u uses W^c, U^c, b^c)."""
        name = "c" if gate == "u" else gate
        return getattr(self, "W_" + name), getattr(self, "U_" + name), getattr(self, "b_" + name)

    def with_forget_bias(self, value: float) -> "LSTMCell":
        """The same cell with every forget-gate bias set to ``value``."""
        return replace(self, b_f=np.full(self.hidden_size, float(value)))


@dataclass(frozen=True)
class LSTMStep:
    """One step's gates and states, each of shape (k,); ``z`` holds the pre-activations by gate."""

    i: np.ndarray
    f: np.ndarray
    o: np.ndarray
    u: np.ndarray
    c: np.ndarray
    h: np.ndarray
    z: dict


def pre_activation(cell: LSTMCell, gate: str, x, h_prev) -> np.ndarray:
    """W x + U h_prev (+ b) of one gate."""
    W, U, b = cell.weights(gate)
    z = W @ x + U @ h_prev
    return z if b is None else z + b


def step(cell: LSTMCell, x, h_prev, c_prev) -> LSTMStep:
    """One LSTM step from (x_t, h_{t−1}, c_{t−1})."""
    x, h_prev, c_prev = (np.asarray(a, dtype=float) for a in (x, h_prev, c_prev))
    z = {g: pre_activation(cell, g, x, h_prev) for g in GATES}
    i, f, o = sigmoid(z["i"]), sigmoid(z["f"]), sigmoid(z["o"])
    u = np.tanh(z["u"])
    c = f * c_prev + i * u
    return LSTMStep(i, f, o, u, c, o * np.tanh(c), z)


def run(cell: LSTMCell, xs, h0=None, c0=None) -> list[LSTMStep]:
    """Unroll the cell over the rows of ``xs`` (shape (T, input size)); zero initial states by default."""
    k = cell.hidden_size
    h = np.zeros(k) if h0 is None else np.asarray(h0, dtype=float)
    c = np.zeros(k) if c0 is None else np.asarray(c0, dtype=float)
    steps = []
    for x in xs:
        s = step(cell, x, h, c)
        steps.append(s)
        h, c = s.h, s.c
    return steps


# -- analytic Jacobians with respect to h_{t-1} and c_{t-1} --------------------------------------
def _gate_jacobians_from(cell: LSTMCell, z: dict) -> dict:
    return {g: (tanh_prime(z[g]) if g == "u" else _sigmoid_prime(z[g]))[:, None] * cell.weights(g)[1] for g in GATES}


def gate_jacobians(cell: LSTMCell, x, h_prev) -> dict:
    """∂g/∂h_{t−1} for g in i, f, o, u: diag(σ′(z)) U (tanh′ for u)."""
    x, h_prev = np.asarray(x, dtype=float), np.asarray(h_prev, dtype=float)
    return _gate_jacobians_from(cell, {g: pre_activation(cell, g, x, h_prev) for g in GATES})


def _state_blocks(cell: LSTMCell, s: LSTMStep, c_prev):
    """The blocks of :func:`state_jacobian` at one step, from that step's gates.

    Returns (∂h/∂h, ∂h/∂c diagonal, ∂c/∂h, ∂c/∂c diagonal): ∂c_t/∂c_{t−1} = diag(f_t) and
    ∂h_t/∂c_{t−1} = diag(o_t ∘ tanh′(c_t) ∘ f_t) are diagonal, the h columns are dense.
    """
    J = _gate_jacobians_from(cell, s.z)
    dh_dc = s.o * tanh_prime(s.c)  # ∂h_t/∂c_t, diagonal
    dc_dh = c_prev[:, None] * J["f"] + s.u[:, None] * J["i"] + s.i[:, None] * J["u"]
    dh_dh = np.tanh(s.c)[:, None] * J["o"] + dh_dc[:, None] * dc_dh
    return dh_dh, dh_dc * s.f, dc_dh, s.f


def jacobians(cell: LSTMCell, x, h_prev, c_prev) -> dict:
    """∂·/∂h_{t−1} of i, f, o, u, c and h at one step, with c_{t−1} held fixed (it is a separate input)."""
    s = step(cell, x, h_prev, c_prev)
    J = _gate_jacobians_from(cell, s.z)
    J["h"], _, J["c"], _ = _state_blocks(cell, s, np.asarray(c_prev, dtype=float))
    return J


def state_jacobian(cell: LSTMCell, x, h_prev, c_prev) -> np.ndarray:
    """∂s_t/∂s_{t−1} for the state s = (h, c): a (2k, 2k) block matrix [[∂h/∂h, ∂h/∂c], [∂c/∂h, ∂c/∂c]].

    Over many steps this is the Jacobian that multiplies: ∂h_t/∂h_{t−3} is the top-left block
    of the product of three of them. c_{t−1} reaches c_t only through ``f_t ∘ c_{t−1}``, so
    ∂c_t/∂c_{t−1} = diag(f_t).
    """
    k = cell.hidden_size
    dh_dh, dh_dc, dc_dh, dc_dc = _state_blocks(cell, step(cell, x, h_prev, c_prev), np.asarray(c_prev, dtype=float))
    out = np.zeros((2 * k, 2 * k))
    diagonal = np.arange(k)
    out[:k, :k], out[k:, :k] = dh_dh, dc_dh
    out[diagonal, k + diagonal] = dh_dc
    out[k + diagonal, k + diagonal] = dc_dc
    return out


def gradient_flow(cell: LSTMCell, xs) -> dict:
    """How much gradient from the last step T reaches each step t of a run from zero states.

    Returns arrays over t = 0..T of spectral norms (1 at t = T, where each Jacobian is the
    identity; above 1 the gradient grows): ``c`` = ‖∂c_T/∂c_t‖₂ (the full Jacobian, every path,
    the block of the product of :func:`state_jacobian`), ``carousel`` = ‖diag(f_T ∘ … ∘ f_{t+1})‖₂
    (the cell-state path alone: the largest product of one unit's forget gates), ``h`` =
    ‖∂h_T/∂h_t‖₂, and the forget gates ``f`` of shape (T, k).
    """
    steps = run(cell, xs)
    k, T = cell.hidden_size, len(steps)
    c_prev = [np.zeros(k)] + [s.c for s in steps[:-1]]
    product = np.eye(2 * k)  # ∂(h_T, c_T)/∂(h_t, c_t), for t from T down to 0
    c_blocks, h_blocks = np.empty((T + 1, k, k)), np.empty((T + 1, k, k))
    for t in range(T, -1, -1):
        h_blocks[t], c_blocks[t] = product[:k, :k], product[k:, k:]
        if t:
            # product @ state_jacobian, using that its right column blocks are diagonal
            dh_dh, dh_dc, dc_dh, dc_dc = _state_blocks(cell, steps[t - 1], c_prev[t - 1])
            by_h = product[:, :k] @ dh_dh + product[:, k:] @ dc_dh
            by_c = product[:, :k] * dh_dc + product[:, k:] * dc_dc
            product = np.hstack([by_h, by_c])
    f = np.array([s.f for s in steps]).reshape(T, k)
    # ∏_{s=t+1..T} f_s per unit: reversed cumulative products, 1 at t = T
    kept = np.vstack([np.cumprod(f[::-1], axis=0)[::-1], np.ones((1, k))])
    return {"c": np.linalg.norm(c_blocks, 2, axis=(1, 2)), "carousel": kept.max(axis=1),
            "h": np.linalg.norm(h_blocks, 2, axis=(1, 2)), "f": f}


def rnn_gradient_flow(W, U, xs) -> np.ndarray:
    """‖∂h_T/∂h_t‖₂ over t = 0..T for a vanilla RNN h_t = tanh(W x_t + U h_{t−1}) from h_0 = 0.

    ``U`` may also be a stack of recurrent matrices, shape (..., k, k): one flow each, shape (..., T + 1).
    """
    U = np.asarray(U)
    h, slopes = np.zeros(U.shape[:-1]), []
    for x in xs:
        h = np.tanh(W @ x + (U @ h[..., None])[..., 0])
        slopes.append(1.0 - h**2)
    product, flow = np.broadcast_to(np.eye(U.shape[-1]), U.shape), np.empty(U.shape[:-2] + (len(xs) + 1,))
    for t in range(len(xs), -1, -1):
        flow[..., t] = np.linalg.norm(product, 2, axis=(-2, -1))
        if t:
            product = product @ (slopes[t - 1][..., :, None] * U)
    return flow


# -- random cells -----------------------------------------------------------------------------
def random_cell(rng: np.random.Generator, hidden_size: int, input_size: int, scale: float | None = None,
                forget_bias: float | None = None) -> LSTMCell:
    """Weights uniform in [−scale, scale] (default 1/√k, PyTorch's default); no biases unless ``forget_bias``."""
    if hidden_size == input_size:
        raise ValueError("use hidden_size != input_size so that a transposed Jacobian shows")
    s = 1.0 / np.sqrt(hidden_size) if scale is None else scale
    weights = {}
    for name in ("i", "f", "o", "c"):
        weights["W_" + name] = rng.uniform(-s, s, (hidden_size, input_size))
        weights["U_" + name] = rng.uniform(-s, s, (hidden_size, hidden_size))
    cell = LSTMCell(**weights)
    return cell if forget_bias is None else cell.with_forget_bias(forget_bias)


def random_state(rng: np.random.Generator, cell: LSTMCell) -> tuple:
    """A plausible (x_t, h_{t−1}, c_{t−1}): x standard normal, h in (−1, 1), c normal."""
    k = cell.hidden_size
    return rng.standard_normal(cell.input_size), rng.uniform(-1, 1, k), rng.standard_normal(k)


# -- PyTorch ----------------------------------------------------------------------------------
def from_torch(lstm) -> LSTMCell:
    """The first layer of a ``torch.nn.LSTM`` in the notes' names.

    PyTorch stacks the gates as rows [i; f; g; o] of ``weight_ih_l0`` / ``weight_hh_l0``
    (g is our candidate u, weights W^c, U^c) and adds two biases, ``bias_ih_l0 + bias_hh_l0``.
    """
    k = lstm.hidden_size

    def blocks(tensor):
        a = tensor.detach().double().cpu().numpy()
        return dict(zip(("i", "f", "c", "o"), (a[n * k:(n + 1) * k] for n in range(4)), strict=True))

    W, U = blocks(lstm.weight_ih_l0), blocks(lstm.weight_hh_l0)
    if getattr(lstm, "bias", True):
        b_ih, b_hh = blocks(lstm.bias_ih_l0), blocks(lstm.bias_hh_l0)
        b = {g: b_ih[g] + b_hh[g] for g in W}
    else:
        b = dict.fromkeys(W)
    return LSTMCell(**{f"{kind}_{g}": m[g] for g in ("i", "f", "o", "c") for kind, m in (("W", W), ("U", U), ("b", b))})


def _torch():
    import torch  # imported on first use only: `import dlweek8` stays light

    return torch


def _torch_step(torch, cell: LSTMCell, x, h_prev, c_prev):
    """The same step in torch ops (float64), for autograd."""
    outputs = {}
    for g in GATES:
        W, U, b = (None if a is None else torch.as_tensor(a, dtype=torch.float64) for a in cell.weights(g))
        z = W @ x + U @ h_prev
        if b is not None:
            z = z + b
        outputs[g] = torch.tanh(z) if g == "u" else torch.sigmoid(z)
    c = outputs["f"] * c_prev + outputs["i"] * outputs["u"]
    return outputs["i"], outputs["f"], outputs["o"], outputs["u"], c, outputs["o"] * torch.tanh(c)


def _t(torch, a):
    if isinstance(a, torch.Tensor):
        return a
    return torch.as_tensor(np.array(a, dtype=float), dtype=torch.float64)  # a copy: a read-only array would warn


def torch_step(cell: LSTMCell, x, h_prev, c_prev) -> tuple:
    """The step in torch ops (float64): (i, f, o, u, c, h) as tensors that autograd can follow."""
    torch = _torch()
    return _torch_step(torch, cell, _t(torch, x), _t(torch, h_prev), _t(torch, c_prev))


def autograd_jacobians(cell: LSTMCell, x, h_prev, c_prev) -> dict:
    """∂·/∂h_{t−1} of i, f, o, u, c and h by ``torch.autograd.functional.jacobian``."""
    torch = _torch()
    x_t, c_t = _t(torch, x), _t(torch, c_prev)
    jac = torch.autograd.functional.jacobian(lambda h: _torch_step(torch, cell, x_t, h, c_t), _t(torch, h_prev), vectorize=True)
    return {name: j.numpy() for name, j in zip(("i", "f", "o", "u", "c", "h"), jac, strict=True)}


def autograd_unrolled_jacobian(cell: LSTMCell, xs, h0, c0, carry_cell_state: bool = True) -> np.ndarray:
    """Autograd Jacobian of an unrolled run from its start.

    With ``carry_cell_state`` it is ∂(h_T, c_T)/∂(h_0, c_0), shape (2k, 2k), state ordered (h, c)
    like :func:`state_jacobian`. Without it, each step's c_{s−1} is held at its forward value and
    the result is ∂h_T/∂h_0 along the h path only, shape (k, k): the product of the one-step
    ∂h_s/∂h_{s−1}, which misses the path through the cell states.
    """
    torch = _torch()
    k = cell.hidden_size
    xs_t = [_t(torch, x) for x in xs]
    cs = [_t(torch, c0)] + [_t(torch, s.c) for s in run(cell, xs, h0, c0)]

    def unrolled(state):
        h, c = (state[:k], state[k:]) if carry_cell_state else (state, None)
        for n, x in enumerate(xs_t):
            *_, c, h = _torch_step(torch, cell, x, h, c if carry_cell_state else cs[n])
        return torch.cat([h, c]) if carry_cell_state else h

    start = np.concatenate([h0, c0]) if carry_cell_state else np.asarray(h0, dtype=float)
    return torch.autograd.functional.jacobian(unrolled, _t(torch, start), vectorize=True).numpy()


__all__ = [
    "GATES", "LSTMCell", "LSTMStep", "sigmoid", "tanh_prime", "pre_activation", "step", "run",
    "gate_jacobians", "jacobians", "state_jacobian", "gradient_flow", "rnn_gradient_flow",
    "random_cell", "random_state", "from_torch", "torch_step", "autograd_jacobians", "autograd_unrolled_jacobian",
]
