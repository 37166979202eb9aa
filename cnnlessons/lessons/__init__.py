"""The lessons, one package each: ``start`` (00), ``alexnet`` (01), ``vgg`` (02), ``googlenet`` (03),
``resnet`` (04), ``densenet`` (05), ``summary`` (06) and ``next`` (07, what came next).

A lesson's package holds what belongs to that lesson alone: its recipes, its claims, its
measurements, its explorer and its exercise checkers. Lessons import the machinery (``runs``,
``claims``, ``exercises``, ``explorers``, the models and the library) and never each other.
Importing this package registers every lesson's recipes, claims and checkers, in course order.
"""

from __future__ import annotations

# Registration order is course order.
from . import start, alexnet, vgg, googlenet, resnet, densenet, summary, next  # isort: skip


__all__ = ["start", "alexnet", "vgg", "googlenet", "resnet", "densenet", "summary", "next"]
