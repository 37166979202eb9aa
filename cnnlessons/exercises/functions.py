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
    return f"{text} (of type {type(value).__name__})"


def check_int(name: str, case: Case, got: Any, what: str = "an int") -> None:
    if not is_int(got):
        hint = ""
        if isinstance(got, float):
            hint = ": the answer is a whole number, so use integer arithmetic (// rounds down)"
        raise ExerciseFailed(f"{show_call(name, case)} returned {describe_value(got)}; expected {what}{hint}")


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
        raise ExerciseFailed(f"expected the function `{name}`, got {describe_value(fn)}")
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
        message = f"{show_call(name, case)} returned {got!r}"
        detail = explain(case, got, expected) if explain is not None else ""
        if case.show_expected:
            message += f"; expected {expected!r}"
        elif detail:
            pass
        elif is_int(got) and is_int(expected):
            message += f", which is too {'large' if got > expected else 'small'}"
        else:
            message += ", which is not right"
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
                return mistake.hint
        except Exception:
            continue
    return ""
