"""dlweek8.check: one entry point that never raises, whatever it is given."""

import numpy as np

import dlweek8
from dlweek8 import checks
from dlweek8 import answer_forms, question
from dlweek8.feedback import INCORRECT, INVALID, UNANSWERED, UNKNOWN, Feedback


class Double(question.FunctionQuestion):
    id = "demo.double"
    signature = "f(x) -> int"
    hints = ("Multiply by two.",)

    def public_cases(self):
        return question.Cases(((0,), (3,), (-4,)), (0, 6, -8), {"plus-two": (2, 5, -2)})

    def judge(self, cases, outcomes):
        for (x,), expected, outcome in zip(cases.probes, cases.expected, outcomes, strict=True):
            if outcome.value != expected:
                if all(o.value == m for o, m in zip(outcomes, cases.mistakes["plus-two"], strict=True)):
                    return self.wrong("Plus two, not times two.", mistake="plus-two")
                return self.wrong("Not twice the input.", example=(("inputs", f"x={x}"), ("expected", str(expected)), ("got", repr(outcome.value))))
        return self.correct("Twice the input, every time.")


class Pair(question.ValueQuestion):
    id = "demo.pair"
    fields = (question.Field("a"), question.Field("b"))

    def judge(self, answer):
        answer, problem = answer_forms.integers(answer, 2)
        if problem:
            return self.invalid(problem)
        if answer == (1, 2):
            return self.correct("Right.")
        if answer == (2, 1):
            return self.wrong("Swapped.", mistake="swapped")
        return self.wrong("No.")


def test_unknown_id_lists_the_known_ids():
    feedback = dlweek8.check("conv.nope", 1)
    assert feedback.status == UNKNOWN and not feedback.passed
    for qid in checks.question_ids():
        assert qid in feedback.message
    assert dlweek8.check(None, 1).status == UNKNOWN
    assert dlweek8.check(["a list"], 1).status == UNKNOWN


def test_function_pipeline():
    q = Double()
    assert question.evaluate(q, lambda x: 2 * x).passed
    wrong = question.evaluate(q, lambda x: x + 3)
    assert wrong.status == INCORRECT and ("expected", "0") in wrong.example
    assert question.evaluate(q, lambda x: x + 2).mistake == "plus-two"
    assert question.evaluate(q, ...).status == UNANSWERED
    assert question.evaluate(q, 42).status == INVALID and "Expected a function f(x) -> int, got 42" in wrong.message + question.evaluate(q, 42).message

    def todo(x):
        raise NotImplementedError

    assert question.evaluate(q, todo).status == UNANSWERED
    raised = question.evaluate(q, lambda x: 1 // x)
    assert raised.status == INVALID and "ZeroDivisionError" in raised.message and ("inputs", "0") in raised.example


def test_value_pipeline_accepts_forms_and_blanks():
    q = Pair()
    assert question.evaluate(q, (1, 2)).passed
    assert question.evaluate(q, np.array([1, 2])).passed
    assert question.evaluate(q, [np.int64(1), 2.0]).passed
    assert question.evaluate(q, (1, 2, 3)).message == "Expected 2 integers, got 3 values: [1, 2, 3]."
    assert question.evaluate(q, (1.5, 2)).status == INVALID
    assert question.evaluate(q, "1, 2").status == INVALID
    assert question.evaluate(q, [2, 1]).mistake == "swapped"
    assert question.evaluate(q, ...).status == UNANSWERED
    assert question.evaluate(q, (..., 2)).status == UNANSWERED
    assert question.evaluate(q, None).status == INVALID


def test_a_checker_bug_becomes_a_message():
    class Broken(Double):
        def judge(self, cases, outcomes):
            raise RuntimeError("boom")

    feedback = question.evaluate(Broken(), lambda x: x)
    assert feedback.status == INVALID and "RuntimeError: boom" in feedback.message


def test_feedback_renders_text_and_html_with_hints():
    feedback = question.evaluate(Double(), lambda x: x)
    text, page = str(feedback), feedback._repr_html_()
    assert text.startswith("✘ demo.double: Not quite.") and "expected: 0" not in text
    assert "<details" in page and "Multiply by two." in page and "<script" not in page
    assert feedback.hint(1) == "Multiply by two." and "no hint 3" in feedback.hint(3)
    assert "<details" not in question.evaluate(Double(), lambda x: 2 * x)._repr_html_()


def test_feedback_escapes_student_text():
    feedback = Feedback("q", INCORRECT, "<b>x</b>")
    assert "&lt;b&gt;" in feedback._repr_html_()


def test_every_registered_question_has_hints_and_a_prompt():
    for qid in checks.question_ids():
        q = checks.get(qid)
        assert q.id == qid and q.prompt and 1 <= len(q.hints) <= 2


def test_cases_round_trip_as_plain_json_and_concatenate():
    public = question.Cases(((np.arange(3.0),), (1,)), (np.ones(3), 2), {"m": (np.zeros(3), 0), "only-public": (1, 1)})
    hidden = question.Cases(((7,),), (14,), {"m": (9,)})
    again = question.Cases.from_json(public.to_json())
    assert again.probes[1] == (1,) and np.array_equal(again.probes[0][0], np.arange(3.0))
    assert np.array_equal(again.expected[0], np.ones(3)) and again.mistakes["m"][1] == 0
    both = public + hidden
    assert both.probes[-1] == (7,) and both.expected[-1] == 14 and set(both.mistakes) == {"m"}


def test_an_answer_that_is_or_calls_a_package_function_gets_no_credit():
    from dlweek8.checks import conv as conv_checks

    q = checks.get("conv.output_size_fn")
    for answer in (conv_checks._right, lambda n, k, s=1, p=0, d=1: conv_checks._right(n, k, s, p, d)):
        feedback = dlweek8.check(q.id, answer)
        assert feedback.status == INCORRECT and feedback.mistake == "package-function"
        assert "dlweek8.checks.conv._right" in feedback.message
    assert question.package_function(conv_checks._right) == "dlweek8.checks.conv._right"
    assert question.package_function(lambda n: n) is None
