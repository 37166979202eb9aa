"""Lesson 02 (VGGNet): stacks of 3x3 convolutions against larger kernels, depth, the classifier as
convolutions.

Its modules: ``recipes`` (its training runs), ``claims`` (its ledger's claims), ``experiments`` (its
measurements, also as ``lesson.<name>``), ``explorer`` (its widget), ``exercises`` (its checkers).
Importing it registers its recipes, claims and checkers.
"""

from __future__ import annotations

from . import claims, exercises, experiments, recipes
from .experiments import *  # noqa: F403

__all__ = ["claims", "exercises", "experiments", "recipes", *experiments.__all__]
