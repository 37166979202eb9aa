"""The views explorer: pick an image and a stage of a trained model; see that stage's feature
maps and where, at that stage, the model finds the evidence for its prediction (Grad-CAM). And
``look_inside(model, data)``: every lesson's look-inside section in one call."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

from ..data import CourseData
from ..frontend import inline
from ..i18n import _
from ..views.cam import gradcam, plot_gradcam, predict
from ..views.plumbing import fold_layers
from ..views.stages import (
    SHAPE_COLUMNS,
    as_batch,
    display_image,
    feature_maps,
    plot_feature_maps,
    shape_table,
    stages,
)
from .base import Explorer

__all__ = ["LookInside", "ViewsExplorer", "look_inside"]


class ViewsExplorer(Explorer):
    """Choose an image and a stage; the figure shows the image, its Grad-CAM map at that stage
    (for the predicted class) and the stage's most active feature maps.

    ``ViewsExplorer(model, data)`` takes the first ``n_images`` test images of ``data``; or pass
    ``images`` (normalised, N x C x H x W) with ``labels`` and ``class_names`` (e.g. real photos
    for a model with ImageNet weights). Maps are computed once per (image, stage) and kept.
    ``model_title`` (which model, e.g. with its test accuracy) starts the figure's title.
    """

    figsize = (10.0, 3.6)

    def __init__(
        self,
        model: nn.Module,
        data: CourseData | None = None,
        *,
        n_images: int = 8,
        images: Tensor | None = None,
        labels: Sequence[int] | None = None,
        class_names: Sequence[str] | None = None,
        shown: Tensor | None = None,
        stage: str | None = None,
        channels: int = 8,
        model_title: str | None = None,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
        if (data is None) == (images is None):
            raise ValueError(
                "give data (a CourseData) or images (normalised N x C x H x W), not both or neither"
            )
        if data is not None:
            if isinstance(n_images, bool) or not isinstance(n_images, int) or n_images < 1:
                raise ValueError(f"n_images must be an int >= 1, got {n_images!r}")
            images, label_tensor = data.batch("test", n_images)
            labels = label_tensor.tolist()
            class_names = list(data.classes)
            shown = data.test_images[:n_images]
        images = as_batch(images, model).detach()
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"labels must give one class per image ({len(images)}), got {len(labels)}")
        if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
            raise ValueError(f"channels must be an int >= 1, got {channels!r}")
        self.model, self.images, self.channels = model, images, channels
        self.model_title = model_title
        self.labels = None if labels is None else [int(c) for c in labels]
        self.class_names = None if class_names is None else list(class_names)
        self.shown = images.cpu() if shown is None else shown
        self.stages = stages(model, tuple(images.shape[1:]))
        names = [s.name for s in self.stages]
        if stage is None:  # the last stage before the final pooling: the default Grad-CAM layer
            stage = next(
                s.name
                for s in reversed(self.stages)
                if not isinstance(s.modules[0], (nn.MaxPool2d, nn.AvgPool2d))
            )
        if stage not in names:
            raise ValueError(f"stage must be one of {', '.join(names)}, got {stage!r}")
        with torch.no_grad():
            was_training = model.training
            model.eval()
            try:
                probabilities = model(images).float().softmax(dim=1).cpu()
            finally:
                model.train(was_training)
        self.predictions = probabilities.argmax(dim=1).tolist()
        self.confidence = probabilities.max(dim=1).values.tolist()
        options = [(self._image_label(i), i) for i in range(len(images))]
        self.image = widgets.Dropdown(options=options, value=0, description=_("image"))
        self.stage = widgets.Dropdown(options=names, value=stage, description=_("stage"))
        super().__init__(
            [self.image, self.stage],
            title=_("What the network sees: feature maps and Grad-CAM, stage by stage"),
        )

    def _name(self, c: int) -> str:
        return self.class_names[c] if self.class_names is not None else str(c)

    def _image_label(self, i: int) -> str:
        return f"{i}: {self._name(self.labels[i])}" if self.labels is not None else str(i)

    def maps(self, i: int, stage: str) -> tuple[Tensor, Tensor]:
        """The stage's output (C, H, W) and the Grad-CAM map (H, W) of image ``i`` at ``stage``."""

        def compute() -> tuple[Tensor, Tensor]:
            outputs: list[Tensor] = []

            def keep(module: nn.Module, args, out: Tensor) -> None:
                outputs.append(out.detach().float().cpu().clone())

            module = next(s for s in self.stages if s.name == stage).output_module
            handle = module.register_forward_hook(keep)
            try:
                cam = gradcam(self.model, self.images[i : i + 1], target_layer=module)[0]
            finally:
                handle.remove()
            return outputs[0][0], cam

        return self.cached((i, stage), compute)

    def draw(self, fig) -> str:
        i, stage = self.image.value, self.stage.value
        features, cam = self.maps(i, stage)
        c, h, w = features.shape
        k = min(self.channels, c)
        cols = (k + 1) // 2
        grid = fig.add_gridspec(2, 2 + cols, width_ratios=[2, 2] + [1] * cols)
        shown = display_image(self.shown[i])
        ax = fig.add_subplot(grid[:, 0])
        ax.imshow(**shown)
        pred = self.predictions[i]
        truth = (
            "" if self.labels is None else _("true: {name}").format(name=self._name(self.labels[i])) + "\n"
        )
        predicted = _("pred: {name} ({confidence:.0%})").format(
            name=self._name(pred), confidence=self.confidence[i]
        )
        ax.set_title(truth + predicted, fontsize=8)
        ax.set_axis_off()
        ax = fig.add_subplot(grid[:, 1])
        ax.imshow(**shown)
        size = self.shown[i].shape[-2:]
        ax.imshow(
            cam.numpy(),
            cmap="jet",
            alpha=0.5,
            vmin=0,
            vmax=1,
            extent=(-0.5, size[1] - 0.5, size[0] - 0.5, -0.5),
        )
        ax.set_title(_("Grad-CAM at {stage}").format(stage=stage), fontsize=8)
        ax.set_axis_off()
        order = features.mean(dim=(1, 2)).argsort(descending=True)[:k].tolist()
        for j, ch in enumerate(order):
            ax = fig.add_subplot(grid[j // cols, 2 + j % cols])
            ax.imshow(features[ch].numpy(), cmap="viridis")
            ax.set_title(_("ch {channel}").format(channel=ch), fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
        title = _("{stage}: {c} maps of {h}x{w}, the {k} most active").format(stage=stage, c=c, h=h, w=w, k=k)
        if self.model_title:
            title = f"{self.model_title}; {title}"
        fig.suptitle(title, fontsize=9)
        peak = int(cam.argmax())
        where = (
            _("its Grad-CAM map peaks at row {row}, column {column}").format(
                row=peak // cam.shape[1], column=peak % cam.shape[1]
            )
            if cam.max() > 0
            else _("no positive Grad-CAM evidence at this stage")
        )
        verdict = "" if self.labels is None else (_(" (right)") if pred == self.labels[i] else _(" (wrong)"))
        return _(
            "image {i}: predicted {name} with {confidence:.0%}{verdict}; "
            "stage {stage}: {c} maps of {h}x{w}; {where}"
        ).format(
            i=i,
            name=self._name(pred),
            confidence=self.confidence[i],
            verdict=verdict,
            stage=stage,
            c=c,
            h=h,
            w=w,
            where=where,
        )


@dataclasses.dataclass
class LookInside:
    """What ``look_inside`` showed: the model it looked at, the layer table, the two figures and
    the explorer. Last in a cell, it shows the explorer."""

    model: nn.Module
    which: str
    """Which model it is, in words (the section's first line)."""
    table: str
    feature_maps: Figure
    gradcam: Figure
    explorer: ViewsExplorer
    accuracy: float | None = None
    """The test accuracy of the model it looked at, where known: the checkpoint's record's, or the
    one passed as ``accuracy=`` for the run's own model."""

    @property
    def title(self) -> str:
        """Which model it is, in a few words, for a figure's title."""
        return _title(self.which)

    @property
    def titled(self) -> str:
        """``title`` with the test accuracy where known: ``small_vgg trained to the end (81.2% test
        accuracy)``."""
        return _with_accuracy(self.title, self.accuracy)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.explorer)


def look_inside(
    model: nn.Module,
    data: CourseData,
    *,
    converged: str | None = None,
    images: int = 8,
    channels: int = 6,
    fold_table: bool = False,
    accuracy: bool | float = False,
) -> LookInside:
    """A lesson's look inside a trained model, in order: its layer-by-layer shape table, the
    most active ``channels`` feature maps of every stage on the first test image of ``data``,
    Grad-CAM on the first ``images`` test images (true and predicted classes), and the
    image-and-stage explorer (its figure, its readout, then the live widget).

    ``converged`` names the shipped checkpoint of the same network (``"small_densenet"``, see
    ``build_model(name, weights="cifar10")``): where ``data`` is CIFAR-10 the look is at that
    model trained to the end, whose accuracy the titles give. Without it, or on data those weights
    cannot take (the smoke profile's 16x16 digits), the look is at ``model``, the run's own, and
    the first line says which.

    ``fold_table=True`` folds the layer table under one line (``views.fold_layers``: parameters
    and mult-adds) instead of printing it. ``accuracy`` puts the model's test accuracy into every
    figure's title: ``True`` where the look is at the checkpoint (its record's), a float (``model``'s
    own, e.g. ``history.test_acc``) also where it is at ``model``. The defaults print and draw
    what they always did.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not isinstance(data, CourseData):
        raise TypeError(f"data must be a CourseData (load_data(profile)), got {type(data).__name__}")
    if isinstance(images, bool) or not isinstance(images, int) or images < 1:
        raise ValueError(f"images must be an int >= 1, got {images!r}")
    if not isinstance(accuracy, (bool, float)) or (not isinstance(accuracy, bool) and not 0 <= accuracy <= 1):
        raise ValueError(f"accuracy must be True, False or a test accuracy between 0 and 1, got {accuracy!r}")
    own = model
    model, which = _which_model(model, data, converged)
    print(which)
    if fold_table:
        table = str(fold_layers(model, data.input_size, **SHAPE_COLUMNS))
    else:
        table = str(shape_table(model, data.input_size))
        print(table)
    x, y = data.batch("test", images)
    x = x.to(next(model.parameters()).device)
    known = _accuracy(model, own, accuracy)
    title = _with_accuracy(_title(which), known)
    maps = plot_feature_maps(
        feature_maps(model, x[0]),
        channels=channels,
        image=data.test_images[0],
        title=_("feature maps of {model}").format(model=title),
    )
    _show(maps)
    cams = plot_gradcam(
        data.test_images[:images],
        gradcam(model, x),
        y,
        predict(model, x),
        data.classes,
        title=_("Grad-CAM of {model}").format(model=title),
    )
    _show(cams)
    explorer = ViewsExplorer(model, data, n_images=images, model_title=title if known is not None else None)
    explorer.static()
    print(explorer.text)
    return LookInside(model, which, table, maps, cams, explorer, known)


def _accuracy(shown: nn.Module, own: nn.Module, accuracy: bool | float) -> float | None:
    """The test accuracy ``look_inside`` titles ``shown`` with: the checkpoint's record's, or the
    float given for the run's own model; None where it was not asked for or is not known."""
    if accuracy is False:
        return None
    if shown is not own:
        record: dict = shown.checkpoint_record  # type: ignore[assignment]  # set by load_converged
        return float(record["test_acc"])
    return None if accuracy is True else float(accuracy)


def _which_model(model: nn.Module, data: CourseData, converged: str | None) -> tuple[nn.Module, str]:
    own = _("this run's own model: {model}").format(model=_run_summary(model))
    if converged is None:
        return model, own
    from ..models import build_model
    from ..runs.converged import CONVERGED

    if converged not in CONVERGED:
        raise ValueError(f"converged must be one of {', '.join(CONVERGED)} or None, got {converged!r}")
    if data.input_size != (3, 32, 32) or data.num_classes != 10:
        return model, _(
            "{own} (the converged {converged} takes CIFAR-10's 3x32x32 images; {data} has {size})"
        ).format(
            own=own,
            converged=converged,
            data=data.name,
            size=f"{data.input_size[0]}x{data.input_size[1]}x{data.input_size[2]}",
        )
    run = CONVERGED[converged].runs[0]
    name, kwargs = run.model, dict(run.model_kwargs)
    try:
        trained = build_model(name, weights="cifar10", **kwargs)
    except ValueError as error:
        return model, f"{own} ({error})"
    record = trained.checkpoint_record
    return trained, _(
        "{converged} trained to the end: test accuracy {accuracy:.1%} ({test_set}) after {epochs} "
        "epochs (build_model({name!r}, weights='cifar10'); converged=None looks at this run's own model)"
    ).format(
        converged=converged,
        accuracy=record["test_acc"],
        test_set=record["test_set"],
        epochs=record["epochs"],
        name=name,
    )


def _with_accuracy(title: str, accuracy: float | None) -> str:
    if accuracy is None:
        return title
    return _("{model} ({accuracy:.1%} test accuracy)").format(model=title, accuracy=accuracy)


def _title(which: str) -> str:
    """The words before the first colon (the translations keep it there)."""
    return which.split(":")[0]


def _run_summary(model: nn.Module) -> str:
    return _("{model}, {count:,} parameters").format(
        model=type(model).__name__, count=sum(p.numel() for p in model.parameters())
    )


def _show(fig) -> None:
    # Shown now, in the order of the section, rather than all together at the end of the cell.
    if inline():
        import matplotlib.pyplot as plt
        from IPython.display import display

        display(fig)
        plt.close(fig)
