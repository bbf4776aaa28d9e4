"""Answer boxes: blank means "not answered yet", and a box judges exactly like dlweek8.check."""

import ipywidgets as w
import pytest

import dlweek8
from dlweek8 import checks
from dlweek8.instructor import solutions
from dlweek8.names import seed_from
from helpers.fields import off_by_one
from dlweek8.widgets.answers import AnswerBox, parse_number

WIDGET_QUESTIONS = [qid for qid in checks.question_ids() if getattr(checks.get(qid), "fields", ())]


def fill(box: AnswerBox, values) -> None:
    for widget, value in zip(box.inputs, values, strict=True):
        widget.value = str(value) if isinstance(widget, w.Text) else value


@pytest.mark.parametrize("text, value", [("", ...), ("  ", ...), ("26", 26), ("100_352", 100352), ("2.94", 2.94), ("abc", "abc"),
                                         ("2,944", "2,944"), ("100,352", "100,352")])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text, readings", [("2,944", ("2944", "2.944")), ("100,352", ("100352", "100.352")),
                                            ("1,234,567", ("1234567",))])
def test_a_comma_grouped_number_is_not_read_as_thousands_and_the_check_says_why(text, readings):
    """Issue 23: "2,944" was read as 2944 (it may be 2.944 written with a decimal comma)."""
    for qid in ("conv.activation_memory", "conv.params_7x7"):
        feedback = dlweek8.check(qid, parse_number(text))
        assert feedback.status == "invalid" and all(r in feedback.message for r in readings), feedback.message


def test_there_are_widget_questions_in_both_topics():
    assert any(q.startswith("conv.") for q in WIDGET_QUESTIONS) and any(q.startswith("lstm.") for q in WIDGET_QUESTIONS)


@pytest.mark.parametrize("qid", WIDGET_QUESTIONS)
def test_blank_then_right_then_wrong(qid):
    box = AnswerBox(qid)
    assert box.check().status == "unanswered"
    right = solutions.right_fields(box.question)
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
    fill(box, solutions.right_fields(first))
    assert box.check().passed
    fill(box, [off_by_one(v) for v in solutions.right_fields(first)])
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


# -- accessibility: labels a screen reader announces, prompts that render maths ---------------------

@pytest.mark.parametrize("qid", WIDGET_QUESTIONS)
def test_every_input_has_a_label(qid):
    """A number box keeps its description (ipywidgets links it as the input's <label>); a radio group
    sits under its question, which names the group, and its options are words."""
    box = AnswerBox(qid)
    question = box.question
    for field, widget, shown in zip(question.fields, box.inputs, box._inputs.children, strict=True):
        if isinstance(widget, w.Text):
            assert widget.description == field.label and widget.description.strip()
            assert shown is widget
        else:
            assert isinstance(widget, w.RadioButtons) and widget.description == ""
            assert "dlweek8-radio-group" in shown._dom_classes and shown.children[1] is widget
            label = shown.children[0]
            assert isinstance(label, w.HTMLMath) and f"<b>{field.label}</b>" in label.value.replace("&#x27;", "'")
            assert "radiogroup" in label.value and "aria-label" in label.value
            assert label.value.index("<b>") < label.value.index("<style>")  # the name is read from the <b> only
            assert all(str(option).strip() for option in widget.options)


def test_prompts_render_maths_and_code_and_escape_html():
    from dlweek8.widgets.answers import prompt_html

    box = AnswerBox(WIDGET_QUESTIONS[0])
    assert isinstance(box._prompt, w.HTMLMath)
    assert prompt_html("Max-pool, $n < 10$, `ceil_mode=True`: & more") == (
        "Max-pool, $n &lt; 10$, <code>ceil_mode=True</code>: &amp; more"
    )
    assert prompt_html("a lone ` backtick") == "a lone ` backtick"
    assert prompt_html("<script>x</script>") == "&lt;script&gt;x&lt;/script&gt;"


def test_feedback_and_hints_render_maths_like_the_prompt():
    """Issue 23 item 8: the feedback area is an HTMLMath widget, so $...$ in a message or a hint is typeset."""
    qid = next(q.id for q in dlweek8.questions() if q.id == "lstm.forget_bias")
    box = AnswerBox(qid)
    assert isinstance(box._result, w.HTMLMath) and isinstance(box._prompt, w.HTMLMath)


def test_radio_options_render_their_maths():
    """Issue 23 item 8: ipywidgets shows radio options as plain text (no MathJax typesets them), so their
    maths is written in Unicode sub- and superscripts: no raw h_{t−1} or W^f(d) on screen."""
    import re

    from dlweek8.widgets.answers import maths_text

    shown = []
    for qid in WIDGET_QUESTIONS:
        box = AnswerBox(qid)
        for field, widget in zip(box.question.fields, box.inputs, strict=True):
            if isinstance(widget, w.RadioButtons):
                assert [value for _, value in widget.options] == [value for _, value in field.options] or field.kind == "bool"
                shown += [label for label, _ in widget.options]
    raw = [label for label in shown if re.search(r"[_^$\\]", label)]
    assert len(shown) >= 12 and not raw, raw
    assert "A: hₜ₋₁ is computed from cₜ₋₁, so the dependence runs the other way." in shown
    assert maths_text("h_{t−1} = o_{t−1} ∘ tanh(c_{t−1}); W^f(d)·x_t") == "hₜ₋₁ = oₜ₋₁ ∘ tanh(cₜ₋₁); Wᶠ(d)·xₜ"
    assert maths_text("|∂h_T/∂h_0|") == "|∂h_T/∂h_0|"  # no subscript T in Unicode: left whole, never half converted
