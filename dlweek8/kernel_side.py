"""The only grading code that reads a submission's answers: it runs in the submission's sandboxed process.

After the submission's own cells have run (:mod:`dlweek8.confined`), the package modules the
notebook may have patched are replaced by fresh imports, and each answer is read here as JSON
text, which goes back to the grader on a private pipe.

The reply is plain data only (never pickle): ``{"value": plain.dumps(answer)}``, or for
a function question ``{"outcomes": [Outcome.to_json(), ...]}`` from calling the answer on
the probes the grader sends (public and hidden, as plain JSON), or
``{"package_function": name}`` when the answer is one of dlweek8's own functions; ``{"missing": ...}``
or ``{"error": ...}`` when there is nothing to read. The verdict is computed outside the sandbox
(:mod:`dlweek8.instructor.grading.judge`), so whatever the notebook patched in here can change
its own data, never the judging.
"""

from __future__ import annotations

import json

#: Replies longer than this are refused (an answer is a few numbers or a small array).
MAX_REPLY_CHARS = 2_000_000


def reply(question_id: str, expression: str, is_function: bool, namespace: dict, probes: str | None = None) -> dict:
    """What the notebook holds for one question, as JSON-ready plain data."""
    from . import checks, plain, question, untrusted

    try:
        answer = eval(expression, namespace)  # noqa: S307 - the submission's own expression, in its own sandbox
    except NameError as exc:
        return {"missing": f"`{expression}` is not defined when the notebook runs from top to bottom ({untrusted.one_line(exc)})"}
    except BaseException as exc:  # noqa: BLE001 - anything the expression raises
        return {"missing": f"reading `{expression}` raised {untrusted.one_line(exc)}"}
    if is_function and callable(answer):
        asked = checks.get(question_id)
        own = question.package_function(answer)
        if own:
            return {"package_function": own}
        public = len(asked.public_cases().probes)
        cases = question.Cases.from_json(probes) if probes else asked.public_cases()
        # The time limit of a notebook check, scaled to the grader's extra (hidden) probes.
        seconds = untrusted.TIME_LIMIT * max(1.0, len(cases.probes) / max(public, 1))
        outcomes = untrusted.call_each(answer, cases.probes, seconds=seconds, watch=asked.own_work)
        return {"outcomes": [outcome.to_json() for outcome in outcomes]}
    read = untrusted.call(lambda: answer, ())  # an object may sleep or raise when converted
    if read.error is not None:
        return {"error": f"reading `{expression}`: {read.error}"}
    return {"value": plain.dumps(read.value)}


def reply_text(question_id: str, expression: str, is_function: bool, namespace: dict, probes: str | None = None) -> str:
    """:func:`reply` as JSON text of at most :data:`MAX_REPLY_CHARS`; never raises."""
    try:
        text = json.dumps(reply(question_id, expression, is_function, namespace, probes))
    except BaseException as exc:  # noqa: BLE001 - the grader must get a reply whatever happens
        text = json.dumps({"error": f"{type(exc).__name__} while reading the answer"})
    if len(text) > MAX_REPLY_CHARS:
        text = json.dumps({"error": f"the answer is too large to read ({len(text) // 1000:,} kB as JSON)"})
    return text
