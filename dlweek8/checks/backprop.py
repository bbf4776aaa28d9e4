"""Notebook 01's backward pass: one LSTM step backwards, then T steps (backpropagation through time): data and thin subclasses.

The forward step and its cache are :mod:`dlweek8.backprop` (stacked weights, gates in the order
i, f, o, u). Each answer returns a tuple of gradients; every gradient is compared with the stored
outputs of the instructor's reference (``dlweek8/instructor/references/backprop.py``, tested
against ``torch.autograd``) on random cells whose hidden size k differs from the input size d, so a
transposed gradient shows. A wrong answer whose gradients all match a named mistake's stored
gradients gets that mistake's name; otherwise the feedback shows the worst entry of the first
gradient that is off (the kind: :class:`dlweek8.kinds.ArraysFunctionQuestion`).
"""

from __future__ import annotations

from .. import kinds
from ..mistakes import Mistake

#: Package functions that compute the answers: an answer that calls one gets no credit.
_AUTOGRAD = ("dlweek8.backprop.autograd_step_backward", "dlweek8.backprop.autograd_backward")


def _sizes(cache) -> tuple[int, int]:
    """(k, d) of a cache."""
    import numpy as np

    W = np.asarray(cache["W"])
    return W.shape[0] // 4, W.shape[1]


# -- backprop.step_backward ------------------------------------------------------------------------
class StepBackward(kinds.ArraysFunctionQuestion):
    prompt = (
        "Write lstm_step_backward(dh, dc, cache): given dh = ∂L/∂h_t and dc = ∂L/∂c_t (the part that reaches c_t "
        "from later steps), return (dx, dh_prev, dc_prev, dW, dU, db), the gradients of L with respect to the step's "
        "inputs and its stacked weights."
    )
    signature = "f(dh, dc, cache) -> (dx, dh_prev, dc_prev, dW, dU, db)"
    outputs = ("dx", "dh_prev", "dc_prev", "dW", "dU", "db")
    hints = (
        "Go backwards through the forward step: first the whole gradient of c_t (two paths reach it), then each gate's "
        "gradient, then each gate's pre-activation, and only then the inputs and weights.",
        "With dz = the stacked gradient of the four pre-activations (4k,), every weight gradient is an outer product "
        "with the vector that weight multiplies, and each input gradient is a transposed weight times dz. "
        "Check each gradient with gradcheck.numerical_gradient.",
    )
    own_work = _AUTOGRAD
    mistakes = {
        "dc-path-missing": Mistake("The gradient that arrives through the cell state is missing: ∂L/∂c_t = dc + dh ∘ o_t ∘ "
                                   "tanh′(c_t), and through the gates i, f and u the dc part reaches dh_prev, dx and the weights too."),
        "missing-tanh-prime": Mistake("The chain rule through tanh(c_t) is missing: h_t = o_t ∘ tanh(c_t), so dh reaches c_t "
                                      "as dh ∘ o_t ∘ tanh′(c_t), with tanh′(c_t) = 1 − tanh(c_t)²."),
        "transposed": Mistake("Your weight gradients are transposed: dW has the shape of W, (4k, d), and entry [a, b] pairs "
                              "pre-activation a with input b: dW = dz x_tᵀ, dU = dz h_{t−1}ᵀ."),
        "dc-prev-dc-only": Mistake("dc_prev keeps only the incoming dc: c_{t−1} reaches L through all of ∂L/∂c_t, which includes "
                                   "the path through h_t (dh ∘ o_t ∘ tanh′(c_t)), and then through f_t."),
        "missing-gate-derivative": Mistake("The gates' own derivatives are missing: a sigmoid gate g passes its gradient on to its "
                                           "pre-activation times σ′(z) = g ∘ (1 − g), the candidate u times 1 − u²."),
    }

    def output_shapes(self, args):
        k, d = _sizes(args[2])
        return ((d,), (k,), (k,), (4 * k, d), (4 * k, k), (4 * k,))

    def describe_probe(self, args):
        k, d = _sizes(args[2])
        return f"dh, dc of shape ({k},); a cache with x ({d},), W ({4 * k}, {d}), U ({4 * k}, {k}) (k = {k}, d = {d})"

    def right_message(self, count):
        return (f"All six gradients match torch.autograd on {count} random cells: ∂L/∂c_t = dc + dh ∘ o ∘ tanh′(c_t) "
                "collects both paths, dc_prev = f_t ∘ ∂L/∂c_t, and every weight gradient is dz times the vector that weight multiplies.")


# -- backprop.lstm_backward ------------------------------------------------------------------------
class LstmBackward(kinds.ArraysFunctionQuestion):
    prompt = (
        "Write lstm_backward(dhs, caches): dhs[t] = ∂L/∂h_t from the loss at each step t (T, k), caches the T step caches "
        "in order. Return (dxs, dh0, dc0, dW, dU, db), calling your lstm_step_backward once per step."
    )
    signature = "f(dhs, caches) -> (dxs, dh0, dc0, dW, dU, db)"
    outputs = ("dxs", "dh0", "dc0", "dW", "dU", "db")
    probe_noun = "random runs"
    hints = (
        "Walk the steps from the last to the first, carrying two gradients back: the one for h and the one for c.",
        "The dh that step t needs adds two things: the loss's own dhs[t] and what step t+1 sent back. The weights are "
        "used at every step, so their gradients add up.",
    )
    own_work = _AUTOGRAD
    mistakes = {
        "f-next": Mistake("The cell-state gradient is carried with the wrong forget gate: undoing c_t = f_t ∘ c_{t−1} + i_t ∘ u_t "
                          "multiplies ∂L/∂c_t by f_t, the gate of the step being undone, not by f_{t+1} of the step after it."),
        "dc-not-carried": Mistake("The cell-state gradient is not carried back: the dc_prev that step t returns is the dc step t−1 "
                                  "needs. Without it the carousel, the path that keeps gradients alive, is cut."),
        "dh-not-carried": Mistake("The hidden-state gradient is not carried back: the dh step t−1 needs is dhs[t−1] plus the "
                                  "dh_prev that step t returned."),
        "loss-terms-missing": Mistake("Only the last step's dhs reaches the run: each step's own dhs[t] must be added to the dh "
                                      "carried back from step t+1."),
        "weights-not-summed": Mistake("The weight gradients must add up over the steps: W, U and b are used at every step, so "
                                      "dW = Σ_t dW_t (likewise dU, db); you kept only one step's."),
    }

    def output_shapes(self, args):
        import numpy as np

        dhs, caches = args
        k, d = _sizes(caches[0])
        return ((len(np.asarray(dhs)), d), (k,), (k,), (4 * k, d), (4 * k, k), (4 * k,))

    def describe_probe(self, args):
        import numpy as np

        dhs, caches = args
        k, d = _sizes(caches[0])
        return f"dhs of shape {np.shape(dhs)}, {len(caches)} caches (k = {k}, d = {d})"

    def right_message(self, count):
        return (f"All six gradients match torch.autograd through {count} random runs: the loop carries (dh, dc) from "
                "each step to the one before, which is the product of the state Jacobians written as code.")


QUESTIONS = [
    StepBackward("backprop.step_backward"),
    LstmBackward("backprop.lstm_backward"),
]
