"""Where a shipped checkpoint goes wrong on the test split, from its record
(``cnnlessons.models.converged``): its accuracy on each class and its confusion matrix
(``plot_class_errors``), and its most confident mistakes (``plot_mistakes``, on the images that
``cnnlessons.runs.errors.confident_mistakes_on`` picks). Every title gives the checkpoint's test
accuracy (``checkpoint_accuracy``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from torch import Tensor

from ..i18n import _
from ..models.converged import confusion_matrix, load_record, per_class_accuracy
from .images import RIGHT, show_images

__all__ = ["Mistakes", "checkpoint_accuracy", "checkpoint_title", "plot_class_errors", "plot_mistakes"]


def checkpoint_accuracy(name: str) -> float:
    """Checkpoint ``name``'s test accuracy as its record gives it (the figure ``look_inside`` and
    the checkpoint table quote; the confusion matrix, measured on the float16 weights it ships,
    agrees within 0.2 points)."""
    return float(load_record(name)["test_acc"])


def checkpoint_title(name: str, what: str | None = None) -> str:
    """``name trained to the end (81.2% test accuracy)``, then ``: what`` where given."""
    model = _("{name} trained to the end ({accuracy:.1%} test accuracy)").format(
        name=name, accuracy=checkpoint_accuracy(name)
    )
    return model if what is None else f"{model}: {what}"


def plot_class_errors(name: str, *, per_class: bool = True, min_share: float = 0.02) -> Figure:
    """Checkpoint ``name``'s errors by class on the test split: its accuracy on each class (bars,
    lowest first, each labelled; left out with ``per_class=False``) and its confusion matrix, each
    row in percent of its true class, so that the diagonal is each class's accuracy. The diagonal
    and every other share of at least ``min_share`` are written in their cells. Returns the figure."""
    if not 0 <= min_share <= 1:
        raise ValueError(f"min_share must be a share between 0 and 1, got {min_share!r}")
    classes, counts = confusion_matrix(name)
    shares = counts.double() / counts.sum(dim=1, keepdim=True).clamp_min(1).double()
    if per_class:
        fig, (bars, grid) = plt.subplots(1, 2, figsize=(11.5, 4.8), gridspec_kw={"width_ratios": [1, 1.4]})
        by_class = per_class_accuracy(name)
        order = sorted(by_class, key=by_class.__getitem__)
        bars.barh(order, [by_class[c] for c in order], color=RIGHT)
        for i, c in enumerate(order):
            bars.text(by_class[c] + 0.01, i, f"{by_class[c]:.0%}", va="center", fontsize=8)
        bars.set_xlim(0, 1.12)
        bars.tick_params(axis="y", labelsize=8)
        bars.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _pos: f"{v:.0%}"))
        bars.set_xlabel(_("test accuracy on the class"))
        what = _("accuracy per class, and the confusion matrix (percent of each true class)")
    else:
        fig, grid = plt.subplots(figsize=(5.8, 5.0))
        what = _("the confusion matrix (percent of each true class)")
    grid.imshow(shares.numpy(), cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            if i == j or shares[i, j] >= min_share:
                grid.text(
                    j,
                    i,
                    f"{100 * shares[i, j]:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if shares[i, j] > 0.5 else "black",
                )
    grid.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=8)
    grid.set_yticks(range(len(classes)), classes, fontsize=8)
    grid.set_xlabel(_("predicted class (percent of the true class's test images)"))
    grid.set_ylabel(_("true class"))
    fig.suptitle(checkpoint_title(name, what), fontsize=10)
    fig.tight_layout()
    return fig


@dataclasses.dataclass(frozen=True)
class Mistakes:
    """Checkpoint ``name``'s most confident mistakes on the learner's test images, most confident
    first: the images, the predicted and the true class of each (indices into the data's classes)
    and the probability it gave the wrong class; or, where they cannot be shown, ``images`` None
    and ``why`` in one sentence."""

    name: str
    images: Tensor | None
    predicted: list[int]
    truth: list[int]
    probability: list[float]
    why: str = ""

    def __len__(self) -> int:
        return len(self.predicted)


def plot_mistakes(mistakes: Mistakes, classes: Sequence[str], *, ncols: int = 8, size: float = 1.3) -> Figure:
    """The images of ``mistakes`` (``runs.errors.confident_mistakes_on``), each titled with the
    wrong prediction above the true class, under the checkpoint's name and test accuracy.
    Returns the figure."""
    if mistakes.images is None:
        raise ValueError(f"mistakes: no images to show ({mistakes.why})")
    what = _("its {n} most confident mistakes").format(n=len(mistakes))
    return show_images(
        mistakes.images,
        mistakes.predicted,
        classes,
        truth=mistakes.truth,
        ncols=min(ncols, max(1, len(mistakes))),
        size=size,
        title=checkpoint_title(mistakes.name, what),
    )
