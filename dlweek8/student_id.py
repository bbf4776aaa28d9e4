"""Who is working: the student id that picks each graded question's numbers, and the term's salt.

The id comes from, in this order: :func:`student` (a notebook's first cell), the environment
variable ``DLWEEK8_STUDENT``, then ``JUPYTERHUB_USER`` (set by JupyterHub). With none, every
question keeps the notes' own numbers. The salt (``[tool.dlweek8] salt`` in the course's
``pyproject.toml``, copied into the student build as ``dlweek8/term.py`` by ``publish``) gives
each term other numbers for the same ids.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variables that name the student, in the order they are read.
ID_VARIABLES = ("DLWEEK8_STUDENT", "JUPYTERHUB_USER")
#: The longest id accepted (a roster id, a login, an email address).
MAX_ID = 100

_chosen: str | None = None
_salt: str | None = None


class Chosen:
    """What ``dlweek8.student(...)`` shows in the notebook: one line about whose numbers the questions use."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return self.text


def clean(value) -> str | None:
    """An id as text (stripped), or None for a blank, ``...`` or anything that is not a short string."""
    if value is Ellipsis or value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text or len(text) > MAX_ID or not text.isprintable() or text.lower() in ("your id", "your student id"):
        return None
    return text


def student(student_id=...) -> Chosen:
    """Set the student id for this kernel (``dlweek8.student("s123")``); ``...`` or blank leaves it unset."""
    global _chosen
    found = clean(student_id)
    if found is None:
        _chosen = None
        source = environment_id()
        if source:
            return Chosen(f"Student id {source[0]} (from {source[1]}): the graded questions use your own numbers.")
        return Chosen("No student id yet: the graded questions show the notes' numbers. " + HOW_TO)
    _chosen = found
    return Chosen(f"Student id {found}: the graded questions below use your own numbers. Run the notebook from the top.")


def environment_id() -> tuple[str, str] | None:
    """(id, the variable it came from), or None."""
    for name in ID_VARIABLES:
        found = clean(os.environ.get(name))
        if found:
            return found, name
    return None


def current() -> str | None:
    """The student id in use, or None (the notes' numbers)."""
    if _chosen is not None:
        return _chosen
    found = environment_id()
    return found[0] if found else None


HOW_TO = ('To get your own numbers, write your student id in the first code cell, dlweek8.student("s123"), '
          "and run the notebook from the top.")


def salt() -> str:
    """The term's salt: the student build's ``dlweek8/term.py``, else the course's ``pyproject.toml``, else ""."""
    global _salt
    if _salt is None:
        _salt = _read_salt()
    return _salt


def _read_salt() -> str:
    try:
        from . import term  # written by publish into the student build

        return str(term.SALT)
    except ImportError:
        pass
    return salt_from(Path(__file__).resolve().parent.parent / "pyproject.toml")


def salt_from(pyproject: Path) -> str:
    """``[tool.dlweek8] salt`` of a pyproject.toml ("" if the file or the key is missing)."""
    import tomllib

    try:
        config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return ""
    return str(config.get("tool", {}).get("dlweek8", {}).get("salt", ""))


def seed(question_id: str, student_id: str) -> str:
    """The seed of ``student_id``'s numbers for ``question_id`` this term."""
    return f"{salt()}/{student_id}/{question_id}"
