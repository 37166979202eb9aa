"""Learner versions of the instructor notebooks: every solution region becomes a stub.

A solution region is the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` (nbgrader's
markers) in a code cell. It is replaced by ``raise NotImplementedError()`` at the indentation of
the ``BEGIN`` line, so a region that is a function's body becomes that function's body. The
outputs of cells that held a solution are cleared; every other cell, output and metadata stays as
it is (so a check cell keeps its stored passing line). The setup cell installs the version of the
course that released it (``course.installed_ref``: the commit pip installed, else the version's
tag), so a class keeps the code its notebooks were written for when ``main`` moves on.

Questions: before its summary a lesson asks a few questions that the learner answers with a
prediction ("Which will reach 25% training error first?"). Each is a markdown cell tagged
``question`` directly followed by a code cell tagged ``question-answer`` that computes the answer;
in a jupytext source::

    # %% [markdown] tags=["question"]
    # Which will reach 25% training error first: ...?

    # %% tags=["question-answer"]
    print(...)

The release keeps the question; the answer cell keeps its place, id and tags, its code replaced by
``PREDICTION`` (one comment inviting the learner's prediction) and its outputs cleared, as a
solution region becomes a stub. A notebook that breaks the pairing (``question_problems``) is not
released.

    python -m cnnlessons release OUT_DIR [NOTEBOOK ...] [--force] [--classroom DIR]

The output folder is built beside its target and moved into place when every notebook is written,
so an interrupted release leaves nothing half-written; an existing folder is replaced only with
``--force``, and never when it holds (or is) a folder of the instructor notebooks.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import nbformat

from .. import course
from ._files import atomic_dir, atomic_write_notebook
from .checkcells import check_ids

__all__ = [
    "ANSWER",
    "BEGIN",
    "END",
    "PREDICTION",
    "QUESTION",
    "STUB",
    "ReleaseError",
    "Released",
    "answer_cells",
    "clear_answers",
    "has_solution",
    "question_problems",
    "release",
    "release_notebook",
    "strip_solutions",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = "raise NotImplementedError()"
QUESTION = "question"
"""The tag of a question's markdown cell."""
ANSWER = "question-answer"
"""The tag of the code cell that computes a question's answer, directly below the question."""
PREDICTION = "# Write down your prediction first, then compute the answer here to check it."
"""What a released answer cell holds."""


class ReleaseError(ValueError):
    """An instructor notebook whose solution markers do not pair up (or another release problem)."""


@dataclasses.dataclass
class Released:
    source: Path
    target: Path
    regions: int
    warnings: list[str]
    questions: int = 0
    """The question answer cells cleared."""


def _cell_label(where: str, index: int, source: str) -> str:
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if len(first) > 50:
        first = first[:49] + "…"
    return f"{where}, cell {index}" + (f" ({first!r})" if first else "")


def has_solution(source: str) -> bool:
    """Whether a line of ``source`` opens a solution region."""
    return any(line.strip().startswith(BEGIN) for line in source.splitlines())


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def answer_cells(nb: nbformat.NotebookNode) -> list[int]:
    """The indexes of the cells tagged ``question-answer``."""
    return [i for i, cell in enumerate(nb.cells) if ANSWER in _tags(cell)]


def question_problems(nb: nbformat.NotebookNode, where: str = "notebook") -> list[str]:
    """One sentence per break of the question rule: every ``question`` cell is a markdown cell
    directly followed by a ``question-answer`` code cell, and every ``question-answer`` cell
    directly follows a ``question`` cell (and is no exercise's solution or check cell)."""
    problems = []
    cells = nb.cells
    for index, cell in enumerate(cells):
        tags = _tags(cell)
        label = _cell_label(where, index, cell.source)
        if QUESTION in tags and ANSWER in tags:
            problems.append(f"{label}: tagged both {QUESTION!r} and {ANSWER!r}; a cell is one or the other")
        elif QUESTION in tags:
            after = cells[index + 1] if index + 1 < len(cells) else None
            if cell.cell_type != "markdown":
                problems.append(f"{label}: a {QUESTION!r} cell must be a markdown cell, not {cell.cell_type}")
            elif after is None or ANSWER not in _tags(after) or after.cell_type != "code":
                problems.append(
                    f"{label}: the question has no {ANSWER!r} code cell directly below it; "
                    f"put the code that computes its answer right after it, tagged {ANSWER!r}"
                )
        elif ANSWER in tags:
            before = cells[index - 1] if index > 0 else None
            if cell.cell_type != "code":
                problems.append(f"{label}: a {ANSWER!r} cell must be a code cell, not {cell.cell_type}")
            elif before is None or QUESTION not in _tags(before) or before.cell_type != "markdown":
                problems.append(
                    f"{label}: the {ANSWER!r} cell has no {QUESTION!r} markdown cell directly above "
                    f"it; put its question right before it, tagged {QUESTION!r}"
                )
            elif check_ids(cell.source) or has_solution(cell.source):
                problems.append(
                    f"{label}: a {ANSWER!r} cell holds an exercise's check or solution, which "
                    "the release would drop with the answer; give the exercise cells of its own"
                )
    return problems


def clear_answers(nb: nbformat.NotebookNode) -> int:
    """Replace, in place, the code of every ``question-answer`` cell by ``PREDICTION`` and clear
    its outputs (its id, tags and other metadata stay); the number of cells cleared."""
    indexes = answer_cells(nb)
    for index in indexes:
        cell = nb.cells[index]
        cell.source = PREDICTION
        cell.outputs = []
        cell.execution_count = None
    return len(indexes)


def strip_solutions(source: str, where: str = "cell") -> tuple[str, list[str]]:
    """``source`` with each solution region replaced by the stub; and the stubs' indentations.

    Raises ReleaseError, naming ``where``, when the markers do not pair up.
    """
    out: list[str] = []
    indents: list[str] = []
    inside_from = None
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        text = line.strip()
        if text.startswith(BEGIN):
            if inside_from is not None:
                raise ReleaseError(
                    f"{where}: {BEGIN!r} on line {number} inside the solution region "
                    f"opened on line {inside_from}; close it with {END!r} first"
                )
            inside_from = number
            indent = line[: len(line) - len(line.lstrip())]
            indents.append(indent)
            out.append(f"{indent}{STUB}" + ("\n" if line.endswith("\n") else ""))
        elif text.startswith(END):
            if inside_from is None:
                raise ReleaseError(f"{where}: {END!r} on line {number} without a {BEGIN!r} before it")
            inside_from = None
            if not line.endswith("\n") and out and out[-1].endswith("\n"):
                out[-1] = out[-1][:-1]  # the region ended the cell: so does the stub
        elif inside_from is None:
            out.append(line)
    if inside_from is not None:
        raise ReleaseError(f"{where}: {BEGIN!r} on line {inside_from} has no {END!r}")
    return "".join(out), indents


def release_notebook(
    nb: nbformat.NotebookNode, where: str = "notebook", ref: str | None = None
) -> tuple[nbformat.NotebookNode, int, list[str]]:
    """The learner version of ``nb`` (a copy), the number of solution regions, and warnings;
    with ``ref``, its setup cell installs the course at that tag or commit. Each question's answer
    cell holds ``PREDICTION`` instead of its code; a ReleaseError names the first cell that breaks
    the question rule (``question_problems``)."""
    from .. import lessons  # noqa: F401  registers every lesson's checkers
    from ..exercises import EXERCISES

    problems = question_problems(nb, where)
    if problems:
        raise ReleaseError(problems[0])
    nb = copy.deepcopy(nb)
    clear_answers(nb)
    regions = 0
    warnings: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if ref is not None:
            cell.source = course.pin_setup_cell(cell.source, ref)
        label = _cell_label(where, index, cell.source)
        for exercise_id in check_ids(cell.source):
            if exercise_id not in EXERCISES:
                warnings.append(f"{label}: check({exercise_id!r}, ...) names no known exercise")
        source, indents = strip_solutions(cell.source, label)
        if not indents:
            continue
        regions += len(indents)
        if "" in indents:
            warnings.append(
                f"{label}: a solution region at the top level of the cell; the released "
                "cell raises NotImplementedError when run. Put the region inside a "
                "function's body"
            )
        cell.source = source
        cell.outputs = []
        cell.execution_count = None
    return nb, regions, warnings


def _read(source: Path) -> nbformat.NotebookNode:
    if not source.exists():
        raise ReleaseError(f"NOTEBOOK '{source}' does not exist")
    if source.is_dir() or source.suffix != ".ipynb":
        raise ReleaseError(f"NOTEBOOK '{source}' is not a notebook: expected an .ipynb file")
    try:
        return nbformat.read(source, as_version=nbformat.NO_CONVERT)
    except Exception as error:  # JSON errors, validation errors, unknown versions
        raise ReleaseError(
            f"NOTEBOOK '{source}' is not a readable notebook ({type(error).__name__})"
        ) from None


def read_each(
    sources: Sequence[Path],
    key: Callable[[Path], str],
    becomes: Callable[[Path], str],
    make: Callable[[nbformat.NotebookNode, str], Any],
) -> list[tuple[Path, Any]]:
    """Each source read and passed to ``make(notebook, where)``, all before anything is written;
    a ReleaseError if two sources share a ``key`` (``becomes`` says what both would become)."""
    seen: dict[str, Path] = {}
    made = []
    for source in sources:
        if key(source) in seen:
            raise ReleaseError(
                f"NOTEBOOK '{source}' and '{seen[key(source)]}' would both be {becomes(source)}"
            )
        seen[key(source)] = source
        made.append((source, make(_read(source), str(source))))
    return made


def _check_out(out: Path, sources: Sequence[Path], force: bool, what: str = "OUT_DIR") -> None:
    """Refuse an output folder that holds, is, or sits above an instructor notebook, or that
    exists without ``force``."""
    target = out.resolve()
    for source in sources:
        folder = source.resolve().parent
        if target == folder or target in folder.parents:
            raise ReleaseError(
                f"{what} '{out}' holds the instructor notebook '{source}'; choose another "
                "folder (a release never writes over the instructor notebooks)"
            )
    if out.exists() and not out.is_dir():
        raise ReleaseError(f"{what} '{out}' is a file; expected a folder")
    blocked = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise ReleaseError(f"{what} '{out}' cannot be written: '{blocked}' is a file")
    if out.exists() and any(out.iterdir()) and not force:
        raise ReleaseError(f"{what} '{out}' already exists; pass --force to replace it")


def checked_sources(
    notebooks: Iterable[str | Path] | None, out_dir: str | Path, force: bool
) -> tuple[list[Path], Path]:
    """The notebooks to write (default: ``notebooks/*.ipynb``) and ``out_dir``, checked writable."""
    if notebooks is None:
        notebooks = sorted(Path("notebooks").glob("*.ipynb"))
        if not notebooks:
            raise ReleaseError("no notebooks found in notebooks/; pass the notebooks to release")
    sources = [Path(p) for p in notebooks]
    out = Path(out_dir)
    _check_out(out, sources, force)
    return sources, out


def release(
    out_dir: str | Path,
    notebooks: Iterable[str | Path] | None = None,
    *,
    force: bool = False,
    classroom: str | Path | None = None,
    ref: str | None = None,
) -> list[Released]:
    """Write the learner version of each notebook (default: ``notebooks/*.ipynb``) into ``out_dir``.

    Every notebook is read and checked before anything is written, so a bad marker writes
    nothing; ``out_dir`` appears complete or not at all. ``classroom``: also write a GitHub
    Classroom learner repository there (``classroom.write_repository``). ``ref``: the tag or
    commit the setup cells install (default ``course.installed_ref()``).
    """
    ref = course.installed_ref() if ref is None else ref
    sources, out = checked_sources(notebooks, out_dir, force)
    if classroom is not None:
        _check_out(Path(classroom), sources, force, "--classroom")
        if Path(classroom).resolve() == out.resolve():
            raise ReleaseError(f"--classroom '{classroom}' is OUT_DIR; choose another folder")
    results = [
        (source, source.name, *made)
        for source, made in read_each(
            sources,
            lambda source: source.name,
            lambda source: f"released as {out / source.name}",
            lambda nb, where: release_notebook(nb, where, ref),
        )
    ]
    try:
        with atomic_dir(out, replace=True) as work:
            for _, name, learner, _, _ in results:
                atomic_write_notebook(learner, work / name)
        if classroom is not None:
            from .classroom import write_repository

            write_repository(classroom, {name: learner for _, name, learner, _, _ in results}, replace=True)
    except OSError as error:
        raise ReleaseError(f"OUT_DIR '{out}' cannot be written ({error.strerror or error})") from None
    return [
        Released(source, out / name, regions, warnings, questions=len(answer_cells(learner)))
        for source, name, learner, regions, warnings in results
    ]


def main(
    out_dir: str, notebooks: Sequence[str] | None = None, *, force: bool = False, classroom: str | None = None
) -> int:
    released = report(
        lambda: release(out_dir, notebooks or None, force=force, classroom=classroom),
        lambda item: (
            f"{item.regions} solution region{'' if item.regions == 1 else 's'} replaced"
            + (
                f", {item.questions} question answer{'' if item.questions == 1 else 's'} cleared"
                if item.questions
                else ""
            )
        ),
    )
    if released is None:
        return 2
    print(f"the setup cells install cnnlessons at {course.installed_ref()}")
    if classroom:
        print(
            f"wrote the GitHub Classroom repository {classroom}/ (notebooks, .github/workflows/classroom.yml)"
        )
    return 0


def report(write: Callable[[], list[Any]], describe: Callable[[Any], str]) -> list[Any] | None:
    """``write()``'s items, each printed as ``source -> target (describe(item))`` after its
    warnings; None, with the error printed in one line, if it raised a ReleaseError."""
    import sys

    try:
        items = write()
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return None
    for item in items:
        for warning in item.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"{item.source} -> {item.target} ({describe(item)})")
    return items
