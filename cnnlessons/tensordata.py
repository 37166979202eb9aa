"""Batches straight from one uint8 tensor on the training device, augmented a whole batch at a time.

There is no per-image Python work: a batch is drawn by index, randomly cropped (with zero
padding) and flipped in one vectorised step on the device, and normalised in the same pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from .data import CourseData

__all__ = ["Batches", "TensorLoader", "random_crop", "random_flip", "make_loaders", "train_eval_batches"]


class Batches(Protocol):
    """What ``fit`` trains on: batches ``(x, y)`` to iterate over, and how many there are."""

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


def random_crop(x: torch.Tensor, padding: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each image of the batch ``x`` (N x C x H x W) cropped back to H x W from a random place of
    its zero-padded copy: torchvision's ``RandomCrop(size, padding)``, for the whole batch at once."""
    if padding <= 0:
        return x
    n, c, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))
    dy = torch.randint(0, 2 * padding + 1, (n,), device=x.device, generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (n,), device=x.device, generator=generator)
    # Shift rows, then columns: one slice per possible offset (2 * padding + 1 of each), each
    # applied to all the images that drew it. Far cheaper than gathering pixel by pixel.
    rows = torch.empty(n, c, h, w + 2 * padding, dtype=x.dtype, device=x.device)
    out = torch.empty_like(x)
    for offset in range(2 * padding + 1):
        sel = (dy == offset).nonzero().squeeze(1)
        rows.index_copy_(0, sel, padded.index_select(0, sel)[:, :, offset : offset + h, :])
    for offset in range(2 * padding + 1):
        sel = (dx == offset).nonzero().squeeze(1)
        out.index_copy_(0, sel, rows.index_select(0, sel)[:, :, :, offset : offset + w])
    return out


def random_flip(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each image mirrored left-right with probability 1/2 (a new tensor; ``x`` is untouched)."""
    flip = torch.rand(x.shape[0], device=x.device, generator=generator) < 0.5
    out = x.clone()
    out[flip] = x[flip].flip(3)
    return out


class TensorLoader:
    """Iterate over (images, labels) batches of a uint8 image tensor held on ``device``.

    Yields float images normalised with ``mean``/``std`` (per channel, [0, 1] units), optionally
    augmented (random crop with ``crop_padding``, horizontal flip), in ``memory_format``.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        *,
        batch_size: int,
        mean: torch.Tensor,
        std: torch.Tensor,
        device: torch.device | str = "cpu",
        shuffle: bool = False,
        augment: bool = False,
        flip: bool = True,
        crop_padding: int = 4,
        drop_last: bool = False,
        seed: int = 0,
        memory_format: torch.memory_format = torch.contiguous_format,
    ) -> None:
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise ValueError(
                f"images must be a uint8 tensor N x C x H x W, got {images.dtype} {tuple(images.shape)}"
            )
        if len(images) != len(labels):
            raise ValueError(
                f"images and labels must have the same length, got {len(images)} and {len(labels)}"
            )
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.device = torch.device(device)
        self.images = images.to(self.device)
        self.labels = labels.to(self.device)
        self.batch_size = batch_size
        self.shuffle, self.augment, self.flip = shuffle, augment, flip
        self.crop_padding, self.drop_last = crop_padding, drop_last
        self.memory_format = memory_format
        # x_norm = x_uint8 * scale + shift: normalisation fused into one multiply-add
        std = std.to(self.device, torch.float32).view(1, -1, 1, 1)
        mean = mean.to(self.device, torch.float32).view(1, -1, 1, 1)
        self.scale, self.shift = 1.0 / (255.0 * std), -mean / std
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)

    def __len__(self) -> int:
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.labels)
        order = (
            torch.randperm(n, device=self.device, generator=self.generator)
            if self.shuffle
            else torch.arange(n, device=self.device)
        )
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            idx = order[start : start + self.batch_size]
            x = self.images.index_select(0, idx)
            if self.augment:
                x = random_crop(x, self.crop_padding, self.generator)
                if self.flip:
                    x = random_flip(x, self.generator)
            x = torch.addcmul(self.shift, x.float(), self.scale.expand_as(self.shift))
            yield x.contiguous(memory_format=self.memory_format), self.labels.index_select(0, idx)


def make_loaders(
    data: CourseData,
    *,
    batch_size: int,
    device: torch.device,
    augment: bool = True,
    seed: int = 0,
    channels_last: bool = False,
    loader: str = "tensor",
    workers: int = 2,
) -> tuple[Batches, Batches]:
    """Training and validation batches of ``data``: from tensors on ``device`` (``loader="tensor"``)
    or through a torchvision DataLoader with per-image transforms (``loader="dataloader"``)."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    if loader == "tensor":
        common = dict(batch_size=batch_size, mean=data.mean, std=data.std, device=device, memory_format=fmt)
        train = TensorLoader(
            data.train_images,
            data.train_labels,
            shuffle=True,
            augment=augment,
            flip=data.flip,
            crop_padding=data.crop_padding,
            seed=seed,
            **common,
        )
        val = TensorLoader(data.val_images, data.val_labels, **common)
        return train, val
    if loader == "dataloader":
        from .dataloader import dataloaders

        return dataloaders(data, batch_size=batch_size, augment=augment, workers=workers, seed=seed)
    raise ValueError(f"loader must be 'tensor' or 'dataloader', got {loader!r}")


def train_eval_batches(
    data: CourseData, size: int, *, batch_size: int, device: torch.device, seed: int, channels_last: bool
) -> TensorLoader | None:
    """Un-augmented batches of a fixed seeded subset of ``size`` training images (None for 0)."""
    n = min(size, len(data.train_labels))
    if n == 0:
        return None
    keep = torch.randperm(len(data.train_labels), generator=torch.Generator().manual_seed(seed))[:n]
    keep = keep.sort().values
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    return TensorLoader(
        data.train_images[keep],
        data.train_labels[keep],
        batch_size=batch_size,
        mean=data.mean,
        std=data.std,
        device=device,
        memory_format=fmt,
    )
