"""Lesson 01 AlexNet: its training recipes, each registered once here and imported by the notebook, the
explorer, the reproduction and the tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...runs.recipes import Recipe, Run, register
from ...training import Training
from . import claims

FIGURE1_LR = {"relu": 0.01, "tanh": 0.1}
FIGURE1_INIT = {"relu": "he", "tanh": "glorot"}
"""Each activation's learning rate, tuned as the paper tuned them ("chosen independently to make
training as fast as possible"; tried on seeds 100 and 101, 2,500 images: ReLU 0.003, 0.01, 0.02,
0.03, 0.05; tanh 0.01, 0.03, 0.1), and the initialisation made for it (He for ReLU, Glorot for
tanh)."""


def figure1_runs(rates: Mapping[str, float]) -> tuple[Run, ...]:
    """Figure 1's two runs, ReLU and tanh, each at its ``rates[activation]`` and its initialisation."""
    return tuple(
        Run(a, "figure1_cnn", {"activation": a}, Training(lr=rates[a]), init=FIGURE1_INIT[a])
        for a in ("relu", "tanh")
    )


FIGURE1_TRAINING = Training(
    optimizer="sgd",
    schedule="constant",
    weight_decay=0.0,
    augment=False,
    train_eval_size=50_000,
)
"""The paper's Figure 1 setting: SGD with momentum at a fixed learning rate and no regularisation of
any kind (no weight decay, no augmentation, no dropout); the training error measured in eval mode on
the whole training subset after every epoch."""

FIGURE1 = register(
    Recipe(
        "01_alexnet/figure1",
        "the AlexNet paper's Figure 1 at course scale: a four-layer CNN, ReLU against tanh, each at "
        "its own tuned learning rate",
        runs=figure1_runs(FIGURE1_LR),
        # A run stops once it is under the target (the claim counts the epochs to it, as the runs
        # to the end do); no test split and 100 validation images leave the time to training.
        training=FIGURE1_TRAINING.override(Training(stop_at_train_error=0.25)),
        # A quarter of the images for 2.5 times the epochs: at most 15 epochs on 2,500 images in cpu.
        epochs=2.5,
        subset=4,
        val_size=100,
        target=0.25,
        claims={claims.RELU_VS_TANH: {"relu": "relu", "tanh": "tanh"}},
    )
)

FIGURE1_WINDOW_RATES = {"relu": (0.003, 0.01, 0.03), "tanh": (0.01, 0.03, 0.1)}
"""The rates the lesson's sweep tries for each activation: the tuning's (``FIGURE1_LR``) without
ReLU's 0.02 and 0.05, so that both activations meet at 0.01 and 0.03."""
FIGURE1_WINDOW_SEEDS = (100, 101)
"""The seeds ``FIGURE1_LR`` was tuned on, never those a claim is judged on."""

FIGURE1_WINDOW = register(
    Recipe(
        "01_alexnet/figure1_window",
        "Figure 1's learning-rate window at course scale: each activation at three rates, for a "
        "fifth of Figure 1's epochs",
        runs=tuple(
            Run(f"{a} lr={lr:g}", "figure1_cnn", {"activation": a}, Training(lr=lr), init=FIGURE1_INIT[a])
            for a, rates in FIGURE1_WINDOW_RATES.items()
            for lr in rates
        ),
        # Figure 1's setting (the window is read off the training error); 100 validation images keep
        # the per-epoch evaluation cheap.
        training=FIGURE1_TRAINING,
        # A quarter of the images, as Figure 1, for half the profile's epochs: 3 in cpu.
        epochs=0.5,
        subset=4,
        val_size=100,
        seed=FIGURE1_WINDOW_SEEDS[0],
    )
)

REGULARISATION_VARIANTS = {
    "no augmentation, no dropout": (False, 0.0),
    "augmentation": (True, 0.0),
    "dropout 0.5": (False, 0.5),
}
REGULARISATION_HIDDEN = 512
"""The fully connected layers' width in the regularisation runs (SmallAlexNet's default is 128):
dropout needs redundant units to drop."""

REGULARISATION = register(
    Recipe(
        "01_alexnet/regularisation",
        "SmallAlexNet (wide FC layers) on a set small enough to overfit: without regularisation, "
        "with augmentation, with dropout",
        runs=tuple(
            Run(
                label,
                "small_alexnet",
                {"dropout": dropout, "hidden": REGULARISATION_HIDDEN},
                Training(augment=augment),
            )
            for label, (augment, dropout) in REGULARISATION_VARIANTS.items()
        ),
        training=Training(optimizer="adamw", lr=1e-3, test=True, train_eval_size=0),
        # A twentieth of the images for 14 times the epochs: 84 epochs on 500 images in cpu, each
        # image seen as often as on the 1,000 images of earlier versions at half the cost, long after
        # the unregularised net has memorised them. 250 validation images each epoch keep the curves
        # and leave the time to training.
        epochs=14.0,
        subset=20,
        init="he",
        measure=("clean_train_acc",),
        val_size=250,
        claims={
            claims.AUGMENTATION: {"augmented": "augmentation", "plain": "no augmentation, no dropout"},
            claims.DROPOUT: {"dropout": "dropout 0.5", "no dropout": "no augmentation, no dropout"},
        },
    )
)

# -- trained to the end: Figure 1 on all 45,000 training images ---------------------------------
FIGURE1_END_TRAINING = FIGURE1_TRAINING.override(
    Training(test=True, batch_size=128, train_eval_size=45_000, stop_at_train_error=0.25)
)
"""Figure 1's setting on the whole training split: no regularisation, the training error measured
in eval mode on all training images after every epoch, and the run stops once it is under 25%."""
FIGURE1_END_EPOCHS = 30
"""At most this many epochs; a run that never gets under 25% counts as one epoch past them."""
FIGURE1_SWEEP_RATES = {"relu": (0.005, 0.01, 0.02), "tanh": (0.05, 0.1, 0.2)}
"""The learning rates tried for each activation, around the course-scale tuning (``FIGURE1_LR``)."""
FIGURE1_SWEEP_SEEDS = (100, 101)

FIGURE1_SWEEP = register(
    Recipe(
        "01_alexnet/figure1_lr_sweep",
        "Figure 1 trained to the end: each activation's learning rate, tried on seeds 100 and 101",
        runs=tuple(
            Run(f"{a} lr={lr:g}", "figure1_cnn", {"activation": a}, Training(lr=lr), init=FIGURE1_INIT[a])
            for a, rates in FIGURE1_SWEEP_RATES.items()
            for lr in rates
        ),
        training=FIGURE1_END_TRAINING,
        fixed_epochs=FIGURE1_END_EPOCHS,
        target=0.25,
        reference=True,
    )
)


def pick_rates(runs: Mapping[str, Mapping[int, Any]]) -> dict[str, float]:
    """Each activation's learning rate from the sweep's runs (``{label: {seed: History}}``): the one
    with the fewest epochs to 25% training error, averaged over the seeds; a tie goes to the lower
    mean final training error. The rule is fixed before the sweep runs."""
    from ...runs.evidence import epochs_to_target

    def score(label: str) -> tuple[float, float]:
        by_seed = runs[label].values()
        epochs = [epochs_to_target(h, 0.25) for h in by_seed]
        errors = [1 - h.train_eval_acc[-1] for h in by_seed]
        return sum(epochs) / len(epochs), sum(errors) / len(errors)

    return {
        activation: min(rates, key=lambda lr, a=activation: score(f"{a} lr={lr:g}"))
        for activation, rates in FIGURE1_SWEEP_RATES.items()
    }


FIGURE1_END_LR = {"relu": 0.005, "tanh": 0.05}
"""``pick_rates`` of the shipped sweep (seeds 100 and 101): ReLU 0.005 (7.5 epochs to 25% on average,
tied with 0.01 and ahead of it on the final training error), tanh 0.05 (7 epochs; 0.1 and 0.2 did not
get there in 30). A test holds it to the sweep's file."""

FIGURE1_END = register(
    Recipe(
        "01_alexnet/figure1_end",
        "the AlexNet paper's Figure 1 trained to the end: ReLU against tanh on all training images, "
        "each at the rate the sweep picked",
        runs=figure1_runs(FIGURE1_END_LR),
        training=FIGURE1_END_TRAINING,
        fixed_epochs=FIGURE1_END_EPOCHS,
        target=0.25,
        reference=True,
        claims={claims.RELU_VS_TANH: {"relu": "relu", "tanh": "tanh"}},
    )
)
