"""Per-student variants: each graded value question asks every student with their own numbers.

The id comes from ``dlweek8.student``, ``DLWEEK8_STUDENT`` or ``JUPYTERHUB_USER``; without one the
notes' numbers stay. Checked here: enough distinct variants, few shared by two students, the
check judging against the current student's numbers, right answers equal to PyTorch's, and the
"Your numbers" line each graded question shows.
"""

from __future__ import annotations

import itertools
import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import dlweek8
from dlweek8 import checks, student_id, variants
from dlweek8.feedback import CORRECT
from dlweek8.instructor import solutions
from dlweek8.checks import conv as conv_checks, lstm as lstm_checks, network as network_checks

IDS = [f"s{number:05d}" for number in random.Random(8).sample(range(100000), 300)]
GRADED = variants.graded_ids()


@pytest.fixture(autouse=True)
def no_student(monkeypatch):
    """Every test starts with no id: none chosen, none in the environment."""
    for name in student_id.ID_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(student_id, "_chosen", None)
    yield


def _key(question) -> str:
    return repr(sorted(variants.numbers(question).items()))


def _pairs_sharing(values) -> float:
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    same = sum(c * (c - 1) // 2 for c in counts.values())
    return same / (len(values) * (len(values) - 1) // 2)


def test_the_graded_value_questions_are_the_checked_ones_with_numbers():
    assert GRADED == [
        "lstm.forget_bias", "conv.size_78x84", "conv.size_64x64", "conv.size_28x36", "conv.input_for_16", "conv.params_7x7",
        "conv.params_1x1", "conv.ops_7x7", "conv.im2col_shape", "conv.activation_memory", "conv.receptive_field",
        "network.transposed_sizes", "network.grouped_params",
    ]


@pytest.mark.parametrize("qid", GRADED)
def test_300_students_get_at_least_50_variants_and_few_pairs_share_one(qid):
    drawn = [variants.question_for(qid, who) for who in IDS]
    keys = [_key(q) for q in drawn]
    assert len(set(keys)) >= 50
    assert _pairs_sharing(keys) <= 0.05
    # what a copier cares about: two students with the same right answer
    answers = [repr(solutions.answer(qid, who)) for who in IDS]
    assert _pairs_sharing(answers) <= 0.05  # measured: at most 4.2 % (receptive fields), else at most 1.2 %
    assert all(q.prompt != checks.get(qid).prompt for q in drawn), "a student got the notes' numbers"


@pytest.mark.parametrize("qid", GRADED)
def test_variants_have_no_two_mistakes_with_one_value_and_no_degenerate_size(qid):
    drawn = [variants.question_for(qid, who) for who in IDS]
    unfair = [q.prompt for q in drawn if not variants.fair(q)]
    assert len(unfair) <= len(drawn) // 100, unfair[:3]


def test_fair_rejects_colliding_mistakes_and_tiny_outputs():
    base = checks.get("conv.size_64x64")
    # padding 0: "padding-once" and "padding-ignored" give the right size; ceil and round coincide on 63/2
    colliding = conv_checks.OutputSizeQuestion(base.id, (64, 64), 3, stride=2)
    assert not variants.fair(colliding)
    tiny = conv_checks.OutputSizeQuestion(base.id, (8, 40), 7, stride=4)
    assert tiny._right_answer()[0] < 2 and not variants.fair(tiny)


@pytest.mark.parametrize("qid", GRADED)
def test_check_passes_the_students_answer_and_fails_it_under_another_id(qid):
    rng = random.Random(qid)
    students = IDS[:60]
    failed_elsewhere = 0
    for who in students:
        right = solutions.answer(qid, who)
        dlweek8.student(who)
        assert dlweek8.check(qid, right).status == CORRECT, (who, variants.variant(qid), right)
        other = rng.choice([s for s in IDS if s != who])
        dlweek8.student(other)
        failed_elsewhere += dlweek8.check(qid, right).status != CORRECT
    assert failed_elsewhere >= 0.95 * len(students)


@pytest.mark.parametrize("qid", GRADED)
def test_without_an_id_the_notes_numbers_stay(qid):
    assert variants.question_for(qid) is checks.get(qid)
    assert dlweek8.variant(qid) == variants.numbers(checks.get(qid))
    assert dlweek8.check(qid, solutions.answer(qid)).status == CORRECT
    assert solutions.answer(qid) == solutions.solution(qid).answer


def test_the_notes_answer_fails_for_a_student_with_an_id():
    dlweek8.student("s123")
    for qid in GRADED:
        assert dlweek8.check(qid, solutions.answer(qid)).status != CORRECT, qid


def test_the_id_comes_from_student_then_dlweek8_student_then_jupyterhub_user(monkeypatch):
    assert student_id.current() is None
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user")
    assert student_id.current() == "hub-user"
    monkeypatch.setenv("DLWEEK8_STUDENT", "s777")
    assert student_id.current() == "s777"
    shown = repr(dlweek8.student("s123"))
    assert student_id.current() == "s123" and "s123" in shown
    assert "DLWEEK8_STUDENT" in repr(dlweek8.student(...)) and student_id.current() == "s777"


@pytest.mark.parametrize("blank", [..., None, "", "   ", "your id", 3.5, True, ["s1"], "x" * 101, "a\nb"])
def test_a_blank_or_odd_id_leaves_the_notes_numbers(blank):
    shown = repr(dlweek8.student(blank))
    assert student_id.current() is None
    assert "notes' numbers" in shown and student_id.HOW_TO in shown
    assert dlweek8.variant("conv.size_78x84") == variants.numbers(checks.get("conv.size_78x84"))


def test_the_salt_gives_another_term_other_numbers(monkeypatch):
    this_term = [_key(variants.question_for("conv.params_7x7", who)) for who in IDS[:40]]
    monkeypatch.setattr(student_id, "_salt", "another term")
    next_term = [_key(variants.question_for("conv.params_7x7", who)) for who in IDS[:40]]
    assert sum(a == b for a, b in zip(this_term, next_term, strict=True)) <= 2


def test_the_salt_is_read_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.dlweek8]\nsalt = "2026 autumn"\n', encoding="utf-8")
    assert student_id.salt_from(tmp_path / "pyproject.toml") == "2026 autumn"
    assert student_id.salt_from(tmp_path / "missing.toml") == ""


def test_your_numbers_names_the_student_and_shows_the_question_with_their_numbers():
    shown = dlweek8.your_numbers("conv.size_78x84")
    assert repr(shown).startswith("The notes' numbers (no student id is set): ")
    assert checks.get("conv.size_78x84").prompt in repr(shown) and student_id.HOW_TO in repr(shown)
    dlweek8.student("s123")
    shown = dlweek8.your_numbers("conv.size_78x84")
    asked = variants.question_for("conv.size_78x84")
    assert repr(shown) == f"Your numbers (student s123): {asked.prompt}"
    assert shown._repr_markdown_().startswith("**Your numbers (student s123):** ")


def test_feedback_on_a_students_numbers_names_mistakes_as_today():
    dlweek8.student("s123")
    asked = variants.question_for("conv.params_7x7")
    layer = asked.layer
    weights = layer.out_channels * layer.input_shape[0] * layer.kernel_size**2
    wrong = weights + layer.out_channels if not layer.bias else weights
    feedback = dlweek8.check("conv.params_7x7", wrong)
    assert feedback.mistake in ("bias-counted", "bias-forgotten")
    assert str(solutions.answer("conv.params_7x7", "s123")) not in feedback.message.replace(",", "")


# -- the right answers of the variants are PyTorch's ------------------------------------------
def _meta(*shape):
    return torch.empty(*shape, device="meta")


def _torch_answer(q):
    if isinstance(q, conv_checks.OutputSizeQuestion):
        k = q.kernel_size if isinstance(q.kernel_size, tuple) else (q.kernel_size,) * 2
        out = F.conv2d(_meta(1, 1, *q.size), _meta(1, 1, *k), stride=q.stride, padding=q.padding, dilation=q.dilation)
        return tuple(out.shape[-2:])
    if isinstance(q, conv_checks.InputSizesQuestion):
        def length(n):
            return F.conv1d(_meta(1, 1, n), _meta(1, 1, q.kernel_size), stride=q.stride, padding=q.padding, dilation=q.dilation).shape[-1]
        span = q.dilation * (q.kernel_size - 1) + 1
        return [n for n in range(max(1, span - 2 * q.padding), 4 * q.output * q.stride + 4 * span) if length(n) == q.output]
    if isinstance(q, (conv_checks.ParamCountQuestion, conv_checks.OpCountQuestion, conv_checks.ActivationMemoryQuestion)):
        layer = q.layer
        module = nn.Conv2d(layer.input_shape[0], layer.out_channels, layer.kernel_size, layer.stride, layer.padding, bias=layer.bias, device="meta")
        if isinstance(q, conv_checks.ParamCountQuestion):
            return sum(p.numel() for p in module.parameters())
        if isinstance(q, conv_checks.ActivationMemoryQuestion):
            return module(_meta(q.batch, *layer.input_shape)).nbytes
        out = module(_meta(1, *layer.input_shape))
        terms = layer.input_shape[0] * layer.kernel_size**2
        mults = out.numel() * terms
        return (mults, out.numel() * (terms - 1) + (out.numel() if layer.bias else 0))
    if isinstance(q, conv_checks.Im2colQuestion):
        return tuple(F.unfold(_meta(*q.input_shape), q.kernel_size, stride=q.stride, padding=q.padding).shape)
    if isinstance(q, conv_checks.ReceptiveFieldQuestion):
        width = 400
        x = torch.zeros(1, 1, width, dtype=torch.float64, requires_grad=True)
        y = x
        for k, s, d in q.layers:
            y = F.conv1d(y, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d)
        y[0, 0, y.shape[-1] // 2].backward()
        touched = torch.nonzero(x.grad[0, 0]).flatten()
        return int(touched.max() - touched.min() + 1)
    if isinstance(q, network_checks.TransposedSizesQuestion):
        x, sizes = _meta(1, 1, q.size, q.size), []
        for k, s, p, o, d in q.decoder:
            x = nn.ConvTranspose2d(1, 1, k, s, p, o, dilation=d, device="meta")(x)
            sizes.append(x.shape[-1])
        return tuple(sizes)
    if isinstance(q, network_checks.GroupedParamsQuestion):
        module = nn.Conv2d(q.in_channels, q.out_channels, q.kernel_size, groups=q.groups, bias=q.bias, device="meta")
        return sum(p.numel() for p in module.parameters())
    if isinstance(q, lstm_checks.ForgetBias):
        return None
    raise AssertionError(q.id)


@pytest.mark.parametrize("qid", GRADED)
def test_each_variants_right_answer_is_what_pytorch_gives(qid):
    for who in IDS[:25]:
        q = variants.question_for(qid, who)
        right = solutions.answer(qid, who)
        if isinstance(q, lstm_checks.ForgetBias):
            assert torch.sigmoid(torch.tensor(right, dtype=torch.float64)).item() == pytest.approx(q.p, abs=1e-12)
            assert torch.sigmoid(torch.tensor(right - 1e-3, dtype=torch.float64)).item() < q.p
            continue
        assert right == _torch_answer(q), (who, q.prompt)


def test_the_op_counts_agree_with_flopcounter():
    from torch.utils.flop_counter import FlopCounterMode

    for who in IDS[:5]:
        q = variants.question_for("conv.ops_7x7", who)
        layer = q.layer
        module = nn.Conv2d(layer.input_shape[0], layer.out_channels, layer.kernel_size, layer.stride, layer.padding, bias=False)
        with FlopCounterMode(display=False) as counter:
            module(torch.zeros(1, *layer.input_shape))
        assert counter.get_total_flops() == 2 * solutions.answer("conv.ops_7x7", who)[0]


def test_every_pair_of_ids_draws_independently():
    """Two ids that differ in one character do not get related numbers (the seed is hashed)."""
    near = [_key(variants.question_for("conv.size_78x84", f"s{n}")) for n in range(100, 160)]
    assert len(set(near)) >= 55
    assert not any(a == b for a, b in itertools.pairwise(near))


def test_publish_writes_the_pyprojects_salt_into_the_student_build(tmp_path):
    from dlweek8.instructor import publish

    (tmp_path / "pyproject.toml").write_text('[tool.dlweek8]\nsalt = "term 7"\n', encoding="utf-8")
    namespace = {}
    exec(publish.term_module(tmp_path / "pyproject.toml").decode(), namespace)  # noqa: S102 - our own generated module
    assert namespace["SALT"] == "term 7"
    files = publish.student_files(publish.Path(__file__).resolve().parent.parent)
    assert b"SALT = " + repr(student_id.salt()).encode() in files["dlweek8/term.py"]
