"""Lesson 00 (start here): the warm-up exercise's checker.

Its modules: ``exercises`` (its checkers). Importing it registers its recipes, claims and checkers.
"""

from __future__ import annotations

from . import exercises

__all__ = ["exercises"]
