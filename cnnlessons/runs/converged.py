"""How the checkpoints the course ships train: one recipe per checkpoint, ``CONVERGED[name]``,
registered as ``converged/<name>`` (``cnnlessons train NAME`` trains one again;
``build_model(name, weights="cifar10")`` loads its weights)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..data import CourseData, load_dataset
from ..models.densenet import DENSENET_BC
from ..profiles import get_profile
from ..training import Training
from .recipes import Recipe, Run, register

PROFILE = "gpu"
"""The profile whose split the checkpoints and the runs to the end train on: all 45,000 training
images, 5,000 held out, the 10,000 test images."""


def load_training_data(data: str | os.PathLike) -> CourseData:
    """CIFAR-10 from ``data`` (a folder, or 'cifar10' to download), split as the checkpoints train
    on it: the ``PROFILE`` profile's 45,000 / 5,000 / 10,000 images."""
    profile = get_profile(PROFILE)
    return load_dataset(
        data,
        train_size=profile.train_size,
        val_size=profile.val_size,
        test_size=profile.test_size,
        image_size=profile.image_size,
    )


CONVERGED_TRAINING = Training(
    optimizer="sgd",
    lr=0.1,
    momentum=0.9,
    weight_decay=5e-4,
    schedule="onecycle",
    label_smoothing=0.1,
    batch_size=128,
    test=True,
)
"""How the shipped checkpoints train: a fast schedule (one-cycle, label smoothing), the random
crops and flips of every lesson, on the ``gpu`` profile's split of CIFAR-10 (45,000 training
images, the 5,000 held out choose the epochs)."""

WITHOUT_BN = Training(optimizer="adamw", lr=2e-3, weight_decay=0.05)
"""For the models without batch normalisation (AlexNet's and VGG's), which SGD at lr 0.1 does
not get going: AdamW, with its decoupled weight decay, as the lessons train them."""

CONVERGED_EPOCHS = {
    "resnet20": 100,
    "small_alexnet": 60,
    "small_vgg": 60,
    "small_googlenet": 60,
    "small_resnet": 60,
    "small_densenet": 80,
}
"""Each checkpoint's epoch budget, chosen on the 5,000 held-out images (the records keep the
validation curve of each run)."""

CHECKPOINT_MODELS: Mapping[str, tuple[str, Mapping[str, Any]]] = MappingProxyType(
    {
        "resnet20": ("resnet20", {}),
        "small_alexnet": ("small_alexnet", {}),
        "small_vgg": ("small_vgg", {}),
        "small_googlenet": ("small_googlenet", {}),
        "small_resnet": ("small_resnet", {}),
        "small_densenet": ("small_densenet", DENSENET_BC),
    }
)
"""Checkpoint name -> (``build_model`` name, arguments): the paper's ResNet-20 and each lesson's
course-scale model."""

CONVERGED: Mapping[str, Recipe] = MappingProxyType(
    {
        name: register(
            Recipe(
                f"converged/{name}",
                f"{name} trained to the end on CIFAR-10, the checkpoint the course ships",
                runs=(Run(name, model, kwargs),),
                training=CONVERGED_TRAINING.override(
                    WITHOUT_BN if name in ("small_alexnet", "small_vgg") else None
                ),
                fixed_epochs=CONVERGED_EPOCHS[name],
            )
        )
        for name, (model, kwargs) in CHECKPOINT_MODELS.items()
    }
)
"""Checkpoint name -> its recipe: ``CONVERGED_TRAINING`` (AdamW for the nets without batch
normalisation) for ``CONVERGED_EPOCHS[name]`` epochs, trained to the end once and shipped."""
