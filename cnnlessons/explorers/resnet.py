"""ResNet's explorer: shortcut type (none / identity / projection) and depth against training
curves. Training runs behind a button and is cached per setting."""
from __future__ import annotations

import time
from typing import Callable, Mapping, Optional

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from ..data import CourseData
from ..experiments.resnet import SHORTCUT_CHOICES, DegradationSetup, run_label, train_resnet
from ..models.resnet import check_cifar_depth
from ..runcache import cache_note
from ..training import History
from .base import Explorer

__all__ = ["ShortcutExplorer"]

_STYLE = {"none": "--", "identity": "-", "projection": ":"}


class ShortcutExplorer(Explorer):
    """Choose the shortcut and the depth of a CIFAR-style ResNet, press *train*, compare curves.

    Every trained setting is kept (``cached`` per ``(shortcut, depth)``) and drawn; the current
    one is drawn bold. ``runs`` preloads finished runs (e.g. the degradation experiment's, keyed
    ``(shortcut, depth)``), so the default setting shows a curve without training again.
    ``train`` (tests) replaces the training function ``(data, depth, shortcut, setup) -> History``.
    """

    figsize = (9.0, 3.6)

    def __init__(self, data: CourseData, setup: DegradationSetup, *,
                 runs: Optional[Mapping[tuple[str, int], History]] = None,
                 shortcut: str = "none", depth: Optional[int] = None,
                 train: Optional[Callable[[CourseData, int, str, DegradationSetup], History]] = None) -> None:
        if shortcut not in SHORTCUT_CHOICES:
            raise ValueError(f"shortcut must be one of {SHORTCUT_CHOICES}, got {shortcut!r}")
        depth = setup.deep if depth is None else depth
        if check_cifar_depth(depth) > setup.max_depth:
            raise ValueError(f"depth must be 6n+2 between 8 and {setup.max_depth}, got {depth}")
        self.data, self.setup = data, setup
        self._train = train or (lambda d, depth, shortcut, s: train_resnet(
            d, depth, shortcut, width=s.width, epochs=s.epochs))
        self.shortcut = widgets.ToggleButtons(options=list(SHORTCUT_CHOICES), value=shortcut,
                                              description="shortcut")
        self.depth = widgets.IntSlider(value=depth, min=8, max=setup.max_depth, step=6,
                                       description="depth")
        self.button = widgets.Button(description="train", button_style="primary",
                                     tooltip="train this setting (kept for the session)")
        super().__init__([self.shortcut, self.depth, self.button],
                         title="ResNet: shortcut and depth against the training error")
        self.button.on_click(self._on_click)
        self.seconds: dict[tuple[str, int], float] = {}
        for key, run in (runs or {}).items():
            self.remember(key, run)

    @property
    def key(self) -> tuple[str, int]:
        return (self.shortcut.value, self.depth.value)

    @property
    def runs(self) -> dict[tuple[str, int], History]:
        """Every setting trained so far."""
        return dict(self.cache)

    def _on_click(self, button: widgets.Button) -> None:
        key = self.key
        if key not in self.cache:
            self.set_status(f"training {run_label(*key)} for {self.setup.epochs} epochs ...")
            start = time.perf_counter()
            self.cached(key, lambda: self._train(self.data, key[1], key[0], self.setup))
            self.seconds[key] = time.perf_counter() - start
        self.set_status("")
        self.update()

    def draw(self, fig) -> str:
        ax = fig.add_subplot(1, 1, 1)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        depths = sorted({d for _, d in self.cache} | {self.depth.value})
        for (shortcut, depth), run in sorted(self.cache.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            bold = (shortcut, depth) == self.key
            ax.plot(run.epoch, run.train_error, ls=_STYLE[shortcut], marker="o", ms=3 if bold else 2,
                    lw=2.6 if bold else 1.0, alpha=1.0 if bold else 0.6,
                    color=colors[depths.index(depth) % len(colors)], label=run_label(shortcut, depth))
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("training error")
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.grid(alpha=0.3)
        if self.cache:
            ax.legend(fontsize=8, ncol=2)
        ax.set_title("dashed: plain, solid: identity shortcut, dotted: projection shortcut",
                     fontsize=9)
        fig.tight_layout()
        label = run_label(*self.key)
        run = self.cache.get(self.key)
        if run is None:
            return f"{label}: not trained yet; press train ({self.setup.epochs} epochs on {self.data.name})"
        if not run.epoch:
            return f"{label}: no epoch finished"
        return (f"{label}: training error {run.train_error[-1]:.1%} after {run.epoch[-1]} epochs "
                f"(validation error {run.val_error[-1]:.1%}), {run.info.get('parameters', 0):,} "
                f"parameters{cache_note(run)}")
