"""Lesson 06 (summary): the five scaled-down models under one budget, and the full-size models.

``train_all`` trains the course-scale AlexNet, VGG, GoogLeNet, ResNet and DenseNet on the same data
with the same epochs, batch size and optimiser, and stores in each history's ``info`` the model's
parameters, FLOPs per image, the memory a training step saves for backward per image (on any
device) and peak memory (CUDA only; ``None`` on the CPU). ``summary_table``
and ``plot_accuracy_vs_parameters`` take those histories, or reference runs of the same experiment.
``full_size`` measures the 224x224 ImageNet models on the ``meta`` device: no weights are
allocated and no arithmetic is done.

The shipped checkpoints of the five (``CHECKPOINTS``: each trained to the end on CIFAR-10):
``load_checkpoints`` builds them, ``class_accuracy`` and ``plot_class_accuracy`` set their accuracy
on each class side by side. The recipe they were trained with, ingredient by ingredient:
``leave_one_out`` and ``check_leave_one_out`` say how each run of ``recipes.INGREDIENTS_RECIPE``
differs from the full recipe, ``plot_ingredients`` draws their test accuracies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from ...data import CourseData
from ...history import History
from ...measure import count_parameters, flops_per_image
from ...models import build_model
from ...models.converged import load_record
from ...profiles import Profile
from ...runs.recipes import Recipe
from ...training import DEFAULTS
from . import recipes
from .recipes import FULL_RECIPE, INGREDIENTS, SMALL_MODELS

__all__ = [
    "SMALL_MODELS",
    "CHECKPOINTS",
    "takes_checkpoints",
    "load_checkpoints",
    "class_accuracy",
    "worst_classes",
    "plot_class_accuracy",
    "leave_one_out",
    "check_leave_one_out",
    "plot_ingredients",
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


# -- the five checkpoints, trained to the end ------------------------------------------------------
CHECKPOINTS: dict[str, str] = {label: name for label, (name, _) in SMALL_MODELS.items()}
"""Label -> the shipped checkpoint of that course-scale model (``build_model(name,
weights="cifar10")``): the five trained to the end on CIFAR-10."""


def takes_checkpoints(data: CourseData) -> bool:
    """Whether ``data``'s images are what the checkpoints take: CIFAR-10's 3x32x32, ten classes."""
    return tuple(data.input_size) == (3, 32, 32) and data.num_classes == 10


def load_checkpoints(labels: Sequence[str] | None = None) -> dict[str, nn.Module]:
    """The shipped checkpoints of ``labels`` (default all five), in eval mode, by label."""
    labels = list(CHECKPOINTS) if labels is None else list(labels)
    unknown = [label for label in labels if label not in CHECKPOINTS]
    if unknown:
        raise ValueError(f"labels must be among {', '.join(CHECKPOINTS)}, got {unknown}")
    return {
        label: build_model(SMALL_MODELS[label][0], weights="cifar10", **SMALL_MODELS[label][1]).eval()
        for label in labels
    }


def class_accuracy(checkpoints: Mapping[str, str] | None = None) -> dict[str, dict[str, float]]:
    """Label -> class -> the checkpoint's accuracy on that class of the test split (its record's
    confusion matrix), for ``checkpoints`` (label -> checkpoint name; default ``CHECKPOINTS``)."""
    from ...models.converged import per_class_accuracy

    checkpoints = CHECKPOINTS if checkpoints is None else checkpoints
    return {label: per_class_accuracy(name) for label, name in checkpoints.items()}


def worst_classes(per_class: Mapping[str, Mapping[str, float]]) -> dict[str, str]:
    """Label -> the class it is least accurate on (the first in the class order on a tie)."""
    return {label: min(by_class, key=by_class.__getitem__) for label, by_class in per_class.items()}


def plot_class_accuracy(
    per_class: Mapping[str, Mapping[str, float]],
    accuracy: Mapping[str, float] | None = None,
    *,
    title: str | None = None,
):
    """Models x classes: each model's accuracy on each class (``class_accuracy``) as a heat map
    with the figure written in every cell, the classes hardest first (lowest mean over the models),
    each model's worst class framed. ``accuracy`` (label -> test accuracy) goes into the row labels.
    Returns the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    labels = list(per_class)
    if not labels:
        raise ValueError("per_class: expected at least one model's accuracy per class")
    classes = list(per_class[labels[0]])
    if any(set(per_class[label]) != set(classes) for label in labels):
        raise ValueError("per_class: every model must have a figure for the same classes")
    order = sorted(classes, key=lambda c: sum(per_class[label][c] for label in labels) / len(labels))
    grid = [[per_class[label][c] for c in order] for label in labels]
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * len(order), 0.9 + 0.5 * len(labels)))
    image = ax.imshow(grid, cmap="cividis", vmin=min(map(min, grid)), vmax=1.0, aspect="auto")
    for i, row in enumerate(grid):
        worst = row.index(min(row))
        for j, value in enumerate(row):
            ax.text(
                j,
                i,
                f"{value:.0%}",
                ha="center",
                va="center",
                fontsize=8,
                color="black" if value > 0.5 * (min(map(min, grid)) + 1.0) else "white",
                fontweight="bold" if j == worst else "normal",
            )
        ax.add_patch(Rectangle((worst - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2))
    ax.set_xticks(range(len(order)), order, rotation=45, ha="right", fontsize=8)
    names = [
        f"{label} ({accuracy[label]:.1%})" if accuracy and label in accuracy else label for label in labels
    ]
    ax.set_yticks(range(len(labels)), names, fontsize=8)
    ax.set_xlabel("class (hardest first); framed: each model's worst class")
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02).ax.yaxis.set_major_formatter(
        plt.FuncFormatter(lambda v, _pos: f"{v:.0%}")
    )
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


# -- the recipe that trains to the end, ingredient by ingredient -----------------------------------
def _fields(recipe: Recipe, label: str, profile: Profile | str | None) -> dict[str, Any]:
    return {**DEFAULTS, **recipe.training_for(recipe.run(label, profile)).options()}


def leave_one_out(
    recipe: Recipe | None = None, profile: Profile | str | None = None
) -> dict[str, dict[str, tuple[Any, Any]]]:
    """Label -> the ``Training`` fields in which that run of ``recipe`` (default
    ``recipes.INGREDIENTS_RECIPE``) trains otherwise than its ``FULL_RECIPE`` run: field -> (the
    full recipe's value, the run's), defaults filled in."""
    recipe = recipes.INGREDIENTS_RECIPE if recipe is None else recipe
    full = _fields(recipe, FULL_RECIPE, profile)
    differences = {}
    for run in recipe.runs_for(profile):
        if run.label == FULL_RECIPE:
            continue
        own = _fields(recipe, run.label, profile)
        differences[run.label] = {
            key: (full.get(key), own.get(key))
            for key in sorted(set(full) | set(own))
            if full.get(key) != own.get(key)
        }
    return differences


def check_leave_one_out(recipe: Recipe | None = None, profile: Profile | str | None = None) -> None:
    """Refuse (ValueError, one line) a ``recipe`` (default ``recipes.INGREDIENTS_RECIPE``) whose runs
    are not the full recipe and, for each of ``INGREDIENTS``, one run that leaves out that one
    ingredient: the same model, differing from the full run in that ingredient's field alone, set
    to the value ``INGREDIENTS`` gives."""
    recipe = recipes.INGREDIENTS_RECIPE if recipe is None else recipe
    runs = {run.label: run for run in recipe.runs_for(profile)}
    expected = [FULL_RECIPE, *(label for label, _ in INGREDIENTS.values())]
    if sorted(runs) != sorted(expected):
        raise ValueError(f"{recipe.key}: runs must be {expected}, got {list(runs)}")
    full = runs[FULL_RECIPE]
    differences = leave_one_out(recipe, profile)
    for ingredient, (label, change) in INGREDIENTS.items():
        run = runs[label]
        if (run.model, dict(run.model_kwargs), run.init, run.init_like) != (
            full.model,
            dict(full.model_kwargs),
            full.init,
            full.init_like,
        ):
            raise ValueError(f"{recipe.key}: {label!r} builds another model than {FULL_RECIPE!r}")
        wanted = change.options()
        found = {key: own for key, (_, own) in differences[label].items()}
        if found != wanted:
            raise ValueError(
                f"{recipe.key}: {label!r} must differ from {FULL_RECIPE!r} in {ingredient} alone "
                f"({wanted}), but differs in {found or 'nothing'}"
            )


def plot_ingredients(runs: Mapping[str, History], *, full: str = FULL_RECIPE, title: str | None = None):
    """Each run's test accuracy as a dot on its own line, the ``full`` recipe's first (a star) and
    drawn across as a dashed line, each other dot labelled with its accuracy and its difference
    from the full recipe in points. Returns the figure."""
    import matplotlib.pyplot as plt

    if full not in runs:
        raise ValueError(f"runs must hold the {full!r} run, got {list(runs)}")
    labels = [full, *(label for label in runs if label != full)]
    acc = {label: accuracy(runs[label]) for label in labels}
    fig, ax = plt.subplots(figsize=(6.4, 0.8 + 0.45 * len(labels)))
    ax.axvline(acc[full], color="gray", linestyle="--", linewidth=1, zorder=1)
    for i, label in enumerate(labels):
        ax.plot([acc[full], acc[label]], [i, i], color="gray", linewidth=1, zorder=1)
        ax.scatter(
            acc[label],
            i,
            s=90 if label == full else 50,
            marker="*" if label == full else "o",
            color="black" if label == full else "#0072B2",
            zorder=3,
        )
        text = (
            f"{acc[label]:.1%}"
            if label == full
            else f"{acc[label]:.1%} ({100 * (acc[label] - acc[full]):+.1f})"
        )
        ax.annotate(text, (acc[label], i), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=9)
    ax.invert_yaxis()
    ax.margins(x=0.25, y=0.25)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _pos: f"{v:.0%}"))
    ax.set_xlabel("test accuracy (in brackets: points against the full recipe)")
    ax.grid(alpha=0.3, axis="x")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
