"""Registry of questions: the check for ``conv.size_78x84`` lives in ``dlweek8/checks/conv.py``.

Each topic module defines ``QUESTIONS``, a list of question objects whose ids start
with the topic name.  Topics are imported on first use, so a conv check never
imports the LSTM module (or torch).
"""

from __future__ import annotations

import importlib

#: Topic modules in notebook order.
TOPICS = ("lstm", "backprop", "conv", "network", "training")

_loaded: dict[str, dict] = {}


def _topic(name: str) -> dict:
    if name not in _loaded:
        module = importlib.import_module(f"{__name__}.{name}")
        _loaded[name] = {q.id: q for q in module.QUESTIONS}
    return _loaded[name]


def all_questions() -> list:
    """Every question object, in notebook order."""
    return [q for topic in TOPICS for q in _topic(topic).values()]


def question_ids() -> list[str]:
    """Every question id, in notebook order."""
    return [q.id for q in all_questions()]


def get(question_id: str):
    """The question with this id; ``KeyError`` if there is none."""
    topic = question_id.split(".", 1)[0] if isinstance(question_id, str) else None
    if topic not in TOPICS or question_id not in _topic(topic):
        raise KeyError(question_id)
    return _topic(topic)[question_id]
