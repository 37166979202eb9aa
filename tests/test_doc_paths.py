"""The READMEs and docs name only paths that exist: a file or folder of the repository written as
a path (``cnnlessons/runs/converged.py``, ``tests/test_models.py``) is checked, wherever a README,
``CONTRIBUTING.md`` or a page under ``docs/`` names it. Paths that a command writes (``release/``,
``grading/``) or that hold a placeholder (``<lesson>``, ``NAME``, ``*``) are not repository paths."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRACKED_TOP = ("cnnlessons", "tests", "tools", "docs", "notebooks", "benchmarks", ".ci")
"""The repository's own top-level folders: a path that starts with one of them must exist."""
PLACEHOLDER = re.compile(r"[<>{}*\[\]]|NAME|NN_|\.\.\.|…")
DOCS = sorted(
    {
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        *(ROOT / "docs").glob("*.md"),
        *ROOT.glob("benchmarks/**/*.md"),
        *ROOT.glob("cnnlessons/**/*.md"),
        *ROOT.glob("tools/**/*.md"),
    }
)


def named_paths(text: str) -> list[str]:
    """The repository paths a markdown text names in code spans."""
    found = []
    for span in re.findall(r"`([^`\n]+)`", text):
        for token in span.split():
            token = token.strip("'\"(),;:").rstrip(".")
            if token.split("/")[0] in TRACKED_TOP and "/" in token and not PLACEHOLDER.search(token):
                found.append(token)
    return found


def test_every_path_a_readme_or_doc_names_exists():
    missing = [
        f"{doc.relative_to(ROOT)}: {path}"
        for doc in DOCS
        for path in named_paths(doc.read_text())
        if not (ROOT / path).exists()
    ]
    assert not missing, "paths named that do not exist:\n" + "\n".join(missing)


def test_the_reader_finds_paths_and_leaves_placeholders_and_outputs_alone():
    text = (
        "see `cnnlessons/slides.py` and `python tools/notebooks.py build`; "
        "`cnnlessons/lessons/<lesson>/recipes.py`, `release/`, `notebooks/NN_name.py`"
    )
    assert named_paths(text) == ["cnnlessons/slides.py", "tools/notebooks.py"]


def test_the_readme_says_how_to_use_the_course_in_under_15_kb():
    # measured figures go to docs/results.md and benchmarks/README.md, the instructor's guide to
    # docs/instructors.md
    size = len((ROOT / "README.md").read_bytes())
    assert size < 15 * 1024, f"README.md is {size:,} bytes"


def test_the_changelog_has_an_entry_for_this_version():
    from cnnlessons.course import VERSION

    headings = [line for line in (ROOT / "CHANGELOG.md").read_text().splitlines() if line.startswith("## ")]
    assert headings and headings[0] == f"## {VERSION}", "a release adds its CHANGELOG.md entry on top"
