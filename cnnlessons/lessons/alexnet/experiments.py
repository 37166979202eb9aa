"""Lesson 01 (AlexNet): the measurements and experiments behind the lesson's claims.

- gradient size per layer at initialisation for ReLU, tanh and sigmoid in a deep stack;
- the paper's Figure 1 at course scale: epochs to 25% training error, ReLU against tanh;
- the two towers: parameters saved by ``groups=2``, and a real model-parallel run;
- overlapping pooling and local response normalisation: output sizes and what they do;
- the train/validation gap with and without augmentation and dropout (2x2 runs).

The trained experiments are recipes of ``cnnlessons.runs.recipes`` (the same runs for the notebook,
the explorers and ``cnnlessons reproduce``); augmentation lives beside the data path, in
``cnnlessons.augmentation``, and the figures in ``cnnlessons.plots``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...data import CourseData
from ...history import History
from ...layers import ACTIVATIONS, PAPER_LRN, conv_output_size, deep_stack
from ...measure import count_parameters, gradient_norms, receptive_field
from ...models import AlexNet
from ...models.alexnet import PAPER_CHANNELS
from ...profiles import Profile
from . import recipes

__all__ = [
    "INITS",
    "gradient_sizes_by_activation",
    "epochs_to",
    "first_to_target",
    "figure1_window_seeds",
    "figure1_window_runs",
    "RatePoint",
    "rate_window",
    "best_rate",
    "plot_rate_window",
    "TowerRow",
    "tower_parameters",
    "ParallelCheck",
    "model_parallel_check",
    "PoolingRow",
    "pooling_sizes",
    "pooling_coverage",
    "pooled_receptive_fields",
    "LRNEffect",
    "lrn_effect",
    "regularisation_runs",
    "GapRow",
    "gap_rows",
    "format_gap_table",
]

# --------------------------------------------------------------------------- gradient sizes

INITS = {
    "kaiming": "He (kaiming) normal",
    "default": "PyTorch's default",
    "xavier": "Glorot (xavier) normal",
}
"""The initialisations ``deep_stack`` offers, with the names the lesson uses."""


def gradient_sizes_by_activation(
    images: Tensor,
    labels: Tensor,
    *,
    depth: int = 20,
    width: int = 128,
    activation: str = "relu",
    init: str = "kaiming",
    num_classes: int = 10,
    seed: int = 0,
) -> list[float]:
    """The L2 norm of d loss / d weight of each hidden layer (input first) of a fresh
    ``deep_stack(depth, width, activation)`` on the flattened ``images`` (one batch, at
    initialisation). Seeded, so the three activations get the same weights' scheme and draws."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {tuple(INITS)}, got {init!r}")
    if images.dim() < 2 or len(images) != len(labels):
        raise ValueError(
            f"images must be a batch (N, ...) with one label each, got "
            f"{tuple(images.shape)} and {len(labels)} labels"
        )
    x = images.float().flatten(1)
    torch.manual_seed(seed)
    model = deep_stack(
        depth, width=width, activation=activation, in_features=x.shape[1], num_classes=num_classes, init=init
    )
    norms = gradient_norms(model, x, labels)
    return [value for name, value in norms if name != "out"]


# --------------------------------------------------------------------------- Figure 1


def epochs_to(runs: Mapping[str, Mapping[int, History]], target: float) -> dict[str, dict[int, int]]:
    """Per run and seed, the first epoch whose eval-mode training error is under ``target`` (one
    past the budget where none is, as the claim counts it)."""
    from ...runs.evidence import epochs_to_target

    return {
        label: {s: epochs_to_target(h, target) for s, h in sorted(by.items())} for label, by in runs.items()
    }


def first_to_target(runs: Mapping[str, Mapping[int, History]], target: float) -> tuple[str, dict[str, float]]:
    """Which run reached ``target`` training error first on average over the seeds ("tie" when
    the means are equal), and each run's mean epochs."""
    means = {label: sum(by.values()) / len(by) for label, by in epochs_to(runs, target).items()}
    ordered = sorted(means, key=means.get)
    first = "tie" if len(ordered) > 1 and means[ordered[0]] == means[ordered[1]] else ordered[0]
    return first, means


def figure1_window_seeds(profile: Profile | str | None = None) -> tuple[int, ...]:
    """The seeds of Figure 1's learning-rate window: those its rates were tuned on (100 and 101) in
    the ``gpu`` profile, only the first on a laptop's budget (the window illustrates the rates; it
    judges no claim)."""
    from ...profiles import get_profile

    seeds = recipes.FIGURE1_WINDOW_SEEDS
    return seeds if get_profile(profile).name == "gpu" else seeds[:1]


def figure1_window_runs(
    data: CourseData, profile: Profile | str | None = None, **kwargs
) -> dict[str, dict[int, History]]:
    """Train the recipe ``01_alexnet/figure1_window`` (each activation at each of its rates) on
    ``figure1_window_seeds``: ``{label: {seed: History}}``."""
    return recipes.FIGURE1_WINDOW.train_seeds(data, profile, seeds=figure1_window_seeds(profile), **kwargs)


@dataclasses.dataclass(frozen=True)
class RatePoint:
    """One activation at one learning rate: its final training error (eval mode) per seed."""

    activation: str
    lr: float
    errors: Mapping[int, float]

    @property
    def mean(self) -> float:
        return sum(self.errors.values()) / len(self.errors)


def rate_window(runs: Mapping[str, Mapping[int, History]]) -> dict[str, list[RatePoint]]:
    """Per activation, its rates from low to high with the final eval-mode training error of each
    seed, from ``figure1_window_runs``' runs (the recipe's runs say which label is which)."""
    window: dict[str, list[RatePoint]] = {}
    for run in recipes.FIGURE1_WINDOW.runs:
        by_seed = runs.get(run.label)
        if not by_seed:
            continue
        errors = {s: 1.0 - h.train_eval_acc[-1] for s, h in sorted(by_seed.items())}
        window.setdefault(run.model_kwargs["activation"], []).append(
            RatePoint(run.model_kwargs["activation"], run.training.lr, errors)
        )
    if not window:
        raise ValueError(f"runs: expected runs of {recipes.FIGURE1_WINDOW.key}, got {list(runs)}")
    return {a: sorted(points, key=lambda p: p.lr) for a, points in window.items()}


def best_rate(points: Sequence[RatePoint]) -> RatePoint:
    """The rate with the lowest mean final training error."""
    return min(points, key=lambda p: p.mean)


_STYLES = (("tab:blue", "-", "o"), ("tab:orange", "--", "s"), ("tab:green", "-.", "^"))


def plot_rate_window(window: Mapping[str, Sequence[RatePoint]], epochs: int, title: str | None = None):
    """The final training error against the learning rate (log scale), one line per activation
    (the mean of the seeds; each seed a small hollow marker), each with its own colour, line style
    and marker; Figure 1's rate (``FIGURE1_LR``) ringed. Returns the figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for (activation, points), (colour, ls, marker) in zip(window.items(), _STYLES, strict=False):
        rates = [p.lr for p in points]
        seeds = sorted({s for p in points for s in p.errors})
        ax.plot(
            rates,
            [p.mean for p in points],
            color=colour,
            ls=ls,
            marker=marker,
            ms=7,
            label=f"{activation} (mean of seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))})",
        )
        for p in points:
            ax.plot(
                [p.lr] * len(p.errors),
                list(p.errors.values()),
                ls="none",
                marker=marker,
                ms=4,
                mfc="none",
                color=colour,
                alpha=0.7,
            )
            if p.lr == recipes.FIGURE1_LR.get(activation):
                ax.plot([p.lr], [p.mean], ls="none", marker="o", ms=16, mfc="none", color=colour, mew=1.2)
    rates = sorted({p.lr for points in window.values() for p in points})
    ax.set_xscale("log")
    ax.set_xticks(rates, [f"{r:g}" for r in rates])
    ax.minorticks_off()
    ax.set_xlabel("learning rate (log scale); ringed: the rate Figure 1 trains at")
    ax.set_ylabel(f"training error after {epochs} epochs (eval mode)")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- the two towers


@dataclasses.dataclass(frozen=True)
class TowerRow:
    layer: str
    one_tower: int
    two_towers: int

    @property
    def saved(self) -> int:
        return self.one_tower - self.two_towers


def tower_parameters(channels: Sequence[int] = PAPER_CHANNELS) -> list[TowerRow]:
    """Parameters of each conv and FC layer of the full-size AlexNet with ``groups=1`` and
    ``groups=2`` (the paper's two towers), counted on the meta device (no memory used); the
    last row is the total."""
    with torch.device("meta"):
        one = AlexNet(channels=channels, groups=1)
        two = AlexNet(channels=channels, groups=2)
    rows = []
    named_two = dict(two.named_modules())
    for name, module in one.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            rows.append(
                TowerRow(name.split(".")[-1], count_parameters(module), count_parameters(named_two[name]))
            )
    rows.append(TowerRow("total", count_parameters(one), count_parameters(two)))
    return rows


@dataclasses.dataclass(frozen=True)
class ParallelCheck:
    """A groups=2 model run on one device and as two towers on two devices/processes."""

    backend: str
    max_abs_diff: float
    max_abs_output: float
    parameters: int
    parameters_per_tower: list[int]
    bytes_exchanged: int
    exchanges: list[str]
    seconds: float


def model_parallel_check(
    model: nn.Module, x: Tensor, backend: str = "auto", timeout: float = 120.0
) -> ParallelCheck:
    """Run ``model`` (a ``groups=2`` AlexNet, in eval mode) on one device and split over two
    (two GPUs, else two CPU processes talking through torch.distributed/gloo); compare."""
    from ...parallel import run_model_parallel, split_towers

    model = model.eval()
    with torch.no_grad():
        one_device = model(x)
    split = split_towers(model)
    if backend == "auto":
        backend = "cuda" if torch.cuda.device_count() >= 2 else "processes"
    start = time.perf_counter()
    towers = run_model_parallel(split, x, backend=backend, timeout=timeout)
    seconds = time.perf_counter() - start
    return ParallelCheck(
        backend,
        float((towers - one_device).abs().max()),
        float(one_device.abs().max()),
        count_parameters(model),
        list(split.parameters_per_tower),
        int(split.bytes_exchanged or 0),
        list(split.exchanges),
        seconds,
    )


# --------------------------------------------------------------------------- pooling and LRN


@dataclasses.dataclass(frozen=True)
class PoolingRow:
    size: int
    overlapping: int
    """Output side of 3x3 windows with stride 2."""
    non_overlapping: int
    """Output side of 2x2 windows with stride 2."""


def pooling_sizes(sizes: Sequence[int] = (55, 27, 13, 32, 16)) -> list[PoolingRow]:
    """Output sides of AlexNet's overlapping pooling (3x3/s2) and of 2x2/s2, no padding,
    from the output-size formula and checked against the real layers."""
    rows = []
    for n in sizes:
        a, b = conv_output_size(n, 3, 2), conv_output_size(n, 2, 2)
        x = torch.zeros(1, 1, n, n)
        if (nn.MaxPool2d(3, 2)(x).shape[-1], nn.MaxPool2d(2, 2)(x).shape[-1]) != (a, b):
            raise AssertionError(f"the formula and the layers disagree for size {n}")
        rows.append(PoolingRow(n, a, b))
    return rows


def pooling_coverage(size: int, kernel_size: int, stride: int) -> Tensor:
    """How many pooling windows read each input pixel (a size x size map of counts)."""
    x = torch.ones(1, 1, size, size, requires_grad=True)
    out = F.avg_pool2d(x, kernel_size, stride)
    (grad,) = torch.autograd.grad(out.sum() * kernel_size * kernel_size, x)
    return grad[0, 0].round().to(torch.int64)


def pooled_receptive_fields(depth: int = 3) -> dict[str, list[int]]:
    """Receptive field (input pixels) after 1..depth (3x3 conv, pool) stages, with the two
    poolings: overlapping windows widen what each output sees."""
    out = {}
    for name, k in (("3x3 stride 2", 3), ("2x2 stride 2", 2)):
        layers: list[tuple[int, int]] = []
        fields = []
        for _ in range(depth):
            layers += [(3, 1), (k, 2)]
            fields.append(receptive_field(layers))
        out[name] = fields
    return out


@dataclasses.dataclass(frozen=True)
class LRNEffect:
    """What the paper's LRN (size 5, alpha 1e-4, beta 0.75, k 2) does to real activations."""

    scale: float
    """Input-pixel scale of the activations (1: [0, 1] pixels normalised; 255: raw pixel values)."""
    divisor_min: float
    divisor_median: float
    divisor_max: float
    activation_median: float


def lrn_effect(
    model: nn.Module,
    x: Tensor,
    scale: float = 1.0,
    size: int = int(PAPER_LRN["size"]),
    alpha: float = PAPER_LRN["alpha"],
    beta: float = PAPER_LRN["beta"],
    k: float = PAPER_LRN["k"],
) -> LRNEffect:
    """Run ``model.features`` up to the first ReLU on ``x * scale`` and measure LRN's divisor
    (k + alpha/n * sum of squares of the neighbours)^beta on those activations (nonzero ones)."""
    first = []
    for module in model.features:
        first.append(module)
        if isinstance(module, nn.ReLU):
            break
    with torch.no_grad():
        a = nn.Sequential(*first)(x * scale)
        lrn = nn.LocalResponseNorm(size, alpha=alpha, beta=beta, k=k)
        out = lrn(a)
    active = a > 0
    divisor = (a[active] / out[active]).flatten()
    if divisor.numel() == 0:
        raise ValueError("no activation is positive: nothing to normalise")
    return LRNEffect(
        scale, float(divisor.min()), float(divisor.median()), float(divisor.max()), float(a[active].median())
    )


# --------------------------------------------------------------------------- the 2x2 gap runs


def regularisation_runs(
    data: CourseData, profile: Profile | str | None = None, **kwargs
) -> dict[str, dict[int, History]]:
    """Train the recipe ``01_alexnet/regularisation`` on the profile's seeds: SmallAlexNet with
    wide fully connected layers, without regularisation, with augmentation (``fit``'s random crops
    and flips) and with dropout (0.5 before fc6 and fc7), on a tenth of the training images until
    the unregularised net has memorised them. Each history's ``info["clean_train_acc"]`` is the
    accuracy on those (un-augmented) images in eval mode: the fair number to compare with the
    test accuracy. ``{label: {seed: History}}``."""
    return recipes.REGULARISATION.train_seeds(data, profile, **kwargs)


@dataclasses.dataclass(frozen=True)
class GapRow:
    label: str
    seed: int
    train_acc: float
    test_acc: float

    @property
    def gap(self) -> float:
        return self.train_acc - self.test_acc


def gap_rows(runs: Mapping[str, Mapping[int, History]]) -> list[GapRow]:
    """Train accuracy (clean, eval mode; the last epoch's running accuracy if not measured),
    test accuracy and their gap, per run and seed."""
    return [
        GapRow(label, seed, float(h.info.get("clean_train_acc", h.train_acc[-1])), float(h.test_acc))
        for label, by_seed in runs.items()
        for seed, h in sorted(by_seed.items())
    ]


def format_gap_table(rows: Sequence[GapRow]) -> str:
    width = max(len(r.label) for r in rows)
    lines = [f"{'run':<{width}}  seed  train acc  test acc    gap", "-" * (width + 36)]
    lines += [
        f"{r.label:<{width}}  {r.seed:>4}  {r.train_acc:9.1%}  {r.test_acc:8.1%}  {r.gap:5.1%}" for r in rows
    ]
    return "\n".join(lines)
