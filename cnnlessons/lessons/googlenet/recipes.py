"""Lesson 03 GoogLeNet: its training recipes, each registered once here and imported by the notebook, the
explorer, the reproduction and the tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...runs.recipes import Recipe, Run, register
from ...training import Training
from . import claims

GOOGLENET = register(
    Recipe(
        "03_googlenet/googlenet",
        "the scaled-down GoogLeNet",
        runs=(Run("SmallGoogLeNet", "small_googlenet"),),
        training=Training(optimizer="sgd", lr=0.1, test=True),
    )
)


def _ablation_runs(settings: Mapping[str, Any]) -> tuple[Run, ...]:
    width = settings["width"]
    return (
        Run("reduced", "small_googlenet", {"width": width}),
        Run("naive", "small_googlenet", {"width": width, "reductions": False}),
        Run("no BN, lr 0.1", "small_googlenet", {"width": width, "batch_norm": False}),
        Run("no BN, lr 0.01", "small_googlenet", {"width": width, "batch_norm": False}, Training(lr=0.01)),
    )


ABLATIONS = register(
    Recipe(
        "03_googlenet/ablations",
        "the small GoogLeNet with its 1x1 reductions against the naive Inception block, and with batch "
        "normalisation against without it at a high and a low learning rate",
        runs=_ablation_runs,
        # The lesson's recipe (SGD, lr 0.1) for all; every net starts from He initialisation, so that
        # batch norm and the learning rate are what differs, not the initialisation.
        training=Training(optimizer="sgd", lr=0.1, test=True),
        # Half the images for two thirds of the epochs (4 epochs on 5,000 images in cpu), at half the
        # lesson's width on a CPU: thin Inception branches are what costs there.
        epochs=2 / 3,
        subset=2,
        init="he",
        measure=("flops",),
        settings={"gpu": dict(width=16), "cpu": dict(width=8), "smoke": dict(width=4)},
        claims={
            claims.REDUCTIONS: {"reduced": "reduced", "naive": "naive"},
            claims.BATCH_NORM: {
                "bn, high rate": "reduced",
                "no bn, high rate": "no BN, lr 0.1",
                "no bn, low rate": "no BN, lr 0.01",
            },
        },
    )
)
