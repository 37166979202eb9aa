"""Training curves: one or several runs' metrics against epochs (``plot_history``), and every seed
of each run on one figure (``plot_seeds``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from ..history import History
from ..i18n import N_, _

_METRICS = {
    "train_loss": (N_("running training loss (training mode)"), False),
    "val_loss": (N_("validation loss"), False),
    "train_acc": (N_("running training accuracy (training mode)"), True),
    "val_acc": (N_("validation accuracy"), True),
    "train_error": (N_("running training error (training mode)"), True),
    "val_error": (N_("validation error"), True),
    "train_eval_acc": (N_("training accuracy (eval mode)"), True),
    "train_eval_error": (N_("training error (eval mode)"), True),
}
"""Metric name -> (axis label, in English and translated where drawn; drawn in percent).
``train_*`` are running averages over the epoch's batches in training mode (augmented and with
dropout where the run has them); ``train_eval_*`` are measured in eval mode on a fixed subset of
the training split (``History.train_eval_acc``)."""


def integer_epochs(ax) -> None:
    """Ticks on whole epochs only (no 1.5 epochs) on the x axis of ``ax``."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _as_runs(runs) -> list[History]:
    if isinstance(runs, History):
        return [runs]
    if isinstance(runs, Mapping):
        return [History(**{**h.to_dict(), "label": h.label or str(k)}) for k, h in runs.items()]
    return list(runs)


def reference_label(run: History) -> str:
    """'label (reference: device, date)' for a curve from the reference results; a converged
    checkpoint's label says what it is already."""
    info = run.info or {}
    if info.get("checkpoint"):
        return run.label
    where = ", ".join(str(info[k]) for k in ("device", "date") if info.get(k))
    if where:
        return _("{label} (reference: {where})").format(label=run.label, where=where)
    return _("{label} (reference)").format(label=run.label)


def _epoch_axes(ax, metric: str) -> None:
    """Label ``ax`` for ``metric`` against whole epochs, in percent where the metric is a rate."""
    name, percent = _METRICS[metric]
    ax.set_xlabel(_("epoch"))
    integer_epochs(ax)
    ax.set_ylabel(_(name))
    if percent:
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _pos: f"{v:.0%}"))
    ax.grid(alpha=0.3)


def _has(run: History, metric: str) -> bool:
    return len(getattr(run, metric)) == len(run.epoch) > 0


def plot_history(
    runs,
    metrics: Sequence[str] = ("train_error", "val_error"),
    *,
    reference: Sequence[History] | None = None,
    title: str | None = None,
    axes=None,
):
    """Draw ``metrics`` (one panel each) for one or several runs against epochs.

    ``reference`` runs (``cnnlessons.runs.results.reference_runs``) are drawn dashed, labelled with the device
    and date they were measured on. A run recorded without a metric (``train_eval_error`` in
    histories from before it was measured) is left out of that panel. Returns the figure.
    """
    unknown = [m for m in metrics if m not in _METRICS]
    if unknown:
        raise ValueError(f"metrics must be among {', '.join(_METRICS)}, got {unknown}")
    runs = _as_runs(runs)
    if axes is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.6), squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(axes)
        fig = axes[0].figure
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, metric in zip(axes, metrics, strict=False):
        for i, run in enumerate(runs):
            if _has(run, metric):
                ax.plot(
                    run.epoch,
                    getattr(run, metric),
                    marker="o",
                    ms=3,
                    color=colors[i % len(colors)],
                    label=(run.label or _("run {n}").format(n=i + 1))
                    + (_(" (interrupted)") if run.interrupted else ""),
                )
        for i, run in enumerate(reference or []):
            if _has(run, metric):
                ax.plot(
                    run.epoch,
                    getattr(run, metric),
                    ls="--",
                    color=colors[(i + len(runs)) % len(colors)],
                    label=reference_label(run),
                )
        _epoch_axes(ax, metric)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_seeds(
    runs: Mapping[str, Mapping[int, History]],
    metrics: Sequence[str] = ("train_eval_error",),
    *,
    target: float | None = None,
    title: str | None = None,
):
    """Each run's curves on every seed (``Recipe.train_seeds``' ``{label: {seed: History}}``): one
    colour per run, one line per seed, so that the spread between seeds shows beside the gap
    between runs. ``target`` draws a dotted line (a training error to reach). Returns the figure."""
    unknown = [m for m in metrics if m not in _METRICS]
    if unknown:
        raise ValueError(f"metrics must be among {', '.join(_METRICS)}, got {unknown}")
    if not runs or any(not by_seed for by_seed in runs.values()):
        raise ValueError("runs: expected {label: {seed: History}} with at least one seed per run")
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.6), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, metric in zip(axes[0], metrics, strict=False):
        for i, (label, by_seed) in enumerate(runs.items()):
            for j, (_seed, h) in enumerate(sorted(by_seed.items())):
                if _has(h, metric):
                    ax.plot(
                        h.epoch,
                        getattr(h, metric),
                        color=colors[i % len(colors)],
                        lw=1.2,
                        alpha=0.8,
                        label=_("{label} (seeds {seeds})").format(
                            label=label, seeds=", ".join(map(str, sorted(by_seed)))
                        )
                        if j == 0
                        else None,
                    )
        if target is not None:
            ax.axhline(target, color="black", ls=":", lw=1)
        _epoch_axes(ax, metric)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
