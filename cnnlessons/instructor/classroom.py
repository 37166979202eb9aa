"""A GitHub Classroom learner repository: the released notebooks and an autograding workflow.

``release --classroom DIR`` writes

- ``notebooks/``: the learner notebooks (what learners edit and push);
- ``.cnnlessons/checks/``: a second copy of them, whose check cells the workflow grades with;
- ``.github/workflows/classroom.yml``: on every push, ``cnnlessons grade`` runs the notebooks, then
  one ``autograding-command-grader`` step per exercise (``cnnlessons gradebook require``) gives its
  point, and the reporter sends the points to Classroom;
- ``README.md`` for the learners.

Learners can edit every file of their repository, the workflow included, so Classroom's points
are only as trustworthy as that file: the grade of record comes from ``cnnlessons grade`` run by
the instructor on the collected notebooks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import nbformat

from ..course import BRANCH, REPOSITORY
from ._files import atomic_dir, atomic_write, atomic_write_notebook
from .checkcells import check_ids

__all__ = ["INSTALL", "WORKFLOW", "exercise_ids", "workflow", "write_repository"]

WORKFLOW = ".github/workflows/classroom.yml"
CHECKS = ".cnnlessons/checks"
GRADING = ".grading"
INSTALL = f'python -m pip install "cnnlessons[instructor] @ git+{REPOSITORY}@{BRANCH}"'
"""How the workflow installs the course (the same source as the notebooks' setup cell)."""


def exercise_ids(notebooks: Mapping[str, nbformat.NotebookNode]) -> list[str]:
    """The exercise ids the notebooks check, in notebook order."""
    ids: list[str] = []
    for name in sorted(notebooks):
        for cell in notebooks[name].cells:
            if cell.cell_type == "code":
                ids += [i for i in check_ids(cell.source) if i not in ids]
    return ids


def _step_id(exercise_id: str) -> str:
    return "ex-" + re.sub(r"[^a-z0-9]+", "-", exercise_id.lower()).strip("-")


def grade_command() -> str:
    """The workflow's grading step (run from the repository's root)."""
    return f"python -m cnnlessons grade notebooks --instructor {CHECKS} --out {GRADING} --force --timeout 300"


def require_command(exercise_id: str) -> str:
    return f"python -m cnnlessons gradebook require {GRADING} {exercise_id}"


def workflow(ids: list[str], install: str = INSTALL, python: str = "3.11") -> str:
    """The autograding workflow: one point per exercise."""
    lines = [
        "# Written by `cnnlessons release --classroom`. Learners can edit this file: the grade of",
        "# record comes from `cnnlessons grade` run by the instructor on the collected notebooks.",
        "name: Autograding",
        "on: [push, workflow_dispatch]",
        "permissions:",
        "  checks: write",
        "  actions: read",
        "  contents: read",
        "jobs:",
        "  autograding:",
        "    runs-on: ubuntu-latest",
        "    if: github.actor != 'github-classroom[bot]'",
        "    timeout-minutes: 60",
        "    steps:",
        "      - uses: actions/checkout@v4",
        "      - uses: actions/setup-python@v5",
        "        with:",
        f"          python-version: '{python}'",
        "      - name: Install the course",
        f"        run: {install}",
        "      - name: Grade the notebooks",
        f"        run: {grade_command()}",
    ]
    for exercise_id in ids:
        lines += [
            f"      - name: {exercise_id}",
            f"        id: {_step_id(exercise_id)}",
            "        uses: classroom-resources/autograding-command-grader@v1",
            "        with:",
            f"          test-name: {exercise_id}",
            f"          command: {require_command(exercise_id)}",
            "          timeout: 1",
            "          max-score: 1",
        ]
    lines += [
        "      - name: Autograding Reporter",
        "        uses: classroom-resources/autograding-grading-reporter@v1",
        "        env:",
    ]
    lines += [
        f'          {_step_id(e).upper()}_RESULTS: "${{{{steps.{_step_id(e)}.outputs.result}}}}"' for e in ids
    ]
    lines += ["        with:", f"          runners: {','.join(_step_id(e) for e in ids)}"]
    return "\n".join(lines) + "\n"


_README = """# Your course notebooks

Open the notebooks in `notebooks/`, replace every `raise NotImplementedError()` with your answer,
run each `check(...)` cell, and push. On every push GitHub runs the course's checks (the
*Autograding* workflow) and shows one point per exercise; a failed check's message is in the
workflow's log. Please leave `.github/` and `.cnnlessons/` as they are.
"""


def write_repository(
    target: str | Path,
    notebooks: Mapping[str, nbformat.NotebookNode],
    *,
    replace: bool = False,
    install: str = INSTALL,
) -> Path:
    """Write the learner repository for the released ``notebooks`` (file name -> notebook)."""
    ids = exercise_ids(notebooks)
    with atomic_dir(target, replace=replace) as work:
        for folder in ("notebooks", CHECKS):
            (work / folder).mkdir(parents=True)
            for name, nb in notebooks.items():
                atomic_write_notebook(nb, work / folder / name)
        (work / WORKFLOW).parent.mkdir(parents=True)
        atomic_write(work / WORKFLOW, workflow(ids, install))
        atomic_write(work / "README.md", _README)
        atomic_write(work / ".gitignore", f"{GRADING}/\n.ipynb_checkpoints/\n")
    return Path(target)
