"""The old path of :mod:`cnnlessons.runs.recipes`, kept for notebooks handed out before the move."""

import sys

from .runs import recipes

sys.modules[__name__] = recipes
