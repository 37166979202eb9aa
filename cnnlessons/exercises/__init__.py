"""Exercise checkers: ``check("<id>", answer)`` after each exercise of the course.

A check prints one line when the answer is right, raises ``ExerciseFailed`` with a message that
says what is wrong and where to look (never the solution), and ``NotAttempted`` while the answer
still raises ``NotImplementedError``. ``EXERCISES`` lists them in course order; the ids and contracts
are those of the course map (COURSE.md). After a block exercise, ``draw_answer`` draws the
learner's block beside the lesson's.
"""

from __future__ import annotations

from .core import EXERCISES, Exercise, ExerciseFailed, NotAttempted, check, describe, list_exercises
from .drawing import draw_answer

# Registration order is course order.
from . import start, alexnet, vgg, googlenet, resnet, densenet, summary  # noqa: E402,F401  isort: skip

__all__ = [
    "EXERCISES",
    "Exercise",
    "ExerciseFailed",
    "NotAttempted",
    "check",
    "describe",
    "list_exercises",
    "draw_answer",
]
