"""The old path of :mod:`cnnlessons.runs.prepare`, kept for notebooks handed out before the move."""

import sys

from .runs import prepare

sys.modules[__name__] = prepare
