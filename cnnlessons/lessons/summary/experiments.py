"""Lesson 06 (summary): the five scaled-down models under one budget, and the full-size models.

``train_all`` trains the course-scale AlexNet, VGG, GoogLeNet, ResNet and DenseNet on the same data
with the same epochs, batch size and optimiser, and stores in each history's ``info`` the model's
parameters, FLOPs per image, the memory a training step saves for backward per image (on any
device) and peak memory (CUDA only; ``None`` on the CPU). ``summary_table``
and ``plot_accuracy_vs_parameters`` take those histories, or reference runs of the same experiment.
``full_size`` measures the 224x224 ImageNet models on the ``meta`` device: no weights are
allocated and no arithmetic is done.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from ...data import CourseData
from ...history import History
from ...measure import count_parameters, flops_per_image
from ...models import build_model
from ...models.converged import load_record
from ...profiles import Profile
from . import recipes
from .recipes import SMALL_MODELS

__all__ = [
    "SMALL_MODELS",
    "FULL_SIZE_MODELS",
    "FullSize",
    "small_models_table",
    "train_all",
    "accuracy",
    "summary_table",
    "plot_accuracy_vs_parameters",
    "full_size",
    "full_size_table",
    "plot_full_size",
]

"""The experiment key of the five runs (for ``reference_runs``)."""

FULL_SIZE_MODELS: dict[str, tuple[str, Callable[[], nn.Module]]] = {
    "AlexNet": ("2012: won", lambda: build_model("alexnet")),
    "VGG-16": ("2014: 2nd", lambda: build_model("vgg16")),
    "VGG-19": ("2014: 2nd", lambda: build_model("vgg19")),
    "GoogLeNet": ("2014: won", lambda: build_model("googlenet")),
    "ResNet-50": ("2015: the winner's family", lambda: build_model("resnet50")),
    "ResNet-152": ("2015: won", lambda: build_model("resnet152")),
    "DenseNet-121": ("none (CVPR 2017)", lambda: build_model("densenet121")),
}
"""Label -> (its place in the ImageNet challenge, builder) of the full-size ImageNet models,
built with the course's blocks (each parameter for parameter torchvision's model)."""


@dataclasses.dataclass(frozen=True)
class FullSize:
    name: str
    challenge: str
    parameters: int
    flops: int
    """FLOPs per 224x224 image (multiply-add = 2)."""


def small_models_table(input_size: Sequence[int] = (3, 32, 32), num_classes: int = 10) -> str:
    """A markdown table of ``SMALL_MODELS`` for one input size: how each is built, its parameters,
    FLOPs per image and FLOPs per parameter (measured on the ``meta`` device)."""
    rows = [
        "| model | built as | parameters | MFLOPs per image | FLOPs per parameter |",
        "|---|---|---:|---:|---:|",
    ]
    for label, (name, kwargs) in SMALL_MODELS.items():
        with torch.device("meta"):
            model = build_model(name, num_classes=num_classes, in_channels=input_size[0], **kwargs)
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        params, flops = count_parameters(model), flops_per_image(model, input_size)
        rows.append(
            f"| {label} | `build_model({name!r}{', ' + args if args else ''})` | "
            f"{params:,} | {flops / 1e6:,.1f} | {flops / params:,.0f} |"
        )
    return "\n".join(rows)


def train_all(
    data: CourseData, profile: Profile | str | None = None, *, labels: Sequence[str] | None = None, **kwargs
) -> dict[str, History]:
    """Train the recipe ``06_summary/five_models`` (or the runs called ``labels``): each lesson's
    course-scale model under one budget. Each history's ``info`` gets ``flops`` (per image at the
    data's size), ``saved_bytes_per_image`` (what a training step keeps for backward, per image:
    ``measure.training_memory_per_image``) and ``peak_bytes`` (the peak memory of the run on CUDA,
    ``None`` where the device does not report it). ``profile`` defaults to the active one."""
    return recipes.FIVE_MODELS.train(data, profile, labels=labels, **kwargs)


def accuracy(run: History) -> float:
    """Test accuracy, or the last validation accuracy when the run has no test figure."""
    if run.test_acc is not None:
        return run.test_acc
    return run.val_acc[-1] if run.val_acc else float("nan")


def _runs(runs: Mapping[str, History] | Sequence[History]) -> list[History]:
    return list(runs.values()) if isinstance(runs, Mapping) else list(runs)


def _peak(run: History) -> str:
    peak = run.info.get("peak_bytes")
    if peak is None:
        return "n/a on CPU" if run.info.get("device_type", "cpu") == "cpu" else "n/a"
    return f"{peak / 2**20:,.0f} MiB"


def _saved(run: History) -> str:
    saved = run.info.get("saved_bytes_per_image")
    if saved is None:
        return "n/a"
    return f"{saved / 2**20:,.2f} MiB" if saved >= 2**20 else f"{saved / 2**10:,.0f} KiB"


def _converged(run: History) -> str:
    """The test accuracy of the same model trained to the end (the shipped checkpoint)."""
    name = SMALL_MODELS.get(run.label, (None,))[0]
    try:
        record = load_record(name) if name is not None else None
    except ValueError:
        record = None
    return "not shipped" if record is None else f"{record['test_acc']:.1%} ({record['epochs']} epochs)"


def summary_table(runs: Mapping[str, History] | Sequence[History]) -> str:
    """One markdown table: parameters, FLOPs per image, test accuracy under this budget and
    trained to the end (the shipped checkpoint of the same model), training time and the memory a
    training step saves for backward per image (measured on any device); a peak memory column too
    where a run's device reported it (CUDA)."""
    runs = _runs(runs)
    peak = any(run.info.get("peak_bytes") is not None for run in runs)
    rows = [
        "| model | parameters | MFLOPs per image | test accuracy | trained to the end "
        "| training time | saved for backward, per image |" + (" peak memory |" if peak else ""),
        "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if peak else ""),
    ]
    for run in runs:
        flops = run.info.get("flops")
        rows.append(
            f"| {run.label} | {run.info.get('parameters', 0):,} | "
            f"{'n/a' if flops is None else f'{flops / 1e6:,.1f}'} | {accuracy(run):.1%} | "
            f"{_converged(run)} | {run.wall_time:.1f} s | {_saved(run)} |"
            + (f" {_peak(run)} |" if peak else "")
        )
    return "\n".join(rows)


def plot_accuracy_vs_parameters(
    runs: Mapping[str, History] | Sequence[History],
    reference: Sequence[History] = (),
    title: str | None = None,
):
    """Test accuracy against parameters (log scale), one labelled point per model; reference
    runs (e.g. ``reference_runs(recipes.FIVE_MODELS.key)``) as open grey markers."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, run in enumerate(_runs(runs)):
        x, y = run.info.get("parameters", 0), accuracy(run)
        ax.scatter(x, y, s=50, color=colors[i % len(colors)], zorder=3)
        ax.annotate(run.label, (x, y), textcoords="offset points", xytext=(6, 4), fontsize=9)
    lesson_label = {name: label for label, (name, _) in SMALL_MODELS.items()}
    for run in reference:
        x, y = run.info.get("parameters", 0), accuracy(run)
        ax.scatter(x, y, s=50, facecolors="none", edgecolors="gray", zorder=2)
        checkpoint = run.info.get("checkpoint")
        name = (
            f"{lesson_label.get(checkpoint, checkpoint)}, trained to the end"
            if checkpoint
            else f"{run.label} (reference)"
        )
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, -11), fontsize=8, color="gray")
    ax.set_xscale("log")
    ax.margins(x=0.15, y=0.1)
    _plain_log_ticks(ax.xaxis, "{:,.0f}")
    ax.set_xlabel("parameters (log scale)")
    ax.set_ylabel("test accuracy")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.grid(alpha=0.3, which="both")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def full_size(image_size: int = 224) -> list[FullSize]:
    """Parameters and FLOPs per ``image_size`` x ``image_size`` image of ``FULL_SIZE_MODELS``,
    measured on models built on the ``meta`` device."""
    rows = []
    for name, (challenge, builder) in FULL_SIZE_MODELS.items():
        with torch.device("meta"):
            model = builder()
        rows.append(
            FullSize(
                name, challenge, count_parameters(model), flops_per_image(model, (3, image_size, image_size))
            )
        )
    return rows


def full_size_table(rows: Sequence[FullSize]) -> str:
    """A markdown table of ``full_size()``: parameters (millions) and GFLOPs per image."""
    lines = [
        "| model | ILSVRC classification | parameters | GFLOPs per image | FLOPs per parameter |",
        "|---|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.challenge} | {r.parameters / 1e6:,.1f}M | {r.flops / 1e9:,.2f} | "
            f"{r.flops / r.parameters:,.0f} |"
        )
    return "\n".join(lines)


def _plain_log_ticks(axis, fmt: str) -> None:
    """Ticks at 1, 2 and 5 times the powers of ten, written as plain numbers."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: fmt.format(v)))
    axis.set_minor_formatter(NullFormatter())


def plot_full_size(rows: Sequence[FullSize]):
    """GFLOPs per 224x224 image against parameters (both log scale), one labelled point per model."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for r in rows:
        ax.scatter(r.parameters / 1e6, r.flops / 1e9, s=50, zorder=3)
        ax.annotate(
            r.name, (r.parameters / 1e6, r.flops / 1e9), textcoords="offset points", xytext=(6, 4), fontsize=9
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.margins(x=0.15, y=0.1)
    for axis in (ax.xaxis, ax.yaxis):
        _plain_log_ticks(axis, "{:g}")
    ax.set_xlabel("parameters (millions, log scale)")
    ax.set_ylabel("GFLOPs per 224x224 image (log scale)")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig
