"""Figures that read without colour: each series (a run, an arm) gets its own marker and line
style as well as its colour, and one legend sits below the panels, where it covers no curve
(``legible``)."""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.typing import LineStyleType

__all__ = ["LINE_STYLES", "MARKERS", "legible"]

MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINE_STYLES: tuple[LineStyleType, ...] = ("-", "--", "-.", ":")
MARKS_PER_CURVE = 10
"""Markers drawn on a long curve (every n-th point), so that they tell it apart without hiding it."""


def _colour(line: Line2D) -> str:
    return to_hex(line.get_color(), keep_alpha=False)


def legible(fig: Figure, *, columns: int = 2) -> Figure:
    """Tell ``fig``'s series apart by marker and line style as well as colour, and gather the
    panels' legends into one legend below them. Returns the figure.

    A series is a colour that a labelled line has: every line of that colour (a run and its other
    seeds, unlabelled) gets the series' marker, and its line style where the line is solid (a
    dashed reference stays dashed). The same colour gets the same style in every panel. A line
    whose colour no labelled line has (a target, a zero line) is a guide and stays as it is.
    The legend lists each label once, in ``columns`` columns, below the panels: the figure grows
    by its height, so that no panel shrinks and no curve is covered."""
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        raise ValueError(f"columns must be an int >= 1, got {columns!r}")
    series: dict[str, int] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if not str(line.get_label()).startswith("_"):
                series.setdefault(_colour(line), len(series))
    handles: dict[str, Artist] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            k = series.get(_colour(line))
            if k is None:
                continue
            line.set_marker(MARKERS[k % len(MARKERS)])
            line.set_markersize(max(line.get_markersize(), 4.0))
            line.set_markevery(max(1, int(np.size(line.get_xdata())) // MARKS_PER_CURVE))
            if line.get_linestyle() == "-":
                line.set_linestyle(LINE_STYLES[k % len(LINE_STYLES)])
        legend = ax.get_legend()
        if legend is None:
            continue
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
        legend.remove()
    if not handles:
        return fig
    ncol = min(columns, len(handles))
    if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        fig.legend(
            list(handles.values()),
            list(handles),
            loc="outside lower center",
            ncol=ncol,
            fontsize=8,
            frameon=False,
        )
        return fig
    legend = fig.legend(
        list(handles.values()),
        list(handles),
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=ncol,
        fontsize=8,
        frameon=False,
    )
    extra = legend.get_window_extent().height / fig.dpi + 0.1  # inches, with a gap above it
    width, height = fig.get_size_inches()
    fig.set_size_inches(width, height + extra)
    fig.tight_layout(rect=(0.0, extra / (height + extra), 1.0, 1.0))
    return fig
