"""A model's stages, the feature maps of one image at each, and a layer-by-layer shape table.

A *stage* is one of the model's top-level steps, found the same way for every architecture:
the named children of ``model.features`` (AlexNet, VGG, DenseNet) or ``model.blocks``
(the small GoogLeNet) where the model has them, else the model's own top-level children
(ResNet's ``stem``, ``layer1``, ...; GoogLeNet's Inception blocks); of those, the ones that run
and give a 4-D (N, C, H, W) output, in the order the forward pass runs them. A module that only
rescales its input element by element (ReLU, BN, LRN, dropout) joins the stage before it, so
``features.conv1`` is AlexNet's first conv *after* its ReLU. Global pooling and the classifier
are not stages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import torch
from torch import Tensor, nn

from ..measure import check_model, eval_mode, layer_summary, model_device, model_dtype

__all__ = [
    "SHAPE_COLUMNS",
    "Stage",
    "stages",
    "stage_names",
    "feature_maps",
    "plot_feature_maps",
    "shape_table",
]

UNPACKED = ("features", "blocks")
"""Top-level containers whose children are the stages."""
ELEMENTWISE = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.ELU,
    nn.GELU,
    nn.SiLU,
    nn.Tanh,
    nn.Sigmoid,
    nn.BatchNorm2d,
    nn.LocalResponseNorm,
    nn.Dropout,
    nn.Dropout2d,
    nn.Identity,
)
"""Modules that join the stage before them."""
HEADS = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.Flatten, nn.Linear)
POOLS = (nn.MaxPool2d, nn.AvgPool2d)


@dataclasses.dataclass(frozen=True)
class Stage:
    """One stage: its name (the module path of its first module), the modules it runs and the
    shape (C, H, W) of its output for the probe image."""

    name: str
    modules: tuple[nn.Module, ...]
    shape: tuple[int, ...]

    @property
    def output_module(self) -> nn.Module:
        """The module whose output is the stage's output (the last one)."""
        return self.modules[-1]


def _elementwise(module: nn.Module) -> bool:
    """An elementwise module, or a Sequential of them only (the pre-activation ResNet's final BN-ReLU)."""
    if isinstance(module, nn.Sequential) and len(module) > 0:
        return all(_elementwise(m) for m in module)
    return isinstance(module, ELEMENTWISE)


def _candidates(model: nn.Module) -> list[tuple[str, nn.Module]]:
    found: list[tuple[str, nn.Module]] = []
    for name, child in model.named_children():
        if name in UNPACKED and isinstance(child, nn.Sequential) and len(child) > 1:
            found.extend((f"{name}.{n}", c) for n, c in child.named_children())
        else:
            found.append((name, child))
    return found


def as_batch(images: Tensor, model: nn.Module, name: str = "images") -> Tensor:
    """``images`` (N, C, H, W) or one image (C, H, W) as a batch on the model's device and dtype."""
    if not isinstance(images, Tensor):
        raise TypeError(f"{name} must be a tensor, got {type(images).__name__}")
    if not images.is_floating_point():
        raise TypeError(
            f"{name} must be a float tensor, normalised as for training "
            f"(e.g. data.batch('test', 8)[0]), got dtype {images.dtype}"
        )
    if images.dim() == 3:
        images = images.unsqueeze(0)
    if images.dim() != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W) or (C, H, W), got {tuple(images.shape)}")
    return images.to(device=model_device(model), dtype=model_dtype(model))


def _probe(model: nn.Module, image_size: Sequence[int] | None) -> Tensor:
    if image_size is None:
        image_size = (int(getattr(model, "in_channels", 3)), 32, 32)
    size = tuple(image_size)
    if len(size) != 3 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in size):
        raise ValueError(f"input_size must be (C, H, W) of positive ints, got {image_size!r}")
    return torch.zeros((1, *size), device=model_device(model), dtype=model_dtype(model))


def _run(model: nn.Module, x: Tensor) -> tuple[list[Stage], dict[str, Tensor]]:
    """One forward pass in eval mode; the stages and each stage's output (detached copies)."""
    calls: list[tuple[str, nn.Module, Tensor | None]] = []
    seen: set[int] = set()

    def hook(name: str):
        def record(module: nn.Module, args, output) -> None:
            if id(module) in seen:
                return
            seen.add(id(module))
            four_d = isinstance(output, Tensor) and output.dim() == 4
            # a copy: a later in-place ReLU would change the tensor itself
            calls.append((name, module, output.detach().clone() if four_d else None))

        return record

    handles = [m.register_forward_hook(hook(n)) for n, m in _candidates(model)]
    try:
        with eval_mode(model), torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    found: list[Stage] = []
    outputs: dict[str, Tensor] = {}
    for name, module, out in calls:
        if out is None or isinstance(module, HEADS):
            continue
        if _elementwise(module) and found:
            last = found[-1]
            found[-1] = Stage(last.name, last.modules + (module,), tuple(out.shape[1:]))
            outputs[last.name] = out
            continue
        found.append(Stage(name, (module,), tuple(out.shape[1:])))
        outputs[name] = out
    if not found:
        raise ValueError(f"model {type(model).__name__} has no stage with a 4-D (N, C, H, W) output")
    return found, outputs


def stages(model: nn.Module, input_size: Sequence[int] | None = None) -> list[Stage]:
    """The model's stages (see the module doc) for an image of ``input_size`` (C, H, W);
    default: the model's ``in_channels`` at 32x32."""
    check_model(model)
    return _run(model, _probe(model, input_size))[0]


def stage_names(model: nn.Module, input_size: Sequence[int] | None = None) -> list[str]:
    """The names of :func:`stages`, e.g. ``['stem', 'layer1', 'layer2', 'layer3']``."""
    return [s.name for s in stages(model, input_size)]


def _check_stage_names(wanted: Sequence[str] | None, known: Sequence[str]) -> list[str]:
    if wanted is None:
        return list(known)
    if isinstance(wanted, str):
        wanted = [wanted]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ValueError(f"stages must be among {', '.join(known)}, got {unknown}")
    return list(wanted)


def feature_maps(model: nn.Module, image: Tensor, stages: Sequence[str] | None = None) -> dict[str, Tensor]:
    """``{stage name: its output (C, H, W)}`` for one normalised image (C, H, W), in forward
    order; ``stages`` keeps only the named ones. Runs in eval mode, on the model's device;
    the maps come back on the CPU."""
    check_model(model)
    x = as_batch(image, model, "image")
    if x.shape[0] != 1:
        raise ValueError(f"image must be one image (C, H, W), got a batch of {x.shape[0]}")
    found, outputs = _run(model, x)
    names = _check_stage_names(stages, [s.name for s in found])
    return {name: outputs[name][0].float().cpu() for name in names}


def plot_feature_maps(
    maps: Mapping[str, Tensor], channels: int = 6, image: Tensor | None = None, title: str | None = None
):
    """One row per stage: its ``channels`` most active channels (highest mean), each with its
    own colour scale; ``image`` (C, H, W), if given, is drawn in a first row. Returns the figure."""
    if not isinstance(maps, Mapping) or not maps:
        raise ValueError("maps must be a non-empty {stage: (C, H, W) tensor} mapping, as feature_maps gives")
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"channels must be an int >= 1, got {channels!r}")
    for name, m in maps.items():
        if not isinstance(m, Tensor) or m.dim() != 3:
            raise ValueError(f"maps[{name!r}] must be a (C, H, W) tensor, got {getattr(m, 'shape', type(m))}")
    cols = min(channels, max(m.shape[0] for m in maps.values()))
    rows = len(maps) + (image is not None)
    fig, axes = plt.subplots(rows, cols, figsize=(1.35 * cols + 1.2, 1.35 * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)
    r = 0
    if image is not None:
        axes[0, 0].imshow(**display_image(image))
        axes[0, 0].set_ylabel("input", fontsize=8)
        r = 1
    for name, m in maps.items():
        order = m.float().mean(dim=(1, 2)).argsort(descending=True)[:cols]
        for j, c in enumerate(order.tolist()):
            ax = axes[r, j]
            ax.set_frame_on(True)
            ax.imshow(m[c].numpy(), cmap="viridis")
            ax.set_title(f"ch {c}", fontsize=7)
        c_, h, w = m.shape
        axes[r, 0].set_ylabel(f"{name}\n{c_}x{h}x{w}", fontsize=8)
        r += 1
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def display_image(image: Tensor) -> dict:
    """``imshow`` arguments for one image (C, H, W): uint8 as it is, a float (normalised) image
    min-max scaled; one channel in grey."""
    if not isinstance(image, Tensor) or image.dim() != 3 or image.shape[0] not in (1, 3):
        raise ValueError(f"image must be a (1 or 3, H, W) tensor, got {getattr(image, 'shape', type(image))}")
    x = image.detach().float().cpu()
    if image.dtype == torch.uint8:
        x = x / 255
    else:
        x = (x - x.min()) / (x.max() - x.min()).clamp_min(1e-12)
    if x.shape[0] == 1:
        return {"X": x[0].numpy(), "cmap": "gray", "vmin": 0.0, "vmax": 1.0}
    return {"X": x.permute(1, 2, 0).numpy()}


SHAPE_COLUMNS: dict[str, Any] = {
    "depth": 2,
    "col_names": ("output_size", "num_params"),
    "row_settings": ("var_names",),
}
"""``measure.layer_summary``'s arguments for ``shape_table``: each layer's name, output shape and
parameters, two levels deep."""


def shape_table(model: nn.Module, input_size: Sequence[int] = (3, 32, 32), depth: int = 2):
    """The layer-by-layer table of output shapes and parameters for one image of ``input_size``
    (C, H, W): ``measure.layer_summary`` (torchinfo) with each layer's name; print it, or end a
    cell with it."""
    return layer_summary(model, input_size, **{**SHAPE_COLUMNS, "depth": depth})
