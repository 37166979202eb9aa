"""VGG's explorer: kernel size and number of layers against receptive field and parameters,
and a button that trains the kxk stack against the 3x3 stack with the same receptive field."""

from __future__ import annotations

import ipywidgets as widgets
from matplotlib.ticker import MaxNLocator

from ...data import CourseData
from ...explorers.base import Explorer
from ...i18n import _
from ...measure import stacked_receptive_field
from ...profiles import Profile
from ...runs.runcache import cache_note
from .experiments import equivalent_3x3_layers, kernel_label, kernel_runs

__all__ = ["KernelExplorer"]


def _weights(kernel_size: int, num_layers: int, channels: int) -> int:
    return num_layers * kernel_size * kernel_size * channels * channels


class KernelExplorer(Explorer):
    """Sliders: kernel size k and number of layers L of a stride-1 stack of kxk convolutions
    (C channels in and out, no biases). The plot shows the receptive field against depth for
    k and for 3x3, and the weights of L kxk layers, of the 3x3 stack with the same receptive
    field and of one layer that sees it all at once. The button trains the kxk stack against
    the 3x3 stack (cached per setting) and adds both validation curves.
    """

    figsize = (11.0, 3.6)

    def __init__(
        self,
        data: CourseData | None = None,
        *,
        kernel_size: int = 7,
        num_layers: int = 1,
        channels: int = 64,
        epochs: int | None = None,
        width: int = 16,
        profile: Profile | str | None = None,
        max_layers: int = 4,
    ) -> None:
        if kernel_size % 2 == 0 or not 3 <= kernel_size <= 11:
            raise ValueError(f"kernel_size must be odd, from 3 to 11, got {kernel_size}")
        if not 1 <= num_layers <= max_layers:
            raise ValueError(f"num_layers must be between 1 and max_layers={max_layers}, got {num_layers}")
        self.data, self.channels, self.epochs, self.width = data, channels, epochs, width
        self.profile = profile
        self.kernel_size = widgets.IntSlider(
            value=kernel_size, min=3, max=11, step=2, description=_("kernel k")
        )
        self.num_layers = widgets.IntSlider(
            value=num_layers, min=1, max=max_layers, step=1, description=_("layers L")
        )
        self.button = widgets.Button(
            description=_("train both"),
            icon="play",
            tooltip=_(
                "train the kxk stack and the 3x3 stack of the same receptive field (cached per setting)"
            ),
        )
        self.button.on_click(self._on_click)
        if data is None:
            self.button.disabled = True
        super().__init__(
            [self.kernel_size, self.num_layers, self.button],
            title=_("VGG: kernel size and depth against receptive field and parameters"),
        )

    # -- training -------------------------------------------------------------------------
    def key(self) -> tuple[int, int]:
        return (self.kernel_size.value, self.num_layers.value)

    def trained(self):
        """The cached runs of the current setting, or None."""
        return self.cache.get(("runs", *self.key()))

    def train(self) -> dict:
        """Train both stacks of the current setting (once per setting) and redraw."""
        if self.data is None:
            raise ValueError("this explorer was built without data: pass data=load_data(profile)")
        k, n = self.key()
        if k == 3:
            self.set_status(_("with k = 3 both stacks are the same: choose k >= 5 to compare"))
            return {}
        self.set_status(
            _("training {stack} against {other} ...").format(
                stack=kernel_label(k, n), other=kernel_label(3, equivalent_3x3_layers(k, n))
            )
        )
        runs = self.cached(
            ("runs", k, n),
            lambda: kernel_runs(
                self.data, self.profile, kernel_size=k, num_layers=n, epochs=self.epochs, width=self.width
            ),
        )
        self.set_status(
            _("trained: {runs}").format(
                runs=", ".join(
                    _("{label} {accuracy:.1%} val acc").format(label=label, accuracy=h.val_acc[-1])
                    for label, h in runs.items()
                )
            )
        )
        self.update()
        return runs

    def _on_click(self, button: widgets.Button) -> None:
        self.attempt(self.train)

    # -- drawing --------------------------------------------------------------------------
    def draw(self, fig) -> str:
        k, n = self.key()
        c = self.channels
        field = stacked_receptive_field(n, k)
        n3 = equivalent_3x3_layers(k, n)
        runs = self.trained()
        panels = 3 if runs else 2

        ax = fig.add_subplot(1, panels, 1)
        depths = list(range(1, max(self.num_layers.max, n3) + 1))
        ax.plot(depths, [stacked_receptive_field(d, k) for d in depths], "o-", ms=3, label=f"{k}x{k}")
        ax.plot(depths, [stacked_receptive_field(d, 3) for d in depths], "s-", ms=3, label="3x3")
        ax.plot([n], [field], "o", color="black", ms=8, fillstyle="none")
        ax.plot([n3], [field], "s", color="black", ms=8, fillstyle="none")
        ax.axhline(field, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("layers")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("receptive field (pixels)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)

        ax = fig.add_subplot(1, panels, 2)
        bars: dict[str, int] = {}
        colors = []
        for (kk, nn_), color in (((k, n), "tab:blue"), ((3, n3), "tab:orange"), ((field, 1), "tab:grey")):
            if kernel_label(kk, nn_) not in bars:  # with k = 3 or L = 1 some coincide
                bars[kernel_label(kk, nn_)] = _weights(kk, nn_, c)
                colors.append(color)
        rects = ax.bar(list(bars), list(bars.values()), color=colors)
        for rect, v in zip(rects, bars.values(), strict=False):
            ax.annotate(
                f"{v // (c * c)}C²",
                (rect.get_x() + rect.get_width() / 2, v),
                ha="center",
                va="bottom",
                fontsize=8,
            )
        ax.set_ylabel(f"weights (C = {c})")
        ax.set_title(f"receptive field {field}x{field}", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)

        if runs:
            ax = fig.add_subplot(1, panels, 3)
            for label, h in runs.items():
                ax.plot(
                    h.epoch, h.val_acc, "o-", ms=3, label=f"{label} ({h.info.get('conv_weights', 0):,} w)"
                )
            ax.set_xlabel("epoch")
            ax.set_ylabel("validation accuracy")
            ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.1%}")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        fig.tight_layout()

        mine, stack = _weights(k, n, c), _weights(3, n3, c)
        if k == 3:
            one = _weights(field, 1, c)
            text = (
                f"{kernel_label(3, n)} sees {field}x{field} pixels with {n * 9}C² = {mine:,} "
                f"weights (C = {c}); one {field}x{field} layer would need {field * field}C² = "
                f"{one:,} ({one / mine:.0%}) and 1 ReLU instead of {n}"
            )
            return text
        text = (
            f"{kernel_label(k, n)} sees {field}x{field} pixels with {n * k * k}C² = {mine:,} "
            f"weights (C = {c}); {kernel_label(3, n3)} sees the same with {n3 * 9}C² = "
            f"{stack:,} ({stack / mine:.0%}) and {n3} ReLUs instead of {n}"
        )
        if runs:
            text += "; trained: " + ", ".join(f"{label} {h.val_acc[-1]:.1%}" for label, h in runs.items())
            text += cache_note(runs)
        return text
