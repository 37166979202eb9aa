"""Lesson 05 DenseNet: its training recipes, each registered once here and imported by the notebook, the
explorer, the reproduction and the tests."""

from __future__ import annotations

from ...models.densenet import DENSENET_BC
from ...runs.recipes import Recipe, Run, register, register_opening
from ...training import Training
from . import claims

DENSENET_VS_RESNET = register(
    Recipe(
        "05_densenet/densenet_vs_resnet",
        "DenseNet-BC (k=12) against ResNet-14 (2.4 times its parameters), same budget, no augmentation",
        runs=(
            Run("DenseNet-BC", "small_densenet", DENSENET_BC),
            Run("ResNet-14", "small_resnet", {"depth": 14, "width": 16}),
        ),
        # Without augmentation, as in the paper's C10 columns, where its gap to ResNet is widest.
        training=Training(optimizer="sgd", lr=0.1, test=True, augment=False),
        # On a CPU: half the images at 16x16 pixels (a DenseNet's many thin layers cost 4.3 times
        # less there) for the profile's epochs, so that every seed fits the lesson's budget.
        epochs=0.5,
        measure=("flops",),
        settings={"cpu": dict(subset=2, image_size=16, epochs=1.0)},
        claims={claims.PARAMETER_EFFICIENCY: {"densenet": "DenseNet-BC", "resnet": "ResNet-14"}},
    )
)


def growth_rate_label(growth_rate: int, num_layers: int, bottleneck: bool = False) -> str:
    return f"k={growth_rate}, L={num_layers}{', BC' if bottleneck else ''}"


def growth_rate_run(growth_rate: int, num_layers: int, bottleneck: bool = False) -> Run:
    """The DenseNet explorer's run of one setting: a three-block ``small_densenet`` with
    ``num_layers`` per block, trained as ``DENSENET_VS_RESNET`` trains the
    lesson's DenseNet-BC."""
    return Run(
        growth_rate_label(growth_rate, num_layers, bottleneck),
        "small_densenet",
        {"growth_rate": growth_rate, "block_config": (num_layers,) * 3, "bottleneck": bottleneck},
    )


register_opening("GrowthRateExplorer k=12 L=4", DENSENET_VS_RESNET, growth_rate_run(12, 4))
"""The explorer opens on a setting no recipe's own runs train: ``cnnlessons prepare`` trains it besides
the recipes, as the explorer's button would. (VGG's explorer opens on the runs of ``vgg.recipes.KERNELS``
and ResNet's on those of ``resnet.recipes.DEGRADATION``: recipes already.)"""
