"""The feedback object every check returns: a verdict, one message, a counter-example, hints."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .names import CORRECT, INCORRECT, INVALID, STATUS_TITLE as _TITLE, UNANSWERED, UNKNOWN

_MARK = {CORRECT: "✔", INCORRECT: "✘", UNANSWERED: "…", INVALID: "✘", UNKNOWN: "?"}
#: The feedback box is opaque, light, with a border, in every theme, so these text colours keep a
#: contrast of at least 4.5:1 on it in JupyterLab's light and dark themes alike (tested).
BOX_BACKGROUND = "#ffffff"
TEXT_COLOUR = "#1f2328"
MUTED_COLOUR = "#57606a"
#: One rule for the whole page, sent with every feedback box (every notebook shows some once run):
#: MathJax keeps an invisible copy of each formula for screen readers (``mjx-assistive-mml``),
#: absolutely placed and as wide as the machine's fonts make it. Near the right edge it can stick out
#: of the markdown cell and make it a sideways scroll region the keyboard cannot reach; held to the
#: width of the visible formula it never does.
PAGE_STYLE = "<style>.jp-RenderedHTMLCommon mjx-assistive-mml, .jupyter-widgets mjx-assistive-mml{max-width:100% !important}</style>"
STATUS_COLOUR = {CORRECT: "#1a7f37", INCORRECT: "#cf222e", UNANSWERED: MUTED_COLOUR, INVALID: "#bc4c00", UNKNOWN: MUTED_COLOUR}


@dataclass(frozen=True)
class Feedback:
    """Result of ``dlweek8.check``.

    ``message`` is one deterministic paragraph that names the mistake;
    ``example`` holds a counter-example as (label, value) rows, e.g. inputs, expected, got;
    ``hints`` are revealed on request (collapsed in Jupyter, ``.hint()`` in code).
    """

    question_id: str
    status: str
    message: str
    example: tuple[tuple[str, str], ...] = ()
    hints: tuple[str, ...] = ()
    mistake: str | None = None  # a stable name for a recognised misconception, e.g. "ceil-for-floor"
    score: float | None = None
    #: Every named mistake the answer fits, ``mistake`` first: more than one when the question's
    #: numbers give the same wrong value for several (the message then asks what tells them apart).
    mistakes: tuple[str, ...] = ()
    title: str | None = None  # shown instead of the status's title (a written answer: "Saved for grading by a person")

    def __post_init__(self):
        if self.mistake is not None and not self.mistakes:
            object.__setattr__(self, "mistakes", (self.mistake,))

    @property
    def passed(self) -> bool:
        return self.status == CORRECT

    @property
    def points(self) -> float:
        """Credit in [0, 1]; partial credit where a check gives it."""
        if self.score is not None:
            return self.score
        return 1.0 if self.passed else 0.0

    def hint(self, number: int = 1) -> str:
        """The ``number``-th hint (1-based), or a note that there is none."""
        if 1 <= number <= len(self.hints):
            return self.hints[number - 1]
        return f"There is no hint {number} for {self.question_id}."

    def with_hints(self, hints) -> "Feedback":
        return replace(self, hints=tuple(hints))

    # -- rendering -------------------------------------------------------------------------
    def __str__(self) -> str:
        lines = [f"{_MARK[self.status]} {self.question_id}: {self.title or _TITLE[self.status]}. {self.message}"]
        lines += [f"    {label}: {value}" for label, value in self.example]
        if self.hints and not self.passed:
            lines.append(f"    ({len(self.hints)} hint{'s' if len(self.hints) > 1 else ''} available: .hint(1))")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html  # for rich display only (a Jupyter kernel has it loaded already)

        colour = STATUS_COLOUR[self.status]
        esc = html.escape
        parts = [
            f'<div class="dlweek8-feedback dlweek8-{self.status}" role="status" '
            f'style="background:{BOX_BACKGROUND};color:{TEXT_COLOUR};border:1px solid {colour};border-left:4px solid {colour};'
            'border-radius:3px;padding:6px 10px;margin:4px 0;font-family:sans-serif">',
            f'<div style="color:{colour};font-weight:bold">{_MARK[self.status]} {esc(self.title or _TITLE[self.status])}'
            f' <span style="color:{MUTED_COLOUR};font-weight:normal;font-family:monospace">{esc(self.question_id)}</span></div>',
            f'<div class="dlweek8-message">{esc(self.message)}</div>',
        ]
        if self.example:
            rows = "".join(
                f'<tr><th style="text-align:left;padding-right:1em;white-space:nowrap;vertical-align:top">{esc(k)}</th>'
                f'<td style="text-align:left;font-family:monospace">{esc(v)}</td></tr>'
                for k, v in self.example
            )
            parts.append(f'<table class="dlweek8-example" style="margin-top:4px">{rows}</table>')
        if self.hints and not self.passed:
            for n, text in enumerate(self.hints, 1):
                parts.append(f'<details class="dlweek8-hint"><summary>Hint {n}</summary>{esc(text)}</details>')
        parts.append("</div>")
        parts.append(PAGE_STYLE)
        return "".join(parts)


def unknown_question(question_id, known) -> Feedback:
    return Feedback(
        question_id=str(question_id),
        status=UNKNOWN,
        message=f"There is no question {question_id!r}. Known ids: {', '.join(known)}.",
    )
