"""Lesson 04 ResNet: its training recipes, each registered once here and imported by the notebook, the
explorer, the reproduction and the tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ...runs.converged import CONVERGED_TRAINING
from ...runs.recipes import Recipe, Run, register
from ...training import Training
from . import claims


def resnet_label(shortcut: str, depth: int) -> str:
    """``plain-20``, ``ResNet-20`` (identity shortcut), ``ResNet-20 (projection where needed)``
    or ``ResNet-20 (projection)``."""
    if shortcut == "none":
        return f"plain-{depth}"
    if shortcut == "identity":
        return f"ResNet-{depth}"
    return f"ResNet-{depth} ({shortcut.replace('_', ' ')})"


def resnet_run(depth: int, shortcut: str, width: int) -> Run:
    """``SmallResNet(depth=depth, shortcut=shortcut)`` at ``width``, labelled as the lesson names it."""
    return Run(
        resnet_label(shortcut, depth), "cifar_resnet", {"depth": depth, "shortcut": shortcut, "width": width}
    )


def _degradation_runs(settings: Mapping[str, Any]) -> tuple[Run, ...]:
    return tuple(
        resnet_run(depth, shortcut, settings["width"])
        for depth in settings["depths"]
        for shortcut in ("none", "identity")
    )


def _degradation_arms(settings: Mapping[str, Any]) -> Mapping[str, str]:
    """The arms of ``claims.DEGRADATION``, as the profile labels them."""
    shallow, deep = settings["depths"]
    return {"plain deep": resnet_label("none", deep), "plain shallow": resnet_label("none", shallow)}


def _shortcuts_arms(settings: Mapping[str, Any]) -> Mapping[str, str]:
    """The arms of ``claims.SHORTCUTS``, as the profile labels them."""
    shallow, deep = settings["depths"]
    return {
        "residual deep": resnet_label("identity", deep),
        "plain deep": resnet_label("none", deep),
        "residual shallow": resnet_label("identity", shallow),
    }


DEGRADATION = register(
    Recipe(
        "04_resnet/degradation",
        "plain and residual networks, shallow and deep (the paper's 20 and 56 layers in gpu)",
        runs=_degradation_runs,
        # The paper's CIFAR-10 learning rate; the training error measured on 2,500 training images.
        training=Training(optimizer="sgd", lr=0.1, test=True, train_eval_size=2500),
        # What each profile affords: the paper's 20 against 56 layers at width 16 on a GPU; on a
        # CPU 8 against 20 layers at half the width, on a quarter of the images for twice the epochs
        # at 16x16 pixels (a quarter of the arithmetic: every seed of four networks fits the lesson's
        # budget, and the training error is measured on all 2,500 images); in smoke 8 against 20
        # layers at width 4.
        settings={
            "gpu": dict(depths=(20, 56), width=16, max_depth=110),
            "cpu": dict(depths=(8, 20), width=8, max_depth=32, subset=4, epochs=2.0, image_size=16),
            "smoke": dict(depths=(8, 20), width=4, max_depth=20),
        },
        claims={claims.DEGRADATION: _degradation_arms, claims.SHORTCUTS: _shortcuts_arms},
    )
)


def _shortcut_runs(settings: Mapping[str, Any]) -> tuple[Run, ...]:
    identity, projection = (
        resnet_run(settings["depth"], shortcut, settings["width"])
        for shortcut in ("identity", "projection_where_needed")
    )
    return identity, dataclasses.replace(projection, init_like=identity.label)


def _shortcut_arms(settings: Mapping[str, Any]) -> Mapping[str, str]:
    return {
        "identity": resnet_label("identity", settings["depth"]),
        "projection": resnet_label("projection_where_needed", settings["depth"]),
    }


SHORTCUTS = register(
    Recipe(
        "04_resnet/shortcuts",
        "identity (option A) against projection shortcuts where the shape changes (option B), same network",
        runs=_shortcut_runs,
        training=Training(optimizer="sgd", lr=0.1, test=True),
        # The two nets differ in two shortcuts, so their accuracies differ by less than one run's
        # noise on a short budget: the projection net starts from the identity net's weights wherever
        # they share a layer (and sees the same batches), and on a CPU the shallow net trains on all
        # the profile's images at 16x16 for over three times the epochs, to end closer to where each
        # converges.
        settings={
            "gpu": dict(depth=20, width=16),
            "cpu": dict(depth=8, width=8, epochs=10 / 3, image_size=16),
            "smoke": dict(depth=8, width=4),
        },
        claims={claims.IDENTITY_VS_PROJECTION: _shortcut_arms},
    )
)

RESNET20_FAST = register(
    Recipe(
        "04_resnet/resnet20_fast",
        "ResNet-20 (the paper's CIFAR-10 network), one-cycle SGD, label smoothing 0.1",
        runs=(Run("ResNet-20", "resnet20"),),
        training=Training(optimizer="sgd", lr=0.2, label_smoothing=0.1, weight_decay=5e-4, test=True),
        epochs=2.0,
        reference=True,  # ``reproduce``'s headline run and ``bench``'s model; the notebook trains none
    )
)


def preactivation_label(depth: int, block: str) -> str:
    """``ResNet-20`` or ``ResNet-20 (pre-activation)``."""
    return f"ResNet-{depth}" + (" (pre-activation)" if block == "preact" else "")


def _preactivation_runs(settings: Mapping[str, Any]) -> tuple[Run, ...]:
    depth, width = settings["depth"], settings["width"]
    return tuple(
        Run(
            preactivation_label(depth, block),
            "cifar_resnet",
            {"depth": depth, "shortcut": "identity", "width": width, "block": block},
        )
        for block in ("basic", "preact")
    )


PREACTIVATION = register(
    Recipe(
        "04_resnet/preactivation",
        "the original residual block against the pre-activation block (He et al. 2016), same depth",
        runs=_preactivation_runs,
        training=Training(optimizer="sgd", lr=0.1, test=True),
        # The paper compares them at 110 layers (and 164, 1001): on a GPU ResNet-110; on a CPU
        # ResNet-20 at a quarter of the width, half the epochs on half the images.
        epochs=0.5,
        subset=2,
        settings={
            "gpu": dict(depth=110, width=16),
            "cpu": dict(depth=20, width=4),
            "smoke": dict(depth=14, width=4),
        },
    )
)

# -- trained to the end: the paper's Figure 6 on all 45,000 training images ---------------------
END_DEPTHS = (20, 56)
"""The paper's shallow and deep nets; at 40 epochs a -56 run takes about 115 minutes in bf16 on the
2-core AMD EPYC, under the 2 hours a reference run may take."""

DEGRADATION_END = register(
    Recipe(
        "04_resnet/degradation_end",
        "the paper's Figure 6 trained to the end: plain and residual nets of 20 and 56 layers on all "
        "training images, the shipped ResNet-20's schedule for 40 epochs",
        runs=tuple(
            resnet_run(depth, shortcut, 16) for depth in END_DEPTHS for shortcut in ("none", "identity")
        ),
        # The converged ResNet-20's recipe (one-cycle SGD at 0.1, weight decay, label smoothing,
        # crops and flips) in bf16 autocast (its check against fp32: docs/results.md);
        # the training error in eval mode on 10,000 of the training images.
        training=CONVERGED_TRAINING.override(Training(train_eval_size=10_000, precision="bf16")),
        fixed_epochs=40,
        reference=True,
        claims={
            claims.DEGRADATION: {"plain deep": "plain-56", "plain shallow": "plain-20"},
            claims.SHORTCUTS: {
                "residual deep": "ResNet-56",
                "plain deep": "plain-56",
                "residual shallow": "ResNet-20",
            },
        },
    )
)
