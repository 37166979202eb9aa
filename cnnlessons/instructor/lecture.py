"""A lesson notebook recut for lecturing: per slide a headline, one figure or one short
computation, a few lines of text; everything else goes to the speaker notes.

``lecture_notebook(nb)`` returns a new notebook whose cells the reveal.js exporter turns into
slides (their ``slideshow`` metadata) and ``<aside class="notes">`` (cells of type ``notes``).
The learners' notebook is the one source: nothing is edited there, the rules below decide.

- A markdown cell keeps its heading and a lead: its first sentence (or clause) and the section's
  display formula (split at ``\\qquad``), or the first clauses of up to four bullets; the whole
  text goes to the notes.
- A code cell shows its outputs; its source goes to the notes unless it is short and its output
  small (a one-line check), or the output is a source listing, of which the ``forward`` shows.
- A text output shows its take-away's first sentence, or else its last lines.
- A markdown table output shows the columns that fit; the full table is in the notes.
- Each figure gets a slide of its own (the section's headline repeated), scaled to the space left
  and never under a third of the slide's height; a slide that would be too tall or hold more than
  ``MAX_WORDS`` words continues on a new one.
- The ledger cell becomes the closing slide(s): claim and verdict, the figures in the notes.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import html
import re
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..claims import MIMETYPE

if TYPE_CHECKING:
    import nbformat

__all__ = [
    "MAX_WORDS",
    "SLIDE_HEIGHT",
    "SLIDE_WIDTH",
    "code_words",
    "lead",
    "lecture_notebook",
    "shown_code",
    "take_away",
    "word_count",
]

SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
"""The slide's design size (reveal.js scales it to the screen)."""
MAX_WORDS = 80
"""At most this many words show on a slide (speaker notes aside)."""

# The layout budget in design pixels, matched to the template's CSS (see slides_template).
_CONTENT_WIDTH = SLIDE_WIDTH - 80
_BUDGET = SLIDE_HEIGHT - 90  # the slide minus its margins and the slide number's corner
_WORD_BUDGET = MAX_WORDS - 8  # the browser counts a little differently (maths, punctuation)
_FIGURE_MIN = SLIDE_HEIGHT // 3 + 10
_FIGURE_MAX = 560
_UPSCALE = 1.6  # a small matplotlib figure may grow this much before it blurs
_LEAD_WORDS = 28
_TAKEAWAY_WORDS = 32
COMPUTED_TAG = "computed"
"""The tag of a slide's text that a cell computed (its HTML class ``celltag_computed``): the lesson's
take-aways."""
_BULLETS, _BULLET_WORDS, _LIST_WORDS = 4, 18, 56
_OUTPUT_LINES, _TAIL_WORDS = 3, 40
_CODE_LINES, _CODE_CHARS = 3, 64
_LISTING_LINES = 12
_TEXT_CHARS, _PRE_CHARS, _HEAD_CHARS = 80, 84, 60  # characters per line, conservatively
_LINE = {"h1": 58, "h2": 48, "h3": 42, "text": 36, "pre": 29}
_GAP = 14
_MATHS_HEIGHT = 62
_MATHS_CHARS = 52  # a display formula wider than this (its TeX, commands as one character) is cut
_TABLE_CHARS, _TABLE_ROW = 88, 36

# a sentence ends after a word (not an initial, "e.g.", "et al.") and before a capital
_SENTENCE_END = re.compile(
    r"(?<=[a-z0-9)\]%*`]{2})(?<!\bal)(?<!\bvs)(?<!\bcf)(?<!\bFig)[.!?](?=\s+[A-Z(`*$])"
)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_TAKEAWAY = re.compile(r"^\s*\**take-away", re.IGNORECASE)


# -- words and text ------------------------------------------------------------------------------
def word_count(text: str) -> int:
    """Words as the audience reads them: whitespace-separated tokens with a letter or digit."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$]+\$", " x ", text, flags=re.DOTALL)  # a formula reads as one
    text = re.sub(r"<[^>]+>|[*_`#|]", " ", text)
    return sum(bool(re.search(r"\w", token)) for token in text.split())


def code_words(code: str) -> int:
    """Words of highlighted code as the audience reads them: every name and number counts."""
    return len(re.findall(r"[A-Za-z0-9_]+", code))


def _lines(text: str, chars: int) -> int:
    return sum(max(1, -(-len(line) // chars)) for line in text.splitlines() or [""])


def _first_sentence(text: str) -> str:
    match = _SENTENCE_END.search(text)
    return text[: match.end()] if match else text


_REFERENCE = re.compile(
    r"^(?P<authors>[A-Z][\w.'-]*(?:,? [A-Z][\w.'-]*)*)\. \*(?P<title>[^*]+?)\.?\*(?P<rest>.*)$"
)


def _reference(text: str) -> str | None:
    """A reference ("A. Krizhevsky, I. Sutskever. *Title.* Venue (2012).") as its first author,
    year and title ("Krizhevsky et al. 2012: *Title*"): the authors alone say little on a slide."""
    match = _REFERENCE.match(" ".join(text.split()))
    if match is None:
        return None
    authors = match["authors"].split(", ")
    year = re.search(r"\b(?:19|20)\d\d\b", match["rest"])
    return (
        f"{authors[0].split()[-1]}{' et al.' if len(authors) > 1 else ''}"
        f"{' ' + year[0] if year else ''}: *{match['title']}*"
    )


def _cap(text: str, words: int, cut: bool = False) -> str | None:
    """``text``'s first sentence, or the part of it before a ';' or a dash, if it has at most
    ``words`` words; else, with ``cut``, its first ``words`` words and an ellipsis. A reference
    shows as its first author, year and title."""
    reference = _reference(text)
    if reference is not None and word_count(reference) <= words:
        return reference
    sentence = _first_sentence(" ".join(text.split()))
    if word_count(sentence) <= words:
        return sentence
    for part in (re.split(r";\s", sentence)[0], re.split(r"\s[—–]\s", sentence)[0]):
        if 3 <= word_count(part) <= words and part.count("(") == part.count(")"):
            return part.rstrip(";,: ")
    if cut:
        return _balanced(" ".join(sentence.split()[:words])).rstrip(";,:.") + " …"
    return None


def _balanced(text: str) -> str:
    """``text`` up to an inline formula, code span or emphasis it would leave open."""
    for mark in ("$", "`", "**", "*"):
        while text.count(mark) % 2:
            text = text[: text.rindex(mark)].rstrip()
    return text


def _blocks(source: str) -> list[str]:
    """Markdown blocks: paragraphs, lists, display formulas and fenced code kept whole."""
    blocks, current, fence = [], [], False
    for line in source.splitlines():
        if line.strip().startswith("```"):
            fence = not fence
        if not line.strip() and not fence and not (current and _open_maths("\n".join(current))):
            if current:
                blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _open_maths(text: str) -> bool:
    return text.count("$$") % 2 == 1


def _is_list(block: str) -> bool:
    return bool(re.match(r"^\s*(?:[-*+]|\d+\.)\s", block))


def _bullets(block: str) -> list[str]:
    items: list[str] = []
    for line in block.splitlines():
        if re.match(r"^\s*(?:[-*+]|\d+\.)\s", line):
            items.append(re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", line))
        elif items:
            items[-1] += " " + line.strip()
    return items


def lead(source: str) -> tuple[list[str], str]:
    """The visible part of a markdown cell's text (no heading): blocks of markdown, and the
    text left for the notes ('' when everything shows)."""
    blocks = [b for b in _blocks(source) if not _HEADING.match(b.strip())]
    shown: list[str] = []
    for index, block in enumerate(blocks[:3]):
        text = block.strip()
        if text.startswith("$$"):
            shown.extend(_display_maths(text))
            break
        if _is_list(text):
            words = 0
            for item in _bullets(text)[:_BULLETS]:
                item = _cap(item, _BULLET_WORDS, cut=True)
                words += word_count(item)
                if words > _LIST_WORDS:
                    break
                shown.append(f"- {item}")
            break
        if text.startswith(("```", "<", "|")):
            break
        sentence = _cap(text, _LEAD_WORDS)
        shown.extend([sentence] if sentence else [])
        # the section's formula ("A block computes $$...$$") shows, even without its sentence
        formula = next((b.strip() for b in blocks[index + 1 : index + 3] if b.strip().startswith("$$")), "")
        shown.extend(_display_maths(formula) if formula else [])
        break
    whole = "\n\n".join(blocks)
    return shown, ("" if "\n\n".join(shown) == whole else whole)


def _display_maths(block: str) -> list[str]:
    """A display formula as one or more formulas short enough for the slide (split at \\qquad)."""
    tex = block.strip().strip("$").strip()
    parts = [p.strip().rstrip(",").strip() for p in re.split(r"\\qquad|\\quad", tex) if p.strip()]
    parts = [p.removesuffix(".").strip() for p in parts]
    if all(_maths_width(p) <= _MATHS_CHARS for p in parts):
        return [f"$${p}$$" for p in parts]
    return []


def _maths_width(tex: str) -> int:
    tex = re.sub(r"\\(?:text|mathrm|mathbf|operatorname)\{([^}]*)\}", r"\1", tex)
    tex = re.sub(r"\\(?:big|Big|left|right|,|;|!)", "", tex)
    tex = re.sub(r"\\[a-zA-Z]+", "x", tex)
    return len(re.sub(r"[{}\s^_]", "", tex)) + tex.count(" ") // 2


# -- items: what a slide can hold ------------------------------------------------------------------
@dataclasses.dataclass
class Item:
    """One thing on a slide: a cell to show, its size, the notes that go with it."""

    cell: dict
    height: int
    words: int = 0
    figure: tuple[int, int] | None = None  # natural width and height of a figure
    fragment: bool = False
    notes: list[str] = dataclasses.field(default_factory=list)
    keep_with_next: bool = False


def _markdown(source: str) -> dict:
    import nbformat

    return nbformat.v4.new_markdown_cell(source)


def _text_height(source: str) -> int:
    height = 0
    for block in source.split("\n\n"):
        if block.startswith("$$"):
            height += _MATHS_HEIGHT
        elif block.startswith("<pre"):
            height += _LINE["pre"] * _lines(html.unescape(re.sub(r"<[^>]+>", "", block)), _PRE_CHARS) + _GAP
        elif block.startswith("|") or block.startswith("<table"):
            height += _TABLE_ROW * (block.count("\n") + 1 if block.startswith("|") else block.count("<tr"))
        else:
            height += sum(_LINE["text"] * _lines(line, _TEXT_CHARS) for line in block.splitlines()) + _GAP
    return height


def _text_item(source: str, fragment: bool, notes: list[str] | None = None) -> Item:
    return Item(
        _markdown(source), _text_height(source), word_count(source), fragment=fragment, notes=notes or []
    )


def _pre(text: str) -> str:
    return f'<pre class="cnn-output">{html.escape(text)}</pre>'


def _fence(source: str, language: str = "python") -> str:
    return f"```{language}\n{source.rstrip()}\n```"


def take_away(text: str) -> tuple[str | None, str]:
    """An output's take-away as it shows (its first sentence, capped) and the rest of the text."""
    lines = text.rstrip().splitlines()
    for index, line in enumerate(lines):
        if _TAKEAWAY.match(line):
            paragraph = " ".join(lines[index:]).split("  ")[0]
            short = _cap(_without_label(paragraph), _TAKEAWAY_WORDS)
            return (f"**Take-away:** {_literal(short)}" if short else None), text
    return None, text


def _without_label(text: str) -> str:
    """A take-away's text without its "Take-away:" label."""
    return re.sub(r"^\s*\**take-away\.?:?\**\s*", "", text, flags=re.IGNORECASE)


def _literal(text: str) -> str:
    """Printed text as markdown that shows it as it is (no emphasis, maths or tags)."""
    return re.sub(r"([\\`*_$\[\]<>])", r"\\\1", text)


def shown_code(cell: dict) -> bool:
    """Whether a code cell's source is the point: a few short lines, with no figure and at most a
    couple of lines of text out (a one-line check, a constructor)."""
    lines = cell["source"].strip().splitlines()
    if not lines or len(lines) > _CODE_LINES or max(map(len, lines)) > _CODE_CHARS:
        return False
    if any(line.lstrip().startswith(("import ", "from ", "#")) for line in lines):
        return False
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if set(data) - {"text/plain"}:
            return False
        text = output.get("text") or data.get("text/plain", "")
        if len(str(text).splitlines()) > 2:
            return False
    return True


def _png_size(png_b64: str) -> tuple[int, int]:
    header = base64.b64decode(png_b64[:64])
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("image/png: expected a PNG (its signature is missing)")
    return struct.unpack(">II", header[16:24])


def _figure_cell(output: dict, width: int, height: int) -> dict:
    import nbformat

    output = copy.deepcopy(output)
    output["data"] = {"image/png": output["data"]["image/png"]}
    output["metadata"] = {"image/png": {"width": width, "height": height}}
    cell = nbformat.v4.new_code_cell("", outputs=[output])
    cell.metadata["cnnlessons_figure"] = True
    return cell


def _listing(page: str) -> tuple[str, str] | None:
    """A source listing's caption and the lines that show: a class's ``forward`` method, or else
    a function's closing statements (where it builds what it returns), dedented; None if neither
    fits in ``_LISTING_LINES``."""
    if not re.search(r"<pre[^>]*>", page):
        return None
    lines = _plain(page).rstrip().splitlines()
    bold = re.search(r"<b>(.*?)</b>", page, flags=re.DOTALL)
    name = (
        html.unescape(re.sub(r"<[^>]+>", "", bold.group(1))).split("(")[0].strip().split(".")[-1]
        if bold
        else ""
    )
    start = next((i for i, line in enumerate(lines) if re.match(r"\s*def forward\(", line)), None)
    if start is not None:
        indent = _indent(lines[start])
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].strip() and _indent(lines[i]) <= indent),
            len(lines),
        )
        body, caption = lines[start:end], f"`{name}.forward`:"
    elif lines and lines[0].startswith("def "):
        after = _after_docstring(lines)
        statements = [i for i, line in enumerate(lines) if i >= after and line.strip() and _indent(line) == 4]
        start = next((i for i in statements if len(lines) - i <= _LISTING_LINES // 3 * 2), None)
        if start is None:
            return None
        body, caption = lines[start:], f"`{name}`, its last lines:"
    else:
        return None
    indent = min(_indent(line) for line in body if line.strip())
    body = [line[indent:] for line in body]
    while body and not body[-1].strip():
        body.pop()
    return (caption, "\n".join(body)) if len(body) <= _LISTING_LINES else None


def _after_docstring(lines: list[str]) -> int:
    """The index of a function listing's first line after its signature and docstring."""
    body = next((i for i, line in enumerate(lines) if i and _indent(line) == 4 and line.strip()), len(lines))
    text = lines[body].strip().lstrip("r") if body < len(lines) else ""
    quote = text[:3]
    if quote not in {'"' * 3, "'" * 3}:
        return body
    if text.count(quote) >= 2:
        return body + 1
    return next((i + 1 for i in range(body + 1, len(lines)) if quote in lines[i]), len(lines))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _table(markdown: str) -> tuple[str, bool] | None:
    """A markdown table cut to the leading columns that fit the slide, and whether it was cut."""
    rows = [r for r in markdown.strip().splitlines() if r.strip().startswith("|")]
    if len(rows) < 3:
        return None
    cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
    for keep in range(len(cells[0]), 1, -1):
        cut = [row[:keep] for row in cells]
        widths = [max(len(row[i]) for row in cut if i < len(row)) for i in range(keep)]
        words = sum(word_count(" ".join(row)) for row in cut[:1] + cut[2:])
        if sum(widths) + 3 * keep <= _TABLE_CHARS and words <= _WORD_BUDGET - 16:
            shown = "\n".join("| " + " | ".join(row) + " |" for row in cut)
            if keep < len(
                cells[0]
            ):  # say so on the slide: a lecturer must not present half a table as all of it
                shown += f"\n\n*{len(cells[0]) - keep} more columns in the notes*"
            return shown, keep < len(cells[0])
    return None


def _output_items(cell: dict, fragment: bool, announced: bool = False) -> list[Item]:
    """The outputs of a code cell as slide items; what does not show goes to their notes.
    ``announced``: a take-away cell above ("Take-away (printed below):") says the printout is one."""
    items: list[Item] = []
    outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
    figures = any("image/png" in o.get("data", {}) for o in outputs)
    streams = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    said = figures  # a figure or a take-away makes the other text notes only
    for output in outputs:
        data = output.get("data", {})
        if "image/png" in data:
            width, height = _png_size(data["image/png"])
            items.append(Item(output, 0, figure=(width, height), fragment=fragment))
            said = True
        elif MIMETYPE in data:
            continue  # the closing ledger slide shows it
        elif "text/html" in data:
            listing = _listing(data["text/html"])
            if listing:
                caption, code = listing
                items.append(_text_item(f"{caption}\n\n{_fence(code)}", fragment))
                items[-1].height = _LINE["text"] + _LINE["pre"] * _lines(code, _PRE_CHARS) + 2 * _GAP
                items[-1].words = word_count(caption) + code_words(code)
                items[-1].notes.append("The whole listing:\n\n" + _fence(_plain(data["text/html"])))
            else:
                items.append(_text_item("", fragment, notes=[data["text/html"]]))
        elif "text/markdown" in data:
            items.extend(_markdown_output(data["text/markdown"], fragment))
        elif output.get("output_type") in {"display_data", "execute_result"} and "text/plain" in data:
            if not figures and not re.match(r"^<\w+[^>]*object", data["text/plain"]):
                items.append(_text_item(_pre(data["text/plain"][-400:]), fragment))
    if streams.strip():
        short, full = take_away(streams)
        if not short and announced:
            short, full = take_away("Take-away: " + streams)
        if short:
            items.append(_text_item(short, fragment, notes=[_fence(full, "text")]))
        elif said:
            items.append(_text_item("", fragment, notes=[_fence(full, "text")]))
        else:
            lines = [
                line for line in streams.rstrip().splitlines() if re.search(r"\w", line)
            ]  # no rules (====)
            tail = _tail(lines)
            notes = [_fence(streams, "text")] if tail != "\n".join(lines) else []
            items.append(_text_item(_pre(tail), fragment, notes=notes))
    # a take-away stays with the figure above it
    for before, after in zip(items, items[1:], strict=False):
        if before.figure and after.words and not after.figure:
            before.keep_with_next = True
    return items


def _numeric(line: str) -> bool:
    tokens = line.split()
    return bool(tokens) and sum(bool(re.fullmatch(r"[-+]?[\d.,]+%?", t)) for t in tokens) >= len(tokens) / 2


def _tail(lines: list[str]) -> str:
    """The last lines of a printout, at most ``_OUTPUT_LINES`` and ``_TAIL_WORDS`` words; a table
    of numbers keeps its header line."""
    if len(lines) > _OUTPUT_LINES and not _numeric(lines[0]) and all(map(_numeric, lines[1:])):
        return (
            "\n".join([lines[0]] + lines[-(_OUTPUT_LINES - 1) :])
            if word_count("\n".join([lines[0]] + lines[-(_OUTPUT_LINES - 1) :])) <= _TAIL_WORDS
            else _tail(lines[1:])
        )
    kept: list[str] = []
    for line in reversed(lines[-_OUTPUT_LINES:]):
        if word_count("\n".join([line] + kept)) > _TAIL_WORDS:
            break
        kept.insert(0, line)
    if not kept and lines:
        kept = [" ".join(lines[-1].split()[:_TAIL_WORDS]) + " …"]
    return "\n".join(kept)


def _plain(page: str) -> str:
    pre = re.search(r"<pre[^>]*>(.*?)</pre>", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "", pre.group(1) if pre else page))


def _markdown_output(markdown: str, fragment: bool) -> list[Item]:
    """A computed sentence or table (Markdown a cell printed, e.g. with ``views.say``): its lead on
    the slide, tagged ``COMPUTED_TAG``, the rest in the notes."""
    table = _table(markdown)
    if table:
        shown, cut = table
        note = ["The whole table:\n\n" + markdown] if cut else []
        item = _text_item(shown, fragment, notes=note)
    else:
        shown, rest = lead(markdown)
        item = _text_item("\n\n".join(shown), fragment, notes=[rest] if rest else [])
    item.cell.metadata["tags"] = [COMPUTED_TAG]
    return [item]


# -- the slides ----------------------------------------------------------------------------------
@dataclasses.dataclass
class Slide:
    """One slide being filled: its headline, items and notes."""

    kind: str  # "slide" or "subslide"
    heading: str
    items: list[Item] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def used(self) -> int:
        return _heading_height(self.heading) + sum(item.height + _GAP for item in self.items)

    @property
    def words(self) -> int:
        return word_count(self.heading) + sum(item.words for item in self.items)

    @property
    def has_figure(self) -> bool:
        return any(item.figure for item in self.items)


def _heading_height(heading: str) -> int:
    match = _HEADING.match(heading.strip())
    if not match:
        return 0
    level = f"h{min(len(match.group(1)), 3)}"
    chars = {"h1": 44, "h2": _HEAD_CHARS, "h3": 70}[level]
    return _LINE[level] * _lines(match.group(2), chars) + _GAP


def _groups(cells: list) -> Iterator[tuple[str, list]]:
    """The cells of each slide or subslide of the notebook, with its kind."""
    kind, group = "slide", []
    for cell in cells:
        slide_type = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if slide_type == "skip":
            continue
        if slide_type in {"slide", "subslide"} and group:
            yield kind, group
            group = []
        if slide_type in {"slide", "subslide"} or not group:
            kind = slide_type if slide_type in {"slide", "subslide"} else kind
        group.append(cell)
    if group:
        yield kind, group


def _split_heading(source: str) -> tuple[str | None, str]:
    lines = source.strip().splitlines()
    if lines and _HEADING.match(lines[0]):
        return lines[0], "\n".join(lines[1:])
    return None, source


class _Deck:
    """Packs items into slides within the budgets."""

    def __init__(self) -> None:
        self.slides: list[Slide] = []

    def start(self, kind: str, heading: str) -> Slide:
        self.slides.append(Slide(kind, heading))
        return self.slides[-1]

    def add(self, items: list[Item], heading: str) -> None:
        for index, item in enumerate(items):
            reserve = items[index + 1] if item.keep_with_next and index + 1 < len(items) else None
            self._place(item, heading, reserve)

    def _place(self, item: Item, heading: str, reserve: Item | None) -> None:
        slide = self.slides[-1]
        after = (reserve.height + _GAP) if reserve else 0
        if item.figure:
            fits = (
                not slide.has_figure
                and slide.used + _FIGURE_MIN + after <= _BUDGET
                and slide.words + (reserve.words if reserve else 0) <= _WORD_BUDGET
            )
            if not fits:
                slide = self.start("subslide", _continued(heading))
            width, height = _fit(item.figure, _BUDGET - slide.used - after - _GAP)
            item.cell = _figure_cell(item.cell, width, height)
            item.height = height
        elif item.cell.get("source", "").strip() or item.cell.get("outputs"):
            alone = _heading_height(_continued(heading)) + item.height
            if alone > _BUDGET or word_count(heading) + item.words > _WORD_BUDGET:
                # too much for any slide: the speaker has it, the audience does not
                slide.notes.extend(item.notes or [item.cell.get("source", "")])
                return
            if slide.used + item.height > _BUDGET or slide.words + item.words > _WORD_BUDGET:
                slide = self.start("subslide", _continued(heading))
        else:  # nothing to show: only its notes
            slide.notes.extend(item.notes)
            return
        slide.items.append(item)
        slide.notes.extend(item.notes)


def _continued(heading: str) -> str:
    match = _HEADING.match(heading.strip())
    return f"### {match.group(2)}" if match else heading


def _fit(size: tuple[int, int], room: int) -> tuple[int, int]:
    width, height = size
    room = min(_FIGURE_MAX, max(room, _FIGURE_MIN))
    # grow a small figure a little, and a short wide one as far as a third of the slide
    scale = min(_CONTENT_WIDTH / width, room / height, max(_UPSCALE, _FIGURE_MIN / height))
    return round(width * scale), round(height * scale)


def _ledger(claims: list[dict], heading: str) -> list[Slide]:
    """The closing slides: each claim, shortened, and its verdict; the figures in the notes."""
    slides: list[Slide] = []
    rows: list[tuple[str, str]] = []

    def close() -> None:
        table = ["| claim | verdict |", "|---|---|"] + [f"| {c} | **{v}** |" for c, v in rows]
        part = f" ({len(slides) + 1})" if len(claims) > len(rows) or slides else ""
        slide = Slide("slide" if not slides else "subslide", heading + part)
        slide.items.append(_text_item("\n".join(table), False))
        slides.append(slide)

    words = word_count(heading) + 3
    for claim in claims:
        text = _short_claim(str(claim.get("claim", claim.get("id", ""))))
        verdict = str(claim.get("verdict", ""))
        row_words = word_count(text) + word_count(verdict)
        if rows and (words + row_words > _WORD_BUDGET - 6 or len(rows) >= 7):
            close()
            rows, words = [], word_count(heading) + 3
        rows.append((text, verdict))
        words += row_words
    if rows:
        close()
    cell = lambda claim, *keys: " ".join(str(claim.get(k, "")) for k in keys).replace("|", "/")  # noqa: E731
    notes = ["| claim | paper | this run | verdict |", "|---|---|---|---|"] + [
        f"| {cell(c, 'id', 'claim')} | {cell(c, 'paper')} | {cell(c, 'measured')} | {cell(c, 'verdict')} "
        f"({cell(c, 'reason')}) |"
        for c in claims
    ]
    slides[0].notes.append("\n".join(notes))
    return slides


def _short_claim(claim: str, words: int = 13) -> str:
    claim = claim.replace("|", "/")
    tokens = claim.split()
    if len(tokens) <= words:
        return claim
    return _cap(claim, words, cut=True) or claim


def _is_ledger(cell: dict) -> bool:
    return any(MIMETYPE in o.get("data", {}) for o in cell.get("outputs", []))


def _fill(deck: _Deck, kind: str, group: list, section: str, claims: list[dict]) -> str:
    """Add one slide group of the notebook to ``deck``; returns the section heading now current."""
    first = group[0]
    heading, _ = _split_heading(first.source) if first.cell_type == "markdown" else (None, "")
    if heading and heading.startswith("## "):
        section = heading
    if claims and any(_is_ledger(c) for c in group):
        slides = _ledger(claims, heading or "## Claims ledger")
        slides[0].kind = kind
        for cell in group:
            if cell.cell_type == "markdown":
                slides[0].notes.append(_split_heading(cell.source)[1])
        deck.slides.extend(slides)
        return section
    items: list[Item] = []
    announced = False
    for cell in group:
        fragment = cell.metadata.get("slideshow", {}).get("slide_type") == "fragment"
        if cell.cell_type == "markdown":
            # "Take-away (the figures printed below):": the next printout is the take-away
            announced = bool(_TAKEAWAY.match(cell.source.strip())) and cell.source.strip().endswith(":")
            if announced:
                items.append(_text_item("", fragment, notes=[cell.source]))
                continue
            own, body = _split_heading(cell.source)
            if own and cell is not first:
                items.append(_text_item(own, fragment))
            shown, rest = lead(body)
            if _TAKEAWAY.match(body.strip()):
                short = _cap(_without_label(body.strip()), _TAKEAWAY_WORDS)
                shown, rest = ([f"**Take-away:** {short}"] if short else []), body
            items.append(_text_item("\n\n".join(shown), fragment, notes=[rest] if rest.strip() else []))
        elif cell.cell_type == "code":
            code = shown_code(cell) and not announced
            outputs = _output_items(cell, fragment or announced, announced)
            announced = False
            if code:
                shown_cell = copy.deepcopy(cell)
                shown_cell.outputs = [o for o in cell.outputs if "image/png" not in o.get("data", {})]
                text = (
                    cell.source.strip()
                    + "\n"
                    + "".join(
                        o.get("text", "") or o.get("data", {}).get("text/plain", "")
                        for o in shown_cell.outputs
                    )
                )
                items.append(
                    Item(
                        shown_cell,
                        _LINE["pre"] * (_lines(text, _PRE_CHARS) + 1) + 2 * _GAP,
                        code_words(text),
                        fragment=fragment,
                    )
                )
                outputs = [o for o in outputs if o.figure]
            elif cell.source.strip():
                if outputs:
                    outputs[0].notes.insert(0, _fence(cell.source))
                else:
                    items.append(_text_item("", fragment, notes=[_fence(cell.source)]))
            items.extend(outputs)
    visible = [i for i in items if i.figure or i.cell.get("source", "").strip() or i.cell.get("outputs")]
    if (
        heading is None
        and deck.slides
        and all(not i.figure and i.cell.cell_type == "markdown" for i in visible)
    ):
        for item in items:  # prose without a headline of its own: the previous slide's notes
            deck.slides[-1].notes.extend(item.notes or [item.cell.source])
        return section
    deck.start(kind, heading or _continued(section))
    deck.add(items, heading or section)
    return section


def lecture_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` recut into lecture slides (see the module's docstring).

    Cells of type ``skip`` are left out; the result's cells carry ``slideshow`` metadata and
    the speaker notes are cells of type ``notes``.
    """
    import nbformat

    if not isinstance(nb, dict) or "cells" not in nb:
        raise TypeError(f"nb: expected a notebook (nbformat.NotebookNode), got {type(nb).__name__}")
    claims = nb.get("metadata", {}).get("cnnlessons", {}).get("claims", [])
    deck, section = _Deck(), ""
    for kind, group in _groups(nb.cells):
        section = _fill(deck, kind, group, section, claims)
    out = copy.deepcopy(nb)
    out.cells = []
    for slide in deck.slides:
        out.cells.extend(_cells(slide))
    if not out.cells:
        raise ValueError("nb: every cell is skipped, there is nothing to make slides of")
    return nbformat.from_dict(out)


def _cells(slide: Slide) -> list:
    head = _markdown(slide.heading)
    head.metadata["slideshow"] = {"slide_type": slide.kind}
    cells = [head]
    fragment_open = False
    for item in slide.items:
        cell = item.cell
        if cell.cell_type == "code":
            cell.metadata.setdefault("transient", {})
            cell.metadata["transient"]["remove_source"] = not shown_code(cell) or not cell.source.strip()
        kind = "fragment" if item.fragment and not fragment_open else "-"
        fragment_open = item.fragment
        cell.metadata["slideshow"] = {"slide_type": kind}
        cells.append(cell)
    notes = [n.strip() for n in slide.notes if n and n.strip()]
    if notes:
        cell = _markdown("\n\n".join(notes))
        cell.metadata["slideshow"] = {"slide_type": "notes"}
        cells.append(cell)
    return cells
