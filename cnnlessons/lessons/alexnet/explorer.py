"""AlexNet's explorer: the activation function and the depth of a plain stack against the
gradient size of each layer at initialisation."""

from __future__ import annotations

import ipywidgets as widgets
from torch import Tensor

from ...explorers.base import Explorer
from ...i18n import _
from ...layers import ACTIVATIONS
from ...plots import plot_gradient_sizes
from .experiments import INITS, gradient_sizes_by_activation

__all__ = ["GradientExplorer"]


class GradientExplorer(Explorer):
    """Pick an activation (ReLU, tanh, sigmoid), a depth and an initialisation; see the size of
    d loss / d weight of every layer of a fresh plain stack on one batch of real images.

    The chosen activation is drawn bold, the other two faint, all from the same weights' scheme.
    """

    figsize = (9.0, 3.6)

    def __init__(
        self,
        images: Tensor,
        labels: Tensor,
        *,
        num_classes: int | None = None,
        activation: str = "relu",
        depth: int = 20,
        init: str = "kaiming",
        width: int = 128,
        max_depth: int = 60,
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if init not in INITS:
            raise ValueError(f"init must be one of {tuple(INITS)}, got {init!r}")
        if not 2 <= depth <= max_depth:
            raise ValueError(f"depth must be between 2 and max_depth={max_depth}, got {depth}")
        self.images, self.labels = images, labels
        self.num_classes = int(labels.max()) + 1 if num_classes is None else num_classes
        self.width = width
        self.activation = widgets.Dropdown(
            options=list(ACTIVATIONS), value=activation, description=_("activation")
        )
        self.depth = widgets.IntSlider(value=depth, min=2, max=max_depth, step=1, description=_("layers"))
        self.init = widgets.Dropdown(
            options=[(name, key) for key, name in INITS.items()], value=init, description=_("init")
        )
        super().__init__(
            [self.activation, self.depth, self.init],
            title=_("AlexNet: activation and depth against the gradient size per layer"),
        )

    def sizes(self, depth: int, init: str) -> dict[str, list[float]]:
        """Gradient sizes of all three activations at this depth and init (cached)."""

        def compute() -> dict[str, list[float]]:
            return {
                a: gradient_sizes_by_activation(
                    self.images,
                    self.labels,
                    depth=depth,
                    width=self.width,
                    activation=a,
                    init=init,
                    num_classes=self.num_classes,
                )
                for a in ACTIVATIONS
            }

        return self.cached(("sizes", depth, init), compute)

    def draw(self, fig) -> str:
        act, depth, init = self.activation.value, self.depth.value, self.init.value
        sizes = self.sizes(depth, init)
        ax = fig.add_subplot(1, 1, 1)
        plot_gradient_sizes(
            sizes,
            ax=ax,
            highlight=act,
            title=_("{depth} layers of width {width}, {init} init").format(
                depth=depth, width=self.width, init=INITS[init]
            ),
        )
        first, last = sizes[act][0], sizes[act][-1]
        ratio = first / last if last > 0 else float("inf")
        return (
            f"{act}, {depth} layers, {INITS[init]} init: |grad| {first:.2e} at layer 1 "
            f"and {last:.2e} at layer {depth}, ratio first/last {ratio:.2e}"
        )
