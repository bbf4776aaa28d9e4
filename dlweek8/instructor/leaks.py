"""Find answers in what would ship to students: solution lines, solved values and their hashes.

The *needles* come from the solved notebooks in ``solutions/`` and from the instructor's
solutions (:mod:`dlweek8.instructor.solutions`):

- every **answer line**: each line between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
  and each line ending in ``### SOLUTION`` (marker removed), and the right-hand side of an
  answer assignment when it is an expression rather than a literal (a literal is looked for
  through its value, below), with runs of whitespace made single spaces. A line counts only
  if it has at least :data:`MIN_LINE` characters and a letter or digit (blank lines, lone
  brackets, ``return x``, ``pass`` are too generic to be an answer), and is not one of the
  :data:`GIVEN` forward equations that the notebook states before asking;
- an answer written as a call on literal arguments (``math.log(19)``) also as ``log(19)``,
  ``np.log(19)`` and, for ``log``, ``ln 19`` (:func:`call_patterns`);
- every **distinctive solved value** (an answer assignment's right-hand side evaluated with
  only literals, arithmetic, ``range`` and ``math``/``numpy`` functions; and each value
  question's solved answer) in its usual printed forms, see :func:`value_patterns`;
- the sha256, sha1 and md5 of each value's printed forms (every value, small integers and
  booleans too), of each answer line and of each solved notebook: a hash of a small integer
  is that integer to anyone who tries them.

:func:`scan` reads every file (notebooks and other JSON also as their decoded strings, so
metadata and escaped sources are seen) and reports each needle found.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from . import editions

#: An answer line shorter than this (after whitespace is collapsed) is too generic to count.
MIN_LINE = 10
#: An integer is distinctive when its magnitude is at least this (three digits).
MIN_INT = 100
#: A sequence longer than this is not an answer anyone prints (and is not looked for).
MAX_ITEMS = 100
#: A float is looked for rounded to these numbers of decimals (and in full).
DECIMALS = (3, 4, 5, 6)
#: Solution lines that only restate, as code, the LSTM forward equations notebook 01 gives in
#: section 1 (and ``dlweek8.lstm.step`` computes, which the issue keeps in the student build).
GIVEN = frozenset({"c = f * c_prev + i * u", "f * c_prev + i * u", "z = W_f @ x + U_f @ h_prev", "W_f @ x + U_f @ h_prev",
                   # the backward pass's solution reuses the forward pass (h = o tanh(c)) and reads a shape
                   "np.tanh(c)", "np.shape(dhs)"})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Needle:
    """Something that must not ship, and what it is (for the report): a regex, or a hash's hex digest,
    which the scan looks up among each file's hex runs (one pass, not one search per digest)."""

    pattern: re.Pattern | None
    what: str
    digest: str | None = None

    @property
    def key(self) -> str:
        return self.digest or self.pattern.pattern

    @functools.cached_property
    def required(self) -> str:
        """Text that every match of the pattern contains (:func:`required_text`)."""
        return required_text(self.pattern) if self.pattern is not None else ""

    def span_in(self, text: str, digests: dict[str, int]) -> tuple[int, int] | None:
        """Where this needle is in ``text`` (whose hex runs hold ``digests``), or None."""
        if self.digest is not None:
            start = digests.get(self.digest)
            return None if start is None else (start, start + len(self.digest))
        if self.required not in text:  # a substring test first: most patterns start with a look-behind,
            return None  # which leaves the regex engine no literal prefix to skip ahead with
        match = self.pattern.search(text)
        return match.span() if match else None


def required_text(pattern: re.Pattern) -> str:
    """The longest run of plain characters at the top level of ``pattern``: every match contains it."""
    try:
        from re import _parser  # the standard library's own reading of a pattern (private: on any surprise, no shortcut)

        parsed = list(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001
        return ""
    best, run = "", ""
    for op, argument in parsed:
        if op is _parser.LITERAL and not pattern.flags & re.IGNORECASE:
            run += chr(argument)
            best = max(best, run, key=len)
        else:
            run = ""
    return best


#: A run of hex digits long enough to hold an md5 (32), sha1 (40) or sha256 (64) digest.
_HEX_RUN = re.compile(r"[0-9a-fA-F]{32,}")
_DIGEST_LENGTHS = (32, 40, 64)


@dataclass(frozen=True)
class Finding:
    path: str
    what: str
    excerpt: str

    def line(self) -> str:
        return f"{self.path}: {self.what}: …{self.excerpt}…"


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def is_generic(line: str) -> bool:
    """Not an answer: short, no letter or digit in it, or a forward equation the notebook gives."""
    line = normalise(line)
    return len(line) < MIN_LINE or not any(ch.isalnum() for ch in line) or line in GIVEN


# -- answer lines --------------------------------------------------------------------------------


def answer_lines(source: str) -> list[str]:
    """The solved lines of one cell's source: inside the solution regions and marked one by one."""
    found, inside = [], False
    for line in source.split("\n"):
        stripped = line.strip()
        if stripped == editions.BEGIN:
            inside = True
        elif stripped == editions.END:
            inside = False
        elif inside:
            found.append(line)
        elif editions._has_line_mark(line):
            found.append(line.rstrip()[: -len(editions.LINE_MARK)])
    return found


def _right_hand_side(line: str) -> str | None:
    """``(26, 28)`` of ``size = (26, 28)``: the expression an answer assignment gives."""
    try:
        node = ast.parse(line.strip()).body[0]
    except (SyntaxError, IndexError):
        return None
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return ast.unparse(node.value)
    return None


def _is_literal(expression: str) -> bool:
    try:
        ast.literal_eval(expression)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def _literal(pattern_text: str) -> re.Pattern:
    """A line as a pattern that allows any run of whitespace where the line has one."""
    return re.compile(r"\s+".join(re.escape(part) for part in normalise(pattern_text).split(" ")))


# -- values --------------------------------------------------------------------------------------

_SAFE_CALLS = {"range", "log", "exp", "sqrt", "prod"}


def evaluate(expression: str):
    """The value of an answer expression made only of literals, arithmetic, ``range`` and
    ``math``/``np`` functions; None for anything else (nothing else is ever run)."""
    import numpy as np

    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in _SAFE_CALLS or (isinstance(func, ast.Attribute) and getattr(func.value, "id", None) not in ("math", "np")):
                return None
        elif isinstance(node, ast.Name) and node.id not in _SAFE_CALLS | {"math", "np"}:
            return None
        elif not isinstance(node, (ast.Expression, ast.Constant, ast.Tuple, ast.List, ast.BinOp, ast.UnaryOp,
                                   ast.operator, ast.unaryop, ast.Load, ast.Call, ast.Attribute, ast.Name)):
            return None
    try:
        return eval(compile(tree, "<answer>", "eval"), {"__builtins__": {"range": range}, "math": math, "np": np})  # noqa: S307 - checked above
    except Exception:  # noqa: BLE001 - an expression that does not evaluate is simply not a value
        return None


def _number(value) -> list[str]:
    """Printed forms of one number (regex-escaped), or [] if it is not distinctive on its own."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return []
    if isinstance(value, float) and not value.is_integer():
        if not math.isfinite(value) or abs(value) < 1e-3:
            return []
        return [re.escape(f"{value:.{n}f}") for n in DECIMALS] + [re.escape(repr(value))]
    number = int(value)
    if abs(number) < MIN_INT:
        return []
    forms = {str(number), f"{number:,}", f"{number:_}"} | {f"{number:,}".replace(",", sep) for sep in (" ", "\u2009", "\u202f", "\u00a0")}
    return [re.escape(form) for form in sorted(forms)]


def _element(value) -> str:
    """One element of a printed sequence, as a regex."""
    if isinstance(value, float) and not value.is_integer():
        return re.escape(f"{value:.4f}").rstrip("0") + r"\d*"
    if isinstance(value, float):
        return re.escape(str(int(value))) + r"(?:\.0+)?"
    return re.escape(str(value))


def value_patterns(value) -> list[str]:
    """Regexes for the usual printed forms of a solved value.

    - an integer with at least three digits: ``100352``, ``100,352``, ``100 352``, ``100_352``;
    - a non-integral float: rounded to 3, 4, 5 and 6 decimals, and in full (``2.944`` ...);
    - a sequence of two or more numbers: its elements joined by commas, with or without
      brackets (``26, 28``, ``[26,28]``), two numbers also as ``26 × 28``; a run of
      consecutive integers also as ``range(52, 55)``, ``52 ≤ n < 55`` and ``52 ≤ n ≤ 54``;
      and each distinctive element on its own.

    Booleans (alone or in tuples: a handful of possibilities, and common code), strings and
    small integers alone are not distinctive: they are not looked for.
    """
    if isinstance(value, (tuple, list, set, frozenset, range)):
        if len(value) > MAX_ITEMS:
            return []
        items = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
        if len(items) < 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
            return []
        joined = r"\s*,\s*".join(_element(v) for v in items)
        patterns = [r"(?<![\w.])" + joined + r"(?!\w|[.,]\d)"]
        if len(items) == 2:
            patterns.append(r"(?<![\w.])" + r"\s*[×x]\s*".join(_element(v) for v in items) + r"(?!\w|[.,]\d)")
        ints = [v for v in items if isinstance(v, int) and not isinstance(v, bool)]
        if len(ints) == len(items) and ints == list(range(ints[0], ints[0] + len(ints))):
            low, high = ints[0], ints[-1]
            patterns += [
                rf"range\(\s*{low}\s*,\s*{high + 1}\s*\)",
                rf"(?<![\w.]){low}\s*(?:≤|<=)\s*\w+\s*<\s*{high + 1}(?!\w|[.,]\d)",
                rf"(?<![\w.]){low}\s*(?:≤|<=)\s*\w+\s*(?:≤|<=)\s*{high}(?!\w|[.,]\d)",
            ]
        for v in items:
            patterns += value_patterns(v)
        return patterns
    return [rf"(?<![\w.,]){form}(?![\w]|[.,]\d)" for form in _number(value)]


def call_patterns(expression: str) -> list[str]:
    """``math.log(19)`` written other ways: ``np.log(19)``, ``log(19)``, ``ln 19``, ``ln(19)``.

    Only for a call of one of the functions :func:`evaluate` knows on literal arguments."""
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return []
    if not isinstance(node, ast.Call) or node.keywords or not all(isinstance(a, ast.Constant) for a in node.args):
        return []
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
    if name not in _SAFE_CALLS or name == "range":
        return []
    args = r"\s*,\s*".join(re.escape(repr(a.value)) for a in node.args)
    patterns = [rf"(?<![\w.])(?:math\.|np\.|numpy\.)?{name}\s*\(\s*{args}\s*\)"]
    if name == "log" and len(node.args) == 1:
        patterns.append(rf"(?<![\w.])ln\s*\(?\s*{args}(?!\w|[.,]\d)")
    return patterns


def _printed(value) -> list[str]:
    """Exact texts a value could be hashed from: str, repr, JSON, and each element's."""
    if isinstance(value, range):
        value = list(value) if len(value) <= MAX_ITEMS else value
    texts = {str(value), repr(value)}
    try:
        texts.add(json.dumps(value))
    except TypeError:
        pass
    if isinstance(value, (tuple, list)):
        texts |= {str(list(value)), str(tuple(value))}
        for item in value:
            texts |= set(_printed(item))
    if isinstance(value, float):
        texts |= {f"{value:.{n}f}" for n in DECIMALS}
    return sorted(texts)


def _hash_needles(texts, what: str) -> list[Needle]:
    needles = []
    for text in texts:
        data = text.encode() if isinstance(text, str) else text
        for algorithm in ("sha256", "sha1", "md5"):
            digest = hashlib.new(algorithm, data).hexdigest()
            needles.append(Needle(None, f"{algorithm} of {what}", digest))
    return needles


# -- the needles of a course ---------------------------------------------------------------------


def solved_values() -> dict[str, object]:
    """question id -> right value, for every value question with a solution (the instructor's install)."""
    from .. import checks
    from ..question import ValueQuestion
    from .solutions import solution

    values = {}
    for question in checks.all_questions():
        if isinstance(question, ValueQuestion):
            try:
                values[question.id] = solution(question).answer
            except (LookupError, ImportError):
                continue
    return values


def needles(solved_paths, values: dict[str, object] | None = None) -> list[Needle]:
    """Everything that must not ship, from the solved notebooks and the solved values."""
    import nbformat

    found: list[Needle] = []
    values = dict(solved_values() if values is None else values)
    for path in map(Path, solved_paths):
        nb = nbformat.read(path, as_version=4)
        found += _hash_needles([path.read_bytes()], f"the solved notebook {path.name}")
        found.append(Needle(None, f"sha256 of the solved notebook {path.name} (its content hash)", editions.content_hash(nb)))
        for number, cell in enumerate(nb.cells, 1):
            where = f"{path.name}, cell {number}"
            for line in answer_lines(cell.source):
                rhs = _right_hand_side(line) if cell.cell_type == "code" else None
                for text in (line, None if rhs is None or _is_literal(rhs) else rhs):
                    text = normalise(text or "")
                    if not is_generic(text):
                        found.append(Needle(_literal(text), f"answer line of {where}: {text!r}"))
                        found += _hash_needles([text], f"answer line of {where}")
                if rhs is not None:
                    found += [Needle(re.compile(pattern), f"answer of {where} written as {rhs!r}") for pattern in call_patterns(rhs)]
                    value = evaluate(rhs)
                    if value is not None:
                        values[f"{where}: {rhs}"] = value
    for name, value in values.items():
        for pattern in value_patterns(value):
            found.append(Needle(re.compile(pattern), f"value of {name} ({value!r})"))
        found += _hash_needles(_printed(value), f"the value of {name}")  # every value: a hash is distinctive
    unique = {(n.key, n.what): n for n in found}
    return list(unique.values())


# -- scanning ------------------------------------------------------------------------------------


def _strings(data) -> list[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for k, v in data.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(data, list):
        return [s for item in data for s in _strings(item)]
    return []


def readable_texts(name: str, data: bytes) -> list[str]:
    """The texts to search in one file: its text, and for JSON its decoded strings too."""
    text = data.decode("utf-8", errors="replace")
    texts = [text]
    if name.endswith((".ipynb", ".json")):
        try:
            texts.append("\n".join(_strings(json.loads(text))))
        except ValueError:
            pass
    return texts


def _digests_in(text: str) -> dict[str, int]:
    """Every digest-length stretch of every hex run in ``text`` (lower case), with where it starts."""
    found: dict[str, int] = {}
    for run in _HEX_RUN.finditer(text):
        hex_run = run.group().lower()
        for length in _DIGEST_LENGTHS:
            for offset in range(len(hex_run) - length + 1):
                found.setdefault(hex_run[offset:offset + length], run.start() + offset)
    return found


def scan_files(files: dict[str, bytes], needles_: list[Needle]) -> list[Finding]:
    """Each needle found in each file (relative path -> content)."""
    findings = []
    for name in sorted(files):
        texts = readable_texts(name, files[name])
        digests = [_digests_in(text) for text in texts]
        for needle in needles_:
            for text, in_text in zip(texts, digests, strict=True):
                span = needle.span_in(text, in_text)
                if span:
                    start, end = max(0, span[0] - 30), span[1] + 30
                    findings.append(Finding(name, needle.what, normalise(text[start:end])))
                    break
    return findings


def folder_files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (but ``.git``), by its path relative to it."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(folder).parts}


def scan(folder: Path, solved_paths, values: dict[str, object] | None = None) -> list[Finding]:
    """Every answer found anywhere in ``folder``."""
    return scan_files(folder_files(folder), needles(solved_paths, values))
