"""The old path of :mod:`cnnlessons.runs.results`, kept for notebooks handed out before the move."""

import sys

from .runs import results

sys.modules[__name__] = results
