"""The old path of :mod:`cnnlessons.runs.runcache`, kept for notebooks handed out before the move."""

import sys

from .runs import runcache

sys.modules[__name__] = runcache
