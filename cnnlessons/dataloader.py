"""The tutorials' data path: a torchvision DataLoader with worker processes and per-image
transforms (``Training(loader="dataloader")``). Kept for datasets that do not fit in memory, and
as the baseline that ``cnnlessons.runs.bench`` measures the course's tensor path against."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from .data import CourseData

__all__ = ["ImageDataset", "dataloaders"]


class ImageDataset(Dataset):
    """uint8 N x C x H x W images served one at a time as PIL images through ``transform``."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform) -> None:
        self.images = images.permute(0, 2, 3, 1).numpy()  # N x H x W x C for PIL
        self.labels = labels.numpy()
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        from PIL import Image

        img = self.images[i]
        img = Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
        return self.transform(img), int(self.labels[i])


def dataloaders(
    data: CourseData, *, batch_size: int, augment: bool = True, workers: int = 2, seed: int = 0
) -> tuple[DataLoader, DataLoader]:
    """Training and validation DataLoaders over ``data`` with torchvision's per-image transforms."""
    normalize = [transforms.ToTensor(), transforms.Normalize(data.mean.tolist(), data.std.tolist())]
    train_tf = list(normalize)
    if augment:
        train_tf = [transforms.RandomCrop(data.image_size, padding=data.crop_padding)]
        if data.flip:
            train_tf.append(transforms.RandomHorizontalFlip())
        train_tf += normalize
    gen = torch.Generator().manual_seed(seed)
    common = dict(
        batch_size=batch_size,
        num_workers=workers,
        persistent_workers=workers > 0,
        pin_memory=torch.cuda.is_available(),
    )
    train = DataLoader(
        ImageDataset(data.train_images, data.train_labels, transforms.Compose(train_tf)),
        shuffle=True,
        generator=gen,
        **common,
    )
    val = DataLoader(
        ImageDataset(data.val_images, data.val_labels, transforms.Compose(normalize)), shuffle=False, **common
    )
    return train, val
