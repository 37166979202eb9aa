"""Plot helpers: training curves of several runs on one figure, bar charts, image grids, and the
course-wide figure of the ImageNet challenge's winners (``ILSVRC_RESULTS``, ``plot_ilsvrc``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

from .training import History

__all__ = [
    "plot_history",
    "plot_seeds",
    "plot_paired",
    "plot_bars",
    "show_images",
    "reference_label",
    "plot_gradient_sizes",
    "show_gallery",
    "integer_epochs",
    "ILSVRC_RESULTS",
    "ILSVRCEntry",
    "plot_ilsvrc",
]

_METRICS = {
    "train_loss": ("running training loss (training mode)", False),
    "val_loss": ("validation loss", False),
    "train_acc": ("running training accuracy (training mode)", True),
    "val_acc": ("validation accuracy", True),
    "train_error": ("running training error (training mode)", True),
    "val_error": ("validation error", True),
    "train_eval_acc": ("training accuracy (eval mode)", True),
    "train_eval_error": ("training error (eval mode)", True),
}
"""Metric name -> (axis label, drawn in percent). ``train_*`` are running averages over the
epoch's batches in training mode (augmented and with dropout where the run has them);
``train_eval_*`` are measured in eval mode on a fixed subset of the training split
(``History.train_eval_acc``)."""

RIGHT, WRONG = "#0072B2", "#D55E00"  # Okabe-Ito blue and vermillion: right and wrong predictions


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
    return f"{run.label} (reference: {where})" if where else f"{run.label} (reference)"


def _epoch_axes(ax, metric: str) -> None:
    """Label ``ax`` for ``metric`` against whole epochs, in percent where the metric is a rate."""
    name, percent = _METRICS[metric]
    ax.set_xlabel("epoch")
    integer_epochs(ax)
    ax.set_ylabel(name)
    if percent:
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
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
                    label=run.label or f"run {i + 1}",
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


def plot_bars(
    values: Mapping[str, float],
    *,
    ylabel: str,
    title: str | None = None,
    log: bool = False,
    ax=None,
    fmt: str = "{:,.0f}",
):
    """A bar chart of named figures (e.g. parameters or FLOPs per model), each bar labelled."""
    if not values:
        raise ValueError("values must name at least one bar")
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(values) + 2), 3.4))
    names, heights = list(values), [float(v) for v in values.values()]
    bars = ax.bar(names, heights, color="tab:blue")
    for bar, h in zip(bars, heights, strict=False):
        ax.annotate(
            fmt.format(h), (bar.get_x() + bar.get_width() / 2, h), ha="center", va="bottom", fontsize=8
        )
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.tick_params(axis="x", rotation=30 if len(values) > 4 else 0)
    ax.figure.tight_layout()
    return ax.figure


def show_images(
    images: torch.Tensor,
    labels: Sequence[int] | torch.Tensor | None = None,
    classes: Sequence[str] | None = None,
    *,
    ncols: int = 8,
    title: str | None = None,
    size: float = 1.3,
    truth: Sequence[int] | torch.Tensor | None = None,
):
    """A grid of uint8 (or [0, 1] float) images N x C x H x W with their class names.

    With ``truth`` (the true labels), ``labels`` are a model's predictions: each title says
    whether the prediction is right (blue, a tick) or wrong (orange, a cross, and the truth)."""
    if images.dim() != 4:
        raise ValueError(f"images must be N x C x H x W, got shape {tuple(images.shape)}")
    if truth is not None and (labels is None or len(truth) != len(labels)):
        raise ValueError(
            f"truth must give one label per prediction in labels ({0 if labels is None else len(labels)}), "
            f"got {len(truth)}"
        )
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, min(ncols, n), figsize=(size * min(ncols, n), size * nrows + 0.3), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = images[i].detach().cpu()
        img = img.float() / 255 if img.dtype == torch.uint8 else img.float().clamp(0, 1)
        if img.shape[0] == 1:
            ax.imshow(img[0], cmap="gray", vmin=0, vmax=1)
        else:
            ax.imshow(img.permute(1, 2, 0).numpy())
        if labels is not None:
            k = int(labels[i])
            name = classes[k] if classes else str(k)
            if truth is None:
                ax.set_title(name, fontsize=8)
            elif int(truth[i]) == k:
                ax.set_title(f"\u2713 {name}", fontsize=8, color=RIGHT)
            else:
                true_name = classes[int(truth[i])] if classes else str(int(truth[i]))
                ax.set_title(f"\u2717 {name}\n({true_name})", fontsize=8, color=WRONG)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_gradient_sizes(
    sizes: Mapping[str, Sequence[float]], *, ax=None, title: str | None = None, highlight: str | None = None
):
    """Gradient size per layer (log scale), one line per activation; returns the figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.6))
    colors = {"relu": "tab:blue", "tanh": "tab:orange", "sigmoid": "tab:green"}
    for name, values in sizes.items():
        layers = range(1, len(values) + 1)
        faint = highlight is not None and name != highlight
        ax.plot(
            layers,
            [max(v, 1e-45) for v in values],
            marker="o",
            ms=3,
            label=name,
            color=colors.get(name),
            alpha=0.35 if faint else 1.0,
            lw=1.0 if faint else 2.0,
        )
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel("|d loss / d weight|")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    ax.figure.tight_layout()
    return ax.figure


def show_gallery(gallery: Mapping[str, torch.Tensor], size: float = 1.1):
    """One row per augmentation, one column per image."""
    rows = list(gallery.items())
    n = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), n, figsize=(size * n + 1.6, size * len(rows)), squeeze=False)
    for r, (name, images) in enumerate(rows):
        for i in range(n):
            ax = axes[r, i]
            img = images[i].float() / 255
            if img.shape[0] == 1:
                ax.imshow(img[0].numpy(), cmap="gray", vmin=0, vmax=1)
            else:
                ax.imshow(img.permute(1, 2, 0).numpy())
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ the challenge


@dataclasses.dataclass(frozen=True)
class ILSVRCEntry:
    """One entry of the ILSVRC classification task, as its paper (or the challenge's summary) reports it."""

    year: int
    team: str
    """The team's name in the results, e.g. ``"SuperVision"``."""
    model: str
    """What the course calls it, e.g. ``"AlexNet"``; the method where it is not a CNN."""
    top5_error: float
    """Top-5 error on the challenge's test set, in percent."""
    depth: int | None
    """Layers with weights of the network the entry is known by (AlexNet's 8, ResNet-152's 152);
    None: not a CNN."""
    networks: int | None
    """How many CNNs the entry averaged (an ensemble); None: not a CNN, or not reported."""
    how: str
    """What was submitted: the ensemble, or the features and classifier."""
    place: int
    citation: str
    also: tuple[tuple[float, str], ...] = ()
    """Other top-5 errors (percent) of the same team, each with what it was."""

    @property
    def cnn(self) -> bool:
        return self.depth is not None


ILSVRC_RESULTS: tuple[ILSVRCEntry, ...] = (
    ILSVRCEntry(
        2010,
        "NEC-UIUC",
        "SIFT + LBP, SVMs",
        28.2,
        None,
        None,
        "not a CNN: SIFT and LBP features, coded, then linear SVMs",
        1,
        "Lin et al., Large-scale image classification: fast feature extraction and SVM "
        "training, CVPR 2011; the error as in Russakovsky et al., IJCV 2015",
    ),
    ILSVRCEntry(
        2011,
        "XRCE",
        "Fisher vectors, SVMs",
        25.8,
        None,
        None,
        "not a CNN: compressed Fisher vectors, then linear SVMs",
        1,
        "Sanchez & Perronnin, High-dimensional signature compression for large-scale image "
        "classification, CVPR 2011; the error as in Russakovsky et al., IJCV 2015",
    ),
    ILSVRCEntry(
        2012,
        "SuperVision",
        "AlexNet",
        15.3,
        8,
        7,
        "an ensemble of 7 CNNs, 2 of them pre-trained on ImageNet Fall 2011 (extra data), one of "
        "those with a sixth convolutional layer",
        1,
        "Krizhevsky, Sutskever & Hinton, ImageNet classification with deep convolutional "
        "neural networks, NIPS 2012, Table 2",
        also=((16.4, "5 CNNs, no extra data"),),
    ),
    ILSVRCEntry(
        2013,
        "Clarifai",
        "ZFNet",
        11.7,
        8,
        None,
        "an ensemble of CNNs of Zeiler & Fergus's design",
        1,
        "Zeiler & Fergus, Visualizing and understanding convolutional networks, ECCV 2014; "
        "the error as in Szegedy et al., CVPR 2015, Table 2, and Russakovsky et al., IJCV 2015",
    ),
    ILSVRCEntry(
        2014,
        "GoogLeNet",
        "GoogLeNet",
        6.67,
        22,
        7,
        "an ensemble of 7 CNNs",
        1,
        "Szegedy et al., Going deeper with convolutions, CVPR 2015, Tables 2 and 3",
    ),
    ILSVRCEntry(
        2014,
        "VGG",
        "VGG",
        7.3,
        19,
        7,
        "an ensemble of 7 CNNs (16 and 19 layers)",
        2,
        "Simonyan & Zisserman, Very deep convolutional networks for large-scale image "
        "recognition, ICLR 2015, Table 7",
        also=((6.8, "2 CNNs, after\nthe challenge"),),
    ),
    ILSVRCEntry(
        2015,
        "MSRA",
        "ResNet",
        3.57,
        152,
        6,
        "an ensemble of 6 CNNs (two of them 152 layers)",
        1,
        "He, Zhang, Ren & Sun, Deep residual learning for image recognition, CVPR 2016, Table 5",
    ),
)
"""The ILSVRC classification task's winner each year from 2010 to 2015, and VGG, second in 2014.
"Russakovsky et al., IJCV 2015" is the challenge's own summary: ImageNet Large Scale Visual
Recognition Challenge, International Journal of Computer Vision 115 (2015), 211-252.
Every CNN entry averaged the predictions of several networks: a single network of the same design
did worse. DenseNet (Huang et al., CVPR 2017) came later and won no ILSVRC."""

_NOT_CNN, _WINNER, _SECOND = "#E69F00", "#0072B2", "#56B4E9"  # Okabe-Ito orange, blue, sky blue
_ILSVRC_NOTES = (
    "Depth: layers with weights of the network the entry is known by. Every CNN entry averaged the "
    "predictions of several networks;",
    "a single network of the same design did worse. DenseNet (Huang et al., CVPR 2017) came after "
    "these results and won no ILSVRC.",
)


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def plot_ilsvrc(
    results: Sequence[ILSVRCEntry] = ILSVRC_RESULTS,
    *,
    title: str = "ImageNet challenge (ILSVRC), classification: top-5 error on the test set",
):
    """The winners' top-5 error by year: one bar per entry, labelled with its error, its depth and
    its ensemble; the years before CNNs shaded; the sources numbered beneath. Returns the figure
    (10 inches wide, a notebook's width)."""
    if not results:
        raise ValueError("results must hold at least one entry")
    entries = sorted(results, key=lambda e: (e.year, e.place))
    years = sorted({e.year for e in entries})
    notes = list(_ILSVRC_NOTES) + [f"[{n}] {e.citation}" for n, e in enumerate(entries, 1)]
    note_font, tick_lines = 7.5, max(3, max(2 + (e.model != e.team) + (e.place != 1) for e in entries))
    notes_h = len(notes) * note_font * 1.3 / 72 + 0.1
    plot_h, width = 4.2, 10.0
    bottom = notes_h + tick_lines * 8.5 * 1.25 / 72 + 0.25
    fig = plt.figure(figsize=(width, plot_h + bottom + 0.45))
    height = fig.get_figheight()
    ax = fig.add_axes((0.6 / width, bottom / height, (width - 0.75) / width, plot_h / height))

    x, ticks, widths = [], [], []
    for e in entries:
        same = [o for o in entries if o.year == e.year]
        k, n = same.index(e), len(same)
        x.append(years.index(e.year) + (k - (n - 1) / 2) * 0.46)
        widths.append(0.7 if n == 1 else 0.42)
        ticks.append(
            f"{e.year} [{len(ticks) + 1}]\n{e.model}"
            + ("" if e.model == e.team else f"\n({e.team})")
            + ("" if e.place == 1 else f"\n{_ordinal(e.place)} place")
        )
    colours = [_WINNER if e.cnn and e.place == 1 else _SECOND if e.cnn else _NOT_CNN for e in entries]
    bars = ax.bar(
        x,
        [e.top5_error for e in entries],
        width=widths,
        color=colours,
        edgecolor="black",
        linewidth=0.6,
        zorder=2,
    )
    for bar, e in zip(bars, entries, strict=False):
        cx, w = bar.get_x() + bar.get_width() / 2, bar.get_width()
        top = max([e.top5_error] + [value for value, _ in e.also])
        for value, _ in e.also:  # another entry of the team: a dashed outline
            ax.add_patch(
                plt.Rectangle(
                    (cx - w / 2, 0), w, value, fill=False, ls="--", lw=1.0, edgecolor="black", zorder=3
                )
            )
        above = []
        if e.cnn:
            above += [f"{e.depth} layers", "ensemble" if e.networks is None else f"ensemble\nof {e.networks}"]
        else:
            above += ["not a CNN"]
        above += [f"dashed: {value:g}%,\n{what}" for value, what in e.also]
        ax.annotate(
            f"{e.top5_error:g}%",
            (cx, top),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=9,
            fontweight="bold",
            zorder=4,
        )
        ax.annotate(
            "\n".join(above),
            (cx, top),
            xytext=(0, 15),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            zorder=4,
            linespacing=1.15,
        )
    before = [years.index(e.year) for e in entries if not e.cnn]
    if before:
        ax.axvspan(min(before) - 0.5, max(before) + 0.5, color="#E5E5E5", zorder=0, lw=0)
        ax.text(
            max(before) + 0.45,
            0.97,
            "before CNNs",
            transform=ax.get_xaxis_transform(),
            ha="right",
            va="top",
            fontsize=9,
            style="italic",
            color="#444444",
        )
    ax.set_xticks(x, ticks, fontsize=8.5)
    ax.set_xlim(-0.5, len(years) - 0.5)
    ax.set_ylim(0, max(e.top5_error for e in entries) * 1.35)
    ax.set_ylabel("top-5 error (%)")
    ax.grid(axis="y", alpha=0.3, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    kinds = [(_NOT_CNN, "not a CNN"), (_WINNER, "CNN, the winner"), (_SECOND, "CNN, second place")]
    used = [
        plt.Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="black", lw=0.6, label=label)
        for c, label in kinds
        if c in colours
    ]
    ax.legend(handles=used, loc="upper right", fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=11, pad=8)
    fig.text(
        0.08 / width,
        0.06 / height,
        "\n".join(notes),
        ha="left",
        va="bottom",
        fontsize=note_font,
        linespacing=1.3,
    )
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
            for j, (_, h) in enumerate(sorted(by_seed.items())):
                if _has(h, metric):
                    ax.plot(
                        h.epoch,
                        getattr(h, metric),
                        color=colors[i % len(colors)],
                        lw=1.2,
                        alpha=0.8,
                        label=f"{label} (seeds {', '.join(map(str, sorted(by_seed)))})" if j == 0 else None,
                    )
        if target is not None:
            ax.axhline(target, color="black", ls=":", lw=1)
        _epoch_axes(ax, metric)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_paired(
    runs: Mapping[str, Mapping[int, History]],
    figure: str = "test_acc",
    *,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    ax=None,
):
    """One figure of each run (``"test_acc"``, or ``"train_error"``: the final eval-mode training
    error) on every seed, a line joining each seed's runs: the paired comparison a claim is judged
    on, seed by seed. ``labels`` picks and orders the runs. Returns the figure."""
    read = {
        "test_acc": ("test accuracy", lambda h: h.test_acc),
        "train_error": (
            "final training error (eval mode)",
            lambda h: 1.0 - h.train_eval_acc[-1] if h.train_eval_acc else None,
        ),
    }
    if figure not in read:
        raise ValueError(f"figure must be one of {', '.join(read)}, got {figure!r}")
    labels = list(runs) if labels is None else list(labels)
    if missing := [label for label in labels if label not in runs]:
        raise ValueError(f"labels: {missing[0]!r} is not among the runs ({', '.join(runs)})")
    name, value = read[figure]
    seeds = sorted(set().union(*(runs[label].keys() for label in labels)))
    fig, ax = plt.subplots(figsize=(1.6 + 1.5 * len(labels), 3.4)) if ax is None else (ax.figure, ax)
    for seed in seeds:
        ys = [value(runs[label][seed]) if seed in runs[label] else None for label in labels]
        xs = [i for i, y in enumerate(ys) if y is not None]
        ax.plot(xs, [ys[i] for i in xs], marker="o", lw=1, label=f"seed {seed}")
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlim(-0.4, len(labels) - 0.6)
    ax.set_ylabel(name)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
