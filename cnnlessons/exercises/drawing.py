"""The learner's block drawn beside the lesson's: ``draw_answer(answer, reference, input_size)``.

After a block exercise, the lesson draws what the learner wrote next to the block the lesson
describes, both as ``views.diagram`` draws them, so that a wrong wiring shows as a different
picture. It draws what actually runs: a block of the wrong shape is drawn too. While the answer
is not attempted (it still raises ``NotImplementedError``, or is None) it prints one line saying
so, and a broken answer gets one line naming its error: a learner's mistake never raises here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .core import _first_line

__all__ = ["draw_answer"]

PANEL_GAP = 0.35
"""Inches between the two panels."""


class _Broken(Exception):
    """The learner's block cannot be drawn; the message is the one line to print."""


def _name(obj: Any) -> str:
    if isinstance(obj, nn.Module):
        return type(obj).__name__
    return getattr(obj, "__name__", type(obj).__name__)


def _call(args: Sequence, kwargs: dict) -> str:
    words = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return "(" + ", ".join(words) + ")"


def _not_attempted(error: BaseException) -> bool:
    """``NotImplementedError`` from the stub, not nn.Module's own for a class without ``forward``."""
    return isinstance(error, NotImplementedError) and 'missing the required "forward"' not in str(error)


def _build(obj: Any, args: Sequence, kwargs: dict, label: str) -> nn.Module:
    """``obj`` itself when it is a block, else the block it builds from ``args``."""
    if isinstance(obj, nn.Module):
        return obj
    if not callable(obj):
        raise _Broken(
            f"{label} could not be drawn: expected a class (an nn.Module subclass) or a "
            f"block, got an object of type {type(obj).__name__}"
        )
    with torch.random.fork_rng(devices=[]):  # building initialises weights: keep the notebook's seed
        block = obj(*args, **kwargs)
    if not isinstance(block, nn.Module):
        raise _Broken(
            f"{label} could not be drawn: {_name(obj)}{_call(args, kwargs)} gave an object "
            f"of type {type(block).__name__}, not an nn.Module"
        )
    return block


def _device_and_dtype(block: nn.Module) -> tuple[torch.device, torch.dtype]:
    for tensor in (*block.parameters(), *block.buffers()):
        if tensor.is_floating_point():
            return tensor.device, tensor.dtype
    return torch.device("cpu"), torch.get_default_dtype()


def _run(block: nn.Module, size: tuple[int, int, int]) -> None:
    """Run ``block`` once on one image, as the diagram will, to name a learner's error plainly."""
    device, dtype = _device_and_dtype(block)
    x = torch.randn((1, *size), generator=torch.Generator().manual_seed(0)).to(device=device, dtype=dtype)
    modes = {m: m.training for m in block.modules()}
    try:
        block.eval()
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            block(x)
    finally:
        for m, training in modes.items():
            m.training = training


def _learner_plan(
    answer: Any,
    args: Sequence,
    kwargs: dict,
    size: tuple[int, int, int],
    label: str,
    detail: str,
    max_width: float,
):
    """The learner's diagram, measured; ``NotImplementedError`` while not attempted, ``_Broken``
    with the line to print when the block cannot be built, run or drawn."""
    from ..views.diagram import plan

    shape = "x".join(map(str, size))
    try:
        block = _build(answer, args, kwargs, "your block")
    except Exception as error:  # the learner's constructor
        if isinstance(error, _Broken) or _not_attempted(error):
            raise
        raise _Broken(
            f"your block could not be built: {label}{_call(args, kwargs)} raised "
            f"{type(error).__name__}: {_first_line(error)}"
        ) from None
    try:
        _run(block, size)
    except Exception as error:  # the learner's forward
        if _not_attempted(error):
            raise
        if isinstance(error, NotImplementedError):
            raise _Broken(f"your block could not run: {label} has no `forward` method") from None
        raise _Broken(
            f"your block could not run on a {shape} input: {type(error).__name__}: {_first_line(error)}"
        ) from None
    try:
        return plan(
            block,
            size,
            detail=detail,
            max_width=max_width,
            title=f"your block ({label}): {_count(block):,} parameters",
        )
    except Exception as error:  # e.g. an output that does not depend on the input
        raise _Broken(
            f"your block ran on a {shape} input but could not be drawn: "
            f"{type(error).__name__}: {_first_line(error)}"
        ) from None


def _count(block: nn.Module) -> int:
    return sum(p.numel() for p in block.parameters())


def draw_answer(
    answer: Any,
    reference: Any,
    input_size: Sequence[int],
    *,
    args: Sequence = (),
    kwargs: dict | None = None,
    name: str | None = None,
    detail: str = "layers",
    max_width: float = 10.0,
):
    """Draw the learner's block beside the lesson's, as each runs on one image of ``input_size``.

    ``answer`` and ``reference`` are each a block (an ``nn.Module``) or a class that builds one
    from ``args`` and ``kwargs`` (e.g. ``draw_answer(ResidualBlock, models.ResidualBlock,
    (64, 32, 32), args=(64, 128, 2))``). Returns the figure: two panels, titled "your block" and
    "the lesson's block" with their parameter counts, side by side where both fit in
    ``max_width`` inches on one row each, else one above the other (the diagrams then wrap into
    rows of that width). ``fig.graphs`` holds the two graphs drawn (yours first, see
    ``views.diagram``; each panel's boxes are in inches from its own bottom left corner).

    While the answer is not attempted (it raises ``NotImplementedError``, or is None), or cannot
    be built, run or drawn, prints one line that says so and returns None: the learner's errors
    never raise here. ``name`` names the answer in those lines (default: its class's name);
    ``detail`` is ``diagram``'s (every layer, by default).
    """
    from ..views.graph import check_input_size

    kwargs = dict(kwargs or {})
    size = check_input_size(input_size)
    label = name or ("your block" if answer is None else _name(answer))
    waiting = (
        f"{label}: not attempted yet; replace `raise NotImplementedError()` with your block, "
        "then run this cell again to see it beside the lesson's"
    )
    if answer is None:
        print(waiting)
        return None
    try:
        yours = _learner_plan(answer, args, kwargs, size, label, detail=detail, max_width=UNWRAPPED)
        if yours.width + PANEL_GAP <= max_width * SLACK:
            yours_wrapped = yours
        else:
            yours_wrapped = _learner_plan(
                answer, args, kwargs, size, label, detail=detail, max_width=max_width
            )
    except NotImplementedError:
        print(waiting)
        return None
    except _Broken as broken:
        print(broken)
        return None
    lesson = _build(reference, args, kwargs, "the lesson's block")  # the library's: its errors raise
    theirs = _lesson_plan(lesson, size, detail, UNWRAPPED)
    if yours.width + PANEL_GAP + theirs.width <= max_width * SLACK:
        return _side_by_side(yours, theirs)
    return _stacked(yours_wrapped, _lesson_plan(lesson, size, detail, max_width))


UNWRAPPED = 1000.0
"""A ``max_width`` that no block reaches: each diagram on one row."""
SLACK = 1.08
"""Side by side while the two panels need at most this times ``max_width`` (a notebook shrinks
a slightly wider figure to fit; a diagram wrapped to leave one layer on its second row reads worse)."""


def _lesson_plan(lesson: nn.Module, size: tuple[int, int, int], detail: str, max_width: float):
    from ..views.diagram import plan

    return plan(
        lesson,
        size,
        detail=detail,
        max_width=max_width,
        title=f"the lesson's block: {_count(lesson):,} parameters",
    )


def _side_by_side(left, right):
    """One figure, ``left`` and ``right`` (diagram plans) drawn side by side, tops aligned."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from ..views.diagram import paint

    width = left.width + PANEL_GAP + right.width
    height = max(left.height, right.height)
    fig = plt.figure(figsize=(width, height))
    graphs = (
        paint(left, fig, 0.0, height - left.height),
        paint(right, fig, left.width + PANEL_GAP, height - right.height),
    )
    x = (left.width + PANEL_GAP / 2) / width
    fig.add_artist(Line2D([x, x], [0.04, 0.96], color="#999999", linewidth=0.8))
    fig.graphs = graphs  # type: ignore[attr-defined]
    return fig


def _stacked(top, bottom):
    """One figure, ``top`` above ``bottom`` (diagram plans), both from the left edge."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from ..views.diagram import paint

    width = max(top.width, bottom.width)
    height = top.height + PANEL_GAP + bottom.height
    fig = plt.figure(figsize=(width, height))
    graphs = (paint(top, fig, 0.0, bottom.height + PANEL_GAP), paint(bottom, fig, 0.0, 0.0))
    y = (bottom.height + PANEL_GAP / 2) / height
    fig.add_artist(Line2D([0.02, 0.98], [y, y], color="#999999", linewidth=0.8))
    fig.graphs = graphs  # type: ignore[attr-defined]
    return fig
