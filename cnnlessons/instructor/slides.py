"""Lecture slides of the lessons: reveal.js, built by nbconvert from the stored outputs.

Nothing is executed: the slides show what the stored notebook shows. They work without network
(from a USB stick in a lecture hall): reveal.js, require.js, jQuery and MathJax are shipped in
``slides_assets/`` (with their licences) and copied next to the slides, and the exporter points
at that copy instead of the CDNs.

The slide structure is the cells' ``slideshow`` metadata, kept in the jupytext sources. Cells
tagged ``colab-badge`` or ``setup`` (added by the notebook build) never make a slide.

Each slide is a lecture cut of its section (``lecture.py``): a headline, one figure or one short
computation and a few lines, with the section's prose and code in the speaker notes (``s``).
``--pdf`` also prints each deck to a PDF with Chromium (reveal.js's ``?print-pdf`` layout, one
page per slide, numbered), for a learning-management system.

    python -m cnnlessons slides [NOTEBOOK ...] --out DIR [--pdf]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import html
import os
import re
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .lecture import SLIDE_HEIGHT, SLIDE_WIDTH, lecture_notebook
from .release import ANSWER

if TYPE_CHECKING:  # nbformat and nbconvert come with the `instructor` and `lab` extras
    import nbformat

__all__ = [
    "ASSETS",
    "CHROMIUM_NAMES",
    "SKIPPED_TAGS",
    "Slides",
    "add_arguments",
    "build_slides",
    "chromium",
    "print_pdf",
    "remote_assets",
    "run",
    "slide_count",
    "slide_notebook",
]

ASSETS = Path(__file__).resolve().parents[1] / "slides_assets"
"""The vendored scripts and styles; copied to ``<out>/slides_assets``."""
TEMPLATES = Path(__file__).resolve().parents[1] / "slides_template"
ASSETS_DIR = "slides_assets"

SKIPPED_TAGS = frozenset({"colab-badge", "setup"})
"""Cells with one of these tags are plumbing, never a slide."""

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "(a live explorer: present the notebook with RISE in JupyterLab to use it)"

# src="http...", href="http..." of a <link>, url(http...) and @import "http..." load something;
# a plain <a href="https://..."> is a link the audience may follow, not an asset.
_REMOTE = re.compile(
    r"""<(?:script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc\s*=\s*["']?(https?://[^"'\s>]+)"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(https?://[^"'\s>]+)"""
    r"""|url\(\s*["']?(https?://[^"')\s]+)"""
    r"""|@import\s+["'](https?://[^"']+)"""
    r"""|\bimport\s+\w+\s+from\s+["'](https?://[^"']+)""",
    re.IGNORECASE,
)


def remote_assets(page: str) -> list[str]:
    """The http(s) URLs that ``page`` (an HTML text) would load: scripts, styles, images, fonts."""
    return [next(g for g in match.groups() if g) for match in _REMOTE.finditer(page)]


def slide_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` recut for the lecture (``lecture.lecture_notebook``): plumbing cells
    skipped, widget views as a line of text, a question's answer revealed on a click (a fragment),
    the prose in the speaker notes."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if SKIPPED_TAGS.intersection(cell.metadata.get("tags", [])):
            cell.metadata.setdefault("slideshow", {})["slide_type"] = "skip"
        elif ANSWER in cell.metadata.get("tags", []):  # the class predicts first: the answer on a click
            cell.metadata.setdefault("slideshow", {})["slide_type"] = "fragment"
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                output["data"] = {"text/plain": WIDGET_NOTE}
    return lecture_notebook(nb)


def _exporter():
    from nbconvert import SlidesExporter

    prefix = ASSETS_DIR
    return SlidesExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name="cnnlessons",
        reveal_url_prefix=f"{prefix}/reveal.js",
        reveal_theme="white",  # the shipped theme (others import web fonts from Google)
        reveal_scroll=False,  # the lecture cut keeps every slide within the screen
        reveal_number="c/t",
        reveal_width=str(SLIDE_WIDTH),
        reveal_height=str(SLIDE_HEIGHT),
        require_js_url=f"{prefix}/requirejs/require.js",
        jquery_url=f"{prefix}/jquery/jquery.min.js",
        mathjax_url=f"{prefix}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        embed_images=True,
    )


def _notebooks(paths: Iterable[str | Path]) -> list[Path]:
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.glob("*.ipynb") if not p.name.startswith(".")))
        elif path.suffix == ".ipynb" and path.is_file():
            found.append(path)
        else:
            raise ValueError(f"notebooks: expected .ipynb files or folders holding them, got {str(path)!r}")
    return found


@dataclasses.dataclass(frozen=True)
class Slides:
    """One lesson's slides: the page written, its title and how many slides it has."""

    page: Path
    title: str
    slides: int


def _index(built: Sequence[Slides]) -> str:
    items = "\n".join(
        f'  <li><a href="{html.escape(b.page.name)}">{html.escape(b.title)}</a> ({b.slides} slides)</li>'
        for b in built
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Slides</title></head>\n'
        f"<body>\n<h1>Slides</h1>\n<ul>\n{items}\n</ul>\n</body>\n</html>\n"
    )


def _title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def build_slides(notebooks: Iterable[str | Path], out_dir: str | Path) -> list[Slides]:
    """Write ``<out_dir>/<name>.slides.html`` for each notebook, the assets and an ``index.html``.

    ``notebooks`` are ``.ipynb`` files or folders of them. Returns what was written, in order.
    Raises ValueError for a missing notebook, and RuntimeError if a page would load anything
    over the network.
    """
    import nbformat

    sources = _notebooks(notebooks)
    if not sources:
        raise ValueError("notebooks: no .ipynb found")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ASSETS, out / ASSETS_DIR, dirs_exist_ok=True, ignore=shutil.ignore_patterns("README.md"))
    exporter = _exporter()
    built: list[Slides] = []
    for source in sources:
        nb = nbformat.read(source, as_version=4)
        body, _ = exporter.from_notebook_node(
            slide_notebook(nb), resources={"metadata": {"name": source.stem, "path": str(source.parent)}}
        )
        # the speaker view copies the notes without MathJax's styles: their maths stays TeX
        body = body.replace('<aside class="notes">', '<aside class="notes tex2jax_ignore">')
        remote = remote_assets(body)
        if remote:
            raise RuntimeError(
                f"{source.name}: the slides would load {remote[0]} over the network "
                f"({len(remote)} remote asset(s)); make it a local file or skip its cell"
            )
        page = out / f"{source.stem}.slides.html"
        page.write_text(body, encoding="utf-8")
        built.append(Slides(page, _title(nb, source.stem), slide_count(nb)))
    (out / "index.html").write_text(_index(built), encoding="utf-8")
    return built


def slide_count(nb: nbformat.NotebookNode) -> int:
    """How many slides reveal.js steps through for ``nb`` (vertical sub-slides count, fragments don't)."""
    from nbconvert.exporters.slides import _RevealMetadataPreprocessor

    marked, _ = _RevealMetadataPreprocessor().preprocess(slide_notebook(nb), {})
    return sum(bool(cell.metadata.get("subslide_start")) for cell in marked.cells)


CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""The programs ``--pdf`` looks for on the PATH (the variable CNNLESSONS_CHROMIUM names another)."""


def chromium() -> str:
    """The Chromium to print with: $CNNLESSONS_CHROMIUM, else the first of CHROMIUM_NAMES found.

    Raises RuntimeError naming what is missing.
    """
    named = os.environ.get("CNNLESSONS_CHROMIUM")
    if named:
        if shutil.which(named):
            return shutil.which(named)
        raise RuntimeError(f"CNNLESSONS_CHROMIUM={named!r}: no such program")
    for name in CHROMIUM_NAMES:
        if shutil.which(name):
            return shutil.which(name)
    raise RuntimeError(
        f"--pdf needs Chromium, and none of {', '.join(CHROMIUM_NAMES)} is on the PATH "
        "(install it, e.g. `apt-get install chromium`, or set CNNLESSONS_CHROMIUM)"
    )


# reveal.js has laid out one print page per slide and MathJax has typeset every formula
PRINT_READY = """n => document.querySelectorAll('.reveal .pdf-page').length >= n
    && window.MathJax && MathJax.isReady && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running"""


def print_pdf(decks: Sequence[Slides], browser: str | None = None, timeout: float = 120) -> list[Path]:
    """Print each deck to ``<name>.pdf`` next to its page with headless Chromium, in reveal.js's
    print layout (``?print-pdf``: a page per slide, each numbered). Returns the PDFs written.

    Chromium is driven by Playwright (``browser``: the program, else ``chromium()``); raises
    RuntimeError naming what is missing, or when a deck does not finish its print layout.
    """
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        raise RuntimeError(
            "--pdf needs the Python package playwright (`pip install playwright`; it drives "
            "the Chromium installed on this machine, no `playwright install` needed)"
        ) from error
    program = browser or chromium()
    written: list[Path] = []
    with sync_playwright() as driver:
        chrome = driver.chromium.launch(
            executable_path=program,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            for deck in decks:
                pdf = deck.page.with_name(deck.page.name.removesuffix(".slides.html") + ".pdf")
                tab = chrome.new_page()
                try:
                    tab.goto(deck.page.resolve().as_uri() + "?print-pdf")
                    tab.wait_for_function(PRINT_READY, arg=deck.slides, timeout=timeout * 1000)
                    tab.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
                except Error as error:
                    raise RuntimeError(
                        f"{deck.page.name}: Chromium did not print the slides: {str(error).splitlines()[0]}"
                    ) from error
                finally:
                    tab.close()
                written.append(pdf)
        finally:
            chrome.close()
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``slides`` command's arguments."""
    parser.add_argument(
        "notebooks",
        metavar="NOTEBOOK",
        nargs="*",
        help="stored notebooks or folders of them (default: notebooks/)",
    )
    parser.add_argument("--out", default="slides", help="where to write the slides (default: slides)")
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="also print each deck to <name>.pdf with Chromium (one page per slide)",
    )


def run(args: argparse.Namespace) -> int:
    """The ``slides`` command: build, then say what was written and how to open it."""
    try:
        browser = chromium() if args.pdf else None  # before the build: say at once what is missing
        built = build_slides(args.notebooks or ["notebooks"], args.out)
        pdfs = print_pdf(built, browser) if args.pdf else []
    except (ValueError, RuntimeError) as error:
        print(f"slides: {error}", file=sys.stderr)
        return 2
    for one in built:
        print(f"{one.page}  ({one.slides} slides)")
    for pdf in pdfs:
        print(pdf)
    print(f"open {Path(args.out) / 'index.html'} in a browser; the folder works without network")
    return 0
