"""The course's architectures, built from its own blocks, and a registry by name.

``build_model("resnet20")`` builds a model by name; ``FULL_SIZE`` (224x224 ImageNet models,
parameter-for-parameter torchvision's), ``CIFAR`` (the papers' CIFAR-10 configurations) and
``SMALL`` (course-scale models for 16x16 and 32x32 images) list the names; ``EXPERIMENT_MODELS``
the builders of single lesson experiments. ``INITIALISERS`` names the weight initialisers.
``python -m cnnlessons.models`` prints the model table (docs/models.md).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from .alexnet import PAPER_CHANNELS, AlexNet, Figure1CNN, SmallAlexNet, alexnet
from .converged import WEIGHTS_NAME, load_converged
from .densenet import DenseBlock, DenseLayer, DenseNet, SmallDenseNet, Transition, cifar_densenet, densenet121
from .googlenet import GoogLeNet, Inception, InceptionAux, SmallGoogLeNet, googlenet
from .init import INITIALISERS
from .next import (
    ConvNeXtBlock,
    DepthwiseSeparable,
    ResNeXtBlock,
    SmallConvNeXt,
    SmallMobileNet,
    SmallResNeXt,
    SmallSEResNet,
    SqueezeExcitation,
)
from .resnet import (
    Bottleneck,
    PadShortcut,
    PreActResidualBlock,
    ResidualBlock,
    ResNet,
    SmallResNet,
    resnet18,
    resnet34,
    resnet50,
    resnet152,
)
from .vgg import (
    VGG,
    ConvHead,
    FCHead,
    KernelModel,
    SmallVGG,
    VGGBlock,
    fc_to_conv,
    vgg11,
    vgg13,
    vgg16,
    vgg19,
)

__all__ = [
    # the networks, at full size and at the course's scale
    "AlexNet",
    "SmallAlexNet",
    "Figure1CNN",
    "VGG",
    "SmallVGG",
    "KernelModel",
    "GoogLeNet",
    "SmallGoogLeNet",
    "ResNet",
    "SmallResNet",
    "DenseNet",
    "SmallDenseNet",
    "SmallResNeXt",
    "SmallSEResNet",
    "SmallMobileNet",
    "SmallConvNeXt",
    # their blocks
    "VGGBlock",
    "FCHead",
    "ConvHead",
    "Inception",
    "InceptionAux",
    "ResidualBlock",
    "Bottleneck",
    "PreActResidualBlock",
    "PadShortcut",
    "DenseLayer",
    "DenseBlock",
    "Transition",
    "ResNeXtBlock",
    "SqueezeExcitation",
    "DepthwiseSeparable",
    "ConvNeXtBlock",
    # builders of the papers' configurations
    "alexnet",
    "vgg11",
    "vgg13",
    "vgg16",
    "vgg19",
    "fc_to_conv",
    "googlenet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet152",
    "densenet121",
    "cifar_densenet",
    # the registry
    "MODELS",
    "build_model",
    "FULL_SIZE",
    "PAPER",
    "CIFAR",
    "SMALL",
    "EXPERIMENT_MODELS",
    "INITIALISERS",
]
"""The public surface: networks, blocks, builders and the registry. Helpers stay in their modules
(``from cnnlessons.models.googlenet import reduction_params``, ...)."""

_CIFAR_DEPTHS = (20, 32, 44, 56, 110)


def _registry() -> dict[str, Callable[..., nn.Module]]:
    reg: dict[str, Callable[..., nn.Module]] = {
        "alexnet": alexnet,
        "alexnet_paper": lambda **kw: AlexNet(**{"channels": PAPER_CHANNELS, "groups": 2, "lrn": True, **kw}),
        "vgg11": vgg11,
        "vgg13": vgg13,
        "vgg16": vgg16,
        "vgg19": vgg19,
        "googlenet": googlenet,
        "googlenet_paper": lambda **kw: GoogLeNet(**{"torchvision_compatible": False, **kw}),
        "resnet18": resnet18,
        "resnet34": resnet34,
        "resnet50": resnet50,
        "resnet152": resnet152,
        "densenet121": densenet121,
    }
    for d in _CIFAR_DEPTHS:
        reg[f"resnet{d}"] = lambda d=d, **kw: SmallResNet(**{"depth": d, **kw})
    for d in _CIFAR_DEPTHS:
        reg[f"plain{d}"] = lambda d=d, **kw: SmallResNet(**{"depth": d, "shortcut": "none", **kw})
    reg["cifar_resnet"] = SmallResNet  # the lessons' experiments: any 6n+2 depth, by keyword
    reg["densenet40"] = lambda **kw: cifar_densenet(**{"depth": 40, "growth_rate": 12, **kw})
    reg["densenet_bc100"] = lambda **kw: cifar_densenet(
        **{"depth": 100, "growth_rate": 12, "bottleneck": True, "compression": 0.5, **kw}
    )
    reg.update(
        small_alexnet=SmallAlexNet,
        small_vgg=SmallVGG,
        small_googlenet=SmallGoogLeNet,
        small_resnet=SmallResNet,
        small_densenet=SmallDenseNet,
        small_resnext=SmallResNeXt,
        small_se_resnet=SmallSEResNet,
        small_mobilenet=SmallMobileNet,
        small_convnext=SmallConvNeXt,
    )
    reg.update(figure1_cnn=Figure1CNN, kernel_model=KernelModel)
    return reg


MODELS: dict[str, Callable[..., nn.Module]] = _registry()

#: 224x224 ImageNet models with a torchvision twin of the same name (same parameter count).
FULL_SIZE = (
    "alexnet",
    "vgg11",
    "vgg13",
    "vgg16",
    "vgg19",
    "googlenet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet152",
    "densenet121",
)
#: The papers' own ImageNet configurations where they differ from torchvision's.
PAPER = ("alexnet_paper", "googlenet_paper")
#: The papers' CIFAR-10 configurations (32x32 inputs).
CIFAR = (
    tuple(f"resnet{d}" for d in _CIFAR_DEPTHS)
    + tuple(f"plain{d}" for d in _CIFAR_DEPTHS)
    + (
        "densenet40",
        "densenet_bc100",
    )
)
#: Course-scale models for 16x16 and 32x32 images.
SMALL = (
    "small_alexnet",
    "small_vgg",
    "small_googlenet",
    "small_resnet",
    "small_densenet",
    # lesson 07: what came next
    "small_resnext",
    "small_se_resnet",
    "small_mobilenet",
    "small_convnext",
)
#: Builders of one lesson experiment's models, chosen by their arguments (``cifar_resnet``
#: is ``small_resnet`` at any ``depth``, ``kernel_model`` needs ``kernel_size`` and ``num_layers``);
#: not in the model table.
EXPERIMENT_MODELS = ("cifar_resnet", "figure1_cnn", "kernel_model")
#: The natural input size (C, H, W) of each group.
INPUT_SIZES = {"full": (3, 224, 224), "cifar": (3, 32, 32), "small": (3, 32, 32)}


def build_model(name: str, **kwargs) -> nn.Module:
    """Build a model by name, e.g. ``build_model("resnet20", num_classes=10)``; keyword
    arguments go to the model's constructor. ``weights="cifar10"`` loads the converged CIFAR-10
    checkpoint the course ships for the model (:mod:`.converged`; the lessons' course-scale models
    and ``resnet20``), strictly. The ``FULL_SIZE`` models take ``weights="DEFAULT"`` (or a
    torchvision enum name) for torchvision's ImageNet weights, and load torchvision's state dicts
    as they are (:mod:`.torchvision_names`)."""
    if not isinstance(name, str) or name not in MODELS:
        raise ValueError(f"unknown model name {name!r}; known names: {', '.join(MODELS)}")
    if kwargs.get("weights") == WEIGHTS_NAME:
        kwargs.pop("weights")
        return load_converged(name, MODELS[name], kwargs)
    return MODELS[name](**kwargs)


def _input_size(name: str) -> tuple[int, int, int]:
    return INPUT_SIZES["full"] if name in FULL_SIZE or name in PAPER else INPUT_SIZES["small"]


def torchvision_parameters(name: str, **kwargs) -> int:
    """The parameter count of torchvision's model ``name`` built with ``kwargs`` (on the meta
    device: nothing is allocated), the twin a course model is checked against."""
    import torch
    import torchvision

    with torch.device("meta"):
        model = getattr(torchvision.models, name)(weights=None, **kwargs)
    return sum(p.numel() for p in model.parameters())


def _torchvision_count(name: str) -> int | None:
    if name not in FULL_SIZE:
        return None
    kwargs = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    return torchvision_parameters(name, **kwargs)


def model_table(names: tuple[str, ...] | None = None) -> str:
    """A markdown table: name, parameters, FLOPs per image (FlopCounterMode: multiply-add = 2)
    at the natural input size, and torchvision's parameter count where there is a twin.

    Models are built on the ``meta`` device, so no weights are allocated and no arithmetic
    is done; it takes a few seconds.
    """
    import torch

    from ..measure import count_parameters, flops_per_image

    names = tuple(n for n in MODELS if n not in EXPERIMENT_MODELS) if names is None else names
    rows = [
        "| model | group | parameters | input | MFLOPs per image | torchvision parameters |",
        "|---|---|---:|---|---:|---:|",
    ]
    for name in names:
        group = (
            "full-size"
            if name in FULL_SIZE
            else "paper"
            if name in PAPER
            else "CIFAR"
            if name in CIFAR
            else "small"
        )
        with torch.device("meta"):
            model = build_model(name)
        size = _input_size(name)
        params = count_parameters(model)
        flops = flops_per_image(model, size)
        tv = _torchvision_count(name)
        tv_text = "" if tv is None else (f"{tv:,}" + ("" if tv == params else " (differs)"))
        rows.append(
            f"| {name} | {group} | {params:,} | {size[1]}x{size[2]} | {flops / 1e6:,.1f} | {tv_text} |"
        )
    return "\n".join(rows)
