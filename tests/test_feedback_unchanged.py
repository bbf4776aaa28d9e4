"""Every feedback text of the conv checks, for a catalogue of answers, is what it was (issue 21 item 1).

Moving the value-question kind into ``dlweek8/kinds.py`` must not change what a student reads. The
snapshot ``tests/snapshots/conv_feedback.json`` holds, per conv value question and for three of its
variants, the feedback (status, named mistakes, message, example rows, hints) on: the right answer,
every catalogued and unnamed wrong answer, every candidate the check derives from its numbers, each
right value off by one, and a few malformed answers. Refresh it only for an intended change:
``DLWEEK8_WRITE_SNAPSHOT=1 python -m pytest tests/test_feedback_unchanged.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import dlweek8
from dlweek8 import plain, question
from dlweek8.instructor import solutions

SNAPSHOT = Path(__file__).parent / "snapshots" / "conv_feedback.json"
VALUES = [q for q in dlweek8.questions() if q.id.startswith("conv.") and isinstance(q, question.ValueQuestion)]
MALFORMED = [None, "26, 28", [], (1,), (1, 2, 3, 4, 5), -1, 0, 10**30, float("nan"), 2.5, [[1, 2]], {"a": 1}, True]


def _off_by_one(answer):
    if isinstance(answer, int):
        return [answer + 1, answer - 1]
    if isinstance(answer, tuple):
        return [tuple(v + (i == j) for j, v in enumerate(answer)) for i in range(len(answer))]
    return [sorted(answer)[1:], sorted(answer) + [max(answer) + 1], [min(answer) - 1, *sorted(answer)]]


def answers(q, right) -> list:
    """The catalogue of answers for one question (or variant) whose right answer is ``right``."""
    found = [right, *_off_by_one(right), *MALFORMED]
    found += [plain.to_plain(sorted(v) if isinstance(v, frozenset) else v) for _, v in q.candidates() if v is not None]
    if dlweek8.checks.get(q.id) is q:
        solution = solutions.solution(q)
        found += [*solution.wrong.values(), *solution.unnamed]
    return found


def _shown(feedback) -> str:
    """The feedback's status, named mistakes, message, example rows and hints, as a short digest (the
    snapshot keeps digests: the texts themselves would make it megabytes)."""
    text = json.dumps([feedback.status, list(feedback.mistakes), feedback.message, [list(row) for row in feedback.example],
                       list(feedback.hints)], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record(texts=None) -> dict:
    """{question id or id#variant seed: {"prompt": ..., "feedback": {repr(answer): digest}}}; ``texts`` collects the feedback texts."""
    texts = {} if texts is None else texts
    found = {}
    for q in VALUES:
        for seed in (None, 0, 1, 2):
            asked = q if seed is None else q.variant(seed)
            right = solutions.answer(q.id) if seed is None else plain.to_plain(asked.from_fields(solutions.right_fields(asked)))
            if isinstance(right, range):
                right = list(right)
            shown = {}
            for answer in answers(asked, right):
                feedback = question.evaluate(asked, answer)
                shown[repr(answer)] = _shown(feedback)
                texts[repr(answer)] = str(feedback)
            found[f"{q.id}" if seed is None else f"{q.id}#{seed}"] = {"prompt": asked.prompt, "feedback": shown}
    return found


@pytest.mark.skipif(not os.environ.get("DLWEEK8_WRITE_SNAPSHOT"), reason="writes the snapshot only when asked")
def test_write_the_snapshot():
    SNAPSHOT.parent.mkdir(exist_ok=True)
    SNAPSHOT.write_text(json.dumps(record(), ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def test_every_feedback_text_is_unchanged():
    stored, texts = json.loads(SNAPSHOT.read_text(encoding="utf-8")), {}
    fresh = record(texts)
    assert stored.keys() == fresh.keys()
    changed = [f"{key}: {answer} -> {texts.get(answer)}" for key in stored for answer in stored[key]["feedback"].keys() | fresh[key]["feedback"].keys()
               if stored[key]["feedback"].get(answer) != fresh[key]["feedback"].get(answer)]
    assert not changed, f"{len(changed)} feedback texts changed, e.g.\n" + "\n".join(changed[:5])
    assert all(stored[key]["prompt"] == fresh[key]["prompt"] for key in stored)
    assert sum(len(v["feedback"]) for v in stored.values()) >= 500
