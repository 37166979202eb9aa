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

import pytest

from cnnlessons.course import LESSONS
from jlab import NOTEBOOKS, SCREENSHOTS
from slide_checks import measure_deck

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbconvert")

from cnnlessons.instructor.slides import ASSETS_DIR, build_slides, remote_assets  # noqa: E402

REVEAL = f"{ASSETS_DIR}/reveal.js/dist/reveal.js"
SECTION = re.compile(r"^## ", re.MULTILINE)

# The state of the deck after each key press, from reveal.js's own API (loaded through require.js).
STATE = """async () => {
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
    figures: [...slide.querySelectorAll('img')].filter(i => i.complete && i.naturalWidth > 0 && shown(i)).length,
    takeaways: [...slide.querySelectorAll('.fragment.visible')].filter(
        f => /take-away/i.test(f.textContent) && shown(f)).length,
    maths: tex > 0 && typeset() === tex ? tex : 0,
  };
}""" % REVEAL

MATHJAX_DONE = """() => window.MathJax && MathJax.Hub && MathJax.isReady
    && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running"""

MATHS = """() => ({
  tex: document.querySelectorAll('script[type^="math/tex"]').length,
  typeset: document.querySelectorAll('.MathJax_CHTML').length,
  errors: [...document.querySelectorAll('.MathJax_Error, .mjx-merror, [data-mjx-error]')].map(e => e.textContent),
})"""


@pytest.fixture(scope="module")
def slides(browser_tools, tmp_path_factory):
    """Every stored lesson's slides, built once: {lesson: (Slides, notebook)}."""
    paths = [NOTEBOOKS / f"{name}.ipynb" for name in sorted(LESSONS)]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"not built yet: {', '.join(missing)}")
    built = build_slides(paths, tmp_path_factory.mktemp("slides"))
    return {b.page.name.removesuffix(".slides.html"): (b, nbformat.read(p, as_version=4))
            for b, p in zip(built, paths)}


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_slides_show_offline(lesson, slides, browser):
    built, nb = slides[lesson]
    page_text = built.page.read_text(encoding="utf-8")
    assert remote_assets(page_text) == [], f"{built.page.name} loads assets over the network"
    sections = sum(len(SECTION.findall(c.source)) for c in nb.cells if c.cell_type == "markdown")
    assert built.slides > sections, (
        f"{lesson}: {built.slides} slides for {sections} sections; notebooks/{lesson}.py needs "
        "its slide metadata (a slide per section) and the notebook a rebuild")

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
            f"{lesson}: reveal.js counts {state['total']} slides, the notebook's metadata makes {built.slides}")

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
            page.evaluate("([h, v]) => require([%r], deck => deck.slide(h, v, 99))" % REVEAL, lecture["ledger"])
            page.wait_for_timeout(900)
            page.screenshot(path=str(SCREENSHOTS / f"slides-{lesson}-ledger.png"))
        layout = {size: measure_deck(page, REVEAL, size) for size in ((1280, 720), (1920, 1080))}
        print(f"{lesson}: {built.slides} slides, {steps} steps, {maths['typeset']} formulas; "
              f"screenshots {', '.join(sorted(shots))}, ledger; 1280x720 {layout[(1280, 720)].counts()}")
    finally:
        context.close()

    assert not remote, f"{lesson}: the slides asked the network for {remote[:3]}"
    assert not failed, f"{lesson}: could not load {failed[:3]} (a shipped asset is missing)"
    assert not errors, f"{lesson}: script errors {errors[:3]}"
    assert state["last"], f"{lesson}: still not at the last slide after {steps} presses of space"
    assert maths["typeset"] == maths["tex"] and not maths["errors"], (
        f"{lesson}: MathJax typeset {maths['typeset']} of {maths['tex']} formulas, errors {maths['errors'][:3]}")
    if maths["tex"]:
        assert seen["maths"], f"{lesson}: its LaTeX never showed as typeset maths on a slide"
    if any(o.get("data", {}).get("image/png") for c in nb.cells for o in c.get("outputs", [])):
        assert seen["figures"], f"{lesson}: no figure showed on any slide"
    assert seen["takeaways"], f"{lesson}: no take-away showed as a fragment"
    assert lecture["notes"] >= built.slides // 2, (
        f"{lesson}: only {lecture['notes']} of {built.slides} slides have speaker notes")
    assert lecture["numbered"], f"{lesson}: no slide number shows"
    if nb.metadata.get("cnnlessons", {}).get("claims"):
        assert lecture["ledger"], f"{lesson}: no closing slide with the claims ledger (claim and verdict)"
    for (width, height), verdicts in layout.items():
        faults = verdicts.report()
        assert not faults, f"{lesson} at {width}x{height}: {len(faults)} slides do not fit:\n" + "\n".join(faults)


# Speaker notes, the slide number, and where the closing ledger slide is (a table of verdicts).
LECTURE = """async () => {
  const deck = await new Promise(resolve => require([%r], resolve));
  const slides = deck.getSlides();
  const ledger = slides.find(s => /claims ledger/i.test((s.querySelector('h1, h2, h3') || {}).textContent || '')
                                  && s.querySelector('table') && /verdict/i.test(s.querySelector('table').textContent));
  const number = document.querySelector('.reveal .slide-number');
  return {
    notes: slides.filter(s => s.querySelector('aside.notes')).length,
    numbered: !!number && number.getClientRects().length > 0 && /\\d/.test(number.textContent),
    ledger: ledger ? [deck.getIndices(ledger).h, deck.getIndices(ledger).v || 0] : null,
  };
}""" % REVEAL
