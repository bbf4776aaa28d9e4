"""Notebook 01 (solved edition) teaches only what is true, and asks before it tells.

The code cells run here in order, in one namespace, as a notebook would run them; what each
cell prints is compared with the numbers and claims its neighbouring markdown states. What a
student sees before a question's check (instructor-only cells and solution regions removed)
never contains the formula that answers it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

import dlweek8
from dlweek8 import checks, lstm
from dlweek8.widgets.lstm_explorers import GradientFlowExplorer, gradient_flow_cell

import solved_notebook  # tests/ is on sys.path under pytest
from helpers.headings import heading_problems
from solved_notebook import prose, run_in_order

NOTEBOOK = Path(__file__).resolve().parent.parent / "solutions" / "01_lstm_gradients.ipynb"
CELLS = nbformat.read(NOTEBOOK, as_version=4).cells
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION", re.S)
LSTM = [q for q in dlweek8.questions() if q.id.startswith("lstm.")]
GRADED = [q for q in LSTM if not q.id.startswith("lstm.quiz_")]
QUIZ = [q for q in LSTM if q.id.startswith("lstm.quiz_")]


def seen(cell) -> str:
    """What a student sees of a cell: nothing of an instructor-only cell, no solution region, no solution line."""
    if "instructor-only" in cell.metadata.get("tags", []):
        return ""
    text = SOLUTION_REGION.sub("", cell.source)
    return "\n".join(line for line in text.splitlines() if not line.rstrip().endswith("### SOLUTION"))


MARKDOWN = prose("\n\n".join(seen(c) for c in CELLS if c.cell_type == "markdown"))


def check_cells() -> list[tuple[int, str, str]]:
    """The lstm topic's check cells (the backward-pass sections after the self-test are tests/test_backprop_notebook.py's)."""
    return [found for found in solved_notebook.check_cells(CELLS) if found[1].startswith("lstm.")]


def index_of_check(qid: str) -> int:
    return next(i for i, found, _ in check_cells() if found == qid)


def seen_before(index: int) -> str:
    return prose("\n\n".join(seen(c) for c in CELLS[:index]))


def cell_index(fragment: str, kind: str = "code") -> int:
    found = [i for i, c in enumerate(CELLS) if c.cell_type == kind and fragment in c.source]
    assert len(found) == 1, (fragment, found)
    return found[0]


@pytest.fixture(scope="module")
def printed():
    """What each code cell prints (by cell index), and the namespace after the last one."""
    run = run_in_order(CELLS)
    return {**run.printed, "namespace": run.namespace}


# -- structure ---------------------------------------------------------------------------------
def test_one_title_parallel_to_task_2_and_headings_in_order():
    headings = [line for c in CELLS if c.cell_type == "markdown" for line in seen(c).splitlines() if line.startswith("#")]
    assert headings[0] == "# Week 8, Task 1: Gradients through an LSTM cell"
    assert not heading_problems([len(h) - len(h.lstrip("#")) for h in headings]), headings
    numbers = [int(m) for h in headings for m in re.findall(r"^## (\d+)\.", h)]
    assert numbers == list(range(1, len(numbers) + 1)), numbers


def test_every_graded_question_has_an_answer_cell_then_its_check_in_notebook_order():
    found = check_cells()
    assert [qid for _, qid, _ in found] == [q.id for q in GRADED]
    for i, qid, name in found:
        answer = CELLS[i - 1]
        if qid == "lstm.dL_dU_f":  # the student's own gradient check sits between answer and check
            assert "numerical_gradient" in answer.source and "except NotImplementedError" in answer.source
            answer = CELLS[i - 2]
        assert answer.source.startswith("# answer") and re.search(rf"^(def )?{name}\b", answer.source.split("\n", 1)[1], re.M), qid
        assert "nbval-check-output" in CELLS[i].metadata.get("tags", [])


def test_the_self_test_offers_every_quiz_after_the_last_check_with_a_seed():
    last_check = check_cells()[-1][0]
    heading = cell_index("## 11. Self-test", "markdown")
    assert heading > last_check
    for q in QUIZ:
        i = cell_index(f'answer_box("{q.id}", seed=')
        assert i > heading
    assert "hint appears when you check an answer that is not right" in MARKDOWN


def test_the_notebook_imports_only_the_student_package():
    code = "\n".join(c.source for c in CELLS if c.cell_type == "code")
    assert "instructor" not in code
    for module in re.findall(r"^\s*(?:from|import) (dlweek8[\w.]*)", code, re.M):
        assert not module.startswith("dlweek8.instructor"), module


def test_reason_questions_list_the_check_s_reasons_verbatim():
    for qid in ("lstm.cell_state_dependence", "lstm.argmax_vs_input"):
        q = checks.get(qid)
        for letter, text in q.reasons.items():
            assert prose(f"* **{letter}.** {text}") in MARKDOWN, (qid, letter)


def test_written_reasoning_cells_follow_the_seed_s_three_sentence_questions():
    """Each "why" of the notes is a written answer a person grades: a label, an answer cell holding text, its check."""
    for qid, label, name in (("lstm.cell_state_dependence", "Your reason", "why_cell_state"),
                             ("lstm.argmax_vs_input", "Your justification", "why_argmax"),
                             ("lstm.dh_dh_prev", "Your answer", "why_not_by_hand")):
        written_check = index_of_check(qid + "_why" if qid != "lstm.dh_dh_prev" else "lstm.no_hand_jacobian_why")
        label_cell, answer, check = CELLS[written_check - 2: written_check + 1]
        assert label_cell.cell_type == "markdown" and label_cell.source.startswith(f"**{label} (graded by a person, at most three sentences):**")
        assert answer.cell_type == "code" and "### BEGIN SOLUTION" in answer.source and f'{name} = """' in answer.source
        assert check.source == f'dlweek8.check("{checks.get(qid + "_why").id if qid != "lstm.dh_dh_prev" else "lstm.no_hand_jacobian_why"}", {name})'
        assert written_check > index_of_check(qid)


# -- notation and truth ------------------------------------------------------------------------
def test_no_hadamard_product_between_a_vector_and_a_matrix():
    text = "\n".join(c.source for c in CELLS if c.cell_type == "markdown")
    assert not re.search(r"v\s*(\\circ|∘)\s*J", text)
    assert r"\operatorname{diag}(v)" in text


def test_the_false_identity_is_shown_only_as_the_trap_after_the_check():
    check_at = index_of_check("lstm.three_step_jacobian")
    trap = cell_index("**The trap: the $h$-only product.**", "markdown")
    assert trap > check_at
    assert "It is **not** $\\partial h_t/\\partial h_{t-3}$" in CELLS[trap].source
    before = seen_before(check_at)
    assert "product of the three $k \\times k$" not in before and "four-term" not in before
    assert "top left" in before and "diag}(f_t)$ (bottom right)" in before  # the four blocks are named first


def test_state_jacobian_blocks_are_what_the_markdown_says():
    rng = np.random.default_rng(7)
    cell = lstm.random_cell(rng, 3, 2)
    x, h, c = lstm.random_state(rng, cell)
    S = lstm.autograd_unrolled_jacobian(cell, [x], h, c)
    s = lstm.step(cell, x, h, c)
    k = 3
    np.testing.assert_allclose(S[k:, k:], np.diag(s.f), atol=1e-12)  # ∂c_t/∂c_{t−1} = diag(f_t)
    np.testing.assert_allclose(S[:k, k:], np.diag(s.o * lstm.tanh_prime(s.c) * s.f), atol=1e-12)  # ∂h_t/∂c_{t−1}
    # the h-h block of a product of three is the sum over the four (h or c) paths through the two middle steps
    Ss = [lstm.state_jacobian(cell, x, h, c) for _ in range(3)]
    blocks = [{(a, b): S_[a * k:(a + 1) * k, b * k:(b + 1) * k] for a in (0, 1) for b in (0, 1)} for S_ in Ss]
    paths = sum(blocks[2][0, a] @ blocks[1][a, b] @ blocks[0][b, 0] for a in (0, 1) for b in (0, 1))
    np.testing.assert_allclose((Ss[2] @ Ss[1] @ Ss[0])[:k, :k], paths)
    assert "the four ways of passing through $h$ or $c$ at the two intermediate steps" in MARKDOWN


# -- derive first, then see (issue 8 §4) ---------------------------------------------------------
@pytest.mark.parametrize(("qid", "formulas"), [
    ("lstm.sigmoid_prime", [r"\sigma(z)\,(1 - \sigma(z))", r"\sigma(z)\,\sigma(-z)", r"\dfrac{e^{-z}}{(1+e^{-z})^2}", "σ(z)σ(−z)",
                            "1 - \\sigma(z)", "1-\\sigma(z)", r"\frac{e^{-z}}{(1+e^{-z})^2}"]),
    ("lstm.df_dh_prev", [r"\sigma'\big(z[d_1]\big)\, U^f[d_1, d_2]", r"\operatorname{diag}\big(\sigma'(z)\big)\,U^f", "sigmoid_prime(z)[:, None]"]),
    ("lstm.dL_dU_f", ["outer product", "h_{t-1}^{\\top}", "np.outer"]),
    ("lstm.argmax_vs_input", ["σ(a + ‖U^f(d)‖)", r"\sigma\big(W^f(d)\cdot x_t + \lVert U^f(d)\rVert_2\big)"]),
])
def test_no_formula_that_answers_a_question_is_shown_before_its_check(qid, formulas):
    before = seen_before(index_of_check(qid))
    for formula in formulas:
        assert prose(formula) not in before, (qid, formula)
    after = prose("\n".join(c.source for c in CELLS))
    assert any(prose(f) in after for f in formulas), f"{qid}: the formulas are shown nowhere, the test would pass vacuously"


def test_explorers_come_after_the_question_they_illustrate():
    assert cell_index("ArgmaxExplorer(") > index_of_check("lstm.argmax_vs_input")
    assert cell_index("SigmoidExplorer(") > index_of_check("lstm.sigmoid_prime")
    assert cell_index("GradientFlowExplorer(") < index_of_check("lstm.forget_bias")  # it teaches why, not the number


# -- the numbers the markdown states -------------------------------------------------------------
def test_section_2_demos_show_two_cell_states_with_one_h_and_different_steps(printed):
    out = printed[cell_index("# 2) step t from the same h_{t-1}")]
    assert "same h_(t-1):       True" in out
    ns = printed["namespace"]
    assert not np.allclose(ns["before"].c, ns["c_other"])
    assert not np.allclose(ns["one"].c, ns["other"].c) and not np.allclose(ns["one"].h, ns["other"].h)


def test_row_scaling_demo(printed):
    out = printed[cell_index("diag(v) @ J == v[:, None] * J")]
    assert "v[:, None] * J: True" in out and "v * J:          False" in out


def test_one_step_state_jacobian_demo(printed):
    out = printed[cell_index("bottom-right block == diag(f_t)")]
    assert "bottom-right block == diag(f_t): True" in out
    assert float(re.search(r"\(one step\): (\S+)", out).group(1)) < 1e-12


def test_the_h_only_product_is_as_far_off_as_the_markdown_says(printed):
    stated = int(re.search(r"On the random cell above it is (\d+) % off", MARKDOWN).group(1))
    out = printed[cell_index("h_only = Ss[2][:k, :k]")]
    assert f"relative error {stated}%" in out
    assert "agrees with the h-only product: True" in out
    ns = printed["namespace"]
    assert ns["gap"] == pytest.approx(stated / 100, abs=0.005)


def test_the_carousel_is_the_product_of_forget_gates_and_a_bias_keeps_it_near_one(printed):
    out = printed[cell_index("carousel = Ss[2][k:, k:]")]
    assert "diag(f_t * f_(t-1) * f_(t-2)): True" in out
    ns = printed["namespace"]
    opened = ns["opened"]
    assert np.all(opened[2].f * opened[1].f * opened[0].f > np.diag(ns["carousel"]))


def test_sigmoid_numbers(printed):
    assert re.search(r"within \$10\^\{-17\}\$ of 1", MARKDOWN) and 1 - lstm.sigmoid(40.0) < 1e-17 and lstm.sigmoid(40.0) == 1.0
    true = math.exp(-40) / (1 + math.exp(-40)) ** 2
    stated = float(re.search(r"about \$(\d\.\d) \\times 10\^\{-18\}\$", MARKDOWN).group(1)) * 1e-18
    assert stated == pytest.approx(true, rel=0.02) and true > np.finfo(float).tiny  # a normal float: not underflow
    out = printed[cell_index("import warnings")]
    assert "sigma(1 - sigma) at z = 40: 0.0" in out and "torch.autograd at z = 40: 0.0" in out
    assert "nan" in out and "overflow" in out


def test_the_gradient_check_cell_agrees_with_the_right_answer(printed):
    out = printed[cell_index("# your own gradient check")]
    error = float(re.search(r"numerical gradient: (\S+) \(agrees\)", out).group(1))
    assert error < dlweek8.gradcheck.THRESHOLD
    assert "`gradcheck.THRESHOLD` $= 10^{-7}$" in MARKDOWN and dlweek8.gradcheck.THRESHOLD == 1e-7
    assert "`gradcheck.WRONG_ABOVE` $= 10^{-4}$" in MARKDOWN and dlweek8.gradcheck.WRONG_ABOVE == 1e-4


def test_the_rnn_one_step_jacobian_formula(printed):
    out = printed[cell_index("diag(1 - h_t^2) U vs autograd")]
    assert float(out.rsplit(":", 1)[1]) < 1e-12


def test_half_a_gate_per_step_over_50_steps_is_about_1e_minus_15():
    assert "about $10^{-15}$ after 50 steps" in MARKDOWN
    assert round(math.log10(0.5**50)) == -15


def _autograd_norms(cell, xs):
    """‖∂c_T/∂c_0‖₂ (all paths, torch.autograd) and ‖diag(f_T ∘ … ∘ f_1)‖₂ (the carousel) of a run from zero states."""
    k = cell.hidden_size
    full = lstm.autograd_unrolled_jacobian(cell, xs, np.zeros(k), np.zeros(k))
    forget = np.array([s.f for s in lstm.run(cell, xs)])
    return np.linalg.norm(full[k:, k:], 2), np.prod(forget, axis=0).max()


def test_gradient_flow_numbers_the_markdown_and_summary_state():
    """Issue 23 item 1: the carousel and the full Jacobian are two quantities; each number is recomputed by autograd."""
    cell, inputs = gradient_flow_cell(16)
    (full0, carousel0), (full3, carousel3) = (_autograd_norms(cell.with_forget_bias(b), inputs[:50]) for b in (0.0, 3.0))
    assert round(full0 / 1e-11) == 4 and round(full3, 1) == 5.4 and round(carousel0 / 1e-15) == 3 and round(carousel3, 2) == 0.11
    assert MARKDOWN.count("goes from about $4 \\times 10^{-11}$ at $b_f = 0$ to about $5.4$ at $b_f = 3$: the gradient no longer vanishes, it grows") == 1
    assert MARKDOWN.count("from about $3 \\times 10^{-15}$ to about $0.11$") == 2  # the explorer's prose and the summary
    assert "from about $4 \\times 10^{-11}$ to about $5.4$, it grows" in MARKDOWN  # the summary
    for false in ("passes almost unchanged", "almost\nunchanged", "mean $|\\partial c", "eleven orders of magnitude"):
        assert false not in MARKDOWN, false
    assert round(0.95**50, 2) == 0.08 and "$0.95^{50} \\approx 0.08$" in MARKDOWN
    explorer = GradientFlowExplorer(forget_bias=3.0, length=50, hidden_size=16)
    assert explorer.data["lstm_c"][0] == pytest.approx(full3, rel=1e-9)
    assert explorer.data["carousel"][0] == pytest.approx(carousel3, rel=1e-9)
    assert explorer.data["lstm_c"][-1] == explorer.data["carousel"][-1] == pytest.approx(1.0)  # 1 at t = T
    for norm, stated in ((1.0, r"vanishes \(about \$10\^\{(-?\d+)\}\$\)"), (6.0, r"explodes \(about \$(\d) \\times 10\^\{(\d+)\}\$\)")):
        explorer.rnn_norm_slider.value = norm
        value = explorer.data["rnn_h"][0]
        W, U = (torch.as_tensor(a) for a in explorer.rnn_weights(16, norm))
        xs = torch.as_tensor(np.array(inputs[:50]))  # a copy: the explorer keeps its inputs read-only

        def rnn(h, W=W, U=U, xs=xs):
            for x in xs:
                h = torch.tanh(W @ x + U @ h)
            return h

        auto = torch.autograd.functional.jacobian(rnn, torch.zeros(16, dtype=torch.float64)).numpy()
        assert value == pytest.approx(np.linalg.norm(auto, 2), rel=1e-6)  # an exploding product: rounding grows
        match = re.search(stated, MARKDOWN)
        if norm == 1.0:
            assert round(math.log10(value)) == int(match.group(1)) and "vanishes" in explorer.view.alt
        else:
            assert round(value / 10 ** int(match.group(2))) == int(match.group(1)) and "explodes" in explorer.view.alt


def test_norm_below_one_bounds_the_rnn_gradient():
    """The markdown: since 0 < 1 − h² ≤ 1, ‖U‖₂ < 1 makes the gradient vanish at least like ‖U‖₂^T."""
    cell, inputs = gradient_flow_cell(16)
    U = cell.U_c * 0.9 / np.linalg.norm(cell.U_c, 2)
    h, product = np.zeros(16), np.eye(16)
    for n, x in enumerate(inputs[:40], 1):
        h = np.tanh(cell.W_c @ x + U @ h)
        product = ((1 - h**2)[:, None] * U) @ product
        assert np.linalg.norm(product, 2) <= 0.9**n + 1e-12


def test_clipping_demo_rescales_to_max_norm(printed):
    out = printed[cell_index("clip_grad_norm_(rnn.parameters(), max_norm=1.0)")]
    before, after = (float(v) for v in re.search(r"total gradient norm: (\S+) before clipping, (\S+) after", out).groups())
    assert before > 1e3 and after == pytest.approx(1.0)
    assert "torch.nn.utils.clip_grad_norm_" in MARKDOWN


def test_brute_force_argmax_points_along_the_row(printed):
    out = printed[cell_index("candidates = rng.standard_normal((20000, 4))")]
    cosines = [float(v) for v in re.findall(r"cosine with U\^f\(d\): (\S+)", out)]
    assert len(cosines) == 2 and all(c > 0.99 for c in cosines)
    values = [float(v) for v in re.findall(r"f_t\(d\) = (\S+),", out)]
    assert values[1] > values[0]


def test_the_notes_typo_is_corrected():
    text = "\n".join(c.source for c in CELLS if c.cell_type == "markdown")
    assert "10000\\,\\lVert W^f(d)\\rVert_2 + U^f(d)\\cdot h_{t-1}" in text
    assert "W_f \\in \\mathbb{R}^{k \\times k}" not in text


def test_torch_autograd_of_a_sigmoid_at_40_really_is_zero():
    z = torch.tensor(40.0, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(z).backward()
    assert z.grad.item() == 0.0


def test_the_cell_after_the_gradient_flow_explorer_does_not_print_its_answer():
    """Issue 23 item 6: the explorer asks first; its numbers come after a heading that says to predict first."""
    at = cell_index("GradientFlowExplorer(")
    following = CELLS[at + 1]
    assert following.cell_type == "markdown" and following.source.startswith("### After your prediction")
