"""Notebook 03 (solved edition) states only what a run gives, and asks before it tells.

Every number its prose states is recomputed here: the ratios at initialisation, the weights'
gradient norms, the baseline and the forget gates at start (fast, always run); the results of the
full run and of the exploration settings (opt-in, ``--run-slow``: minutes of training). The code
cells are run in order in one namespace, in the fast setting the tests use (tests/conftest.py).
Comparisons use tolerances: training trajectories need not agree to the last bit across machines.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import pytest
import torch
from helpers.answers import printed_forms

import solved_notebook  # tests/ is on sys.path under pytest
from helpers.headings import heading_problems
from solved_notebook import CHECK, prose, run_in_order

import dlweek8
from dlweek8 import training
from dlweek8.checks import training as training_checks
from dlweek8.instructor import solutions
from dlweek8.question import ValueQuestion

NOTEBOOK = Path(__file__).resolve().parent.parent / "solutions" / "03_gradient_flow_in_training.ipynb"
CELLS = nbformat.read(NOTEBOOK, as_version=4).cells
MARKDOWN = "\n\n".join(c.source for c in CELLS if c.cell_type == "markdown")
TEXT = prose(MARKDOWN)
QUESTIONS = [q for q in dlweek8.questions() if q.id.startswith("training.")]
#: The notebook's names for the models, in the tables' first column.
NAMES = {"RNN": "RNN", "LSTM b_f = 0": "LSTM b_f=0", "LSTM b_f = 1": "LSTM b_f=1", "LSTM b_f = 3": "LSTM b_f=3"}


def number(text: str) -> float | None:
    """A number as the prose prints it (unicode minus, thousands commas, "4.4e−20"); None for "never" or "–"."""
    text = text.strip().replace("−", "-").replace(",", "")
    match = re.match(r"-?\d+(\.\d+)?(e-?\d+)?", text)
    return float(match.group()) if match else None


def table(caption: str) -> dict[str, list[str]]:
    """The markdown table that follows the line ``caption`` (its first column -> the other cells)."""
    lines = MARKDOWN[MARKDOWN.index(caption):].splitlines()[1:]
    rows = {}
    for line in lines:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set(cells[0]) <= set("-: "):
            continue
        rows[cells[0]] = cells[1:]
    return rows


def close_in_log(stated: float, measured: float, factor: float) -> bool:
    return stated > 0 and measured > 0 and abs(math.log(stated / measured)) <= math.log(factor)


@pytest.fixture(scope="module")
def shown():
    """What each code cell shows, run in order in the fast setting."""
    assert training.chosen_setting() == training.FAST  # the repository's conftest.py sets DLWEEK8_FAST=1
    return run_in_order(CELLS).shown


# -- structure ---------------------------------------------------------------------------------
def test_one_title_and_headings_in_order():
    headings = [line for c in CELLS if c.cell_type == "markdown" for line in c.source.splitlines() if line.startswith("#")]
    assert headings[0] == "# Week 8, Task 1 in practice: gradient flow in training"
    assert not heading_problems([len(h) - len(h.lstrip("#")) for h in headings]), headings


def test_every_question_has_an_answer_cell_then_a_check_cell_in_notebook_order():
    found = solved_notebook.check_cells(CELLS)
    assert [qid for _, qid, _ in found] == [q.id for q in QUESTIONS]
    for i, qid, name in found:
        answer = CELLS[i - 1]
        assert answer.source.startswith("# answer") and re.search(rf"^{name} = ", answer.source, re.M), qid
        assert "nbval-check-output" in CELLS[i].metadata.get("tags", [])


def test_the_prediction_is_recorded_before_any_ratio_or_training_is_shown():
    predict = next(i for i, qid, _ in solved_notebook.check_cells(CELLS) if qid == "training.predict")
    before = "\n".join(c.source for c in CELLS[:predict])
    assert "training.ratios(" not in before and "run_experiment(" not in before and "ratio_figure(" not in before
    assert "e−20" not in before and "stays at the baseline" not in before


def test_no_cell_but_its_check_shows_a_value_questions_answer(shown):
    for q in QUESTIONS:
        if not isinstance(q, ValueQuestion) or q.id == "training.stays_at_baseline_why":
            continue
        forms = printed_forms(solutions.solution(q).answer)
        for j, value in shown.items():
            if CHECK.match(CELLS[j].source):
                continue
            text = str(value._repr_html_() if hasattr(value, "_repr_html_") else value)
            assert not any(re.search(rf"(?<![\d.]){re.escape(form)}(?!\d)", text) for form in forms), (q.id, j)


def test_the_solved_notebook_passes_its_own_checks(shown):
    for i, qid, _ in solved_notebook.check_cells(CELLS):
        assert shown[i].status == "correct", (qid, str(shown[i]))


# -- what the cells show (fast setting) ----------------------------------------------------------
def test_the_tables_show_the_ratios_and_every_models_results(shown):
    html = [str(v.data) for v in shown.values() if type(v).__name__ == "HTML"]
    ratios = training.ratios(training.FAST)
    assert any("Gradient ratios at initialisation" in h and all(f"{r:.2g}" in h for r in ratios.values()) for h in html)
    results = [h for h in html if "Results of the run" in h]
    assert len(results) == 2 and all(name in results[0] for name in NAMES.values())
    assert "LSTM b_f=0" in results[1] and "LSTM b_f=3" in results[1] and "RNN" not in results[1]  # Section 7 trains two
    figures = [v for v in shown.values() if hasattr(v, "alt_text")]
    assert not figures  # the figure cells show their widget; alt text and tables are tested in test_training.py


# -- every number the prose states ---------------------------------------------------------------
def test_the_baseline_and_the_starting_forget_gates():
    assert "2 \\cdot \\tfrac{1}{12} = \\tfrac{1}{6} \\approx 0.167" in TEXT and f"{1 / 6:.3f}" == "0.167"
    assert training.BASELINE_MSE == pytest.approx(1 / 6)
    gates = [float(torch.sigmoid(torch.tensor(b))) for b in (0.0, 1.0, 3.0)]
    assert "about 0.5, 0.73 and 0.95" in TEXT and [f"{g:.2g}" for g in gates] == ["0.5", "0.73", "0.95"]


def test_the_settings_the_prose_states_are_the_packages():
    full, fast = training.FULL, training.FAST
    assert (full.T, full.steps, full.batch, full.hidden, full.optimizer, full.lr, full.clip) == (100, 2000, 32, 32, "adam", 0.01, 1.0)
    assert fast == training.Setting(steps=60)
    for stated in ("2,000 steps per model", "*fast setting* (60 steps)", "with 32 hidden units", "Adam (learning rate 0.01)",
                   "fresh batches of 32 sequences, clipping the gradient norm at 1, for 2,000 steps", "Each sequence has $T = 100$ steps",
                   "up to 99 steps before the end", "the fast setting stops after 60 steps"):
        assert stated in TEXT, stated
    adam = training.optimizer_for(torch.nn.Linear(1, 1), full)
    assert adam.defaults["eps"] == 1e-8 and "$\\varepsilon = 10^{-8}$" in TEXT
    sgd = training.optimizer_for(torch.nn.Linear(1, 1), training.Setting(optimizer="sgd", lr=0.1))
    assert sgd.defaults["momentum"] == 0.9 and "`optimizer=\"sgd\", lr=0.1`, with momentum 0.9" in TEXT


def test_the_ratios_the_prose_and_the_table_state_are_measured():
    ratios = training.ratios(training.FULL)  # the ratios do not depend on the number of steps
    assert training.ratios(training.FAST) == pytest.approx(ratios, rel=1e-9)
    rows = table("**Results of the full run**")
    for shown_name, name in NAMES.items():
        assert close_in_log(number(rows[shown_name][0]), ratios[name], 1.06), (name, rows[shown_name][0], ratios[name])
    stated = re.findall(r"about \$4\.4 \\times 10\^\{-20\}\$ for the RNN, \$2\.1 \\times 10\^\{-21\}\$ for the LSTM with \$b_f = 0\$, "
                        r"\$2\.0 \\times 10\^\{-8\}\$ with \$b_f = 1\$ and \$3\.9\$ with \$b_f = 3\$", TEXT)
    assert stated, "the sentence stating the four ratios"
    for value, name in zip((4.4e-20, 2.1e-21, 2.0e-8, 3.9), NAMES.values(), strict=True):
        assert close_in_log(value, ratios[name], 1.06), (name, value, ratios[name])
    span = math.log10(max(ratios.values()) / min(ratios.values()))
    assert "span more than 20 orders of magnitude" in TEXT and span > 20
    assert "differ by 21 orders of magnitude" in TEXT and 21 <= span < 22


def test_the_questions_ratio_is_the_measured_rnn_ratio():
    measured = training.ratios(training.FULL)["RNN"]
    assert training_checks.RNN_RATIO == float(f"{measured:.2g}")
    assert training_checks.RNN_STEPS == training.FULL.T - 1


def test_the_weights_gradient_norms_at_initialisation():
    x, y = training.probe_batch(training.FULL)
    norms = {name: training.weight_gradient_norm(model, x, y) for name, model in training.models(training.FULL).items()}
    stated = re.search(r"is (\S+) for the RNN and (\S+), (\S+) and (\S+) for the LSTMs with \$b_f = 0, 1, 3\$", TEXT)
    assert stated, "the sentence stating the weights' gradient norms"
    for value, name in zip(stated.groups(), NAMES.values(), strict=True):
        assert close_in_log(number(value), norms[name], 1.06), (name, value, norms[name])
    factor = re.search(r"a factor of about (\d+) between the LSTMs", TEXT)
    lstm = [norms[name] for name in list(NAMES.values())[1:]]
    assert factor and round(max(lstm) / min(lstm)) == int(factor.group(1))


def test_adam_ignores_a_common_scale_of_the_gradients_and_sgd_does_not():
    """The prose: multiplying every gradient by 9 leaves Adam's steps unchanged (up to ε); SGD's grow 9-fold."""
    assert "leaves Adam's steps unchanged" in TEXT
    steps = {}
    for optimizer in ("adam", "sgd"):
        for scale in (1.0, 9.0):
            p = torch.nn.Parameter(torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64))
            opt = training.optimizer_for(torch.nn.Linear(1, 1), training.Setting(optimizer=optimizer))
            opt = type(opt)([p], **{k: v for k, v in opt.defaults.items() if k in ("lr", "momentum")})
            start = p.detach().clone()
            for g in (torch.tensor([1e-3, -2e-3, 5e-4]), torch.tensor([2e-3, -1e-3, 1e-3])):
                p.grad = (scale * g).double()
                opt.step()
            steps[optimizer, scale] = p.detach() - start
    assert torch.allclose(steps["adam", 1.0], steps["adam", 9.0], rtol=1e-4)
    assert torch.allclose(9 * steps["sgd", 1.0], steps["sgd", 9.0], rtol=1e-9)


def test_where_the_marked_numbers_lie_and_how_much_gradient_survives_that_far():
    T = training.FULL.T
    x, _ = training.adding_batch(20_000, T, torch.Generator().manual_seed(1))
    steps_back = (T - 1) - torch.nonzero(x[..., 1])[:, 1].reshape(-1, 2).double()  # (first, second) marker of each sequence
    first, second = steps_back.mean(0).tolist()
    assert "on average about 25 and 75 steps before the end" in TEXT
    assert abs(second - 25) < 1 and abs(first - 75) < 1
    r = training.ratios(training.FULL)["RNN"]
    assert "about $10^{-5}$ of the gradient would survive 25 steps and $10^{-15}$ 75 steps" in TEXT
    assert round(math.log10(r) * 25 / (T - 1)) == -5 and round(math.log10(r) * 75 / (T - 1)) == -15


def test_the_after_check_formula_gives_the_answer_and_comes_only_after_the_check():
    q = dlweek8.checks.get("training.per_step_factor")
    assert "a = r^{1/n}" in TEXT and q._right_answer() == pytest.approx(q.ratio ** (1 / (training.FULL.T - 1)))
    at = next(i for i, qid, _ in solved_notebook.check_cells(CELLS) if qid == q.id)
    before = prose("\n".join(c.source for c in CELLS[:at] if c.cell_type == "markdown"))
    assert "r^{1/n}" not in before and "1/99" not in before and "1/n" not in before


# -- the full run and the exploration settings (opt-in: minutes) ---------------------------------
@pytest.fixture(scope="module")
def full_runs():
    return training.run_experiment(training.FULL, progress=False)


@pytest.mark.slow
def test_the_full_runs_results_are_those_the_prose_states(full_runs):
    rows = table("**Results of the full run**")
    for shown_name, name in NAMES.items():
        run = full_runs[name]
        _, final, first, after, bias = rows[shown_name]
        assert abs(number(final) - run.final) <= max(0.1 * run.final, 2e-4), (name, final, run.final)
        if first == "never":
            assert run.first_learned is None, name
        else:
            assert abs(number(first) - run.first_learned) <= 0.15 * run.first_learned, (name, first, run.first_learned)
        assert close_in_log(number(after), run.extra["after"]["ratio"], 1.5) or (number(after) < 1e-30 and run.extra["after"]["ratio"] < 1e-25)
        if bias != "–":
            assert abs(number(bias) - run.forget_bias_after) <= 0.05, (name, bias, run.forget_bias_after)
    assert "the baseline 0.167 plus noise" in TEXT and abs(full_runs["RNN"].final - training.BASELINE_MSE) < 0.02
    steps = [full_runs[name].first_learned for name in list(NAMES.values())[1:]]
    assert "all within a factor of 2 of each other" in TEXT and max(steps) < 2 * min(steps)
    stated = re.search(r"between\s+steps (\d+) and (\d+)", TEXT)
    assert stated and abs(int(stated[1]) - min(steps)) <= 0.15 * min(steps) and abs(int(stated[2]) - max(steps)) <= 0.15 * max(steps)
    biases = re.search(r"its mean is (\S+), (\S+) and (\S+) after training", TEXT)
    for value, name in zip(biases.groups(), list(NAMES.values())[1:], strict=True):
        assert abs(number(value) - full_runs[name].forget_bias_after) <= 0.05, (name, value)


@pytest.mark.slow
def test_the_ratios_after_training_in_section_6_are_measured(full_runs):
    after = {name: run.extra["after"]["ratio"] for name, run in full_runs.items()}
    stated = re.search(r"After training the ratios are (\S+), (\S+) and (\S+) for \$b_f = 0, 1, 3\$", TEXT)
    for value, name in zip(stated.groups(), list(NAMES.values())[1:], strict=True):
        assert close_in_log(number(value), after[name], 1.5), (name, value, after[name])
    assert "LSTM gained 21 orders of magnitude by learning" in TEXT
    assert round(math.log10(after["LSTM b_f=0"] / training.ratios(training.FULL)["LSTM b_f=0"])) == 21
    assert "its mean forget bias stayed at −0.03" in TEXT and abs(full_runs["LSTM b_f=0"].forget_bias_after + 0.03) <= 0.05
    gates = full_runs["LSTM b_f=0"].extra
    assert "mean forget gate even fell, from 0.50 to 0.41" in TEXT
    assert abs(gates["before"]["forget_gate"] - 0.50) <= 0.01 and abs(gates["after"]["forget_gate"] - 0.41) <= 0.02
    assert "the most open one at $f_t \\approx 0.998$ on average" in TEXT and abs(gates["after"]["forget_gate_max_unit"] - 0.998) <= 0.0015
    assert "its ratio is $1.5 \\times 10^{-38}$, even smaller than at the start" in TEXT
    assert after["RNN"] < 1e-30 < full_runs["RNN"].extra["before"]["ratio"]


@pytest.mark.slow
@pytest.mark.parametrize("label", ["Adam, T = 300", "SGD"])
def test_the_exploration_results_are_those_the_prose_states(label):
    rows = table("**Measured with the full setting's other numbers**")
    key = next(k for k in rows if k.startswith(label))
    setting = training.Setting(T=300) if label.startswith("Adam") else training.Setting(optimizer="sgd", lr=float(re.search(r"lr ([\d.]+)", key).group(1)))
    runs = training.run_experiment(setting, progress=False)
    for cell, name in zip(rows[key], NAMES.values(), strict=True):
        run = runs[name]
        assert abs(number(cell) - run.final) <= max(0.1 * run.final, 5e-4), (label, name, cell, run.final)
        learned = re.search(r"from step ([\d,]+)", cell)
        if learned:
            assert abs(number(learned.group(1)) - run.first_learned) <= 0.15 * run.first_learned
        else:
            assert run.first_learned is None, (label, name)
