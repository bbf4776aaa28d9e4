"""Written answers graded by a person: the instant check of the form, the criteria and rubrics, and the
rubric staying out of the student build.

The form check counts sentences (abbreviations such as "e.g." and numbers such as "0.5" end none),
refuses answers that copy the prompt or the practice item's options, never raises, never gives points
itself, and shows what the rubric looks at without the rubric's own (answer-giving) wording.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import nbformat
import pytest

import dlweek8
from dlweek8 import checks, written
from dlweek8.instructor import leaks, publish, solutions
from dlweek8.instructor.references import rubrics
from dlweek8.names import CORRECT, INCORRECT, INVALID, UNANSWERED

ROOT = Path(__file__).resolve().parents[1]
WRITTEN = [q for q in dlweek8.questions() if written.is_written(q)]
IDS = [q.id for q in WRITTEN]


def test_the_notes_three_why_questions_are_written_answers_after_their_practice_items():
    assert IDS == ["lstm.cell_state_dependence_why", "lstm.no_hand_jacobian_why", "lstm.argmax_vs_input_why",
                   "training.stays_at_baseline_why"]  # the notes' three, then notebook 03's
    order = checks.question_ids()
    for q in WRITTEN:
        assert order.index(q.id) == order.index(q.after) + 1
    assert WRITTEN[0].practice == "lstm.cell_state_dependence" and WRITTEN[2].practice == "lstm.argmax_vs_input"


# -- counting sentences -------------------------------------------------------------------------

SENTENCE_COUNTS = [
    ("No.", 1),
    ("No, it is not", 1),
    ("σ(0) = 0.5. So the gate is half open.", 2),
    ("The gate is 0.95, e.g. with b = 2.94. That is enough.", 2),
    ("We compare, i.e. we subtract. Then we divide!", 2),
    ("Is it? Yes. Really!", 3),
    ("Take h, c etc. and compare them. Done.", 2),
    ("It saturates, etc. The max moves.", 2),
    ("A vs. B: the same number is added, cf. Section 3.", 1),
    ("The value is 3.14159... Then it stops.", 2),
    ("First point\n\nSecond point\n\nThird point\n\nFourth point", 4),
    ("- one reason\n- another reason\n- a third\n- a fourth", 4),
    ("He said \"no.\" Then he left.", 2),
    ("(It is a function of h.) No, it is not.", 2),
    ("x = 1.5e-3 and y = 2. Then z = x/y.", 2),
    ("", 0),
    ("...", 0),
]


@pytest.mark.parametrize(("text", "count"), SENTENCE_COUNTS, ids=[f"{n}" for n in range(len(SENTENCE_COUNTS))])
def test_sentences_are_counted_as_a_reader_counts_them(text, count):
    assert len(written.sentences(text)) == count, written.sentences(text)


def test_three_sentences_with_abbreviations_and_numbers_pass_and_four_do_not():
    q = checks.get("lstm.cell_state_dependence_why")
    three = ("No, the cell state is a separate input of the step, e.g. next to the hidden state. "
             "With o = 0.5 and c = 1 the output is about 0.38, i.e. the same as with o = 0.8 and c = 0.52. "
             "So h does not pin c down.")
    assert dlweek8.check(q.id, three).status == CORRECT
    four = three + " That is all."
    feedback = dlweek8.check(q.id, four)
    assert feedback.status == INCORRECT and feedback.mistake == "too-many-sentences"
    assert "4 sentences" in feedback.message and [label for label, _ in feedback.example] == [f"sentence {n}" for n in range(1, 5)]


# -- the form check ----------------------------------------------------------------------------------


@pytest.mark.parametrize("qid", IDS)
def test_the_model_answer_is_saved_for_a_person_and_earns_no_points_here(qid):
    q = checks.get(qid)
    feedback = dlweek8.check(qid, rubrics.MODEL_ANSWERS[qid])
    assert feedback.status == CORRECT and feedback.points == 0.0, str(feedback)
    assert feedback.title == written.SAVED_TITLE and "Correct" not in str(feedback)
    assert "A person will grade the content" in feedback.message and f"up to {q.max_points} points" in feedback.message
    assert [text for _, text in feedback.example] == [c.looks_at for c in q.criteria]


@pytest.mark.parametrize("qid", IDS)
def test_the_student_sees_what_the_rubric_looks_at_never_what_earns_the_point(qid):
    q = checks.get(qid)
    shown = str(dlweek8.check(qid, rubrics.MODEL_ANSWERS[qid])) + q.prompt + "".join(q.hints)
    for item in rubrics.rubric(qid):
        assert item.earns not in shown
    assert [(c.key, c.points) for c in q.criteria] == [(i.key, i.points) for i in rubrics.rubric(qid)]
    assert q.max_points == sum(i.points for i in rubrics.rubric(qid)) == 3


def _option(qid: str) -> str:
    practice = checks.get(checks.get(qid).practice)
    return practice.reasons[solutions.solution(practice).answer[-1]]


WRONG_FORMS = [
    ("lstm.cell_state_dependence_why", "No.", "too-short"),
    ("lstm.cell_state_dependence_why", "No, it is not.", "too-short"),
    ("lstm.cell_state_dependence_why", checks.get("lstm.cell_state_dependence_why").prompt, "copies-prompt"),
    ("lstm.cell_state_dependence_why", checks.get("lstm.cell_state_dependence").prompt, "copies-prompt"),
    ("lstm.cell_state_dependence_why", _option("lstm.cell_state_dependence_why"), "copies-option"),
    ("lstm.cell_state_dependence_why", "No: " + _option("lstm.cell_state_dependence_why").upper(), "copies-option"),
    ("lstm.cell_state_dependence_why", checks.get("lstm.cell_state_dependence").reasons["D"], "copies-option"),
    ("lstm.argmax_vs_input_why", "B: " + _option("lstm.argmax_vs_input_why"), "copies-option"),
    ("lstm.argmax_vs_input_why", "No. Yes. Because. Sigma is increasing.", "too-many-sentences"),
    ("lstm.no_hand_jacobian_why", checks.get("lstm.no_hand_jacobian_why").prompt, "copies-prompt"),
    ("lstm.no_hand_jacobian_why", "Too long. Too many terms. Too many paths. Autograd does it.", "too-many-sentences"),
]


@pytest.mark.parametrize(("qid", "answer", "mistake"), WRONG_FORMS, ids=[f"{m}-{n}" for n, (_, _, m) in enumerate(WRONG_FORMS)])
def test_a_refused_form_is_named_and_earns_nothing(qid, answer, mistake):
    feedback = dlweek8.check(qid, answer)
    assert feedback.status == INCORRECT and feedback.mistake == mistake and feedback.points == 0.0, str(feedback)
    assert rubrics.MODEL_ANSWERS[qid] not in str(feedback)


def test_an_own_answer_that_shares_some_words_with_an_option_is_not_a_copy():
    answer = ("No: step t gets c_{t−1} and h_{t−1} as separate inputs, and several cell states map to one output "
              "through tanh, so h_{t−1} cannot give back c_{t−1}.")
    assert dlweek8.check("lstm.cell_state_dependence_why", answer).status == CORRECT


class Lying(str):
    def __len__(self):
        raise RuntimeError("no length")

    def split(self, *args):
        raise RuntimeError("no split")


@pytest.mark.parametrize(("answer", "status"), [
    (None, INVALID), (float("nan"), INVALID), (3, INVALID), (b"No, because.", INVALID), (["No.", "Yes."], INVALID),
    ((False, "B"), INVALID), (..., UNANSWERED), ("", UNANSWERED), ("   \n ", UNANSWERED), ('"""..."""'[3:-3], UNANSWERED),
    ("...  your answer here", UNANSWERED), (Lying("No, it is not a function of it."), None),
], ids=lambda value: type(value).__name__ if not isinstance(value, str) or type(value) is not str else repr(value)[:20])
def test_odd_answers_get_one_clear_line(answer, status):
    feedback = dlweek8.check("lstm.cell_state_dependence_why", answer)
    assert "\n" not in feedback.message and "Traceback" not in feedback.message
    if status is not None:
        assert feedback.status == status, str(feedback)
    assert feedback.points == 0.0


def test_the_counter_example_numbers_of_the_model_answer_are_true():
    o1, c1, o2, c2 = 0.5, 1.0, 0.8, 0.52
    assert math.isclose(o1 * math.tanh(c1), o2 * math.tanh(c2), abs_tol=0.005)
    assert round(o1 * math.tanh(c1), 2) == 0.38 and round(math.atanh(o1 * math.tanh(c1) / o2), 2) == c2


# -- the rubric does not ship -------------------------------------------------------------------------


def _rubric_needles() -> list[str]:
    needles = [item.earns for items in rubrics.RUBRICS.values() for item in items]
    return needles + list(rubrics.MODEL_ANSWERS.values())


def _found(folder: Path) -> list[str]:
    texts = {name: data.decode("utf-8", errors="replace") for name, data in leaks.folder_files(folder).items()}
    for name in [n for n in texts if n.endswith(".ipynb")]:  # a notebook also as its cells' text
        texts[name] += "\n".join(cell.source for cell in nbformat.reads(texts[name], as_version=4).cells)
    flat = {name: " ".join(text.replace("\\n", " ").split()) for name, text in texts.items()}
    return [f"{name}: {needle[:40]}" for needle in _rubric_needles() for name, text in flat.items()
            if " ".join(needle.split()) in text] + [name for name in texts if "rubrics" in name]


def test_the_rubrics_and_model_answers_are_not_in_the_student_build(tmp_path, monkeypatch):
    """Protection: the student build leaves out dlweek8/instructor/ (and the solution regions of the notebooks)."""
    target = tmp_path / "student"
    publish.publish(target, ROOT, scan=False)
    assert _found(target) == []
    # the scan finds every rubric criterion and model answer that does ship, e.g. as data next to the checks
    (target / "dlweek8" / "checks" / "extra.json").write_text(json.dumps(_rubric_needles(), ensure_ascii=False), encoding="utf-8")
    assert len(_found(target)) == len(_rubric_needles())
    # with the protection switched off (the instructor folder not left out) the rubrics ship and are found
    monkeypatch.setattr(publish, "INSTRUCTOR_PART", "no-such-folder")
    unprotected = tmp_path / "unprotected"
    publish.publish(unprotected, ROOT, scan=False)
    assert "dlweek8/instructor/references/rubrics.py" in _found(unprotected)
