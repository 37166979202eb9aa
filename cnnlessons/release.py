"""Learner versions of the instructor notebooks: every solution region becomes a stub.

A solution region is the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` (nbgrader's
markers) in a code cell. It is replaced by ``raise NotImplementedError()`` at the indentation of
the ``BEGIN`` line, so a region that is a function's body becomes that function's body. The
outputs of cells that held a solution are cleared; every other cell, output and metadata stays as
it is (so a check cell keeps its stored passing line).

    python -m cnnlessons release OUT_DIR [NOTEBOOK ...]
"""
from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path
from typing import Iterable, Sequence

import nbformat

__all__ = ["BEGIN", "END", "STUB", "ReleaseError", "Released", "release", "release_notebook",
           "strip_solutions"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = "raise NotImplementedError()"

_CHECK_CALL = re.compile(r"""\bcheck\(\s*(['"])([A-Za-z0-9_.]+)\1""")


class ReleaseError(ValueError):
    """An instructor notebook whose solution markers do not pair up (or another release problem)."""


@dataclasses.dataclass
class Released:
    source: Path
    target: Path
    regions: int
    warnings: list[str]


def _cell_label(where: str, index: int, source: str) -> str:
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if len(first) > 50:
        first = first[:49] + "…"
    return f"{where}, cell {index}" + (f" ({first!r})" if first else "")


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
                raise ReleaseError(f"{where}: {BEGIN!r} on line {number} inside the solution region "
                                   f"opened on line {inside_from}; close it with {END!r} first")
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


def release_notebook(nb: nbformat.NotebookNode,
                     where: str = "notebook") -> tuple[nbformat.NotebookNode, int, list[str]]:
    """The learner version of ``nb`` (a copy), the number of solution regions, and warnings."""
    from .exercises import EXERCISES

    nb = copy.deepcopy(nb)
    regions = 0
    warnings: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        label = _cell_label(where, index, cell.source)
        for match in _CHECK_CALL.finditer(cell.source):
            if match.group(2) not in EXERCISES:
                warnings.append(f"{label}: check({match.group(2)!r}, ...) names no known exercise")
        source, indents = strip_solutions(cell.source, label)
        if not indents:
            continue
        regions += len(indents)
        if "" in indents:
            warnings.append(f"{label}: a solution region at the top level of the cell; the released "
                            "cell raises NotImplementedError when run. Put the region inside a "
                            "function's body")
        cell.source = source
        cell.outputs = []
        cell.execution_count = None
    return nb, regions, warnings


def release(out_dir: str | Path, notebooks: Iterable[str | Path] | None = None) -> list[Released]:
    """Write the learner version of each notebook (default: ``notebooks/*.ipynb``) into ``out_dir``.

    Every notebook is checked before any is written, so a bad marker writes nothing.
    """
    if notebooks is None:
        notebooks = sorted(Path("notebooks").glob("*.ipynb"))
        if not notebooks:
            raise ReleaseError("no notebooks found in notebooks/; pass the notebooks to release")
    sources = [Path(p) for p in notebooks]
    out = Path(out_dir)
    results: list[tuple[Path, Path, nbformat.NotebookNode, int, list[str]]] = []
    targets: dict[Path, Path] = {}
    for source in sources:
        if source.suffix != ".ipynb":
            raise ReleaseError(f"{source}: only .ipynb notebooks are released")
        target = out / source.name
        if target.resolve() == source.resolve():
            raise ReleaseError(f"{source}: the release would overwrite the instructor notebook; "
                               "choose another OUT_DIR")
        if target in targets:
            raise ReleaseError(f"{source} and {targets[target]} would both be released as {target}")
        targets[target] = source
        nb = nbformat.read(source, as_version=nbformat.NO_CONVERT)
        learner, regions, warnings = release_notebook(nb, str(source))
        results.append((source, target, learner, regions, warnings))
    out.mkdir(parents=True, exist_ok=True)
    released = []
    for source, target, learner, regions, warnings in results:
        nbformat.write(learner, target)
        released.append(Released(source, target, regions, warnings))
    return released


def main(out_dir: str, notebooks: Sequence[str] | None = None) -> int:
    import sys

    try:
        released = release(out_dir, notebooks or None)
    except (ReleaseError, OSError, nbformat.ValidationError) as error:
        print(f"release: {error}", file=sys.stderr)
        return 1
    for item in released:
        for warning in item.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"{item.source} -> {item.target} ({item.regions} solution region"
              f"{'' if item.regions == 1 else 's'} replaced)")
    return 0
