"""An nbgrader course folder from the instructor notebooks: ``release OUT_DIR --nbgrader``.

nbgrader acts only on cells that carry its metadata (schema 3). The export writes

- ``source/<lesson>/<lesson>.ipynb``: each instructor notebook, solutions in place, with that
  metadata: a cell that holds a solution region is a ``solution`` cell; a check cell is a
  ``grade`` cell, ``locked``, worth one point per exercise it checks; every other code cell is
  ``locked``, so that ``nbgrader autograde`` puts the instructor's version of it back before it
  runs a submission. Solution cells lose their outputs (they would show the solution). A
  question's answer cell (tagged ``question-answer``) holds the comment ``release`` leaves there,
  without outputs or nbgrader metadata (nbgrader would hand the answer to the learners as it is):
  the learner's prediction is theirs to edit, and it grades nothing;
- ``nbgrader_config.py``: what a JupyterHub does not set for the course (``config_text``), settings
  only: the grading kernel it names is ``nbgrader_execute.CourseExecute``, which needs nbgrader
  (this module does not).

    python -m cnnlessons release OUT_DIR --nbgrader [NOTEBOOK ...] [--force]

nbgrader finds a solution marker anywhere in a line, the course only at its start: a markdown
line that mentions the markers (lesson 00 explains them) gets a no-break space in each, so that it
reads the same and nbgrader leaves it alone; a code line that mentions them stops the export.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat

from ._files import atomic_dir, atomic_write, atomic_write_notebook
from .checkcells import check_calls
from .release import (
    BEGIN,
    END,
    STUB,
    ReleaseError,
    _cell_label,
    answer_cells,
    checked_sources,
    clear_answers,
    question_problems,
    read_each,
    report,
    strip_solutions,
)

__all__ = [
    "CELL_TIMEOUT",
    "CONFIG",
    "NOTEBOOK_TIMEOUT",
    "PROFILE",
    "SCHEMA_VERSION",
    "Exported",
    "config_text",
    "export",
    "grade_id",
    "nbgrader_notebook",
]

SCHEMA_VERSION = 3
PROFILE = "smoke"
"""The profile that grading runs: the embedded digits, seconds a notebook (as ``cnnlessons grade``)."""
CELL_TIMEOUT = 120
NOTEBOOK_TIMEOUT = 1200
"""Seconds per cell and per notebook: ``cnnlessons grade``'s defaults."""
CONFIG = "nbgrader_config.py"
GRADING_DATA = ("gradebook.db", "submitted", "autograded", "feedback", "release")
"""What nbgrader keeps in a course folder: ``--force`` never deletes it."""
_NBSP = "\u00a0"


@dataclasses.dataclass
class Exported:
    source: Path
    target: Path
    exercises: list[str]
    warnings: list[str]


def grade_id(text: str) -> str:
    """``text`` as an nbgrader ``grade_id`` (``^[a-zA-Z0-9_-]*$``):
    ``vgg.conv_params`` -> ``vgg-conv_params``."""
    return re.sub(r"[^a-zA-Z0-9_-]+", "-", text).strip("-") or "cell"


def _metadata(name: str, *, solution: bool = False, grade: bool = False, points: int | None = None) -> dict:
    meta = {
        "schema_version": SCHEMA_VERSION,
        "grade": grade,
        "solution": solution,
        "locked": not solution,
        "grade_id": name,
    }
    if grade:
        meta["points"] = points
    return meta


def _unmark_prose(source: str) -> str:
    """A mention of the markers that nbgrader would take for one, with a no-break space in it."""
    for marker in (BEGIN, END):
        head, _, tail = marker.rpartition(" ")
        source = source.replace(marker, f"{head}{_NBSP}{tail}")
    return source


def _stray_marker(source: str) -> int | None:
    """The first line (1-based) that nbgrader reads as a marker and the course does not."""
    for number, line in enumerate(source.splitlines(), start=1):
        text = line.strip()
        if (BEGIN in line and not text.startswith(BEGIN)) or (END in line and not text.startswith(END)):
            return number
    return None


def nbgrader_notebook(
    nb: nbformat.NotebookNode, where: str = "notebook"
) -> tuple[nbformat.NotebookNode, list[str], list[str]]:
    """A copy of the instructor notebook ``nb`` with nbgrader's metadata; its exercise ids, and warnings.

    Raises ReleaseError, naming ``where`` and the cell, for markers that do not pair up or that
    nbgrader would read differently, for a question without its answer cell (or the reverse),
    and for a notebook without exercises.
    """
    from .. import lessons  # noqa: F401  registers every lesson's checkers
    from ..exercises import EXERCISES

    problems = question_problems(nb, where)
    if problems:
        raise ReleaseError(problems[0])
    nb = copy.deepcopy(nb)
    clear_answers(nb)
    predictions = set(answer_cells(nb))
    warnings: list[str] = []
    exercises: list[str] = []
    used: set[str] = set()

    def unique(wanted: str) -> str:
        found, n = wanted, 1
        while found in used:
            n += 1
            found = f"{wanted}-{n}"
        used.add(found)
        return found

    code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    checks = {i: [call.exercise_id for call in check_calls(nb.cells[i].source)] for i in code}
    # Grade cells first, so that each exercise's check cell gets its plain id.
    for index in code:
        ids = checks[index]
        if ids:
            label = _cell_label(where, index, nb.cells[index].source)
            warnings += [
                f"{label}: check({i!r}, ...) names no known exercise" for i in ids if i not in EXERCISES
            ]
            exercises += [i for i in ids if i not in exercises]
            nb.cells[index].metadata["nbgrader"] = _metadata(
                unique(grade_id("-".join(ids))), grade=True, points=len(ids)
            )
    if not exercises:
        raise ReleaseError(
            f"NOTEBOOK '{where}' has no exercises (no check cell such as check(\"<id>\", answer)): "
            "nbgrader would have nothing to grade"
        )
    for position, index in enumerate(code):
        cell = nb.cells[index]
        label = _cell_label(where, index, cell.source)
        _, indents = strip_solutions(cell.source, label)  # raises on markers that do not pair up
        line = _stray_marker(cell.source)
        if line is not None:
            raise ReleaseError(
                f"{label}: line {line} holds {BEGIN!r} or {END!r} after other text; nbgrader "
                "would take it for a solution marker: start the line with the marker, or reword it"
            )
        if indents and checks[index]:
            raise ReleaseError(
                f"{label}: a check cell holds a solution region; put the answer in a cell of its own"
            )
        if indents:
            checked = checks[code[position + 1]] if position + 1 < len(code) else []  # the next code cell's
            name = f"{grade_id('-'.join(checked))}-answer" if checked else f"answer-{index}"
            cell.metadata["nbgrader"] = _metadata(unique(name), solution=True)
            cell.outputs = []
            cell.execution_count = None
            if "" in indents:
                warnings.append(
                    f"{label}: a solution region at the top level of the cell; the released "
                    "cell raises NotImplementedError when run. Put the region inside a function's body"
                )
        elif not checks[index] and index not in predictions:
            cell.metadata["nbgrader"] = _metadata(unique(grade_id(f"cell-{cell.get('id') or index}")))
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" and _stray_marker(cell.source) is not None:
            cell.source = _unmark_prose(cell.source)
            warnings.append(
                f"{_cell_label(where, index, cell.source)}: mentions the solution markers; they "
                "got a no-break space, so that nbgrader does not take them for markers"
            )
    return nb, exercises, warnings


def config_text(
    profile: str = PROFILE, cell_timeout: int = CELL_TIMEOUT, notebook_timeout: int = NOTEBOOK_TIMEOUT
) -> str:
    """The course folder's ``nbgrader_config.py``."""
    return CONFIG_TEMPLATE.format(
        profile=profile,
        cell_timeout=cell_timeout,
        notebook_timeout=notebook_timeout,
        begin=BEGIN,
        end=END,
        stub=STUB,
    )


CONFIG_TEMPLATE = '''\
"""nbgrader's configuration of the cnnlessons course (written by `cnnlessons release --nbgrader`).

It fixes what a JupyterHub does not set for the course:

- the profile that grading runs: "{profile}". A JupyterHub sets no CI variable, so the course's own
  rule would pick "cpu" (or "gpu" on a GPU node) and download CIFAR-10 in every graded notebook.
  Only the grading kernels get CNNLESSONS_PROFILE, not the hub's other kernels;
- time limits: {cell_timeout} s a cell (nbgrader's Execute.timeout) and {notebook_timeout} s a notebook
  (nbgrader has none: CourseExecute stops there; every cell after it fails, so its checks score 0);
- the learners' release keeps the lessons' stored outputs, as `cnnlessons release` does
  (nbgrader would clear them): the figures of the run on real CIFAR-10 are part of the lesson,
  and the stored line under a check cell is what a passing answer prints. They never reach the
  grade: autograde clears a submission's outputs before it runs it, and solution cells have none.

Solution regions become the same stub as in `cnnlessons release`. CourseExecute and the
preprocessor lists come from the course (cnnlessons.instructor.nbgrader_execute), which must be
installed where nbgrader runs, as the notebooks need it too. Run nbgrader from this folder, or set
CourseDirectory.root to it (e.g. in ~/.jupyter/nbgrader_config.py): nbgrader then reads this file
too. A config file that nbgrader cannot load, it logs and goes on without: check its log.
"""
import os

from cnnlessons.instructor.nbgrader_execute import autograde_preprocessors, generate_assignment_preprocessors

c = get_config()  # noqa: F821 (defined by the loader of this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# c.CourseDirectory.course_id = "cnnlessons"  # with nbgrader's exchange on a JupyterHub

c.Execute.timeout = {cell_timeout}
c.CourseExecute.notebook_timeout = {notebook_timeout}
c.CourseExecute.profile = "{profile}"
c.Autograde.autograde_preprocessors = autograde_preprocessors()  # CourseExecute in place of Execute
c.GenerateAssignment.preprocessors = generate_assignment_preprocessors()  # without ClearOutput
c.ClearSolutions.begin_solution_delimeter = "{begin}"
c.ClearSolutions.end_solution_delimeter = "{end}"
c.ClearSolutions.code_stub = {{"python": "{stub}"}}
'''


def export(
    out_dir: str | Path, notebooks: Iterable[str | Path] | None = None, *, force: bool = False
) -> list[Exported]:
    """Write an nbgrader course folder of the notebooks (default: ``notebooks/*.ipynb``) into ``out_dir``.

    Every notebook is read and checked before anything is written; ``out_dir`` appears complete
    or not at all, and ``force`` never replaces a folder that holds nbgrader's grading data.
    """
    sources, out = checked_sources(notebooks, out_dir, force)
    held = [name for name in GRADING_DATA if (out / name).exists()] if out.is_dir() else []
    if held:
        raise ReleaseError(
            f"OUT_DIR '{out}' holds nbgrader's grading data ({', '.join(held)}), which --force "
            "would delete; export into a new folder and copy its source/ over"
        )
    results = [
        (source, source.stem, *made)
        for source, made in read_each(
            sources,
            lambda source: source.stem,
            lambda source: f"the assignment {source.stem!r}",
            nbgrader_notebook,
        )
    ]
    try:
        with atomic_dir(out, replace=True) as work:
            for _, lesson, nb, _, _ in results:
                (work / "source" / lesson).mkdir(parents=True)
                atomic_write_notebook(nb, work / "source" / lesson / f"{lesson}.ipynb")
            atomic_write(work / CONFIG, config_text())
    except OSError as error:
        raise ReleaseError(f"OUT_DIR '{out}' cannot be written ({error.strerror or error})") from None
    return [
        Exported(source, out / "source" / lesson / f"{lesson}.ipynb", exercises, warnings)
        for source, lesson, _, exercises, warnings in results
    ]


def main(out_dir: str, notebooks: Sequence[str] | None = None, *, force: bool = False) -> int:
    exported = report(
        lambda: export(out_dir, notebooks or None, force=force),
        lambda item: (
            f"{len(item.exercises)} exercise{'' if len(item.exercises) == 1 else 's'}, one point each"
        ),
    )
    if exported is None:
        return 2
    print(
        f"wrote {Path(out_dir) / CONFIG}; from {out_dir}/: nbgrader generate_assignment "
        f"{exported[0].target.parent.name}"
    )
    return 0
