"""Plumbing in a fold: what a lesson prints for the record (a recipe, a time estimate, a layer
table, a source listing, reference runs) shown as one closed ``<details>`` element, its summary
line visible, the rest one click away.

Each fold's output carries ``PLUMBING_METADATA`` in its display metadata, which nbformat stores
with the output: ``tools/stats.py`` counts the plumbing of a stored notebook by it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from torch import nn

from ..frontend import inline
from ..i18n import _

__all__ = [
    "METADATA_KEY",
    "PLUMBING_METADATA",
    "fold",
    "fold_bundle",
    "fold_layers",
    "fold_references",
    "is_plumbing",
    "reference_line",
]

METADATA_KEY = "cnnlessons"
PLUMBING_METADATA: dict[str, dict[str, bool]] = {METADATA_KEY: {"plumbing": True}}
"""The display metadata that marks an output as plumbing."""


def fold_bundle(summary: str, body: str | object, *, html_body: str | None = None) -> tuple[dict, dict]:
    """The display data (``text/html`` and ``text/plain``) and metadata of a fold: ``body`` (its
    ``str``) escaped in a ``<pre>``, or ``html_body`` where given (already HTML, e.g. highlighted
    code; the plain text stays ``body``)."""
    text = str(body).rstrip("\n")
    inner = html_body if html_body is not None else f"<pre>{html.escape(text)}</pre>"
    markup = f"<details><summary>{html.escape(summary)}</summary>{inner}</details>"
    return {"text/html": markup, "text/plain": f"{summary}\n{text}"}, {
        k: dict(v) for k, v in PLUMBING_METADATA.items()
    }


def is_plumbing(metadata: Any) -> bool:
    """Whether an output's metadata marks it as plumbing (a fold's output)."""
    mark = metadata.get(METADATA_KEY) if hasattr(metadata, "get") else None
    return bool(hasattr(mark, "get") and mark.get("plumbing"))


def fold(summary: str, body: str | object, *, html_body: str | None = None) -> None:
    """Show ``body`` (a string, or anything printable) folded under the one line ``summary``:
    closed in a notebook, marked as plumbing; printed in full outside IPython."""
    data, metadata = fold_bundle(summary, body, html_body=html_body)
    if not inline():
        print(data["text/plain"])
        return
    from IPython.display import display

    display(data, raw=True, metadata=metadata)


def fold_layers(model: nn.Module, input_size: Sequence[int] = (3, 32, 32), **kwargs: Any):
    """Fold ``model``'s torchinfo layer table (``measure.layer_summary``, keyword arguments
    passed on) under a line with its parameters and mult-adds; the table, for its figures."""
    from ..measure import layer_summary

    table = layer_summary(model, input_size, **kwargs)
    side = "x".join(str(s) for s in input_size)
    summary = _(
        "Layer table of {model}: {params:,} parameters, {mult_adds:,.1f} M mult-adds per {side} image"
    )
    fold(
        summary.format(
            model=type(model).__name__,
            params=table.total_params,
            mult_adds=table.total_mult_adds / 1e6,
            side=side,
        ),
        table,
    )
    return table


def reference_line(run: Any) -> str:
    """``Reference (<device>, <date>): <run>`` for a reference or converged ``History``."""
    return f"Reference ({run.info.get('device')}, {run.info.get('date')}): {run}"


def fold_references(runs: Iterable[Any]) -> None:
    """Fold the reference runs' lines (``reference_line``); nothing when there are none."""
    lines = [reference_line(run) for run in runs]
    if lines:
        fold(f"Reference runs to compare with ({len(lines)})", "\n".join(lines))
