"""ResNet's explorer: shortcut type (none / identity / projection), block (original /
pre-activation) and depth against training curves. Training runs behind a button and is cached
per setting."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from ...data import CourseData
from ...explorers.base import Explorer
from ...history import History
from ...i18n import _
from ...models.resnet import check_cifar_depth
from ...runs.recipes import Run
from ...runs.runcache import cache_note
from . import recipes
from .experiments import SHORTCUT_CHOICES, DegradationSetup, run_label, train_resnet

__all__ = ["ShortcutExplorer"]

_STYLE = {"none": "--", "identity": "-", "projection": ":"}
BLOCK_CHOICES = (("original", "basic"), ("pre-activation", "preact"))
"""The block: He et al. 2015's, or the pre-activation block of He et al. 2016."""


def _label(key: tuple) -> str:
    """``run_label`` of ``(shortcut, depth)``; `` (pre-activation)`` added for
    ``(shortcut, depth, "preact")``."""
    return run_label(*key[:2]) + (" (pre-activation)" if len(key) > 2 else "")


def _train_default(
    data: CourseData, depth: int, shortcut: str, setup: DegradationSetup, block: str = "basic"
) -> History:
    if block == "basic":
        return train_resnet(data, depth, shortcut, width=setup.width, epochs=setup.epochs)
    run = Run(
        _label((shortcut, depth, block)),
        "cifar_resnet",
        {"depth": depth, "shortcut": shortcut, "width": setup.width, "block": block},
    )
    return recipes.DEGRADATION.fit_run(run, data, epochs=setup.epochs)[1]


class ShortcutExplorer(Explorer):
    """Choose the shortcut and the depth of a CIFAR-style ResNet, press *train*, compare curves.

    Every trained setting is kept (``cached`` per ``(shortcut, depth)``, or ``(shortcut, depth,
    "preact")`` for the pre-activation block) and drawn; the current one is drawn bold. ``runs``
    preloads finished runs under those keys (e.g. the degradation experiment's), so the default
    setting shows a curve without training again. ``train`` (tests) replaces the training
    function ``(data, depth, shortcut, setup) -> History``; for the pre-activation block it is
    also given ``block="preact"``.
    """

    figsize = (9.0, 3.6)

    def __init__(
        self,
        data: CourseData,
        setup: DegradationSetup,
        *,
        runs: Mapping[tuple[str, int], History] | None = None,
        shortcut: str = "none",
        depth: int | None = None,
        block: str = "basic",
        train: Callable[..., History] | None = None,
    ) -> None:
        if shortcut not in SHORTCUT_CHOICES:
            raise ValueError(f"shortcut must be one of {SHORTCUT_CHOICES}, got {shortcut!r}")
        if block not in dict(BLOCK_CHOICES).values():
            raise ValueError(f'block must be "basic" (original) or "preact" (pre-activation), got {block!r}')
        depth = setup.deep if depth is None else depth
        if check_cifar_depth(depth) > setup.max_depth:
            raise ValueError(f"depth must be 6n+2 between 8 and {setup.max_depth}, got {depth}")
        self.data, self.setup = data, setup
        self._train = train or _train_default
        self.shortcut = widgets.ToggleButtons(
            options=list(SHORTCUT_CHOICES), value=shortcut, description=_("shortcut")
        )
        self.depth = widgets.IntSlider(
            value=depth, min=8, max=setup.max_depth, step=6, description=_("depth")
        )
        self.block = widgets.ToggleButtons(options=list(BLOCK_CHOICES), value=block, description=_("block"))
        self.button = widgets.Button(
            description=_("train"),
            button_style="primary",
            tooltip=_("train this setting (kept for the session)"),
        )
        super().__init__(
            [self.shortcut, self.block, self.depth, self.button],
            title=_("ResNet: shortcut and depth against the training error"),
        )
        self.button.on_click(self._on_click)
        self.seconds: dict[tuple[str, int], float] = {}
        for key, run in (runs or {}).items():
            self.remember(key, run)

    @property
    def key(self) -> tuple:
        """``(shortcut, depth)``, or ``(shortcut, depth, "preact")`` for the pre-activation block."""
        key = (self.shortcut.value, self.depth.value)
        return key if self.block.value == "basic" else key + (self.block.value,)

    @property
    def runs(self) -> dict[tuple[str, int], History]:
        """Every setting trained so far."""
        return dict(self.cache)

    def _on_click(self, button: widgets.Button) -> None:
        self.attempt(self._train_current)

    def _train_current(self) -> None:
        key = self.key
        if key not in self.cache:
            self.set_status(
                _("training {run} for {epochs} epochs ...").format(run=_label(key), epochs=self.setup.epochs)
            )
            start = time.perf_counter()
            block = {} if len(key) == 2 else {"block": key[2]}
            run = self.cached(key, lambda: self._train(self.data, key[1], key[0], self.setup, **block))
            if run.interrupted:
                self.set_status(
                    _("{run} was interrupted: not kept; press train to train it again").format(
                        run=_label(key)
                    )
                )
                return
            self.seconds[key] = time.perf_counter() - start
        self.set_status("")
        self.update()

    def draw(self, fig) -> str:
        ax = fig.add_subplot(1, 1, 1)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        depths = sorted({key[1] for key in self.cache} | {self.depth.value})
        for key, run in sorted(self.cache.items(), key=lambda kv: (kv[0][1], kv[0][0], len(kv[0]))):
            shortcut, depth = key[:2]
            bold = key == self.key
            ax.plot(
                run.epoch,
                _training_error(run),
                ls=_STYLE[shortcut],
                marker="s" if len(key) > 2 else "o",
                ms=3 if bold else 2,
                lw=2.6 if bold else 1.0,
                alpha=1.0 if bold else 0.6,
                color=colors[depths.index(depth) % len(colors)],
                label=_titled(_label(key), run),
            )
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("training error (eval mode)")
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _pos: f"{v:.0%}"))
        ax.grid(alpha=0.3)
        if self.cache:  # beside the panel, where it covers no curve
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        ax.set_title(
            "dashed: plain, solid: identity shortcut, dotted: projection shortcut; squares: pre-activation",
            fontsize=9,
        )
        fig.tight_layout()
        label = _label(self.key)
        run = self.cache.get(self.key)
        if run is None:
            return f"{label}: not trained yet; press train ({self.setup.epochs} epochs on {self.data.name})"
        if not run.epoch:
            return f"{label}: no epoch finished"
        mode = "eval mode" if len(run.train_eval_acc) == len(run.epoch) else "running average"
        return (
            f"{label}: training error {_training_error(run)[-1]:.1%} ({mode}) after {run.epoch[-1]} epochs "
            f"(validation error {run.val_error[-1]:.1%}), {run.info.get('parameters', 0):,} "
            f"parameters{cache_note(run)}"
        )


def _titled(label: str, run: History) -> str:
    """``label (42.1% test accuracy)`` for a run with a test accuracy, else ``label``: each trained
    curve's legend entry gives its accuracy."""
    if run.test_acc is None:
        return label
    return _("{model} ({accuracy:.1%} test accuracy)").format(model=label, accuracy=run.test_acc)


def _training_error(run) -> list[float]:
    """The training error the paper plots and section 1 reports: in eval mode on a fixed subset of
    the training images (the running average for runs recorded without it)."""
    return run.train_eval_error if len(run.train_eval_acc) == len(run.epoch) else run.train_error
