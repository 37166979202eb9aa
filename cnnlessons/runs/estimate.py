"""How long will it train? An estimate of a training's wall time on this device, before it starts.

From the model's FLOPs per image, the number of images and epochs, and a few timed training steps
on this device (the same step ``fit`` runs, on a copy of the model): a learner on a T4 or a laptop
knows whether the next cell takes two minutes or forty.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Mapping

import torch
from torch import nn

from ..data import CourseData
from ..devices import device_description, pick_device, synchronize
from ..i18n import _
from ..measure import flops_per_image
from ..precision import choose_precision
from ..profiles import Profile, get_profile
from ..tensordata import TensorLoader
from ..training import train_epoch

__all__ = [
    "TrainingTime",
    "Estimate",
    "estimate_time",
    "format_seconds",
    "T4_TRAINING_FLOPS",
    "recipe_trainings",
    "notebook_gpu_seconds",
]

TRAIN_FLOPS_FACTOR = 3
"""A training step costs about three forward passes (forward, and backward through activations
and weights); an evaluation step one."""


def format_seconds(seconds: float) -> str:
    """``"under 1 s"``, ``"45 s"``, ``"3 min 20 s"``, ``"1 h 05 min"`` (in the active language)."""
    seconds = max(0.0, float(seconds))
    if seconds < 1:
        return _("under 1 s")
    if seconds < 60:
        return _("{seconds:.0f} s").format(seconds=seconds)
    if seconds < 3600:
        return _("{minutes} min {seconds:02d} s").format(
            minutes=int(seconds // 60), seconds=int(seconds % 60)
        )
    return _("{hours} h {minutes:02d} min").format(
        hours=int(seconds // 3600), minutes=int(seconds % 3600 // 60)
    )


@dataclasses.dataclass(frozen=True)
class TrainingTime:
    """The estimate for one training: what it trains, and the measured speed of its step."""

    label: str
    flops_per_image: int
    """Forward FLOPs of one image (a multiply-add counts 2)."""
    train_images: int
    val_images: int
    epochs: int
    step_seconds_per_image: float
    """Measured: seconds of one training step divided by its batch size."""

    @property
    def seconds(self) -> float:
        """Training steps over every epoch, plus the validation pass after each epoch."""
        per_epoch = self.step_seconds_per_image * (self.train_images + self.val_images / TRAIN_FLOPS_FACTOR)
        return self.epochs * per_epoch

    @property
    def flops(self) -> float:
        """FLOPs of the whole training (steps and validation passes)."""
        return self.epochs * self.flops_per_image * (TRAIN_FLOPS_FACTOR * self.train_images + self.val_images)

    @property
    def flops_per_second(self) -> float:
        """The rate the calibration steps reached on this device."""
        return TRAIN_FLOPS_FACTOR * self.flops_per_image / self.step_seconds_per_image

    def seconds_at(self, flops_per_second: float) -> float:
        """The wall time at another rate (e.g. an assumed one for another device)."""
        if not flops_per_second > 0:
            raise ValueError(f"flops_per_second must be positive, got {flops_per_second!r}")
        return self.flops / flops_per_second

    def __str__(self) -> str:
        return (
            f"{self.label}: {self.epochs} epochs x {self.train_images:,} images, "
            f"{self.flops_per_image / 1e6:,.1f} MFLOPs per image -> about "
            f"{format_seconds(self.seconds)} ({self.flops_per_second / 1e9:,.1f} GFLOP/s measured)"
        )


@dataclasses.dataclass(frozen=True)
class Estimate:
    """The estimates of the trainings a cell is about to run, and their total."""

    parts: tuple[TrainingTime, ...]
    device: str
    precision: str
    calibration_steps: int
    cached: tuple[tuple[str, str], ...] = ()
    """``(label, when and where it was trained)`` of the runs the run cache answers: not timed."""

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.parts)

    def __str__(self) -> str:
        if self.parts:
            lines = [
                f"Estimated training time on {self.device} in {self.precision}, from "
                f"{self.calibration_steps} timed steps of each model:"
            ]
        else:
            lines = [f"Nothing to train on {self.device}: every run is in the run cache."]
        lines += [f"  {p}" for p in self.parts]
        if len(self.parts) > 1:
            lines.append(f"  total: about {format_seconds(self.seconds)}")
        lines += [
            f"  {label}: in the run cache (trained {trained}): loads at once"
            for label, trained in self.cached
        ]
        return "\n".join(lines)


def _calibrate(
    model: nn.Module, data: CourseData, batch_size: int, device: torch.device, precision, steps: int
) -> float:
    """Seconds per image of ``fit``'s training step, timed on a copy of ``model``."""
    net = copy.deepcopy(model).to(device).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
    loader = TensorLoader(
        data.train_images,
        data.train_labels,
        batch_size=batch_size,
        mean=data.mean,
        std=data.std,
        device=device,
        shuffle=True,
        augment=True,
        flip=data.flip,
        crop_padding=data.crop_padding,
        drop_last=len(data.train_labels) >= batch_size,
        memory_format=torch.channels_last,
    )
    criterion = nn.CrossEntropyLoss()
    batches: list = []
    while len(batches) < steps + 1:  # one warm-up batch, then the timed ones
        batches += list(loader)
    scaler = precision.grad_scaler()
    train_epoch(net, batches[:1], opt, None, criterion, device, precision, scaler=scaler)
    synchronize(device)
    start = time.perf_counter()
    seen = train_epoch(net, batches[1 : steps + 1], opt, None, criterion, device, precision, scaler=scaler)[2]
    synchronize(device)
    return (time.perf_counter() - start) / seen


def estimate_time(
    models: nn.Module | Mapping[str, nn.Module],
    data: CourseData,
    *,
    epochs: int | None = None,
    batch_size: int | None = None,
    profile: Profile | str | None = None,
    device: str | torch.device | None = None,
    precision: str = "auto",
    steps: int = 3,
    label: str = "",
    cached: Mapping[str, Mapping] | None = None,
) -> Estimate:
    """Estimate the wall time of training ``models`` (one model, or ``{label: model}`` for the
    several a cell trains) on ``data`` with ``fit``'s defaults, on this device.

    Each model's copy runs one warm-up step and ``steps`` timed steps; the models themselves are
    not changed. ``cached`` names the runs the run cache answers (``{label: its training record}``,
    see ``runcache.cached_training``): listed, not timed. ``print`` the result before the training
    starts.
    """
    profile = get_profile(profile)
    epochs = profile.epochs if epochs is None else epochs
    batch_size = profile.batch_size if batch_size is None else batch_size
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if isinstance(models, nn.Module):
        models = {label or type(models).__name__: models}
    elif not isinstance(models, Mapping) or not all(isinstance(m, nn.Module) for m in models.values()):
        raise TypeError(
            f"models must be an nn.Module or a mapping of labels to nn.Modules, got {type(models).__name__}"
        )
    device = pick_device(device)
    chosen = choose_precision(precision, device)
    batch = min(batch_size, len(data.train_labels))
    parts = []
    for name, model in models.items():
        parts.append(
            TrainingTime(
                label=name,
                flops_per_image=flops_per_image(model, data.input_size),
                train_images=len(data.train_labels),
                val_images=len(data.val_labels),
                epochs=epochs,
                step_seconds_per_image=_calibrate(model, data, batch, device, chosen, steps),
            )
        )
    name = device_description(device)
    notes = tuple(
        (run, f"{t.get('trained_at', '?')} on {t.get('host', '?')}, {t.get('device', '?')}")
        for run, t in (cached or {}).items()
    )
    return Estimate(tuple(parts), name, chosen.name, steps, notes)


T4_TRAINING_FLOPS = 5e12
"""An assumed sustained rate of a Tesla T4 (Colab's free GPU) training the course's small CNNs
under fp16 autocast: a small fraction of its 65 TFLOP/s tensor-core peak, since convolutions of
16 to 256 channels on 32x32 images keep it far from full. Used only for figures labelled as
estimates; a real run's time replaces them."""


def recipe_trainings(
    recipe,
    profile: Profile | str | None = "gpu",
    train_images: int = 50_000,
    input_size: tuple[int, int, int] = (3, 32, 32),
    num_classes: int = 10,
) -> list[TrainingTime]:
    """What ``recipe`` trains in ``profile`` on a dataset of ``train_images`` training images
    (CIFAR-10's 50,000 by default), counted on the meta device: one ``TrainingTime`` per run, its
    FLOPs known, its speed not measured (``seconds_at`` gives the time at a rate you assume)."""
    from ..models import build_model

    profile = get_profile(profile)
    train = train_images - profile.val_size if profile.train_size is None else profile.train_size
    train = max(1, train // recipe.subset_for(profile))
    side = recipe.settings_for(profile).get("image_size")
    if side is not None and side < input_size[-1]:
        input_size = (input_size[0], side, side)
    sizes = {"image_size": input_size[-1], "channels": input_size[0]}
    trainings = []
    for run in recipe.runs_for(profile):
        with torch.device("meta"):
            model = build_model(
                run.model,
                in_channels=input_size[0],
                num_classes=num_classes,
                **{k: sizes[k] for k in run.data_kwargs},
                **run.model_kwargs,
            )
        trainings.append(
            TrainingTime(
                run.label,
                flops_per_image(model, input_size),
                train,
                profile.val_size,
                recipe.epochs_for(profile),
                0.0,
            )
        )
    return trainings


def notebook_gpu_seconds(
    notebook: str, recipes: Mapping[str, object], flops_per_second: float = T4_TRAINING_FLOPS
) -> float:
    """Estimated seconds of the ``gpu`` profile's training in a lesson (every recipe of
    ``recipes``, the registry, keyed ``<notebook>/...``; ``reproduce``'s headline run left out)
    at ``flops_per_second``; a recipe that decides claims trains once per seed of the profile."""
    seeds = len(get_profile("gpu").seeds)
    return sum(
        t.seconds_at(flops_per_second) * (seeds if getattr(recipe, "claims", None) else 1)
        for key, recipe in recipes.items()
        if key.startswith(f"{notebook}/") and not getattr(recipe, "reference", False)
        for t in recipe_trainings(recipe, "gpu")
    )
