"""Task 1 checks: gradients of an LSTM cell (notebook 01_lstm_gradients).

Function answers are called on random cells whose hidden size k differs from the
input size, and compared with ``torch.autograd`` Jacobians of the same cells. A
wrong answer is matched against the known wrong formulas on the same probes, so
the feedback can name the mistake; otherwise it shows the worst entry.
"""

from __future__ import annotations

import math

import numpy as np

from .. import answer_forms, lstm, plain
from ..question import Field, FunctionQuestion, ValueQuestion

#: Agreement with the autograd reference (float32 answers pass too).
RTOL, ATOL = 1e-4, 1e-7

#: (hidden size k, input size) of the probe cells; k != input size so a transpose shows.
PROBE_SIZES = ((3, 2), (4, 6), (5, 3), (2, 4))


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


class _Cases:
    """The deterministic random cells and states behind the probes (built once per process)."""

    _cache: dict = {}

    @classmethod
    def get(cls, seed: int, steps: int = 1):
        key = (seed, steps)
        if key not in cls._cache:
            cases = []
            for n, (k, d) in enumerate(PROBE_SIZES):
                rng = np.random.default_rng(1000 * seed + n)
                cell = lstm.random_cell(rng, k, d, scale=1.0)
                x, h_prev, c_prev = lstm.random_state(rng, cell)
                xs = np.vstack([x, rng.standard_normal((steps - 1, d))]) if steps > 1 else x[None]
                cases.append((cell, xs, h_prev, c_prev))
            cls._cache[key] = cases
        return cls._cache[key]


class _ArrayFunctionQuestion(FunctionQuestion):
    """A function returning an array, compared with a reference on every probe.

    Subclasses give ``probes``, ``reference(probes)`` (the expected arrays) and
    ``wrong_formulas``: (mistake, message, formula) where ``formula(*args)`` is the
    output of that wrong answer on the same probe.
    """

    wrong_formulas: tuple = ()
    what = "Jacobian"  # what the answer returns, for messages
    probe_noun = "random cells"
    expected_label = "expected (autograd)"

    def __init__(self):
        self._reference = None

    def reference(self, probes) -> list[np.ndarray]:
        """The expected outputs, cached: the probes are deterministic."""
        if self._reference is None:
            self._reference = self.compute_reference(probes)
        return self._reference

    def clear_cache(self) -> None:
        self._reference = None

    def compute_reference(self, probes) -> list[np.ndarray]:
        """The right output for each probe (from autograd on the cells behind the probes, where there are cells)."""
        raise NotImplementedError

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

    def judge(self, probes, outcomes):
        gots = []
        for args, outcome in zip(probes, outcomes):
            got, problem = self.read(args, outcome)
            if problem:
                return self.invalid(problem, example=(("inputs", self.describe_probe(args)),))
            gots.append(got)
        expected = self.reference(probes)
        failing = [n for n, (got, exp) in enumerate(zip(gots, expected)) if not _close(got, exp)]
        if not failing:
            return self.verdict_when_right(probes, outcomes, gots)
        first = failing[0]
        example = (("inputs", self.describe_probe(probes[first])),) + _worst_entry(gots[first], expected[first], self.expected_label)
        at = self.describe_entry(probes[first], gots[first], expected[first])
        if at:
            example = example[:2] + (("at", at),) + example[2:]
        for mistake, message, formula in self.wrong_formulas:
            if all(_close(got, np.asarray(formula(*args), dtype=float)) for args, got in zip(probes, gots)):
                return self.wrong(message, mistake=mistake, example=example)
        return self.wrong(
            f"Your {self.what} differs from the reference on {len(failing)} of {len(probes)} {self.probe_noun}."
            + _warned(outcomes[first]),
            example=example,
        )

    def verdict_when_right(self, probes, outcomes, gots):
        return self.correct(f"Your {self.what} matches torch.autograd on {len(probes)} {self.probe_noun} (hidden size ≠ input size).")


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
def _c_t(i, f, u, c_prev):
    return f * c_prev + i * u


def _dc(i, u, c_prev, di, df, du, *, f_term=True, i_term=True, u_term=True):
    return (c_prev[:, None] * df if f_term else 0) + (u[:, None] * di if i_term else 0) + (i[:, None] * du if u_term else 0)


def _dh(i, f, o, u, c_prev, di, df, do, du, *, o_term=True, slope=lstm.tanh_prime, c=None, **dc_terms):
    c = _c_t(i, f, u, c_prev) if c is None else c
    dc = _dc(i, u, c_prev, di, df, du, **dc_terms)
    return (np.tanh(c)[:, None] * do if o_term else 0) + (o * slope(c))[:, None] * dc


def _dh_columns(i, f, o, u, c_prev, di, df, do, du):
    """Every ∘ written as ``v * J``, which numpy broadcasts over columns: J @ diag(v)."""
    c = _c_t(i, f, u, c_prev)
    dc = c_prev * df + u * di + i * du
    return np.tanh(c) * do + (o * lstm.tanh_prime(c)) * dc


class DhDhPrev(_ArrayFunctionQuestion):
    id = "lstm.dh_dh_prev"
    prompt = "Write ∂h_t/∂h_{t−1} from the gate Jacobians with the product rule."
    signature = "f(i, f, o, u, c_prev, di, df, do, du) -> (k, k) array"
    hints = (
        "h_t = o_t ∘ tanh(c_t): two factors, so two terms; c_t = f_t ∘ c_{t−1} + i_t ∘ u_t gives three more "
        "(c_{t−1} does not depend on h_{t−1}).",
        "v ∘ J for a vector v and a Jacobian J scales the rows of J: write it as v[:, None] * J.",
    )
    wrong_formulas = (
        ("missing-do-term", "The term ∂o_t/∂h_{t−1} ∘ tanh(c_t) is missing: o_t depends on h_{t−1} too.",
         lambda *a: _dh(*a, o_term=False)),
        ("missing-tanh-prime", "The chain rule through tanh is missing: ∂tanh(c_t)/∂h_{t−1} = tanh′(c_t) ∘ ∂c_t/∂h_{t−1}.",
         lambda *a: _dh(*a, slope=lambda c: np.ones_like(c))),
        ("tanh-for-tanh-prime", "You used tanh(c_t) where its derivative tanh′(c_t) = 1 − tanh(c_t)² belongs.",
         lambda *a: _dh(*a, slope=np.tanh)),
        ("missing-i-du", "The term i_t ∘ ∂u_t/∂h_{t−1} is missing from ∂c_t/∂h_{t−1}.", lambda *a: _dh(*a, u_term=False)),
        ("missing-df-cprev", "The term ∂f_t/∂h_{t−1} ∘ c_{t−1} is missing from ∂c_t/∂h_{t−1}.", lambda *a: _dh(*a, f_term=False)),
        ("missing-di-u", "The term ∂i_t/∂h_{t−1} ∘ u_t is missing from ∂c_t/∂h_{t−1}.", lambda *a: _dh(*a, i_term=False)),
        ("c-prev-for-c", "You used c_{t−1} inside tanh; h_t = o_t ∘ tanh(c_t) needs c_t = f_t ∘ c_{t−1} + i_t ∘ u_t.",
         lambda i, f, o, u, c_prev, *j: _dh(i, f, o, u, c_prev, *j, c=c_prev)),
        ("transposed", "Your Jacobian is transposed: entry [a, b] must be ∂h_t[a]/∂h_{t−1}[b].",
         lambda *a: lstm.dh_dh_prev(*a).T),
        ("column-scaling", "v * J broadcasts v over the columns (J @ diag(v)); the product rule scales rows: v[:, None] * J.",
         _dh_columns),
    )

    def probes(self):
        out = []
        for cell, xs, h_prev, c_prev in _Cases.get(seed=1):
            s = lstm.step(cell, xs[0], h_prev, c_prev)
            J = lstm.gate_jacobians(cell, xs[0], h_prev)
            out.append((s.i, s.f, s.o, s.u, c_prev, J["i"], J["f"], J["o"], J["u"]))
        return out

    def compute_reference(self, probes):
        return [lstm.autograd_jacobians(cell, xs[0], h, c)["h"] for cell, xs, h, c in _Cases.get(seed=1)]

    def output_shape(self, args):
        k = len(args[0])
        return (k, k)

    def describe_probe(self, args):
        k = len(args[0])
        return f"i, f, o, u, c_prev of shape ({k},); di, df, do, du of shape ({k}, {k})"


# -- lstm.three_step_jacobian --------------------------------------------------------------------
def _elementwise(Js):
    return Js[0] * Js[1] * Js[2]


class ThreeStepJacobian(_ArrayFunctionQuestion):
    id = "lstm.three_step_jacobian"
    prompt = "Combine the one-step Jacobians [J_{t−2}, J_{t−1}, J_t] into ∂h_t/∂h_{t−3}."
    signature = "f(Js) -> (n, n) array, with Js = [J_{t−2}, J_{t−1}, J_t], each an (n, n) one-step Jacobian"
    hints = (
        "The chain rule for a composition h_t(h_{t−1}(h_{t−2}(h_{t−3}))) multiplies Jacobians.",
        "The Jacobian of the last step stands on the left: J_t @ J_{t−1} @ J_{t−2}.",
    )
    wrong_formulas = (
        ("wrong-order", "Right idea, wrong order: the last step's Jacobian goes on the left, J_t @ J_{t−1} @ J_{t−2}.",
         lambda Js: Js[0] @ Js[1] @ Js[2]),
        ("summed", "Jacobians of a composition multiply (chain rule); they do not add.", lambda Js: Js[0] + Js[1] + Js[2]),
        ("elementwise-product", "`*` multiplies entry by entry; the chain rule needs matrix products (`@`).", _elementwise),
        ("last-step-only", "That is only J_t = ∂h_t/∂h_{t−1}; h_{t−1} itself depends on h_{t−3} through two more steps.",
         lambda Js: Js[2]),
        ("transposed", "Your product is transposed: entry [a, b] must be ∂h_t[a]/∂h_{t−3}[b].",
         lambda Js: (Js[2] @ Js[1] @ Js[0]).T),
    )

    #: Probes 0-1 follow the h path only (each c_{s−1} held fixed): (k, k) Jacobians.
    #: Probes 2-3 carry the cell state: J_s = ∂(c_s, h_s)/∂(c_{s−1}, h_{s−1}), (2k, 2k).
    H_PATH = 2

    def _runs(self):
        return _Cases.get(seed=2, steps=3)

    def probes(self):
        out = []
        for n, (cell, xs, h0, c0) in enumerate(self._runs()):
            steps = lstm.run(cell, xs, h0, c0)
            hs, cs = [h0] + [s.h for s in steps], [c0] + [s.c for s in steps]
            if n < self.H_PATH:
                Js = [lstm.jacobians(cell, xs[s], hs[s], cs[s])["h"] for s in range(3)]
            else:
                Js = [lstm.state_jacobian(cell, xs[s], hs[s], cs[s]) for s in range(3)]
            out.append((Js,))
        return out

    def compute_reference(self, probes):
        return [
            lstm.autograd_unrolled_jacobian(cell, xs, h0, c0, carry_cell_state=n >= self.H_PATH)
            for n, (cell, xs, h0, c0) in enumerate(self._runs())
        ]

    def output_shape(self, args):
        n = len(args[0][0])
        return (n, n)

    def describe_probe(self, args):
        n = len(args[0][0])
        return f"Js = [J_(t-2), J_(t-1), J_t], each of shape ({n}, {n})"

    def verdict_when_right(self, probes, outcomes, gots):
        return self.correct(
            "Your product matches torch.autograd through three unrolled steps, for the h path and for the "
            "stacked state (c, h). Each factor depends on that step's gates and states: that is why nobody "
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
    wrong_formulas = (
        ("sigmoid-for-derivative", "That is σ(z) itself, not its derivative σ′(z) = σ(z)·(1 − σ(z)).", lstm.sigmoid),
        ("missing-square", "That is e^{−z}/(1 + e^{−z}) = 1 − σ(z): the denominator of σ′ is squared.",
         lambda z: lstm.sigmoid(-z)),
        ("tanh-derivative", "That is the derivative of tanh, 1 − tanh(z)²; the sigmoid's is σ(z)·(1 − σ(z)).",
         lstm.tanh_prime),
        ("sign", "The sign is flipped: σ is increasing, so σ′(z) > 0.", lambda z: -lstm.sigmoid_prime(z)),
    )

    def probes(self):
        rng = np.random.default_rng(3)
        return [(np.linspace(-6.0, 6.0, 25),), (3.0 * rng.standard_normal((3, 4)),), (EXTREME_Z.copy(),)]

    def compute_reference(self, probes):
        return [lstm.sigmoid_prime(z) for (z,) in probes]

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

    def judge(self, probes, outcomes):
        for args, outcome in zip(probes, outcomes):
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
        return super().judge(probes, outcomes)

    def verdict_when_right(self, probes, outcomes, gots):
        for args, outcome in zip(probes, outcomes):
            if outcome.warnings:
                return self.wrong(
                    f"Your values are right, but computing them warned: {outcome.warnings[0]} "
                    f"({self.describe_probe(args)}). Write σ′ so that nothing overflows, e.g. σ(z)·σ(−z) "
                    "with the overflow-free sigmoid.",
                    mistake="overflow",
                    example=(("inputs", self.describe_probe(args)),),
                )
        z40 = int(np.flatnonzero(EXTREME_Z == 40.0)[0])
        got40, true40 = gots[-1][z40], lstm.sigmoid_prime(40.0)
        if abs(got40 - true40) > 1e-3 * true40:
            return self.correct(
                f"Right to absolute accuracy. Note: at z = 40 yours gives {_fmt(got40)} while σ′(40) ≈ "
                f"{_fmt(true40)}, because 1 − σ(40) rounds to 0; σ(z)·σ(−z) keeps the relative accuracy."
            )
        return self.correct("Accurate at every probe, including z = ±1000 and z = 40, without overflow.")


# -- lstm.df_dh_prev ------------------------------------------------------------------------------
def _z_f(W_f, U_f, x, h_prev):
    return W_f @ x + U_f @ h_prev


class DfDhPrev(_ArrayFunctionQuestion):
    id = "lstm.df_dh_prev"
    prompt = "Write ∂f_t/∂h_{t−1}: entry [d1, d2] is σ′(W^f[d1]·x_t + U^f[d1]·h_{t−1}) · U^f[d1, d2]."
    signature = "f(W_f, U_f, x, h_prev) -> (k, k) array"
    hints = (
        "Row d1 of the Jacobian is the gradient of f_t[d1] = σ(z[d1]): the chain rule gives σ′(z[d1]) times U^f[d1, :].",
        "Compute the pre-activation z = W_f @ x + U_f @ h_prev once, then scale the rows of U_f: sigmoid_prime(z)[:, None] * U_f.",
    )
    wrong_formulas = (
        ("transposed", "Your Jacobian is transposed: entry [d1, d2] must be ∂f_t[d1]/∂h_{t−1}[d2], so row d1 uses U^f[d1, :].",
         lambda *a: lstm.df_dh_prev(*a).T),
        ("sigmoid-for-derivative", "You used σ(z) where the chain rule needs σ′(z).",
         lambda W, U, x, h: lstm.sigmoid(_z_f(W, U, x, h))[:, None] * U),
        ("missing-sigmoid-prime", "That is U^f alone: the chain rule through σ multiplies each row d1 by σ′(z[d1]).",
         lambda W, U, x, h: U),
        ("column-scaling", "You scaled the columns (U * s broadcasts over columns); σ′(z[d1]) scales row d1: s[:, None] * U.",
         lambda W, U, x, h: lstm.sigmoid_prime(_z_f(W, U, x, h)) * U),
        ("missing-input-term", "σ′ is evaluated at U^f h_{t−1} only; the pre-activation also contains W^f x_t.",
         lambda W, U, x, h: lstm.sigmoid_prime(U @ h)[:, None] * U),
        ("missing-recurrent-term", "σ′ is evaluated at W^f x_t only; the pre-activation also contains U^f h_{t−1}.",
         lambda W, U, x, h: lstm.sigmoid_prime(W @ x)[:, None] * U),
    )

    def probes(self):
        return [(cell.W_f, cell.U_f, xs[0], h_prev) for cell, xs, h_prev, _ in _Cases.get(seed=4)]

    def compute_reference(self, probes):
        return [lstm.autograd_jacobians(cell, xs[0], h, c)["f"] for cell, xs, h, c in _Cases.get(seed=4)]

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
    wrong_formulas = (
        ("unnormalised", "Right direction, but h_{t−1} must have length 1: divide the row by its norm.",
         lambda U, d: U[d]),
        ("column-not-row", "That uses column d of U^f; f_t(d) depends on h_{t−1} through row d, U_f[d] (= U_f[d, :]).",
         lambda U, d: U[:, d] / np.linalg.norm(U[:, d])),
        ("column-not-row", "That is column d of U^f, not normalised; f_t(d) uses row d, U_f[d], over its length.",
         lambda U, d: U[:, d]),
        ("minimiser", "That points against the row and minimises f_t(d); flip the sign.",
         lambda U, d: -lstm.argmax_h(U, d)),
    )

    def probes(self):
        rng = np.random.default_rng(5)
        return [(rng.uniform(-1, 1, (k, k)), int(d)) for k, d in ((3, 1), (4, 3), (5, 0), (2, 1))]

    def compute_reference(self, probes):
        return [lstm.argmax_h(U, d) for U, d in probes]

    def output_shape(self, args):
        return (args[0].shape[0],)

    def describe_probe(self, args):
        return f"U_f of shape {args[0].shape}, d = {args[1]}"

    def judge(self, probes, outcomes):
        feedback = super().judge(probes, outcomes)
        if feedback.status == "incorrect" and feedback.mistake is None:
            for args, outcome in zip(probes, outcomes):
                got, _ = self.read(args, outcome)
                if abs(np.linalg.norm(got) - 1.0) > 1e-6:
                    return self.wrong(f"Your vector has length {_fmt(np.linalg.norm(got))}; the question asks for length 1.",
                                      mistake="not-unit-length", example=feedback.example)
            return self.wrong("Your vector has length 1 but does not maximise U^f[d] · h.", example=feedback.example)
        return feedback

    def verdict_when_right(self, probes, outcomes, gots):
        return self.correct(f"U^f[d] / ‖U^f[d]‖ on {len(probes)} random matrices: the unit vector along row d.")


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
