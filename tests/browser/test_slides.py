"""The lecture slides as a hall sees them: `cnnlessons slides` for every lesson, each opened from
file:// in headless Chromium with the network blocked, stepped through with the space bar.

Checks per lesson: no remote asset, no failed load, no script error; the slide count (at least
one slide per section, and as many as the lecture cut makes); a figure and a take-away show;
every formula was typeset by MathJax; speaker notes and a closing ledger slide. Then every slide,
at 1280x720 and at 1920x1080 (slide_checks.py): none scrolls, cuts a line, renders text under
20 px, shows more than 80 words or a figure under a third of the slide. A made-up overfull deck
shows that each of those checks fails when it should. Screenshots go to screenshots/, e.g.
screenshots/slides-02_vggnet-maths.png and slides-02_vggnet-ledger.png.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from jlab import NOTEBOOKS, ROOT, SCREENSHOTS
from slide_checks import measure_deck

from cnnlessons.course import LESSONS

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbconvert")

from cnnlessons.instructor.slides import ASSETS_DIR, build_slides, remote_assets  # noqa: E402

REVEAL = f"{ASSETS_DIR}/reveal.js/dist/reveal.js"
SECTION = re.compile(r"^## ", re.MULTILINE)

# The state of the deck after each key press, from reveal.js's own API (loaded through require.js).
STATE = (
    """async () => {
  const deck = await new Promise(resolve => require([%r], resolve));
  const slide = deck.getCurrentSlide();
  // the template re-typesets the maths of each new slide: wait until MathJax has done so
  const typeset = () => slide.querySelectorAll('.MathJax_CHTML').length;
  const tex = slide.querySelectorAll('script[type^="math/tex"]').length;
  for (let i = 0; i < 50 && typeset() < tex; i++) {
    await new Promise(resolve => MathJax.Hub.Queue(resolve));
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  // shown: laid out, and not inside a fragment still to come (opacity is mid-transition here)
  const shown = el => el.getBoundingClientRect().width > 0 && !el.closest('.fragment:not(.visible)');
  return {
    last: deck.isLastSlide() && !deck.availableFragments().next,
    total: deck.getTotalSlides(),
    figures: [...slide.querySelectorAll('img')]
      .filter(i => i.complete && i.naturalWidth > 0 && shown(i)).length,
    // a take-away: a fragment that reveals a sentence the lesson computed, or says it is one
    takeaways: [...slide.querySelectorAll('.fragment.visible')].filter(
        f => (f.querySelector('.celltag_computed') || /take-away/i.test(f.textContent)) && shown(f)).length,
    maths: tex > 0 && typeset() === tex ? tex : 0,
  };
}"""
    % REVEAL
)

MATHJAX_DONE = """() => window.MathJax && MathJax.Hub && MathJax.isReady
    && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running"""

MATHS = """() => ({
  tex: document.querySelectorAll('script[type^="math/tex"]').length,
  typeset: document.querySelectorAll('.MathJax_CHTML').length,
  errors: [...document.querySelectorAll('.MathJax_Error, .mjx-merror, [data-mjx-error]')]
    .map(e => e.textContent),
})"""


@pytest.fixture(scope="module")
def slides(browser_tools, tmp_path_factory):
    """Every stored lesson's slides, built once: {lesson: (Slides, notebook)}."""
    paths = [NOTEBOOKS / f"{name}.ipynb" for name in sorted(LESSONS)]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"not built yet: {', '.join(missing)}")
    built = build_slides(paths, tmp_path_factory.mktemp("slides"))
    return {
        b.page.name.removesuffix(".slides.html"): (b, nbformat.read(p, as_version=4))
        for b, p in zip(built, paths, strict=False)
    }


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_slides_show_offline(lesson, slides, browser):
    built, nb = slides[lesson]
    page_text = built.page.read_text(encoding="utf-8")
    assert remote_assets(page_text) == [], f"{built.page.name} loads assets over the network"
    sections = sum(len(SECTION.findall(c.source)) for c in nb.cells if c.cell_type == "markdown")
    assert built.slides > sections, (
        f"{lesson}: {built.slides} slides for {sections} sections; notebooks/{lesson}.py needs "
        "its slide metadata (a slide per section) and the notebook a rebuild"
    )

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    remote, failed, errors = [], [], []
    context.route(re.compile(r"^https?://"), lambda route: (remote.append(route.request.url), route.abort()))
    page = context.new_page()
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(built.page.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=30_000)
        page.wait_for_function(MATHJAX_DONE, timeout=60_000)
        maths = page.evaluate(MATHS)
        state = page.evaluate(STATE)
        assert state["total"] == built.slides, (
            f"{lesson}: reveal.js counts {state['total']} slides, "
            f"the notebook's metadata makes {built.slides}"
        )

        seen = {"figures": 0, "takeaways": 0, "maths": 0}
        shots: dict[str, str] = {}
        steps, limit = 0, 4 * len(nb.cells) + 10
        while True:
            for key in seen:
                if state[key] and not seen[key]:
                    page.wait_for_timeout(400)  # the slide transition
                    shots[key] = str(SCREENSHOTS / f"slides-{lesson}-{key}.png")
                    page.screenshot(path=shots[key])
                seen[key] += state[key]
            if state["last"] or steps >= limit:
                break
            page.keyboard.press("Space")
            steps += 1
            state = page.evaluate(STATE)
        lecture = page.evaluate(LECTURE)
        if lecture["ledger"]:
            page.evaluate(
                "([h, v]) => require([%r], deck => { deck.configure({transition: 'none'}); "
                "deck.slide(h, v, 99); })" % REVEAL,
                lecture["ledger"],
            )
            page.wait_for_timeout(200)
            page.screenshot(path=str(SCREENSHOTS / f"slides-{lesson}-ledger.png"))
        layout = {size: measure_deck(page, REVEAL, size) for size in ((1280, 720), (1920, 1080))}
        print(
            f"{lesson}: {built.slides} slides, {steps} steps, {maths['typeset']} formulas; "
            f"screenshots {', '.join(sorted(shots))}, ledger; 1280x720 {layout[(1280, 720)].counts()}"
        )
    finally:
        context.close()

    assert not remote, f"{lesson}: the slides asked the network for {remote[:3]}"
    assert not failed, f"{lesson}: could not load {failed[:3]} (a shipped asset is missing)"
    assert not errors, f"{lesson}: script errors {errors[:3]}"
    assert state["last"], f"{lesson}: still not at the last slide after {steps} presses of space"
    assert maths["typeset"] == maths["tex"] and not maths["errors"], (
        f"{lesson}: MathJax typeset {maths['typeset']} of "
        f"{maths['tex']} formulas, errors {maths['errors'][:3]}"
    )
    if maths["tex"]:
        assert seen["maths"], f"{lesson}: its LaTeX never showed as typeset maths on a slide"
    if any(o.get("data", {}).get("image/png") for c in nb.cells for o in c.get("outputs", [])):
        assert seen["figures"], f"{lesson}: no figure showed on any slide"
    shown = [
        c
        for c in nb.cells
        if c.metadata.get("slideshow", {}).get("slide_type") != "skip"
        and not {"setup", "colab-badge"} & set(c.metadata.get("tags", []))
    ]
    figures = sum("image/png" in o.get("data", {}) for c in shown for o in c.get("outputs", []))
    assert page_text.count("<img") == figures, (
        f"{lesson}: {page_text.count('<img')} figures on the slides, the notebook shows {figures}"
    )
    assert seen["takeaways"], f"{lesson}: no take-away showed as a fragment"
    assert lecture["notes"] >= built.slides // 2, (
        f"{lesson}: only {lecture['notes']} of {built.slides} slides have speaker notes"
    )
    assert lecture["numbered"], f"{lesson}: no slide number shows"
    if nb.metadata.get("cnnlessons", {}).get("claims"):
        assert lecture["ledger"], f"{lesson}: no closing slide with the claims ledger (claim and verdict)"
    for (width, height), verdicts in layout.items():
        faults = verdicts.report()
        assert not faults, f"{lesson} at {width}x{height}: {len(faults)} slides do not fit:\n" + "\n".join(
            faults
        )


# Speaker notes, the slide number, and where the closing ledger slide is (a table of verdicts).
LECTURE = (
    """async () => {
  const deck = await new Promise(resolve => require([%r], resolve));
  const slides = deck.getSlides();
  const heading = s => (s.querySelector('h1, h2, h3') || {}).textContent || '';
  const ledger = slides.find(s => /claims ledger/i.test(heading(s))
    && s.querySelector('table') && /verdict/i.test(s.querySelector('table').textContent));
  const number = document.querySelector('.reveal .slide-number');
  return {
    notes: slides.filter(s => s.querySelector('aside.notes')).length,
    numbered: !!number && number.getClientRects().length > 0 && /\\d/.test(number.textContent),
    ledger: ledger ? [deck.getIndices(ledger).h, deck.getIndices(ledger).v || 0] : null,
  };
}"""
    % REVEAL
)


def _png(width: int, height: int) -> str:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "steelblue").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _overfull_lesson() -> nbformat.NotebookNode:
    """A made-up lesson poured full: long prose, a long code cell, three figures, long printouts."""
    v4 = nbformat.v4
    prose = "A residual block adds its input to its output. " + "The speaker explains this at length. " * 60
    code = "\n".join(
        f"value_{i} = some_function_with_a_long_name(argument_{i}, another_argument_{i}) * {i}"
        for i in range(20)
    )
    figures = [
        v4.new_output("display_data", data={"image/png": _png(w, h), "text/plain": "<Figure>"})
        for w, h in ((800, 300), (400, 100), (300, 900))
    ]
    printout = "".join(
        f"row {i}: " + "a long printed line of numbers 1.234 5.678 " * 5 + "\n" for i in range(30)
    )
    return v4.new_notebook(
        cells=[
            v4.new_markdown_cell(
                "# 09 · An overfull lesson\n\n" + prose, metadata={"slideshow": {"slide_type": "slide"}}
            ),
            v4.new_markdown_cell(
                "## 1. Everything at once\n\n" + prose + "\n\n$$y = F(x) + x$$",
                metadata={"slideshow": {"slide_type": "slide"}},
            ),
            v4.new_code_cell(code, outputs=[v4.new_output("stream", name="stdout", text=printout)] + figures),
            v4.new_code_cell(
                "report()",
                metadata={"slideshow": {"slide_type": "fragment"}},
                outputs=[
                    v4.new_output("stream", name="stdout", text=printout + "Take-away: " + prose + "\n")
                ],
            ),
        ]
    )


# One slide per check, each failing that check alone; "fine" fails none.
OVERFULL = {
    "scroll": '<div style="height: 1400px">a tall box</div>',
    "cut": '<pre style="white-space: pre; overflow-x: auto">' + "total_" * 40 + " = 1" + "</pre>",
    "cut off the edge": '<p style="white-space: nowrap">' + "a line too long " * 12 + "</p>",
    "small text": '<p style="font-size: 14px">small print</p>',
    "words": "<p>" + "word " * 90 + "</p>",
    "small figure": f'<img src="data:image/png;base64,{_png(100, 60)}" style="width: 100px; height: 60px">',
    "fine": "<p>A few words.</p>",
}


def pdf_pages(pdf) -> int:
    """How many pages a PDF written by Chromium has (its page objects; 0 for an empty document)."""
    return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))


def test_the_checks_fail_on_an_overfull_slide_and_the_lecture_cut_passes_them(
    browser_tools, browser, tmp_path
):
    source = tmp_path / "09_overfull.ipynb"
    nbformat.write(_overfull_lesson(), source)
    [built] = build_slides([source], tmp_path / "out")
    page_text = built.page.read_text(encoding="utf-8")
    end = page_text.index("</div>\n</div>\n</main>")
    extra = "".join(f"<section><h2>{name}</h2>{body}</section>" for name, body in OVERFULL.items())
    planted = built.page.with_name("planted.slides.html")
    planted.write_text(page_text[:end] + extra + page_text[end:], encoding="utf-8")

    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        page.goto(planted.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=30_000)
        page.wait_for_function(MATHJAX_DONE, timeout=60_000)
        verdicts = measure_deck(page, REVEAL, (1280, 720))
        page.goto(built.page.as_uri() + "?print-pdf")
        page.wait_for_selector(".reveal.ready", timeout=30_000)
        # reveal.js lays the print pages out after "ready" (a loaded machine saw none yet): wait for them
        page.wait_for_function(
            f"() => document.querySelectorAll('.slide-number-pdf').length >= {built.slides}", timeout=30_000
        )
        numbers = page.evaluate(
            "() => [...document.querySelectorAll('.slide-number-pdf')].map(e => e.textContent)"
        )
    finally:
        page.close()
    lecture, planted_slides = verdicts.slides[: built.slides], verdicts.slides[built.slides :]
    assert len(lecture) >= 4, "the overfull lesson: a title, then a slide for each of its three figures"
    for slide in lecture:
        assert not verdicts.kinds(slide), f"the lecture cut: slide {slide['slide']} {verdicts.faults(slide)}"
    for (name, _), slide in zip(OVERFULL.items(), planted_slides, strict=False):
        expected = set() if name == "fine" else {"cut" if name.startswith("cut") else name}
        assert verdicts.kinds(slide) == expected, f"planted slide {name!r}: {verdicts.faults(slide)}"
    assert numbers == [str(i) for i in range(1, built.slides + 1)], f"print layout slide numbers {numbers}"
    # the command itself, in its own process (Playwright runs one driver per process)
    done = subprocess.run(
        [sys.executable, "-m", "cnnlessons", "slides", str(source), "--out", str(tmp_path / "pdf"), "--pdf"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    pdf = tmp_path / "pdf" / "09_overfull.pdf"
    assert pdf_pages(pdf) == built.slides, f"{pdf.name}: {pdf_pages(pdf)} pages for {built.slides} slides"
