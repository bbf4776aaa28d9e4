"""The only grading code that runs inside a submission's kernel: read one answer, print it as JSON.

After the submission's own cells have run, the grader sends a *setup* cell (which drops
every ``dlweek8`` module the notebook may have patched and imports them afresh) and then
one cell per question. Each prints ``MARKER <json> MARKER`` on stdout, where the marker
is random per run, so text printed by the student's cells cannot pass for a reply.

The reply is plain data only (never pickle): ``{"value": plain.dumps(answer)}``, or for
a function question ``{"outcomes": [Outcome.to_json(), ...]}`` from calling the answer on
the probes the grader sends (public and hidden, as plain JSON in the cell), or
``{"package_function": name}`` when the answer is one of dlweek8's own functions; ``{"missing": ...}`` or ``{"error": ...}`` when there is nothing to
read. The verdict is computed outside the kernel (:mod:`dlweek8.instructor.grading.judge`), so
whatever the notebook patched in here can change the data, never the judging.
"""

from __future__ import annotations

import json
import sys

_MODULE = __name__

#: Replies longer than this are refused (an answer is a few numbers or a small array).
MAX_REPLY_CHARS = 2_000_000


def setup_source() -> str:
    """Cell source: forget the notebook's dlweek8 modules (patched or not) and import clean ones."""
    return (
        "import sys as _dlweek8_sys\n"
        "for _dlweek8_name in [m for m in list(_dlweek8_sys.modules) if m == 'dlweek8' or m.startswith('dlweek8.')]:\n"
        "    del _dlweek8_sys.modules[_dlweek8_name]\n"
        f"import {_MODULE}\n"
        "del _dlweek8_sys, _dlweek8_name\n"
    )


def question_source(marker: str, question_id: str, expression: str, is_function: bool, probes: str | None = None) -> str:
    """Cell source that reports the answer to one question (``probes``: plain JSON, for a function question)."""
    args = ", ".join(json.dumps(a) for a in (marker, question_id, expression))
    return (
        f"_dlweek8_sys = __import__('sys')\n_dlweek8_sys.modules[{_MODULE!r}].report({args}, {is_function}, globals(), "
        f"{json.dumps(probes)})\ndel _dlweek8_sys\n"
    )


def reply(question_id: str, expression: str, is_function: bool, namespace: dict, probes: str | None = None) -> dict:
    """What the notebook holds for one question, as JSON-ready plain data."""
    from . import checks, plain, question, untrusted

    try:
        answer = eval(expression, namespace)  # noqa: S307 - the submission's own expression, in its own kernel
    except NameError as exc:
        return {"missing": f"`{expression}` is not defined when the notebook runs from top to bottom ({untrusted.one_line(exc)})"}
    except BaseException as exc:  # noqa: BLE001 - anything the expression raises
        return {"missing": f"reading `{expression}` raised {untrusted.one_line(exc)}"}
    if is_function and callable(answer):
        asked = checks.get(question_id)
        own = question.package_function(answer)
        if own:
            return {"package_function": own}
        cases = question.Cases.from_json(probes) if probes else asked.public_cases()
        outcomes = untrusted.call_each(answer, cases.probes, watch=asked.own_work)
        return {"outcomes": [outcome.to_json() for outcome in outcomes]}
    return {"value": plain.dumps(answer)}


def report(marker: str, question_id: str, expression: str, is_function: bool, namespace: dict, probes: str | None = None) -> None:
    """Print the reply for one question between markers on the kernel's stdout."""
    try:
        text = json.dumps(reply(question_id, expression, is_function, namespace, probes))
    except BaseException as exc:  # noqa: BLE001 - the grader must get a line whatever happens
        text = json.dumps({"error": f"{type(exc).__name__} while reading the answer"})
    if len(text) > MAX_REPLY_CHARS:
        text = json.dumps({"error": f"the answer is too large to read ({len(text) // 1000:,} kB as JSON)"})
    sys.stdout.write(f"{marker}{text}{marker}\n")
    sys.stdout.flush()
