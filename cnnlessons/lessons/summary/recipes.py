"""Lesson 06 Summary: its training recipes, each registered once here and imported by the notebook, the
explorer, the reproduction and the tests."""

from __future__ import annotations

from ...models.densenet import DENSENET_BC
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
