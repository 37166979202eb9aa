"""Architecture diagrams drawn from the code: ``diagram(module, input_size)``.

The diagram is the graph that one forward pass traces (:mod:`.graph`), so it cannot drift from
the code. Layers run left to right in forward order; parallel branches run side by side, one
above the other; additions (+) and concatenations (C) are nodes of their own; a shortcut that
skips layers is an arc over them. Each layer shows its kind and kernel ("3x3 conv", "stride 2"),
its output shape (channels x height x width) and its parameters; BN, activations, dropout and
flatten are narrow strips beside the layer they follow. A grouped conv is drawn as its groups,
one lane each (AlexNet's two towers). Pure matplotlib, colour-blind-safe colours (Okabe-Ito).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from torch import nn

from .graph import JOINS, Graph, Node, check_input_size, collapse, fold, trace, with_lanes

__all__ = ["diagram", "plan", "paint", "Plan", "DETAILS", "COLOURS"]

DETAILS = ("auto", "layers", "blocks")
"""``detail="layers"`` draws every layer; ``"blocks"`` draws each block (a module of its own
class, such as ``Inception``) as one box and folds repeated blocks ("x 3"); ``"auto"`` draws
layers when they fit ``max_width`` and a 16:9 slide, else blocks."""

#: Okabe-Ito colours, one per kind of node.
COLOURS = {
    "input": "#FFFFFF",
    "conv": "#56B4E9",
    "pool": "#E69F00",
    "fc": "#CC79A7",
    "norm": "#F0E442",
    "activation": "#009E73",
    "dropout": "#BBBBBB",
    "reshape": "#BBBBBB",
    "other": "#BBBBBB",
    "block": "#0072B2",
    "add": "#D55E00",
    "multiply": "#D55E00",
    "concat": "#000000",
}
_LEGEND = {
    "conv": "conv",
    "pool": "pooling",
    "fc": "fully connected",
    "norm": "normalisation",
    "activation": "activation",
    "block": "block",
    "dropout": "dropout, flatten, other",
    "reshape": "dropout, flatten, other",
    "other": "dropout, flatten, other",
}
_SYMBOLS = {"add": "+", "concat": "C", "multiply": "\u00d7"}
_JOIN_NAMES = {"add": "addition", "concat": "concatenation", "multiply": "multiplication"}
THIN = ("activation", "norm", "dropout", "reshape")
"""Kinds drawn as a narrow strip."""

# Sizes in inches, fonts in points.
FONT, SMALL, TITLE_FONT = 7.5, 6.5, 9.0
PAD, GAP, STICK, LANE_GAP, BRANCH_GAP, ROW_GAP = 0.06, 0.3, 0.025, 0.07, 0.16, 0.32
STRIP, RADIUS, ARC_STEP, MARGIN = 0.19, 0.12, 0.14, 0.12
TITLE_H, LEGEND_H = 0.32, 0.3
ASPECT = 9 / 16


@functools.lru_cache(maxsize=4096)
def text_width(text: str, size: float = FONT, weight: str = "normal") -> float:
    """Width in inches of ``text`` in the default font at ``size`` points."""
    prop = FontProperties(family=plt.rcParams["font.family"], weight=weight)
    return TextPath((0, 0), text, size=size, prop=prop).get_extents().width / 72


def _line_h(size: float) -> float:
    return size * 1.25 / 72


def _params(n: int) -> str:
    if n < 1000:
        return f"{n} params"
    if n < 999_950:
        return f"{n / 1e3:.1f}k params".replace(".0k", "k")
    return f"{n / 1e6:.2f}M params"


def _lines(node: Node) -> list[tuple[str, float]]:
    """The text of a node's box: its label, output shape and parameters (per lane for a grouped conv)."""
    label = list(node.label)
    if node.repeat > 1:
        label[0] += f" x {node.repeat}"
    shape = list(node.shape)
    if node.lanes > 1 and shape:
        shape[0] //= node.lanes
    lines = [(text, FONT) for text in label] + [("x".join(map(str, shape)), SMALL)]
    if node.params:
        each = node.params // node.lanes
        lines.append((_params(each) + (" each" if node.repeat > 1 else ""), SMALL))
    return lines


# ---------------------------------------------------------------------------------- structure


@dataclasses.dataclass
class Par:
    """Branches that leave ``src`` and meet at ``dst``; ``skip`` when ``dst`` also reads ``src``."""

    src: int
    dst: int
    branches: list[list]
    skip: bool


@dataclasses.dataclass
class Tangle:
    """Nodes between ``src`` and ``dst`` that do not split into branches (a dense block): one
    lane, the edges that skip nodes as arcs."""

    src: int
    dst: int
    ids: list[int]


Item = int | Par | Tangle


def _cuts(ids: list[int], src: int, dst: int, inputs: dict[int, tuple[int, ...]], direct: bool) -> list[int]:
    """The nodes of ``ids`` that every path from ``src`` to ``dst`` passes (in topological order,
    those no edge jumps over)."""
    order = [src] + ids + [dst]
    pos = {v: i for i, v in enumerate(order)}
    cover = [0] * (len(order) + 1)
    for v in order[1:]:
        for u in inputs[v]:
            if u in pos and (direct or (u, v) != (src, dst)) and pos[v] - pos[u] > 1:
                cover[pos[u] + 1] += 1
                cover[pos[v]] -= 1
    found, running = [], 0
    for i, v in enumerate(order):
        running += cover[i]
        if 0 < i < len(order) - 1 and running == 0:
            found.append(v)
    return found


def _components(ids: list[int], inputs: dict[int, tuple[int, ...]]) -> list[list[int]]:
    parent = {v: v for v in ids}

    def root(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for v in ids:
        for u in inputs[v]:
            if u in parent:
                parent[root(u)] = root(v)
    groups: dict[int, list[int]] = {}
    for v in ids:
        groups.setdefault(root(v), []).append(v)
    return sorted(groups.values(), key=lambda g: g[0])


def between(
    ids: list[int], src: int, dst: int, inputs: dict[int, tuple[int, ...]], direct: bool = True
) -> list[Item]:
    """The items strictly between ``src`` and ``dst``: the nodes every path passes, and between
    them the parallel sections. ``direct=False`` leaves an edge ``src`` -> ``dst`` to the caller."""
    if not ids:
        return []
    anchors = [src] + _cuts(ids, src, dst, inputs, direct) + [dst]
    items: list[Item] = []
    for p, q in zip(anchors, anchors[1:], strict=False):
        if p != src:
            items.append(p)
        segment = [v for v in ids if p < v < q]
        if segment:
            skip = p in inputs[q] and (direct or (p, q) != (src, dst))
            parts = _components(segment, inputs)
            if len(parts) == 1 and not skip and (p, q) == (src, dst) and not direct:
                items.append(Tangle(p, q, segment))
            else:
                items.append(Par(p, q, [between(c, p, q, inputs, direct=False) for c in parts], skip))
    return items


def structure(graph: Graph) -> list[Item]:
    """The graph as a sequence of nodes and parallel sections, from the input to the output."""
    inputs = {n.id: n.inputs for n in graph.nodes}
    first, last = graph.nodes[0].id, graph.nodes[-1].id
    if first == last:
        return [first]
    return [first] + between([n.id for n in graph.nodes[1:-1]], first, last, inputs) + [last]


def _length(items: list[Item]) -> int:
    """The number of nodes along ``items``, through the longest branch of each parallel section."""
    count = 0
    for item in items:
        if isinstance(item, int):
            count += 1
        elif isinstance(item, Tangle):
            count += len(item.ids)
        else:
            count += max(_length(b) for b in item.branches)
    return count


def _arc_levels(spans: list[tuple[int, int]]) -> list[int]:
    """A height level for each arc (a, b): above every arc it encloses, and apart from every arc
    it overlaps, so that no two arcs share a stretch of line."""
    levels = [0] * len(spans)
    for i in sorted(range(len(spans)), key=lambda k: spans[k][1] - spans[k][0]):
        a, b = spans[i]
        done = [k for k in range(len(spans)) if levels[k]]
        level = 1 + max((levels[k] for k in done if a <= spans[k][0] and spans[k][1] <= b), default=0)
        taken = {levels[k] for k in done if spans[k][0] < b and a < spans[k][1]}
        while level in taken:
            level += 1
        levels[i] = level
    return levels


# ------------------------------------------------------------------------------------- layout


@dataclasses.dataclass
class _Extent:
    width: float
    above: float
    below: float


class _Layout:
    """Positions of the nodes of ``graph`` (inches) and the routes of its edges."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.by_id = {n.id: n for n in graph.nodes}
        self.readers: dict[int, int] = {}
        for n in graph.nodes:
            for i in n.inputs:
                self.readers[i] = self.readers.get(i, 0) + 1
        lines = max(sum(_line_h(s) for _, s in _lines(n)) for n in graph.nodes if n.kind not in THIN + JOINS)
        self.box_h = lines + 2 * PAD
        self.left: dict[int, float] = {}
        self.base: dict[int, float] = {}
        self.arcs: dict[tuple[int, int], float] = {}
        self.stuck: set[tuple[int, int]] = set()
        self.memo: dict[int, _Extent] = {}

    # sizes of single nodes
    def width(self, n: Node) -> float:
        if n.kind in THIN:
            return STRIP
        if n.kind in JOINS:
            return max(2 * RADIUS, text_width(n.shape_text, SMALL))
        lines = _lines(n)
        w = max(text_width(t, s, "bold" if k == 0 else "normal") for k, (t, s) in enumerate(lines)) + 2 * PAD
        return max(w, 0.5) + (0.06 if n.repeat > 1 else 0)

    def height(self, n: Node) -> float:
        return n.lanes * self.box_h + (n.lanes - 1) * LANE_GAP

    def lane_ys(self, n: Node) -> list[float]:
        """The centre y of each lane of ``n``, top first."""
        top = self.base[n.id] + self.height(n) / 2
        return [top - self.box_h / 2 - k * (self.box_h + LANE_GAP) for k in range(n.lanes)]

    def right(self, n: Node) -> float:
        return self.left[n.id] + self.width(n)

    # which neighbours touch: a strip sits against the layer it follows, or else the one after it
    def _touching(self, a: Node, b: Node) -> bool:
        return (
            b.inputs == (a.id,)
            and self.readers.get(a.id) == 1
            and a.lanes == b.lanes
            and a.scope == b.scope
            and not {a.kind, b.kind} & set(JOINS + ("input", "block"))
        )

    def gaps(self, items: list[Item]) -> list[float]:
        """The gap after each item but the last: ``STICK`` between a strip and its layer."""
        out, attached = [], False  # attached: the strips just passed sit against the layer before them
        for a, b in zip(items, items[1:], strict=False):
            gap = GAP
            if isinstance(a, int) and isinstance(b, int):
                na, nb = self.by_id[a], self.by_id[b]
                touching = self._touching(na, nb)
                if nb.kind in THIN:
                    attached = touching and (na.kind not in THIN or attached)
                    stuck = touching
                else:
                    stuck = touching and na.kind in THIN and not attached
                if stuck:
                    gap = STICK
                    self.stuck.add((a, b))
            out.append(gap)
        return out

    # extents of items
    def extent(self, item: Item) -> _Extent:
        key = id(item) if not isinstance(item, int) else -1 - item
        if key not in self.memo:
            self.memo[key] = self._extent(item)
        return self.memo[key]

    def _extent(self, item: Item) -> _Extent:
        if isinstance(item, int):
            h = self.height(self.by_id[item]) / 2
            return _Extent(self.width(self.by_id[item]), h, h)
        if isinstance(item, Tangle):
            seq = self.sequence(item.ids)
            return _Extent(seq.width, seq.above + self._tangle_levels(item) * ARC_STEP, seq.below)
        ys, extents = self._branch_ys(item)
        base = self._par_base(item, ys)
        above = (
            max(y + e.above for y, e in zip(ys, extents, strict=False))
            - base
            + (ARC_STEP if item.skip else 0)
        )
        below = base - min(y - e.below for y, e in zip(ys, extents, strict=False))
        return _Extent(max(e.width for e in extents), above, below)

    def sequence(self, items: list[Item]) -> _Extent:
        extents = [self.extent(i) for i in items]
        return _Extent(
            sum(e.width for e in extents) + sum(self.gaps(items)),
            max(e.above for e in extents),
            max(e.below for e in extents),
        )

    def _branch_ys(self, par: Par) -> tuple[list[float], list[_Extent]]:
        extents = [self.sequence(b) for b in par.branches]
        ys, y = [], 0.0
        for k, e in enumerate(extents):
            if k:
                y -= extents[k - 1].below + BRANCH_GAP + e.above
            ys.append(y)
        return ys, extents

    def _par_base(self, par: Par, ys: list[float]) -> float:
        """The y of the nodes around ``par``: in line with its longest branch, if one is longest,
        else halfway between its first and last branches."""
        sizes = [_length(b) for b in par.branches]
        longest = max(sizes)
        return ys[sizes.index(longest)] if sizes.count(longest) == 1 else (ys[0] + ys[-1]) / 2

    def _tangle_spans(self, t: Tangle) -> list[tuple[int, int, int, int]]:
        """(a, b, source, target) of each arc of a tangle, a and b the positions in its lane."""
        order = [t.src] + t.ids + [t.dst]
        pos = {v: i for i, v in enumerate(order)}
        return [
            (pos[u], pos[v], u, v)
            for v in order[1:]
            for u in self.by_id[v].inputs
            if u in pos and pos[v] - pos[u] > 1 and (u, v) != (t.src, t.dst)
        ]

    def _tangle_levels(self, t: Tangle) -> int:
        return max(_arc_levels([(a, b) for a, b, _, _ in self._tangle_spans(t)]), default=0)

    # placing
    def place_sequence(self, items: list[Item], x: float, base: float) -> None:
        for item, gap in zip(items, self.gaps(items) + [0.0], strict=False):
            self.place(item, x, base)
            x += self.extent(item).width + gap

    def place(self, item: Item, x: float, base: float) -> None:
        if isinstance(item, int):
            self.left[item], self.base[item] = x, base
        elif isinstance(item, Tangle):
            self.place_sequence(item.ids, x, base)
            spans = self._tangle_spans(item)
            top = base + self.sequence(item.ids).above
            for (_, _, u, v), level in zip(
                spans, _arc_levels([(a, b) for a, b, _, _ in spans]), strict=False
            ):
                self.arcs[(u, v)] = top + level * ARC_STEP - 0.04
        else:
            ys, extents = self._branch_ys(item)
            shift = base - self._par_base(item, ys)
            for branch, y in zip(item.branches, ys, strict=False):
                self.place_sequence(branch, x, y + shift)
            if item.skip:
                inner = max(y + e.above for y, e in zip(ys, extents, strict=False)) + shift
                self.arcs[(item.src, item.dst)] = inner + ARC_STEP - 0.04


def rows(layout: _Layout, items: list[Item], max_width: float) -> list[list[Item]]:
    """``items`` in as few rows no wider than ``max_width`` as can be, of widths as even as can
    be. A row ends only at a node of one lane whose one edge goes to the next node (no arc, no
    strip and no branch crosses the break)."""
    widths = [layout.extent(i).width for i in items]
    gaps = layout.gaps(items) + [0.0]
    by_id = layout.by_id

    def breakable(k: int) -> bool:  # a break before items[k]
        a, b = items[k - 1], items[k]
        return (
            isinstance(a, int)
            and isinstance(b, int)
            and gaps[k - 1] == GAP
            and by_id[a].lanes == 1
            and by_id[b].inputs == (a,)
            and layout.readers.get(a) == 1
        )

    def width(start: int, end: int) -> float:
        return sum(widths[start:end]) + sum(gaps[start : end - 1])

    # best[k]: (overflow, rows, widest row) of the items before k, broken before k; back[k]: the row's start
    ends = [k for k in range(1, len(items)) if breakable(k)] + [len(items)]
    best: dict[int, tuple[float, int, float]] = {0: (0.0, 0, 0.0)}
    back: dict[int, int] = {}
    for end in ends:
        for start in best.copy():
            if start >= end:
                continue
            w = width(start, end)
            over, count, widest = best[start]
            cost = (over + max(0.0, w - max_width), count + 1, max(widest, w))
            if end not in best or cost < best[end]:
                best[end], back[end] = cost, start
    out, end = [], len(items)
    while end:
        out.append(items[back[end] : end])
        end = back[end]
    return out[::-1]


# ------------------------------------------------------------------------------------ drawing


def _text_colour(fill: str) -> str:
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.45 else "white"


class _Painter:
    """Draws the nodes and edges of a placed layout on ``ax`` (in inches)."""

    def __init__(self, layout: _Layout, ax) -> None:
        self.layout, self.ax = layout, ax
        self.graph = layout.graph
        self.arc_x = self._spread()

    def _spread(self) -> dict[tuple[str, int, int], float]:
        """Where each arc leaves its source and meets its target: spread over the node's top, the
        outer arcs leaving further left and arriving further right, so that arcs do not cross there."""
        L, ends = self.layout, {}
        for side in ("out", "in"):
            at: dict[int, list[tuple[int, int]]] = {}
            for u, v in L.arcs:
                at.setdefault(u if side == "out" else v, []).append((u, v))
            for node_id, arcs in at.items():
                n = L.by_id[node_id]
                half = 0.7 * RADIUS if n.kind in JOINS else min(0.3 * L.width(n), 0.25)
                centre = L.left[node_id] + L.width(n) / 2
                arcs.sort(key=lambda e: L.arcs[e], reverse=side == "out")
                for k, (u, v) in enumerate(arcs):
                    offset = 0.0 if len(arcs) == 1 else -half + 2 * half * k / (len(arcs) - 1)
                    ends[(side, u, v)] = centre + offset
        return ends

    def node(self, n: Node) -> None:
        L = self.layout
        x, w = L.left[n.id], L.width(n)
        boxes = []
        fill = COLOURS.get(n.kind, COLOURS["other"])
        for y in L.lane_ys(n):
            if n.kind in JOINS:
                cx = x + w / 2
                self.ax.add_patch(Circle((cx, y), RADIUS, facecolor=fill, edgecolor="none", zorder=3))
                self.ax.text(
                    cx,
                    y,
                    _SYMBOLS[n.kind],
                    ha="center",
                    va="center_baseline",
                    fontsize=FONT + 1.5,
                    color="white",
                    fontweight="bold",
                    zorder=4,
                )
                self.ax.text(
                    cx, y - RADIUS - 0.03, n.shape_text, ha="center", va="top", fontsize=SMALL, zorder=4
                )
                boxes.append((cx - RADIUS, y - RADIUS, 2 * RADIUS, 2 * RADIUS))
                continue
            h = L.box_h
            if n.repeat > 1:
                for k in (2, 1):
                    self.ax.add_patch(
                        FancyBboxPatch(
                            (x + 0.03 * k, y - h / 2 + 0.03 * k),
                            w - 0.06,
                            h - 0.06,
                            boxstyle="round,pad=0,rounding_size=0.04",
                            facecolor=fill,
                            edgecolor="white",
                            linewidth=0.8,
                            zorder=2,
                        )
                    )
                box = (x, y - h / 2, w - 0.06, h - 0.06)
            else:
                box = (x, y - h / 2, w, h)
            self.ax.add_patch(
                FancyBboxPatch(
                    box[:2],
                    box[2],
                    box[3],
                    boxstyle="round,pad=0,rounding_size=0.04",
                    facecolor=fill,
                    edgecolor="black" if n.kind == "input" else "white",
                    linewidth=0.8,
                    zorder=3,
                )
            )
            boxes.append(box)
            colour = _text_colour(fill)
            cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
            if n.kind in THIN:
                self.ax.text(
                    cx,
                    cy,
                    n.label[0],
                    rotation=90,
                    ha="center",
                    va="center",
                    fontsize=SMALL,
                    color=colour,
                    zorder=4,
                )
                continue
            lines = _lines(n)
            y_text = cy + sum(_line_h(s) for _, s in lines) / 2
            for k, (text, size) in enumerate(lines):
                y_text -= _line_h(size)
                self.ax.text(
                    cx,
                    y_text + _line_h(size) / 2,
                    text,
                    ha="center",
                    va="center",
                    fontsize=size,
                    color=colour,
                    zorder=4,
                    fontweight="bold" if k == 0 else None,
                )
        self.graph.boxes[n.id] = boxes

    def _arrow(self, points: list[tuple[float, float]], curved: bool = False) -> None:
        """An arrow along ``points``; ``curved``: an arc from points[0] up to the height of
        points[2] and down to points[1], with rounded corners."""
        if curved:
            (x0, y0), (x1, y1), peak = points[0], points[1], points[2][1]
            r = min(0.12, abs(x1 - x0) / 2)
            verts = [
                (x0, y0),
                (x0, peak - r),
                (x0, peak),
                (x0 + r, peak),
                (x1 - r, peak),
                (x1, peak),
                (x1, peak - r),
                (x1, y1),
            ]
            codes = [
                Path.MOVETO,
                Path.LINETO,
                Path.CURVE3,
                Path.CURVE3,
                Path.LINETO,
                Path.CURVE3,
                Path.CURVE3,
                Path.LINETO,
            ]
        else:
            verts, codes = points, [Path.MOVETO] + [Path.LINETO] * (len(points) - 1)
        patch = FancyArrowPatch(
            path=Path(verts, codes),
            arrowstyle="-|>,head_length=3,head_width=1.8",
            color="#333333",
            linewidth=0.8,
            shrinkA=0,
            shrinkB=0,
            zorder=1,
            joinstyle="round",
            capstyle="round",
        )
        self.ax.add_patch(patch)

    def _ends(self, n: Node) -> tuple[float, float]:
        """x where edges leave and enter ``n``: a join's circle, else its box."""
        L = self.layout
        if n.kind in JOINS:
            cx = L.left[n.id] + L.width(n) / 2
            return cx + RADIUS, cx - RADIUS
        return L.right(n), L.left[n.id]

    def edge(self, u: Node, v: Node) -> None:
        L = self.layout
        if (u.id, v.id) in L.stuck:
            return
        if (u.id, v.id) in L.arcs:
            top_u = L.base[u.id] + (RADIUS if u.kind in JOINS else L.height(u) / 2)
            top_v = L.base[v.id] + (RADIUS if v.kind in JOINS else L.height(v) / 2)
            self._arrow(
                [
                    (self.arc_x[("out", u.id, v.id)], top_u),
                    (self.arc_x[("in", u.id, v.id)], top_v),
                    (0, L.arcs[(u.id, v.id)]),
                ],
                curved=True,
            )
            return
        out_x, _ = self._ends(u)
        _, in_x = self._ends(v)
        if u.lanes == v.lanes:
            pairs = list(zip(L.lane_ys(u), L.lane_ys(v), strict=False))
        else:
            pairs = [(a, b) for a in L.lane_ys(u) for b in L.lane_ys(v)]
        # Where one node feeds several, the lines split beside it; where several meet, beside the target.
        fan_out = L.readers.get(u.id, 0) > 1 or u.lanes < v.lanes
        bus = L.right(u) + GAP / 2 if fan_out else L.left[v.id] - GAP / 2
        for ya, yb in pairs:
            if abs(ya - yb) < 1e-6:
                self._arrow([(out_x, ya), (in_x, yb)])
            else:
                self._arrow([(out_x, ya), (bus, ya), (bus, yb), (in_x, yb)])

    def wrap(self, u: Node, v: Node, y_mid: float, x_left: float) -> None:
        """The line from the last node of a row to the first of the next (to each of its lanes)."""
        L = self.layout
        out_x, _ = self._ends(u)
        _, in_x = self._ends(v)
        y_u, x_right = L.base[u.id], L.right(u) + GAP / 2
        for y_v in L.lane_ys(v):
            self._arrow(
                [(out_x, y_u), (x_right, y_u), (x_right, y_mid), (x_left, y_mid), (x_left, y_v), (in_x, y_v)]
            )


def _legend_handles(graph: Graph) -> list:
    """One legend entry per kind of node drawn (kinds drawn alike share one)."""
    handles, seen = [], set()
    kinds = {n.kind for n in graph.nodes}
    for kind in COLOURS:
        if kind not in kinds or kind == "input":
            continue
        if kind in JOINS:
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="none",
                    markersize=8,
                    markerfacecolor=COLOURS[kind],
                    markeredgecolor="none",
                    label=f"{_SYMBOLS[kind]}  {_JOIN_NAMES[kind]}",
                )
            )
        elif _LEGEND[kind] not in seen:
            seen.add(_LEGEND[kind])
            handles.append(Patch(facecolor=COLOURS[kind], edgecolor="none", label=_LEGEND[kind]))
    return handles


_LEGEND_FONT = SMALL + 0.5


def _legend_width(handles: list) -> float:
    em = _LEGEND_FONT / 72
    return sum(text_width(h.get_label(), _LEGEND_FONT) + (1.2 + 0.4 + 1.2) * em for h in handles)


def _measure(graph: Graph, max_width: float) -> tuple[_Layout, list[list[Item]], float, float]:
    layout = _Layout(graph)
    items = structure(graph)
    lines = rows(layout, items, max_width - 2 * MARGIN - GAP)
    extents = [layout.sequence(r) for r in lines]
    width = max(e.width for e in extents) + 2 * MARGIN + GAP
    height = (
        sum(e.above + e.below for e in extents) + ROW_GAP * (len(lines) - 1) + TITLE_H + LEGEND_H + MARGIN
    )
    return layout, lines, width, height


def _view(traced: Graph, detail: str) -> Graph:
    return with_lanes(fold(collapse(traced)) if detail == "blocks" else traced)


@dataclasses.dataclass
class Plan:
    """A diagram measured but not yet drawn: the graph, its layout in rows, the title and legend,
    and the size in inches it needs (``width`` x ``height``)."""

    graph: Graph
    layout: _Layout
    lines: list[list[Item]]
    width: float
    height: float
    content: float
    """Width of the rows of nodes (the title or legend may make the diagram wider)."""
    title: str
    handles: list


def plan(
    module: nn.Module,
    input_size: Sequence[int],
    *,
    detail: str = "auto",
    title: str | None = None,
    max_width: float = 10.0,
) -> Plan:
    """Trace ``module`` on ``input_size`` and measure its diagram (the arguments are ``diagram``'s)."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be an nn.Module (a block or a model), got {type(module).__name__}")
    size = check_input_size(input_size)
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {DETAILS}, got {detail!r}")
    if isinstance(max_width, bool) or not isinstance(max_width, (int, float)) or not max_width >= 3:
        raise ValueError(f"max_width must be a number of inches >= 3, got {max_width!r}")
    traced = trace(module, size)
    graph = _view(traced, "layers" if detail == "auto" else detail)
    layout, lines, width, height = _measure(graph, max_width)
    if detail == "auto" and (width > max_width or height > max_width * ASPECT):
        blocks = _view(traced, "blocks")
        if len(blocks.nodes) < len(graph.nodes):
            graph = blocks
            layout, lines, width, height = _measure(graph, max_width)

    handles = _legend_handles(graph)
    name = (
        title
        if title is not None
        else (f"{type(module).__name__}: input {'x'.join(map(str, size))}, {graph.params:,} parameters")
    )
    content = width
    width = max(
        width, _legend_width(handles) + 2 * MARGIN + 0.2, text_width(name, TITLE_FONT, "bold") + 2 * MARGIN
    )
    return Plan(graph, layout, lines, _whole_pixels(width), _whole_pixels(height), content, name, handles)


def _whole_pixels(inches: float) -> float:
    """``inches`` rounded up to 0.01 inch (a whole pixel at 100 dpi): text is measured a little
    differently by each matplotlib release, and a figure's size is part of its printed output."""
    return math.ceil(round(inches * 100, 6)) / 100


def paint(p: Plan, fig: Figure, left: float = 0.0, bottom: float = 0.0) -> Graph:
    """Draw ``p`` on ``fig`` in a ``p.width`` x ``p.height`` area whose bottom left corner is
    ``left``, ``bottom`` inches from the figure's; returns the graph, its boxes filled in (in
    inches from that corner). The area gets an axes of its own, its legend sits at its foot."""
    fig_w, fig_h = fig.get_size_inches()
    width, height, layout, graph = p.width, p.height, p.layout, p.graph
    ax = fig.add_axes((left / fig_w, bottom / fig_h, width / fig_w, height / fig_h))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    top = height - TITLE_H
    x0 = MARGIN + GAP / 2 + (width - p.content) / 2
    row_bases = []
    for row in p.lines:
        e = layout.sequence(row)
        base = top - e.above
        layout.place_sequence(row, x0, base)
        row_bases.append((top - e.above - e.below, row))
        top = base - e.below - ROW_GAP
    painter = _Painter(layout, ax)
    for n in graph.nodes:
        painter.node(n)
    wraps = {(a[-1], b[0]) for (_, a), (_, b) in zip(row_bases, row_bases[1:], strict=False)}
    for n in graph.nodes:
        for i in n.inputs:
            if (i, n.id) not in wraps:
                painter.edge(layout.by_id[i], n)
    for (bottom_row, a), (_, b) in zip(row_bases, row_bases[1:], strict=False):
        painter.wrap(layout.by_id[a[-1]], layout.by_id[b[0]], bottom_row - ROW_GAP / 2, x0 - GAP / 4)
    ax.text(
        MARGIN, height - TITLE_H / 2, p.title, ha="left", va="center", fontsize=TITLE_FONT, fontweight="bold"
    )
    if p.handles:
        fig.legend(
            handles=p.handles,
            loc="lower center",
            ncol=len(p.handles),
            fontsize=_LEGEND_FONT,
            frameon=False,
            handlelength=1.2,
            handletextpad=0.4,
            columnspacing=1.2,
            borderaxespad=0.2,
            bbox_to_anchor=((left + width / 2) / fig_w, bottom / fig_h),
        )
    graph.arcs = set(layout.arcs)
    return graph


def diagram(
    module: nn.Module,
    input_size: Sequence[int],
    *,
    detail: str = "auto",
    title: str | None = None,
    max_width: float = 10.0,
) -> Figure:
    """Draw ``module``'s architecture as it runs on one image of shape ``input_size`` (C, H, W).

    Returns the matplotlib figure; ``fig.graph`` is the :class:`~cnnlessons.views.graph.Graph`
    it drew (its nodes in forward order with kind, label, output shape, parameters, inputs,
    lanes and repeats; its edges; and each node's boxes in inches). ``detail``: see
    ``DETAILS``. The figure is at most ``max_width`` inches wide where the graph can be
    wrapped into rows, and fits a 16:9 slide when ``detail="auto"`` can make it.

    >>> fig = diagram(build_model("resnet20"), (3, 32, 32))        # doctest: +SKIP
    >>> [n.repeat for n in fig.graph.of_kind("block")]            # doctest: +SKIP
    [3, 1, 2, 1, 2]
    """
    p = plan(module, input_size, detail=detail, title=title, max_width=max_width)
    fig = plt.figure(figsize=(p.width, p.height))
    fig.graph = paint(p, fig)  # type: ignore[attr-defined]
    return fig
