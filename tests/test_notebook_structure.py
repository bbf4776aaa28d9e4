"""Structure of every notebook's markdown (WCAG 2.1: 1.1.1 alt text, 1.3.1 headings, 2.4.4 link purpose).

For each notebook in notebooks/ and solutions/: exactly one H1; headings never skip a level
going down (and the first is the H1); link text says where it goes (never "here", "link" or a
bare URL); every image in markdown has alt text.  Markdown is read line by line, outside fenced
code blocks and inline code; HTML tags in markdown (<h2>, <a>, <img>) are read with BeautifulSoup.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from helpers.headings import heading_problems

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for folder in ("notebooks", "solutions") for p in (ROOT / folder).glob("*.ipynb"))

#: link texts that do not say where a link goes (compared lower-case, without punctuation)
VAGUE_LINK_TEXT = {"here", "click here", "link", "this link", "this", "this page", "more", "read more", "click", "see here", "page"}
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)]*)\)")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+")
#: $...$ and $$...$$ maths, which may hold brackets that look like links
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.S)


def _prose_lines(source: str):
    """(line, text) of markdown outside fenced code, with inline code and maths blanked."""
    fenced = False
    text = _MATH.sub(lambda m: " " * len(m.group()), source)
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, _INLINE_CODE.sub(lambda m: " " * len(m.group()), line)


def headings(source: str) -> list[tuple[int, str]]:
    """(level, text) of every heading: ATX (# ...), setext (=== / --- under text) and HTML <h1>..<h6>."""
    found, previous = [], ""
    for _, line in _prose_lines(source):
        atx = _ATX.match(line)
        setext = _SETEXT.match(line)
        if atx:
            found.append((len(atx.group(1)), (atx.group(2) or "").strip()))
        elif setext and previous.strip() and not _ATX.match(previous) and not previous.lstrip().startswith(("-", "*", "|", ">")):
            found.append((1 if setext.group(1)[0] == "=" else 2, previous.strip()))
        previous = line
    soup = BeautifulSoup(source, "html.parser")
    found += [(int(tag.name[1]), tag.get_text(" ", strip=True)) for tag in soup.find_all(re.compile(r"^h[1-6]$"))]
    return found


def _vague(text: str) -> bool:
    words = re.sub(r"[^\w\s]", "", text).strip().lower()
    return not words or words in VAGUE_LINK_TEXT or bool(_URL.fullmatch(text.strip()))


def link_problems(source: str) -> list[str]:
    problems = []
    for number, line in _prose_lines(source):
        rest = _IMAGE.sub(lambda m: " " * len(m.group()), line)
        for match in _LINK.finditer(rest):
            text = _IMAGE.sub("", match.group(1)).strip()
            if _vague(text):
                problems.append(f"line {number}: link text {match.group(1)!r} does not say where it goes ({match.group(2)})")
        rest = _LINK.sub(" ", rest)
        problems += [f"line {number}: bare URL as link text: {url}" for url in _AUTOLINK.findall(rest)]
        rest = _AUTOLINK.sub(" ", rest)
        for url in _URL.findall(BeautifulSoup(rest, "html.parser").get_text()):
            problems.append(f"line {number}: bare URL (shown as its own link text): {url}")
    for anchor in BeautifulSoup(source, "html.parser").find_all("a"):
        text = anchor.get_text(" ", strip=True) or anchor.get("aria-label", "")
        if anchor.get("href") and _vague(text):
            problems.append(f"<a href={anchor.get('href')!r}>: link text {text!r} does not say where it goes")
    return problems


def image_problems(source: str) -> list[str]:
    problems = []
    for number, line in _prose_lines(source):
        for match in _IMAGE.finditer(line):
            if not match.group(1).strip():
                problems.append(f"line {number}: image {match.group(2)!r} has no alt text")
    for image in BeautifulSoup(source, "html.parser").find_all("img"):
        if not (image.get("alt") or "").strip():
            problems.append(f"<img src={image.get('src', '')[:60]!r}> has no alt text")
    return problems


def markdown_cells(path: Path) -> list[tuple[int, str]]:
    notebook = nbformat.read(path, as_version=4)
    return [(index, cell.source) for index, cell in enumerate(notebook.cells, 1) if cell.cell_type == "markdown"]


def notebook_problems(path: Path) -> dict[str, list[str]]:
    cells = markdown_cells(path)
    found = [(index, level, text) for index, source in cells for level, text in headings(source)]
    heading = [f"{p}; headings: " + ", ".join(f"cell {i} H{lv} {t[:40]!r}" for i, lv, t in found) for p in heading_problems([lv for _, lv, _ in found])]
    return {
        "headings": heading,
        "links": [f"cell {index}, {p}" for index, source in cells for p in link_problems(source)],
        "images": [f"cell {index}, {p}" for index, source in cells for p in image_problems(source)],
    }


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def problems(request):
    return notebook_problems(request.param)


def test_there_are_notebooks():
    assert {p.parent.name for p in NOTEBOOKS} == {"notebooks", "solutions"}


@pytest.mark.parametrize("rule", ["headings", "links", "images"])
def test_notebook_markdown(problems, rule):
    assert not problems[rule], "\n".join(problems[rule])


# -- the rules catch what they should, and only that --------------------------------------------

@pytest.mark.parametrize("levels, wrong", [
    ([1, 2, 3, 2, 3, 2], False),
    ([1, 2, 2, 1], True),  # two H1s
    ([2, 3], True),  # no H1
    ([1, 3], True),  # skips H2
    ([1, 2, 4], True),
    ([2, 1, 2], True),  # the H1 is not first
    ([1, 2, 3, 4, 2], False),  # going up any number of levels is fine
])
def test_heading_rules(levels, wrong):
    assert bool(heading_problems(levels)) == wrong


def test_headings_are_found_in_markdown_and_html_but_not_in_code():
    source = "# Title\ntext\n\n```python\n# a comment, not a heading\n```\nSub\n---\n<h3>Deep</h3>\n`# not a heading`\n#hashtag"
    assert headings(source) == [(1, "Title"), (2, "Sub"), (3, "Deep")]


@pytest.mark.parametrize("markdown", [
    "See [here](https://pytorch.org/docs).",
    "[Click here!](https://example.org) for more.",
    "[link](https://example.org)",
    "[https://pytorch.org](https://pytorch.org)",
    "Docs at https://pytorch.org/docs/stable/nn.html.",
    "Docs at <https://pytorch.org>.",
    '<a href="https://example.org">here</a>',
    "[](https://example.org)",
])
def test_vague_links_are_caught(markdown):
    assert link_problems(markdown), markdown


@pytest.mark.parametrize("markdown", [
    "[PyTorch's Conv2d documentation](https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html)",
    "The formula $[a](b)$ is maths, and `https://example.org` is code.",
    "```\nhttps://example.org\n```",
    '<a href="https://d2l.ai">Dive into Deep Learning</a>',
])
def test_descriptive_links_pass(markdown):
    assert not link_problems(markdown), link_problems(markdown)


@pytest.mark.parametrize("markdown, wrong", [
    ("![](figure.png)", True),
    ("![  ](figure.png)", True),
    ('<img src="figure.png">', True),
    ('<img src="figure.png" alt="">', True),
    ("![The unrolled LSTM over three steps](lstm.png)", False),
    ('<img src="f.png" alt="Kernel placements on a padded input of 7 cells">', False),
])
def test_image_alt_text(markdown, wrong):
    assert bool(image_problems(markdown)) == wrong
