"""The exercise engine: ``check("<id>", answer)`` after each exercise of the course.

Each lesson defines and registers its checkers (``cnnlessons.lessons.<lesson>.exercises``, with
``exercise``); importing ``cnnlessons.lessons`` registers them all, and ``from cnnlessons import
check`` does so first. A check prints one line when the answer is right, raises ``ExerciseFailed``
with a message that says what is wrong and where to look (never the solution), and ``NotAttempted``
while the answer still raises ``NotImplementedError``. ``EXERCISES`` lists them in course order; the
ids and contracts are those of the course map (COURSE.md). After a block exercise, ``draw_answer``
draws the learner's block beside the lesson's.
"""

from __future__ import annotations

from .core import EXERCISES, Exercise, ExerciseFailed, NotAttempted, check, describe, list_exercises
from .drawing import draw_answer

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
