"""Lesson 06 Summary: its claims, the effect claims that paired training runs decide and the checks that a
computation decides (the course map's claims ledger)."""

from __future__ import annotations

from ...claims import CheckClaim, Condition, EffectClaim, accuracy_condition, register_check, register_claim

_FIVE = [
    accuracy_condition(new, old, "higher", 3.0, f"{new} more accurate than {old} by at least 3 points")
    for new in ("googlenet", "resnet", "densenet")
    for old in ("alexnet", "vgg")
]

FIVE_MODELS = register_claim(
    EffectClaim(
        "summary.five_models",
        "06",
        "the BN-era designs (GoogLeNet, ResNet, DenseNet) beat AlexNet and VGG under one budget; "
        "time, parameters, FLOPs and memory side by side",
        "each BN-era model more accurate than AlexNet and VGG by at least 3 points, with the table complete",
        "the papers' tables",
        (
            *_FIVE,
            Condition(
                "row_complete",
                "googlenet",
                ("resnet", "densenet", "alexnet", "vgg"),
                "holds",
                words="the table complete: parameters, FLOPs, accuracy, time and memory of every model",
            ),
        ),
    )
)

THREE_3X3 = register_check(
    CheckClaim(
        "summary.three_3x3",
        "06",
        "three 3x3 convolutions see 7x7 with 27C² instead of 49C² weights",
        "VGG section 2.3",
    )
)

REDUCTION = register_check(
    CheckClaim(
        "summary.reduction",
        "06",
        "a 1x1 reduction to 32 channels cuts a 3x3 128 -> 128 convolution's weights",
        "GoogLeNet section 4",
    )
)

IDENTITY = register_check(
    CheckClaim(
        "summary.identity",
        "06",
        "a residual block with F = 0 returns its input; the identity shortcut is free",
        "ResNet section 3.1",
    )
)

CONCATENATION = register_check(
    CheckClaim(
        "summary.concatenation",
        "06",
        "a dense block keeps its input as its first channels and grows by k per layer",
        "DenseNet section 3",
    )
)
