"""Every exercise's instructions in a markdown cell directly above its answer cell.

An exercise's answer cell is the code cell holding ``### BEGIN SOLUTION``; the cell directly above
it is a markdown cell that says what to write (text beyond a heading). ``instruction_problems``
says, naming the exercise, where a notebook breaks that rule: a common break is a jupytext source
that lost the ``# %% [markdown]`` line before an exercise's heading, which leaves the heading and
the instructions as comments at the end of the code cell above.
"""

from __future__ import annotations

import ast
import re

import nbformat

from .checkcells import check_ids
from .release import _cell_label, has_solution

__all__ = ["instruction_problems", "solution_cells"]

_EXERCISE_HEADING = re.compile(r"^#\s*(#{1,6}\s*Exercise\b.*)$", re.IGNORECASE)
"""A markdown heading "### Exercise: ..." left as a comment in a code cell."""


def solution_cells(nb: nbformat.NotebookNode) -> list[int]:
    """The indexes of the exercises' answer cells: code cells with a ``### BEGIN SOLUTION`` line."""
    return [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and has_solution(cell.source)]


def _exercise(nb: nbformat.NotebookNode, index: int) -> str:
    """The exercise of the answer cell at ``index``, in words: the ids its check cell (the next
    code cell) checks, else the names it defines."""
    after = next((c for c in nb.cells[index + 1 :] if c.cell_type == "code"), None)
    ids = check_ids(after.source) if after is not None else []
    if ids:
        return "exercise " + ", ".join(repr(i) for i in ids)
    try:
        names = [
            node.name
            for node in ast.parse(nb.cells[index].source).body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))
        ]
    except SyntaxError:
        names = []
    return f"the exercise that defines {', '.join(names)}" if names else "an exercise"


def _says_something(source: str) -> bool:
    """Whether markdown ``source`` holds text beyond headings."""
    return any(re.search(r"\w", line) and not line.lstrip().startswith("#") for line in source.splitlines())


def instruction_problems(nb: nbformat.NotebookNode, where: str = "notebook") -> list[str]:
    """One sentence per exercise whose answer cell is not directly below a markdown cell with its
    instructions (text beyond a heading), naming the exercise."""
    problems = []
    for index in solution_cells(nb):
        label = _cell_label(where, index, nb.cells[index].source)
        exercise = _exercise(nb, index)
        above = nb.cells[index - 1] if index > 0 else None
        if above is None:
            problems.append(
                f"{label}: the answer cell of {exercise} is the notebook's first cell; "
                "put the exercise's instructions in a markdown cell directly above it"
            )
        elif above.cell_type != "markdown":
            heading = next(
                (
                    m.group(1).strip()
                    for line in above.source.splitlines()
                    if (m := _EXERCISE_HEADING.match(line))
                ),
                None,
            )
            problems.append(
                f"{label}: the answer cell of {exercise} has a {above.cell_type} cell directly "
                "above it, not a markdown cell with its instructions"
                + (
                    f"; its heading {heading!r} is a comment at the end of that cell: start a "
                    "markdown cell (`# %% [markdown]`) before the heading"
                    if heading
                    else "; put them in a markdown cell right before the answer cell"
                )
            )
        elif not _says_something(above.source):
            problems.append(
                f"{label}: the markdown cell directly above the answer cell of {exercise} holds no "
                "instructions (a heading at most); say there what to write"
            )
    return problems
