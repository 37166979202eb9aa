"""Check cells: the notebook cells that run ``check("<id>", answer)``, parsed in one place.

A check cell's code is nothing but ``check("<id>", <answer>)`` calls (comments and blank lines
aside). ``release`` warns about unknown ids in them, ``grade`` puts the instructor's version of
each back in place and hands the ``<answer>`` expression to its own check process.
"""

from __future__ import annotations

import ast
import dataclasses

__all__ = ["CheckCall", "check_calls", "check_ids"]


@dataclasses.dataclass(frozen=True)
class CheckCall:
    """One ``check(exercise_id, answer)`` call of a check cell; ``answer`` is its source text."""

    exercise_id: str
    answer: str


def check_calls(source: str) -> list[CheckCall]:
    """The check calls of a check cell, in order; ``[]`` for any other cell (one that also does
    something else, e.g. shows a failing check inside ``try``, or that is not Python)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    calls = []
    for statement in tree.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "check"
            and len(call.args) == 2
            and not call.keywords
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
        ):
            return []
        answer = ast.get_source_segment(source, call.args[1]) or ast.unparse(call.args[1])
        calls.append(CheckCall(call.args[0].value, answer))
    return calls


def check_ids(source: str) -> list[str]:
    """The exercise ids of a check cell, in order; ``[]`` for any other cell."""
    return [call.exercise_id for call in check_calls(source)]
