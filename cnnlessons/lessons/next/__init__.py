"""Lesson 07 (what came next): each of the course's ideas taken further: ResNeXt's grouped
convolutions, SENet's channel gates, MobileNet's depthwise separable convolutions and ConvNeXt's
modernised ResNet block.

Its modules: ``recipes`` (its training runs), ``claims`` (its ledger's claims), ``experiments`` (its
measurements, also as ``lesson.<name>``), ``exercises`` (its checkers). Importing it registers its
recipes, claims and checkers.
"""

from __future__ import annotations

from . import claims, exercises, experiments, recipes
from .experiments import *  # noqa: F403

__all__ = ["claims", "exercises", "experiments", "recipes", *experiments.__all__]
