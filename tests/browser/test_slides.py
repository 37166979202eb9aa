"""The lecture slides as a hall sees them: `cnnlessons slides` for every lesson, each opened from
file:// in headless Chromium with the network blocked, stepped through with the space bar.

Checks per lesson: no remote asset, no failed load, no script error; the slide count (at least
one slide per section, and as many as the notebook's slide metadata makes); a figure and a
take-away show; every formula was typeset by MathJax. Screenshots go to screenshots/, e.g.
screenshots/slides-02_vggnet-maths.png.
"""
from __future__ import annotations

import re

import pytest

from cnnlessons.course import LESSONS
from jlab import NOTEBOOKS, SCREENSHOTS

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

SCROLL_TO = """key => {
  const slide = document.querySelector('.reveal .slides section.present:not(.stack)');
  const found = {figures: [...slide.querySelectorAll('img')],
                 takeaways: [...slide.querySelectorAll('.fragment.visible')].filter(f => /take-away/i.test(f.textContent)),
                 maths: [...slide.querySelectorAll('.MathJax_CHTML')]}[key];
  if (found.length) found[found.length - 1].scrollIntoView({block: 'center'});
}"""

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

    context = browser.new_context(viewport={"width": 1280, "height": 800})
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
                    page.evaluate(SCROLL_TO, key)  # a tall slide scrolls: show the thing itself
                    page.wait_for_timeout(400)  # the slide transition
                    shots[key] = str(SCREENSHOTS / f"slides-{lesson}-{key}.png")
                    page.screenshot(path=shots[key])
                seen[key] += state[key]
            if state["last"] or steps >= limit:
                break
            page.keyboard.press("Space")
            steps += 1
            state = page.evaluate(STATE)
        print(f"{lesson}: {built.slides} slides, {steps} steps, {maths['typeset']} formulas; "
              f"screenshots {', '.join(sorted(shots))}")
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
