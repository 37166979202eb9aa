"""Lesson 07 What came next: its claims, the effect claims that paired training runs decide and the checks
that a computation decides (the course map's claims ledger)."""

from __future__ import annotations

from ...claims import CheckClaim, Condition, EffectClaim, accuracy_condition, register_check, register_claim


def _within(figure: str, arm: str, against: str, what: str, percent: int) -> tuple[Condition, Condition]:
    """The words "within ``percent``%" as two bounds of the rule's ratio: arm/against in [1 - p, 1 + p]."""
    high, low = 1 + percent / 100, 1 - percent / 100
    return (
        Condition(
            figure, arm, (against,), "at most", high, "ratio", f"{what} at most {percent}% above the twin's"
        ),
        Condition(
            figure,
            against,
            (arm,),
            "at most",
            1 / low,
            "ratio",
            f"{what} at least {100 - percent}% of the twin's",
        ),
    )


CARDINALITY = register_claim(
    EffectClaim(
        "next.cardinality",
        "07",
        "at equal FLOPs and parameters, a residual network with grouped convolutions (more groups, each "
        "narrower) is more accurate",
        "test accuracy higher by at least 1 point, FLOPs and parameters within 10%",
        "ResNeXt Table 3: 23.9% -> 22.2% top-1 error",
        (
            accuracy_condition(
                "grouped",
                "one group",
                "higher",
                1.0,
                "test accuracy higher by at least 1 point than the twin",
            ),
            *_within("flops", "grouped", "one group", "FLOPs", 10),
            *_within("weights", "grouped", "one group", "weights", 10),
        ),
    )
)

SQUEEZE_EXCITATION = register_claim(
    EffectClaim(
        "next.squeeze_excitation",
        "07",
        "squeeze-and-excitation gates add accuracy for about a tenth more parameters",
        "test accuracy higher by at least 1 point at no more than 15% more parameters",
        "SENet Table 2: 24.80% -> 23.29% top-1 error; section 4: about 10% more parameters",
        (
            accuracy_condition(
                "se", "plain", "higher", 1.0, "test accuracy higher by at least 1 point than without SE"
            ),
            Condition(
                "weights",
                "se",
                ("plain",),
                "at most",
                1.15,
                "ratio",
                "weights at most 15% above the ResNet's",
            ),
        ),
    )
)

DEPTHWISE_SEPARABLE = register_claim(
    EffectClaim(
        "next.depthwise_separable",
        "07",
        "depthwise separable convolutions keep most of the accuracy at a fraction of the cost",
        "FLOPs at most a fifth, test accuracy within 3 points of the full-convolution twin",
        "MobileNet Table 4: 71.7% -> 70.6% at 8.6x fewer mult-adds",
        (
            accuracy_condition(
                "separable",
                "full",
                "about equal",
                3.0,
                "test accuracy within 3 points of the full-convolution twin",
            ),
            Condition(
                "flops",
                "separable",
                ("full",),
                "at most",
                0.2,
                "ratio",
                "FLOPs at most a fifth of the twin's",
            ),
        ),
    )
)

GROUPED_WEIGHTS = register_check(
    CheckClaim(
        "next.grouped_weights",
        "07",
        "a grouped convolution has (in/groups) x out x k^2 weights; AlexNet's two towers are groups=2",
        "ResNeXt section 3.3, Figure 3; Krizhevsky et al. 2012, section 3.2",
    )
)

EQUAL_COST_WIDTHS = register_check(
    CheckClaim(
        "next.equal_cost_widths",
        "07",
        "at 256 channels, blocks of 1, 2, 4, 8 and 32 groups have about the same weights at 64, 40, 24, "
        "14 and 4 channels per group",
        "ResNeXt Table 2",
    )
)

SE_WEIGHTS = register_check(
    CheckClaim(
        "next.se_weights",
        "07",
        "a squeeze-and-excitation block adds 2C^2/r weights and almost no FLOPs",
        "SENet section 4, equation 5",
    )
)

SEPARABLE_COST = register_check(
    CheckClaim(
        "next.separable_cost",
        "07",
        "a depthwise 3x3 convolution then a 1x1 costs 1/N + 1/9 of a full 3x3 convolution to N channels",
        "MobileNet section 3.1, equation 5",
    )
)
