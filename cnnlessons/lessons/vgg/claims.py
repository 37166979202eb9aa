"""Lesson 02 VGGNet: its claims, the effect claims that paired training runs decide and the checks that a
computation decides (the course map's claims ledger)."""

from __future__ import annotations

from ...claims import CheckClaim, Condition, EffectClaim, accuracy_condition, register_check, register_claim

SMALL_KERNELS = register_claim(
    EffectClaim(
        "vgg.small_kernels",
        "02",
        "a stack of 3x3 convolutions beats one larger kernel "
        "with the same receptive field, with fewer weights",
        "test accuracy higher by at least 1.5 points at no more weights",
        "section 4.1: two 3x3 instead of one 5x5, 7% lower top-1 error",
        (
            accuracy_condition(
                "3x3 stack", "large kernel", "higher", 1.5, "test accuracy higher by at least 1.5 points"
            ),
            Condition("weights", "3x3 stack", ("large kernel",), "at most", 1.0, "ratio", "no more weights"),
        ),
    )
)

DEPTH = register_claim(
    EffectClaim(
        "vgg.depth",
        "02",
        "deeper stacks of 3x3 blocks are more accurate, up to where they still train",
        "the deeper stack more accurate by at least 1.5 points",
        "Table 3: A (11 layers) 29.6/10.4 against D (16) 27.0/8.8",
        (
            accuracy_condition(
                "deeper", "shallower", "higher", 1.5, "the deeper stack more accurate by at least 1.5 points"
            ),
        ),
    )
)

RECEPTIVE_FIELD = register_check(
    CheckClaim(
        "vgg.receptive_field", "02", "two stacked 3x3 convolutions see 5x5, three see 7x7", "section 2.3"
    )
)

WEIGHTS = register_check(
    CheckClaim(
        "vgg.weights", "02", "three 3x3 layers cost 27C² weights against 49C² for one 7x7", "section 2.3"
    )
)

FULLY_CONVOLUTIONAL = register_check(
    CheckClaim(
        "vgg.fully_convolutional",
        "02",
        "the classifier as convolutions gives the FC head's outputs",
        "section 3.2",
    )
)
