"""The Task 2 checks: right answers in every form pass, real wrong answers fail with their named
mistake, bad input gets a one-line message and nothing raises; variants are reproducible."""

import math

import time

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import dlweek8
from dlweek8 import checks, conv, question, untrusted
from dlweek8.checks import conv as conv_checks
from dlweek8.feedback import CORRECT, INCORRECT, INVALID, UNANSWERED, Feedback
from dlweek8.widgets.answers import answer_box

IDS = [
    "conv.output_size_fn",
    "conv.size_78x84",
    "conv.size_64x64",
    "conv.input_for_16",
    "conv.params_7x7",
    "conv.ops_7x7",
    "conv.params_1x1",
]
VALUE_IDS = IDS[1:]


def right_size(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def test_ids_in_notebook_order():
    assert [qid for qid in checks.question_ids() if qid.startswith("conv.")] == IDS
    for qid in IDS:
        q = checks.get(qid)
        assert q.prompt and "\n" not in q.prompt
        assert 1 <= len(q.hints) <= 2


# -- right answers in every reasonable form --------------------------------------------------------
class IterableOnly:
    """Any iterable that is not a list, tuple, set or range."""

    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return (item for item in self.items)

    def __repr__(self):
        return f"IterableOnly({self.items!r})"


def stable_id(value):
    text = repr(value)
    return type(value).__name__ if " at 0x" in text else text


RIGHT = {
    "conv.size_78x84": [(26, 28), [26, 28], np.array([26, 28]), (np.int64(26), np.int32(28)), (26.0, 28.0), torch.tensor([26, 28])],
    "conv.size_64x64": [(31, 30), [31, 30], np.array([31, 30], dtype=np.int16)],
    "conv.input_for_16": [range(52, 55), [52, 53, 54], {54, 53, 52}, (52, 53, 54), np.arange(52, 55), IterableOnly(range(52, 55)), [52, 52, 53, 54]],
    "conv.params_7x7": [100352, np.int64(100352), 100352.0, 32 * 7 * 7 * 64, np.array(100352), [100352]],
    "conv.ops_7x7": [(2508800, 2507200), [2508800, 2507200], np.array([2508800, 2507200])],
    "conv.params_1x1": [65536, 512 * 128, np.int64(65536)],
}


@pytest.mark.parametrize("qid, answer", [(qid, a) for qid, answers in RIGHT.items() for a in answers], ids=stable_id)
def test_right_answers_pass(qid, answer):
    feedback = dlweek8.check(qid, answer)
    assert feedback.status == CORRECT, str(feedback)


def _floor_division(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _math_floor(n, k, s=1, p=0, d=1):
    return math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1


def _numpy_int(n, k, s=1, p=0, d=1):
    return np.int64(np.floor((n + 2 * p - d * (k - 1) - 1) / s)) + 1


def _truncating_int(n, k, s=1, p=0, d=1):
    return int((n + 2 * p - d * (k - 1) - 1) / s) + 1  # the numerator is never negative for a fitting kernel


def _via_torch(n, k, s=1, p=0, d=1):
    return torch.nn.functional.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]


@pytest.mark.parametrize("fn", [_floor_division, _math_floor, _numpy_int, _truncating_int, _via_torch])
def test_right_functions_pass(fn):
    feedback = dlweek8.check("conv.output_size_fn", fn)
    assert feedback.status == CORRECT, str(feedback)
    assert feedback.message == f"Right on all {len(checks.get('conv.output_size_fn').probes())} cases, with and without padding, stride and dilation."


# -- a catalogue of real wrong answers, each naming its mistake --------------------------------------
WRONG_VALUES = [
    ("conv.size_78x84", (27, 29), "ceil-for-floor"),
    ("conv.size_78x84", (25, 27), "plus-one-forgotten"),
    ("conv.size_78x84", (28, 26), "height-width-swapped"),
    ("conv.size_78x84", (78, 84), "stride-ignored"),
    ("conv.size_78x84", (77 / 3 + 1, 83 / 3 + 1), "floor-missing"),
    ("conv.size_78x84", (26, 27), None),
    ("conv.size_64x64", (30, 31), "height-width-swapped"),
    ("conv.size_64x64", (32, 31), "ceil-for-floor"),
    ("conv.size_64x64", (30, 29), "plus-one-forgotten"),
    ("conv.size_64x64", (62, 60), "stride-ignored"),
    ("conv.size_64x64", np.array([31.5, 30.5]), "floor-missing"),
    ("conv.input_for_16", 52, "floor-missing"),
    ("conv.input_for_16", range(52, 56), "upper-bound-included"),
    ("conv.input_for_16", [52, 53], "sizes-missing"),
    ("conv.input_for_16", {50, 51, 52}, "ceil-for-floor"),
    ("conv.input_for_16", range(55, 58), "plus-one-forgotten"),
    ("conv.input_for_16", range(53, 56), "padding-once"),
    ("conv.input_for_16", range(54, 57), "padding-ignored"),
    ("conv.input_for_16", {51, 52, 53}, "kernel-span-off-by-one"),  # round-to-nearest gives the same sizes
    ("conv.input_for_16", [52, 53, 54, 60], "wrong-sizes"),
    ("conv.input_for_16", [], "empty"),
    ("conv.params_7x7", 100352 + 64, "bias-counted"),
    ("conv.params_7x7", 100352 * 25, "output-positions-multiplied"),
    ("conv.params_7x7", 100352 * 19 * 19, "input-size-multiplied"),
    ("conv.params_7x7", 7 * 7 * 64, "in-channels-forgotten"),
    ("conv.params_7x7", 32 * 7 * 7, "out-channels-forgotten"),
    ("conv.params_7x7", 32 * 7 * 64, "kernel-side-not-area"),
    ("conv.params_7x7", 12345, None),
    ("conv.params_1x1", 65536 + 128, "bias-counted"),
    ("conv.params_1x1", 65536 * 29 * 29, "output-positions-multiplied"),
    ("conv.params_1x1", 512 * 25 * 128, "padding-in-kernel"),
    ("conv.params_1x1", 128, "in-channels-forgotten"),
    ("conv.params_1x1", 512, "out-channels-forgotten"),
    ("conv.params_1x1", 65536 * 25 * 25, "input-size-multiplied"),
    ("conv.ops_7x7", (2508800, 2508800), "additions-equal-multiplications"),
    ("conv.ops_7x7", (5017600, 2507200), "macs-for-multiplications"),
    ("conv.ops_7x7", (5017600, 5017600), "macs-for-multiplications"),
    ("conv.ops_7x7", (2507200, 2508800), "order-swapped"),
    ("conv.ops_7x7", (49 * 1600, 48 * 1600), "in-channels-forgotten"),
    ("conv.ops_7x7", (25 * 1568, 25 * 1567), "out-channels-forgotten"),
    ("conv.ops_7x7", (2508800, 48 * 32 * 1600), "channel-sums-forgotten"),
    ("conv.ops_7x7", (1568, 1567), "one-output-counted"),
    ("conv.ops_7x7", (64 * 1568, 64 * 1567), "one-output-counted"),
    ("conv.ops_7x7", (16 * 64 * 1568, 16 * 64 * 1567), "plus-one-forgotten"),
    ("conv.ops_7x7", (2508800, 1), None),
]


@pytest.mark.parametrize("qid, answer, mistake", WRONG_VALUES, ids=stable_id)
def test_wrong_values_name_their_mistake(qid, answer, mistake):
    feedback = dlweek8.check(qid, answer)
    assert feedback.status == INCORRECT and not feedback.passed, str(feedback)
    assert feedback.mistake == mistake, str(feedback)
    if mistake not in (None, "empty"):
        assert feedback.example, "a named mistake comes with a counter-example"


def test_partial_input_sizes_say_what_is_missing_or_extra():
    assert "Missing: 53 and 54." in dlweek8.check("conv.input_for_16", 52).message
    assert "n = 55 gives 17" in dlweek8.check("conv.input_for_16", range(52, 56)).message
    assert "54 gives 16 too" in dlweek8.check("conv.input_for_16", [52, 53]).message
    assert "n = 60 gives 18" in dlweek8.check("conv.input_for_16", [52, 53, 54, 60]).message
    assert "(Here round-to-nearest instead of floor gives the same sizes.)" in dlweek8.check("conv.input_for_16", {51, 52, 53}).message


def test_half_right_sizes_say_which_dimension():
    assert "The height is right, the width is not." in dlweek8.check("conv.size_78x84", (26, 27)).message
    assert "The width is right" in dlweek8.check("conv.size_64x64", (3, 30)).message


def _ceil(n, k, s=1, p=0, d=1):
    return math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1


WRONG_FUNCTIONS = [
    (_ceil, "ceil-for-floor"),
    (lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * (k - 1) - 1) // s, "plus-one-forgotten"),
    (lambda n, k, s=1, p=0, d=1: (n + p - d * (k - 1) - 1) // s + 1, "padding-once"),
    (lambda n, k, s=1, p=0, d=1: (n - d * (k - 1) - 1) // s + 1, "padding-ignored"),
    (lambda n, k, s=1, p=0, d=1: (n + 2 * p - k) // s + 1, "dilation-ignored"),
    (lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * k) // s + 1, "dilation-times-kernel"),
    (lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * (k - 1)) // s + 1, "kernel-span-off-by-one"),
    (lambda n, k, s=1, p=0, d=1: n + 2 * p - d * (k - 1), "stride-ignored"),
    (lambda n, k, s=1, p=0, d=1: round((n + 2 * p - d * (k - 1) - 1) / s) + 1, "round-for-floor"),
    (lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * (k - 1) - 1) / s + 1, "floor-missing"),
    (lambda n, k, s=1, p=0, d=1: right_size(n, k, s, p, d) + (d == 3), "dilation-mishandled"),
    (lambda n, k, s=1, p=0, d=1: (n + 3 * p - d * (k - 1) - 1) // s + 1, "padding-mishandled"),
    (lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * (k - 1) - 1) // (s * s) + 1, "stride-mishandled"),
    (lambda n, k, s=1, p=0, d=1: n - k + 1, None),
    (lambda n, k, s=1, p=0, d=1: 10**400, None),
    (lambda n, k, s=1, p=0, d=1: -1, None),
]


@pytest.mark.parametrize("fn, mistake", WRONG_FUNCTIONS, ids=lambda v: v if isinstance(v, str) else "")
def test_wrong_functions_name_their_mistake(fn, mistake):
    feedback = dlweek8.check("conv.output_size_fn", fn)
    assert feedback.status == INCORRECT, str(feedback)
    assert feedback.mistake == mistake, str(feedback)
    rows = dict(feedback.example)
    assert set(rows) >= {"inputs", "expected", "got"}
    args = [int(part.split("=")[1]) for part in rows["inputs"].split(", ")]
    assert rows["expected"] == str(right_size(*args)) and rows["expected"] != rows["got"]
    assert rows["got"] == conv_checks._show(fn(*args))
    assert "checker could not judge" not in feedback.message


def test_function_mistake_message_and_first_case():
    feedback = dlweek8.check("conv.output_size_fn", _ceil)
    assert feedback.message.startswith("Your function matches ceil instead of floor on every case.")
    assert feedback.example[:3] == (("inputs", "n=10, k=3, s=3"), ("expected", "3"), ("got", "4"))


def test_probes_tell_every_mistake_apart():
    probes = [conv_checks._full(a) for a in checks.get("conv.output_size_fn").probes()]
    outputs = {"right": [right_size(*c) for c in probes]}
    for mistake in conv_checks.SIZE_MISTAKES:
        outputs[mistake.name] = [mistake.formula(*c) for c in probes]
    names = list(outputs)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert outputs[a] != outputs[b], (a, b)
    assert all(conv.output_size(*c) == right_size(*c) for c in probes)
    assert len(probes) >= 100 and len({p[2:] for p in probes}) > 20


# -- the counter-examples are real: torch agrees with them ------------------------------------------
@pytest.mark.parametrize("mistake", sorted(conv_checks.PARAM_EXAMPLES))
def test_parameter_counter_examples_match_torch(mistake):
    code, count, _ = conv_checks.PARAM_EXAMPLES[mistake]
    layer = eval(code, {"nn": nn})  # noqa: S307 - our own constant
    assert sum(t.numel() for t in layer.parameters()) == count


@pytest.mark.parametrize("mistake", sorted(conv_checks.OP_EXAMPLES))
def test_operation_counter_examples_match_torch(mistake):
    code, shape, mults, adds, _ = conv_checks.OP_EXAMPLES[mistake]
    layer = eval(code, {"nn": nn})  # noqa: S307 - our own constant
    with FlopCounterMode(display=False) as counter:
        layer(torch.zeros(1, *shape))
    assert counter.get_total_flops() == 2 * mults
    assert conv.op_count(shape, layer.out_channels, layer.kernel_size, layer.stride, layer.padding, bias=layer.bias is not None) == (mults, adds)


def test_size_counter_examples_match_torch():
    for mistake in conv_checks.SIZE_MISTAKES:
        rows = dict(conv_checks._counter_example(mistake, conv_checks.SMALL_CASES))
        n, k, s, p, d = (int(part.split("=")[1]) for part in rows["counter-example"].split(", "))
        out = torch.nn.functional.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]
        assert rows["PyTorch gives"] == str(out) != rows[mistake.label]


# -- bad input: a message, never an exception --------------------------------------------------------
class Weird:
    def __iter__(self):
        raise RuntimeError("no")


BAD_VALUES = [None, float("nan"), float("inf"), 10**400, (10**400, -(10**400)), "26, 28", "", (26,), (26, 28, 3), [[26, 28]], {"h": 26}, object(), Weird(),
              np.array([[26, 28]]), (26.5, 28), (True, False), lambda: 1, (None, 28), [float("nan"), 28], np.array(["a"])]


@pytest.mark.parametrize("qid", VALUE_IDS)
@pytest.mark.parametrize("answer", BAD_VALUES, ids=lambda v: type(v).__name__)
def test_bad_values_get_a_message(qid, answer):
    feedback = dlweek8.check(qid, answer)
    assert isinstance(feedback, Feedback) and not feedback.passed
    assert feedback.status in (INVALID, INCORRECT), str(feedback)
    assert feedback.message and "\n" not in feedback.message
    assert "checker could not judge" not in feedback.message, str(feedback)


def _raises(n, k, s=1, p=0, d=1):
    return 1 // (n - n)


def _loops(n, k, s=1, p=0, d=1):
    """Never returns; sleeps rather than spins, so the other test worker keeps the CPU."""
    while True:
        time.sleep(0.01)


def _todo(n, k, s=1, p=0, d=1):
    raise NotImplementedError


BAD_FUNCTIONS = [
    (_raises, INVALID, "Your function raised ZeroDivisionError: integer division or modulo by zero."),
    (lambda n, k, s=1, p=0, d=1: None, INVALID, "Your function returned None; it should return an int."),
    (lambda n, k, s=1, p=0, d=1: "3", INVALID, "Your function returned '3'; it should return an int."),
    (lambda n, k, s=1, p=0, d=1: [3], INVALID, "Your function returned [3]; it should return an int."),
    (lambda n, k, s=1, p=0, d=1: float("nan"), INVALID, "Your function returned nan."),
    (lambda n, k, s=1, p=0, d=1: float(right_size(n, k, s, p, d)), INVALID, "Right values, but your function returns floats such as 3.0; an output size is a count: return an int (use // or int(...))."),
    (lambda n, k, s, p, d: right_size(n, k, s, p, d), INVALID, "Your function raised TypeError: <lambda>() missing 3 required positional arguments: 's', 'p', and 'd'."),
    (lambda n, k: n - k + 1, INVALID, "Your function raised TypeError: <lambda>() takes 2 positional arguments but 3 were given."),
    (_todo, UNANSWERED, "Replace `raise NotImplementedError` with your code, then run this cell again."),
    (None, INVALID, "Expected a function f(n, k, s=1, p=0, d=1) -> int, got None."),
    (3, INVALID, "Expected a function f(n, k, s=1, p=0, d=1) -> int, got 3."),
    ("f", INVALID, "Expected a function f(n, k, s=1, p=0, d=1) -> int, got 'f'."),
    (..., UNANSWERED, "Replace the ... with your answer, then run this cell again."),
]


@pytest.mark.parametrize("fn, status, message", BAD_FUNCTIONS, ids=lambda v: v if isinstance(v, str) and len(v) < 12 else "")
def test_bad_functions_get_a_message(fn, status, message):
    feedback = dlweek8.check("conv.output_size_fn", fn)
    assert (feedback.status, feedback.message) == (status, message)


def test_a_looping_function_is_stopped():
    feedback = dlweek8.check("conv.output_size_fn", _loops)
    assert feedback.status == INVALID
    assert feedback.message == "Your function did not finish within 2 s (an endless loop?). Check the loop conditions."
    assert feedback.example == (("inputs", "n=5, k=3"),)


def test_a_function_mutating_nothing_and_warning_is_reported():
    def noisy(n, k, s=1, p=0, d=1):
        import warnings

        warnings.warn("careful")
        return n - k + 1

    feedback = dlweek8.check("conv.output_size_fn", noisy)
    assert feedback.status == INCORRECT and ("warning", "UserWarning: careful") in feedback.example


def test_feedback_is_deterministic():
    for qid, answer, _ in WRONG_VALUES[:12]:
        assert str(dlweek8.check(qid, answer)) == str(dlweek8.check(qid, answer))
    assert str(dlweek8.check("conv.output_size_fn", _ceil)) == str(dlweek8.check("conv.output_size_fn", _ceil))


def test_grading_split_gives_the_same_verdict():
    """Probes and outcomes survive JSON, so judging outside the kernel agrees with check()."""
    q = checks.get("conv.output_size_fn")
    for fn in (_floor_division, _ceil, _raises, lambda n, k, s=1, p=0, d=1: None):
        probes = q.probes()
        outcomes = [untrusted.Outcome.from_json(o.to_json()) for o in untrusted.call_each(fn, probes)]
        assert str(question.judge_calls(q, probes, outcomes)) == str(dlweek8.check(q.id, fn))


# -- variants and answer widgets ----------------------------------------------------------------------
SEEDS = list(range(12)) + [2**63 - 1, "s1234567"]


@pytest.mark.parametrize("qid", VALUE_IDS)
def test_variants_are_reproducible_new_and_solvable(qid):
    base = checks.get(qid)
    prompts = set()
    for seed in SEEDS:
        v = base.variant(seed)
        again = base.variant(seed)
        assert v is not None and v.id == qid
        assert (v.prompt, v.solution_fields()) == (again.prompt, again.solution_fields())
        assert v.prompt != base.prompt
        assert len(v.fields) == len(base.fields)
        assert question.evaluate(v, v.from_fields(v.solution_fields())).passed
        assert not question.evaluate(v, v.from_fields([x + 1 for x in v.solution_fields()])).passed
        prompts.add(v.prompt)
    assert len(prompts) >= len(SEEDS) - 2


@pytest.mark.parametrize("seed", range(10))
def test_variants_recognise_the_same_mistakes(seed):
    size_q = checks.get("conv.size_78x84").variant(seed)
    cases = size_q._cases()
    ceil = tuple(conv_checks.MISTAKES_BY_NAME["ceil-for-floor"].formula(*c) for c in cases)
    assert question.evaluate(size_q, ceil).mistake == "ceil-for-floor"
    assert question.evaluate(size_q, tuple(reversed(size_q.expected))).mistake == "height-width-swapped"

    inputs_q = checks.get("conv.input_for_16").variant(seed)
    only_smallest = question.evaluate(inputs_q, [min(inputs_q.expected)])
    assert only_smallest.mistake is not None and "Missing: " in only_smallest.message or "too:" in only_smallest.message
    assert question.evaluate(inputs_q, range(min(inputs_q.expected), max(inputs_q.expected) + 2)).mistake == "upper-bound-included"

    params_q = checks.get("conv.params_7x7").variant(seed)
    layer = params_q.layer
    weights = layer.out_channels * layer.input_shape[0] * layer.kernel_size**2
    bias_mistake = "bias-forgotten" if layer.bias else "bias-counted"
    assert question.evaluate(params_q, weights if layer.bias else weights + layer.out_channels).mistake == bias_mistake

    ops_q = checks.get("conv.ops_7x7").variant(seed)
    mults, adds = ops_q.expected
    assert question.evaluate(ops_q, (2 * mults, adds)).mistake == "macs-for-multiplications"
    if mults != adds:  # with a bias there are as many additions as multiplications
        assert question.evaluate(ops_q, (adds, mults)).mistake == "order-swapped"


def test_variant_numbers_come_from_the_reference():
    for seed in range(10):
        v = checks.get("conv.params_1x1").variant(seed)
        layer = nn.Conv2d(v.layer.input_shape[0], v.layer.out_channels, v.layer.kernel_size, stride=v.layer.stride, padding=v.layer.padding, bias=v.layer.bias)
        assert v.solution_fields() == [sum(t.numel() for t in layer.parameters())]
        s = checks.get("conv.size_64x64").variant(seed)
        x = torch.zeros(1, 1, *s.size)
        k = s.kernel_size if isinstance(s.kernel_size, tuple) else (s.kernel_size,) * 2
        out = torch.nn.functional.conv2d(x, torch.zeros(1, 1, *k), stride=s.stride, padding=s.padding, dilation=s.dilation).shape[-2:]
        assert tuple(s.solution_fields()) == tuple(out)


@pytest.mark.parametrize("qid", VALUE_IDS)
def test_answer_boxes_check_and_make_variants(qid):
    box = answer_box(qid, seed="student-7")
    assert box.check().status == "unanswered"  # fresh boxes are blank
    for widget, value in zip(box.inputs, box.question.solution_fields()):
        widget.value = str(value)  # number boxes are text boxes
    assert box.check().passed
    variant = box.new_variant()
    for widget, value in zip(box.inputs, variant.solution_fields()):
        widget.value = str(value)
    assert box.check().passed and box.question is variant
