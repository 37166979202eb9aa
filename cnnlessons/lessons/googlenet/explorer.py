"""GoogLeNet's explorer: how wide the 1x1 reduction of an Inception branch is, against the
branch's parameters and FLOPs."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ...explorers.base import Explorer
from ...i18n import _
from .experiments import GOOGLENET_BRANCHES, Branch, branch_cost, branch_cost_formula

__all__ = ["ReductionExplorer"]


class ReductionExplorer(Explorer):
    """Pick an Inception branch and the width of its 1x1 reduction; see what the branch costs.

    The curves come from the formula, the marked point from real layers (the library's
    ``Inception`` branch, counted on the meta device); the readout compares it with the same
    kxk convolution applied without a reduction.
    """

    figsize = (9.5, 3.4)

    def __init__(self, branch: str = "3a 3x3", reduced_channels: int | None = None) -> None:
        if branch not in GOOGLENET_BRANCHES:
            raise ValueError(f"branch must be one of {', '.join(GOOGLENET_BRANCHES)}, got {branch!r}")
        b = GOOGLENET_BRANCHES[branch]
        value = b.reduced_channels if reduced_channels is None else reduced_channels
        if not 1 <= value <= b.in_channels:
            raise ValueError(f"reduced_channels must be between 1 and {b.in_channels}, got {value}")
        self.branch = widgets.Dropdown(
            options=[(x.label, key) for key, x in GOOGLENET_BRANCHES.items()],
            value=branch,
            description=_("branch"),
            layout=widgets.Layout(width="390px"),
        )
        self.width = widgets.IntSlider(
            value=value, min=1, max=b.in_channels, step=1, description=_("1x1 width")
        )
        self._switching = False
        super().__init__(
            [self.branch, self.width],
            title=_("GoogLeNet: the width of the 1x1 reduction against parameters and FLOPs"),
        )
        # a new branch resets the slider to that branch's range and the paper's width (one redraw)
        self.branch.unobserve(self._on_change, names="value")
        self.branch.observe(self._on_branch, names="value")

    @property
    def current(self) -> Branch:
        return GOOGLENET_BRANCHES[self.branch.value]

    def _on_branch(self, change: dict) -> None:
        b = self.current
        self._switching = True
        try:
            self.width.max = b.in_channels  # may clamp the value: no redraw while switching
            self.width.value = b.reduced_channels
        finally:
            self._switching = False
        self.update()

    def _on_change(self, change: dict) -> None:
        if not self._switching:
            self.update()

    def draw(self, fig) -> str:
        b, r = self.current, self.width.value
        measured = branch_cost(b.in_channels, r, b.out_channels, b.kernel_size, b.size)
        direct = branch_cost(b.in_channels, None, b.out_channels, b.kernel_size, b.size)
        widths = np.arange(1, b.in_channels + 1)
        curve = [
            branch_cost_formula(b.in_channels, int(w), b.out_channels, b.kernel_size, b.size) for w in widths
        ]
        k = f"{b.kernel_size}x{b.kernel_size}"
        panels = [
            ("parameters", [c.params for c in curve], measured.params, direct.params, 1e3, "thousand"),
            ("FLOPs per image", [c.flops for c in curve], measured.flops, direct.flops, 1e6, "million"),
        ]
        for i, (name, ys, point, flat, unit, unit_name) in enumerate(panels):
            ax = fig.add_subplot(1, 2, i + 1)
            ax.plot(widths, np.array(ys) / unit, color="tab:blue", label=f"1x1 -> width, then {k}")
            ax.axhline(flat / unit, color="tab:red", ls="--", label=f"{k} without reduction")
            ax.plot([r], [point / unit], "o", color="black", ms=7, label=f"width {r}")
            ax.axvline(b.reduced_channels, color="grey", lw=0.8, ls=":")
            ax.set_xlabel(f"width of the 1x1 reduction (paper: {b.reduced_channels})")
            ax.set_ylabel(f"{name} ({unit_name})")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7, loc="lower right")
        fig.suptitle(f"{b.label}, on {b.size}x{b.size} maps", fontsize=10)
        fig.tight_layout()
        return (
            f"1x1 to {r} channels, then {k} to {b.out_channels}: {measured.params:,} parameters "
            f"and {measured.flops / 1e6:,.1f} MFLOPs per image, against {direct.params:,} and "
            f"{direct.flops / 1e6:,.1f} MFLOPs for the {k} alone "
            f"({measured.params / direct.params:.0%} of its parameters)"
        )
