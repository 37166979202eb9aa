"""Plot helpers: training curves of several runs on one figure, bar charts, image grids, where a
shipped checkpoint goes wrong, figures that read without colour, and the course-wide figure of the
ImageNet challenge's winners (``ILSVRC_RESULTS``, ``plot_ilsvrc``).

One module per concern: ``history`` (training curves), ``comparisons`` (bar charts and paired
comparisons), ``images`` (image grids), ``errors`` (a checkpoint's errors by class and its most
confident mistakes), ``styles`` (``legible``: a marker and line style per series, one legend below
the panels), ``ilsvrc`` (the challenge's winners)."""

from __future__ import annotations

from .comparisons import plot_bars, plot_gradient_sizes, plot_paired
from .errors import Mistakes, checkpoint_accuracy, checkpoint_title, plot_class_errors, plot_mistakes
from .history import integer_epochs, plot_history, plot_seeds, reference_label
from .ilsvrc import ILSVRC_RESULTS, ILSVRCEntry, plot_ilsvrc
from .images import RIGHT, WRONG, show_gallery, show_images  # noqa: F401  RIGHT, WRONG: the prediction colours
from .styles import legible

__all__ = [
    "plot_history",
    "plot_seeds",
    "plot_paired",
    "plot_bars",
    "show_images",
    "reference_label",
    "plot_gradient_sizes",
    "show_gallery",
    "integer_epochs",
    "legible",
    "plot_class_errors",
    "plot_mistakes",
    "Mistakes",
    "checkpoint_accuracy",
    "checkpoint_title",
    "ILSVRC_RESULTS",
    "ILSVRCEntry",
    "plot_ilsvrc",
]
