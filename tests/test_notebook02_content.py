"""Notebook 02 (solved edition) teaches only what is true, and asks before it tells.

The code cells are run here in order, in one namespace, as a notebook would run them; what
each cell shows is compared with the numbers its neighbouring markdown states, and no cell
before a question's check shows that question's answer.
"""

from __future__ import annotations

import re
from pathlib import Path

import ipywidgets as widgets
import nbformat
import pytest
import torch
import torch.nn.functional as F
from helpers.fields import off_by_one
from helpers.answers import printed_forms

import solved_notebook  # tests/ is on sys.path under pytest
from helpers.headings import heading_problems
from solved_notebook import CHECK, prose, run_in_order
from torch import nn

import dlweek8
from dlweek8 import conv
from dlweek8.instructor.references import conv as reference
from dlweek8.instructor import solutions
from dlweek8.question import ValueQuestion

NOTEBOOK = Path(__file__).resolve().parent.parent / "solutions" / "02_conv_arithmetic.ipynb"
CELLS = nbformat.read(NOTEBOOK, as_version=4).cells
MARKDOWN = "\n\n".join(c.source for c in CELLS if c.cell_type == "markdown")
CONV = [q for q in dlweek8.questions() if q.id.startswith("conv.")]


def check_cells() -> list[tuple[int, str, str]]:
    return solved_notebook.check_cells(CELLS)


@pytest.fixture(scope="module")
def shown():
    """What each code cell shows (the value of its last expression), by cell index."""
    return run_in_order(CELLS).shown


# -- structure ---------------------------------------------------------------------------------
def test_one_title_parallel_to_task_1_and_headings_in_order():
    headings = [line for c in CELLS if c.cell_type == "markdown" for line in c.source.splitlines() if line.startswith("#")]
    assert headings[0] == "# Week 8, Task 2: Convolution arithmetic"
    assert not heading_problems([len(h) - len(h.lstrip("#")) for h in headings]), headings


def test_links_say_where_they_go():
    for text, url in re.findall(r"\[([^\]]+)\]\(([^)]+)\)", MARKDOWN):
        assert len(text.split()) >= 3 and text.lower() not in ("here", "this", "link"), text
        assert url.startswith("https://")


def test_every_question_has_an_answer_cell_then_a_check_cell_in_notebook_order():
    from dlweek8.checks.conv import QUIZ

    found = check_cells()
    network = [q.id for q in dlweek8.questions() if q.id.startswith("network.")]  # section 12, after the self-test
    assert [qid for _, qid, _ in found] == [q.id for q in CONV if q.id not in QUIZ] + network
    for i, qid, name in found:
        answer = CELLS[i - 1]
        assert answer.source.startswith("# answer") and re.search(rf"^(def )?{name}\b", answer.source.split("\n", 1)[1], re.M), qid
        assert "nbval-check-output" in CELLS[i].metadata.get("tags", [])


def test_no_cell_a_student_can_run_shows_an_answer(shown):
    """The 'confirm with PyTorch' demos moved into the right answer's feedback (issue 9 §4): no cell
    but the question's own check shows its answer, before or after the check."""
    for q in CONV:
        if not isinstance(q, ValueQuestion):
            continue
        forms = printed_forms(solutions.solution(q).answer)
        for j, value in shown.items():
            # a check shows its own question's feedback; answer boxes show prompts (their own numbers)
            if CHECK.match(CELLS[j].source) or "answer_box(" in CELLS[j].source or "your_numbers(" in CELLS[j].source:
                continue
            if isinstance(value, widgets.Widget):  # the explorer: its text is about its own numbers
                value = " ".join(part.value for part in (value.workings, value.question, value.legend)) + " " + value.view.alt
            text = repr(value)
            assert not any(re.search(rf"(?<![\d.]){re.escape(f)}(?![\d])", text) for f in forms), (q.id, j, text[:300])


# -- issue 8 §5: the statement about the floor, corrected, is true ----------------------------------
def test_why_floor_states_where_the_leftover_is_not_where_the_next_window_starts():
    text = prose(MARKDOWN)
    assert "would start inside the input" not in text
    assert "the last window ends $r$ cells before the end of the padded input" in text
    assert "would end $s - r$ cells past that end" in text
    assert "The last $r$ cells of the padded input are covered by no window" in text
    assert "the windows also skip the $s - k_\\text{eff}$ cells between neighbours" in text


@pytest.mark.parametrize("s", [1, 2, 3, 5, 7])
def test_the_floor_statements_hold_even_when_the_stride_is_large(s):
    """Including s > k_eff + p, where the next window starts past the padded input."""
    for n in range(1, 14):
        for k in range(1, 5):
            for p in range(0, 3):
                for d in (1, 2):
                    span = d * (k - 1) + 1
                    if span > n + 2 * p:
                        continue
                    r, last = (n + 2 * p - span) % s, n + 2 * p - 1
                    padded = torch.zeros(1, 1, n + 2 * p, requires_grad=True)
                    F.conv1d(padded, torch.ones(1, 1, k), stride=s, dilation=d).sum().backward()
                    covered = torch.nonzero(padded.grad[0, 0]).flatten().tolist()
                    starts = list(reference.placements(n, k, s, p, d))
                    assert max(covered) == last - r  # the last window ends r cells before the end
                    assert starts[-1] + s + span - 1 == last + (s - r)  # the next would end s − r past it
                    if d == 1 and s > span and len(starts) > 1:
                        gap = [c for c in range(starts[0] + span, starts[1])]
                        assert len(gap) == s - span and not set(gap) & set(covered)


def test_the_d2l_remark_is_right():
    for n, k, total in ((8, 3, 2), (28, 3, 4), (10, 5, 4)):
        assert n - k + total + 1 == reference.output_size(n, k, 1, total // 2)
    assert "writes $n - k + p + 1$ with $p$ the **total** number of padding rows" in prose(MARKDOWN)


# -- the numbers the markdown states are what the cells compute ----------------------------------
def test_the_explorer_opens_on_a_case_with_a_leftover():
    cell = next(c for c in CELLS if c.cell_type == "code" and "ConvExplorer(" in c.source and "import" not in c.source)
    assert cell.source == "ConvExplorer()"
    from dlweek8.widgets.conv_explorer import DEFAULT

    n, k, s, p = DEFAULT["size"], DEFAULT["kernel"], DEFAULT["stride"], DEFAULT["padding"]
    assert (n + 2 * p - k) % s and conv.unreached_inputs(n, k, s, p)


def test_flop_counter_demo(shown):
    text = prose(MARKDOWN)
    i = next(j for j, c in enumerate(CELLS) if "FlopCounterMode(display=False)" in c.source)
    flops, mults = shown[i]
    n_out, inner = 8 * 8 * 8, 3 * 3 * 3
    assert "$N = 8 \\cdot 8 \\cdot 8 = 512$ output values, $L = 27$" in text and (n_out, inner) == (512, 27)
    assert mults == n_out * inner and flops == 2 * mults
    m, a = reference.op_count((3, 10, 10), 8, 3)
    assert flops - (m + a) == n_out  # "2NL, which is N more than our multiplications plus additions"


def test_im2col_demo(shown):
    i = next(j for j, c in enumerate(CELLS) if "F.unfold(x, kernel_size=3)" in c.source)
    shape, equal = shown[i]
    assert shape == (1, 18, 9) and equal is True
    assert "these 18 · 9 = 162 numbers hold the 50 numbers of the input" in prose(MARKDOWN)
    assert 18 * 9 == 162 and 2 * 5 * 5 == 50


def test_activation_memory_demo_and_the_stem_weights(shown):
    i = next(j for j, c in enumerate(CELLS) if c.source.startswith("out = nn.Conv2d(3, 16, 3, padding=1)"))
    assert shown[i] == ((8, 16, 32, 32), 4, 8 * 16 * 32 * 32 * 4)
    weights = sum(t.numel() for t in nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False).parameters())
    assert f"64 · 3 · 7 · 7 = {weights:,} weights ({4 * weights:,} bytes)" in prose(MARKDOWN)


def test_receptive_field_demos(shown):
    text = prose(MARKDOWN)
    two = next(j for j, c in enumerate(CELLS) if c.source.rstrip().endswith("cells_seen([(3, 2, 1), (3, 1, 1)])"))
    one = next(j for j, c in enumerate(CELLS) if c.source == "cells_seen([(3, 1, 2)])")
    cells = shown[two]
    assert cells == list(range(7)) and reference.receptive_field_size([(3, 2, 1), (3, 1, 1)]) == 7
    assert "Seven consecutive cells" in text and "it adds $2 \\cdot (3 - 1) = 4$ cells to the first layer's 3" in text
    dilated = shown[one]
    assert dilated == [0, 2, 4]
    assert "spans 5 cells (0 to 4) but touches only 3 of them" in text


def test_padding_zoo_transposed_and_pooling_demos(shown):
    text = prose(MARKDOWN)
    zoo = next(j for j, c in enumerate(CELLS) if c.source.startswith("k, d, n = 5, 2, 10"))
    assert shown[zoo] == (9, 10, 18)
    assert "($k_\\text{eff} = 9$) on 10 cells: half padding keeps 10, full padding gives $10 + 9 - 1 = 18$" in text
    transposed = next(j for j, c in enumerate(CELLS) if "conv_transpose2d" in c.source)
    assert shown[transposed] == [9, 10] and "without and with `output_padding=1`: one apart" in text
    assert "$n_\\text{out} = (n - 1)s" not in text.split("Exercise 12")[0], "the formula comes after Exercise 12 (derive first)"
    pooling = next(j for j, c in enumerate(CELLS) if "max_pool2d" in c.source)
    assert shown[pooling] == {(0, False): 2, (0, True): 3, (1, False): 3, (1, True): 3}
    assert reference.output_size(5 + 2, 2, 2) + 1 == 4  # ceil mode before PyTorch drops the window: ⌈5/2⌉ + 1
    assert "ceil mode adds the partial window over the last cell (2 → 3)" in text and "ceil would give 4 windows" in text


def test_summary_formulas_hold():
    for layers in ([(5, 2, 1), (3, 2, 1), (3, 1, 2)], [(3, 1, 1)] * 10, [(3, 1 + i % 2, 1) for i in range(10)]):
        below, total = 1, 1
        for k, s, d in layers:
            total, below = total + d * (k - 1) * below, below * s
        assert total == reference.receptive_field_size(layers)


# -- the self-test ------------------------------------------------------------------------------------
def test_the_self_test_asks_new_numbers_across_the_skills(shown):
    from dlweek8.checks.conv import QUIZ

    i = next(j for j, c in enumerate(CELLS) if "for question_id in QUIZ" in c.source)
    assert i > max(j for j, qid, _ in check_cells() if qid.startswith("conv."))  # after every exercise of sections 1-7
    assert "nbval-ignore-output" in CELLS[i].metadata.get("tags", [])
    boxes = shown[i].children
    assert [b.question.id for b in boxes] == list(QUIZ) and len(QUIZ) >= 4
    exercises = {q.id: q for q in CONV if q.id not in QUIZ}
    skills = {type(q) for q in exercises.values()}
    assert len({type(b.question) for b in boxes} & skills) == len(boxes)  # one skill each, all taught above
    for box in boxes:
        same_skill = [q for q in exercises.values() if type(q) is type(box.question)]
        assert all(box.question.prompt != q.prompt for q in same_skill)  # new numbers
        assert box.check().status == "unanswered" and box.check().hints == ()  # hints only after an attempt
        for widget, value in zip(box.inputs, solutions.right_fields(box.question), strict=True):
            widget.value = str(off_by_one(value))
        tried = box.check()
        assert not tried.passed and tried.hints
        assert box._variant_button is not None  # New variant
