"""The messages between the grader and its sandbox, and their one encoding.

The grader asks the sandbox's template (on its control socket) to :class:`Start` one submission process, with
its resource limits, then (:mod:`dlweek8.instructor.grading.runner`) sends that process one :class:`Job`: its cells in order, each a
:class:`StudentCell`, the :class:`SetupCell` or a :class:`QuestionCell` (which carries the probes a
function answer is called on). The sandboxed runner (:mod:`dlweek8.confined`) answers with events:
:class:`CellStarted`, :class:`CellRaised`, :class:`Reply` (what :mod:`dlweek8.kernel_side` read for one
question), :class:`SetupFailed`, :class:`Done`; its supervisor ends the stream with :class:`Exited`.

On the wire a message is one JSON object on one line (:func:`encode`): its fields, its ``"type"`` and the
protocol ``"version"``. The plain data inside (a reply's answer, a question's probes) is encoded once, with
the message (:func:`dlweek8.plain.encode`). A side that gets a message of another version refuses it
(:class:`OtherVersion`); the sandbox then answers :class:`Refused`, the one message that every version reads.

What the sandbox sends may come from a hostile submission, so :func:`decode` checks the length, the
nesting, the type and version, and every field's type, and refuses anything else with one line
(:class:`Unreadable`). This module ships with the student build: the sandbox has no ``dlweek8/instructor/``.
"""

import dataclasses
import json
import types
from dataclasses import dataclass

from . import plain

#: The protocol spoken here; both sides must speak the same. 2: the template's start request became a message
#: (:class:`Start`); a sandbox of version 1 read it as a dict and would start a submission without its limits.
VERSION = 2
#: The longest Reply line the sandbox sends (an answer is a few numbers or a small array): a longer one is replaced by an error.
MAX_REPLY_BYTES = 2_000_000
#: The longest event line the grader reads (a reply, with a margin).
MAX_EVENT_BYTES = MAX_REPLY_BYTES + 4096
#: The longest job the sandbox reads (a submission's code is at most 5 MB of characters, escaped here).
MAX_JOB_BYTES = 64 * 2**20


class Unreadable(ValueError):
    """A line that is no message of this protocol; ``str()`` is the reason, one line."""


class OtherVersion(Unreadable):
    """A message of another protocol version."""


# -- the job ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentCell:
    """One code cell of the submission, run in the shell."""

    position: int  # in the grader's list of cells
    number: int  # in the notebook
    source: str

    @property
    def label(self) -> str:
        return f"cell {self.number}"


@dataclass(frozen=True)
class SetupCell:
    """Replaces the package modules the student's cells may have patched, before any answer is read."""

    position: int
    label = "setup"


@dataclass(frozen=True)
class QuestionCell:
    """Reads one answer: the value of ``expression``, or for a function question its outcomes on ``probes``
    (argument lists, plain data; None: the question's public probes)."""

    position: int
    question_id: str
    expression: str
    is_function: bool
    probes: list | None = None

    @property
    def label(self) -> str:
        return self.question_id


@dataclass(frozen=True)
class Job:
    """One submission process's work: its cells, in order."""

    cells: tuple
    version: int = VERSION


@dataclass(frozen=True)
class Start:
    """Start one submission process: a private /tmp of ``tmp_mb`` MB, and resource limits (0: none) on its address
    space, CPU seconds, processes, file size and open files."""

    tmp_mb: int = 256
    memory_bytes: int = 0
    cpu_seconds: int = 0
    processes: int = 0
    file_bytes: int = 0
    open_files: int = 0


# -- the events ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellStarted:
    position: int


@dataclass(frozen=True)
class CellRaised:
    """A student cell raised; ``text`` is ``ValueError: first line``."""

    position: int
    text: str


@dataclass(frozen=True)
class Reply:
    """What the notebook holds for one question (see :mod:`dlweek8.kernel_side`): a one-key JSON object."""

    question_id: str
    reply: dict


@dataclass(frozen=True)
class SetupFailed:
    text: str


@dataclass(frozen=True)
class Done:
    """Every cell ran."""


@dataclass(frozen=True)
class Exited:
    """The submission process ended (the supervisor's last word); ``out_of_memory``: its memory cgroup ran out."""

    status: int
    out_of_memory: bool = False


@dataclass(frozen=True)
class Refused:
    """The sandbox refused the job (another version, or no job at all); read by every version."""

    reason: str


#: Each message's ``"type"`` on the wire.
TYPES = {"start": Start, "job": Job, "cell": CellStarted, "raised": CellRaised, "reply": Reply, "setup_failed": SetupFailed, "done": Done,
         "exit": Exited, "refused": Refused}
#: Each cell's ``"kind"`` on the wire.
KINDS = {"student": StudentCell, "setup": SetupCell, "question": QuestionCell}
_TYPE_OF = {cls: name for name, cls in TYPES.items()}
_KIND_OF = {cls: name for name, cls in KINDS.items()}


def encode(message) -> bytes:
    """``message`` as one JSON line (its fields, ``"type"`` and ``"version"``), ending with a newline."""
    data = {"type": _TYPE_OF[type(message)], "version": message.version if isinstance(message, Job) else VERSION}
    data.update(_fields(message))
    if isinstance(message, Job):
        data["cells"] = [{"kind": _KIND_OF[type(cell)], **_fields(cell)} for cell in message.cells]
    return (json.dumps(data) + "\n").encode()


def _fields(message) -> dict:
    data = {f.name: getattr(message, f.name) for f in dataclasses.fields(message) if f.name != "version"}
    if data.get("probes") is not None:
        data["probes"] = plain.encode(data["probes"])
    return data


def decode(line: bytes | str, limit: int = MAX_EVENT_BYTES):
    """The message on ``line`` (at most ``limit`` bytes); raises :class:`Unreadable` with the reason for anything else."""
    if len(line) > limit:
        raise Unreadable(f"a line of {len(line):,} bytes, longer than the {limit:,} a message may have")
    try:
        text = line.decode("utf-8") if isinstance(line, bytes) else line
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise Unreadable("nested too deeply") from None
    except ValueError:
        raise Unreadable("not JSON") from None
    if not isinstance(data, dict):
        raise Unreadable(f"not a JSON object but {_kind(type(data))}")
    name = data.pop("type", None)
    if not isinstance(name, str) or name not in TYPES:
        raise Unreadable("no message type" if name is None else f"unknown message type {_shown(name)}")
    version = data.pop("version", None)
    if type(version) is not int:
        raise Unreadable(f"the {name!r} message has no protocol version")
    cls = TYPES[name]
    if version != VERSION and cls is not Refused:
        sender, receiver = ("the grader", "the sandbox") if cls in (Start, Job) else ("the sandbox", "the grader")
        raise OtherVersion(f"{receiver} speaks protocol {VERSION}, {sender} sent protocol {version}: "
                           "grade with the same dlweek8 version inside the sandbox as outside")
    if cls is Job:
        cells = data.get("cells")
        if not isinstance(cells, list):
            raise Unreadable(f"field 'cells' of the 'job' message is {_kind(type(cells))}, not a list")
        data["cells"] = tuple(_cell(cell) for cell in cells)
    return _build(cls, f"the {name!r} message", data)


def _cell(data):
    if not isinstance(data, dict):
        raise Unreadable(f"a cell of the job is {_kind(type(data))}, not an object")
    kind = data.pop("kind", None)
    if not isinstance(kind, str) or kind not in KINDS:
        raise Unreadable(f"a cell of unknown kind {_shown(kind)}")
    return _build(KINDS[kind], f"a {kind!r} cell of the job", data)


def _build(cls, what: str, data: dict):
    """``cls`` from ``data``, every field of the JSON type its annotation names; Unreadable naming the first that is not."""
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "version"}
    for key in data:
        if key not in fields:
            raise Unreadable(f"{what} has an unknown field {_shown(key)}")
    for key, f in fields.items():
        if key not in data:
            if f.default is dataclasses.MISSING:
                raise Unreadable(f"{what} has no field {key!r}")
            continue
        allowed = f.type.__args__ if isinstance(f.type, types.UnionType) else (f.type,)
        if type(data[key]) not in allowed:  # exact: a bool is no int
            raise Unreadable(f"field {key!r} of {what} is {_kind(type(data[key]))}, not {' or '.join(map(_kind, allowed))}")
    if data.get("probes") is not None:
        try:
            data["probes"] = plain.decode(data["probes"])
        except ValueError as exc:
            raise Unreadable(f"field 'probes' of {what}: {exc}") from None
    return cls(**data)


def _kind(json_type: type) -> str:
    """A JSON type as a reason names it: ``a string``, ``an int``..."""
    names = {bool: "a bool", int: "an int", float: "a number", str: "a string", list: "a list", tuple: "a list", dict: "an object",
             type(None): "null"}
    return names.get(json_type, "something else")


def _shown(value) -> str:
    """A value from the other side, quoted and cut short for a reason."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
