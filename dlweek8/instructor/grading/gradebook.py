"""The class roster, and the grades in the formats Canvas and Moodle import.

**Roster** (``--roster roster.csv``): a CSV file with a header row, one student a row. Columns
(case and spacing of the header do not matter; a Canvas gradebook export or a Moodle grade
export works as it is, with a ``submission`` column added):

==================  ==========================================  ==============================
column              meaning                                     also accepted as
==================  ==========================================  ==============================
``submission``      the submission, as named in grades.csv       ``file``, ``notebook``
                    (``alice/01_lstm_gradients.ipynb``), or the
                    folder that holds it (``alice``); a file in
                    no folder also by its stem (``frank``)
``student_id``      the institution's id (Canvas SIS User ID,    ``SIS User ID``, ``ID number``,
                    Moodle ID number)                            ``idnumber``
``name``            the student's name, ``Last, First``           ``Student``, ``full name``
``first_name``,     used for Moodle when given (else split        ``First name``, ``Last name``
``last_name``       from ``name``)
``email``           Moodle's usual identifier                     ``Email address``
``login_id``        Canvas SIS Login ID                           ``SIS Login ID``, ``username``
``canvas_id``       Canvas's own user id                          ``ID``
``section``         Canvas section                                ``Section``
==================  ==========================================  ==============================

Only ``submission`` is required, plus one identifier (``student_id``, ``email``, ``login_id`` or
``canvas_id``). Rows whose ``Student`` is ``Points Possible`` (from a Canvas export) are skipped.

**canvas.csv** follows Canvas's gradebook import: ``Student, ID, SIS User ID, SIS Login ID,
Section``, then one column for the assignment (its title; rename it to ``Title (assignment id)``
to update an existing Canvas assignment), and a second row ``Points Possible``.

**moodle.csv** follows Moodle's CSV grade import: ``First name, Last name, ID number, Email
address``, then the grade column; on import map "Email address" to ``useremail`` (or "ID number"
to ``useridnumber``) and the grade column to the grade item.

Students with no submission get an empty grade (an LMS leaves blank cells alone); submissions
with no roster entry are not in these files. A roster entry that names several submissions, or
a submission that another entry names as closely, is ambiguous: its grade is left blank, and an
entry matched unambiguously keeps its grade (:func:`match`). All three are listed in the report
and on the terminal, one line each.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["First name", "Last name", "ID number", "Email address"]

_ALIASES = {
    "submission": ("submission", "file", "notebook"),
    "student_id": ("student_id", "sis_user_id", "id_number", "idnumber", "student_number"),
    "name": ("name", "student", "full_name", "student_name"),
    "first_name": ("first_name", "firstname", "given_name"),
    "last_name": ("last_name", "lastname", "surname", "family_name"),
    "email": ("email", "email_address", "e_mail"),
    "login_id": ("login_id", "sis_login_id", "username", "login"),
    "canvas_id": ("canvas_id", "id"),
    "section": ("section",),
}
_IDENTIFIERS = ("student_id", "email", "login_id", "canvas_id")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RosterError(ValueError):
    """The roster cannot be used (one line says why)."""


@dataclass(frozen=True)
class Student:
    """One roster entry."""

    submission: str
    student_id: str = ""
    name: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    login_id: str = ""
    canvas_id: str = ""
    section: str = ""

    @property
    def label(self) -> str:
        """How the report names the student: name and an identifier."""
        ident = next((getattr(self, k) for k in _IDENTIFIERS if getattr(self, k)), "")
        return " ".join(part for part in (self.name or f"{self.first_name} {self.last_name}".strip(), f"({ident})" if ident else "") if part) or self.submission

    def moodle_names(self) -> tuple[str, str]:
        if self.first_name or self.last_name:
            return self.first_name, self.last_name
        if "," in self.name:
            last, first = self.name.split(",", 1)
            return first.strip(), last.strip()
        first, _, last = self.name.rpartition(" ")
        return (first, last) if first else (last, "")


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def read_roster(path: Path) -> list[Student]:
    """The roster's students; :class:`RosterError` with one line when it cannot be used."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read the roster {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return parse_roster(text, str(path))


def parse_roster(text: str, where: str = "the roster") -> list[Student]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise RosterError(f"{where} is empty")
    keys = [_key(h) for h in header]
    column = {}
    for field_name, names in _ALIASES.items():
        found = next((keys.index(n) for n in names if n in keys), None)
        if found is not None:
            column[field_name] = found
    if "submission" not in column:
        raise RosterError(f"{where} has no 'submission' column (columns: {', '.join(header)})")
    if not any(k in column for k in _IDENTIFIERS):
        raise RosterError(f"{where} has no student identifier column (student_id, email, login_id or canvas_id)")
    students = []
    for line in reader:
        values = {name: (line[i].strip() if i < len(line) else "") for name, i in column.items()}
        if not any(values.values()) or values.get("name", "").lower() == "points possible":
            continue
        students.append(Student(**values))
    return students


def roster_to_json(roster) -> list[dict] | None:
    return None if roster is None else [dict(vars(s)) for s in roster]


def roster_from_json(data) -> list[Student] | None:
    return None if data is None else [Student(**entry) for entry in data]


@dataclass
class Matching:
    """Roster entries paired with submissions, and everything that did not pair."""

    pairs: list[tuple[Student, str | None]] = field(default_factory=list)  # in roster order; None: no submission
    unmatched: list[str] = field(default_factory=list)  # submissions no roster entry names
    ambiguous: list[tuple[Student, list[str]]] = field(default_factory=list)  # an entry that names several, or one another names as closely

    @property
    def missing(self) -> list[Student]:
        """Entries with no submission (an ambiguous entry is listed in :attr:`ambiguous` only)."""
        unclear = {id(s) for s, _ in self.ambiguous}
        return [s for s, name in self.pairs if name is None and id(s) not in unclear]

    def ambiguities(self) -> list[tuple[Student, str]]:
        """Each ambiguous entry and what makes it so."""
        return [(student, f"matches several submissions ({', '.join(names)})" if len(names) > 1
                 else f"names {names[0]}, as does another roster entry") for student, names in self.ambiguous]

    def lines(self) -> list[str]:
        """What the terminal shows when anything did not pair (nothing when all did); one line each."""
        found = []
        if self.unmatched:
            found.append(f"roster: {len(self.unmatched)} submission(s) with no roster entry (not in canvas.csv/moodle.csv): {', '.join(self.unmatched)}")
        if self.missing:
            found.append(f"roster: {len(self.missing)} student(s) with no submission (blank grade): {', '.join(s.label for s in self.missing)}")
        found += [f"roster: {student.label} {why}: ambiguous, so this entry's grade is left blank" for student, why in self.ambiguities()]
        return [_CONTROL.sub(lambda m: repr(m.group())[1:-1], line) for line in found]


def handle(submission: str) -> str:
    """The short name a roster may use for a submission: its folder (``alice`` for ``alice/x.ipynb``), and only for a
    file in no folder its stem (``frank`` for ``frank.ipynb``). A file's own name inside a student's folder never names
    a student, so ``mallory/alice.ipynb`` is Mallory's, and cannot take or blank Alice's entry."""
    folder, slash, _ = submission.partition("/")
    return folder if slash else re.sub(r"\.ipynb$", "", submission)


def match(roster: list[Student], submissions: list[str]) -> Matching:
    """Pair each roster entry with the submission it names: exactly, else by :func:`handle`.

    An entry that names several submissions, or a submission named by several entries equally closely (a full name is
    closer than a handle), pairs with none of them and is reported in :attr:`Matching.ambiguous`; an entry that names
    one submission, which no other entry names as closely, always keeps it."""
    exact = set(submissions)
    by_handle: dict[str, list[str]] = {}
    for name in submissions:
        by_handle.setdefault(handle(name), []).append(name)
    claims: dict[str, list[tuple[int, int]]] = {}  # submission -> (closeness: 0 exact, 1 handle; roster position)
    chosen: list[str | None] = [None] * len(roster)
    result = Matching()
    for position, student in enumerate(roster):
        key = student.submission
        closeness, candidates = (0, [key]) if key in exact else (1, by_handle.get(key, []))
        if len(candidates) > 1:
            result.ambiguous.append((student, sorted(candidates)))
        elif candidates:
            claims.setdefault(candidates[0], []).append((closeness, position))
    for name, claimants in claims.items():
        closest = min(closeness for closeness, _ in claimants)
        winners = [position for closeness, position in claimants if closeness == closest]
        if len(winners) == 1:
            chosen[winners[0]] = name
        for _, position in claimants:
            if chosen[position] != name:
                result.ambiguous.append((roster[position], [name]))
    result.pairs = list(zip(roster, chosen, strict=True))
    used = {name for name in chosen if name}
    unclear = {name for _, names in result.ambiguous for name in names}
    result.unmatched = [name for name in submissions if name not in used and name not in unclear]
    order = {id(student): i for i, student in enumerate(roster)}
    result.ambiguous.sort(key=lambda item: order[id(item[0])])
    return result


def canvas_rows(matching: Matching, totals: dict[str, str], title: str, points_possible: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of canvas.csv (a ``Points Possible`` row first)."""
    header = CANVAS_COLUMNS + [title]
    rows = [["Points Possible", "", "", "", "", points_possible]]
    for student, name in matching.pairs:
        rows.append([student.name or " ".join(student.moodle_names()[::-1]).strip(), student.canvas_id, student.student_id, student.login_id,
                     student.section, totals.get(name, "") if name else ""])
    return header, rows


def moodle_rows(matching: Matching, totals: dict[str, str], title: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of moodle.csv."""
    header = MOODLE_COLUMNS + [title]
    rows = []
    for student, name in matching.pairs:
        first, last = student.moodle_names()
        rows.append([first, last, student.student_id, student.email, totals.get(name, "") if name else ""])
    return header, rows
