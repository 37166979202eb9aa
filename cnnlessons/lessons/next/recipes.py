"""Lesson 07 What came next: its training recipes, each registered once here and imported by the notebook,
the reproduction and the tests. One recipe per effect claim, each a pair of twins that differ in the one
idea the claim is about."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...models.next import equal_cost_bottleneck_width
from ...runs.recipes import Recipe, Run, register
from ...training import Training
from . import claims

# -- ResNeXt: more groups, each narrower, at the same cost ----------------------------------------


def resnext_label(depth: int, cardinality: int, bottleneck_width: int) -> str:
    """``ResNeXt-20 (8x4d)``: the paper's names, cardinality x bottleneck width."""
    return f"ResNeXt-{depth} ({cardinality}x{bottleneck_width}d)"


def twin_bottleneck_width(settings: Mapping[str, Any]) -> int:
    """The one-group twin's bottleneck width: the weights of the grouped block at the stage's
    width (ResNeXt's Table 2 rule, :func:`~cnnlessons.models.next.equal_cost_bottleneck_width`)."""
    return equal_cost_bottleneck_width(
        settings["width"], 1, like=(settings["cardinality"], settings["bottleneck_width"])
    )


def _cardinality_runs(settings: Mapping[str, Any]) -> tuple[Run, ...]:
    depth, width = settings["depth"], settings["width"]
    shapes = ((settings["cardinality"], settings["bottleneck_width"]), (1, twin_bottleneck_width(settings)))
    return tuple(
        Run(
            resnext_label(depth, c, d),
            "small_resnext",
            {"depth": depth, "width": width, "cardinality": c, "bottleneck_width": d},
        )
        for c, d in shapes
    )


def _cardinality_arms(settings: Mapping[str, Any]) -> Mapping[str, str]:
    """The arms of ``claims.CARDINALITY``, as the profile labels them."""
    grouped, one_group = (run.label for run in _cardinality_runs(settings))
    return {"grouped": grouped, "one group": one_group}


CARDINALITY = register(
    Recipe(
        "07_what_came_next/cardinality",
        "a ResNeXt (more groups, each narrower) against its one-group twin of the same weights and FLOPs "
        "(the width of ResNeXt's Table 2 rule)",
        runs=_cardinality_runs,
        training=Training(optimizer="sgd", lr=0.1, test=True),
        measure=("flops",),
        # gpu: ResNeXt-20 at 64/128/256 channels, 8x4d against 1x18d (weights 0.97, FLOPs 1.05 of the
        # twin's). cpu: provisional, until the budget is planned from measured rates: half the width
        # (4x4d against 1x10d) at 16x16 pixels. smoke: the smallest net, 11 layers.
        settings={
            "gpu": dict(depth=20, width=64, cardinality=8, bottleneck_width=4),
            "cpu": dict(depth=20, width=32, cardinality=4, bottleneck_width=4, image_size=16),
            "smoke": dict(depth=11, width=16, cardinality=4, bottleneck_width=2),
        },
        claims={claims.CARDINALITY: _cardinality_arms},
    )
)

# -- SENet: a gate on every residual block ----------------------------------------------------------


def _se_runs(settings: Mapping[str, Any]) -> tuple[Run, ...]:
    depth, width = settings["depth"], settings["width"]
    # Built from the same seed, the SE net starts from the ResNet's own weights (its gates are
    # drawn after them): the two differ in the gates alone.
    return (
        Run(f"ResNet-{depth}", "cifar_resnet", {"depth": depth, "width": width}),
        Run(
            f"SE-ResNet-{depth}",
            "small_se_resnet",
            {"depth": depth, "width": width, "reduction": settings["reduction"]},
        ),
    )


def _se_arms(settings: Mapping[str, Any]) -> Mapping[str, str]:
    """The arms of ``claims.SQUEEZE_EXCITATION``, as the profile labels them."""
    plain, se = (run.label for run in _se_runs(settings))
    return {"se": se, "plain": plain}


SQUEEZE_EXCITATION = register(
    Recipe(
        "07_what_came_next/squeeze_excitation",
        "the course's CIFAR ResNet with a squeeze-and-excitation gate in every residual block against "
        "the same ResNet without",
        runs=_se_runs,
        training=Training(optimizer="sgd", lr=0.1, test=True),
        measure=("flops",),
        # Reduction 4, not the paper's 16: at 16 channels r = 16 leaves one unit to gate them.
        # gpu: ResNet-20. cpu: provisional, until the budget is planned from measured rates:
        # ResNet-14 at 16x16 pixels. smoke: ResNet-8 at a quarter of the width.
        settings={
            "gpu": dict(depth=20, width=16, reduction=4),
            "cpu": dict(depth=14, width=16, reduction=4, image_size=16),
            "smoke": dict(depth=8, width=4, reduction=4),
        },
        claims={claims.SQUEEZE_EXCITATION: _se_arms},
    )
)

# -- MobileNet: depthwise separable against full convolutions -------------------------------------


def _mobilenet_runs(settings: Mapping[str, Any]) -> tuple[Run, ...]:
    width = settings["width"]
    return (
        Run("MobileNet", "small_mobilenet", {"width": width}),
        Run("Conv MobileNet", "small_mobilenet", {"width": width, "full_convolution": True}),
    )


DEPTHWISE_SEPARABLE = register(
    Recipe(
        "07_what_came_next/depthwise_separable",
        "the small MobileNet (depthwise separable blocks) against its twin of full 3x3 convolutions, "
        "the same depth and widths (MobileNet's Table 4)",
        runs=_mobilenet_runs,
        training=Training(optimizer="sgd", lr=0.1, test=True),
        measure=("flops",),
        # gpu: 32 to 256 channels (every block at least 64 wide: 1/64 + 1/9 of the twin's FLOPs).
        # cpu: provisional, until the budget is planned from measured rates: the same net at 16x16
        # pixels on half the images. smoke: half the width (blocks at least 32 wide).
        settings={
            "gpu": dict(width=32),
            "cpu": dict(width=32, image_size=16, subset=2),
            "smoke": dict(width=16),
        },
        claims={claims.DEPTHWISE_SEPARABLE: {"separable": "MobileNet", "full": "Conv MobileNet"}},
    )
)
