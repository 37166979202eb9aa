"""torchvision's ImageNet weights for the course's full-size models (``weights=`` of the builders).

``resnet50(weights="DEFAULT")`` (or ``build_model("resnet50", weights="IMAGENET1K_V2")``, or a
torchvision ``Weights`` enum member) builds the course's model and loads torchvision's state
dict into it, strict, through the key renames of :mod:`.torchvision_names`. The file is
downloaded once: into ``$CNNLESSONS_DATA_ROOT/weights`` when that variable is set, else into
torch's hub cache (``$TORCH_HOME/hub/checkpoints``), which torchvision's own builders share.
Without network (and no cached file) the builder raises a RuntimeError that says so.
"""

from __future__ import annotations

import http.client
import os
from collections.abc import Callable
from typing import TypeVar, Union

import torch
from torch import nn

__all__ = [
    "torchvision_weights",
    "check_weights_args",
    "fetch_state_dict",
    "build_with_weights",
    "weights_dir",
]

M = TypeVar("M", bound=nn.Module)

WeightsArg = Union[None, str, "object"]


def torchvision_weights(name: str, weights: WeightsArg):
    """torchvision's Weights enum member for model ``name`` (``None`` for ``weights=None``).

    ``weights`` is ``"DEFAULT"``, an enum name such as ``"IMAGENET1K_V1"`` (``"ResNet50_Weights.
    IMAGENET1K_V1"`` too), or a member of the model's Weights enum.
    """
    if weights is None:
        return None
    from torchvision.models import get_model_weights

    try:
        enum = get_model_weights(name)
    except ValueError:
        raise ValueError(f"weights: torchvision has no weights for a model named {name!r}") from None
    if isinstance(weights, enum):
        return weights
    if isinstance(weights, str):
        text = weights.split(".", 1)[1] if weights.startswith(enum.__name__ + ".") else weights
        if text == "DEFAULT":
            return enum.DEFAULT
        if text in enum.__members__:
            return enum[text]
    names = ", ".join(["DEFAULT", *enum.__members__])
    raise ValueError(
        f"weights for {name} must be None, one of {names} or a {enum.__name__} member, got {weights!r}"
    )


def check_weights_args(name: str, weights, num_classes: int, in_channels: int) -> None:
    """ValueError when ``num_classes`` or ``in_channels`` cannot take torchvision's ``weights``."""
    if weights is None:
        return
    classes = len(weights.meta["categories"])
    if num_classes != classes:
        raise ValueError(
            f"num_classes must be {classes} for {name} with weights={weights}, got {num_classes}"
        )
    if in_channels != 3:
        raise ValueError(f"in_channels must be 3 for {name} with weights={weights}, got {in_channels}")


def weights_dir() -> str | None:
    """Where downloaded weights go: ``$CNNLESSONS_DATA_ROOT/weights`` when set, else ``None``
    (torch's hub cache)."""
    from ..data import DATA_ROOT_VARIABLE, data_root

    if os.environ.get(DATA_ROOT_VARIABLE, "").strip():
        return str(data_root(create=True) / "weights")
    return None


def fetch_state_dict(name: str, weights, progress: bool = True) -> dict:
    """torchvision's state dict for ``weights``, downloaded once (see the module doc); a
    RuntimeError saying that it needs network when the download fails."""
    model_dir = weights_dir()
    try:
        state_dict = weights.get_state_dict(progress=progress, check_hash=True, model_dir=model_dir)
    except (OSError, http.client.HTTPException) as err:
        where = model_dir or "torch's hub cache"
        raise RuntimeError(
            f"cannot load {name}'s torchvision weights {weights}: "
            f"downloading {weights.url} needs network access "
            f"(or the file already in {where}), and it failed with {type(err).__name__}: {err}"
        ) from err
    return state_dict


def build_with_weights(name: str, weights, progress: bool, make: Callable[[], M]) -> M:
    """``make()``, with torchvision's ``weights`` loaded (strict) when they are not None.

    The weights are fetched first, so nothing is built when they cannot be; the model is then
    built on the meta device and given uninitialised memory, since the strict load overwrites
    every parameter and buffer (the random initialisation of VGG's 100M+ weights is skipped).
    """
    if weights is None:
        return make()
    state_dict = fetch_state_dict(name, weights, progress)
    with torch.device("meta"):
        model = make()
    model.to_empty(device="cpu")
    model.load_state_dict(state_dict)
    return model
