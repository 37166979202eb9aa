"""What a hall sees of each slide of a reveal.js deck, measured in Chromium: whether it scrolls
or spills below the slide, whether a line (text, code or maths) is cut at the slide's edge, text
rendered under 20 px, more than 80 words (speaker notes excluded), a figure under a third of the
slide. Used by test_slides.py; ``python tests/browser/slide_checks.py DECK.slides.html ...``
prints the counts per deck.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

MIN_PX = 20
MAX_WORDS = 80

# The current slide, measured. Scale: reveal.js draws the design slide scaled to the screen, so
# a rendered size is the CSS size times deck.getScale(). The slide's box is `.reveal .slides`.
MEASURE = """(deck, slide, minPx) => {
  const scale = deck.getScale();
  const box = document.querySelector('.reveal .slides').getBoundingClientRect();
  const inNotes = el => !!el.closest('aside.notes');
  const laidOut = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  // MathJax's assistive MathML is clipped to a pixel on purpose, for screen readers
  const elements = [...slide.querySelectorAll('*')].filter(
      el => !inNotes(el) && laidOut(el) && !el.closest('.MJX_Assistive_MathML'));
  const describe = el => (el.textContent || el.tagName).trim().replace(/\\s+/g, ' ').slice(0, 60);
  // scrolls: a scrolling slide, or content past the slide's bottom
  const scroller = [slide, ...elements].find(el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowY)
                                              && el.scrollHeight > el.clientHeight + 2);
  const below = elements.filter(el => el.getBoundingClientRect().bottom > box.bottom + 2
                                     || el.getBoundingClientRect().top < box.top - 2);
  // cut: a box that scrolls sideways, or anything past the slide's left or right edge
  const sideways = elements.filter(el => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(el).overflowX)
                                        && el.scrollWidth > el.clientWidth + 2 && el.clientWidth > 0);
  const outside = elements.filter(el => el.getBoundingClientRect().right > box.right + 2
                                       || el.getBoundingClientRect().left < box.left - 2);
  // text: every visible text node, maths counted once per formula at its own size
  const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
  const small = [], spilled = [];
  let words = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.textContent.trim() || inNotes(parent) || !laidOut(parent)) continue;
    if (parent.closest('script, style, .MathJax_CHTML, .MathJax_Preview, .MJX_Assistive_MathML')) continue;
    words += node.textContent.split(/\\s+/).filter(w => /[\\p{L}\\p{N}]/u.test(w)).length;
    // text running past the slide's edge out of a box that does not grow with it
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width && (r.right > box.right + 2 || r.left < box.left - 2)) spilled.push(parent);
    const px = parseFloat(getComputedStyle(parent).fontSize) * scale;
    if (px < minPx - 0.01) small.push(`${px.toFixed(1)} px: ${describe(parent)}`);
  }
  for (const maths of slide.querySelectorAll('.MathJax_CHTML')) {
    if (inNotes(maths) || !laidOut(maths)) continue;
    words += 1;
    const px = parseFloat(getComputedStyle(maths).fontSize) * scale;
    if (px < minPx - 0.01) small.push(`${px.toFixed(1)} px: a formula`);
  }
  const figures = [...slide.querySelectorAll('img')].filter(i => !inNotes(i) && laidOut(i)).map(i => {
    const r = i.getBoundingClientRect();
    return {height: r.height / box.height, width: r.width / box.width};
  });
  const [h, v] = [deck.getIndices().h, deck.getIndices().v || 0];
  return {
    slide: `${h + 1}.${v + 1}`,
    title: describe(slide.querySelector('h1, h2, h3') || slide),
    scrolls: scroller || below.length ? describe(scroller || below[below.length - 1]) : null,
    cut: sideways.length || outside.length || spilled.length
        ? describe(sideways[0] || outside[outside.length - 1] || spilled[0]) : null,
    small: small.slice(0, 3),
    words: words,
    small_figures: figures.filter(f => f.height < 1 / 3 - 0.005 && f.width < 0.9).length,
  };
}"""


@dataclasses.dataclass
class Verdicts:
    """The measured slides of one deck, and the counts of each fault."""

    slides: list[dict]

    def faults(self, slide: dict) -> list[str]:
        found = []
        if slide["scrolls"]:
            found.append(f"scrolls (past the bottom: {slide['scrolls']!r})")
        if slide["cut"]:
            found.append(f"cuts a line ({slide['cut']!r})")
        if slide["small"]:
            found.append(f"text under {MIN_PX} px ({'; '.join(slide['small'])})")
        if slide["words"] > MAX_WORDS:
            found.append(f"{slide['words']} words")
        if slide["small_figures"]:
            found.append("a figure under a third of the slide")
        return found

    def kinds(self, slide: dict) -> set[str]:
        """Which checks ``slide`` fails: scroll, cut, small text, words, small figure."""
        return {
            kind
            for kind, failed in (
                ("scroll", slide["scrolls"]),
                ("cut", slide["cut"]),
                ("small text", slide["small"]),
                ("words", slide["words"] > MAX_WORDS),
                ("small figure", slide["small_figures"]),
            )
            if failed
        }

    def counts(self) -> dict[str, int]:
        return {
            "slides": len(self.slides),
            "scroll": sum(bool(s["scrolls"]) for s in self.slides),
            "cut": sum(bool(s["cut"]) for s in self.slides),
            "small text": sum(bool(s["small"]) for s in self.slides),
            f">{MAX_WORDS} words": sum(s["words"] > MAX_WORDS for s in self.slides),
            "small figure": sum(bool(s["small_figures"]) for s in self.slides),
            "fine": sum(not self.faults(s) for s in self.slides),
        }

    def report(self) -> list[str]:
        return [
            f"slide {s['slide']} ({s['title'][:40]!r}): {', '.join(self.faults(s))}"
            for s in self.slides
            if self.faults(s)
        ]


# Every slide in turn, with all its fragments shown, once laid out and typeset; in the page
# itself, for speed. No transition: a slide is measured where it stays, not on its way in.
MEASURE_ALL = (
    """async ([revealUrl, minPx]) => {
  const deck = await new Promise(resolve => require([revealUrl], resolve));
  const measure = %s;
  deck.configure({transition: 'none'});
  const measured = [];
  for (const slide of deck.getSlides()) {
    const at = deck.getIndices(slide);
    deck.slide(at.h, at.v || 0, 99);
    await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const tex = slide.querySelectorAll('script[type^="math/tex"]').length;
    for (let i = 0; i < 50; i++) {
      await new Promise(resolve => MathJax.Hub.Queue(resolve));  // the re-typeset of the new slide
      if (slide.querySelectorAll('.MathJax_CHTML').length >= tex) break;
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    measured.push(measure(deck, slide, minPx));
  }
  return measured;
}"""
    % MEASURE
)


def measure_deck(page, reveal_url: str, size: tuple[int, int]) -> Verdicts:
    """Every slide of the deck open in ``page``, shown at ``size`` (width, height) and measured."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.wait_for_timeout(200)  # reveal.js lays out again on resize
    measured = page.evaluate(MEASURE_ALL, [reveal_url, MIN_PX])
    return Verdicts(measured)


def main(decks: list[str]) -> int:
    """Print the counts of each deck at 1280x720 (``python slide_checks.py DECK.slides.html ...``)."""
    from jlab import chromium

    reveal = "slides_assets/reveal.js/dist/reveal.js"
    with chromium() as browser:
        for deck in decks:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(Path(deck).resolve().as_uri())
            page.wait_for_selector(".reveal.ready", timeout=30_000)
            verdicts = measure_deck(page, reveal, (1280, 720))
            print(Path(deck).name, verdicts.counts())
            for line in verdicts.report():
                print("   ", line)
            page.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
