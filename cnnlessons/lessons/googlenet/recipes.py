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
        # On a CPU, four epochs: one run to watch, the ablations need the lesson's budget more.
        settings={"cpu": {"epochs": 2 / 3}},
    )
)


def _ablation_runs(settings: Mapping[str, Any]) -> tuple[Run, ...]:
    width, equal_flops = settings["width"], settings["reduced_width"]
    return (
        Run("reduced", "small_googlenet", {"width": width}),
        Run("naive", "small_googlenet", {"width": width, "reductions": False}),
        Run("reduced, equal FLOPs", "small_googlenet", {"width": equal_flops}),
        Run("no BN, lr 0.1", "small_googlenet", {"width": width, "batch_norm": False}),
        Run("no BN, lr 0.01", "small_googlenet", {"width": width, "batch_norm": False}, Training(lr=0.01)),
    )


# The reductions claim compares at equal FLOPs: the naive net keeps the lesson's ablation width, the
# reduced one has all its widths scaled by one factor, the smallest whose FLOPs per image come within
# 10% of the naive net's (flops_per_image; test_ablation_pair_has_equal_flops holds it):
#   gpu   (3x32x32): naive width 16 101.8 MFLOPs, reduced width 28 97.8 (0.96; 27 gives 0.90)
#   cpu   (3x32x32): naive width 8   26.1 MFLOPs, reduced width 14 25.7 (0.98; 13 gives 0.84)
#   smoke (1x16x16): naive width 4    1.6 MFLOPs, reduced width 7   1.6 (0.98; 6 is further off)
# The batch-norm arms keep the lesson's ablation width ("reduced" is their net with BN).
EQUAL_FLOPS = {"gpu": (16, 28), "cpu": (8, 14), "smoke": (4, 7)}
"""Profile -> (the naive net's width, the reduced net's width at equal FLOPs)."""


ABLATIONS = register(
    Recipe(
        "03_googlenet/ablations",
        "the small GoogLeNet with its 1x1 reductions against the naive Inception block, and with batch "
        "normalisation against without it at a high and a low learning rate",
        runs=_ablation_runs,
        # The lesson's recipe (SGD, lr 0.1) for all; every net starts from He initialisation, so that
        # batch norm and the learning rate are what differs, not the initialisation.
        training=Training(optimizer="sgd", lr=0.1, test=True),
        # Half the images for two thirds of the epochs, at half the lesson's width on a CPU: thin
        # Inception branches are what costs there. The cpu profile trains for a third of its epochs
        # (2 on 5,000 images), to pay for the reduced net at equal FLOPs (about 3 times the cost of
        # the width-8 one) within the notebook's 6 minutes: chosen from the time estimate alone.
        epochs=2 / 3,
        subset=2,
        init="he",
        measure=("flops",),
        settings={
            profile: {
                "width": naive,
                "reduced_width": reduced,
                **({"epochs": 1 / 3} if profile == "cpu" else {}),
            }
            for profile, (naive, reduced) in EQUAL_FLOPS.items()
        },
        claims={
            claims.REDUCTIONS: {"reduced": "reduced, equal FLOPs", "naive": "naive"},
            claims.BATCH_NORM: {
                "bn, high rate": "reduced",
                "no bn, high rate": "no BN, lr 0.1",
                "no bn, low rate": "no BN, lr 0.01",
            },
        },
    )
)
