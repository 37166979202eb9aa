"""Lesson 02 VGGNet: its training recipes, each registered once here and imported by the notebook, the
explorer, the reproduction and the tests."""

from __future__ import annotations

from ...measure import equivalent_3x3_layers
from ...runs.recipes import Recipe, Run, register
from ...training import Training
from . import claims

VGG = register(
    Recipe(
        "02_vggnet/vgg",
        "the scaled-down VGG: three blocks of two 3x3 convolutions",
        runs=(Run("SmallVGG", "small_vgg", data_kwargs=("image_size",)),),
        # Without batch normalisation VGG is slow to start with SGD on a short budget (the paper
        # trained its deeper nets from a shallower one's weights); AdamW gets it going.
        training=Training(optimizer="adamw", lr=1e-3, test=True),
    )
)


def kernel_label(kernel_size: int, num_layers: int) -> str:
    return f"{num_layers} x {kernel_size}x{kernel_size}"


def kernel_comparison(kernel_size: int = 7, num_layers: int = 1, width: int = 16) -> tuple[Run, Run]:
    """``num_layers`` kxk layers against the 3x3 stack with the same receptive field."""
    n3 = equivalent_3x3_layers(kernel_size, num_layers)
    return tuple(
        Run(kernel_label(k, n), "kernel_model", {"kernel_size": k, "num_layers": n, "width": width})
        for k, n in ((kernel_size, num_layers), (3, n3))
    )


KERNELS = register(
    Recipe(
        "02_vggnet/kernels",
        "one 7x7 layer against three 3x3 layers with the same receptive field",
        runs=kernel_comparison(7, 1),
        training=Training(optimizer="adamw", lr=2e-3),
        epochs=0.5,
    )
)

STACK_SHAPES = {"one 5x5": (5, 1, 32), "two 3x3": (3, 2, 36), "four 3x3": (3, 4, 36)}
"""The ledger's stacks (label -> kernel size, layers, width): two 3x3 layers see 5x5 as one 5x5
layer does, at 18 x 36^2 = 23,328 weights against 25 x 32^2 = 25,600 (the 3x3 stack's width is the
widest whose weights stay under the 5x5's); four 3x3 layers are the deeper stack at the same width."""

STACKS = register(
    Recipe(
        "02_vggnet/stacks",
        "stacks of 3x3 convolutions against one 5x5 (same receptive field, fewer weights) and against "
        "a deeper stack (VGG's section 4.1 and Table 3 at course scale)",
        runs=tuple(
            Run(label, "kernel_model", {"kernel_size": k, "num_layers": n, "width": w})
            for label, (k, n, w) in STACK_SHAPES.items()
        ),
        # The claims read the test split alone: no training images evaluated after each epoch and
        # 100 validation images leave the time to training.
        training=Training(optimizer="adamw", lr=2e-3, test=True, train_eval_size=0),
        val_size=100,
        # On a CPU, five epochs: nine runs are most of the lesson's 6-minute budget.
        settings={"cpu": {"epochs": 5 / 6}},
        claims={
            claims.SMALL_KERNELS: {"3x3 stack": "two 3x3", "large kernel": "one 5x5"},
            claims.DEPTH: {"deeper": "four 3x3", "shallower": "two 3x3"},
        },
    )
)
