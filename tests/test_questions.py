"""Every question of the week, from ``dlweek8.questions()`` alone: nothing here names a question.

Each question has a solution on the instructor's side (its right answer or reference, and a
catalogue of wrong answers, each making one named mistake). The right answer passes, every
catalogued wrong answer fails and names its mistake, no wrong answer is told the right value,
the stored public cases are those the references give, and the grader's hidden cases catch a
function fitted to the public ones.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import dlweek8
from dlweek8 import plain, untrusted
from dlweek8.question import Cases, FunctionQuestion, ValueQuestion, judge_calls
from dlweek8.mistakes import Mistake
from dlweek8.instructor import solutions
from dlweek8.instructor.solutions import as_student
from dlweek8.names import CORRECT, INCORRECT
from helpers.answers import printed_forms

QUESTIONS = dlweek8.questions()
FUNCTIONS = [q for q in QUESTIONS if isinstance(q, FunctionQuestion)]
IDS = [q.id for q in QUESTIONS]


def catalogue():
    for q in QUESTIONS:
        for mistake, wrong in solutions.solution(q).wrong.items():
            yield pytest.param(q, mistake, wrong, id=f"{q.id}:{mistake}")


def unnamed():
    for q in QUESTIONS:
        for n, wrong in enumerate(solutions.solution(q).unnamed):
            yield pytest.param(q, wrong, id=f"{q.id}:unnamed-{n}")


def test_the_week_has_questions_of_both_kinds_in_notebook_order():
    assert FUNCTIONS and any(isinstance(q, ValueQuestion) for q in QUESTIONS)
    assert len(set(IDS)) == len(IDS)
    topics = [qid.split(".")[0] for qid in IDS]
    assert topics == sorted(topics, key=["lstm", "backprop", "conv", "network", "training"].index)


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_the_right_answer_passes(q):
    feedback = dlweek8.check(q.id, as_student(solutions.solution(q).answer))
    assert feedback.status == CORRECT, str(feedback)


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_every_question_has_a_catalogue_of_wrong_answers(q):
    found = solutions.solution(q)
    assert len(found.wrong) >= 2, f"{q.id}: catalogue too small"
    if isinstance(q, FunctionQuestion):
        assert set(q.mistakes) <= set(found.wrong), f"{q.id}: mistakes without a catalogued wrong answer"


@pytest.mark.parametrize(("q", "mistake", "wrong"), list(catalogue()))
def test_each_catalogued_wrong_answer_names_its_mistake(q, mistake, wrong):
    feedback = dlweek8.check(q.id, as_student(wrong))
    assert feedback.status == INCORRECT and mistake in feedback.mistakes and feedback.mistake == feedback.mistakes[0], str(feedback)
    if len(feedback.mistakes) > 1:  # several fit: each is named, none alone (issue 23 item 3)
        assert all(f"({n}) {q.mistake_label(name)}" in feedback.message for n, name in enumerate(feedback.mistakes, 1)), str(feedback)
    elif mistake != "right-answer-wrong-reason":  # a yes/no question's rebuttal of the reason picked (tested per topic)
        assert feedback.mistake == mistake
        assert said_by(q.mistake(mistake), feedback.message), f"{q.id}: {feedback.message!r} is not the {mistake} message"


def said_by(mistake: Mistake, message: str) -> bool:
    """Whether ``message`` is the mistake's message with its ``{placeholders}`` filled in."""
    parts = re.split(r"\{[A-Za-z_]\w*\}", mistake.message)
    return re.fullmatch(".+?".join(re.escape(part) for part in parts), message, re.S) is not None


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_each_mistake_a_question_can_name_is_one_object_holding_its_message_and_example(q):
    assert q.mistakes and all(isinstance(m, Mistake) for m in q.mistakes.values()), q.id
    for name, mistake in q.mistakes.items():
        assert mistake.message and "\n" not in mistake.message, f"{q.id}: {name}"
        assert all(isinstance(label, str) and isinstance(text, str) for label, text in mistake.example), f"{q.id}: {name}"


@pytest.mark.parametrize(("q", "wrong"), list(unnamed()))
def test_wrong_answers_without_a_name_fail_without_one(q, wrong):
    feedback = dlweek8.check(q.id, as_student(wrong))
    assert feedback.status == INCORRECT and feedback.mistake is None, str(feedback)


@pytest.mark.parametrize(("q", "mistake", "wrong"), [p for p in catalogue() if not isinstance(p.values[0], FunctionQuestion)])
def test_no_wrong_answer_is_told_the_right_value(q, mistake, wrong):
    feedback = dlweek8.check(q.id, wrong)
    said = " ".join([feedback.message, *(f"{label} {value}" for label, value in feedback.example), *feedback.hints])
    for form in printed_forms(solutions.solution(q).answer):
        assert not re.search(rf"(?<![\d.]){re.escape(form)}(?![\d])", said), f"{q.id}: wrong answer {wrong!r} is told {form!r}: {said}"


#: How far a stored output may be from its recomputation: the last bits of a matrix product follow
#: the machine's BLAS kernel (OPENBLAS_CORETYPE, threads), so stored floats are compared as numbers.
STORED_RTOL, STORED_ATOL = 1e-12, 1e-15


def differences(stored, fresh, where="") -> list[str]:
    """Where two plain values differ: ints, strings, shapes and structure exactly, floats within
    STORED_RTOL / STORED_ATOL (an empty list when they agree)."""
    if isinstance(stored, np.ndarray) or isinstance(fresh, np.ndarray):
        if not (isinstance(stored, np.ndarray) and isinstance(fresh, np.ndarray)):
            return [f"{where}: array against {type(fresh).__name__ if isinstance(stored, np.ndarray) else type(stored).__name__}"]
        if stored.shape != fresh.shape or stored.dtype != fresh.dtype:
            return [f"{where}: {stored.dtype}{stored.shape} against {fresh.dtype}{fresh.shape}"]
        if stored.dtype.kind in "fc" and np.allclose(stored, fresh, rtol=STORED_RTOL, atol=STORED_ATOL, equal_nan=True):
            return []
        return [] if np.array_equal(stored, fresh) else [f"{where}: arrays differ"]
    if isinstance(stored, float) and isinstance(fresh, float):
        same = math.isclose(stored, fresh, rel_tol=STORED_RTOL, abs_tol=STORED_ATOL) or (math.isnan(stored) and math.isnan(fresh))
        return [] if same else [f"{where}: {stored!r} against {fresh!r}"]
    if type(stored) is not type(fresh):
        return [f"{where}: {type(stored).__name__} against {type(fresh).__name__}"]
    if isinstance(stored, (list, tuple)):
        if len(stored) != len(fresh):
            return [f"{where}: {len(stored)} items against {len(fresh)}"]
        return [d for n, (a, b) in enumerate(zip(stored, fresh, strict=True)) for d in differences(a, b, f"{where}[{n}]")]
    if isinstance(stored, dict):
        if stored.keys() != fresh.keys():
            return [f"{where}: keys {sorted(stored)} against {sorted(fresh)}"]
        return [d for key in stored for d in differences(stored[key], fresh[key], f"{where}[{key!r}]")]
    return [] if stored == fresh else [f"{where}: {stored!r} against {fresh!r}"]


@pytest.mark.parametrize("q", FUNCTIONS, ids=[q.id for q in FUNCTIONS])
def test_stored_public_cases_are_what_the_references_give(q):
    stored, fresh = q.public_cases(), solutions.public_cases(q)
    as_data = [plain.loads(plain.dumps(c)) for c in ([list(stored.probes), list(stored.expected), stored.mistakes],
                                                      [list(fresh.probes), list(fresh.expected), fresh.mistakes])]
    found = differences(*as_data)
    assert not found, "run: python -m dlweek8 store-probes\n" + "\n".join(found[:10])


def test_stored_cases_compare_as_numbers_not_as_text():
    """A last-bit difference (another BLAS kernel) agrees; a real change, a shape or an int does not."""
    x = np.array([0.1430480157174844, 1.0])
    assert differences([x, 3], [np.nextafter(x, 1), 3]) == []
    assert differences(0.14304801571748438, 0.1430480157174844) == []
    assert differences([x], [x * (1 + 1e-9)]) and differences([x], [x[:1]]) and differences([3], [4])
    assert differences({"a": [1.0]}, {"b": [1.0]}) and differences([1.0], [1])


@pytest.mark.parametrize("q", FUNCTIONS, ids=[q.id for q in FUNCTIONS])
def test_hidden_cases_are_other_inputs(q):
    public, hidden = q.public_cases(), solutions.hidden_cases(q)
    assert len(hidden.probes) >= 3
    shown = {plain.dumps(list(p)) for p in public.probes}
    assert not shown & {plain.dumps(list(p)) for p in hidden.probes}


def lookup_table(cases):
    """A 'solution' fitted to the stored public outputs: it knows nothing else."""
    table = {plain.dumps(list(p)): out for p, out in zip(cases.probes, cases.expected, strict=True)}

    def answer(*args):
        return table.get(plain.dumps(list(args)))

    return answer


@pytest.mark.parametrize("q", FUNCTIONS, ids=[q.id for q in FUNCTIONS])
def test_a_lookup_table_of_the_public_outputs_passes_the_notebook_and_fails_grading(q):
    answer = lookup_table(q.public_cases())
    assert dlweek8.check(q.id, answer).status == CORRECT
    graded = solutions.graded_cases(q)
    outcomes = untrusted.call_each(answer, graded.probes, seconds=10)
    assert judge_calls(q, graded, outcomes).status != CORRECT


def _numbers_of(value) -> list:
    """Every number in a plain value (arrays, lists, tuples, dicts), flat."""
    if isinstance(value, np.ndarray):
        return value.reshape(-1).tolist()
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _numbers_of(item)]
    if isinstance(value, dict):
        return [x for item in value.values() for x in _numbers_of(item)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def _printed(x: float) -> set[str]:
    """The ways a feedback line could print a float of a case."""
    return {f"{x:.6g}", f"{x:.4g}", f"{x:.4f}", f"{x:.3f}", repr(x)[:9]}


def _hidden_said(q, feedback, hidden) -> list[str]:
    """The hidden probes' inputs and outputs that ``feedback`` states."""
    said = str(feedback) + " ".join(f"{label} {value}" for label, value in feedback.example)
    found = [q.describe_probe(args) for args in hidden.probes if q.describe_probe(args) in said]
    for args, expected in zip(hidden.probes, hidden.expected, strict=True):
        for x in _numbers_of(list(args)) + _numbers_of(expected):
            if isinstance(x, float) and abs(x) > 1e-3 and x != round(x):
                found += [form for form in _printed(x) if form in said]
    return found


def fitted_then(cases, fallback):
    """A 'solution' that returns the stored public outputs and ``fallback``'s outputs elsewhere."""
    table = lookup_table(cases)

    def answer(*args):
        found = table(*args)
        return fallback(*args) if found is None else found

    return answer


@pytest.mark.parametrize("q", FUNCTIONS, ids=[q.id for q in FUNCTIONS])
def test_feedback_never_states_a_hidden_probe(q):
    """Issue 20 item 4. Protection: judge_calls judges hidden cases only after the public ones pass, and then
    reports their count and the named mistakes they fit (question.Cases.hidden, question._hidden_failures)."""
    graded, hidden = solutions.graded_cases(q), solutions.hidden_cases(q)
    assert sum(graded.flags()) == len(hidden.probes) > 0 and not any(q.public_cases().flags())
    answers = [("lookup table", lookup_table(q.public_cases()))]
    answers += [(name, fitted_then(q.public_cases(), wrong)) for name, wrong in solutions.solution(q).wrong.items() if callable(wrong)]
    for label, answer in answers:
        feedback = judge_calls(q, graded, untrusted.call_each(answer, graded.probes, seconds=10))
        if feedback.status == CORRECT and label != "lookup table":
            continue  # a wrong formula that the hidden cases do not tell apart (e.g. right whenever d = 1)
        assert feedback.status != CORRECT and "hidden cases" in feedback.message, (label, str(feedback))
        assert feedback.example == () and not _hidden_said(q, feedback, hidden), (label, _hidden_said(q, feedback, hidden))


@pytest.mark.parametrize("q", FUNCTIONS, ids=[q.id for q in FUNCTIONS])
def test_a_formula_fitted_to_the_public_cases_is_named_by_its_hidden_mistake(q):
    graded = solutions.graded_cases(q)
    named = 0
    for name, wrong in solutions.solution(q).wrong.items():
        if not callable(wrong):
            continue
        feedback = judge_calls(q, graded, untrusted.call_each(fitted_then(q.public_cases(), wrong), graded.probes, seconds=10))
        named += name in feedback.mistakes
    assert named >= 1, f"{q.id}: no fitted wrong formula was named"


def test_the_hidden_scan_finds_a_hidden_probe_shown_as_before():
    """Without the flags (the cases as the grader had them before), the lookup table's feedback shows a hidden probe."""
    for q in FUNCTIONS:
        graded, hidden = solutions.graded_cases(q), solutions.hidden_cases(q)
        unflagged = Cases(graded.probes, graded.expected, graded.mistakes)
        feedback = judge_calls(q, unflagged, untrusted.call_each(lookup_table(q.public_cases()), graded.probes, seconds=10))
        assert _hidden_said(q, feedback, hidden), q.id


@pytest.mark.parametrize("q", FUNCTIONS, ids=[q.id for q in FUNCTIONS])
def test_the_reference_passes_the_hidden_cases_too(q):
    graded = solutions.graded_cases(q)
    outcomes = untrusted.call_each(as_student(solutions.solution(q).answer), graded.probes, seconds=10)
    assert judge_calls(q, graded, outcomes).status == CORRECT


def test_forms_of_a_right_value():
    assert {"(26, 28)", "26, 28", "26", "28"} <= printed_forms((26, 28))
    assert "2.944" in printed_forms(math.log(19)) and printed_forms(3) == set()
