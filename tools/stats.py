"""How much a stored notebook says, and how much of what it prints is plumbing.

    python tools/stats.py            # or: python tools/notebooks.py stats

Per notebook: the words of prose (markdown cells and the ``text/markdown`` that code renders;
not code, not the Colab badge or the build note), the printed lines (stdout, and the plain text
of displayed outputs; not figures, widgets, the markup of HTML-only outputs or the claims
ledger's JSON), and the plumbing lines among them: those of outputs marked as plumbing
(``cnnlessons.views.plumbing``, which folds them closed).
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
import sys
from collections.abc import Iterable, Mapping

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT))
from cnnlessons.views.plumbing import is_plumbing  # noqa: E402

MAX_WORDS = 2000
"""The most words of prose a lesson notebook may hold."""
MAX_PLUMBING = 0.15
"""The largest share of a lesson's printed lines that may be plumbing."""
BOILERPLATE_TAGS = frozenset({"colab-badge", "build-note"})
"""Markdown cells that are not prose: the Colab badge and the note a build inserts."""
UNSEEN = ("image/", "application/vnd.jupyter.widget")
"""Outputs whose ``text/plain`` is only a stand-in for what is shown (a figure, a widget)."""
_PLACEHOLDER = re.compile(r"^<[\w.]+ (object|object at 0x[0-9a-f]+)>$")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")


@dataclasses.dataclass(frozen=True)
class NotebookStats:
    """The counts of one notebook."""

    name: str
    words: int
    printed: int
    """Printed lines, plumbing included."""
    plumbing: int

    @property
    def plumbing_share(self) -> float:
        return self.plumbing / self.printed if self.printed else 0.0


def prose_words(markdown: str) -> int:
    """Words of a markdown text: fenced code, images, link targets and HTML tags left out; a
    word is a whitespace-separated token with a letter or digit in it."""
    text = _TAG.sub(" ", _LINK_TARGET.sub("]", _IMAGE.sub(" ", _FENCE.sub(" ", markdown))))
    return sum(any(c.isalnum() for c in token) for token in text.split())


def _lines(text: str) -> int:
    return len(text.rstrip("\n").splitlines())


def output_counts(output: Mapping) -> tuple[int, int, int]:
    """``(words, printed lines, plumbing lines)`` of one cell output."""
    kind = output.get("output_type")
    if kind == "stream":
        return (0, _lines(output.get("text", "")), 0) if output.get("name") == "stdout" else (0, 0, 0)
    if kind not in ("display_data", "execute_result"):
        return 0, 0, 0
    data = output.get("data", {})
    if "text/markdown" in data:
        return prose_words(data["text/markdown"]), 0, 0
    plain = data.get("text/plain", "")
    if any(m.startswith(UNSEEN) for m in data) or _PLACEHOLDER.match(plain.strip()):
        return 0, 0, 0
    lines = _lines(plain)
    return 0, lines, lines if is_plumbing(output.get("metadata", {})) else 0


def notebook_stats(nb: nbformat.NotebookNode, name: str = "") -> NotebookStats:
    """The counts of a notebook (read by ``nbformat``)."""
    words = printed = plumbing = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if not BOILERPLATE_TAGS & set(cell.get("metadata", {}).get("tags", [])):
                words += prose_words(cell.source)
            continue
        for output in cell.get("outputs", []):
            w, p, q = output_counts(output)
            words, printed, plumbing = words + w, printed + p, plumbing + q
    return NotebookStats(name, words, printed, plumbing)


def lesson_paths() -> list[pathlib.Path]:
    """The stored lesson notebooks."""
    return sorted(NOTEBOOKS.glob("0*.ipynb"))


def stats_table(paths: Iterable[pathlib.Path] | None = None) -> str:
    """A markdown table of the counts, one row per notebook."""
    rows = [
        notebook_stats(nbformat.read(path, as_version=4), path.stem)
        for path in (lesson_paths() if paths is None else paths)
    ]
    lines = [
        "| notebook | words | printed lines | plumbing lines | plumbing % |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s.name} | {s.words:,} | {s.printed:,} | {s.plumbing:,} | {s.plumbing_share:.0%} |" for s in rows
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(stats_table())
