"""Lecture slides: offline assets, plumbing cells skipped, the slide count, the command line.

Building every lesson and opening the slides in Chromium is tests/browser/test_slides.py.
"""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbconvert")

from cnnlessons.__main__ import main  # noqa: E402
from cnnlessons.instructor.slides import (  # noqa: E402
    ASSETS,
    WIDGET_NOTE,
    build_slides,
    remote_assets,  # noqa: E402
    slide_count,
    slide_notebook,
)

LICENCES = [
    "reveal.js/LICENSE",
    "reveal.js/dist/theme/fonts/source-sans-pro/LICENSE",
    "mathjax/LICENSE",
    "requirejs/LICENSE",
    "jquery/LICENSE.txt",
]


def _slide(kind: str) -> dict:
    return {"slideshow": {"slide_type": kind}}


def lesson() -> nbformat.NotebookNode:
    """A small lesson: badge and setup cells, two sections with maths, a take-away, a widget."""
    v4 = nbformat.v4
    widget = v4.new_output(
        "display_data",
        data={
            "application/vnd.jupyter.widget-view+json": {
                "model_id": "abc",
                "version_major": 2,
                "version_minor": 0,
            },
            "text/plain": "VBox(children=(Button(description='Train'),))",
        },
    )
    return v4.new_notebook(
        cells=[
            v4.new_markdown_cell(
                "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                "(https://colab.research.google.com/)",
                metadata={"tags": ["colab-badge"]},
            ),
            v4.new_code_cell("profile = setup_notebook()", metadata={"tags": ["setup"]}),
            v4.new_markdown_cell(
                "# 09 · A lesson\n\nSee [the paper](https://arxiv.org/abs/1512.03385).",
                metadata=_slide("slide"),
            ),
            v4.new_markdown_cell("## 1. Skips\n\n$$y = F(x) + x$$", metadata=_slide("slide")),
            v4.new_markdown_cell("**Take-away.** The identity is free.", metadata=_slide("fragment")),
            v4.new_code_cell("explorer", metadata=_slide("subslide"), outputs=[widget]),
            v4.new_code_cell("import helpers", metadata=_slide("skip")),
        ]
    )


def test_plumbing_cells_are_skipped_and_widget_views_become_a_note():
    nb = slide_notebook(lesson())
    sources = "\n".join(cell.source for cell in nb.cells)
    assert (
        "colab-badge" not in sources and "setup_notebook" not in sources and "import helpers" not in sources
    )
    widget = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if WIDGET_NOTE in o.get("data", {}).get("text/plain", "")
    ]
    assert widget and widget[0]["data"] == {"text/plain": WIDGET_NOTE}
    assert "application/vnd.jupyter.widget-view+json" in lesson().cells[5].outputs[0]["data"], (
        "slide_notebook must not change the notebook it is given"
    )
    # title, section 1 (with its fragment), the explorer's sub-slide; the skipped cells none
    assert slide_count(lesson()) == 3


def test_a_questions_answer_is_revealed_on_a_click():
    v4 = nbformat.v4
    nb = lesson()
    answer = v4.new_output("stream", name="stdout", text="tanh: 8 epochs, ReLU: 15\n")
    nb.cells[5:5] = [
        v4.new_markdown_cell("## Questions\n\nWhich gets to 25% first?", metadata={"tags": ["question"]}),
        v4.new_code_cell("print(answer)", metadata={"tags": ["question-answer"]}, outputs=[answer]),
    ]
    cells = slide_notebook(nb).cells
    question = next(i for i, c in enumerate(cells) if "Which gets to 25% first?" in c.source)
    shown = [c for c in cells[question:] if "tanh: 8 epochs" in c.source + str(c.get("outputs", ""))]
    assert shown and shown[0].metadata["slideshow"]["slide_type"] == "fragment"


def test_remote_assets_finds_what_a_page_would_load_and_not_links():
    page = (
        '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" '
        "href=\"http://cdn.example/y.css\"><img src='https://img.example/z.png'>"
        '<style>@import "https://fonts.example/f.css"; b {background: url(https://i.example/b.png)}</style>'
        '<a href="https://arxiv.org/abs/1512.03385">paper</a><script src="slides_assets/r.js"></script>'
    )
    assert remote_assets(page) == [
        "https://cdn.example/x.js",
        "http://cdn.example/y.css",
        "https://img.example/z.png",
        "https://fonts.example/f.css",
        "https://i.example/b.png",
    ]


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
    local = [
        "slides_assets/reveal.js/dist/reveal.js",
        "slides_assets/reveal.js/dist/theme/white.css",
        "slides_assets/requirejs/require.js",
        "slides_assets/jquery/jquery.min.js",
        "slides_assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    ]
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


# -- the lecture cut: one rule at a time ----------------------------------------------------------
from cnnlessons.instructor.lecture import (  # noqa: E402
    MAX_WORDS,
    SLIDE_HEIGHT,
    lead,
    lecture_notebook,  # noqa: E402
    shown_code,
    take_away,
    word_count,
)


def png(width: int, height: int) -> str:
    """A real PNG of the given size, base64 as a notebook stores it."""
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def figure(width: int = 800, height: int = 300) -> dict:
    return nbformat.v4.new_output(
        "display_data",
        data={"image/png": png(width, height), "text/plain": "<Figure size 800x300 with 1 Axes>"},
    )


def stream(text: str) -> dict:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def cut(cells: list, **metadata) -> list[dict]:
    """The lecture slides of a notebook of ``cells``: heading, visible cells and notes of each."""
    nb = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    slides: list[dict] = []
    for cell in lecture_notebook(nb).cells:
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind in {"slide", "subslide"}:
            slides.append({"kind": kind, "heading": cell.source, "shown": [], "notes": ""})
        elif kind == "notes":
            slides[-1]["notes"] += cell.source
        else:
            slides[-1]["shown"].append(cell)
    return slides


def visible_text(slide: dict) -> str:
    parts = [slide["heading"]]
    for cell in slide["shown"]:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        else:
            if not cell.metadata.get("transient", {}).get("remove_source"):
                parts.append(cell.source)
            parts += [
                o.get("text", "") or o.get("data", {}).get("text/plain", "")
                for o in cell.outputs
                if "image/png" not in o.get("data", {})
            ]
    return "\n".join(parts)


PROSE = (
    "## 1. Skips\n\nA residual block adds its input to its output. "
    + "It trains deeper networks. " * 40
    + "\n\nMore prose that only the speaker needs, " * 5
)


def test_markdown_keeps_heading_and_first_sentence_and_the_prose_goes_to_the_notes():
    [slide] = cut([nbformat.v4.new_markdown_cell(PROSE, metadata=_slide("slide"))])
    assert slide["heading"] == "## 1. Skips"
    assert visible_text(slide).strip().endswith("A residual block adds its input to its output.")
    assert (
        "It trains deeper networks. It trains" in slide["notes"]
        and "only the speaker needs" in slide["notes"]
    )


def test_lead_rules_sentences_initials_long_sentences_formulas_and_bullets():
    assert lead("He et al. (2016) showed it. Then more.")[0] == ["He et al. (2016) showed it."]
    assert lead("K. He, X. Zhang. *Deep Residual Learning.* CVPR.")[0] == [
        "He et al.: *Deep Residual Learning*"
    ]
    papers = (
        "- A. Krizhevsky, I. Sutskever, G. E. Hinton. *ImageNet Classification with Deep Convolutional\n"
        "  Neural Networks.* Advances in Neural Information "
        "Processing Systems 25 (NIPS 2012), pp. 1097-1105.\n"
        "- A. Krizhevsky. *One weird trick for parallelizing convolutional neural networks.*\n"
        "  arXiv:1404.5997 (2014).\n"
        "- V. Nair and G. E. Hinton, Rectified linear units, 2010."
    )
    assert lead(papers)[0] == [
        "- Krizhevsky et al. 2012: *ImageNet Classification with Deep Convolutional Neural Networks*",
        "- Krizhevsky 2014: *One weird trick for parallelizing convolutional neural networks*",
        "- V. Nair and G. E. Hinton, Rectified linear units, 2010.",
    ], "not a reference's shape: as before"
    long = "word " * 40 + "end."
    assert lead(long)[0] == [], "a first sentence over the cap shows nothing (it is all in the notes)"
    assert lead("Short clause here; " + "then a very long tail " * 10 + ".")[0] == ["Short clause here"]
    shown, _ = lead(
        "A block computes\n\n$$\\text{out} = f(x) + x, \\qquad f = \\text{conv} \\to \\text{BN}.$$"
    )
    assert shown == ["A block computes", "$$\\text{out} = f(x) + x$$", "$$f = \\text{conv} \\to \\text{BN}$$"]
    wide = "$$" + " + ".join(f"a_{{{i}}} b_{{{i}}}" for i in range(30)) + "$$"
    assert lead(f"It is\n\n{wide}")[0] == ["It is"], "a formula too wide for the slide stays in the notes"
    bullets = "\n".join(f"- Point {i}: " + "many words here " * 10 for i in range(6))
    shown, rest = lead(bullets)
    assert 1 <= len(shown) <= 4 and all(line.endswith("…") for line in shown) and rest == bullets
    assert sum(word_count(line) for line in shown) <= 56


def test_code_source_goes_to_the_notes_unless_short_with_a_small_output():
    long_code = "\n".join(f"value_{i} = compute({i})" for i in range(12))
    cells = [
        nbformat.v4.new_markdown_cell("## Code", metadata=_slide("slide")),
        nbformat.v4.new_code_cell(long_code, outputs=[stream("a\nb\nc\nd\ne\nthe last line\n")]),
        nbformat.v4.new_code_cell("check(block)", outputs=[stream("ok: the block passes\n")]),
    ]
    [slide] = cut(cells)
    text = visible_text(slide)
    assert "value_3" not in text and "value_3 = compute(3)" in slide["notes"]
    assert "the last line" in text and "\na\n" not in text, "a long output shows its last lines"
    assert "check(block)" in text and "ok: the block passes" in text
    assert not shown_code(nbformat.v4.new_code_cell("import torch"))
    assert not shown_code(nbformat.v4.new_code_cell("x = 1", outputs=[stream("1\n2\n3\n")]))
    assert not shown_code(nbformat.v4.new_code_cell("plot()", outputs=[figure()]))


def test_take_away_shows_its_first_sentence_and_the_printout_goes_to_the_notes():
    printout = (
        "plain-8 error 53.7%\nResNet-8 error 54.8%\n\nTake-away: deeper plain nets train worse. "
        "Every seed agrees, and more detail follows here.\n"
    )
    short, full = take_away(printout)
    assert short == "**Take-away:** deeper plain nets train worse." and full == printout
    assert take_away("no verdict here\n")[0] is None
    [slide] = cut(
        [
            nbformat.v4.new_markdown_cell("## Result", metadata=_slide("slide")),
            nbformat.v4.new_code_cell(
                "run()", outputs=[figure(), stream(printout)], metadata=_slide("fragment")
            ),
        ]
    )
    assert "plain-8 error" not in visible_text(slide) and "plain-8 error" in slide["notes"]
    assert "deeper plain nets train worse." in visible_text(slide)


def test_each_figure_gets_a_slide_of_its_own_at_least_a_third_of_the_slide_high():
    cells = [
        nbformat.v4.new_markdown_cell("## Curves\n\nTwo figures.", metadata=_slide("slide")),
        nbformat.v4.new_code_cell("plot()", outputs=[figure(800, 300), figure(400, 100), figure(300, 900)]),
    ]
    slides = cut(cells)
    assert [s["kind"] for s in slides] == ["slide", "subslide", "subslide"]
    assert slides[1]["heading"] == "### Curves", "a continued slide repeats its section's headline"
    for slide in slides:
        [shown] = [c for c in slide["shown"] if c.cell_type == "code"]
        size = shown.outputs[0]["metadata"]["image/png"]
        assert size["height"] >= SLIDE_HEIGHT / 3 and size["width"] <= 1200, size
    with pytest.raises(ValueError, match="image/png"):
        cut(
            [
                nbformat.v4.new_code_cell(
                    "x",
                    outputs=[nbformat.v4.new_output("display_data", data={"image/png": "bm90IGEgcG5n" * 8})],
                )
            ]
        )


def test_no_slide_holds_more_than_its_words_whatever_the_notebook_holds():
    words = "word " * 30
    cells = [nbformat.v4.new_markdown_cell("## Full\n\n" + PROSE, metadata=_slide("slide"))]
    cells += [
        nbformat.v4.new_code_cell(
            "x", outputs=[stream(f"Take-away: {words}then a clause; {words}.\n")], metadata=_slide("fragment")
        )
        for _ in range(4)
    ]
    cells += [
        nbformat.v4.new_code_cell("print(table)", outputs=[stream(("a b c d e f g h " * 12 + "\n") * 3)])
    ]
    slides = cut(cells)
    assert len(slides) >= 2
    for slide in slides:
        assert word_count(visible_text(slide)) <= MAX_WORDS, visible_text(slide)


def test_a_prose_only_subslide_becomes_the_previous_slides_notes():
    slides = cut(
        [
            nbformat.v4.new_markdown_cell("## One\n\nLead.", metadata=_slide("slide")),
            nbformat.v4.new_markdown_cell("More to say about one.", metadata=_slide("subslide")),
        ]
    )
    assert len(slides) == 1 and "More to say about one." in slides[0]["notes"]


def test_ledger_becomes_closing_slides_of_claims_and_verdicts_with_the_figures_in_the_notes():
    claims = [
        {
            "id": f"x.claim{i}",
            "claim": f"claim number {i} holds " + "with a long condition " * 4,
            "paper": "Table 3",
            "measured": f"{i}.5 points (seeds 0: 1, 1: 2)",
            "verdict": "shown",
            "reason": "every seed agrees",
        }
        for i in range(8)
    ]
    ledger = nbformat.v4.new_code_cell(
        "show_ledger()",
        outputs=[
            nbformat.v4.new_output(
                "display_data",
                data={
                    "application/vnd.cnnlessons.claims+json": {},
                    "text/html": "<table></table>",
                    "text/plain": "ledger",
                },
            )
        ],
    )
    slides = cut(
        [nbformat.v4.new_markdown_cell("## Claims ledger\n\nEvery claim.", metadata=_slide("slide")), ledger],
        cnnlessons={"claims": claims},
    )
    assert len(slides) >= 2 and slides[0]["heading"].startswith("## Claims ledger")
    tables = "\n".join(visible_text(s) for s in slides)
    assert tables.count("**shown**") == 8 and "| claim | verdict |" in tables
    assert "1.5 points (seeds 0: 1, 1: 2)" in slides[0]["notes"] and "Every claim." in slides[0]["notes"]
    assert all(word_count(visible_text(s)) <= MAX_WORDS for s in slides)


def test_source_listing_shows_its_forward_and_a_wide_table_its_leading_columns():
    listing = (
        '<div><b>pkg.Block  (pkg.py, line 1)</b><div class="highlight"><pre>class Block(nn.Module):\n'
        "    def __init__(self):\n        super().__init__()\n        self.a = 1\n\n"
        "    def forward(self, x):\n        return self.a + x\n</pre></div></div>"
    )
    wide = (
        "| model | "
        + " | ".join(f"column {i} of the table" for i in range(8))
        + " |\n|---" * 9
        + "|\n"
        + "| AlexNet | "
        + " | ".join(str(i) for i in range(8))
        + " |\n"
    )
    slides = cut(
        [
            nbformat.v4.new_markdown_cell("## Code", metadata=_slide("slide")),
            nbformat.v4.new_code_cell(
                "show_source(Block)",
                outputs=[
                    nbformat.v4.new_output(
                        "display_data", data={"text/html": listing, "text/plain": "<HTML object>"}
                    )
                ],
            ),
            nbformat.v4.new_code_cell(
                "table()",
                outputs=[
                    nbformat.v4.new_output(
                        "display_data", data={"text/markdown": wide, "text/plain": "table"}
                    )
                ],
            ),
        ]
    )
    text = "\n".join(visible_text(s) for s in slides)
    notes = "\n".join(s["notes"] for s in slides)
    assert "def forward(self, x):\n    return self.a + x" in text and "__init__" not in text
    assert "__init__" in notes and "column 7 of the table" in notes and "column 7" not in text
    assert "| model | column 0 of the table" in text
    header = next(line for line in text.splitlines() if line.startswith("| model |"))
    hidden = 8 - header.count("column ")
    assert f"{hidden} more columns in the notes" in text


def test_bad_notebooks_are_refused_with_what_was_expected():
    with pytest.raises(TypeError, match="nb: expected a notebook"):
        lecture_notebook(["not", "a", "notebook"])
    with pytest.raises(ValueError, match="nothing to make slides of"):
        lecture_notebook(
            nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", metadata=_slide("skip"))])
        )


def test_pdf_without_chromium_says_what_is_missing(tmp_path, monkeypatch, capsys):
    from cnnlessons.instructor.slides import chromium

    monkeypatch.setenv("PATH", str(tmp_path))  # no program at all on the PATH
    monkeypatch.delenv("CNNLESSONS_CHROMIUM", raising=False)
    with pytest.raises(RuntimeError, match="--pdf needs Chromium, and none of chromium"):
        chromium()
    monkeypatch.setenv("CNNLESSONS_CHROMIUM", "no-such-chromium")
    with pytest.raises(RuntimeError, match="CNNLESSONS_CHROMIUM='no-such-chromium'"):
        chromium()
    source = tmp_path / "09_lesson.ipynb"
    nbformat.write(lesson(), source)
    assert main(["slides", str(source), "--out", str(tmp_path / "out"), "--pdf"]) == 2
    assert "no-such-chromium" in capsys.readouterr().err
    assert not (tmp_path / "out").exists(), "--pdf checks for Chromium before building anything"


def test_an_announced_take_away_is_the_first_sentence_of_the_printout_below_it():
    [slide] = cut(
        [
            nbformat.v4.new_markdown_cell("## Gradients", metadata=_slide("slide")),
            nbformat.v4.new_markdown_cell(
                "Take-away (the figures printed below):", metadata=_slide("fragment")
            ),
            nbformat.v4.new_code_cell(
                "report()",
                outputs=[
                    stream(
                        "With He init the first layer gets 1.09 times the last: no vanishing. More detail.\n"
                        "=======\n"
                    )
                ],
            ),
        ]
    )
    text = visible_text(slide)
    assert "**Take-away:** With He init the first layer gets 1.09 times the last: no vanishing." in text
    assert (
        "printed below" not in text and "printed below" in slide["notes"] and "More detail." in slide["notes"]
    )
    assert any(c.metadata["slideshow"]["slide_type"] == "fragment" for c in slide["shown"])


def test_a_printed_table_keeps_its_header_with_its_last_rows():
    rows = "input  3x3 s2  2x2 s2\n" + "".join(f"{n}  {n // 2}  {n // 2}\n" for n in (13, 32, 16, 64, 9))
    [slide] = cut(
        [
            nbformat.v4.new_markdown_cell("## Pooling", metadata=_slide("slide")),
            nbformat.v4.new_code_cell(
                "for n in sizes:\n    print(n)\n    more(n)\n    and_more(n)", outputs=[stream(rows)]
            ),
        ]
    )
    text = visible_text(slide)
    assert "input  3x3 s2  2x2 s2\n64  32  32\n9  4  4" in text and "13  6" not in text


def test_a_cut_bullet_never_leaves_maths_code_or_emphasis_open():
    for opener, closer in (("$a + b", " + c$"), ("`a = b", " + c`"), ("*a much", " longer phrase*")):
        shown, _ = lead("- " + "word " * 16 + opener + closer + " and more words after it.")
        [line] = shown
        assert line == "- " + " ".join(["word"] * 16) + " …", line


def test_a_function_listing_shows_its_closing_statements_and_a_clause_keeps_its_brackets_closed():
    function = (
        "<b>pkg.conv_bn  (pkg.py, line 1)</b><div "
        'class="highlight"><pre>def conv_bn(c: int) -&gt; nn.Sequential:\n'
        '    """Conv then BN.\n\n    More about it.\n    """\n    check(c)\n    check_more(c)\n'
        "    layers = [nn.Conv2d(c, c, 3)]\n"
        "    layers.append(nn.BatchNorm2d(c))\n    return nn.Sequential(*layers)\n</pre></div>"
    )
    [slide] = cut(
        [
            nbformat.v4.new_markdown_cell("## Unit", metadata=_slide("slide")),
            nbformat.v4.new_code_cell(
                "show_source(conv_bn)",
                outputs=[
                    nbformat.v4.new_output(
                        "display_data", data={"text/html": function, "text/plain": "<HTML object>"}
                    )
                ],
            ),
        ]
    )
    text = visible_text(slide)
    assert "`conv_bn`, its last lines:" in text
    assert "check(c)\ncheck_more(c)\nlayers" in text and "return nn.Sequential(*layers)" in text
    assert "More about it" not in text and "More about it" in slide["notes"]
    long = "The naive block (its Figure 2a: the branches read the input; " + "and more words " * 12 + ")."
    assert lead(long)[0] == []
