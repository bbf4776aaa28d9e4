"""Task 1 checks: gradients of an LSTM cell (notebook 01_lstm_gradients).

Function answers are called on the stored public cases (random cells whose hidden size k
differs from the input size) and compared with the stored outputs, which the instructor's
references produce (tested against ``torch.autograd``). A wrong answer is matched against
the stored outputs of each named mistake, so the feedback can name it; otherwise it shows
the worst entry. The references themselves live in ``dlweek8/instructor/references/lstm.py``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import answer_forms, lstm, plain
from ..question import Field, FunctionQuestion, ValueQuestion

#: Agreement with the autograd reference (float32 answers pass too).
RTOL, ATOL = 1e-4, 1e-7

def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _close(got: np.ndarray, expected: np.ndarray) -> bool:
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=RTOL, atol=ATOL))


def _worst_entry(got: np.ndarray, expected: np.ndarray, expected_label: str = "expected") -> tuple:
    """Rows (label, text) for the entry where ``got`` is farthest from ``expected``."""
    index = np.unravel_index(int(np.argmax(np.abs(got - expected))), expected.shape)
    where = "[" + ", ".join(str(int(n)) for n in index) + "]"
    return (("worst entry", where), (expected_label, _fmt(expected[index])), ("got", _fmt(got[index])))


def _warned(outcome) -> str:
    return f" Your function warned: {outcome.warnings[0]}." if outcome.warnings else ""


def _shapes(args) -> str:
    return ", ".join(plain.describe(plain.to_plain(a)).replace("an array of shape ", "") for a in args)


class _ArrayFunctionQuestion(FunctionQuestion):
    """A function returning an array, compared with the stored outputs on every probe.

    ``mistakes`` maps each named mistake to its message, in the order they are tried: a
    wrong answer whose outputs match that mistake's stored outputs on every probe gets it.
    """

    mistakes: dict = {}
    what = "Jacobian"  # what the answer returns, for messages
    probe_noun = "random cells"
    expected_label = "expected (autograd)"

    def output_shape(self, args) -> tuple:
        raise NotImplementedError

    def describe_probe(self, args) -> str:
        return _shapes(args)

    def describe_entry(self, args, got, expected) -> str | None:
        """The input behind the worst entry, where that helps (e.g. the z of σ′)."""
        return None

    def read(self, args, outcome):
        """(array, None) or (None, one-line problem) for one call's result."""
        shape = self.output_shape(args)
        if outcome.value is None:
            return None, f"Your function returned None; expected an array of shape {shape} (did it forget to return?)."
        got, problem = answer_forms.array(outcome.value, shape)
        return got, (problem + _warned(outcome) if problem else None)

    def judge(self, cases, outcomes):
        gots = []
        for args, outcome in zip(cases.probes, outcomes):
            got, problem = self.read(args, outcome)
            if problem:
                return self.invalid(problem, example=(("inputs", self.describe_probe(args)),))
            gots.append(got)
        expected = [np.asarray(e, dtype=float) for e in cases.expected]
        failing = [n for n, (got, exp) in enumerate(zip(gots, expected)) if not _close(got, exp)]
        if not failing:
            return self.verdict_when_right(cases, outcomes, gots)
        first = failing[0]
        example = (("inputs", self.describe_probe(cases.probes[first])),) + _worst_entry(gots[first], expected[first], self.expected_label)
        at = self.describe_entry(cases.probes[first], gots[first], expected[first])
        if at:
            example = example[:2] + (("at", at),) + example[2:]
        named = self.named_mistake(cases, gots)
        if named:
            return self.wrong(self.mistakes[named], mistake=named, example=example)
        return self.wrong(
            f"Your {self.what} differs from the reference on {len(failing)} of {len(cases.probes)} {self.probe_noun}."
            + _warned(outcomes[first]),
            example=example,
        )

    def named_mistake(self, cases, gots) -> str | None:
        """The first mistake in ``mistakes`` whose stored outputs ``gots`` match on every probe."""
        for name in self.mistakes:
            outputs = cases.mistakes.get(name)
            if outputs is not None and all(_close(got, np.asarray(out, dtype=float)) for got, out in zip(gots, outputs)):
                return name
        return None

    def verdict_when_right(self, cases, outcomes, gots):
        return self.correct(f"Your {self.what} matches torch.autograd on {len(cases.probes)} {self.probe_noun} (hidden size ≠ input size).")


# -- lstm.cell_state_dependence -----------------------------------------------------------------
class CellStateDependence(ValueQuestion):
    id = "lstm.cell_state_dependence"
    prompt = "Is c_{t−1} a function of h_{t−1}? (True or False)"
    hints = (
        "Look at the step that produces h_{t−1}: which of the two is computed from the other?",
        "h_{t−1} = o_{t−1} ∘ tanh(c_{t−1}) is computed after c_{t−1}, which uses only x_{t−1}, h_{t−2} and c_{t−2}.",
    )
    fields = (Field("c_{t−1} is a function of h_{t−1}", "bool"),)
    reason = (
        "c_{t−1} is computed at step t−1 from x_{t−1}, h_{t−2} and c_{t−2}, and h_{t−1} = o_{t−1} ∘ tanh(c_{t−1}) "
        "is computed from it afterwards; so h_{t−1} depends on c_{t−1}, not the other way round, and "
        "∂c_{t−1}/∂h_{t−1} = 0."
    )

    def judge(self, answer):
        value, problem = answer_forms.boolean(answer)
        if problem:
            return self.invalid(problem)
        if value is False:
            return self.correct("Not a function of it. " + self.reason)
        return self.wrong("It is not. " + self.reason, mistake="c-depends-on-h")

    def solution_fields(self):
        return [False]


# -- lstm.dh_dh_prev ----------------------------------------------------------------------------
class DhDhPrev(_ArrayFunctionQuestion):
    id = "lstm.dh_dh_prev"
    prompt = "Write ∂h_t/∂h_{t−1} from the gate Jacobians with the product rule."
    signature = "f(i, f, o, u, c_prev, di, df, do, du) -> (k, k) array"
    hints = (
        "h_t = o_t ∘ tanh(c_t): two factors, so two terms; c_t = f_t ∘ c_{t−1} + i_t ∘ u_t gives three more "
        "(c_{t−1} does not depend on h_{t−1}).",
        "v ∘ J for a vector v and a Jacobian J scales the rows of J: write it as v[:, None] * J.",
    )
    mistakes = {
        "missing-do-term": "The term ∂o_t/∂h_{t−1} ∘ tanh(c_t) is missing: o_t depends on h_{t−1} too.",
        "missing-tanh-prime": "The chain rule through tanh is missing: ∂tanh(c_t)/∂h_{t−1} = tanh′(c_t) ∘ ∂c_t/∂h_{t−1}.",
        "tanh-for-tanh-prime": "You used tanh(c_t) where its derivative tanh′(c_t) = 1 − tanh(c_t)² belongs.",
        "missing-i-du": "The term i_t ∘ ∂u_t/∂h_{t−1} is missing from ∂c_t/∂h_{t−1}.",
        "missing-df-cprev": "The term ∂f_t/∂h_{t−1} ∘ c_{t−1} is missing from ∂c_t/∂h_{t−1}.",
        "missing-di-u": "The term ∂i_t/∂h_{t−1} ∘ u_t is missing from ∂c_t/∂h_{t−1}.",
        "c-prev-for-c": "You used c_{t−1} inside tanh; h_t = o_t ∘ tanh(c_t) needs c_t = f_t ∘ c_{t−1} + i_t ∘ u_t.",
        "transposed": "Your Jacobian is transposed: entry [a, b] must be ∂h_t[a]/∂h_{t−1}[b].",
        "column-scaling": "v * J broadcasts v over the columns (J @ diag(v)); the product rule scales rows: v[:, None] * J.",
    }

    def output_shape(self, args):
        k = len(args[0])
        return (k, k)

    def describe_probe(self, args):
        k = len(args[0])
        return f"i, f, o, u, c_prev of shape ({k},); di, df, do, du of shape ({k}, {k})"


# -- lstm.three_step_jacobian --------------------------------------------------------------------
class ThreeStepJacobian(_ArrayFunctionQuestion):
    id = "lstm.three_step_jacobian"
    prompt = "Combine the one-step Jacobians [J_{t−2}, J_{t−1}, J_t] into ∂h_t/∂h_{t−3}."
    signature = "f(Js) -> (n, n) array, with Js = [J_{t−2}, J_{t−1}, J_t], each an (n, n) one-step Jacobian"
    hints = (
        "The chain rule for a composition h_t(h_{t−1}(h_{t−2}(h_{t−3}))) multiplies Jacobians.",
        "The Jacobian of the last step stands on the left: J_t @ J_{t−1} @ J_{t−2}.",
    )
    mistakes = {
        "wrong-order": "Right idea, wrong order: the last step's Jacobian goes on the left, J_t @ J_{t−1} @ J_{t−2}.",
        "summed": "Jacobians of a composition multiply (chain rule); they do not add.",
        "elementwise-product": "`*` multiplies entry by entry; the chain rule needs matrix products (`@`).",
        "last-step-only": "That is only J_t = ∂h_t/∂h_{t−1}; h_{t−1} itself depends on h_{t−3} through two more steps.",
        "transposed": "Your product is transposed: entry [a, b] must be ∂h_t[a]/∂h_{t−3}[b].",
    }

    def output_shape(self, args):
        n = len(args[0][0])
        return (n, n)

    def describe_probe(self, args):
        n = len(args[0][0])
        return f"Js = [J_(t-2), J_(t-1), J_t], each of shape ({n}, {n})"

    def verdict_when_right(self, cases, outcomes, gots):
        return self.correct(
            "Your product matches torch.autograd through three unrolled steps of the stacked state (c, h). Each factor depends on that step's gates and states: that is why nobody "
            "expands ∂h_t/∂h_{t−3} by hand."
        )


# -- lstm.sigmoid_prime ---------------------------------------------------------------------------
#: The extreme-z probe: the naive e^{−z}/(1+e^{−z})² overflows at −1000; σ(1−σ) rounds to 0 at 40.
EXTREME_Z = np.array([-1000.0, -40.0, 40.0, 1000.0])


class SigmoidPrime(_ArrayFunctionQuestion):
    id = "lstm.sigmoid_prime"
    prompt = "Implement σ′(z) for a numpy array z (same shape out), accurate at every z."
    signature = "f(z) -> array of the same shape"
    hints = (
        "Differentiate 1/(1 + e^{−z}) and rewrite the result with σ itself: σ′(z) = σ(z)·(1 − σ(z)).",
        "1 − σ(z) = σ(−z). With the overflow-free `sigmoid` given above, σ(z)·σ(−z) is exact at every z.",
    )
    what = "σ′"
    probe_noun = "input arrays"
    expected_label = "expected"
    mistakes = {
        "sigmoid-for-derivative": "That is σ(z) itself, not its derivative σ′(z) = σ(z)·(1 − σ(z)).",
        "missing-square": "That is e^{−z}/(1 + e^{−z}) = 1 − σ(z): the denominator of σ′ is squared.",
        "tanh-derivative": "That is the derivative of tanh, 1 − tanh(z)²; the sigmoid's is σ(z)·(1 − σ(z)).",
        "sign": "The sign is flipped: σ is increasing, so σ′(z) > 0.",
    }

    def output_shape(self, args):
        return tuple(np.shape(args[0]))

    def describe_probe(self, args):
        z = args[0]
        if z.shape == EXTREME_Z.shape and np.array_equal(z, EXTREME_Z):
            return "z = [-1000, -40, 40, 1000]"
        return f"z of shape {z.shape}"

    def describe_entry(self, args, got, expected):
        index = np.unravel_index(int(np.argmax(np.abs(got - expected))), expected.shape)
        return f"z = {_fmt(args[0][index])}"

    def _first_non_finite(self, args, outcome):
        """(z, value) of the first NaN or inf in an output of the right shape, else None."""
        try:
            values = np.asarray(outcome.value, dtype=float)
        except (TypeError, ValueError):
            return None
        if values.shape != self.output_shape(args) or np.all(np.isfinite(values)):
            return None
        bad = int(np.flatnonzero(~np.isfinite(values.reshape(-1)))[0])
        return float(args[0].reshape(-1)[bad]), float(values.reshape(-1)[bad])

    def judge(self, cases, outcomes):
        for args, outcome in zip(cases.probes, outcomes):
            found = None if outcome.value is None else self._first_non_finite(args, outcome)
            if found:
                z, value = found
                cause = outcome.warnings[0] if outcome.warnings else "an intermediate is inf there"
                return self.wrong(
                    f"Your σ′ returns {value} at z = {z:g} ({cause}). "
                    "Write σ′ with σ only, e.g. σ(z)·σ(−z), using the overflow-free sigmoid.",
                    mistake="overflow-nan",
                    example=(("inputs", self.describe_probe(args)), ("expected", "finite values, 0 at ±1000")),
                )
        return super().judge(cases, outcomes)

    def verdict_when_right(self, cases, outcomes, gots):
        for args, outcome in zip(cases.probes, outcomes):
            if outcome.warnings:
                return self.wrong(
                    f"Your values are right, but computing them warned: {outcome.warnings[0]} "
                    f"({self.describe_probe(args)}). Write σ′ so that nothing overflows, e.g. σ(z)·σ(−z) "
                    "with the overflow-free sigmoid.",
                    mistake="overflow",
                    example=(("inputs", self.describe_probe(args)),),
                )
        z40 = int(np.flatnonzero(EXTREME_Z == 40.0)[0])
        got40, true40 = gots[-1][z40], float(np.asarray(cases.expected[-1])[z40])
        if abs(got40 - true40) > 1e-3 * true40:
            return self.correct(
                f"Right to absolute accuracy. Note: at z = 40 yours gives {_fmt(got40)} while σ′(40) ≈ "
                f"{_fmt(true40)}, because 1 − σ(40) rounds to 0; σ(z)·σ(−z) keeps the relative accuracy."
            )
        return self.correct("Accurate at every probe, including z = ±1000 and z = 40, without overflow.")


# -- lstm.df_dh_prev ------------------------------------------------------------------------------
class DfDhPrev(_ArrayFunctionQuestion):
    id = "lstm.df_dh_prev"
    prompt = "Write ∂f_t/∂h_{t−1}: entry [d1, d2] is σ′(W^f[d1]·x_t + U^f[d1]·h_{t−1}) · U^f[d1, d2]."
    signature = "f(W_f, U_f, x, h_prev) -> (k, k) array"
    hints = (
        "Row d1 of the Jacobian is the gradient of f_t[d1] = σ(z[d1]): the chain rule gives σ′(z[d1]) times U^f[d1, :].",
        "Compute the pre-activation z = W_f @ x + U_f @ h_prev once, then scale the rows of U_f: sigmoid_prime(z)[:, None] * U_f.",
    )
    mistakes = {
        "transposed": "Your Jacobian is transposed: entry [d1, d2] must be ∂f_t[d1]/∂h_{t−1}[d2], so row d1 uses U^f[d1, :].",
        "sigmoid-for-derivative": "You used σ(z) where the chain rule needs σ′(z).",
        "missing-sigmoid-prime": "That is U^f alone: the chain rule through σ multiplies each row d1 by σ′(z[d1]).",
        "column-scaling": "You scaled the columns (U * s broadcasts over columns); σ′(z[d1]) scales row d1: s[:, None] * U.",
        "missing-input-term": "σ′ is evaluated at U^f h_{t−1} only; the pre-activation also contains W^f x_t.",
        "missing-recurrent-term": "σ′ is evaluated at W^f x_t only; the pre-activation also contains U^f h_{t−1}.",
    }

    def output_shape(self, args):
        k = args[1].shape[0]
        return (k, k)

    def describe_probe(self, args):
        (k, d) = args[0].shape
        return f"W_f of shape ({k}, {d}), U_f of shape ({k}, {k}), x of shape ({d},), h_prev of shape ({k},)"


# -- lstm.forget_bias -----------------------------------------------------------------------------
FORGET_TARGET = 0.95


class ForgetBias(ValueQuestion):
    id = "lstm.forget_bias"
    prompt = "The smallest forget bias b with f_t ≥ 0.95 when W^f x_t + U^f h_{t−1} = 0."
    hints = (
        "With a zero weighted input, f_t = σ(b). Solve σ(b) = 0.95 for b; σ is increasing.",
        "σ(b) = p gives b = ln(p / (1 − p)) (the logit).",
    )
    fields = (Field("b", "float"),)
    TOLERANCE = 0.01

    def judge(self, answer):
        b, problem = answer_forms.number(answer)
        if problem:
            return self.invalid(problem)
        best = math.log(FORGET_TARGET / (1 - FORGET_TARGET))
        f = float(lstm.sigmoid(b))
        about = f"σ({_fmt(b)}) = {f:.4f}."
        if abs(b - best) <= self.TOLERANCE:
            return self.correct(f"b = ln(0.95/0.05) = ln 19 ≈ {best:.4f}, and σ(ln 19) = 19/20 = 0.95 exactly.")
        if abs(b - FORGET_TARGET) <= self.TOLERANCE:
            return self.wrong(f"0.95 is the gate value; the bias b is the input to σ with σ(b) = 0.95. {about}",
                              mistake="gate-value-for-bias")
        if abs(b + best) <= self.TOLERANCE:
            return self.wrong(f"The sign is flipped: σ(−b) = 0.05. {about}", mistake="sign")
        if abs(b - 1.0) <= self.TOLERANCE:
            return self.wrong(f"Bias 1 is the usual initialisation (Jozefowicz et al. 2015), but {about} That is below 0.95.",
                              mistake="bias-one")
        if f < FORGET_TARGET:
            return self.wrong(f"Too small: {about} That is below 0.95.", mistake="too-small")
        return self.wrong(f"{about} That reaches 0.95, but a smaller b does too: find the b where σ(b) = 0.95 exactly.",
                          mistake="not-smallest")

    def solution_fields(self):
        return [round(math.log(19), 4)]


# -- lstm.argmax_h --------------------------------------------------------------------------------
class ArgmaxH(_ArrayFunctionQuestion):
    id = "lstm.argmax_h"
    prompt = "Return the unit-length h_{t−1} that maximises f_t(d) when x_t = 0."
    signature = "f(U_f, d) -> (k,) array"
    hints = (
        "σ is increasing, so maximise the inner product U^f[d] · h over unit vectors h.",
        "An inner product u · h with ‖h‖ = 1 is largest when h points along u: h = u / ‖u‖, with u the row U_f[d].",
    )
    what = "vector"
    probe_noun = "random matrices"
    expected_label = "expected"
    mistakes = {
        "unnormalised": "Right direction, but h_{t−1} must have length 1: divide the row by its norm.",
        "column-not-row": "That uses column d of U^f; f_t(d) depends on h_{t−1} through row d, U_f[d] (= U_f[d, :]).",
        "column-unnormalised": "That is column d of U^f, not normalised; f_t(d) uses row d, U_f[d], over its length.",
        "minimiser": "That points against the row and minimises f_t(d); flip the sign.",
    }

    def output_shape(self, args):
        return (args[0].shape[0],)

    def describe_probe(self, args):
        return f"U_f of shape {args[0].shape}, d = {args[1]}"

    def judge(self, cases, outcomes):
        feedback = super().judge(cases, outcomes)
        if feedback.status == "incorrect" and feedback.mistake is None:
            for args, outcome in zip(cases.probes, outcomes):
                got, _ = self.read(args, outcome)
                if abs(np.linalg.norm(got) - 1.0) > 1e-6:
                    return self.wrong(f"Your vector has length {_fmt(np.linalg.norm(got))}; the question asks for length 1.",
                                      mistake="not-unit-length", example=feedback.example)
            return self.wrong("Your vector has length 1 but does not maximise U^f[d] · h.", example=feedback.example)
        return feedback

    def verdict_when_right(self, cases, outcomes, gots):
        return self.correct(f"U^f[d] / ‖U^f[d]‖ on {len(cases.probes)} random matrices: the unit vector along row d.")


# -- lstm.argmax_vs_input -------------------------------------------------------------------------
class ArgmaxVsInput(ValueQuestion):
    id = "lstm.argmax_vs_input"
    prompt = "Does the argmax depend on W^f(d)·x_t? Does the max? Answer (argmax depends, max depends)."
    hints = (
        "W^f(d)·x_t adds the same number a to the pre-activation for every h_{t−1}.",
        "Adding a constant and applying an increasing σ keeps the best h_{t−1} but changes the best value σ(a + ‖U^f(d)‖).",
    )
    fields = (
        Field("the argmax depends on W^f(d)·x_t", "bool"),
        Field("the max depends on W^f(d)·x_t", "bool"),
    )
    reason = (
        "W^f(d)·x_t is the same number a for every h_{t−1}, and σ is increasing, so the best h_{t−1} is still "
        "U^f(d)/‖U^f(d)‖; the best value σ(a + ‖U^f(d)‖) moves with a."
    )

    def judge(self, answer):
        if isinstance(answer, dict):
            answer = [answer.get("argmax"), answer.get("max")]
        if isinstance(answer, np.ndarray) and answer.dtype == bool:
            answer = answer.reshape(-1).tolist()
        if not isinstance(answer, list) or len(answer) != 2:
            return self.invalid(f"Expected two booleans (argmax depends, max depends), got {plain.describe(answer)}.")
        values = []
        for item in answer:
            value, problem = answer_forms.boolean(item)
            if problem:
                return self.invalid(problem)
            values.append(value)
        argmax_moves, max_moves = values
        if not argmax_moves and max_moves:
            return self.correct("The argmax stays, the max moves. " + self.reason)
        if argmax_moves and not max_moves:
            return self.wrong("Swapped: the argmax stays, the max moves. " + self.reason, mistake="swapped")
        if argmax_moves:
            return self.wrong("The argmax does not move. " + self.reason, mistake="argmax-moves")
        return self.wrong("The max does move. " + self.reason, mistake="max-fixed")

    def solution_fields(self):
        return [False, True]


QUESTIONS = [
    CellStateDependence(),
    DhDhPrev(),
    ThreeStepJacobian(),
    SigmoidPrime(),
    DfDhPrev(),
    ForgetBias(),
    ArgmaxH(),
    ArgmaxVsInput(),
]
