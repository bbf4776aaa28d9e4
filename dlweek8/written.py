"""Written answers graded by people: the question kind, and the instant check of an answer's form.

The notes ask for short written justifications ("give at most 3 sentences"). A
:class:`WrittenQuestion` takes the answer as a string. ``dlweek8.check`` judges only its form:
not empty, at most :data:`MAX_SENTENCES` sentences, not a copy of the prompt or of the options of
the multiple-choice item it follows. It says that a person grades the content, and lists what the
rubric looks at (its criteria, phrased without the answer). A well-formed answer earns no points
here: its points come from the person who grades it (``graded/written.html``, then ``python -m
dlweek8 report graded/ --written-scores written_scores.csv``). The rubric itself, with the answer in
it, lives on the instructor's side (``dlweek8/instructor/references/rubrics.py``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from . import plain
from .mistakes import Mistake, NamesMistakes
from .question import ValueQuestion

#: The title a well-formed written answer's feedback shows (not "Correct": nobody has read it yet).
SAVED_TITLE = "Saved for grading by a person"
#: The most sentences a written answer may have.
MAX_SENTENCES = 3
#: The fewest words that can carry a reason.
MIN_WORDS = 5
#: Share of an answer's letters taken over from the prompt or an option that makes it a copy.
COPY_SHARE = 0.7
#: Words ending in "." that do not end a sentence (compared lower-case, without the last dot).
ABBREVIATIONS = frozenset({
    "e.g", "i.e", "cf", "vs", "approx", "resp", "fig", "figs", "eq", "eqs", "dr", "prof", "al", "viz",
    "w.r.t", "wrt", "ca", "incl", "esp", "pp", "thm", "lem",
})
#: Abbreviations that end the sentence when a capital letter follows ("… and so on, etc. The …").
_AMBIGUOUS = frozenset({"etc"})
#: Text a student edition leaves in place of an answer.
_PLACEHOLDER = re.compile(r"[\s.…]*(your answer here)?[\s.…]*", re.I)
_TERMINATOR = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_CHUNK_BREAK = re.compile(r"\n\s*\n|\n\s*(?:[-*•]|\d+[.)])\s+")


@dataclass(frozen=True)
class Criterion:
    """What a rubric looks at, phrased without the answer (shown to students), and its points.

    ``key`` names it in the instructor's rubric and in ``written_scores.csv``."""

    key: str
    looks_at: str
    points: int = 1


def _last_word(text: str) -> str:
    word = text.split()[-1] if text.split() else ""
    return word.lstrip("([{\"'“‘").lower()


def sentences(text: str) -> list[str]:
    """The sentences of ``text``: ends are ., !, ? or … followed by a space or the end.

    A dot inside a number (0.5) ends nothing; abbreviations (e.g., i.e., cf., …) end nothing; a
    paragraph break or a list item starts a new sentence even without a full stop."""
    found = []
    for chunk in _CHUNK_BREAK.split(str(text)):
        start = 0
        for match in _TERMINATOR.finditer(chunk):
            before = chunk[start:match.start()]
            word = _last_word(before)
            following = chunk[match.end():].lstrip()
            if match.group().startswith(".") and len(match.group().rstrip("\"'”’)]")) == 1:
                if word in ABBREVIATIONS or (word in _AMBIGUOUS and not following[:1].isupper()):
                    continue
            piece = chunk[start:match.end()].strip()
            if _has_words(piece):
                found.append(piece)
            start = match.end()
        rest = chunk[start:].strip()
        if _has_words(rest):
            found.append(rest)
    return found


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def words(text: str) -> list[str]:
    return [w for w in re.split(r"\s+", text) if _has_words(w)]


def normalised(text: str) -> str:
    """Lower-case letters and digits only, single spaces (so punctuation and layout do not hide a copy)."""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


def copied_share(answer: str, source: str) -> float:
    """The share of the answer's letters that come in runs of 12 or more characters from ``source``."""
    import difflib  # only when judging a written answer

    a, b = normalised(answer), normalised(source)
    if not a or not b:
        return 0.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    copied = sum(block.size for block in matcher.get_matching_blocks() if block.size >= 12)
    return copied / len(a)


def _shown(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


WRITTEN_MISTAKES = {
    "too-many-sentences": Mistake(
        "Your answer has {count} sentences; the question asks for at most {most}. Keep the reason, cut the rest "
        "(e.g. and 0.5 do not end a sentence; a full stop, ! or ? followed by a space does)."
    ),
    "too-short": Mistake("A justification needs a reason: write at least one full sentence that says why."),
    "copies-prompt": Mistake("Your answer repeats the question. Answer it in your own words: say yes or no, and why."),
    "copies-option": Mistake(
        "Your answer copies an option of the multiple-choice item above. Explain the reason in your own words, "
        "with the quantities of the question."
    ),
}


class WrittenQuestion(NamesMistakes, ValueQuestion):
    """A written justification of at most :data:`MAX_SENTENCES` sentences, graded by a person.

    ``practice`` is the id of the multiple-choice item it follows (None when there is none):
    an answer copied from its options or its prompt is refused. ``criteria`` are what the rubric
    looks at, without the answer; their points add up to the question's maximum."""

    kind = "written"
    mistakes = WRITTEN_MISTAKES
    hints = (
        "Say yes or no first, then give the one reason that decides it, with the quantities of the question.",
        "Test your reason: would it still hold with other numbers? A counter-example in one clause is a strong reason.",
    )

    def __init__(self, question_id: str, prompt: str, criteria: tuple[Criterion, ...], practice: str | None = None,
                 after: str | None = None):
        self.id, self.prompt, self.criteria, self.practice = question_id, prompt, tuple(criteria), practice
        self.after = after or practice  # the question it follows in notebook order
        if practice is None:  # nothing to copy but the prompt
            self.mistakes = {name: m for name, m in WRITTEN_MISTAKES.items() if name != "copies-option"}

    @property
    def max_points(self) -> int:
        return sum(c.points for c in self.criteria)

    def copy_sources(self) -> list[tuple[str, str]]:
        """(what, text) an answer must not copy: the prompt, and the practice item's prompt and options."""
        sources = [("prompt", self.prompt)]
        if self.practice:
            from . import checks

            practice = checks.get(self.practice)
            sources.append(("prompt", practice.prompt))
            sources += [("option", f"{letter}: {text}") for letter, text in getattr(practice, "reasons", {}).items()]
        return sources

    def rubric_rows(self) -> tuple[tuple[str, str], ...]:
        return tuple((f"criterion {n} ({c.points} point{'s' if c.points != 1 else ''})", c.looks_at)
                     for n, c in enumerate(self.criteria, 1))

    def judge(self, answer):
        if not isinstance(answer, str):
            return self.invalid(f"Expected text: your answer as a string between triple quotes, got {plain.describe(answer)}.")
        if _PLACEHOLDER.fullmatch(answer):
            return self.unanswered('Write your answer between the triple quotes, why_… = """…""", then run this cell again.')
        found = sentences(answer)
        if len(found) > MAX_SENTENCES:
            example = tuple((f"sentence {n}", _shown(s)) for n, s in enumerate(found, 1))
            return self.named("too-many-sentences", example=example, count=len(found), most=MAX_SENTENCES)
        if len(words(answer)) < MIN_WORDS:
            return self.named("too-short")
        for what, source in self.copy_sources():
            if copied_share(answer, source) >= COPY_SHARE:
                return self.named("copies-option" if what == "option" else "copies-prompt", example=(("copied from", _shown(source)),))
        return self._saved(len(found))

    def _saved(self, count: int):
        from dataclasses import replace

        feedback = self.correct(
            f"The form is right ({count} sentence{'s' if count != 1 else ''}). A person will grade the "
            f"content (up to {self.max_points} points) against the criteria below; this check does not judge the content "
            "and gives no points itself.",
            example=self.rubric_rows(),
        )
        return replace(feedback, score=0.0, title=SAVED_TITLE)


def is_written(question) -> bool:
    """Whether a question (or question id) is a written answer graded by a person."""
    if isinstance(question, str):
        from . import checks

        try:
            question = checks.get(question)
        except KeyError:
            return False
    return isinstance(question, WrittenQuestion)


def max_points(question_id: str) -> float:
    """The points a question is worth: its rubric's total for a written answer, else 1."""
    from . import checks

    try:
        question = checks.get(question_id)
    except KeyError:
        return 1.0
    return float(question.max_points) if isinstance(question, WrittenQuestion) else 1.0


def placed(questions: list, written: list) -> list:
    """``questions`` with each written question inserted right after the question it follows."""
    result = list(questions)
    for question in written:
        at = next((n for n, q in enumerate(result) if q.id == question.after), len(result) - 1)
        result.insert(at + 1, question)
    return result
