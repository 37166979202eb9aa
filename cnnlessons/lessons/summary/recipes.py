"""Lesson 06 Summary: its training recipes, each registered once here and imported by the notebook, the
explorer, the reproduction and the tests."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ...models.densenet import DENSENET_BC
from ...runs.converged import CONVERGED_TRAINING
from ...runs.recipes import Recipe, Run, register
from ...training import Training
from . import claims

SMALL_MODELS = {
    "AlexNet": ("small_alexnet", {}),
    "VGG": ("small_vgg", {}),
    "GoogLeNet": ("small_googlenet", {}),
    "ResNet": ("small_resnet", {}),
    "DenseNet": ("small_densenet", DENSENET_BC),
}
"""Label -> (``build_model`` name, arguments): each lesson's course-scale model (the DenseNet is
lesson 05's DenseNet-BC)."""

FIVE_MODELS = register(
    Recipe(
        "06_summary/five_models",
        "the five course-scale models under one budget",
        runs=tuple(Run(label, name, kwargs) for label, (name, kwargs) in SMALL_MODELS.items()),
        training=Training(optimizer="adamw", lr=2e-3, test=True),
        epochs=0.5,
        measure=("flops", "peak_memory", "saved_memory"),
        # On a CPU: half the images at 16x16 pixels for the profile's epochs, so that every seed of
        # the five fits the lesson.
        settings={"cpu": dict(subset=2, image_size=16, epochs=1.0)},
        claims={
            claims.FIVE_MODELS: {
                "googlenet": "GoogLeNet",
                "resnet": "ResNet",
                "densenet": "DenseNet",
                "alexnet": "AlexNet",
                "vgg": "VGG",
            }
        },
    )
)

FULL_RECIPE = "full recipe"
"""The label of the ingredients recipe's run that trains with every ingredient."""

INGREDIENTS: Mapping[str, tuple[str, Training]] = MappingProxyType(
    {
        "one-cycle": ("no one-cycle (constant rate)", Training(schedule="constant")),
        "label smoothing": ("no label smoothing", Training(label_smoothing=0.0)),
        "weight decay": ("no weight decay", Training(weight_decay=0.0)),
        "augmentation": ("no augmentation", Training(augment=False)),
    }
)
"""Ingredient of the checkpoints' recipe -> (the label of the run that leaves it out, the one
``Training`` field that run changes)."""

INGREDIENTS_TRAINING = CONVERGED_TRAINING.override(Training(augment=True, train_eval_size=0))
"""The checkpoints' recipe (``CONVERGED_TRAINING``: one-cycle SGD at 0.1, label smoothing 0.1,
weight decay 5e-4, batch 128) with its augmentation named, and no training images evaluated after
each epoch (the runs are compared on the test split alone)."""

INGREDIENTS_RECIPE = register(
    Recipe(
        "06_summary/ingredients",
        "the small ResNet with the checkpoints' recipe, and with each of its four ingredients left "
        "out in turn (one seed)",
        runs=(
            Run(FULL_RECIPE, "small_resnet"),
            *(Run(label, "small_resnet", training=change) for label, change in INGREDIENTS.values()),
        ),
        training=INGREDIENTS_TRAINING,
        epochs=0.5,
        # On a CPU: five_models' ResNet data (half the images at 16x16 pixels) for 9 epochs, so that
        # the five runs take about 75 s together by the time estimate (at most about 100 s).
        settings={"cpu": dict(subset=2, image_size=16, epochs=1.5)},
    )
)
