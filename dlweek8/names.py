"""Names and wording shared by the notebooks, the checks, the widgets and the instructor's tools.

Each is defined here once; everything else imports it.
"""

from __future__ import annotations

#: Cell tag of a check cell whose stored output nbval compares.
CHECKED_TAG = "nbval-check-output"
#: Cell tag of a cell dropped from the student edition.
INSTRUCTOR_TAG = "instructor-only"
#: Key of dlweek8's entry in a notebook's metadata.
META_KEY = "dlweek8"

#: Verdict statuses.
CORRECT = "correct"
INCORRECT = "incorrect"
UNANSWERED = "unanswered"
INVALID = "invalid"  # the answer has the wrong type or shape, raised, or timed out
UNKNOWN = "unknown"  # no such question id

#: The title a verdict is shown under, in the notebook and in graded feedback alike.
STATUS_TITLE = {
    CORRECT: "Correct",
    INCORRECT: "Not quite",
    UNANSWERED: "Not answered yet",
    INVALID: "Cannot check this answer",
    UNKNOWN: "Unknown question",
}


def seed_from(value) -> int:
    """A stable 64-bit seed from a student id or any text (Python's ``hash`` is salted)."""
    import hashlib  # only when seeding: not on the way to a first check

    return int.from_bytes(hashlib.sha256(str(value).encode()).digest()[:8], "little")


def rng_from(value):
    """A numpy generator seeded by :func:`seed_from` (numpy is imported here, not with dlweek8)."""
    import numpy as np

    return np.random.default_rng(seed_from(value))
