"""Prose that cannot go stale: find run-dependent figures typed into markdown cells.

A sentence that depends on a run (an accuracy, a time, an epoch count, a measured ratio) belongs in
a code cell's Markdown output, computed from the run; a markdown cell may state only what no run
changes. ``findings`` scans the markdown cells of a stored notebook for figures (percentages,
decimals, numbers with thousands separators, counts of epochs, seconds, minutes or images per
second, ratios, sizes such as 61M) and for a few phrases that state a run's outcome ("expect",
"came out", "about even"), and lets through only what the allow-list says may stand:

- a figure in a sentence that cites its source (``CITATIONS``: the paper, Table/Figure N,
  et al., a year in parentheses, ...);
- anything inside ``$...$`` / ``$$...$$`` math, backtick code spans or fenced code;
- a figure listed in ``CONSTANTS``, each with the one-word reason it is a fact and not a run.

The cell a build writes (tag ``build-note``) is generated from the build's record, never typed, and
is not scanned. ``check_lines`` is what ``tools/notebooks.py check`` runs: findings in a notebook of
``PENDING_REWRITE`` are printed but do not fail; anywhere else each one fails the check.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re

import nbformat

PENDING_REWRITE: frozenset[str] = frozenset()
"""The notebooks whose prose is not yet rewritten: ``check`` prints their findings without failing.
Take a notebook out of this set once its run-dependent sentences are computed."""

GENERATED_TAGS = frozenset({"build-note"})
"""Markdown cells written by code (``tools/notebooks.py``'s build note), not typed: not scanned."""

CONSTANTS: dict[str, str] = {
    # CIFAR-10 and its shares in the profiles
    "50,000": "dataset",
    "60,000": "dataset",
    "10,000": "dataset",
    "2,500": "profile",
    "1,000": "profile",
    # parameter counts the code computes deterministically from the architecture
    "147,456": "architecture",
    "40,960": "architecture",
    "4,096": "architecture",
    "25,600": "architecture",
    "23,328": "architecture",
    "102,764,544": "architecture",
    "61M": "architecture",
    "144M": "architecture",
    "6.6M": "architecture",
    "60 million": "architecture",
    "2.4 times": "architecture",
    "55%": "arithmetic",  # 27C² against 49C²
    "1.2 million": "dataset",  # ImageNet's training images
    "1 GB": "download",  # the five ImageNet checkpoints
    # ILSVRC winners' top-5 test error (Russakovsky et al.)
    "15.3%": "ILSVRC",
    "26.2%": "ILSVRC",
    "6.7%": "ILSVRC",
    "3.57%": "ILSVRC",
    "2.99%": "ILSVRC",
    "2.25%": "ILSVRC",
    # the course's settings: what a recipe or a layer is given, not what a run measures
    "25%": "setting",  # the paper's target training error, ours too
    "20 epochs": "setting",
    "0.1": "setting",
    "0.01": "setting",
    "0.03": "setting",
    "0.002": "setting",
    "0.5": "setting",
    "2.5 times": "setting",
    "14 times": "setting",
}
"""Figures that are facts, not runs, with the reason: a markdown cell may state them anywhere."""

CITATIONS = (
    r"\bpaper(?:'s|s)?\b",  # the paper, the ResNet paper, the paper's Table 1
    r"\b(?:Table|Figure|Fig\.)\s*\d",
    # "section N" alone names the lesson's own sections; a cited one is "(section 4.1" or "its section 5"
    r"\((?:the paper's |its )?section \d|\bits section \d",
    r"\bet al\.",
    r"\([^()]*\b(?:19|20)\d\d\)",  # a year in parentheses: (2014), (Krizhevsky, 2009), (NIPS 2012)
    r"\b[Tt]he (?:source|lecture|authors)(?:'s)?\b",
    r"\b[A-Z]\w*'s tutorial\b",
)
"""A sentence matching one of these cites where its figures come from."""

VERDICTS = (r"\bexpect(?:s|ed)?\b", r"\bcame out\b", r"\babout even\b")
"""Phrases that state or predict the outcome of the course's own run: flagged with or without a
figure, and whatever the sentence cites besides (the outcome is this run's, not the source's)."""

_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
_UNIT = (
    r"\s*(?:%|times\b|-fold\b|epochs?\b|seconds?\b|s\b|min(?:utes?)?\b|hours?\b"
    r"|images?(?:/s| per second)\b|[KMB]\b|million\b|billion\b|[KMG]i?B\b)|[x×](?!\w)"
)
# Not a number inside a word, a fraction or an arithmetic expression typed outside math (1/4, + 1).
_FIGURE = re.compile(rf"(?<![\w.,/+−·×])(?<![+−·×] ){_NUMBER}(?:\s*[-–]\s*{_NUMBER})?(?:{_UNIT})?(?!\w)")
_MASKED = re.compile(
    r"```.*?```|~~~.*?~~~|arXiv:[\d.]+|\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]*`|\]\([^)]*\)|<[^>\n]*>", re.DOTALL
)
_BLOCK_START = re.compile(r"\s*(?:#|[-*+] |\d+\. |\|)")
_SENTENCE_END = re.compile(r"(?<=[.!?])[)*_]*\s+(?=[A-Z(*_~\[])")
_CITATION = re.compile("|".join(CITATIONS))
_VERDICT = re.compile("|".join(VERDICTS), re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Finding:
    """One run-dependent figure (or outcome phrase) in a markdown cell."""

    notebook: str
    cell: int
    figure: str
    sentence: str

    def __str__(self) -> str:
        return f"{self.notebook}: cell {self.cell}: {self.figure!r} in: {self.sentence}"


def mask(text: str) -> str:
    """``text`` with math, code spans, fenced code, link targets and HTML tags blanked out (the same
    length, newlines kept), so that positions in it are positions in ``text``."""
    return _MASKED.sub(lambda m: re.sub(r"[^\n]", "~", m.group()), text)


def sentences(text: str) -> list[tuple[int, int]]:
    """The spans of ``text``'s sentences: a heading, list item or table row starts a new one, as does
    a blank line, and inside a paragraph a full stop, ! or ? before a capital."""
    blocks, start, pos = [], None, 0
    for line in text.splitlines(keepends=True):
        if not line.strip() or _BLOCK_START.match(line):
            if start is not None:
                blocks.append((start, pos))
            start = pos if line.strip() else None
        elif start is None:
            start = pos
        pos += len(line)
    if start is not None:
        blocks.append((start, pos))
    spans = []
    for begin, end in blocks:
        cut = begin
        for m in _SENTENCE_END.finditer(text, begin, end):
            spans.append((cut, m.start()))
            cut = m.end()
        spans.append((cut, end))
    return [(b, e) for b, e in spans if text[b:e].strip()]


def _shortened(sentence: str, at: int, width: int = 110) -> str:
    """``sentence`` on one line, cut to ``width`` characters around position ``at``."""
    flat = " ".join(sentence.split())
    at = len(" ".join(sentence[:at].split()))
    if len(flat) <= width:
        return flat
    begin = max(0, min(at - width // 3, len(flat) - width))
    return ("…" if begin else "") + flat[begin : begin + width] + ("…" if begin + width < len(flat) else "")


def cell_findings(source: str, notebook: str = "", cell: int = 0) -> list[Finding]:
    """The run-dependent figures and outcome phrases in one markdown cell's ``source``."""
    masked = mask(source)
    found = []
    for begin, end in sentences(masked):
        text = masked[begin:end]
        cited = bool(_CITATION.search(text))
        hits = [m for m in _VERDICT.finditer(text)]
        if not cited:
            hits += [m for m in _FIGURE.finditer(text) if is_figure(m.group())]
        for m in sorted(hits, key=lambda m: m.start()):
            figure = " ".join(m.group().split())
            if figure not in CONSTANTS:
                found.append(Finding(notebook, cell, figure, _shortened(source[begin:end], m.start())))
    return found


def is_figure(token: str) -> bool:
    """Whether a number as matched states a figure: it has a unit or a %, a decimal point or a
    thousands separator. Plain integers (3 layers, 2014, 0-255) do not."""
    return bool(re.search(r"[.,]\d|\D$", token))


def findings(nb: nbformat.NotebookNode, notebook: str = "") -> list[Finding]:
    """Every run-dependent figure typed into a markdown cell of ``nb``, named ``notebook``."""
    return [
        finding
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown" and not GENERATED_TAGS & set(cell.metadata.get("tags", []))
        for finding in cell_findings(cell.source, notebook, i)
    ]


def figure_problems(nb: nbformat.NotebookNode, notebook: str = "") -> list[str]:
    """``findings`` as lines: notebook, cell index, the figure and the sentence, shortened."""
    return [str(f) for f in findings(nb, notebook)]


REASON_WORDS = 40
"""A ledger row says why in at most this many words; the history of designs tried goes to docs/."""


def reason_problems(nb: nbformat.NotebookNode, notebook: str = "") -> list[str]:
    """A line for each ledger row (the notebook's metadata ``cnnlessons.claims``) whose ``why``
    runs past ``REASON_WORDS`` words."""
    rows = nb.metadata.get("cnnlessons", {}).get("claims") or []
    return [
        f"{notebook}: ledger row {row.get('id')}: its reason has {n} words; at most {REASON_WORDS}"
        for row in rows
        if isinstance(row, dict) and (n := len(str(row.get("why") or "").split())) > REASON_WORDS
    ]


def check_lines(
    notebook: str, nb: nbformat.NotebookNode, pending: frozenset[str] | None = None
) -> tuple[list[str], list[str]]:
    """(notes, problems) for ``check``: a notebook of ``pending`` (default ``PENDING_REWRITE``) gets
    its findings as notes, a count and then a line each, and no problem; any other notebook a
    problem per finding."""
    lines = figure_problems(nb, notebook) + reason_problems(nb, notebook)
    if not lines:
        return [], []
    if notebook in (PENDING_REWRITE if pending is None else pending):
        head = f"{notebook}: {len(lines)} stale figure(s) or long reason(s) (pending rewrite, not failing)"
        return [head] + ["  " + line for line in lines], []
    return [], [f"{line} (compute it, or see tools/prose.py's allow-list)" for line in lines]


def list_findings(names: list[str], folder: pathlib.Path) -> int:
    """Print every finding in the stored notebooks ``names`` of ``folder`` (all when empty), then a
    count per notebook: 1 when a notebook outside ``PENDING_REWRITE`` has one, 2 on a missing one."""
    targets = (
        [folder / f"{n.removesuffix('.py').removesuffix('.ipynb')}.ipynb" for n in names]
        if names
        else sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    )
    missing = [target for target in targets if not target.exists()]
    if missing:
        print("no such notebook: " + ", ".join(map(str, missing)))
        return 2
    counts = {}
    for target in targets:
        lines = figure_problems(nbformat.read(target, as_version=4), target.stem)
        for line in lines:
            print(line)
        counts[target.stem] = len(lines)
    for name, count in counts.items():
        print(f"{name}: {count}" + (" (pending rewrite)" if name in PENDING_REWRITE else ""))
    return 1 if any(count and name not in PENDING_REWRITE for name, count in counts.items()) else 0
