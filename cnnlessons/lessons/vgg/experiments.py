"""Lesson 02 (VGGNet): the measurements and experiments behind the lesson's claims.

- the receptive field of stacked 3x3 convolutions, from the formula and measured as the
  gradient footprint of one output pixel on the input;
- the weights of three 3x3 layers (27C^2) against one 7x7 layer (49C^2), from real layers;
- a scaled-down VGG trained on the data;
- the classifier as convolutions: the same outputs as the FC head, and a class-score map on a
  larger input (an average pooling before the head folded into its first convolution);
- one kxk layer against the stack of 3x3 layers with the same receptive field (the explorer).

The trained experiments are recipes of ``cnnlessons.runs.recipes`` (the same runs for the notebook,
the explorer and ``cnnlessons reproduce``).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ...data import CourseData
from ...history import History
from ...layers import check_positive_int
from ...measure import count_parameters, equivalent_3x3_layers, gradient_footprint, stacked_receptive_field
from ...models import SmallVGG, build_model
from ...profiles import Profile
from . import recipes
from .recipes import kernel_comparison, kernel_label

__all__ = [
    "conv_stack",
    "Footprint3x3",
    "measure_footprints",
    "plot_footprints",
    "WeightsRow",
    "stack_weights",
    "train_vgg",
    "head_difference",
    "dense_net",
    "Scorer",
    "scorer",
    "mosaic",
    "score_map",
    "plot_score_map",
    "equivalent_3x3_layers",
    "kernel_label",
    "kernel_models",
    "kernel_runs",
    "configuration_table",
]


# --------------------------------------------------------------------------- receptive field


def conv_stack(
    num_layers: int, kernel_size: int = 3, channels: int = 4, in_channels: int = 1, relu: bool = True
) -> nn.Sequential:
    """``num_layers`` kxk convolutions (stride 1, 'same' padding), each followed by a ReLU."""
    check_positive_int("num_layers", num_layers)
    check_positive_int("kernel_size", kernel_size)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd (3, 5, 7, ...) to keep the size, got {kernel_size}")
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    c = in_channels
    for i in range(1, num_layers + 1):
        layers[f"conv{i}"] = nn.Conv2d(c, channels, kernel_size, padding=kernel_size // 2)
        if relu:
            layers[f"relu{i}"] = nn.ReLU()
        c = channels
    return nn.Sequential(layers)


@dataclasses.dataclass(frozen=True)
class Footprint3x3:
    num_layers: int
    kernel_size: int
    formula: int
    height: int
    width: int
    mask: Tensor


def measure_footprints(
    max_layers: int = 3, kernel_size: int = 3, size: int = 15, seed: int = 0
) -> list[Footprint3x3]:
    """For 1..max_layers stacked kxk convolutions (random weights, ReLUs): the receptive field
    from the formula and the measured gradient footprint of the centre output pixel."""
    out = []
    for n in range(1, max_layers + 1):
        torch.manual_seed(seed)
        model = conv_stack(n, kernel_size)
        fp = gradient_footprint(model, (1, size, size), trials=8, seed=seed)
        out.append(
            Footprint3x3(
                n, kernel_size, stacked_receptive_field(n, kernel_size), fp.height, fp.width, fp.mask
            )
        )
    return out


def plot_footprints(footprints: Sequence[Footprint3x3]):
    """One panel per depth: the input pixels that the centre output pixel depends on."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(footprints), figsize=(2.6 * len(footprints), 2.9), squeeze=False)
    for ax, fp in zip(axes[0], footprints, strict=False):
        ax.imshow(fp.mask.float().numpy(), cmap="Blues", vmin=0, vmax=1.3)
        h, w = fp.mask.shape
        ax.set_xticks(torch.arange(-0.5, w, 1).tolist(), minor=True)
        ax.set_yticks(torch.arange(-0.5, h, 1).tolist(), minor=True)
        ax.grid(which="minor", color="white", lw=0.5)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        ax.plot([w // 2], [h // 2], "s", color="tab:red", ms=5)
        k = fp.kernel_size
        ax.set_title(
            f"{fp.num_layers} x {k}x{k}: {fp.height}x{fp.width}\n(formula {fp.formula}x{fp.formula})",
            fontsize=9,
        )
    fig.suptitle("input pixels with a nonzero gradient for the centre output pixel (red)", fontsize=9)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- weights


@dataclasses.dataclass(frozen=True)
class WeightsRow:
    channels: int
    stack: int
    """Weights of three 3x3 layers C -> C (no biases), counted on real layers."""
    single: int
    """Weights of one 7x7 layer C -> C (no biases), counted on real layers."""

    @property
    def ratio(self) -> float:
        return self.stack / self.single


def stack_weights(
    channels: Sequence[int] = (64, 128, 256, 512), num_layers: int = 3, kernel_size: int = 3
) -> list[WeightsRow]:
    """Weights of ``num_layers`` kxk layers against one layer with the same receptive field,
    C channels in and out, no biases, counted on real ``nn.Conv2d`` layers (meta device)."""
    big = stacked_receptive_field(num_layers, kernel_size)
    rows = []
    for c in channels:
        with torch.device("meta"):
            stack = nn.Sequential(
                *[
                    nn.Conv2d(c, c, kernel_size, padding=kernel_size // 2, bias=False)
                    for _ in range(num_layers)
                ]
            )
            single = nn.Conv2d(c, c, big, padding=big // 2, bias=False)
        rows.append(WeightsRow(c, count_parameters(stack), count_parameters(single)))
    return rows


# --------------------------------------------------------------------------- the small VGG


def train_vgg(data: CourseData, profile: Profile | str | None = None, **kwargs) -> tuple[nn.Module, History]:
    """Train the recipe ``02_vggnet/vgg`` (three blocks of two 3x3 convolutions, then the FC head
    on the last feature map as it is, so that the head can be turned into convolutions exactly);
    the trained model and its history."""
    recipe = recipes.VGG
    return recipe.fit_run(recipe.run("SmallVGG"), data, profile, **kwargs)


# --------------------------------------------------------------------------- FC head as convolutions


def dense_net(model: SmallVGG, image_size: int) -> nn.Sequential:
    """``model``'s features, then its classifier as convolutions, for images of side ``image_size``
    (the training size): the same outputs there, a class-score map on larger images.

    Where the model averages its last feature map (side s) down to its head's p x p
    (``pool_size``; the shipped ``small_vgg`` averages 4x4 to 2x2), the averaging is linear and
    folds into the head's first convolution: an s x s kernel, each weight of the p x p one spread
    over an (s/p) x (s/p) patch and divided by that patch's size."""
    check_positive_int("image_size", image_size)
    with torch.no_grad():
        probe = torch.zeros(
            1, model.in_channels, image_size, image_size, device=next(model.parameters()).device
        )
        side = model.features(probe).shape[-1]
    net = model.fully_convolutional()
    pooled = model.classifier.spatial
    if side == pooled:
        return net
    if side % pooled:
        raise ValueError(
            f"image_size {image_size} gives a {side}x{side} feature map, which the head's {pooled}x{pooled} "
            "average pooling does not divide evenly"
        )
    f = side // pooled
    small = net.head.conv1
    big = nn.Conv2d(small.in_channels, small.out_channels, side).to(small.weight)
    with torch.no_grad():
        big.weight.copy_(small.weight.repeat_interleave(f, dim=2).repeat_interleave(f, dim=3) / (f * f))
        big.bias.copy_(small.bias)
    net.head.conv1 = big
    return net


def head_difference(model: SmallVGG, x: Tensor) -> tuple[float, float, tuple[int, ...]]:
    """(max |FC head - conv head|, max |FC head|, shape of the conv net's output) on ``x`` (images
    of the training size), both in eval mode. The conv version (:func:`dense_net`) shares the
    features and copies the head's weights."""
    model = model.eval()
    conv_net = dense_net(model, x.shape[-1]).eval()
    with torch.no_grad():
        fc = model(x)
        conv = conv_net(x)
    if conv.shape[-2:] != (1, 1):
        raise ValueError(f"on the training size the conv head must give a 1x1 map, got {tuple(conv.shape)}")
    return float((fc - conv.flatten(1)).abs().max()), float(fc.abs().max()), tuple(conv.shape)


@dataclasses.dataclass(frozen=True)
class Scorer:
    """The SmallVGG whose class-score maps a lesson shows: the model, what it is in words, its test
    accuracy, and the normalisation its inputs need."""

    model: SmallVGG
    name: str
    test_acc: float
    mean: Tensor
    std: Tensor
    converged: bool

    def normalize(self, images: Tensor) -> Tensor:
        """uint8 images -> the inputs this model was trained on."""
        x = images.float() / 255
        return (x - self.mean.view(1, -1, 1, 1)) / self.std.view(1, -1, 1, 1)


def scorer(model: SmallVGG, test_acc: float, data: CourseData, converged: str = "small_vgg") -> Scorer:
    """The shipped checkpoint ``converged`` (trained to the end) where ``data`` is CIFAR-10, which
    is what it takes; else ``model``, this run's, with its ``test_acc`` and the data's normalisation."""
    if data.input_size == (3, 32, 32) and data.num_classes == 10:
        trained = build_model(converged, weights="cifar10").eval()
        record = trained.checkpoint_record
        norm = record["normalisation"]
        return Scorer(
            trained,
            f"the converged {converged}",
            float(record["test_acc"]),
            torch.tensor(norm["mean"]),
            torch.tensor(norm["std"]),
            True,
        )
    return Scorer(model.eval(), "this run's SmallVGG", float(test_acc), data.mean, data.std, False)


def mosaic(images: Tensor, rows: int = 2, cols: int = 2) -> Tensor:
    """Tile rows*cols images (N x C x H x W, N >= rows*cols) into one (1, C, rows*H, cols*W) image."""
    n, c, h, w = images.shape
    if n < rows * cols:
        raise ValueError(f"images must hold at least rows*cols = {rows * cols} images, got {n}")
    grid = images[: rows * cols].reshape(rows, cols, c, h, w).permute(2, 0, 3, 1, 4)
    return grid.reshape(1, c, rows * h, cols * w)


def score_map(model: SmallVGG, x: Tensor, image_size: int | None = None) -> Tensor:
    """Class probabilities at every position of the fully convolutional net's output on ``x``
    (1, C, H, W): a (num_classes, h, w) map. ``image_size``: the training size, where the model
    pools before its head (:func:`dense_net`); default: its head reads the feature map as it is."""
    model = model.eval()
    conv_net = (model.fully_convolutional() if image_size is None else dense_net(model, image_size)).eval()
    with torch.no_grad():
        return conv_net(x).softmax(dim=1)[0]


def plot_score_map(
    image: Tensor, scores: Tensor, classes: Sequence[str], picks: Sequence[int], title: str | None = None
):
    """The large input (uint8, C x H x W) and the score map of each class in ``picks``, under
    ``title`` (which model, with its accuracy)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(picks) + 1, figsize=(2.4 * (len(picks) + 1), 2.8))
    img = image.float() / 255
    if img.shape[0] == 1:
        axes[0].imshow(img[0].numpy(), cmap="gray", vmin=0, vmax=1)
    else:
        axes[0].imshow(img.permute(1, 2, 0).numpy())
    axes[0].set_title(f"input {image.shape[-2]}x{image.shape[-1]}", fontsize=9)
    for ax, k in zip(axes[1:], picks, strict=False):
        ax.imshow(scores[k].numpy(), cmap="viridis", vmin=0, vmax=1)
        ax.set_title(f"P({classes[k]}), {scores.shape[-2]}x{scores.shape[-1]} map", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- kxk against 3x3 stacks

"""The ledger's runs: one 5x5 layer against two and four 3x3 layers, on the profile's seeds."""


def kernel_models(
    kernel_size: int, num_layers: int, in_channels: int, num_classes: int, width: int = 16
) -> dict[str, nn.Module]:
    """The two models of a comparison: ``num_layers`` kxk layers and the 3x3 stack with the
    same receptive field (freshly initialised, seeded by the caller)."""
    return {
        run.label: build_model(
            run.model, in_channels=in_channels, num_classes=num_classes, **run.model_kwargs
        )
        for run in kernel_comparison(kernel_size, num_layers, width)
    }


def kernel_runs(
    data: CourseData,
    profile: Profile | str | None = None,
    *,
    kernel_size: int = 7,
    num_layers: int = 1,
    width: int = 16,
    **kwargs,
) -> dict[str, History]:
    """Train both models of :func:`kernel_models` with the recipe ``02_vggnet/kernels`` (same
    budget, same seed); ``{label: History}``."""
    runs = recipes.KERNELS.train(
        data, profile, runs=kernel_comparison(kernel_size, num_layers, width), **kwargs
    )
    for h in runs.values():
        k, n = h.info["kernel_size"], h.info["num_layers"]
        h.info.update(conv_weights=n * k * k * width * width, receptive_field=stacked_receptive_field(n, k))
    return runs


# --------------------------------------------------------------------------- the paper's Table 1


def configuration_table() -> str:
    """The paper's Table 1 as markdown, generated from the configurations the library builds
    (``cnnlessons.models.VGG_CONFIGS``): a column per configuration, a row per block, each cell
    its 3x3 convolutions ("conv3-64 x 2"), then the weight layers and the parameters (counted on
    the meta device). Configuration C (with 1x1 convolutions in its last three blocks) is not
    built, and the table says so."""
    from ...measure import count_parameters
    from ...models import VGG
    from ...models.vgg import VGG_CONFIGS

    names = {"vgg11": "A (VGG-11)", "vgg13": "B (VGG-13)", "vgg16": "D (VGG-16)", "vgg19": "E (VGG-19)"}
    configs = {names[k]: v for k, v in VGG_CONFIGS.items() if k in names}
    blocks = max(len(c) for c in configs.values())
    rows = ["| block | " + " | ".join(configs) + " |", "|---|" + "---|" * len(configs)]
    for i in range(blocks):
        rows.append(
            f"| {i + 1} | " + " | ".join(f"conv3-{c[i][1]} x {c[i][0]}" for c in configs.values()) + " |"
        )
    rows.append("| classifier | " + " | ".join("FC-4096, FC-4096, FC-1000" for _ in configs) + " |")
    rows.append(
        "| weight layers | " + " | ".join(str(sum(n for n, _ in c) + 3) for c in configs.values()) + " |"
    )
    with torch.device("meta"):
        counts = [count_parameters(VGG(key)) for key in names if key in VGG_CONFIGS]
    rows.append("| parameters | " + " | ".join(f"{n / 1e6:.1f}M" for n in counts) + " |")
    return "\n".join(rows) + (
        "\n\nConfiguration C (16 layers, with 1x1 convolutions in its last three "
        "blocks) is the one the library does not build."
    )
