"""The only grading code that reads a submission's answers: it runs in the submission's sandboxed process.

After the submission's own cells have run (:mod:`dlweek8.confined`), the package modules the
notebook may have patched are replaced by fresh imports, and each answer is read here into one
:class:`dlweek8.protocol.Reply` event, which goes back to the grader on a private pipe.

The reply is a one-key object of plain data only (never pickle): ``{"value": plain.encode(answer)}``,
or for a function question ``{"outcomes": [Outcome.to_json(), ...]}`` from calling the answer on
the probes the job carries (public and hidden, plain data), or
``{"package_function": name}`` when the answer is one of dlweek8's own functions; ``{"missing": ...}``
or ``{"error": ...}`` when there is nothing to read. The verdict is computed outside the sandbox
(:mod:`dlweek8.instructor.grading.judge`), so whatever the notebook patched in here can change
its own data, never the judging.
"""

from __future__ import annotations

from . import protocol


def reply(question_id: str, expression: str, is_function: bool, namespace: dict, probes: list | None = None) -> dict:
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
        cases = question.Cases(tuple(tuple(p) for p in probes)) if probes is not None else asked.public_cases()
        # The time limit of a notebook check, scaled to the grader's extra (hidden) probes.
        seconds = untrusted.TIME_LIMIT * max(1.0, len(cases.probes) / max(public, 1))
        outcomes = untrusted.call_each(answer, cases.probes, seconds=seconds, watch=asked.own_work)
        return {"outcomes": [outcome.to_json() for outcome in outcomes]}
    read = untrusted.call(lambda: answer, ())  # an object may sleep or raise when converted
    if read.error is not None:
        return {"error": f"reading `{expression}`: {read.error}"}
    return {"value": plain.encode(read.value)}


def reply_line(question_id: str, expression: str, is_function: bool, namespace: dict, probes: list | None = None) -> bytes:
    """:func:`reply` as an encoded :class:`~dlweek8.protocol.Reply` of at most
    :data:`~dlweek8.protocol.MAX_REPLY_BYTES`; never raises."""
    try:
        line = protocol.encode(protocol.Reply(question_id, reply(question_id, expression, is_function, namespace, probes)))
    except BaseException as exc:  # noqa: BLE001 - the grader must get a reply whatever happens
        line = protocol.encode(protocol.Reply(question_id, {"error": f"{type(exc).__name__} while reading the answer"}))
    if len(line) > protocol.MAX_REPLY_BYTES:
        line = protocol.encode(protocol.Reply(question_id, {"error": f"the answer is too large to read ({len(line) // 1000:,} kB as JSON)"}))
    return line
