"""Lesson 07 (what came next): each of the course's ideas taken further: ResNeXt's grouped
convolutions, SENet's channel gates, MobileNet's depthwise separable convolutions and ConvNeXt's
modernised ResNet block.

Its modules: ``recipes`` (its training runs), ``claims`` (its ledger's claims), ``experiments`` (its
measurements, also as ``lesson.<name>``). Importing it registers its recipes and claims.
"""

from __future__ import annotations

from . import claims, experiments, recipes
from .experiments import *  # noqa: F403

__all__ = ["claims", "experiments", "recipes", *experiments.__all__]
