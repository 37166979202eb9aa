"""Lesson 04 ResNet: its claims, the effect claims that paired training runs decide and the checks that a
computation decides (the course map's claims ledger)."""

from __future__ import annotations

from ...claims import CheckClaim, Condition, EffectClaim, accuracy_condition, register_check, register_claim

DEGRADATION = register_claim(
    EffectClaim(
        "resnet.degradation",
        "04",
        "a deeper plain network has a higher training error than a shallower one",
        "the deeper plain net's final training error (eval mode) higher by at least 2 points",
        "Figures 1 and 6",
        (
            Condition(
                "train_error",
                "plain deep",
                ("plain shallow",),
                "higher",
                2.0,
                words="the deeper plain net's training error higher by at least 2 points",
            ),
        ),
    )
)

SHORTCUTS = register_claim(
    EffectClaim(
        "resnet.shortcuts",
        "04",
        "with shortcuts the deeper network trains to a lower error than its plain twin, and no worse "
        "than the shallow one",
        "training error lower than the plain twin's by at least 3 points and not above the shallow "
        "residual net's",
        "Figure 6, Table 6",
        (
            Condition(
                "train_error",
                "residual deep",
                ("plain deep",),
                "lower",
                3.0,
                words="training error lower than the plain twin's by at least 3 points",
            ),
            Condition(
                "train_error",
                "residual deep",
                ("residual shallow",),
                "at most",
                0.0,
                words="training error not above the shallow residual net's",
            ),
        ),
    )
)

IDENTITY_VS_PROJECTION = register_claim(
    EffectClaim(
        "resnet.identity_vs_projection",
        "04",
        "identity and projection shortcuts give about the same accuracy",
        "within 1.5 points",
        "Table 3: within a point",
        (
            accuracy_condition(
                "identity", "projection", "about equal", 1.5, "test accuracy within 1.5 points"
            ),
        ),
    )
)

ZERO_RESIDUAL = register_check(
    CheckClaim(
        "resnet.zero_residual",
        "04",
        "with f = 0 a residual block passes its input on (ReLU(x))",
        "section 3.1",
    )
)

SHORTCUT_SHAPES = register_check(
    CheckClaim(
        "resnet.shortcut_shapes",
        "04",
        "both shortcuts fit x to f(x) where a stage begins; the identity has no parameters",
        "section 3.3",
    )
)

BOTTLENECK = register_check(
    CheckClaim(
        "resnet.bottleneck",
        "04",
        "the bottleneck block costs a fraction of two 3x3 layers at 256 channels",
        "section 4, Figure 5",
    )
)
