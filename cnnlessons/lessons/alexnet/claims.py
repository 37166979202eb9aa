"""Lesson 01 AlexNet: its claims, the effect claims that paired training runs decide and the checks that a
computation decides (the course map's claims ledger)."""

from __future__ import annotations

from ...claims import CheckClaim, Condition, EffectClaim, accuracy_condition, register_check, register_claim

GRADIENT_DEPTH = 20
"""The depth of the stack at which the lesson compares gradient sizes (``RELU_GRADIENTS``)."""

RELU_VS_TANH = register_claim(
    EffectClaim(
        "alexnet.relu_vs_tanh",
        "01",
        "a CNN with ReLUs reaches a low training error several times faster than with tanh",
        "ReLU needs at most half of tanh's epochs to the lesson's target training error (eval mode)",
        "Figure 1: 25% on CIFAR-10 about 6x faster",
        (
            Condition(
                "epochs_to_target",
                "relu",
                ("tanh",),
                "at most",
                0.5,
                "ratio",
                "ReLU's epochs to the target at most half of tanh's",
            ),
        ),
    )
)

AUGMENTATION = register_claim(
    EffectClaim(
        "alexnet.augmentation",
        "01",
        "augmentation reduces overfitting on data small enough to overfit",
        "test accuracy higher by at least 2 points, and the train/test gap smaller",
        "section 4.1",
        (
            accuracy_condition(
                "augmented", "plain", "higher", 2.0, "test accuracy higher by at least 2 points"
            ),
            Condition("gap", "augmented", ("plain",), "lower", 0.0, words="the train/test gap smaller"),
        ),
    )
)

DROPOUT = register_claim(
    EffectClaim(
        "alexnet.dropout",
        "01",
        "dropout reduces overfitting of the fully connected layers",
        "the train/test gap smaller by at least 5 points and test accuracy higher by at least 1 point",
        "section 4.2; Srivastava et al. 2014, Table 4",
        (
            Condition(
                "gap",
                "dropout",
                ("no dropout",),
                "lower",
                5.0,
                words="the train/test gap smaller by at least 5 points",
            ),
            accuracy_condition(
                "dropout", "no dropout", "higher", 1.0, "test accuracy higher by at least 1 point"
            ),
        ),
    )
)

RELU_GRADIENTS = register_check(
    CheckClaim(
        "alexnet.relu_gradients",
        "01",
        "with He initialisation, ReLU keeps the gradient's size "
        f"through {GRADIENT_DEPTH} layers; sigmoid's vanishes",
        "section 3.1; Glorot and Bengio 2010",
    )
)

TWO_TOWERS = register_check(
    CheckClaim(
        "alexnet.two_towers",
        "01",
        "two towers (groups=2) save weights and, run on two devices, give the one-device output",
        "section 3.2",
    )
)

OVERLAPPING_POOL = register_check(
    CheckClaim(
        "alexnet.overlapping_pool",
        "01",
        "overlapping 3x3/s2 pooling gives the size of 2x2/s2, up to one pixel",
        "section 3.4",
    )
)
