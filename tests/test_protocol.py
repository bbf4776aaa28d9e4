"""The grader <-> sandbox protocol (dlweek8.protocol): every message survives its one encoding, every
malformed line is refused with its own one-line reason, and a version mismatch is refused in both
directions by the real functions (the sandbox's ``confined.execute``, the grader's event reading), and
reported as the submission's note. Pure unit tests: no sandbox, no kernel.
"""

from __future__ import annotations

import json
import math
import os
import re
import time

import numpy as np
import pytest

from dlweek8 import confined, kernel_side, plain, protocol, untrusted
from dlweek8.instructor.grading import runner, sandbox

PROBES = [(3, np.arange(6.0).reshape(2, 3)), (2.5, (1, 2), {"k": np.int64(4)})]
JOB = protocol.Job((protocol.StudentCell(0, 7, "x = 1\nraise ValueError('é')"), protocol.SetupCell(1),
                    protocol.QuestionCell(2, "conv.output_size_fn", "f", True, PROBES),
                    protocol.QuestionCell(3, "conv.size_78x84", "answer", False)))
EVENTS = [
    protocol.CellStarted(3),
    protocol.CellRaised(0, "ValueError: é"),
    protocol.Reply("conv.size_78x84", {"value": plain.encode(np.array([[1.0, float("nan")]]))}),
    protocol.Reply("conv.output_size_fn", {"outcomes": [untrusted.Outcome(value=(26, 28)).to_json()]}),
    protocol.Reply("q", {"missing": "`x` is not defined"}),
    protocol.SetupFailed("the grader's setup failed in the sandbox (ImportError)"),
    protocol.Done(),
    protocol.Exited(-9, out_of_memory=True),
    protocol.Exited(0),
    protocol.Refused("the sandbox refused the job: not JSON"),
]


def test_every_event_survives_its_encoding_as_one_tagged_line():
    for event in EVENTS:
        line = protocol.encode(event)
        assert line.endswith(b"\n") and line.count(b"\n") == 1, line
        data = json.loads(line)
        assert data["version"] == protocol.VERSION and protocol.TYPES[data["type"]] is type(event)
        back = protocol.decode(line)
        assert type(back) is type(event)
        if isinstance(event, protocol.Reply) and "value" in event.reply:
            np.testing.assert_array_equal(plain.decode(back.reply["value"]), np.array([[1.0, float("nan")]]))
        else:
            assert back == event


def test_the_job_carries_each_kind_of_cell_and_the_probes_as_plain_data():
    line = protocol.encode(JOB)
    assert json.loads(line)["version"] == protocol.VERSION
    back = protocol.decode(line, limit=protocol.MAX_JOB_BYTES)
    assert back.cells[:2] == JOB.cells[:2] and back.cells[3] == JOB.cells[3] and back.version == protocol.VERSION
    question = back.cells[2]
    assert (question.question_id, question.expression, question.is_function) == ("conv.output_size_fn", "f", True)
    assert [c.label for c in back.cells] == ["cell 7", "setup", "conv.output_size_fn", "conv.size_78x84"]
    (n, array), (x, pair, named) = question.probes
    np.testing.assert_array_equal(array, PROBES[0][1])
    assert (n, x, pair, named) == (3, 2.5, [1, 2], {"k": 4}) and array.dtype == np.float64


def test_an_answer_is_encoded_once_inside_its_reply():
    """The reply is a JSON object in the event, its value plain data in it: no JSON text inside JSON."""
    line = kernel_side.reply_line("conv.size_78x84", "answer", False, {"answer": {"a": (26, 28), "s": 'say "hi"'}})
    assert b'"reply": {"value": {"__dict__": {"a": [26, 28], "s": "say \\"hi\\""}}}' in line, line
    assert plain.decode(protocol.decode(line).reply["value"]) == {"a": [26, 28], "s": 'say "hi"'}


def test_plain_text_and_data_are_one_encoding():
    value = [np.array([1.5, np.inf]), {"k": (1, None)}, plain.Unsupported("function")]
    assert plain.dumps(value) == json.dumps(plain.encode(value))
    back = plain.loads(plain.dumps(value))
    np.testing.assert_array_equal(back[0], value[0])
    assert back[1:] == plain.decode(plain.encode(value))[1:] == [{"k": [1, None]}, plain.Unsupported("function")]
    for malformed in ({"__ndarray__": [1.0], "dtype": "<f8", "shape": [3]}, {"__dict__": 5}, {"__ndarray__": [], "shape": []}):
        with pytest.raises(ValueError, match="malformed plain data"):
            plain.decode(malformed)


def _event(type_: str, version=protocol.VERSION, **fields) -> bytes:
    return json.dumps({"type": type_, "version": version, **fields}).encode()


#: Malformed lines, each with the reason it is refused for.
MALFORMED = [
    (b"{'type': 'done'}", r"^not JSON$"),
    (b"\xff\xfe{}", r"^not UTF-8 text$"),
    (b"[1, 2]", r"^not a JSON object but a list$"),
    (b'"done"', r"^not a JSON object but a string$"),
    (b'{"version": 1}', r"^no message type$"),
    (_event("shutdown"), r"^unknown message type 'shutdown'$"),
    (_event("x" * 500), r"^unknown message type 'xxxxxxxx.*\.\.\.$"),
    (_event("done", version=None), r"^the 'done' message has no protocol version$"),
    (_event("done", version="1"), r"^the 'done' message has no protocol version$"),
    (_event("done", version=protocol.VERSION + 1),
     rf"^the grader speaks protocol {protocol.VERSION}, the sandbox sent protocol {protocol.VERSION + 1}: "),
    (_event("cell", position="3"), r"^field 'position' of the 'cell' message is a string, not an int$"),
    (_event("cell", position=True), r"^field 'position' of the 'cell' message is a bool, not an int$"),
    (_event("cell", position=1.0), r"^field 'position' of the 'cell' message is a number, not an int$"),
    (_event("exit", status=0, out_of_memory=1), r"^field 'out_of_memory' of the 'exit' message is an int, not a bool$"),
    (_event("reply", question_id="q", reply='{"value": [26, 28]}'), r"^field 'reply' of the 'reply' message is a string, not an object$"),
    (_event("reply", question_id=["q"], reply={}), r"^field 'question_id' of the 'reply' message is a list, not a string$"),
    (_event("raised", position=1), r"^the 'raised' message has no field 'text'$"),
    (_event("done", done=True), r"^the 'done' message has an unknown field 'done'$"),
    (b'{"reply": "x", "text": "{\\"value\\": 1}"}', r"^no message type$"),  # the old, implicit format
    (_event("job", cells={}), r"^field 'cells' of the 'job' message is an object, not a list$"),
    (_event("job", cells=[["student", 0, "x"]]), r"^a cell of the job is a list, not an object$"),
    (_event("job", cells=[{"kind": "shell", "position": 0}]), r"^a cell of unknown kind 'shell'$"),
    (_event("job", cells=[{"kind": "question", "position": 0, "question_id": "q", "expression": "f", "is_function": True,
                           "probes": [{"__dict__": 5}]}]), r"^field 'probes' of a 'question' cell of the job: malformed plain data"),
    (_event("job", cells=[{"kind": "question", "position": 0, "question_id": "q", "expression": "f", "is_function": True,
                           "probes": "[[1]]"}]), r"^field 'probes' of a 'question' cell of the job is a string, not a list or null$"),
    (_event("job", version=0, cells=[]), rf"^the sandbox speaks protocol {protocol.VERSION}, the grader sent protocol 0: "),
    (b"[" * 100_000 + b"]" * 100_000, r"^nested too deeply$"),
    (b'{"type": "reply", "version": %d, "question_id": "q", "reply": {"value": ' % protocol.VERSION + b"[" * 50_000 + b"]" * 50_000 + b"}}", r"^nested too deeply$"),
    (_event("setup_failed", text="x" * protocol.MAX_EVENT_BYTES), r"^a line of 2,004,\d{3} bytes, longer than the 2,004,096 a message may have$"),
]


@pytest.mark.parametrize("line, reason", MALFORMED, ids=[f"{n}:{r[:40]}" for n, (_, r) in enumerate(MALFORMED)])
def test_a_malformed_line_is_refused_with_its_own_one_line_reason(line, reason):
    with pytest.raises(protocol.Unreadable) as refused:
        protocol.decode(line)
    text = str(refused.value)
    assert re.search(reason, text), text
    assert "\n" not in text and len(text) < 200, text
    assert isinstance(refused.value, protocol.OtherVersion) == ("speaks protocol" in text)


def test_a_refusal_is_read_at_any_version():
    """What a sandbox of another version says when it refuses the job must reach this grader."""
    assert protocol.decode(_event("refused", version=7, reason="speaks protocol 7")) == protocol.Refused("speaks protocol 7")


# -- a version mismatch, through the real functions --------------------------------------------


def _with_version(line: bytes, version: int) -> bytes:
    data = json.loads(line)
    data["version"] = version
    return (json.dumps(data) + "\n").encode()


def test_the_sandbox_refuses_a_job_of_another_version_and_runs_nothing():
    sent = []
    confined.execute(_with_version(protocol.encode(JOB), protocol.VERSION + 1), sent.append)
    assert [protocol.decode(line) for line in sent] == [protocol.Refused(
        f"the sandbox refused the job: the sandbox speaks protocol {protocol.VERSION}, the grader sent protocol {protocol.VERSION + 1}: "
        "grade with the same dlweek8 version inside the sandbox as outside")]


@pytest.mark.parametrize("job, reason", [(b"", "not JSON"), (protocol.encode(protocol.Done()), "a Done message instead of a job"),
                                         (b"[" * 100_000, "nested too deeply")])
def test_the_sandbox_refuses_what_is_no_job(job, reason):
    sent = []
    confined.execute(job, sent.append)
    assert [protocol.decode(line) for line in sent] == [protocol.Refused(f"the sandbox refused the job: {reason}")]


def _pipe_with(data: bytes) -> int:
    read, write = os.pipe()
    os.write(write, data)
    os.close(write)
    return read


def test_the_grader_drops_malformed_events_and_refuses_one_of_another_version():
    fd = _pipe_with(b"".join(line + b"\n" for line, reason in MALFORMED if "speaks" not in reason and len(line) < 2**15)
                    + _event("done", version=protocol.VERSION + 1) + b"\n")
    events = runner._Events(fd)
    with pytest.raises(runner._Refused) as refused:  # every malformed line before it was dropped
        events.next(time.monotonic() + 10)
    assert refused.value.reason.startswith(f"the grader speaks protocol {protocol.VERSION}, the sandbox sent protocol {protocol.VERSION + 1}")
    os.close(fd)
    fd = _pipe_with(b"nonsense\n" + protocol.encode(protocol.Done()))
    assert runner._Events(fd).next(time.monotonic() + 10) == protocol.Done()
    os.close(fd)


class _Sandbox:
    """A template stand-in that answers in this process: the real ``confined.execute`` reading the job as a grader
    of ``job_version`` would send it (another version only: it must refuse before running a cell here), or
    a sandbox sending ``events`` as protocol ``event_version``."""

    def __init__(self, job_version: int = protocol.VERSION, events=None, event_version: int = protocol.VERSION):
        self.job_version, self.events, self.event_version, self.jobs = job_version, events, event_version, []

    def spawn(self, job: bytes, start: protocol.Start) -> sandbox.Channel:
        assert isinstance(start, protocol.Start)
        self.jobs.append(protocol.decode(job, limit=protocol.MAX_JOB_BYTES))
        lines = []
        if self.events is None:
            assert self.job_version != protocol.VERSION
            confined.execute(_with_version(job, self.job_version), lines.append)
        else:
            lines = [_with_version(protocol.encode(event), self.event_version) for event in self.events]
        lifeline_read, lifeline = os.pipe()
        os.close(lifeline_read)
        return sandbox.Channel(_pipe_with(b"".join(lines) + protocol.encode(protocol.Exited(0))), lifeline)


JOB_OF_TWO = runner.Job("s.ipynb", [(4, "x = 1")], [("conv.size_78x84", "x", None), ("conv.output_size_fn", "f", PROBES)])


@pytest.mark.parametrize("template, note", [
    (_Sandbox(job_version=protocol.VERSION + 1), f"stopped: the sandbox refused the job: the sandbox speaks protocol {protocol.VERSION}, "
                                                 f"the grader sent protocol {protocol.VERSION + 1}"),
    (_Sandbox(events=[protocol.CellStarted(0)], event_version=protocol.VERSION + 1),
     f"stopped: the grader speaks protocol {protocol.VERSION}, the sandbox sent protocol {protocol.VERSION + 1}"),
], ids=["grader-newer", "sandbox-newer"])
def test_a_version_mismatch_becomes_the_submissions_note(template, note):
    result = runner.execute(JOB_OF_TWO, template)
    assert len(template.jobs) == 1 and [n for n in result.notes if n.startswith(note)] == result.notes, result.notes
    assert not result.replies and set(result.reasons) == {"conv.size_78x84", "conv.output_size_fn"}


def test_the_job_carries_the_probes_its_caller_gave():
    template = _Sandbox(events=[protocol.Done()])
    runner.execute(JOB_OF_TWO, template)
    cells = template.jobs[0].cells
    assert [type(c) for c in cells] == [protocol.StudentCell, protocol.SetupCell, protocol.QuestionCell, protocol.QuestionCell]
    assert (cells[2].is_function, cells[2].probes, cells[3].is_function) == (False, None, True)
    np.testing.assert_array_equal(cells[3].probes[0][1], PROBES[0][1])
    assert "judge" not in vars(runner)  # the runner knows no answer: the caller computes the probes


def test_the_start_request_is_a_typed_message_with_the_limits_of_the_run():
    limits = runner.Limits(memory_mb=500, processes=7, file_mb=3, tmp_mb=64)
    start = limits.start()
    assert start == protocol.Start(tmp_mb=64, memory_bytes=500 * 2**20, cpu_seconds=math.ceil(2 * limits.notebook_timeout) + 10,
                                   processes=7, file_bytes=3 * 2**20, open_files=limits.open_files)
    assert protocol.decode(protocol.encode(start)) == start
    assert confined.submission_memory_bytes(start) == (500 + 64 + confined.SHM_MB) * 2**20


def _start_request_in_a_child(message: bytes):
    """What the template's forked supervisor makes of ``message``: the Start it read, or the line it wrote before leaving."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read)
        try:
            start = confined._start_request(message, write)
            os.write(write, b"read " + repr(start).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as pipe:
        return pipe.read()


@pytest.mark.parametrize("message, reason", [
    (_with_version(protocol.encode(protocol.Start()), protocol.VERSION + 1),
     f"the sandbox speaks protocol {protocol.VERSION}, the grader sent protocol {protocol.VERSION + 1}: "
     "grade with the same dlweek8 version inside the sandbox as outside"),
    (protocol.encode(protocol.Done()), "a Done message where a start request belongs"),
    (b'{"tmp_mb": 100, "limits": {}}', "no message type"),
    (b'{"type": "start", "version": %d, "processes": "7"}' % protocol.VERSION, "field 'processes' of the 'start' message is a string, not an int"),
])
def test_the_sandbox_refuses_a_start_request_it_cannot_read_and_starts_nothing(message, reason):
    assert _start_request_in_a_child(protocol.encode(protocol.Start(processes=3))) == b"read " + repr(protocol.Start(processes=3)).encode()
    written = _start_request_in_a_child(message)
    assert protocol.decode(written) == protocol.Refused(f"the sandbox refused to start the submission: {reason}")
