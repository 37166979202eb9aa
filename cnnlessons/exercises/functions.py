"""Checking a function answer: fixed cases, seeded random cases and fresh random cases.

Fixed cases that the lesson documents may show the expected value in a failure message; random
cases only say what was returned, and whether it is too large or too small. When the answer agrees
on every tried case with a known mistake (a formula that forgets something), the message names the
thing to look at.
"""

from __future__ import annotations

import dataclasses
import inspect
import numbers
import random
from collections.abc import Callable, Sequence
from typing import Any

from ..i18n import _
from .core import ExerciseFailed, call

__all__ = ["Case", "Mistake", "check_function", "fresh_rng", "seeded_rng", "show_call"]

SEED = 20240601


@dataclasses.dataclass(frozen=True)
class Case:
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    show_expected: bool = False
    """A documented case: its expected value may be shown."""


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A wrong formula learners often write, and what to look at when the answer matches it."""

    formula: Callable[..., Any]
    hint: str
    """In English, marked ``N_(...)`` for the catalog: it is translated where it is shown."""


def seeded_rng() -> random.Random:
    return random.Random(SEED)


def fresh_rng() -> random.Random:
    return random.Random()  # seeded from the OS: new inputs on every run


def show_call(name: str, case: Case) -> str:
    parts = [repr(a) for a in case.args] + [f"{k}={v!r}" for k, v in case.kwargs.items()]
    return f"{name}({', '.join(parts)})"


def is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def describe_value(value: Any) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:79] + "…"
    return _("{value} (of type {type})").format(value=text, type=type(value).__name__)


def check_int(name: str, case: Case, got: Any, what: str | None = None) -> None:
    """Fail unless ``got`` is an int; ``what`` names what was expected (default: an int)."""
    if not is_int(got):
        hint = ""
        if isinstance(got, float):
            hint = _(": the answer is a whole number, so use integer arithmetic (// rounds down)")
        raise ExerciseFailed(
            _("{call} returned {value}; expected {what}").format(
                call=show_call(name, case), value=describe_value(got), what=what or _("an int")
            )
            + hint
        )


def check_function(
    fn: Any,
    *,
    name: str,
    reference: Callable[..., Any],
    fixed: Sequence[Case],
    random_case: Callable[[random.Random], Case],
    n_random: int = 20,
    validate: Callable[[str, Case, Any], None] | None = None,
    mistakes: Sequence[Mistake] = (),
    compare: Callable[[Any, Any], bool] | None = None,
    explain: Callable[[Case, Any, Any], str] | None = None,
) -> int:
    """Try ``fn`` on the fixed cases, ``n_random`` seeded and ``n_random`` fresh random cases.

    ``validate(name, case, got)`` checks the kind of value returned; ``compare(got, expected)``
    (default ``==``) decides whether it is right; ``explain(case, got, expected)`` may describe a
    wrong value without giving the expected one away. Returns the number of cases tried.
    """
    __tracebackhide__ = True
    if not callable(fn):
        raise ExerciseFailed(
            _("expected the function `{name}`, got {value}").format(name=name, value=describe_value(fn))
        )
    validate = validate or (lambda n, c, g: check_int(n, c, g))
    compare = compare or (lambda got, expected: got == expected)
    seeded, fresh = seeded_rng(), fresh_rng()
    cases = (
        list(fixed)
        + [random_case(seeded) for _ in range(n_random)]
        + [random_case(fresh) for _ in range(n_random)]
    )
    tried: list[tuple[Case, Any]] = []
    for case in cases:
        got = call(fn, *case.args, what=show_call(name, case), **case.kwargs)
        validate(name, case, got)
        expected = reference(*case.args, **case.kwargs)
        tried.append((case, got))
        if compare(got, expected):
            continue
        message = _("{call} returned {got!r}").format(call=show_call(name, case), got=got)
        detail = explain(case, got, expected) if explain is not None else ""
        if case.show_expected:
            message += _("; expected {expected!r}").format(expected=expected)
        elif detail:
            pass
        elif is_int(got) and is_int(expected):
            message += _(", which is too large") if got > expected else _(", which is too small")
        else:
            message += _(", which is not right")
        if detail:
            message += f", {detail}"
        hint = _diagnose(tried, mistakes, compare, reference)
        raise ExerciseFailed(message + (f". {hint}" if hint else ""))
    return len(cases)


def _diagnose(
    tried: list[tuple[Case, Any]],
    mistakes: Sequence[Mistake],
    compare: Callable[[Any, Any], bool],
    reference: Callable[..., Any],
) -> str:
    """The hint of the first known mistake that agrees with every answer tried so far.

    Mistake formulas take the arguments positionally, defaults filled in from ``reference``.
    """
    signature = inspect.signature(reference)
    positional = []
    for case, got in tried:
        bound = signature.bind(*case.args, **case.kwargs)
        bound.apply_defaults()
        positional.append((tuple(bound.arguments.values()), got))
    for mistake in mistakes:
        try:
            if all(compare(got, mistake.formula(*args)) for args, got in positional):
                return _(mistake.hint)
        except Exception:
            continue
    return ""
