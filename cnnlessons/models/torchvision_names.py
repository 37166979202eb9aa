"""torchvision's parameter names for the course's full-size models, in one place.

The course's models name their layers as the lectures do (``features.conv1``,
``layer1.0.residual.conv1``, ``inception3a.branches.0``); torchvision's twins hold the same
tensors under other names (``features.0``, ``layer1.0.conv1``, ``inception3a.branch1``).
Each family below gives the rename from a torchvision key to the course's key, and
:func:`install` (called by each full-size model's constructor, with its family) adds a load-state-dict
pre-hook that applies it. So ``model.load_state_dict(torchvision_state_dict)`` works,
strict, on the course's model, and the course's own state dicts load as before: a key is
renamed only when it is not one of the model's own keys and its rename is.

=========== =============================== ======================================
family      torchvision                     course
=========== =============================== ======================================
AlexNet     ``features.{0,3,6,8,10}``       ``features.conv{1..5}``
            ``classifier.{1,4,6}``          ``classifier.fc{6,7,8}``
VGG         ``features.N`` (Nth layer)      ``features.B.convI`` (block B, conv I)
            ``classifier.{0,3,6}``          ``classifier.fc{1,2,3}``
GoogLeNet   ``conv{1,2,3}``                 ``stem.conv{1,2,3}``
            ``inceptionX.branchI``          ``inceptionX.branches.{I-1}``
ResNet      ``conv1``, ``bn1``              ``stem.conv``, ``stem.bn``
            ``layerS.B.{convI,bnI}``        ``layerS.B.residual.{convI,bnI}``
            ``layerS.B.downsample.{0,1}``   ``layerS.B.shortcut.{conv,bn}``
DenseNet    ``denseblockI.denselayerJ.X``   ``denseblockI.layers.{J-1}.layers.X``
=========== =============================== ======================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from torch import nn

__all__ = ["FAMILIES", "course_key", "from_torchvision", "install"]

#: A rename rule: a pattern on the torchvision key and its replacement (re.sub).
Rule = tuple[str, "str | Callable[[re.Match[str]], str]"]


def _minus_one(template: str) -> Callable[[re.Match[str]], str]:
    """Replacement that writes group 1 minus one (torchvision counts from 1, ModuleList from 0)."""
    return lambda m: template.format(int(m[1]) - 1)


def _alexnet_rules(model: nn.Module) -> list[Rule]:
    # torchvision.models.AlexNet.features:
    # conv ReLU pool | conv ReLU pool | conv ReLU | conv ReLU | conv ReLU pool
    convs = {0: 1, 3: 2, 6: 3, 8: 4, 10: 5}
    fcs = {1: 6, 4: 7, 6: 8}  # classifier: Dropout Linear ReLU Dropout Linear ReLU Linear
    return [
        (r"^features\.(\d+)\.", lambda m: f"features.conv{convs.get(int(m[1]), m[1])}."),
        (r"^classifier\.(\d+)\.", lambda m: f"classifier.fc{fcs.get(int(m[1]), m[1])}."),
    ]


def _vgg_rules(model: nn.Module) -> list[Rule]:
    # torchvision's features is one flat Sequential: (conv, ReLU) per conv, a pool per block.
    flat: dict[int, str] = {}
    index = 0
    config: tuple[tuple[int, int], ...] = model.config  # type: ignore[assignment]  # a VGG's
    for b, (num_convs, _) in enumerate(config):
        for i in range(1, num_convs + 1):
            flat[index] = f"{b}.conv{i}"
            index += 2
        index += 1
    fcs = {0: 1, 3: 2, 6: 3}  # classifier: Linear ReLU Dropout Linear ReLU Dropout Linear
    return [
        (r"^features\.(\d+)\.", lambda m: f"features.{flat.get(int(m[1]), m[1])}."),
        (r"^classifier\.(\d+)\.", lambda m: f"classifier.fc{fcs.get(int(m[1]), m[1])}."),
    ]


def _googlenet_rules(model: nn.Module) -> list[Rule]:
    return [
        (r"^conv([123])\.", r"stem.conv\1."),
        (r"^(inception\d[a-e])\.branch(\d)\.", lambda m: f"{m[1]}.branches.{int(m[2]) - 1}."),
    ]


def _resnet_rules(model: nn.Module) -> list[Rule]:
    return [
        (r"^conv1\.", "stem.conv."),
        (r"^bn1\.", "stem.bn."),
        (r"^(layer\d+\.\d+)\.downsample\.0\.", r"\1.shortcut.conv."),
        (r"^(layer\d+\.\d+)\.downsample\.1\.", r"\1.shortcut.bn."),
        (r"^(layer\d+\.\d+)\.((?:conv|bn)\d)\.", r"\1.residual.\2."),
    ]


def _densenet_rules(model: nn.Module) -> list[Rule]:
    return [(r"\.denselayer(\d+)\.", _minus_one(".layers.{}.layers."))]


FAMILIES: Mapping[str, Callable[[nn.Module], list[Rule]]] = {
    "AlexNet": _alexnet_rules,
    "VGG": _vgg_rules,
    "GoogLeNet": _googlenet_rules,
    "ResNet": _resnet_rules,
    "DenseNet": _densenet_rules,
}
"""The course's full-size families, by name: what :func:`install` accepts."""


def _rules(model: nn.Module) -> list[Rule]:
    # The family is set by install(), called in the family's constructor: this module needs no
    # import of the models (they import it).
    family: str = getattr(model, "_torchvision_family", "")
    if family not in FAMILIES:
        raise TypeError(
            f"model must be one of the course's full-size families ({', '.join(FAMILIES)}), "
            f"got {type(model).__name__}"
        )
    return FAMILIES[family](model)


def course_key(model: nn.Module, key: str) -> str:
    """The course's name for torchvision's state-dict ``key`` (``key`` itself when no rule applies).

    >>> from cnnlessons.models import resnet18
    >>> course_key(resnet18(), "layer1.0.downsample.0.weight")
    'layer1.0.shortcut.conv.weight'
    """
    for pattern, replacement in _rules(model):
        key = re.sub(pattern, replacement, key)
    return key


def from_torchvision(
    model: nn.Module, state_dict: Mapping[str, object], prefix: str = ""
) -> dict[str, object]:
    """``state_dict`` with torchvision's keys under ``prefix`` renamed to ``model``'s.

    A key is renamed only when it is not one of the model's own keys and its rename is, so
    the model's own state dicts come back unchanged and unknown keys stay for ``strict`` to
    report.
    """
    own = set(model.state_dict(keep_vars=True))
    rules = _rules(model)
    out: dict[str, object] = {}
    for key, value in state_dict.items():
        local = key[len(prefix) :] if key.startswith(prefix) else None
        if local is not None and local not in own:
            renamed = local
            for pattern, replacement in rules:
                renamed = re.sub(pattern, replacement, renamed)
            if renamed in own and prefix + renamed not in state_dict:
                key = prefix + renamed
        out[key] = value
    return out


def _rename_hook(module: nn.Module, state_dict: dict, prefix: str, *args) -> None:
    # A load_state_dict pre-hook edits the dict it is given (load_state_dict's own copy).
    renamed = from_torchvision(module, state_dict, prefix)
    if list(renamed) != list(state_dict):
        state_dict.clear()
        state_dict.update(renamed)


def install(model: nn.Module, family: str) -> None:
    """Make ``model.load_state_dict`` accept torchvision's keys (see the module doc); ``family``
    is one of ``FAMILIES``."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")
    model._torchvision_family = family  # type: ignore[assignment]  # a plain attribute, not a submodule
    _rules(model)  # an error now rather than at load time
    model.register_load_state_dict_pre_hook(_rename_hook)  # public since torch 2.5
