"""See inside the networks: architecture diagrams drawn from the code, learned filters, feature
maps, class-activation maps, activation statistics, layer tables and the library's own code;
``fold(summary, body)`` shows what a lesson prints only for the record closed under one line.

``diagram(model, input_size)`` draws any block or model as it runs on an image of that size.
The other functions take the model a lesson trained (any course model, or a torchvision one) and
normalised images (``data.batch("test", 8)[0]``); every ``plot_*`` returns its figure.
"""

from __future__ import annotations

from .cam import default_target_layer, gradcam, plot_gradcam, predict
from .diagram import diagram
from .filters import first_layer_filters, plot_filters
from .normalisation import LayerStats, activation_stats, plot_activation_stats
from .plumbing import fold, fold_layers, fold_references
from .prose import say
from .source import EXERCISE_REFERENCES, show_source, source_of
from .stages import Stage, feature_maps, plot_feature_maps, shape_table, stage_names, stages

__all__ = [
    "diagram",
    "first_layer_filters",
    "plot_filters",
    "Stage",
    "stages",
    "stage_names",
    "feature_maps",
    "plot_feature_maps",
    "shape_table",
    "gradcam",
    "plot_gradcam",
    "predict",
    "default_target_layer",
    "LayerStats",
    "activation_stats",
    "plot_activation_stats",
    "show_source",
    "source_of",
    "EXERCISE_REFERENCES",
    "say",
    "fold",
    "fold_layers",
    "fold_references",
]
