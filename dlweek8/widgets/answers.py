"""Answer widgets: input boxes (or choices), a Check button and, where offered, New variant.

The Check button goes through :func:`dlweek8.question.evaluate`, the same path as
``dlweek8.check``, so a widget answer gets exactly the feedback a code answer gets.
"""

from __future__ import annotations

import html
from urllib.parse import quote
import re

import ipywidgets as w

from .. import variants
from ..feedback import Feedback
from ..names import seed_from
from ..question import Field, ValueQuestion, evaluate


def parse_number(text: str):
    """What a number box holds: ``...`` when blank, an int or float when it reads as one, else the text.

    Commas are not read: "1,234" may mean 1234 or 1.234, so it goes to the check as text, which says so."""
    text = text.strip().replace("_", "")
    if not text:
        return ...
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


#: Unicode sub- and superscripts of the characters that have one (U+2080…, U+1D62…, U+2070…, U+1D43…).
_SUBSCRIPTS = dict(zip("0123456789+−-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True))
_SUPERSCRIPTS = dict(zip("0123456789+−-=()abcdefghijklmnoprstuvwxyzT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀ", strict=True))
_SCRIPT = re.compile(r"([_^])(?:\{([^{}]+)\}|([A-Za-z0-9]))")


def maths_text(text: str) -> str:
    """Maths written in plain text (``h_{t−1}``, ``x_t``, ``W^f(d)``) as Unicode sub- and superscripts
    (hₜ₋₁, xₜ, Wᶠ(d)), so that it renders as maths where HTML cannot: radio options, which
    ipywidgets shows as plain text (no MathJax). If one script has a character without a Unicode
    form (``h_T``), the whole text is left as written, never half converted."""
    missing = []

    def script(match):
        table = _SUBSCRIPTS if match.group(1) == "_" else _SUPERSCRIPTS
        body = match.group(2) or match.group(3)
        missing.extend(c for c in body if c not in table)
        return "".join(table.get(c, c) for c in body)

    converted = _SCRIPT.sub(script, text)
    return text if missing else converted


def parse_set(text: str):
    """What a set box holds: ``...`` when blank, the set of whole numbers typed (separated by spaces or
    ", "), else the text (the check says what it cannot read)."""
    text = text.strip().strip("{}[]()").strip()
    if not text:
        return ...
    parts = [part for part in re.split(r"[\s;]+|,\s+", text) if part]
    numbers = [parse_number(part) for part in parts]
    if all(isinstance(n, int) for n in numbers):
        return set(numbers)
    return text


def _input_for(field: Field) -> w.Widget:
    layout = w.Layout(width="auto")
    style = {"description_width": "initial"}
    if field.kind in ("int", "float"):
        # A text box, not IntText: it starts blank, so an untouched box is "not answered yet", not 0.
        # The width holds the label and then the box (the label takes what it needs, the box the rest):
        # a long label must not squeeze the box until a typed answer is hidden.
        box = "9ch" if field.kind == "int" else "14ch"
        width = f"calc({len(field.label) + 2}ch + {box})"
        return w.Text(description=field.label, placeholder="?", layout=w.Layout(width=width), style=style)
    if field.kind == "set":
        width = f"calc({len(field.label) + 2}ch + 24ch)"
        return w.Text(description=field.label, placeholder="e.g. 5 6 7", layout=w.Layout(width=width), style=style)
    if field.kind == "bool":
        return w.RadioButtons(options=[("yes", True), ("no", False)], value=None, description=maths_text(field.label), style=style, layout=layout)
    if field.kind == "choice":
        options = [(maths_text(label), value) for label, value in field.options]
        return w.RadioButtons(options=options, value=None, description=maths_text(field.label), style=style, layout=layout)
    raise ValueError(f"unknown field kind {field.kind!r}")


#: Runs once the group's label has rendered (inline, so it needs no extension): gives the radio
#: buttons under it the role radiogroup, named by the label, so a screen reader announces the
#: question with the options (ipywidgets' radio box has no group role or name of its own).
_NAME_RADIO_GROUP = (
    "var l=this.parentNode.querySelector('b')||this.parentNode,g=this.closest('.dlweek8-radio-group'),n=0;"
    "(function f(){var r=g&&g.querySelector('.widget-radio-box');"
    "if(r){r.setAttribute('role','radiogroup');r.setAttribute('aria-label',l.textContent.trim());}"
    "else if(n++<50){setTimeout(f,100);}})();"
)
#: A transparent 1×1 GIF whose load runs :data:`_NAME_RADIO_GROUP`; ``hidden``, so it is not
#: rendered and not in the accessibility tree (it still loads).
_PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


#: ipywidgets gives each radio option one line's height and floats its button after the text, so
#: a long option that wraps runs into the next one, its button on its second line; inside our
#: radio groups the button comes first and an option takes the height its text needs.
_RADIO_STYLE = (
    "<style>.dlweek8-radio-group .widget-radio-box label{display:flex;flex-direction:row-reverse;"
    "justify-content:flex-end;align-items:baseline;height:auto;line-height:1.35;padding:3px 0}"
    ".dlweek8-radio-group .widget-radio-box input{float:none;flex:none}</style>"
)


def prompt_html(text: str) -> str:
    """A question prompt as HTML for ``HTMLMath``: text escaped, `code` in backticks as code, $...$ left for MathJax."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def _labelled(box: w.Widget) -> w.Widget:
    """A radio group gets its question above it (a side description would run into the next one),
    and that question becomes the group's accessible name."""
    if not isinstance(box, w.RadioButtons):
        return box
    label = w.HTMLMath(
        f'<b>{prompt_html(box.description)}</b><img src="{_PIXEL}" alt="" hidden onload="{_NAME_RADIO_GROUP}">'
        + _RADIO_STYLE
    )
    box.description = ""
    group = w.VBox([label, box], layout=w.Layout(margin="0 2em 0 0"))
    group.add_class("dlweek8-radio-group")
    return group


class AnswerBox(w.VBox):
    """Answer one value question in a widget; ``seed`` (e.g. a student id) fixes the variants."""

    def __init__(self, question_id: str, seed=0):
        self._base = variants.question_for(question_id)  # the current student's numbers (the notes' without an id)
        if not isinstance(self._base, ValueQuestion) or not self._base.fields:
            raise ValueError(f"{question_id} is not answered with a widget")
        self._seed = seed
        self._variant_number = 0
        self.question: ValueQuestion = self._base
        self.feedback: Feedback | None = None
        self._prompt = w.HTMLMath(layout=w.Layout(margin="0 0 4px 0"))  # prompts may hold $...$ maths
        self._inputs = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self._result = w.HTMLMath()  # feedback and hints may hold $...$ maths, typeset like the prompt (issue 23 item 8)
        self._check_button = w.Button(description="Check", button_style="primary", icon="check")
        self._check_button.on_click(lambda _: self.check())
        buttons = [self._check_button]
        if self._base.variant(seed_from(seed)) is not None:
            self._variant_button = w.Button(description="New variant", icon="refresh")
            self._variant_button.on_click(lambda _: self.new_variant())
            buttons.append(self._variant_button)
        super().__init__(
            [self._prompt, self._inputs, w.HBox(buttons), self._result],
            layout=w.Layout(border="1px solid var(--jp-border-color1, #8c959f)", padding="8px", margin="6px 0"),
        )
        self.add_class("dlweek8-answer")
        self.add_class("dlweek8-q-" + question_id.replace(".", "_"))  # lets browser tests find it
        self.add_class("dlweek8-seed-" + quote(str(seed), safe=""))  # and tell which variants it makes
        self._show(self.question)

    @property
    def inputs(self) -> list[w.Widget]:
        """The value widgets, one per field, in field order."""
        return list(self._fields)

    def _show(self, question: ValueQuestion) -> None:
        # The new inputs go in before the prompt changes: a reader (or a test) that waits for the new
        # prompt then finds the new inputs, not the old ones.
        self.question = question
        self._fields = [_input_for(f) for f in question.fields]
        self._inputs.children = [_labelled(box) for box in self._fields]
        self._result.value = ""
        self.feedback = None
        variant = f" <i>(variant {self._variant_number})</i>" if self._variant_number else ""
        self._prompt.value = f"<b>{prompt_html(question.prompt)}</b>{variant}"

    def answer(self):
        """The answer the inputs currently hold."""
        values = [(parse_set if f.kind == "set" else parse_number)(box.value) if isinstance(box, w.Text) else box.value
                  for f, box in zip(self.question.fields, self._fields, strict=True)]
        if any(v is None or v is ... for v in values):
            return ...
        return self.question.from_fields(values)

    def check(self) -> Feedback:
        self.feedback = evaluate(self.question, self.answer())
        self._result.value = self.feedback._repr_html_()
        return self.feedback

    def new_variant(self) -> ValueQuestion:
        self._variant_number += 1
        self._show(variant_shown(self._base, self._seed, self._variant_number))
        return self.question


def variant_shown(base: ValueQuestion, seed, number: int) -> ValueQuestion | None:
    """The variant an answer box built with ``seed`` shows after ``number`` presses of "New variant"."""
    return base.variant(seed_from(f"{seed}:{number}"))


def answer_box(question_id: str, seed=0) -> AnswerBox:
    """Build the answer widget of a question (see :class:`AnswerBox`)."""
    return AnswerBox(question_id, seed)
