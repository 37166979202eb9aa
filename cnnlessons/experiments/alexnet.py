"""Lesson 01 (AlexNet): the measurements and experiments behind the lesson's claims.

- gradient size per layer at initialisation for ReLU, tanh and sigmoid in a deep stack;
- the paper's Figure 1 at course scale: epochs to 25% training error, ReLU against tanh;
- the two towers: parameters saved by ``groups=2``, and a real model-parallel run;
- overlapping pooling and local response normalisation: output sizes and what they do;
- data augmentation: random crops and flips, and the paper's PCA colour shift;
- the train/validation gap with and without augmentation and dropout (2x2 runs).

Experiments that train take ``(data, profile)`` and return ``{label: History}``, so that
``python -m cnnlessons.reproduce`` can run exactly what the notebook runs.
"""
from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from typing import Mapping, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data import CourseData
from ..layers import ACTIVATIONS, conv_output_size, deep_stack, make_activation
from ..measure import count_parameters, gradient_norms, receptive_field
from ..models import AlexNet, SmallAlexNet
from ..models.alexnet import PAPER_CHANNELS
from ..profiles import Profile, get_profile
from ..tensordata import TensorLoader, random_crop, random_flip
from ..training import History, evaluate, fit, set_seed

__all__ = [
    "INITS",
    "gradient_sizes",
    "plot_gradient_sizes",
    "FIGURE1_KEY",
    "FIGURE1_TARGET",
    "FIGURE1_FIT",
    "Figure1CNN",
    "he_init",
    "figure1_runs",
    "epochs_to_error",
    "Speedup",
    "figure1_speedup",
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
    "ColourPCA",
    "colour_pca",
    "pca_colour_shift",
    "one_per_class",
    "augmentation_gallery",
    "show_gallery",
    "REGULARISATION_KEY",
    "REGULARISATION_FIT",
    "REGULARISATION_VARIANTS",
    "regularisation_data",
    "regularisation_runs",
    "GapRow",
    "gap_rows",
    "format_gap_table",
    "fit_calls",
]

# --------------------------------------------------------------------------- gradient sizes

INITS = {
    "kaiming": "He (kaiming) normal",
    "default": "PyTorch's default",
    "xavier": "Glorot (xavier) normal",
}
"""The initialisations ``deep_stack`` offers, with the names the lesson uses."""


def gradient_sizes(images: Tensor, labels: Tensor, *, depth: int = 20, width: int = 128,
                   activation: str = "relu", init: str = "kaiming", num_classes: int = 10,
                   seed: int = 0) -> list[float]:
    """The L2 norm of d loss / d weight of each hidden layer (input first) of a fresh
    ``deep_stack(depth, width, activation)`` on the flattened ``images`` (one batch, at
    initialisation). Seeded, so the three activations get the same weights' scheme and draws."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {tuple(INITS)}, got {init!r}")
    if images.dim() < 2 or len(images) != len(labels):
        raise ValueError(f"images must be a batch (N, ...) with one label each, got "
                         f"{tuple(images.shape)} and {len(labels)} labels")
    x = images.float().flatten(1)
    torch.manual_seed(seed)
    model = deep_stack(depth, width=width, activation=activation, in_features=x.shape[1],
                       num_classes=num_classes, init=init)
    norms = gradient_norms(model, x, labels)
    return [value for name, value in norms if name != "out"]


def plot_gradient_sizes(sizes: Mapping[str, Sequence[float]], *, ax=None, title: str | None = None,
                        highlight: str | None = None):
    """Gradient size per layer (log scale), one line per activation; returns the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.6))
    colors = {"relu": "tab:blue", "tanh": "tab:orange", "sigmoid": "tab:green"}
    for name, values in sizes.items():
        layers = range(1, len(values) + 1)
        faint = highlight is not None and name != highlight
        ax.plot(layers, [max(v, 1e-45) for v in values], marker="o", ms=3, label=name,
                color=colors.get(name), alpha=0.35 if faint else 1.0, lw=1.0 if faint else 2.0)
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel("|d loss / d weight|")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    ax.figure.tight_layout()
    return ax.figure


# --------------------------------------------------------------------------- Figure 1

FIGURE1_KEY = "01_alexnet/figure1"
FIGURE1_TARGET = 0.25
"""The paper's mark: the epoch at which training error first falls below 25%."""
FIGURE1_FIT = dict(optimizer="sgd", lr=0.02, schedule="constant", weight_decay=0.0, augment=False)
"""As in the paper's Figure 1: plain SGD with momentum at a fixed learning rate, no
regularisation of any kind (no weight decay, no augmentation, no dropout)."""


class Figure1CNN(nn.Sequential):
    """The paper's Figure 1 network: a four-layer CNN (three 5x5 convolutions of 32, 32 and 64
    channels, each followed by the activation and 3x3 max pooling with stride 2, then one fully
    connected layer). Only ``activation`` changes between the two runs."""

    def __init__(self, activation: str = "relu", in_channels: int = 3, num_classes: int = 10,
                 width: int = 32) -> None:
        make_activation(activation)  # validates the name
        layers: "OrderedDict[str, nn.Module]" = OrderedDict()
        c = in_channels
        for i, out in enumerate((width, width, 2 * width), start=1):
            layers[f"conv{i}"] = nn.Conv2d(c, out, 5, padding=2)
            layers[f"{activation}{i}"] = make_activation(activation)
            layers[f"pool{i}"] = nn.MaxPool2d(3, stride=2, padding=1)
            c = out
        layers["avgpool"] = nn.AdaptiveAvgPool2d(2)
        layers["flatten"] = nn.Flatten(1)
        layers["fc"] = nn.Linear(4 * c, num_classes)
        super().__init__(layers)
        self.activation = activation


def he_init(model: nn.Module) -> nn.Module:
    """He (kaiming) normal weights and zero biases in every conv and linear layer but the last:
    the scale that keeps a ReLU network's signal and gradient sizes constant with depth (see
    the gradient section; PyTorch's default is smaller by a factor sqrt(6), and a deep ReLU net
    without normalisation then starts with vanishing gradients). The output layer keeps its
    small default, so that the first losses are near log(num_classes)."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    for m in layers[:-1]:
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    return model


def _profile(profile: Profile | str | None) -> Profile:
    return profile if isinstance(profile, Profile) else get_profile(profile)


def figure1_runs(data: CourseData, profile: Profile | str | None = None, *,
                 epochs: int | None = None, activations: Sequence[str] = ("relu", "tanh"),
                 seed: int = 0) -> dict[str, History]:
    """Train :class:`Figure1CNN` once per activation under the profile's budget (same seed,
    same data order, same settings ``FIGURE1_FIT``); ``{activation: History}``."""
    profile = _profile(profile)
    runs = {}
    for activation in activations:
        set_seed(seed)
        model = Figure1CNN(activation, data.channels, data.num_classes)
        runs[activation] = fit(model, data, epochs=epochs, profile=profile, seed=seed,
                               label=activation, test=True, **FIGURE1_FIT)
    return runs


def epochs_to_error(history: History, target: float = FIGURE1_TARGET) -> Optional[int]:
    """The first epoch whose training error is below ``target``; None if none is."""
    for epoch, error in zip(history.epoch, history.train_error):
        if error < target:
            return int(epoch)
    return None


@dataclasses.dataclass(frozen=True)
class Speedup:
    """Epochs each activation needed to reach a training error, and their ratio."""

    target: float
    epochs: dict[str, Optional[int]]
    final_error: dict[str, float]
    budget: int
    common_target: Optional[float]
    """Where the paper's target was not reached by both: the highest final training error, a
    mark both runs did reach (None where the target was reached by both)."""
    common_epochs: dict[str, Optional[int]]

    @staticmethod
    def _ratio(epochs: Mapping[str, Optional[int]], fast: str, slow: str) -> Optional[float]:
        a, b = epochs.get(fast), epochs.get(slow)
        return None if a is None or b is None else b / a

    @property
    def ratio(self) -> Optional[float]:
        """tanh's epochs over ReLU's epochs to the target (the paper: about 6)."""
        return self._ratio(self.epochs, "relu", "tanh")

    @property
    def common_ratio(self) -> Optional[float]:
        return self._ratio(self.common_epochs, "relu", "tanh")

    def __str__(self) -> str:
        lines = []
        for name, n in self.epochs.items():
            reached = (f"reached {self.target:.0%} training error in epoch {n}" if n is not None
                       else f"did not reach {self.target:.0%} training error within the budget "
                            f"of {self.budget} epochs")
            lines.append(f"{name}: {reached} (final training error {self.final_error[name]:.1%})")
        if self.ratio is not None:
            lines.append(f"ratio tanh/ReLU: {self.ratio:.2f} (the paper: about 6)")
        else:
            lines.append("ratio tanh/ReLU: not measurable at this budget (the paper: about 6)")
            if self.common_target is not None:
                parts = ", ".join(f"{name} in epoch {n}" for name, n in self.common_epochs.items())
                lines.append(f"to the training error both reached, {self.common_target:.1%}: {parts}"
                             + (f" (ratio {self.common_ratio:.2f})" if self.common_ratio else ""))
        return "\n".join(lines)


def figure1_speedup(runs: Mapping[str, History], target: float = FIGURE1_TARGET) -> Speedup:
    """Epochs to ``target`` training error per run, and the fallback mark both reached."""
    epochs = {name: epochs_to_error(h, target) for name, h in runs.items()}
    final = {name: (h.train_error[-1] if h.train_acc else 1.0) for name, h in runs.items()}
    budget = max((len(h.epoch) for h in runs.values()), default=0)
    common_target, common_epochs = None, {}
    if any(n is None for n in epochs.values()) and runs:
        # the highest final error, nudged up so that the run that ended there counts as reaching it
        common_target = max(final.values()) + 1e-9
        common_epochs = {name: epochs_to_error(h, common_target) for name, h in runs.items()}
    return Speedup(target, epochs, final, budget, common_target, common_epochs)


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
            rows.append(TowerRow(name.split(".")[-1], count_parameters(module),
                                 count_parameters(named_two[name])))
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


def model_parallel_check(model: nn.Module, x: Tensor, backend: str = "auto",
                         timeout: float = 120.0) -> ParallelCheck:
    """Run ``model`` (a ``groups=2`` AlexNet, in eval mode) on one device and split over two
    (two GPUs, else two CPU processes talking through torch.distributed/gloo); compare."""
    from ..parallel import run_model_parallel, split_towers

    model = model.eval()
    with torch.no_grad():
        one_device = model(x)
    split = split_towers(model)
    if backend == "auto":
        backend = "cuda" if torch.cuda.device_count() >= 2 else "processes"
    start = time.perf_counter()
    towers = run_model_parallel(split, x, backend=backend, timeout=timeout)
    seconds = time.perf_counter() - start
    return ParallelCheck(backend, float((towers - one_device).abs().max()),
                         float(one_device.abs().max()), count_parameters(model),
                         list(split.parameters_per_tower), int(split.bytes_exchanged or 0),
                         list(split.exchanges), seconds)


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


def lrn_effect(model: nn.Module, x: Tensor, scale: float = 1.0, size: int = 5, alpha: float = 1e-4,
               beta: float = 0.75, k: float = 2.0) -> LRNEffect:
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
    return LRNEffect(scale, float(divisor.min()), float(divisor.median()), float(divisor.max()),
                     float(a[active].median()))


# --------------------------------------------------------------------------- augmentation

@dataclasses.dataclass(frozen=True)
class ColourPCA:
    """Principal components of the RGB (or grey) values of all training pixels, in [0, 1] units."""

    eigenvalues: Tensor
    """(C,), largest first: the variance of the pixels along each component."""
    eigenvectors: Tensor
    """(C, C), one component per column."""


def colour_pca(images: Tensor) -> ColourPCA:
    """PCA of the pixel colours of uint8 ``images`` (N x C x H x W) over the whole set, as in
    the paper (Section 4.1): the C x C covariance of the pixel values and its eigenvectors."""
    if images.dtype != torch.uint8 or images.dim() != 4:
        raise ValueError(f"images must be uint8 N x C x H x W, got {images.dtype} {tuple(images.shape)}")
    pixels = images.permute(1, 0, 2, 3).reshape(images.shape[1], -1).double() / 255.0
    cov = torch.atleast_2d(torch.cov(pixels))
    values, vectors = torch.linalg.eigh(cov)  # ascending
    order = torch.argsort(values, descending=True)
    vectors = vectors[:, order]
    # a deterministic sign: the largest entry of each component positive
    signs = torch.sign(vectors.gather(0, vectors.abs().argmax(0, keepdim=True)))
    return ColourPCA(values[order].clamp_min(0).float(), (vectors * signs).float())


def pca_colour_shift(images: Tensor, pca: ColourPCA, sigma: float = 0.1,
                     generator: torch.Generator | None = None) -> Tensor:
    """The paper's colour augmentation: add sum_i alpha_i * lambda_i * p_i to every pixel of an
    image, alpha_i ~ N(0, sigma) drawn once per image (the paper: sigma = 0.1). uint8 in and out."""
    if images.dtype != torch.uint8 or images.dim() != 4:
        raise ValueError(f"images must be uint8 N x C x H x W, got {images.dtype} {tuple(images.shape)}")
    if images.shape[1] != len(pca.eigenvalues):
        raise ValueError(f"images have {images.shape[1]} channels but the PCA was computed on "
                         f"{len(pca.eigenvalues)}")
    if not sigma >= 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    n, c = images.shape[:2]
    alpha = torch.randn(n, c, generator=generator) * sigma
    shift = (alpha * pca.eigenvalues) @ pca.eigenvectors.T  # N x C, [0, 1] units
    out = images.float() / 255.0 + shift[:, :, None, None].to(images.device)
    return (out.clamp(0, 1) * 255.0).round().to(torch.uint8)


def one_per_class(labels: Tensor, n: int) -> Tensor:
    """Indices of ``n`` images: the first of each class in turn (a split may be ordered by class)."""
    picked: list[int] = []
    classes = torch.unique(labels).tolist()
    rank = 0
    while len(picked) < min(n, len(labels)):
        for c in classes:
            where = (labels == c).nonzero().flatten()
            if rank < len(where) and len(picked) < n:
                picked.append(int(where[rank]))
        rank += 1
    return torch.tensor(picked, dtype=torch.long)


def augmentation_gallery(data: CourseData, n: int = 8, *, seed: int = 0,
                         exaggerate: float = 10.0) -> dict[str, Tensor]:
    """``n`` training images (one per class) and augmented copies of them: a random crop of the
    zero-padded image (``data.crop_padding``), a horizontal flip, both (what ``fit`` does), and
    the PCA colour shift at the paper's sigma = 0.1 and at ``exaggerate`` times it (to see it)."""
    g = torch.Generator().manual_seed(seed)
    images = data.train_images[one_per_class(data.train_labels, n)]
    pca = colour_pca(data.train_images)
    cropped = random_crop(images, data.crop_padding, g)
    return {
        "original": images,
        f"random crop (padding {data.crop_padding})": cropped,
        "flipped": images.flip(3),
        "crop + random flip" if data.flip else "crop (no flips for digits)":
            random_flip(cropped, g) if data.flip else cropped,
        "PCA colour, sigma 0.1": pca_colour_shift(images, pca, 0.1, g),
        f"PCA colour, sigma {0.1 * exaggerate:g}": pca_colour_shift(images, pca, 0.1 * exaggerate, g),
    }


def show_gallery(gallery: Mapping[str, Tensor], size: float = 1.1):
    """One row per augmentation, one column per image."""
    import matplotlib.pyplot as plt

    rows = list(gallery.items())
    n = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), n, figsize=(size * n + 1.6, size * len(rows)), squeeze=False)
    for r, (name, images) in enumerate(rows):
        for i in range(n):
            ax = axes[r, i]
            img = images[i].float() / 255
            if img.shape[0] == 1:
                ax.imshow(img[0].numpy(), cmap="gray", vmin=0, vmax=1)
            else:
                ax.imshow(img.permute(1, 2, 0).numpy())
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- the 2x2 gap runs

REGULARISATION_KEY = "01_alexnet/regularisation"
REGULARISATION_FIT = dict(optimizer="adamw", lr=1e-3)
REGULARISATION_VARIANTS = {
    "no augmentation, no dropout": (False, 0.0),
    "augmentation": (True, 0.0),
    "dropout 0.5": (False, 0.5),
    "augmentation + dropout 0.5": (True, 0.5),
}
"""label -> (augment, dropout) of the four runs."""
SUBSET = 4
"""The gap runs train on 1/SUBSET of the training images for 2 x the profile's epochs: half the
profile's budget in steps, on a set small enough to be memorised, so that overfitting shows."""


def regularisation_data(data: CourseData, subset: int = SUBSET, seed: int = 0) -> CourseData:
    """A seeded random 1/``subset`` of the training images (validation and test unchanged).
    Random, not the first ones: a dataset's training split may be ordered by class."""
    n = max(1, len(data.train_labels) // subset)
    keep = torch.randperm(len(data.train_labels), generator=torch.Generator().manual_seed(seed))[:n]
    keep = keep.sort().values
    return dataclasses.replace(data, train_images=data.train_images[keep],
                               train_labels=data.train_labels[keep])


def _clean_accuracy(model: nn.Module, data: CourseData, images: Tensor, labels: Tensor) -> float:
    device = next(model.parameters()).device
    batches = TensorLoader(images, labels, batch_size=256, mean=data.mean, std=data.std, device=device)
    return evaluate(model, batches, device)[1]


def regularisation_runs(data: CourseData, profile: Profile | str | None = None, *,
                        epochs: int | None = None, subset: int = SUBSET, seed: int = 0,
                        variants: Sequence[str] | None = None) -> dict[str, History]:
    """Train ``SmallAlexNet`` four times: with and without augmentation (``fit``'s random crops
    and flips), with and without dropout (0.5 before fc6 and fc7). Each history's
    ``info["clean_train_acc"]`` is the accuracy on the (un-augmented) training images in eval
    mode, measured after training: the fair number to compare with the validation accuracy."""
    profile = _profile(profile)
    epochs = 2 * profile.epochs if epochs is None else epochs
    small = regularisation_data(data, subset)
    runs = {}
    for label in (variants or REGULARISATION_VARIANTS):
        augment, dropout = REGULARISATION_VARIANTS[label]
        set_seed(seed)
        model = he_init(SmallAlexNet(data.num_classes, data.channels, dropout=dropout))
        h = fit(model, small, epochs=epochs, profile=profile, seed=seed, augment=augment,
                label=label, test=True, **REGULARISATION_FIT)
        h.info["clean_train_acc"] = _clean_accuracy(model, small, small.train_images,
                                                    small.train_labels)
        h.info.update(augment=augment, dropout=dropout)
        runs[label] = h
    return runs


@dataclasses.dataclass(frozen=True)
class GapRow:
    label: str
    train_acc: float
    val_acc: float

    @property
    def gap(self) -> float:
        return self.train_acc - self.val_acc


def gap_rows(runs: Mapping[str, History]) -> list[GapRow]:
    """Train accuracy (clean, eval mode; the last epoch's running accuracy if not measured),
    validation accuracy and their gap, per run."""
    return [GapRow(label, float(h.info.get("clean_train_acc", h.train_acc[-1])), h.val_acc[-1])
            for label, h in runs.items()]


def format_gap_table(rows: Sequence[GapRow]) -> str:
    width = max(len(r.label) for r in rows)
    lines = [f"{'run':<{width}}  train acc  val acc    gap", "-" * (width + 28)]
    lines += [f"{r.label:<{width}}  {r.train_acc:9.1%}  {r.val_acc:7.1%}  {r.gap:5.1%}" for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- reproduction

def fit_calls() -> dict[str, list[str]]:
    """The exact model builders and fit() calls of the lesson's trained experiments."""
    fig1 = ", ".join(f"{k}={v!r}" for k, v in FIGURE1_FIT.items())
    reg = ", ".join(f"{k}={v!r}" for k, v in REGULARISATION_FIT.items())
    return {
        FIGURE1_KEY: [
            f"set_seed(0); fit(Figure1CNN({a!r}, data.channels, data.num_classes), data, "
            f"epochs=profile.epochs, seed=0, label={a!r}, test=True, {fig1})"
            for a in ("relu", "tanh")],
        REGULARISATION_KEY: [
            f"set_seed(0); fit(he_init(SmallAlexNet(data.num_classes, data.channels, dropout={d})), "
            f"regularisation_data(data, {SUBSET}), epochs=2 * profile.epochs, seed=0, "
            f"augment={a}, label={label!r}, test=True, {reg})"
            for label, (a, d) in REGULARISATION_VARIANTS.items()],
    }
