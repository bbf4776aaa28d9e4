"""Answer boxes: blank means "not answered yet", and a box judges exactly like dlweek8.check."""

import ipywidgets as w
import pytest

import dlweek8
from dlweek8 import checks
from dlweek8.names import seed_from
from dlweek8.widgets.answers import AnswerBox, parse_number

WIDGET_QUESTIONS = [qid for qid in checks.question_ids() if getattr(checks.get(qid), "fields", ())]


def fill(box: AnswerBox, values) -> None:
    for widget, value in zip(box.inputs, values):
        widget.value = str(value) if isinstance(widget, w.Text) else value


@pytest.mark.parametrize("text, value", [("", ...), ("  ", ...), ("26", 26), ("100,352", 100352), ("2.94", 2.94), ("abc", "abc")])
def test_parse_number(text, value):
    assert parse_number(text) == value


def test_there_are_widget_questions_in_both_topics():
    assert any(q.startswith("conv.") for q in WIDGET_QUESTIONS) and any(q.startswith("lstm.") for q in WIDGET_QUESTIONS)


@pytest.mark.parametrize("qid", WIDGET_QUESTIONS)
def test_blank_then_right_then_wrong(qid):
    box = AnswerBox(qid)
    assert box.check().status == "unanswered"
    right = box.question.solution_fields()
    fill(box, right)
    feedback = box.check()
    assert feedback.passed, feedback
    assert "dlweek8-correct" in box._result.value
    assert dlweek8.check(qid, box.answer()).passed  # the box and check() agree
    wrong = [(v + 1 if isinstance(v, (int, float)) and not isinstance(v, bool) else (not v if isinstance(v, bool) else v)) for v in right]
    if wrong != right:
        fill(box, wrong)
        assert not box.check().passed


@pytest.mark.parametrize("qid", [q for q in WIDGET_QUESTIONS if checks.get(q).variant(1) is not None])
def test_variants_are_reproducible_and_checked_by_the_same_machinery(qid):
    box, twin = AnswerBox(qid, seed="student-42"), AnswerBox(qid, seed="student-42")
    first = box.new_variant()
    assert twin.new_variant().prompt == first.prompt
    assert first.prompt != checks.get(qid).prompt
    assert first.prompt == checks.get(qid).variant(seed_from("student-42:1")).prompt
    fill(box, first.solution_fields())
    assert box.check().passed
    fill(box, [v + 1 for v in first.solution_fields()])
    assert not box.check().passed


def test_text_in_a_number_box_gets_a_message_not_an_error():
    box = AnswerBox("conv.params_7x7")
    fill(box, ["lots"])
    feedback = box.check()
    assert feedback.status == "invalid" and "lots" in feedback.message


def test_code_only_questions_have_no_box():
    code_only = [qid for qid in checks.question_ids() if qid not in WIDGET_QUESTIONS]
    assert code_only
    with pytest.raises(ValueError):
        AnswerBox(code_only[0])
