"""Weight initialisers used by the lessons' experiments."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

__all__ = ["INITIALISERS", "he_init", "glorot_init"]


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


def glorot_init(model: nn.Module) -> nn.Module:
    """Glorot (Xavier) normal weights and zero biases in every conv and linear layer but the last:
    the scale made for tanh (variance 2 / (fan-in + fan-out)), as He's is made for ReLU."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    for m in layers[:-1]:
        nn.init.xavier_normal_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    return model


#: Initialisers by name (``Recipe.init``): each takes a built model and returns it.
INITIALISERS: dict[str, Callable[[nn.Module], nn.Module]] = {"he": he_init, "glorot": glorot_init}
