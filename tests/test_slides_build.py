"""Lecture slides: offline assets, plumbing cells skipped, the slide count, the command line.

Building every lesson and opening the slides in Chromium is tests/browser/test_slides.py.
"""
from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbconvert")

from cnnlessons.__main__ import main  # noqa: E402
from cnnlessons.instructor.slides import (ASSETS, WIDGET_NOTE, build_slides, remote_assets,  # noqa: E402
                               slide_count, slide_notebook)

LICENCES = ["reveal.js/LICENSE", "reveal.js/dist/theme/fonts/source-sans-pro/LICENSE",
            "mathjax/LICENSE", "requirejs/LICENSE", "jquery/LICENSE.txt"]


def _slide(kind: str) -> dict:
    return {"slideshow": {"slide_type": kind}}


def lesson() -> nbformat.NotebookNode:
    """A small lesson: badge and setup cells, two sections with maths, a take-away, a widget."""
    v4 = nbformat.v4
    widget = v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2,
                                                     "version_minor": 0},
        "text/plain": "VBox(children=(Button(description='Train'),))"})
    return v4.new_notebook(cells=[
        v4.new_markdown_cell("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                             "(https://colab.research.google.com/)", metadata={"tags": ["colab-badge"]}),
        v4.new_code_cell("profile = setup_notebook()", metadata={"tags": ["setup"]}),
        v4.new_markdown_cell("# 09 · A lesson\n\nSee [the paper](https://arxiv.org/abs/1512.03385).",
                             metadata=_slide("slide")),
        v4.new_markdown_cell("## 1. Skips\n\n$$y = F(x) + x$$", metadata=_slide("slide")),
        v4.new_markdown_cell("**Take-away.** The identity is free.", metadata=_slide("fragment")),
        v4.new_code_cell("explorer", metadata=_slide("subslide"), outputs=[widget]),
        v4.new_code_cell("import helpers", metadata=_slide("skip")),
    ])


def test_plumbing_cells_are_skipped_and_widget_views_become_a_note():
    nb = slide_notebook(lesson())
    sources = "\n".join(cell.source for cell in nb.cells)
    assert "colab-badge" not in sources and "setup_notebook" not in sources and "import helpers" not in sources
    widget = [o for c in nb.cells for o in c.get("outputs", []) if WIDGET_NOTE in o.get("data", {}).get("text/plain", "")]
    assert widget and widget[0]["data"] == {"text/plain": WIDGET_NOTE}
    assert "application/vnd.jupyter.widget-view+json" in lesson().cells[5].outputs[0]["data"], \
        "slide_notebook must not change the notebook it is given"
    # title, section 1 (with its fragment), the explorer's sub-slide; the skipped cells none
    assert slide_count(lesson()) == 3


def test_remote_assets_finds_what_a_page_would_load_and_not_links():
    page = ('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" '
            'href="http://cdn.example/y.css"><img src=\'https://img.example/z.png\'>'
            '<style>@import "https://fonts.example/f.css"; b {background: url(https://i.example/b.png)}</style>'
            '<a href="https://arxiv.org/abs/1512.03385">paper</a><script src="slides_assets/r.js"></script>')
    assert remote_assets(page) == ["https://cdn.example/x.js", "http://cdn.example/y.css",
                                   "https://img.example/z.png", "https://fonts.example/f.css",
                                   "https://i.example/b.png"]


def test_built_slides_load_only_shipped_files(tmp_path):
    source = tmp_path / "09_lesson.ipynb"
    nbformat.write(lesson(), source)
    [built] = build_slides([source], tmp_path / "out")
    page = built.page.read_text(encoding="utf-8")
    assert built.title == "09 · A lesson" and built.slides == 3
    assert remote_assets(page) == []
    assert "colab-badge.svg" not in page and "setup_notebook" not in page
    assert 'class="fragment"' in page and WIDGET_NOTE in page
    assert "https://arxiv.org/abs/1512.03385" in page  # links stay
    local = ["slides_assets/reveal.js/dist/reveal.js", "slides_assets/reveal.js/dist/theme/white.css",
             "slides_assets/requirejs/require.js", "slides_assets/jquery/jquery.min.js",
             "slides_assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"]
    for url in local:
        assert url in page, f"the page does not load {url}"
        assert (tmp_path / "out" / url.split("?")[0]).is_file(), f"{url} was not copied"
    for licence in LICENCES:
        assert (tmp_path / "out" / "slides_assets" / licence).is_file(), f"{licence} was not copied"
    assert "09_lesson.slides.html" in (tmp_path / "out" / "index.html").read_text()


def test_every_shipped_package_has_its_licence_and_the_assets_stay_small():
    for licence in LICENCES:
        assert (ASSETS / licence).is_file(), licence
    size = sum(p.stat().st_size for p in ASSETS.rglob("*") if p.is_file())
    assert size < 4_000_000, f"slides_assets holds {size / 1e6:.1f} MB; keep it a few MB"


def test_command_writes_slides_and_rejects_what_is_not_a_notebook(tmp_path, capsys):
    source = tmp_path / "09_lesson.ipynb"
    nbformat.write(lesson(), source)
    assert main(["slides", str(source), "--out", str(tmp_path / "out")]) == 0
    assert "09_lesson.slides.html  (3 slides)" in capsys.readouterr().out
    assert main(["slides", str(tmp_path / "missing.ipynb"), "--out", str(tmp_path / "out")]) == 2
    assert "missing.ipynb" in capsys.readouterr().err


def test_a_page_that_would_load_a_remote_image_is_refused(tmp_path):
    nb = lesson()
    nb.cells.append(nbformat.v4.new_markdown_cell('<img src="https://example.org/figure.png">'))
    source = tmp_path / "09_lesson.ipynb"
    nbformat.write(nb, source)
    with pytest.raises(RuntimeError, match="https://example.org/figure.png"):
        build_slides([source], tmp_path / "out")
