"""Lesson 03 (GoogLeNet): what a 1x1 reduction saves, the Inception block's branches, and the
source's table of layers and parameters recomputed from real models.

Full-size models are built on PyTorch's ``meta`` device: their parameters have shapes but no
storage, so AlexNet, VGG-19 and GoogLeNet cost no memory and no arithmetic to count. The number of
layers is measured, not looked up: :func:`weight_layer_depth` runs the model and counts the
convolutions and linear layers on the longest path from the input to the output (the paper's
"22 layers deep when counting only layers with parameters").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode

from ...measure import count_parameters, flops_per_image, gradient_footprint
from ...models import Inception, build_model, torchvision_parameters
from ...models.googlenet import GOOGLENET_BLOCKS

__all__ = [
    "BLOCK_DESIGNS",
    "BRANCH_NAMES",
    "Branch",
    "BranchCost",
    "GOOGLENET_BRANCHES",
    "NetCost",
    "ReductionComparison",
    "SOURCE_TABLE",
    "TableRow",
    "architecture_table",
    "branch_cost",
    "branch_cost_formula",
    "branch_shapes",
    "compare_reduction",
    "format_table",
    "googlenet_block_inputs",
    "naive_growth",
    "reduction_widths",
    "weight_layer_depth",
]

BRANCH_NAMES = ("1x1", "1x1 -> 3x3", "1x1 -> 5x5", "3x3 max pool -> 1x1")


# -- the 1x1 reduction --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ReductionComparison:
    """One kxk convolution in->out against a 1x1 in->reduced followed by kxk reduced->out."""

    direct_params: int
    reduced_params: int
    direct_shape: tuple[int, ...]
    reduced_shape: tuple[int, ...]
    direct_receptive_field: tuple[int, int]
    reduced_receptive_field: tuple[int, int]
    direct_flops: int
    reduced_flops: int

    @property
    def saving(self) -> float:
        """Parameters of the reduced path as a fraction of the direct convolution's."""
        return self.reduced_params / self.direct_params


def compare_reduction(
    in_channels: int = 128,
    reduced_channels: int = 32,
    out_channels: int = 128,
    kernel_size: int = 3,
    size: int = 28,
    seed: int = 0,
) -> ReductionComparison:
    """Build both paths as real layers (no biases, 'same' padding), count their weights, run an
    image through each, and measure their receptive fields as the gradient footprint of one
    output pixel on the input."""
    pad = kernel_size // 2
    torch.manual_seed(seed)
    direct = nn.Conv2d(in_channels, out_channels, kernel_size, padding=pad, bias=False)
    reduced = nn.Sequential(
        nn.Conv2d(in_channels, reduced_channels, 1, bias=False),
        nn.Conv2d(reduced_channels, out_channels, kernel_size, padding=pad, bias=False),
    )
    x = torch.randn(1, in_channels, size, size)
    with torch.no_grad():
        direct_shape, reduced_shape = tuple(direct(x).shape), tuple(reduced(x).shape)
    small = (in_channels, 2 * kernel_size + 1, 2 * kernel_size + 1)
    fp_direct = gradient_footprint(direct, small, trials=1, seed=seed)
    fp_reduced = gradient_footprint(reduced, small, trials=1, seed=seed)
    return ReductionComparison(
        direct_params=count_parameters(direct),
        reduced_params=count_parameters(reduced),
        direct_shape=direct_shape,
        reduced_shape=reduced_shape,
        direct_receptive_field=(fp_direct.height, fp_direct.width),
        reduced_receptive_field=(fp_reduced.height, fp_reduced.width),
        direct_flops=flops_per_image(direct, (in_channels, size, size)),
        reduced_flops=flops_per_image(reduced, (in_channels, size, size)),
    )


# -- an Inception branch, for the explorer --------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Branch:
    """A reduced branch of one of GoogLeNet's Inception blocks (the paper's Table 1)."""

    label: str
    in_channels: int
    reduced_channels: int
    """The paper's choice of 1x1 width."""
    out_channels: int
    kernel_size: int
    size: int
    """Height and width of the feature map the block works on (224x224 input)."""


def reduction_widths(model: nn.Module) -> list[int]:
    """The output channels of every 1x1 reduction in ``model``'s Inception blocks (the first conv
    of the 3x3 and the 5x5 branch, block by block); empty for naive blocks."""
    return [
        next(m for m in block.branches[i].modules() if isinstance(m, nn.Conv2d)).out_channels
        for block in model.modules()
        if isinstance(block, Inception) and block.reductions
        for i in (1, 2)
    ]


def googlenet_block_inputs() -> dict[str, int]:
    """Input channels of each Inception block of GoogLeNet: 3a gets 192, 3b 256, ..."""
    inputs, c = {}, 192
    for name, (c1, c2, c3, c4) in GOOGLENET_BLOCKS.items():
        inputs[name] = c
        c = c1 + c2[1] + c3[1] + c4
    return inputs


def _googlenet_branches() -> dict[str, Branch]:
    inputs = googlenet_block_inputs()
    sizes = {"3": 28, "4": 14, "5": 7}
    branches = {"source": Branch("the source's example: 128 -> 32 -> 128, 3x3", 128, 32, 128, 3, 28)}
    for name in ("inception3a", "inception4e", "inception5b"):
        _, c2, c3, _ = GOOGLENET_BLOCKS[name]
        block, cin, size = name.removeprefix("inception"), inputs[name], sizes[name[9]]
        branches[f"{block} 3x3"] = Branch(
            f"inception {block}, 3x3 branch: {cin} -> {c2[0]} -> {c2[1]}", cin, c2[0], c2[1], 3, size
        )
        branches[f"{block} 5x5"] = Branch(
            f"inception {block}, 5x5 branch: {cin} -> {c3[0]} -> {c3[1]}", cin, c3[0], c3[1], 5, size
        )
    return branches


GOOGLENET_BRANCHES: dict[str, Branch] = _googlenet_branches()
"""The branches the explorer offers: the source's example and GoogLeNet's 3a, 4e and 5b."""


@dataclasses.dataclass(frozen=True)
class BranchCost:
    """Parameters (weights and biases) and FLOPs per image of one branch."""

    params: int
    flops: int


def branch_cost_formula(
    in_channels: int, reduced_channels: int | None, out_channels: int, kernel_size: int, size: int
) -> BranchCost:
    """The cost by formula; ``reduced_channels=None`` is the kxk convolution without reduction.
    FLOPs count a multiply-add as 2 and only the convolutions' products (as FlopCounterMode)."""
    k2 = kernel_size * kernel_size
    if reduced_channels is None:
        weights, biases = k2 * in_channels * out_channels, out_channels
    else:
        weights = in_channels * reduced_channels + k2 * reduced_channels * out_channels
        biases = reduced_channels + out_channels
    return BranchCost(params=weights + biases, flops=2 * weights * size * size)


def branch_cost(
    in_channels: int, reduced_channels: int | None, out_channels: int, kernel_size: int, size: int
) -> BranchCost:
    """The cost measured on real layers: the branch of the library's ``Inception`` (1x1 conv,
    ReLU, kxk conv, ReLU), or one kxk conv with ReLU for ``reduced_channels=None``. Built on the
    meta device: counted, never computed."""
    pad = kernel_size // 2
    with torch.device("meta"):
        if reduced_channels is None:
            branch = nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size, padding=pad), nn.ReLU())
        elif kernel_size == 3:
            branch = Inception(in_channels, 1, (reduced_channels, out_channels), (1, 1), 1).branches[1]
        else:
            branch = Inception(
                in_channels, 1, (1, 1), (reduced_channels, out_channels), 1, c3_kernel_size=kernel_size
            ).branches[2]
    return BranchCost(
        params=count_parameters(branch), flops=flops_per_image(branch, (in_channels, size, size))
    )


# -- the naive block's growth ---------------------------------------------------------------------

BLOCK_DESIGNS = {
    "1x1 reductions (Figure 2b)": {},
    "naive, pool branch projected": {"reductions": False},
    "naive (Figure 2a)": {"reductions": False, "pool_projection": False},
}
"""Label -> ``SmallGoogLeNet`` arguments: the block with its reductions, the naive block that keeps
the pool branch's 1x1 projection (the same channels), and the paper's naive block exactly."""


@dataclasses.dataclass(frozen=True)
class NetCost:
    """A ``SmallGoogLeNet`` built with one block design: what each Inception block passes on."""

    design: str
    channels: tuple[int, ...]
    """Output channels of each Inception block, in order."""
    weights: int
    flops: int


def naive_growth(width: int = 16, input_size: Sequence[int] = (3, 32, 32)) -> list[NetCost]:
    """``SmallGoogLeNet(width)`` with each of :data:`BLOCK_DESIGNS`, built on the meta device
    (counted, never computed): the channels after every block, the weights and FLOPs per image."""
    costs = []
    for design, kwargs in BLOCK_DESIGNS.items():
        with torch.device("meta"):
            model = build_model("small_googlenet", width=width, in_channels=input_size[0], **kwargs)
        costs.append(
            NetCost(
                design,
                tuple(m.out_channels for m in model.modules() if isinstance(m, Inception)),
                count_parameters(model),
                flops_per_image(model, input_size),
            )
        )
    return costs


# -- the Inception block's shapes -----------------------------------------------------------------


def branch_shapes(block: Inception, x: Tensor) -> tuple[list[tuple[str, tuple[int, ...]]], tuple[int, ...]]:
    """Each branch's output shape and the block's (concatenated) output shape for input ``x``."""
    with torch.no_grad():
        shapes = [
            (name, tuple(branch(x).shape)) for name, branch in zip(BRANCH_NAMES, block.branches, strict=False)
        ]
        out = tuple(block(x).shape)
    return shapes, out


# -- the source's table ---------------------------------------------------------------------------


class _LayerDepth(TorchFunctionMode):
    """Tags every tensor with the number of conv/linear layers on the longest path behind it."""

    WEIGHTED = {F.conv1d, F.conv2d, F.conv3d, F.linear}

    def __init__(self) -> None:
        super().__init__()
        self.depth: dict[int, int] = {}
        self._alive: list[Tensor] = []  # keeps the ids unique while the forward pass runs

    def _collect(self, value, found: list[int]) -> None:
        if isinstance(value, Tensor):
            found.append(self.depth.get(id(value), 0))
        elif isinstance(value, (list, tuple)):
            for v in value:
                self._collect(v, found)
        elif isinstance(value, dict):
            for v in value.values():
                self._collect(v, found)

    def _tag(self, value, depth: int) -> None:
        if isinstance(value, Tensor):
            self.depth[id(value)] = max(self.depth.get(id(value), 0), depth)
            self._alive.append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                self._tag(v, depth)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        found: list[int] = []
        self._collect(args, found)
        self._collect(kwargs, found)
        self._tag(out, max(found, default=0) + (func in self.WEIGHTED))
        return out


def weight_layer_depth(model: nn.Module, input_size: Sequence[int] = (3, 224, 224)) -> int:
    """Layers with parameters (convolutions and linear layers) on the longest path from the input
    to the output, measured by running the model (in eval mode, so auxiliary heads are off).
    Works on the meta device."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), _LayerDepth() as mode:
            out = model(torch.zeros((1, *input_size), device=device))
        return mode.depth.get(id(out), 0)
    finally:
        model.train(was_training)


SOURCE_TABLE = {"AlexNet": (8, 60e6), "VGGNet": (19, 110e6), "GoogLeNet": (22, 4e6)}
"""The source's table: layers and parameters of each ILSVRC winner."""


@dataclasses.dataclass(frozen=True)
class TableRow:
    """One model of the table: the source's figures beside the measured ones."""

    name: str
    model: str
    """How it was built: the course's builder call."""
    layers: int
    params: int
    flops: int
    torchvision_params: int | None
    source_layers: int | None = None
    source_params: float | None = None

    @property
    def params_off_by(self) -> float | None:
        """Relative difference of the measured parameters from the source's figure."""
        if self.source_params is None:
            return None
        return self.params / self.source_params - 1

    @property
    def verdict(self) -> str:
        if self.source_params is None:
            return ""
        words = []
        if self.source_layers is not None and self.layers != self.source_layers:
            words.append(f"layers: {self.layers}, not {self.source_layers}")
        off = self.params_off_by
        if abs(off) > 0.05:
            words.append(
                f"parameters: {self.params / 1e6:.1f}M, not {self.source_params / 1e6:.0f}M ({off:+.0%})"
            )
        return "source is right (within 5%)" if not words else "source is off: " + "; ".join(words)


def _count(build: Callable[[], nn.Module], input_size: Sequence[int]) -> tuple[int, int, int]:
    with torch.device("meta"):
        model = build()
    result = (
        weight_layer_depth(model, input_size),
        count_parameters(model),
        flops_per_image(model, input_size),
    )
    del model
    return result


def architecture_table() -> list[TableRow]:
    """The source's table recomputed: AlexNet, VGG-19 and GoogLeNet built with the course's blocks
    (torchvision's layouts, which the papers' nets are also listed beside), each counted on the
    meta device and set beside torchvision's own model (built with ``weights=None``)."""
    size = (3, 224, 224)
    specs = [
        (
            "AlexNet",
            'build_model("alexnet")',
            lambda: build_model("alexnet"),
            lambda: torchvision_parameters("alexnet"),
            "AlexNet",
        ),
        (
            "AlexNet, the paper's two towers",
            'build_model("alexnet_paper")',
            lambda: build_model("alexnet_paper"),
            None,
            None,
        ),
        (
            "VGG-19",
            'build_model("vgg19")',
            lambda: build_model("vgg19"),
            lambda: torchvision_parameters("vgg19"),
            "VGGNet",
        ),
        (
            "GoogLeNet",
            'build_model("googlenet")',
            lambda: build_model("googlenet"),
            lambda: torchvision_parameters("googlenet", aux_logits=False, init_weights=True),
            "GoogLeNet",
        ),
        (
            "GoogLeNet, the paper's layers",
            'build_model("googlenet_paper")',
            lambda: build_model("googlenet_paper"),
            None,
            None,
        ),
        (
            "GoogLeNet + 2 auxiliary classifiers",
            'build_model("googlenet", aux_logits=True)',
            lambda: build_model("googlenet", aux_logits=True),
            lambda: torchvision_parameters("googlenet", init_weights=True),
            None,
        ),
    ]
    rows = []
    for name, code, build, tv, source in specs:
        layers, params, flops = _count(build, size)
        src_layers, src_params = SOURCE_TABLE[source] if source else (None, None)
        rows.append(
            TableRow(
                name=name,
                model=code,
                layers=layers,
                params=params,
                flops=flops,
                torchvision_params=tv() if tv else None,
                source_layers=src_layers,
                source_params=src_params,
            )
        )
    return rows


def format_table(rows: Sequence[TableRow]) -> str:
    """The rows as a Markdown table (it wraps where a slide or a window is narrow)."""
    header = ("model", "source", "layers", "parameters", "torchvision", "GFLOPs")
    lines = []
    for r in rows:
        source = (
            f"{r.source_layers} layers, {r.source_params / 1e6:.0f}M" if r.source_params is not None else ""
        )
        tv = f"{r.torchvision_params:,}" if r.torchvision_params is not None else ""
        lines.append((r.name, source, str(r.layers), f"{r.params:,}", tv, f"{r.flops / 1e9:.2f}"))

    def fmt(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    return "\n".join([fmt(header), "|---|---|---:|---:|---:|---:|"] + [fmt(x) for x in lines])
