"""Comparisons: bar charts of named figures, the paired comparison of runs seed by seed, and gradient
sizes per layer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from ..history import History
from ..i18n import _


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


def plot_gradient_sizes(
    sizes: Mapping[str, Sequence[float]], *, ax=None, title: str | None = None, highlight: str | None = None
):
    """Gradient size per layer (log scale), one line per activation; returns the figure."""
    if ax is None:
        ax = plt.subplots(figsize=(6.0, 3.6))[1]
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
    ax.set_xlabel(_("layer (1 = next to the input)"))
    ax.set_ylabel("|d loss / d weight|")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    ax.figure.tight_layout()
    return ax.figure


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
        "test_acc": (_("test accuracy"), lambda h: h.test_acc),
        "train_error": (
            _("final training error (eval mode)"),
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
        ax.plot(xs, [ys[i] for i in xs], marker="o", lw=1, label=_("seed {seed}").format(seed=seed))
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlim(-0.4, len(labels) - 0.6)
    ax.set_ylabel(name)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _pos: f"{v:.0%}"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
