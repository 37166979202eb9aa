"""The DenseNet explorer: growth rate and layers per block against channels, parameters and FLOPs."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import torch
from matplotlib.ticker import MaxNLocator

from ...data import CourseData
from ...explorers.base import Explorer
from ...history import History
from ...i18n import _
from ...measure import count_parameters, flops_per_image
from ...models.densenet import SmallDenseNet
from ...runs.runcache import cache_note
from . import recipes
from .experiments import LayerCost, dense_layer_costs
from .recipes import growth_rate_label, growth_rate_run

__all__ = ["GrowthRateExplorer"]


class GrowthRateExplorer(Explorer):
    """A three-block course-scale DenseNet (``SmallDenseNet``): pick the growth rate k, the layers
    per block L and the layer type; the plots show the channels after every dense layer, the
    parameters and FLOPs of every dense layer, and the validation error of each setting trained so
    far. The button trains the chosen DenseNet on ``data`` (once per setting) and adds its curve.

    ``input_size`` (C, H, W) is the image size the figures are measured at (default: the data's);
    the trained network always takes the data's channels.
    """

    figsize = (14.0, 3.7)

    def __init__(
        self,
        data: CourseData | None = None,
        *,
        growth_rate: int = 12,
        num_layers: int = 4,
        bottleneck: bool = False,
        input_size: Sequence[int] | None = None,
        epochs: int | None = None,
        seed: int = 0,
    ) -> None:
        if input_size is None:
            input_size = data.input_size if data is not None else (3, 32, 32)
        self.data = data
        self.input_size = tuple(input_size)
        self.num_classes = data.num_classes if data is not None else 10
        self.epochs, self.seed = epochs, seed
        style = {"description_width": "initial"}
        self.growth_rate = widgets.IntSlider(
            value=growth_rate, min=4, max=48, step=4, description=_("growth rate k"), style=style
        )
        self.num_layers = widgets.IntSlider(
            value=num_layers, min=1, max=16, step=1, description=_("layers per block L"), style=style
        )
        self.bottleneck = widgets.ToggleButtons(
            options=[("BN-ReLU-3x3", False), (_("bottleneck (BC)"), True)],
            value=bool(bottleneck),
            description=_("layer"),
            style=style,
        )
        self.train_button = widgets.Button(
            description=_("train this DenseNet"),
            icon="play",
            disabled=data is None,
            tooltip=_("train the chosen DenseNet on the lesson's data"),
        )
        self.runs: dict[tuple[int, int, bool], History] = {}
        """The settings trained so far (k, L, bottleneck) -> History."""
        super().__init__(
            [self.growth_rate, self.num_layers, self.bottleneck, self.train_button],
            title=_("DenseNet: growth rate and depth"),
        )
        self.train_button.on_click(self._on_train)
        if data is None:
            self.set_status(_("(no data given: the train button is off)"))

    # -- the current setting ---------------------------------------------------------------------
    @property
    def setting(self) -> tuple[int, int, bool]:
        return (int(self.growth_rate.value), int(self.num_layers.value), bool(self.bottleneck.value))

    def build(
        self, device: str | torch.device | None = None, in_channels: int | None = None
    ) -> SmallDenseNet:
        """The DenseNet of the current setting (on ``device``; ``"meta"`` allocates nothing), for
        ``in_channels`` input channels (default: those of ``input_size``)."""
        k, layers, bc = self.setting
        in_channels = self.input_size[0] if in_channels is None else in_channels
        with torch.device(device or "cpu"):
            return SmallDenseNet(
                num_classes=self.num_classes,
                in_channels=in_channels,
                growth_rate=k,
                block_config=(layers,) * 3,
                bottleneck=bc,
            )

    @staticmethod
    def label(setting: tuple[int, int, bool]) -> str:
        return growth_rate_label(*setting)

    # -- drawing ---------------------------------------------------------------------------------
    def draw(self, fig) -> str:
        k, layers, bc = self.setting
        model = self.build("meta")
        costs = dense_layer_costs(model, self.input_size)
        params, flops = count_parameters(model), flops_per_image(model, self.input_size)
        axes = fig.subplots(1, 4)
        self._draw_channels(axes[0], costs)
        index = [c.index for c in costs]
        axes[1].bar(index, [c.params for c in costs], color="tab:blue")
        axes[2].bar(index, [c.flops / 1e6 for c in costs], color="tab:orange")
        self._draw_runs(axes[3])
        titles = (
            "channels after each dense layer",
            "parameters of each dense layer",
            f"MFLOPs of each dense layer ({self.input_size[1]}x{self.input_size[2]})",
        )
        for ax, title in zip(axes[:3], titles, strict=False):
            ax.set_title(title, fontsize=9)
            ax.set_xlabel("dense layer (blocks of L)")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
        fig.tight_layout()
        block1 = [c for c in costs if c.block == 1]
        c0, end = block1[0].in_channels, block1[-1].out_channels
        growth = block1[-1].params / block1[0].params
        text = (
            f"k = {k}, L = {layers}{' (bottleneck layers)' if bc else ''}: block 1 grows from "
            f"{c0} (the stem's 2k) to {end} channels = {c0} + {layers}·{k}, +{k} per layer (linear); "
            f"its last layer has {growth:.1f}x the parameters of its first. The whole network: "
            f"{params:,} parameters, {flops / 1e6:,.1f} MFLOPs per image."
        )
        run = self.runs.get(self.setting)
        if run is not None:
            text += f" Trained: {run}{cache_note(run)}."
        return text

    def _draw_channels(self, ax, costs: list[LayerCost]) -> None:
        for b in sorted({c.block for c in costs}):
            block = [c for c in costs if c.block == b]
            x = [block[0].index - 1] + [c.index for c in block]
            y = [block[0].in_channels] + [c.out_channels for c in block]
            ax.plot(x, y, marker="o", ms=3, color="tab:green", label="dense block" if b == 1 else None)
        starts = [c for c in costs if c.layer == 1 and c.block > 1]
        if starts:
            ax.scatter(
                [c.index - 1 for c in starts],
                [c.in_channels for c in starts],
                marker="v",
                color="tab:red",
                zorder=3,
                label="after a transition (x0.5)",
            )
        ax.set_ylabel("channels")
        ax.legend(fontsize=7)

    def _draw_runs(self, ax) -> None:
        if not self.runs:
            ax.text(
                0.5,
                0.5,
                "press 'train this DenseNet'\nto add its curve here",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=9,
                color="gray",
            )
        for setting, run in self.runs.items():
            current = setting == self.setting
            ax.plot(
                run.epoch,
                run.val_error,
                marker="o",
                ms=3,
                lw=2.2 if current else 1.0,
                label=f"{self.label(setting)}: {count_label(run)}",
            )
        ax.set_title("validation error of the trained settings", fontsize=9)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(_percent())
        ax.grid(alpha=0.3)
        if self.runs:
            ax.legend(fontsize=7)

    # -- training --------------------------------------------------------------------------------
    def train(self) -> History:
        """Train the current setting (cached per setting) and redraw; what the button does."""
        if self.data is None:
            raise ValueError("data must be given to the explorer to train, got None")
        setting = self.setting
        name = self.label(setting)

        def run() -> History:
            self.set_status(_("training {name} …").format(name=name))
            recipe = recipes.DENSENET_VS_RESNET  # trained as the lesson's DenseNet-BC is
            return recipe.fit_run(
                growth_rate_run(*setting),
                self.data,
                epochs=self.epochs,
                seed=self.seed,
                show=lambda h: self.set_status(
                    _("training {name}: epoch {epoch}, val acc {accuracy:.1%}").format(
                        name=name, epoch=h.epoch[-1], accuracy=h.val_acc[-1]
                    )
                ),
            )[1]

        history = self.cached(setting, run)
        if history.interrupted:
            self.set_status(_("{run}: not kept; press the button to train it again").format(run=history))
            return history
        self.runs[setting] = history
        self.set_status(f"{history}")
        self.update()
        return history

    def _on_train(self, button) -> None:
        button.disabled = True
        try:
            self.attempt(self.train)
        finally:
            button.disabled = self.data is None


def count_label(run: History) -> str:
    return f"{run.info.get('parameters', 0):,} params"


def _percent():
    import matplotlib.pyplot as plt

    return plt.FuncFormatter(lambda v, _pos: f"{v:.0%}")
