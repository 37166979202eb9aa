"""Class-activation maps (Grad-CAM, Selvaraju et al. 2017): where in the image a trained model
finds the evidence for a class.

Grad-CAM weights each channel of a layer's output by the mean gradient of the class score over
that channel, sums, keeps the positive part and upsamples it to the image. The computation is
captum's ``LayerGradCam``. Of the three well-kept libraries, captum fits the course's
requirements: Python >= 3.10 and, besides torch, only packages the course already installs
(numpy, matplotlib, tqdm, packaging); its catch is a torch floor of 2.3, so the course's floor
rose from 2.1 to 2.3 (torchvision 0.18), which every Colab runtime satisfies. pytorch-grad-cam
(``grad-cam``) needs ``opencv-python-headless``, which installs a second ``cv2`` beside Colab's
``opencv-python`` (plus scipy and ttach), and torchcam needs Python >= 3.11 from 0.4.1 on
(0.4.0 pins numpy < 2).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from torch import Tensor, nn

from ..measure import check_model, eval_mode
from .stages import POOLS, as_batch, display_image, stages

__all__ = ["default_target_layer", "gradcam", "plot_gradcam", "predict"]


def default_target_layer(model: nn.Module, input_size: Sequence[int] | None = None) -> nn.Module:
    """The last conv stage's output before its final pooling: ResNet's last stage, DenseNet's
    last block (after its BN-ReLU), the last Inception block, AlexNet's conv5 (after its ReLU),
    VGG's last conv (after its ReLU, before the block's pool)."""
    found = stages(model, input_size)
    i = len(found) - 1
    while i > 0 and isinstance(found[i].modules[0], POOLS):
        i -= 1
    module = found[i].output_module
    if isinstance(module, nn.Sequential) and len(module) > 1 and isinstance(module[-1], POOLS):
        module = module[-2]
    return module


def _target_layer(model: nn.Module, target_layer: None | str | nn.Module, x: Tensor) -> nn.Module:
    if target_layer is None:
        return default_target_layer(model, tuple(x.shape[1:]))
    if isinstance(target_layer, nn.Module):
        if not any(m is target_layer for m in model.modules()):
            raise ValueError(
                f"target_layer must be a module of the model, got a separate {type(target_layer).__name__}"
            )
        return target_layer
    if isinstance(target_layer, str):
        found = {s.name: s for s in stages(model, tuple(x.shape[1:]))}
        if target_layer in found:
            return found[target_layer].output_module
        try:
            return model.get_submodule(target_layer)
        except AttributeError:
            raise ValueError(
                f"target_layer must be a stage ({', '.join(found)}) or a module path of the "
                f"model, got {target_layer!r}"
            ) from None
    raise TypeError(
        f"target_layer must be None, a stage name or an nn.Module, got {type(target_layer).__name__}"
    )


def predict(model: nn.Module, images: Tensor) -> Tensor:
    """The model's predicted class (N,) for normalised ``images``, in eval mode, on the CPU."""
    check_model(model)
    x = as_batch(images, model)
    with eval_mode(model), torch.no_grad():
        return model(x).argmax(dim=1).cpu()


def gradcam(
    model: nn.Module,
    images: Tensor,
    target_layer: None | str | nn.Module = None,
    classes: None | int | Sequence[int] | Tensor = None,
) -> Tensor:
    """Grad-CAM maps (N, H, W) in [0, 1] (each divided by its own maximum) for normalised
    ``images`` (N, C, H, W), at the images' size.

    ``target_layer``: a stage name (see ``stage_names``), a module path or a module of the
    model; default :func:`default_target_layer`. ``classes``: the class to explain per image
    (one int for all); default the model's prediction. Runs in eval mode; the model's
    parameters and their ``.grad`` are left as they were.
    """
    from captum.attr import LayerAttribution, LayerGradCam

    check_model(model)
    x = as_batch(images, model)
    layer = _target_layer(model, target_layer, x)
    n = x.shape[0]
    with eval_mode(model), torch.enable_grad():
        if classes is None:
            with torch.no_grad():
                target = model(x).argmax(dim=1)
        else:
            target = torch.as_tensor(classes, dtype=torch.long, device=x.device).reshape(-1)
            if target.numel() == 1:
                target = target.expand(n)
            if target.numel() != n:
                raise ValueError(f"classes must be one class or one per image ({n}), got {target.numel()}")
        grads = [p.grad for p in model.parameters()]
        cam = LayerGradCam(model, layer).attribute(x, target=target, relu_attributions=True)
        for p, g in zip(model.parameters(), grads, strict=False):
            p.grad = g
    if cam.dim() != 4:
        raise ValueError(f"target_layer must give a 4-D (N, C, H, W) output, got {cam.dim()}-D")
    maps = LayerAttribution.interpolate(
        cam.detach().float(), tuple(x.shape[-2:]), interpolate_mode="bilinear"
    )[:, 0].clamp_min(0)
    peak = maps.amax(dim=(1, 2), keepdim=True)
    return torch.where(peak > 0, maps / peak.clamp_min(1e-12), torch.zeros_like(maps)).cpu()


def plot_gradcam(
    images: Tensor,
    maps: Tensor,
    labels: Sequence[int] | None = None,
    predictions: Sequence[int] | None = None,
    class_names: Sequence[str] | None = None,
    alpha: float = 0.5,
    title: str | None = None,
):
    """Each image above its Grad-CAM map laid over it (jet: red = most evidence); the titles
    give the true class and the prediction (green when right, red when wrong). ``images``
    (N, C, H, W) uint8 or normalised float; ``maps`` (N, H, W) from :func:`gradcam`.
    Returns the figure."""
    if not isinstance(maps, Tensor) or maps.dim() != 3:
        raise ValueError(f"maps must be a (N, H, W) tensor, got {getattr(maps, 'shape', type(maps))}")
    if not isinstance(images, Tensor) or images.dim() != 4 or images.shape[0] != maps.shape[0]:
        raise ValueError(
            f"images must be (N, C, H, W) with N = {maps.shape[0]} (one per map), "
            f"got {getattr(images, 'shape', type(images))}"
        )
    n = maps.shape[0]
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != n:
            raise ValueError(f"{name} must give one class per image ({n}), got {len(values)}")

    def name_of(c) -> str:
        c = int(c)
        return class_names[c] if class_names is not None else str(c)

    fig, axes = plt.subplots(2, n, figsize=(1.6 * n + 0.3, 3.6 + (0.3 if title else 0)), squeeze=False)
    for i in range(n):
        shown = display_image(images[i])
        top, bottom = axes[0, i], axes[1, i]
        top.imshow(**shown)
        bottom.imshow(**shown)
        bottom.imshow(
            maps[i].numpy(),
            cmap="jet",
            alpha=alpha,
            vmin=0,
            vmax=1,
            extent=(-0.5, images.shape[-1] - 0.5, images.shape[-2] - 0.5, -0.5),
        )
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
        parts = []
        if labels is not None:
            parts.append(f"true: {name_of(labels[i])}")
        if predictions is not None:
            parts.append(f"pred: {name_of(predictions[i])}")
        right = labels is None or predictions is None or int(labels[i]) == int(predictions[i])
        top.set_title(
            "\n".join(parts),
            fontsize=8,
            color="black" if labels is None or predictions is None else ("tab:green" if right else "tab:red"),
        )
    axes[0, 0].set_ylabel("image", fontsize=8)
    axes[1, 0].set_ylabel("Grad-CAM", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
