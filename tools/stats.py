"""How much a stored notebook says, and how much of what it prints is plumbing.

    python tools/stats.py            # or: python tools/notebooks.py stats

Per notebook: the words of prose (markdown cells and the ``text/markdown`` that code renders;
not code, not the Colab badge or the build note), the printed lines (stdout, and the plain text
of displayed outputs; not figures, widgets, the markup of HTML-only outputs or the claims
ledger's JSON), and the plumbing lines among them. A fold (``cnnlessons.views.plumbing``, marked
as plumbing) shows one line, its summary: that line is printed plumbing, and the lines inside it are
counted apart as folded. Plumbing printed without a fold (a recipe's description, a time estimate,
a layer table, reference lines, as the library words them) is recognised by ``PLUMBING_LINE``.
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
PLUMBING_LINE = re.compile(
    r"^(\S+/\S+: .+"  # a recipe's first line, "02_vggnet/vgg: the scaled-down VGG"
    r"|  \d+ epochs, batch \d+.*|  [^:]+: build_model\(.*"  # its budget and runs
    r"|Estimated training time on .*|  .+: \d+ epochs x .* -> about .*|  total: about .*"  # an estimate
    r"|=+|-+|Layer \(type:depth-idx\).*|(Total|Trainable|Non-trainable) params: .*"  # torchinfo
    r"|Total mult-adds.*|Input size \(MB\).*|Forward/backward pass size.*|Params size \(MB\).*"
    r"|Estimated Total Size.*|[│├└┌┐┘┬┴┼─].*|\S.*\s{2,}\[-?\d+, .*\]\s+[\d,–-]+.*"
    r"|Reference \(.*)$"  # a reference run's line
)
"""Lines of plumbing printed without a fold, as the library words them."""
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
    """Printed lines that are plumbing: a fold's summary line, or plumbing printed unfolded."""
    folded: int = 0
    """Lines inside folds (one click away, not printed)."""

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


def _plumbing(text: str) -> int:
    return sum(bool(PLUMBING_LINE.match(line)) for line in text.rstrip("\n").splitlines())


def output_counts(output: Mapping) -> tuple[int, int, int, int]:
    """``(words, printed lines, plumbing lines, folded lines)`` of one cell output."""
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text", "")
        return (0, _lines(text), _plumbing(text), 0) if output.get("name") == "stdout" else (0, 0, 0, 0)
    if kind not in ("display_data", "execute_result"):
        return 0, 0, 0, 0
    data = output.get("data", {})
    if "text/markdown" in data:
        return prose_words(data["text/markdown"]), 0, 0, 0
    plain = data.get("text/plain", "")
    if any(m.startswith(UNSEEN) for m in data) or _PLACEHOLDER.match(plain.strip()):
        return 0, 0, 0, 0
    lines = _lines(plain)
    if is_plumbing(output.get("metadata", {})):  # a fold: its summary shows, the rest is a click away
        return 0, 1, 1, max(lines - 1, 0)
    return 0, lines, _plumbing(plain), 0


def notebook_stats(nb: nbformat.NotebookNode, name: str = "") -> NotebookStats:
    """The counts of a notebook (read by ``nbformat``)."""
    words = printed = plumbing = folded = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if not BOILERPLATE_TAGS & set(cell.get("metadata", {}).get("tags", [])):
                words += prose_words(cell.source)
            continue
        for output in cell.get("outputs", []):
            w, p, q, f = output_counts(output)
            words, printed, plumbing, folded = words + w, printed + p, plumbing + q, folded + f
    return NotebookStats(name, words, printed, plumbing, folded)


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
        "| notebook | words | printed lines | plumbing lines | plumbing % | folded lines |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s.name} | {s.words:,} | {s.printed:,} | {s.plumbing:,} | {s.plumbing_share:.0%} | {s.folded:,} |"
        for s in rows
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(stats_table())
