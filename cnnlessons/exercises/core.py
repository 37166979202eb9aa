"""The exercise registry, ``check`` and the two exceptions a check raises.

A checker receives the learner's answer and returns how many cases it tried; it raises
``ExerciseFailed`` with a message that says what is wrong and where to look, or ``NotAttempted``
when the answer still raises ``NotImplementedError``. ``check`` adds the exercise id, prints one
deterministic line on success and keeps the traceback short; ``evaluate`` returns the outcome
instead (the grader's own process uses it). An answer that is, or calls, the library's own
reference fails (see ``provenance``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch

from ..i18n import _
from . import provenance

__all__ = [
    "EXERCISES",
    "Exercise",
    "ExerciseFailed",
    "NotAttempted",
    "Outcome",
    "call",
    "check",
    "describe",
    "evaluate",
    "exercise",
    "library_answers_allowed",
    "list_exercises",
]

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"


class ExerciseFailed(AssertionError):
    """The answer is wrong; the message says what is wrong and where to look."""


class NotAttempted(ExerciseFailed):
    """The answer still raises ``NotImplementedError``."""


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One exercise of the course; ``checker(answer)`` returns the number of cases it tried."""

    id: str
    lesson: str
    """The notebook it belongs to, e.g. ``02_vggnet``."""
    kind: str
    """``function``, ``class`` or ``dict``."""
    signature: str
    description: str
    """The contract, as in COURSE.md."""
    checker: Callable[[Any], int] = dataclasses.field(repr=False, compare=False)


EXERCISES: dict[str, Exercise] = {}


def exercise(id: str, *, lesson: str, kind: str, signature: str, description: str):
    """Register the decorated checker as exercise ``id``."""
    if kind not in ("function", "class", "dict"):
        raise ValueError(f"kind must be 'function', 'class' or 'dict', got {kind!r}")

    def register(checker: Callable[[Any], int]) -> Callable[[Any], int]:
        if id in EXERCISES:
            raise ValueError(f"exercise id {id!r} is registered twice")
        EXERCISES[id] = Exercise(id, lesson, kind, signature, description, checker)
        return checker

    return register


def _get(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        raise ValueError(f"exercise_id must be one of {', '.join(EXERCISES)}; got {exercise_id!r}")
    return EXERCISES[exercise_id]


def list_exercises(lesson: str | None = None) -> list[str]:
    """The exercise ids in course order (only those of ``lesson``, e.g. ``"02_vggnet"``, if given)."""
    return [e.id for e in EXERCISES.values() if lesson is None or e.lesson == lesson]


def describe(exercise_id: str) -> str:
    """What exercise ``exercise_id`` asks for: its lesson, the answer's signature and the contract."""
    ex = _get(exercise_id)
    return f"{ex.id} ({ex.lesson}, a {ex.kind}): {ex.signature}\n  {ex.description}"


def _not_attempted_message(exercise_id: str) -> str:
    return _("{exercise_id}: not attempted — replace `raise NotImplementedError()` with your answer").format(
        exercise_id=exercise_id
    )


def call(fn: Callable, *args, what: str, **kwargs):
    """Run the learner's code; ``NotImplementedError`` means not attempted, other errors fail.

    ``what`` describes the call in the learner's terms, e.g. ``conv_output_size(227, 11, stride=4)``.
    """
    __tracebackhide__ = True
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as error:
        if 'missing the required "forward" function' in str(error):
            raise ExerciseFailed(_("{what}: the class has no `forward` method").format(what=what)) from None
        raise NotAttempted() from None
    except Exception as error:  # the learner's error, reported in one line
        raise ExerciseFailed(
            _("{what} raised {error}: {message}").format(
                what=what, error=type(error).__name__, message=_first_line(error)
            )
        ) from None


def _first_line(error: BaseException, limit: int = 300) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


@contextlib.contextmanager
def _isolated() -> Iterator[None]:
    """Leave the notebook's random state, grad mode and thread count as they were.

    The checks run tiny tensors, which one thread does fastest (several threads contend badly on
    a busy machine).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]), torch.enable_grad():
            yield
    finally:
        torch.set_num_threads(threads)


TIME_LIMIT = 60.0
"""Seconds a check may run the learner's answer (every checker runs in well under one)."""
PRINT_LIMIT = 20
"""Lines of what an answer prints during a check that are shown; the rest are counted."""


@dataclasses.dataclass
class _Limits:
    """The time limit and the captured output of one check."""

    deadline: float
    printed: io.StringIO

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.deadline

    def report(self) -> str:
        lines = self.printed.getvalue().splitlines()
        shown = [line[:500] for line in lines[:PRINT_LIMIT]]
        if len(lines) > PRINT_LIMIT:
            more = len(lines) - PRINT_LIMIT
            shown.append(
                _("... and {count:,} more lines your answer printed during the check").format(count=more)
            )
        return "\n".join(shown)


@contextlib.contextmanager
def _limited() -> Iterator[_Limits]:
    """Run the learner's answer with a time limit (where the platform has SIGALRM and this is the
    main thread) and with what it prints captured, to be shown capped. The alarm raises
    KeyboardInterrupt through Python's own C handler: no library code runs inside the answer (the
    call watcher of ``provenance`` would take it for the reference), and an answer's ``except
    Exception`` cannot swallow it."""
    limits = _Limits(time.monotonic() + TIME_LIMIT, io.StringIO())
    alarm = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if alarm:
        previous = signal.signal(signal.SIGALRM, signal.default_int_handler)
        signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        with contextlib.redirect_stdout(limits.printed), contextlib.redirect_stderr(limits.printed):
            yield limits
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if report := limits.report():
            print(report)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one check decided: ``passed``, ``failed`` or ``not attempted``, and why."""

    status: str
    message: str = ""
    cases: int = 0


_library_answers_allowed = False


@contextlib.contextmanager
def library_answers_allowed() -> Iterator[None]:
    """Accept the course library's own reference as an answer (the checkers' own tests use it)."""
    global _library_answers_allowed
    before, _library_answers_allowed = _library_answers_allowed, True
    try:
        yield
    finally:
        _library_answers_allowed = before


def _reference_message(exercise_id: str, name: str, how: str) -> str:
    text = (
        _(
            "{exercise_id}: your answer is the course library's own `{name}`; write the answer "
            "yourself (from torch and Python), without the library's reference"
        )
        if how == "is"
        else _(
            "{exercise_id}: your answer calls the course library's own `{name}`; write the answer "
            "yourself (from torch and Python), without the library's reference"
        )
    )
    return text.format(exercise_id=exercise_id, name=name)


def evaluate(exercise_id: str, answer: Any) -> Outcome:
    """Run the checker of ``exercise_id`` on ``answer`` and say what it decided (never raises
    for a wrong answer). An answer that is, or calls, the library's reference fails."""
    __tracebackhide__ = True
    ex = _get(exercise_id)
    found = None if _library_answers_allowed else provenance.static_reference(answer)
    if found is not None:
        return Outcome(FAILED, _reference_message(exercise_id, found, "is"))
    outcome = None
    with provenance.watch_calls() as watcher:
        limits = None
        try:
            with _isolated(), _limited() as limits:
                cases = ex.checker(answer)
        except KeyboardInterrupt:
            if limits is None or not limits.passed:
                raise  # the learner's own interrupt
            outcome = Outcome(
                FAILED,
                _(
                    "{exercise_id}: your answer ran for more than {limit:g} s and was stopped "
                    "(an endless loop, or far more work than the exercise needs?)"
                ).format(exercise_id=exercise_id, limit=TIME_LIMIT),
            )
        except NotAttempted:
            outcome = Outcome(NOT_ATTEMPTED, _not_attempted_message(exercise_id))
        except ExerciseFailed as failure:
            outcome = Outcome(FAILED, f"{exercise_id}: {failure}")
        except Exception as bug:  # a checker that trips over an unusual answer still reports
            outcome = Outcome(
                FAILED,
                _("{exercise_id}: the check could not handle your answer ({error}: {message})").format(
                    exercise_id=exercise_id, error=type(bug).__name__, message=_first_line(bug)
                ),
            )
    if watcher.found is not None and not _library_answers_allowed:
        return Outcome(FAILED, _reference_message(exercise_id, watcher.found, "calls"))
    return outcome or Outcome(PASSED, "", cases)


def check(exercise_id: str, answer: Any) -> None:
    """Check ``answer`` against exercise ``exercise_id``: one line on success, else ExerciseFailed.

    Raises ``NotAttempted`` (an ``ExerciseFailed``) while the answer still raises NotImplementedError.
    """
    __tracebackhide__ = True
    outcome = evaluate(exercise_id, answer)
    if outcome.status == PASSED:
        line = "✔ " + _("{exercise_id}: passed ({cases} cases)").format(
            exercise_id=exercise_id, cases=outcome.cases
        )
        try:
            print(line)
        except UnicodeEncodeError:  # a console without UTF-8
            print(line.replace("✔", "OK"))
        return
    error = NotAttempted if outcome.status == NOT_ATTEMPTED else ExerciseFailed
    raise error(outcome.message) from None


def _short_traceback(shell, etype, value, tb, tb_offset=None):
    """IPython handler: show a failed check as one message, not a traceback through the checker."""
    stb = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, stb)
    return stb


def _install_ipython_handler() -> None:
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    shell = get() if get is not None else None
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return
    if ExerciseFailed in getattr(shell, "custom_exceptions", ()):
        return
    # set_custom_exc replaces any earlier handler; only claim it when nobody else has one.
    if getattr(shell, "custom_exceptions", ()):
        return
    shell.set_custom_exc((ExerciseFailed,), _short_traceback)


_install_ipython_handler()
