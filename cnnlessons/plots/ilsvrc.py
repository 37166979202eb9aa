"""The course-wide figure of the ImageNet challenge's winners (``ILSVRC_RESULTS``, ``plot_ilsvrc``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import matplotlib.pyplot as plt

from ..i18n import N_, _


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
    """Other top-5 errors (percent) of the same team, each with what it was (in English, translated
    where drawn)."""

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
        also=((16.4, N_("5 CNNs, no extra data")),),
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
        also=((6.8, N_("2 CNNs, after\nthe challenge")),),
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
    N_(
        "Depth: layers with weights of the network the entry is known by. Every CNN entry averaged the "
        "predictions of several networks;"
    ),
    N_(
        "a single network of the same design did worse. DenseNet (Huang et al., CVPR 2017) came after "
        "these results and won no ILSVRC."
    ),
)
ILSVRC_TITLE = N_("ImageNet challenge (ILSVRC), classification: top-5 error on the test set")


def _place(n: int) -> str:
    if n == 2:
        return _("2nd place")
    if n == 3:
        return _("3rd place")
    return _("{n}th place").format(n=n)


def plot_ilsvrc(
    results: Sequence[ILSVRCEntry] = ILSVRC_RESULTS,
    *,
    title: str = ILSVRC_TITLE,
):
    """The winners' top-5 error by year: one bar per entry, labelled with its error, its depth and
    its ensemble; the years before CNNs shaded; the sources numbered beneath. Returns the figure
    (10 inches wide, a notebook's width). The default title is translated; one passed is drawn
    as given."""
    if not results:
        raise ValueError("results must hold at least one entry")
    entries = sorted(results, key=lambda e: (e.year, e.place))
    years = sorted({e.year for e in entries})
    notes = [_(note) for note in _ILSVRC_NOTES] + [f"[{n}] {e.citation}" for n, e in enumerate(entries, 1)]
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
            + ("" if e.place == 1 else f"\n{_place(e.place)}")
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
        top = max([e.top5_error] + [value for value, _what in e.also])
        for value, _what in e.also:  # another entry of the team: a dashed outline
            ax.add_patch(
                plt.Rectangle(
                    (cx - w / 2, 0), w, value, fill=False, ls="--", lw=1.0, edgecolor="black", zorder=3
                )
            )
        above = []
        if e.cnn:
            above += [
                _("{depth} layers").format(depth=e.depth),
                _("ensemble") if e.networks is None else _("ensemble\nof {n}").format(n=e.networks),
            ]
        else:
            above += [_("not a CNN")]
        above += [
            _("dashed: {value:g}%,\n{what}").format(value=value, what=_(what)) for value, what in e.also
        ]
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
            _("before CNNs"),
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
    ax.set_ylabel(_("top-5 error (%)"))
    ax.grid(axis="y", alpha=0.3, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    kinds = [(_NOT_CNN, _("not a CNN")), (_WINNER, _("CNN, the winner")), (_SECOND, _("CNN, second place"))]
    used = [
        plt.Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="black", lw=0.6, label=label)
        for c, label in kinds
        if c in colours
    ]
    ax.legend(handles=used, loc="upper right", fontsize=8, frameon=False)
    if title:
        ax.set_title(_(title) if title == ILSVRC_TITLE else title, fontsize=11, pad=8)
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
