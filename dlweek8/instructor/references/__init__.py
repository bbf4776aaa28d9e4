"""Reference answers, hidden probes and catalogues of wrong answers, one module per topic.

Question ``TOPIC.NAME`` has its :class:`Solution` here as
``TOPIC.NAME``. Nothing in this folder ships to students.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Solution:
    """A question's right answer and its catalogue of wrong ones.

    ``answer`` is the right value, or for a function question the reference function.
    ``wrong`` maps each mistake name the check can give to an answer that makes exactly that
    mistake (a value, or a function). ``unnamed`` holds wrong answers that no name fits: the
    check must reject them without naming a mistake. A function question also has
    ``public_probes`` (argument tuples shown to every notebook check) and ``hidden_probes``
    (used only when grading); both are functions returning a list of tuples of plain data.
    """

    answer: object
    wrong: dict = field(default_factory=dict)
    unnamed: tuple = ()
    public_probes: Callable[[], list] | None = None
    hidden_probes: Callable[[], list] | None = None
    #: For a claims question: the feedback of each combination (claims and letter for the right
    #: claims, claims alone for wrong ones), stored sealed by ``store``.
    feedback: dict = field(default_factory=dict)
