"""Notebook 02's section 12 questions against the real layers: nn.ConvTranspose2d's forward shapes and nn.Conv2d's numel.

The references (dlweek8/instructor/references/network.py) are compared with torch over a grid and
over many drawn variants; every mistake's counter-example is rebuilt with torch; a catalogue of
wrong formulas, written out here, fails on every variant it changes, naming its mistake and never
the right value; odd answers get one clear line.
"""

from __future__ import annotations

import itertools
import math
import random
import re

import pytest
import torch
from torch import nn

import dlweek8
from dlweek8 import student_id, variants
from dlweek8.checks import network
from dlweek8.instructor import solutions
from dlweek8.instructor.references import network as reference
from dlweek8.names import CORRECT, INCORRECT, INVALID
from helpers.answers import printed_forms

STUDENTS = [f"s{number:05d}" for number in random.Random(25).sample(range(100000), 120)]
TRANSPOSED, GROUPED = "network.transposed_sizes", "network.grouped_params"


@pytest.fixture(autouse=True)
def no_student(monkeypatch):
    """Every test starts with no id: none chosen, none in the environment."""
    for name in student_id.ID_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(student_id, "_chosen", None)


def torch_transposed(n, k, s, p, q, d) -> int:
    """The output side of a real nn.ConvTranspose2d forward pass on an n × n input."""
    with torch.no_grad():
        return nn.ConvTranspose2d(1, 1, k, s, p, q, dilation=d)(torch.zeros(1, 1, n, n)).shape[-1]


def torch_params(c_in, c_out, k, groups, bias) -> int:
    return sum(p.numel() for p in nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias).parameters())


def test_the_transposed_reference_is_pytorchs_on_a_grid():
    cases = [(n, k, s, p, q, d) for n in (1, 2, 5, 7) for k in (1, 2, 3, 4) for s in (1, 2, 3) for d in (1, 2)
             for p in range(0, d * (k - 1) + 1) for q in range(max(s, d))]
    checked = 0
    for case in cases:
        if reference.transposed_size(*case) >= 1:
            assert reference.transposed_size(*case) == torch_transposed(*case), case
            checked += 1
    assert checked > 300


def test_the_grouped_reference_is_pytorchs_on_a_grid():
    for c_in, c_out, k, groups, bias in itertools.product((4, 6, 12), (6, 12), (1, 3, 5), (1, 2, 3, 6), (True, False)):
        if c_in % groups == 0 and c_out % groups == 0:
            assert reference.grouped_param_count(c_in, c_out, k, groups, bias) == torch_params(c_in, c_out, k, groups, bias)


def test_the_notes_numbers_are_a_decoder_from_7_to_28_and_a_grouped_layer():
    assert solutions.solution(TRANSPOSED).answer == (14, 28)
    x = torch.zeros(1, 128, 7, 7)
    for (k, s, p, q, d), (c_in, c_out) in zip(network.DECODER, ((128, 64), (64, 32)), strict=True):
        x = nn.ConvTranspose2d(c_in, c_out, k, s, p, q, dilation=d)(x)
    assert tuple(x.shape) == (1, 32, 28, 28)
    assert solutions.solution(GROUPED).answer == torch_params(64, 128, 3, 16, True) == 4736


@pytest.mark.parametrize("qid", [TRANSPOSED, GROUPED])
def test_each_drawn_variant_is_what_the_real_layers_give(qid):
    for who in STUDENTS:
        q = variants.question_for(qid, who)
        right = solutions.answer(qid, who)
        if qid == TRANSPOSED:
            n, sizes = q.size, []
            for layer in q.decoder:
                n = torch_transposed(n, *layer)
                sizes.append(n)
            assert right == tuple(sizes) == q._right_answer(), q.prompt
            assert all(b > a for a, b in itertools.pairwise((q.size, *sizes))), "a decoder layer that does not upsample"
        else:
            assert right == torch_params(q.in_channels, q.out_channels, q.kernel_size, q.groups, q.bias) == q._right_answer(), q.prompt
        assert _judged(qid, who, right).status == CORRECT


def test_the_variants_ask_about_output_padding_and_include_depthwise_layers():
    transposed = [variants.question_for(TRANSPOSED, who) for who in STUDENTS]
    assert all(any(q for _, _, _, q, _ in v.decoder) for v in transposed)
    assert any(d == 2 for v in transposed for *_, d in v.decoder)
    grouped = [variants.question_for(GROUPED, who) for who in STUDENTS]
    depthwise = [v for v in grouped if v.groups == v.in_channels]
    assert 0.15 * len(grouped) < len(depthwise) < 0.6 * len(grouped)
    assert {v.bias for v in grouped} == {True, False}


# -- counter-examples -------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(network.TRANSPOSED_MISTAKES))
def test_each_transposed_counter_example_is_rebuilt_with_torch(name):
    code, n, right, wrong = network.TRANSPOSED_MISTAKES[name].evidence
    with torch.no_grad():
        side = eval(code, {"nn": nn})(torch.zeros(1, 1, n, n)).shape[-1]  # noqa: S307 - our own constant
    assert side == right != wrong
    case = _case(code, n)
    assert network.TRANSPOSED_FORMULAS[name](*case) == wrong and reference.transposed_size(*case) == right


def _case(code: str, n: int) -> tuple:
    layer = eval(code, {"nn": nn})  # noqa: S307 - our own constant
    return (n, layer.kernel_size[0], layer.stride[0], layer.padding[0], layer.output_padding[0], layer.dilation[0])


@pytest.mark.parametrize("name", list(network.GROUPED_MISTAKES))
def test_each_grouped_counter_example_is_rebuilt_with_torch(name):
    code, right = network.GROUPED_MISTAKES[name].evidence
    assert sum(p.numel() for p in eval(code, {"nn": nn}).parameters()) == right  # noqa: S307 - our own constant
    shown = dict(network.GROUPED_MISTAKES[name].example)
    assert shown["parameters"].startswith(f"{right}:") and str(right) not in shown["not"]


def test_a_right_answers_pytorch_expression_gives_the_value():
    q = network.QUESTIONS[0]
    feedback = dlweek8.check(TRANSPOSED, q._right_answer())
    expression = dict(feedback.example)["PyTorch"]
    assert eval(expression, {"itertools": itertools, "torch": torch, "nn": nn}) == list(q._right_answer())  # noqa: S307
    feedback = dlweek8.check(GROUPED, 4736)
    assert eval(dict(feedback.example)["PyTorch"], {"nn": nn}) == 4736  # noqa: S307


# -- wrong answers, written out here as a student computes them ----------------------------------
WRONG_TRANSPOSED = {
    "output-padding-forgotten": lambda n, k, s, p, q, d: (n - 1) * s - 2 * p + d * (k - 1) + 1,
    "forward-formula": lambda n, k, s, p, q, d: math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1,
    "padding-once": lambda n, k, s, p, q, d: (n - 1) * s - p + d * (k - 1) + q + 1,
    "padding-added": lambda n, k, s, p, q, d: (n - 1) * s + 2 * p + d * (k - 1) + q + 1,
    "plus-one-forgotten": lambda n, k, s, p, q, d: (n - 1) * s - 2 * p + d * (k - 1) + q,
    "minus-one-forgotten": lambda n, k, s, p, q, d: n * s - 2 * p + d * (k - 1) + q + 1,
    "dilation-ignored": lambda n, k, s, p, q, d: (n - 1) * s - 2 * p + k - 1 + q + 1,
    "output-padding-both-sides": lambda n, k, s, p, q, d: (n - 1) * s - 2 * p + d * (k - 1) + 2 * q + 1,
    "stride-times-input": lambda n, k, s, p, q, d: n * s,
}

WRONG_GROUPED = {
    "groups-ignored": lambda c, o, k, g, b: o * c * k * k + b * o,
    "out-channels-divided": lambda c, o, k, g, b: (o // g) * (c // g) * k * k + b * o,
    "in-channels-forgotten": lambda c, o, k, g, b: o * k * k + b * o,
    "kernel-side-not-area": lambda c, o, k, g, b: o * (c // g) * k + b * o,
    "bias-forgotten": lambda c, o, k, g, b: o * (c // g) * k * k,
    "bias-counted": lambda c, o, k, g, b: o * (c // g) * k * k + o,
    "bias-per-group": lambda c, o, k, g, b: o * (c // g) * k * k + b * g,
}


def _told(feedback, right) -> bool:
    """Whether the feedback prints the right value (or one of its sizes of two digits or more)."""
    said = " ".join([feedback.message, *(f"{label} {value}" for label, value in feedback.example), *feedback.hints])
    return any(re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d])", said) for form in printed_forms(right))


def _judged(qid, who, answer):
    dlweek8.student(who)
    return dlweek8.check(qid, answer)


@pytest.mark.parametrize("name", list(WRONG_TRANSPOSED))
def test_each_wrong_transposed_formula_fails_on_every_variant_it_changes_and_is_named(name):
    changed = 0
    for who in STUDENTS:
        q = variants.question_for(TRANSPOSED, who)
        n, wrong = q.size, []
        for layer in q.decoder:
            n = WRONG_TRANSPOSED[name](n, *layer)
            wrong.append(n)
        if tuple(wrong) == q._right_answer():
            continue
        changed += 1
        feedback = _judged(TRANSPOSED, who, tuple(wrong))
        assert feedback.status == INCORRECT and feedback.mistakes == (name,), (q.prompt, wrong, str(feedback))
        assert not _told(feedback, q._right_answer()), str(feedback)
    assert changed >= len(STUDENTS) // 4


@pytest.mark.parametrize("name", list(WRONG_GROUPED))
def test_each_wrong_grouped_formula_fails_on_every_variant_it_changes_and_is_named(name):
    changed = 0
    for who in STUDENTS:
        q = variants.question_for(GROUPED, who)
        wrong = WRONG_GROUPED[name](q.in_channels, q.out_channels, q.kernel_size, q.groups, q.bias)
        if wrong == q._right_answer():
            continue
        changed += 1
        feedback = _judged(GROUPED, who, wrong)
        assert feedback.status == INCORRECT and feedback.mistakes == (name,), (q.prompt, wrong, str(feedback))
        assert not _told(feedback, q._right_answer()), str(feedback)
    assert changed >= len(STUDENTS) // 4


def test_the_notes_catalogue_names_each_mistake_without_the_right_value():
    for qid in (TRANSPOSED, GROUPED):
        found = solutions.solution(qid)
        for name, wrong in found.wrong.items():
            feedback = dlweek8.check(qid, wrong)
            assert feedback.status == INCORRECT and name in feedback.mistakes
            assert not _told(feedback, found.answer), str(feedback)


def test_a_wrong_second_size_after_a_right_first_says_so():
    feedback = dlweek8.check(TRANSPOSED, (14, 27))
    assert feedback.status == INCORRECT and feedback.mistake is None and "first size is right" in feedback.message
    assert "28" not in feedback.message


@pytest.mark.parametrize("answer", [None, float("nan"), "14, 28", (14,), (14, 28, 56), (14.5, 28), [[14, 28]], {"a": 1}, -3, 4736.5])
def test_odd_answers_get_one_line_and_no_credit(answer):
    for qid in (TRANSPOSED, GROUPED):
        feedback = dlweek8.check(qid, answer)
        assert feedback.status in (INVALID, INCORRECT) and "\n" not in feedback.message and "Traceback" not in feedback.message


def test_no_variant_is_drawn_whose_answer_a_counter_example_prints():
    """A counter-example's numbers are fixed; a variant whose right value is one of them is not drawn (its
    wrong answers' feedback would print it)."""
    printed = network.GroupedParamsQuestion(GROUPED, 16, 16, 3, 16, bias=False)  # depthwise 3×3 on 16 channels: 144
    assert printed._right_answer() == 144 and not network.QUESTIONS[1].suits(printed)
    for qid in (TRANSPOSED, GROUPED):
        for who in STUDENTS:
            q = variants.question_for(qid, who)
            shown = {int(n) for m in q.mistakes.values() for _, text in m.example for n in re.findall(r"\d+", text)}
            assert not shown & set(q._right_answer() if isinstance(q._right_answer(), tuple) else (q._right_answer(),)), q.prompt
