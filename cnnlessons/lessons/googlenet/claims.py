"""Lesson 03 GoogLeNet: its claims, the effect claims that paired training runs decide and the checks that a
computation decides (the course map's claims ledger)."""

from __future__ import annotations

from ...claims import CheckClaim, Condition, EffectClaim, accuracy_condition, register_check, register_claim

REDUCTIONS = register_claim(
    EffectClaim(
        "googlenet.reductions",
        "03",
        "1x1 reductions let a block afford more width at the same compute: at equal FLOPs, the network "
        "with reductions is more accurate than the naive one",
        "test accuracy higher by at least 1 point than the naive network of the same FLOPs (within 10%)",
        'section 4: reductions allow "increasing the number of units at each stage significantly without '
        'an uncontrolled blow-up in computational complexity" (argued, not measured there)',
        (
            accuracy_condition(
                "reduced",
                "naive",
                "higher",
                1.0,
                "test accuracy higher by at least 1 point than the naive net",
            ),
            # "within 10%" as two bounds of the rule's ratio: reduced/naive in [0.9, 1.1]
            Condition(
                "flops",
                "reduced",
                ("naive",),
                "at most",
                1.1,
                "ratio",
                "FLOPs at most 10% above the naive net's",
            ),
            Condition(
                "flops",
                "naive",
                ("reduced",),
                "at most",
                1 / 0.9,
                "ratio",
                "FLOPs at least 90% of the naive net's",
            ),
        ),
    )
)

BATCH_NORM = register_claim(
    EffectClaim(
        "googlenet.batch_norm",
        "03",
        "batch normalisation lets a high learning rate train, and trains faster",
        "with BN at the high rate more accurate by at least 3 points than without BN at the better "
        "of the high and a low rate, same epochs",
        "Ioffe and Szegedy 2015",
        (
            Condition(
                "test_acc",
                "bn, high rate",
                ("no bn, high rate", "no bn, low rate"),
                "higher",
                3.0,
                words="with BN at the high rate more accurate by at least 3 points than the better no-BN run",
            ),
        ),
    )
)

ONE_BY_ONE = register_check(
    CheckClaim(
        "googlenet.one_by_one",
        "03",
        "a 1x1 convolution is a per-pixel linear map across channels",
        "section 4; Lin et al. 2014",
    )
)

REDUCTION_COST = register_check(
    CheckClaim(
        "googlenet.reduction_cost",
        "03",
        "a 1x1 reduction to 32 channels cuts a 3x3 128 -> 128 convolution's "
        "weights (147,456 -> 40,960) for the same receptive field and output",
        "section 4",
    )
)
