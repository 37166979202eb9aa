"""End to end: `make lab` serves the course, and every lesson runs and its explorers respond in
JupyterLab in headless Chromium, used as a learner would (keyboard on a slider, a dropdown
option, the train button).

Screenshots of the explorers go to screenshots/ (git-ignored), e.g. screenshots/02_vggnet-explorer.png.
Run alone: `.venv/bin/python -m pytest tests/browser -v` (tools/ci_browser.sh installs what it needs).
"""
from __future__ import annotations

import pytest

from cnnlessons.course import LESSONS
from jlab import NOTEBOOKS, SCREENSHOTS, ExplorerDriver, NotebookPage

# Each architecture lesson has at least one explorer (COURSE.md, "Widgets").
NEEDS_EXPLORER = {"01_alexnet", "02_vggnet", "03_googlenet", "04_resnet", "05_densenet"}


def test_make_lab_serves_the_notebooks(lab):
    listing = lab.get_json("/api/contents/")
    served = sorted(item["name"] for item in listing["content"])
    expected = sorted(p.name for p in NOTEBOOKS.iterdir() if not p.name.startswith("."))
    assert served == expected, (f"`make lab` should serve the folder notebooks/: it lists "
                                f"{served}, notebooks/ holds {expected}")
    assert "00_start_here.py" in served
    with lab.request("GET", "/lab") as response:
        page = response.read().decode()
    assert response.status == 200 and "JupyterLab" in page, "GET /lab is not the JupyterLab page"


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_lesson_runs_and_its_explorers_respond(lesson, lab, browser):
    path = NOTEBOOKS / f"{lesson}.ipynb"
    if not path.exists():
        pytest.skip(f"notebooks/{lesson}.ipynb does not exist yet")
    notebook = NotebookPage(browser, lab, path.name)
    try:
        notebook.open()
        seconds = notebook.run_all()
        count = notebook.explorers().count()
        if lesson in NEEDS_EXPLORER and count == 0:
            notebook.fail("no explorer (an element .cnnlessons-explorer) after running all cells")
        report = [f"{lesson}: ran all cells in {seconds:.0f} s, {count} explorer(s)"]
        for i in range(count):
            explorer = ExplorerDriver(notebook, i)
            actions = explorer.exercise()
            if not actions:
                notebook.fail(f"{explorer.describe()} has no slider, dropdown, toggle or button "
                              "to use")
            suffix = "" if i == 0 else f"-{i + 1}"
            shot = explorer.screenshot(SCREENSHOTS / f"{lesson}-explorer{suffix}.png")
            report.append(f"  {explorer.describe()}: " + "; ".join(actions)
                          + f" -> {shot.relative_to(SCREENSHOTS.parent)}")
        print("\n".join(report))
    finally:
        notebook.close()
        lab.shutdown_kernels()
    saved = lab.saved_files()
    assert not saved, f"JupyterLab wrote {saved}: the stored notebooks must stay as built"
