"""Lesson 05 DenseNet: its claims, the effect claims that paired training runs decide and the checks that a
computation decides (the course map's claims ledger)."""

from __future__ import annotations

from ...claims import CheckClaim, Condition, EffectClaim, accuracy_condition, register_check, register_claim

PARAMETER_EFFICIENCY = register_claim(
    EffectClaim(
        "densenet.parameter_efficiency",
        "05",
        "DenseNet-BC reaches about ResNet's accuracy with fewer parameters",
        "within 2 points of a ResNet with at least twice its parameters",
        "Table 2",
        (
            accuracy_condition(
                "densenet", "resnet", "about equal", 2.0, "test accuracy within 2 points of the ResNet"
            ),
            Condition(
                "weights",
                "densenet",
                ("resnet",),
                "at most",
                0.5,
                "ratio",
                "at most half the ResNet's weights",
            ),
        ),
    )
)

CONCATENATION = register_check(
    CheckClaim(
        "densenet.concatenation",
        "05",
        "a dense block's output keeps its input as its first channels",
        "section 3",
    )
)

LINEAR_GROWTH = register_check(
    CheckClaim(
        "densenet.linear_growth",
        "05",
        "the channel count grows linearly, c0 + l*k (the source says exponentially)",
        "section 3, growth rate",
    )
)
