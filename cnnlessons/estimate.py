"""The old path of :mod:`cnnlessons.runs.estimate`, kept for notebooks handed out before the move."""

import sys

from .runs import estimate

sys.modules[__name__] = estimate
