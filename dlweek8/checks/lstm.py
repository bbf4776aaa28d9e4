"""Task 1 checks: gradients of an LSTM cell (notebook 01_lstm_gradients): data and thin subclasses.

A class is a kind of question; each question is one instance in ``QUESTIONS``, its id and its
numbers (``ForgetBias("lstm.forget_bias", p=0.95)``); ``variant(seed)`` draws other numbers
where the self-test offers them. Each kind lists the mistakes it can name in ``mistakes``
({name: :class:`~dlweek8.mistakes.Mistake`}: the message and any counter-example, in one
object); the wrong answer that makes each one is in the instructor's catalogue,
``dlweek8/instructor/references/lstm.py``, under the same name.

Function answers are :class:`~dlweek8.kinds.ArrayFunctionQuestion`: called on the stored public
cases (random cells whose hidden size k differs from the input size) and compared with the
stored outputs, which the instructor's references produce (tested against ``torch.autograd``).
The yes/no claims with a reason letter are :class:`~dlweek8.kinds.ClaimsWithReasonQuestion`,
judged from keyed digests and sealed feedback.
"""

from __future__ import annotations

import math
import sys

from .. import answer_forms, kinds, plain
from ..mistakes import Mistake, NamesMistakes
from ..names import INCORRECT, rng_from
from ..question import Field, ValueQuestion

#: A mistake two gradient questions share: σ(z) in the chain rule where σ′(z) belongs.
SIGMOID_FOR_DERIVATIVE = Mistake("You used σ(z) where the chain rule needs σ′(z).")


# -- lstm.cell_state_dependence -----------------------------------------------------------------
class CellStateDependence(kinds.ClaimsWithReasonQuestion):
    prompt = (
        "At step $t$, is $c_{t-1}$ a function of $h_{t-1}$? Answer (True or False, the letter of the best reason)."
    )
    hints = (
        "A function of h_{t−1} gives one c_{t−1} for each h_{t−1}. Can two runs reach the same h_{t−1} with different c_{t−1}?",
        "Look at what step t takes as its inputs, and at how much of c_{t−1} the output h_{t−1} = o_{t−1} ∘ tanh(c_{t−1}) keeps.",
    )
    claims = ("cₜ₋₁ is a function of hₜ₋₁",)
    reasons = {
        "A": "h_{t−1} is computed from c_{t−1}, so the dependence runs the other way.",
        "B": "c_{t−1} and h_{t−1} enter step t as separate inputs, and h = o ∘ tanh(c) loses information: "
             "different c_{t−1} give the same h_{t−1}.",
        "C": "c_{t−1} was computed at step t−1, before h_{t−1} existed.",
        "D": "h_{t−1} = o_{t−1} ∘ tanh(c_{t−1}) ties them together: change h_{t−1} and c_{t−1} must change too.",
    }
    keys = ("depends", "reason")
    mistakes = {"claim-fails": Mistake("{why}")}


# -- lstm.dh_dh_prev ----------------------------------------------------------------------------
def _product_rule_example() -> str:
    """d(ab)/dx for a = 3x, b = x² at x = 1, against the sum with each factor paired with its own derivative."""
    x = 1.0
    a, da, b, db = 3 * x, 3.0, x**2, 2 * x
    return (f"for a = 3x and b = x² at x = 1, d(ab)/dx = d(3x³)/dx = {9 * x**2:g} = b·a′ + a·b′ = {b:g}·{da:g} + {a:g}·{db:g}, "
            f"while a·a′ + b·b′ = {a:g}·{da:g} + {b:g}·{db:g} = {a * da + b * db:g}")


class DhDhPrev(kinds.ArrayFunctionQuestion):
    prompt = "Write ∂h_t/∂h_{t−1} (c_{t−1} held fixed) from the gate Jacobians with the product rule."
    signature = "f(i, f, o, u, c_prev, di, df, do, du) -> (k, k) array"
    hints = (
        "h_t = o_t ∘ tanh(c_t): two factors, so two terms; c_t = f_t ∘ c_{t−1} + i_t ∘ u_t gives three more "
        "(c_{t−1} is a separate input of step t: it does not move with h_{t−1}).",
        "Multiplying an output element-wise by a vector v scales the rows of its Jacobian J: diag(v) J, "
        "written v[:, None] * J in numpy.",
    )
    own_work = (
        "dlweek8.lstm.jacobians", "dlweek8.lstm.state_jacobian", "dlweek8.lstm._state_blocks",
        "dlweek8.lstm.autograd_jacobians", "dlweek8.lstm.autograd_unrolled_jacobian",
    )
    mistakes = {
        "missing-do-term": Mistake("The term ∂o_t/∂h_{t−1} ∘ tanh(c_t) is missing: o_t depends on h_{t−1} too."),
        "missing-tanh-prime": Mistake("The chain rule through tanh is missing: ∂tanh(c_t)/∂h_{t−1} = diag(tanh′(c_t)) ∂c_t/∂h_{t−1}."),
        "tanh-for-tanh-prime": Mistake("You used tanh(c_t) where its derivative tanh′(c_t) = 1 − tanh(c_t)² belongs."),
        "missing-i-du": Mistake("The term i_t ∘ ∂u_t/∂h_{t−1} is missing from ∂c_t/∂h_{t−1}."),
        "missing-df-cprev": Mistake("The term ∂f_t/∂h_{t−1} ∘ c_{t−1} is missing from ∂c_t/∂h_{t−1}."),
        "missing-di-u": Mistake("The term ∂i_t/∂h_{t−1} ∘ u_t is missing from ∂c_t/∂h_{t−1}."),
        "diag-f-term": Mistake("You added diag(f_t) to ∂c_t/∂h_{t−1}, as if c_{t−1} depended on h_{t−1}. It does not: c_{t−1} "
                               "and h_{t−1} are separate inputs of step t (the cell-state question), so f_t ∘ c_{t−1} "
                               "contributes only through ∂f_t/∂h_{t−1}."),
        "c-prev-for-c": Mistake("You used c_{t−1} inside tanh; h_t = o_t ∘ tanh(c_t) needs c_t = f_t ∘ c_{t−1} + i_t ∘ u_t."),
        "transposed": Mistake("Your Jacobian is transposed: entry [a, b] must be ∂h_t[a]/∂h_{t−1}[b]."),
        "column-scaling": Mistake("v * J broadcasts v over the columns (J diag(v)); the product rule scales rows: diag(v) J = v[:, None] * J."),
        "i-u-swapped": Mistake("In i_t ∘ u_t you paired each gate with its own Jacobian (i_t with ∂i_t, u_t with ∂u_t). The product "
                               "rule multiplies each factor's derivative by the other factor: " + _product_rule_example() + "."),
    }

    def output_shape(self, args):
        k = len(args[0])
        return (k, k)

    def describe_probe(self, args):
        k = len(args[0])
        return f"i, f, o, u, c_prev of shape ({k},); di, df, do, du of shape ({k}, {k})"

    def verdict_when_right(self, cases, outcomes, gots):
        return self.correct(
            f"Your Jacobian matches torch.autograd on {len(cases.probes)} random cells: ∂h_t/∂h_{{t−1}} = "
            "diag(tanh c_t) ∂o + diag(o_t ∘ tanh′(c_t)) (diag(c_{t−1}) ∂f + diag(u_t) ∂i + diag(i_t) ∂u), "
            "with c_{t−1} held fixed."
        )


# -- lstm.three_step_jacobian --------------------------------------------------------------------
def _order_example() -> str:
    """Two 2 × 2 matrices whose products in the two orders differ, computed here."""
    A, B = ((1, 1), (0, 1)), ((1, 0), (1, 1))

    def product(X, Y):
        return tuple(tuple(sum(X[r][n] * Y[n][c] for n in range(2)) for c in range(2)) for r in range(2))

    def text(M):
        return "[" + ", ".join("[" + ", ".join(str(v) for v in row) + "]" for row in M) + "]"

    return f"with A = {text(A)} and B = {text(B)}, AB = {text(product(A, B))} but BA = {text(product(B, A))}"


class ThreeStepJacobian(kinds.ArrayFunctionQuestion):
    prompt = (
        "Given Ss = [S_{t−2}, S_{t−1}, S_t], the one-step state Jacobians ∂s_τ/∂s_{τ−1} of the state s = (h, c) "
        "(each 2k × 2k, h first), return ∂h_t/∂h_{t−3} (k × k)."
    )
    signature = "f(Ss) -> (k, k) array, with Ss = [S_(t-2), S_(t-1), S_t], each a (2k, 2k) state Jacobian ordered (h, c)"
    hints = (
        "h_t depends on h_{t−3} through h and through c at every step: chain the Jacobians of the whole state, then pick out the part asked for.",
        "In a chain rule for a composition, which step's Jacobian stands on the left? Which rows and columns of a "
        "(2k, 2k) Jacobian of s = (h, c) hold ∂h/∂h?",
    )
    own_work = ("dlweek8.lstm.autograd_unrolled_jacobian",)
    mistakes = {
        "h-only-product": Mistake("That multiplies the three ∂h_τ/∂h_{τ−1} blocks only, so it misses the path through c: "
                                  "h_t also depends on h_{t−3} through c_{t−1} and c_{t−2}. On the check's test cell (shown below), the h-only "
                                  "product is {gap} off."),
        "wrong-order": Mistake("Right idea, wrong order: in a chain rule the Jacobian of the last step stands on the left."),
        "summed": Mistake("Jacobians of a composition multiply (chain rule); they do not add."),
        "elementwise-product": Mistake("`*` multiplies entry by entry; the chain rule needs matrix products (`@`)."),
        "last-step-only": Mistake("That is only ∂h_t/∂h_{t−1} from S_t; h_{t−1} itself depends on h_{t−3} through two more steps."),
        "transposed": Mistake("Your block is transposed: entry [a, b] must be ∂h_t[a]/∂h_{t−3}[b]."),
        "block-dh-dc": Mistake("That is the top-right block, ∂h_t/∂c_{t−3}; with s = (h, c), ∂h_t/∂h_{t−3} is the top-left k × k block."),
        "block-dc-dh": Mistake("That is the bottom-left block, ∂c_t/∂h_{t−3}; with s = (h, c), ∂h_t/∂h_{t−3} is the top-left k × k block."),
        "block-dc-dc": Mistake("That is the bottom-right block, ∂c_t/∂c_{t−3} (the state here is ordered (h, c), h first); "
                               "∂h_t/∂h_{t−3} is the top-left k × k block."),
        "whole-product": Mistake("That is the whole ∂s_t/∂s_{t−3} (2k × 2k); the question asks for its ∂h_t/∂h_{t−3} block (k × k)."),
        "h-only-wrong-order": Mistake("Two slips: that multiplies the three ∂h_τ/∂h_{τ−1} blocks only, which misses the path through c "
                                      "(h_t also depends on h_{t−3} through c_{t−1} and c_{t−2}), and in the wrong order: in a chain "
                                      "rule the Jacobian of the last step stands on the left. Order matters: " + _order_example() + "."),
    }

    def output_shape(self, args):
        k = len(args[0][0]) // 2
        return (k, k)

    def describe_probe(self, args):
        n = len(args[0][0])
        return f"Ss = [S_(t-2), S_(t-1), S_t], each of shape ({n}, {n}), k = {n // 2}"

    def mistake_numbers(self, name, cases, first):
        import numpy as np

        if name != "h-only-product":
            return {}
        h_only, right = (np.asarray(a, dtype=float) for a in (cases.mistakes[name][first], cases.expected[first]))
        return {"gap": f"{np.linalg.norm(h_only - right) / np.linalg.norm(right):.0%}"}

    def verdict_when_right(self, cases, outcomes, gots):
        return self.correct(
            "Your block matches torch.autograd through three lstm steps: ∂h_t/∂h_{t−3} is the top-left block of "
            "S_t S_{t−1} S_{t−2}. Each factor depends on that step's gates and states, which is why nobody expands "
            "it by hand; the carousel part, diag(f_t f_{t−1} f_{t−2}), sits in the bottom-right block."
        )


# -- lstm.sigmoid_prime ---------------------------------------------------------------------------
#: The extreme-z probe: the naive e^{−z}/(1+e^{−z})² overflows at −1000; σ(1−σ) cancels to 0 at 40.
_EXTREME_Z = (-1000.0, -40.0, 40.0, 1000.0)
#: The accuracy σ′ must reach where its value is a normal float; below that it must be (almost) 0.
SIGMOID_PRIME_RTOL = 1e-6
_TINY = sys.float_info.min  # the smallest normal float64 (numpy's finfo(float).tiny)


def __getattr__(name):
    """``EXTREME_Z``: the σ′ probe at the overflow edges, a new numpy array on each use (no numpy at import)."""
    if name == "EXTREME_Z":
        import numpy as np

        return np.array(_EXTREME_Z)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _cancellation_example(z: float = 37.0) -> str:
    """1 − σ(z) in float64 at a z other than the probes', computed here."""
    s = 1.0 / (1.0 + math.exp(-z))
    true = math.exp(-z) / (1.0 + math.exp(-z)) ** 2
    return f"at z = {z:g}, σ(z) = 1/(1 + e^{{−{z:g}}}) rounds to {s!r}, so 1 − σ(z) = {1.0 - s!r} while σ′({z:g}) ≈ {true:.3g}"


class SigmoidPrime(kinds.ArrayFunctionQuestion):
    prompt = (
        "Implement σ′(z) for a numpy array z (same shape out). Required: relative error ≤ 1e-6 wherever σ′(z) is a "
        "normal float (above 2.2e-308), and no NaN or inf anywhere, z = ±1000 included."
    )
    signature = "f(z) -> array of the same shape"
    hints = (
        "Differentiate 1/(1 + e^{−z}) with the chain rule, then write the result with σ itself.",
        "For large z, 1 − σ(z) subtracts two nearly equal numbers and loses every digit. Find an expression for "
        "1 − σ(z) with no subtraction in it, and build σ′ from pieces that cannot overflow.",
    )
    what = "σ′"
    probe_noun = "input arrays"
    expected_label = "expected"
    own_work = ("dlweek8.lstm._sigmoid_prime",)
    mistakes = {
        "overflow-nan": Mistake("Your σ′ returns {value} at z = {where}: an intermediate overflowed (e^{−z} or e^{z} is beyond the "
                                "largest float, and inf/inf or inf·0 is NaN). Build σ′ from pieces that stay finite at every z."),
        "cancellation": Mistake("Right for moderate z, but wrong where σ′ is tiny: 1 − σ(z) cancels. Subtracting two nearly "
                                "equal numbers loses the digits (cancellation, not underflow: the true value is a perfectly "
                                "normal float). For example " + _cancellation_example() + ". Write 1 − σ(z) without a subtraction."),
        "sigmoid-for-derivative": Mistake("That is σ(z) itself, not its derivative."),
        "missing-square": Mistake("That is e^{−z}/(1 + e^{−z}) = 1 − σ(z): the denominator of σ′ is squared."),
        "tanh-derivative": Mistake("That is the derivative of tanh, 1 − tanh(z)²; differentiate the sigmoid instead."),
        "sign": Mistake("The sign is flipped: σ is increasing, so σ′(z) > 0."),
    }

    def output_shape(self, args):
        import numpy as np

        return tuple(np.shape(args[0]))

    def describe_probe(self, args):
        import numpy as np

        z = np.asarray(args[0])
        if z.shape == (len(_EXTREME_Z),) and np.all(np.abs(z) >= 30):
            return "z = [" + ", ".join(f"{v:g}" for v in z) + "]"
        return f"z of shape {z.shape}"

    def describe_entry(self, args, errors):
        import numpy as np

        return f"z = {kinds.fmt(np.asarray(args[0]).reshape(-1)[int(np.argmax(errors))])}"

    def entry_errors(self, got, expected):
        return self._errors(got, expected).reshape(expected.shape)

    @staticmethod
    def _errors(got, expected):
        """Per entry: relative error where σ′ is a normal float, |got| / tiny below that (flat)."""
        import numpy as np

        got, expected = np.asarray(got, dtype=float).reshape(-1), np.asarray(expected, dtype=float).reshape(-1)
        normal = np.abs(expected) >= _TINY
        with np.errstate(all="ignore"):
            return np.where(normal, np.abs(got - expected) / np.where(normal, np.abs(expected), 1.0),
                            np.abs(got) / _TINY * SIGMOID_PRIME_RTOL)

    def close(self, got, expected):
        import numpy as np

        return got.shape == expected.shape and bool(np.all(self._errors(got, expected) <= SIGMOID_PRIME_RTOL))

    def judge(self, cases, outcomes):
        for args, outcome in zip(cases.probes, outcomes, strict=True):
            found = None if outcome.value is None else self._first_non_finite(args, outcome)
            if found:
                z, value = found
                return self.named(
                    "overflow-nan", value=value, where=f"{z:g}",
                    example=(("inputs", self.describe_probe(args)), ("expected", "finite values, 0 at ±1000")),
                )
        return super().judge(cases, outcomes)

    def named_mistake(self, cases, gots):
        import numpy as np

        named = super().named_mistake(cases, gots)
        if named:
            return named
        # Any form of σ(1 − σ): right where σ′ is not tiny, too small where it is.
        for got, exp in zip(gots, cases.expected, strict=True):
            exp = np.asarray(exp, dtype=float)
            errors = self._errors(got, exp)
            wrong = errors.reshape(-1) > SIGMOID_PRIME_RTOL
            if np.any(wrong & (np.abs(exp.reshape(-1)) > 1e-9)) or np.any(np.abs(got.reshape(-1)) > np.abs(exp.reshape(-1)) + _TINY):
                return None
        return "cancellation"

    def _first_non_finite(self, args, outcome):
        """(z, value) of the first NaN or inf in an output of the right shape, else None."""
        import numpy as np

        try:
            values = np.asarray(outcome.value, dtype=float)
        except (TypeError, ValueError):
            return None
        if values.shape != self.output_shape(args) or np.all(np.isfinite(values)):
            return None
        bad = int(np.flatnonzero(~np.isfinite(values.reshape(-1)))[0])
        return float(np.asarray(args[0]).reshape(-1)[bad]), float(values.reshape(-1)[bad])

    def verdict_when_right(self, cases, outcomes, gots):
        note = ""
        warned = next((outcome.warnings[0] for outcome in outcomes if outcome.warnings), None)
        if warned:
            note = (f" Computing them warned ({warned}): harmless here, since the overflowing intermediate only "
                    "divides, but a form with no overflow at all is cleaner.")
        return self.correct(
            "Accurate to 1e-6 relative at every probe, including z = ±1000 and z = 40. σ′ = σ(z)(1 − σ(z)) = "
            "σ(z)·σ(−z): the second form has no subtraction, so nothing cancels where σ′ is tiny." + note
        )


# -- lstm.df_dh_prev ------------------------------------------------------------------------------
class DfDhPrev(kinds.ArrayFunctionQuestion):
    prompt = "Write ∂f_t/∂h_{t−1} (k × k) for the forget gate f_t = σ(W^f x_t + U^f h_{t−1}) (no bias)."
    signature = "f(W_f, U_f, x, h_prev) -> (k, k) array"
    hints = (
        "Row d1 of the Jacobian is the gradient of one number, f_t[d1] = σ(z[d1]): apply the chain rule to it alone.",
        "Compute the pre-activation z once; which entries of U^f does z[d1] use, and what does the chain rule put in front of them?",
    )
    own_work = (
        "dlweek8.lstm.gate_jacobians", "dlweek8.lstm._gate_jacobians_from", "dlweek8.lstm.jacobians",
        "dlweek8.lstm.state_jacobian", "dlweek8.lstm._state_blocks", "dlweek8.lstm.autograd_jacobians",
    )
    mistakes = {
        "transposed": Mistake("Your Jacobian is transposed: entry [d1, d2] must be ∂f_t[d1]/∂h_{t−1}[d2], so row d1 uses U^f[d1, :]."),
        "sigmoid-for-derivative": SIGMOID_FOR_DERIVATIVE,
        "missing-sigmoid-prime": Mistake("That is U^f alone: the chain rule through σ multiplies each row d1 by σ′(z[d1])."),
        "column-scaling": Mistake("You scaled the columns (U * s broadcasts over columns); σ′(z[d1]) scales row d1: s[:, None] * U."),
        "missing-input-term": Mistake("σ′ is evaluated at U^f h_{t−1} only; the pre-activation also contains W^f x_t."),
        "missing-recurrent-term": Mistake("σ′ is evaluated at W^f x_t only; the pre-activation also contains U^f h_{t−1}."),
        "U-transposed": Mistake("You scaled the rows of U^f transposed: row d1 of ∂f_t/∂h_{t−1} needs row d1 of U^f (z[d1] uses "
                                "U^f[d1, :]), and row d1 of U^fᵀ is column d1 of U^f. For example with U^f = [[1, 2], [3, 4]], row 0 "
                                "is (1, 2) but row 0 of U^fᵀ is (1, 3)."),
    }

    def output_shape(self, args):
        k = args[1].shape[0]
        return (k, k)

    def describe_probe(self, args):
        (k, d) = args[0].shape
        return f"W_f of shape ({k}, {d}), U_f of shape ({k}, {k}), x of shape ({d},), h_prev of shape ({k},)"

    def verdict_when_right(self, cases, outcomes, gots):
        return self.correct(
            f"Your Jacobian matches torch.autograd on {len(cases.probes)} random cells: entry [d1, d2] is "
            "σ′(W^f[d1]·x_t + U^f[d1]·h_{t−1}) · U^f[d1, d2], i.e. diag(σ′(z)) U^f."
        )


# -- lstm.forget_bias and the self-test's forget_bias_99 -------------------------------------------
class ForgetBias(NamesMistakes, ValueQuestion):
    """The smallest bias b with σ(b) ≥ p: accepted within rounding b to 3 decimals, and at most 0.01 above it."""

    BELOW, ABOVE = 0.0005, 0.01
    fields = (Field("b", "float"),)
    hints = (
        "With a zero weighted input, f_t = σ(b). σ is increasing: solve σ(b) = p for b.",
        "Write σ(b) = 1/(1 + e^{−b}) = p and solve for e^{−b}, then take the logarithm.",
    )
    mistakes = {
        "gate-value-for-bias": Mistake("{p} is the gate value; the bias b is the input to σ. For example, a gate of 0.5 needs b = 0, not 0.5. {about}"),
        "sign": Mistake("The sign is flipped: your b is negative, so your gate is σ(b) = {f}, below one half; "
                        "σ(−b) = 1 − σ(b), so the bias you want is positive."),
        "bias-one": Mistake("Bias 1 is the usual initialisation (Jozefowicz et al. 2015), but it is not enough here. {about} That is below {p}."),
        "rounded-down": Mistake("Just short. {about} That is below {p}. The smallest b is not a round number: give 3 decimals, "
                                "and round so that σ(b) still reaches {p}."),
        "too-small": Mistake("Too small. {about} That is below {p}."),
        "not-smallest": Mistake("{about} That reaches {p}, but a smaller b does too: find the b where σ(b) = {p} exactly."),
    }

    def __init__(self, question_id, p: float):
        self.id, self.p = question_id, p

    @property
    def prompt(self):
        return (
            f"The smallest forget bias $b$ with $f_t \\ge {self.p}$ when $W^f x_t + U^f h_{{t-1}} = 0$, to 3 decimals "
            f"(accepted: $\\sigma(b) \\ge {self.p}$ up to rounding $b$ in its 3rd decimal, and at most 0.01 more than needed)."
        )

    def judge(self, answer):
        b, problem = answer_forms.number(answer)
        if problem:
            return self.invalid(problem)
        best = math.log(self.p / (1.0 - self.p))  # the logit of p, computed only here
        f = (1.0 + math.tanh(b / 2)) / 2  # σ(b), for one number (math: no numpy for a value check)
        if best - self.BELOW <= b <= best + self.ABOVE:
            return self.correct(
                f"b = ln({self.p}/{1 - self.p:.3g}) ≈ {best:.4f}: σ(b) = p gives e^{{−b}} = (1 − p)/p, the logit of p."
            )
        return self.named(self._mistake(b, best, f), p=self.p, f=f"{f:.4f}", about=f"Your b gives σ(b) = {f:.5f}.")

    def _mistake(self, b, best, f) -> str:
        if abs(b - self.p) <= 0.005:
            return "gate-value-for-bias"
        if b < 0 and abs(b + best) <= 0.01:
            return "sign"
        if abs(b - 1.0) <= 0.005:
            return "bias-one"
        if best - 0.01 <= b < best:
            return "rounded-down"
        return "too-small" if f < self.p else "not-smallest"

    def variant(self, seed):
        """Another gate value p (3 decimals, 0.850 to 0.995): a student's own numbers."""
        rng = rng_from(seed)
        for _ in range(kinds.VARIANT_ATTEMPTS):
            p = int(rng.integers(850, 996)) / 1000
            if p != self.p:
                return ForgetBias(self.id, p)
        return None  # every draw was the notes' p (never seen: one in 146)


class QuizForgetBias(ForgetBias):
    """Self-test: the same skill at another gate value; ``variant`` draws others."""

    hints = ("σ(b) = p: solve for b (σ is increasing, so the smallest b is where equality holds).",)
    GATE_VALUES = (0.9, 0.98, 0.99, 0.995, 0.999, 0.8, 0.85, 0.97)

    def variant(self, seed):
        others = [p for p in self.GATE_VALUES if p != self.p]
        return QuizForgetBias(self.id, others[int(rng_from(seed).integers(len(others)))])


# -- lstm.argmax_h --------------------------------------------------------------------------------
class ArgmaxH(kinds.ArrayFunctionQuestion):
    prompt = "Return the unit-length h_{t−1} that maximises f_t(d) when x_t = 0."
    signature = "f(U_f, d) -> (k,) array"
    hints = (
        "σ is increasing, so maximise the pre-activation U^f[d] · h over unit vectors h.",
        "For which unit vector h is an inner product u · h largest (Cauchy–Schwarz)?",
    )
    what = "vector"
    probe_noun = "random matrices"
    expected_label = "expected"
    mistakes = {
        "unnormalised": Mistake("Right direction, but h_{t−1} must have length 1: divide by its norm."),
        "column-not-row": Mistake("That uses column d of U^f; f_t(d) depends on h_{t−1} through row d, U_f[d] (= U_f[d, :])."),
        "column-unnormalised": Mistake("That is column d of U^f, not normalised; f_t(d) uses row d, and the answer has length 1."),
        "minimiser": Mistake("That points against the row and minimises f_t(d); flip the sign."),
        "not-unit-length": Mistake("Your vector has length {length}; the question asks for length 1."),
    }

    def output_shape(self, args):
        return (args[0].shape[0],)

    def describe_probe(self, args):
        return f"U_f of shape {args[0].shape}, d = {args[1]}"

    def judge(self, cases, outcomes):
        import numpy as np

        feedback = super().judge(cases, outcomes)
        if feedback.status == INCORRECT and feedback.mistake in (None, "not-unit-length"):
            for args, outcome in zip(cases.probes, outcomes, strict=True):
                got, _ = self.read(args, outcome)
                if got is not None and abs(np.linalg.norm(got) - 1.0) > 1e-6:
                    return self.named("not-unit-length", length=kinds.fmt(np.linalg.norm(got)), example=feedback.example)
            return self.wrong("Your vector has length 1 but does not maximise U^f[d] · h.", example=feedback.example)
        return feedback

    def verdict_when_right(self, cases, outcomes, gots):
        return self.correct(f"U^f[d] / ‖U^f[d]‖ on {len(cases.probes)} random matrices: the unit vector along row d "
                            "maximises U^f[d] · h (Cauchy–Schwarz), and σ is increasing.")


# -- lstm.argmax_vs_input -------------------------------------------------------------------------
class ArgmaxVsInput(kinds.ClaimsWithReasonQuestion):
    prompt = (
        "With an input $x_t \\ne 0$, does the unit $h_{t-1}$ that maximises $f_t(d)$ depend on $W^f(d) \\cdot x_t$? Does the maximum "
        "value? Answer (argmax depends, max depends, the letter of the best reason)."
    )
    hints = (
        "How does W^f(d)·x_t change as h_{t−1} varies over unit vectors?",
        "Does adding the same number to every candidate's score, then applying an increasing function, change which candidate wins? The winning value?",
    )
    claims = ("the argmax depends on Wᶠ(d)·xₜ", "the max depends on Wᶠ(d)·xₜ")
    reasons = {
        "A": "W^f(d)·x_t is large compared with U^f(d)·h_{t−1}, so σ saturates whatever h_{t−1} is.",
        "B": "W^f(d)·x_t adds the same number to the pre-activation for every h_{t−1}, and σ is increasing.",
        "C": "x_t and h_{t−1} are separate inputs, so nothing about the best h_{t−1} involves x_t.",
        "D": "The input term turns the best direction towards the row W^f(d).",
    }
    keys = ("argmax", "max", "reason")
    mistakes = {
        "both-claims-fail": Mistake("{why}"),
        "argmax-claim-fails": Mistake("{why}"),
        "max-claim-fails": Mistake("{why}"),
    }


# -- lstm.dL_dU_f ---------------------------------------------------------------------------------
class DLdUf(kinds.ArrayFunctionQuestion):
    prompt = (
        "For the loss L = v · c_t after one step, with c_t = f_t ∘ c_{t−1} + i_t ∘ u_t and "
        "f_t = σ(W^f x_t + U^f h_{t−1} + b^f), return ∂L/∂U^f (k × k, entry [a, b] = ∂L/∂U^f[a, b])."
    )
    signature = "f(W_f, U_f, b_f, x, h_prev, c_prev, v) -> (k, k) array"
    hints = (
        "Only f_t depends on U^f, and U^f[a, b] enters only f_t[a]. Follow the chain from L to c_t[a] to f_t[a] to U^f[a, b].",
        "The result is a product of a vector over a and a vector over b. Check it with a numerical gradient "
        "(dlweek8.gradcheck.numerical_gradient) before you submit.",
    )
    what = "gradient"
    expected_label = "expected (autograd)"
    own_work = ("dlweek8.gradcheck.numerical_gradient", "dlweek8.lstm.autograd_jacobians", "dlweek8.lstm.gate_jacobians",
                "dlweek8.lstm._gate_jacobians_from")
    mistakes = {
        "transposed": Mistake("Your gradient is transposed: U^f[a, b] multiplies h_{t−1}[b] inside f_t[a], so row a belongs to f_t[a]."),
        "missing-sigmoid-prime": Mistake("The chain rule through σ is missing: ∂f_t[a]/∂z[a] = σ′(z[a])."),
        "sigmoid-for-derivative": SIGMOID_FOR_DERIVATIVE,
        "missing-c-prev": Mistake("The factor c_{t−1} is missing: ∂c_t/∂f_t = diag(c_{t−1})."),
        "missing-v": Mistake("The factor v is missing: ∂L/∂c_t = v."),
        "missing-bias": Mistake("σ′ is evaluated without the bias: the pre-activation is W^f x_t + U^f h_{t−1} + b^f."),
        "x-for-h": Mistake("That is ∂L/∂W^f (it pairs with x_t); U^f multiplies h_{t−1}."),
    }

    def output_shape(self, args):
        k = len(args[1])
        return (k, k)

    def describe_probe(self, args):
        import numpy as np

        (k, d) = np.shape(args[0])
        return f"W_f ({k}, {d}), U_f ({k}, {k}), b_f, h_prev, c_prev, v ({k},), x ({d},)"

    def verdict_when_right(self, cases, outcomes, gots):
        return self.correct(
            f"Your gradient matches torch.autograd on {len(cases.probes)} random cells: ∂L/∂U^f = "
            "(v ∘ c_{t−1} ∘ σ′(z_f)) h_{t−1}ᵀ, an outer product (the numerical gradient agrees to about 1e-9)."
        )


# -- self-test: the constant-error carousel and a tanh RNN's scale --------------------------------
class QuizCarousel(kinds.Tolerance, NamesMistakes, ValueQuestion):
    """∂c_t[d]/∂c_{t−3}[d] along the c → c path: the product of the three forget gates ``gates`` = (f_{t−2}, f_{t−1}, f_t)."""

    fields = (Field("∂c_t[d]/∂c_{t−3}[d]", "float"),)
    rtol, atol = 1e-3, 5e-4  # 3 significant digits
    hints = ("One step of the carousel is c_τ = f_τ ∘ c_{τ−1} + (terms without c_{τ−1}). Chain three of them.",)
    mistakes = {
        "summed": Mistake("Derivatives along a chain multiply; you added the gates."),
        "last-step-only": Mistake("That is one step, ∂c_t/∂c_{t−1}; c_{t−1} depends on c_{t−3} through two more gates."),
        "two-steps": Mistake("That is two steps; from c_{t−3} to c_t there are three."),
        "one-minus-f": Mistake("The carousel keeps the fraction f of the cell state, not 1 − f."),
        "carousel-is-one": Mistake("The carousel passes gradient unchanged only when every forget gate is 1."),
    }

    def __init__(self, question_id, gates: tuple):
        self.id, self.gates = question_id, tuple(gates)

    @property
    def prompt(self):
        a, b, c = self.gates
        return (f"Unit $d$'s forget gate is {a}, {b} and {c} at steps $t-2$, $t-1$ and $t$. Along the carousel (the $c \\to c$ path "
                "only), what is $\\partial c_t[d] / \\partial c_{t-3}[d]$? (3 significant digits)")

    def candidates(self) -> list[tuple[str, float]]:
        """(mistake, the answer it produces with these gates), in the order ``judge`` tries them."""
        a, b, c = self.gates
        return [("summed", a + b + c), ("last-step-only", c), ("two-steps", b * c), ("one-minus-f", (1 - a) * (1 - b) * (1 - c)),
                ("carousel-is-one", 1.0)]

    def judge(self, answer):
        got, problem = answer_forms.number(answer)
        if problem:
            return self.invalid(problem)
        a, b, c = self.gates
        if self.close(got, a * b * c):
            return self.correct(f"f_t · f_{{t−1}} · f_{{t−2}} = {c}·{b}·{a}: each step of the carousel multiplies the "
                                "gradient by that step's forget gate; gates near 1 keep it alive for many steps.")
        for name, value in self.candidates():
            if self.close(got, value):
                return self.named(name)
        return self.wrong("Not the carousel's factor. For example, with gates 0.5 at every step, the gradient halves "
                          "at each step along c.")

    def variant(self, seed):
        import numpy as np

        rng = rng_from(seed)
        return QuizCarousel(self.id, tuple(float(g) for g in np.round(rng.uniform(0.5, 0.99, 3), 2)))


class QuizRnnScale(kinds.Tolerance, NamesMistakes, ValueQuestion):
    """|∂h_T/∂h_0| = (u·s)^T for a one-unit tanh RNN whose slopes stay at s; vanishes iff u·s < 1."""

    fields = (
        Field("|∂h_T/∂h_0|", "float"),
        Field("as T grows, the gradient", "choice", (("vanishes", "vanishes"), ("explodes", "explodes"))),
    )
    rtol = 5e-3  # 3 significant digits
    hints = ("One step: ∂h_τ/∂h_{τ−1} = tanh′(u h_{τ−1} + w x_τ) · u = (1 − h_τ²) · u. Chain T of them.",)
    mistakes = {
        "slope-ignored": Mistake("You left out the tanh slopes: each step multiplies by (1 − h_τ²)·u, not by u alone."),
        "weight-ignored": Mistake("You left out the recurrent weight: each step multiplies by (1 − h_τ²)·u, not by the slope alone."),
        "one-step-short": Mistake("T steps give T factors; you used one fewer."),
        "summed": Mistake("Derivatives along a chain multiply; you added the steps' factors."),
        "direction": Mistake("The gradient's size is right, but see where it goes: a factor per step above 1 grows without "
                             f"bound, below 1 shrinks to 0. For example 0.9^100 ≈ {0.9**100:.2g} and 1.1^100 ≈ {1.1**100:.2g}."),
    }

    def __init__(self, question_id, u: float, slope: float, steps: int):
        self.id, self.u, self.slope, self.steps = question_id, u, slope, steps

    @property
    def prompt(self):
        return (f"A one-unit tanh RNN $h_\\tau = \\tanh(u\\,h_{{\\tau-1}} + w\\,x_\\tau)$ has $u = {self.u}$, and its inputs keep every slope "
                f"$1 - h_\\tau^2$ at {self.slope}. What is $|\\partial h_T / \\partial h_0|$ for $T = {self.steps}$ (3 significant digits), and does the "
                "gradient vanish or explode as $T$ grows?")

    def candidates(self) -> list[tuple[str, float]]:
        """(mistake, the size it produces with these numbers), in the order ``judge`` tries them."""
        u, s, T = self.u, self.slope, self.steps
        return [("slope-ignored", u**T), ("weight-ignored", s**T), ("one-step-short", (u * s) ** (T - 1)), ("summed", T * u * s)]

    def judge(self, answer):
        if isinstance(answer, dict):
            answer = [answer.get("size"), answer.get("trend")]
        if not isinstance(answer, list) or len(answer) != 2:
            return self.invalid(f"Expected (a number, \"vanishes\" or \"explodes\"), got {plain.describe(answer)}.")
        got, problem = answer_forms.number(answer[0])
        if problem:
            return self.invalid(problem)
        trend = answer[1].strip().lower() if isinstance(answer[1], str) else None
        if trend not in ("vanishes", "explodes"):
            return self.invalid(f"The second part must be \"vanishes\" or \"explodes\", got {plain.describe(answer[1])}.")
        u, s, T = self.u, self.slope, self.steps
        right_trend = "explodes" if u * s > 1 else "vanishes"
        if self.close(got, (u * s) ** T):
            if trend == right_trend:
                return self.correct(f"(u·s)^T = ({u}·{s})^{T}: each step multiplies by u·s = {u * s:.3g}, "
                                    f"{'above' if u * s > 1 else 'below'} 1. Gradient clipping tames the exploding "
                                    "case; the LSTM's carousel avoids the vanishing one.")
            return self.named("direction")
        for name, value in self.candidates():
            if self.close(got, value):
                return self.named(name)
        return self.wrong("Not the product of the one-step derivatives. For example, with u = 2 and slopes 0.25 the "
                          "factor per step is 0.5, and three steps give 0.125.")

    def variant(self, seed):
        import numpy as np

        rng = rng_from(seed)
        for _ in range(kinds.VARIANT_ATTEMPTS):
            u, s, T = float(np.round(rng.uniform(0.6, 2.5), 1)), float(np.round(rng.uniform(0.3, 0.95), 2)), int(rng.integers(10, 41))
            if abs(T * math.log(u * s)) >= 2 and abs(math.log(u * s)) >= 0.05:
                return QuizRnnScale(self.id, u, s, T)
        return None  # no clear trend in every draw (never seen: about one draw in four is kept)


QUESTIONS = [
    CellStateDependence("lstm.cell_state_dependence"),
    DhDhPrev("lstm.dh_dh_prev"),
    ThreeStepJacobian("lstm.three_step_jacobian"),
    SigmoidPrime("lstm.sigmoid_prime"),
    DfDhPrev("lstm.df_dh_prev"),
    DLdUf("lstm.dL_dU_f"),
    ForgetBias("lstm.forget_bias", p=0.95),
    ArgmaxH("lstm.argmax_h"),
    ArgmaxVsInput("lstm.argmax_vs_input"),
    # The self-test at the end of the notebook: the same skills with new numbers (answer boxes only).
    QuizForgetBias("lstm.quiz_forget_bias_99", p=0.99),
    QuizCarousel("lstm.quiz_cec", gates=(0.9, 0.8, 0.95)),
    QuizRnnScale("lstm.quiz_rnn_scale", u=1.5, slope=0.8, steps=20),
]


# -- written answers, graded by a person (the kind: dlweek8/written.py; rubrics: references/rubrics.py) --
# Kept apart from the list above: each written question goes right after the question it follows.
from ..written import Criterion, WrittenQuestion, placed  # noqa: E402 - the written block stays at the end

WRITTEN = [
    WrittenQuestion(
        "lstm.cell_state_dependence_why",
        "In at most three sentences: at step t, is c_{t−1} a function of h_{t−1}? Why or why not?",
        (
            Criterion("verdict", "answers the question: yes or no"),
            Criterion("inputs", "says how c_{t−1} and h_{t−1} enter step t"),
            Criterion("reason", "gives a reason why h_{t−1} does or does not determine c_{t−1} (an argument or a counter-example)"),
        ),
        practice="lstm.cell_state_dependence",
    ),
    WrittenQuestion(
        "lstm.no_hand_jacobian_why",
        "In at most three sentences: why should nobody write out ∂h_t/∂h_{t−3} by hand?",
        (
            Criterion("structure", "says what ∂h_t/∂h_{t−3} is made of, in terms of one-step Jacobians"),
            Criterion("paths", "says which quantities carry the dependence of h_t on h_{t−3}"),
            Criterion("instead", "says why expanding it is impractical, and how it is computed instead"),
        ),
        after="lstm.dh_dh_prev",
    ),
    WrittenQuestion(
        "lstm.argmax_vs_input_why",
        "In at most three sentences: does the argmax over h_{t−1} of f_t(d) depend on W^f(d)·x_t? Does the max? Justify both.",
        (
            Criterion("argmax", "answers for the argmax, with a reason"),
            Criterion("max", "answers for the max, with a reason"),
            Criterion("numbers", "backs the answers with a computation or an example with numbers"),
        ),
        practice="lstm.argmax_vs_input",
    ),
]
QUESTIONS = placed(QUESTIONS, WRITTEN)
