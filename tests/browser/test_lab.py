"""End to end: `make lab` serves the course, and every lesson runs and its explorers respond in
JupyterLab in headless Chromium, used as a learner would (keyboard on a slider, a dropdown
option, the train button).

The lesson a learner runs is the released one (`cnnlessons release`: every solution a stub), so
this test is also where the released notebooks are run: they must fail at their check cells only,
each "not attempted" (without a browser, tests/test_release_grade.py runs them in a kernel).

Screenshots of the explorers go to screenshots/ (git-ignored), e.g. screenshots/02_vggnet-explorer.png.
Run alone: `.venv/bin/python -m pytest tests/browser -v` (tools/ci_browser.sh installs what it needs).
"""

from __future__ import annotations

import secrets
import shutil

import nbformat
import pytest
from jlab import NOTEBOOKS, SCREENSHOTS, ExplorerDriver, NotebookPage

from cnnlessons.course import LESSONS
from cnnlessons.exercises import EXERCISES
from cnnlessons.instructor.grade import check_ids
from cnnlessons.instructor.release import release

# Each architecture lesson has at least one explorer (COURSE.md, "Widgets").
NEEDS_EXPLORER = {"01_alexnet", "02_vggnet", "03_googlenet", "04_resnet", "05_densenet"}


def test_make_lab_serves_the_notebooks(lab):
    listing = lab.get_json("/api/contents/")
    served = sorted(item["name"] for item in listing["content"])
    expected = sorted(p.name for p in NOTEBOOKS.iterdir() if not p.name.startswith("."))
    assert served == expected, (
        f"`make lab` should serve the folder notebooks/: it lists {served}, notebooks/ holds {expected}"
    )
    assert "00_start_here.py" in served
    with lab.request("GET", "/lab") as response:
        page = response.read().decode()
    assert response.status == 200 and "JupyterLab" in page, "GET /lab is not the JupyterLab page"


@pytest.fixture(scope="module")
def released():
    """The learner versions of the lessons, in a folder `make lab` serves (git-ignored; removed)."""
    folder = NOTEBOOKS / f"_browser_test_{secrets.token_hex(4)}"
    try:
        release(folder, sorted(NOTEBOOKS.glob("*.ipynb")))
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_lesson_runs_and_its_explorers_respond(lesson, lab, browser, released):
    path = released / f"{lesson}.ipynb"
    if not path.exists():
        pytest.skip(f"notebooks/{lesson}.ipynb does not exist yet")
    code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    checks = frozenset(i for i, source in enumerate(code) if check_ids(source))
    assert {e for source in code for e in check_ids(source)} <= set(EXERCISES)
    notebook = NotebookPage(browser, lab, path.relative_to(NOTEBOOKS).as_posix())
    try:
        notebook.open()
        seconds, failed = notebook.run_all(may_fail=checks)
        if set(failed) != checks:
            notebook.fail(
                f"the released notebook's check cells {sorted(checks)} should each fail "
                f"(not attempted); these failed: {sorted(failed)}"
            )
        for i, text in failed.items():
            if "NotAttempted" not in text or "not attempted" not in text:
                notebook.fail(f"check cell {i} failed otherwise than 'not attempted':\n{text[:1500]}")
        opened = notebook.page.locator(".jp-Notebook .jp-OutputArea-output details[open]").count()
        if opened:
            notebook.fail(f"{opened} fold(s) (cnnlessons.views.plumbing.fold) rendered open, not closed")
        count = notebook.explorers().count()
        if lesson in NEEDS_EXPLORER and count == 0:
            notebook.fail("no explorer (an element .cnnlessons-explorer) after running all cells")
        report = [
            f"{lesson} (released): ran all cells in {seconds:.0f} s, {len(failed)} check(s) "
            f"not attempted, {count} explorer(s)"
        ]
        for i in range(count):
            explorer = ExplorerDriver(notebook, i)
            actions = explorer.exercise()
            if not actions:
                notebook.fail(f"{explorer.describe()} has no slider, dropdown, toggle or button to use")
            suffix = "" if i == 0 else f"-{i + 1}"
            shot = explorer.screenshot(SCREENSHOTS / f"{lesson}-explorer{suffix}.png")
            report.append(
                f"  {explorer.describe()}: "
                + "; ".join(actions)
                + f" -> {shot.relative_to(SCREENSHOTS.parent)}"
            )
        print("\n".join(report))
    finally:
        notebook.close()
        lab.shutdown_kernels()
    saved = lab.saved_files()
    assert not saved, f"JupyterLab wrote {saved}: the stored notebooks must stay as built"
