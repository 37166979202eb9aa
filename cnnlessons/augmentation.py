"""Data augmentation beside the data path: the paper's PCA colour shift and a gallery of what
``fit``'s augmentation (random crops of the zero-padded image, horizontal flips) does.

The per-batch crops and flips themselves live in ``cnnlessons.tensordata``.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from .data import CourseData
from .tensordata import random_crop, random_flip

__all__ = ["ColourPCA", "colour_pca", "pca_colour_shift", "one_per_class", "augmentation_gallery"]


@dataclasses.dataclass(frozen=True)
class ColourPCA:
    """Principal components of the RGB (or grey) values of all training pixels, in [0, 1] units."""

    eigenvalues: Tensor
    """(C,), largest first: the variance of the pixels along each component."""
    eigenvectors: Tensor
    """(C, C), one component per column."""


def colour_pca(images: Tensor) -> ColourPCA:
    """PCA of the pixel colours of uint8 ``images`` (N x C x H x W) over the whole set, as in
    the paper (Section 4.1): the C x C covariance of the pixel values and its eigenvectors."""
    if images.dtype != torch.uint8 or images.dim() != 4:
        raise ValueError(f"images must be uint8 N x C x H x W, got {images.dtype} {tuple(images.shape)}")
    pixels = images.cpu().permute(1, 0, 2, 3).reshape(images.shape[1], -1).double() / 255.0  # mps: no fp64
    cov = torch.atleast_2d(torch.cov(pixels))
    values, vectors = torch.linalg.eigh(cov)  # ascending
    order = torch.argsort(values, descending=True)
    vectors = vectors[:, order]
    # a deterministic sign: the largest entry of each component positive
    signs = torch.sign(vectors.gather(0, vectors.abs().argmax(0, keepdim=True)))
    return ColourPCA(values[order].clamp_min(0).float(), (vectors * signs).float())


def pca_colour_shift(
    images: Tensor, pca: ColourPCA, sigma: float = 0.1, generator: torch.Generator | None = None
) -> Tensor:
    """The paper's colour augmentation: add sum_i alpha_i * lambda_i * p_i to every pixel of an
    image, alpha_i ~ N(0, sigma) drawn once per image (the paper: sigma = 0.1). uint8 in and out."""
    if images.dtype != torch.uint8 or images.dim() != 4:
        raise ValueError(f"images must be uint8 N x C x H x W, got {images.dtype} {tuple(images.shape)}")
    if images.shape[1] != len(pca.eigenvalues):
        raise ValueError(
            f"images have {images.shape[1]} channels but the PCA was computed on {len(pca.eigenvalues)}"
        )
    if not sigma >= 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    n, c = images.shape[:2]
    alpha = torch.randn(n, c, generator=generator) * sigma
    shift = (alpha * pca.eigenvalues) @ pca.eigenvectors.T  # N x C, [0, 1] units
    out = images.float() / 255.0 + shift[:, :, None, None].to(images.device)
    return (out.clamp(0, 1) * 255.0).round().to(torch.uint8)


def one_per_class(labels: Tensor, n: int) -> Tensor:
    """Indices of ``n`` images: the first of each class in turn (a split may be ordered by class)."""
    picked: list[int] = []
    classes = torch.unique(labels).tolist()
    rank = 0
    while len(picked) < min(n, len(labels)):
        for c in classes:
            where = (labels == c).nonzero().flatten()
            if rank < len(where) and len(picked) < n:
                picked.append(int(where[rank]))
        rank += 1
    return torch.tensor(picked, dtype=torch.long)


def augmentation_gallery(
    data: CourseData, n: int = 8, *, seed: int = 0, exaggerate: float = 10.0
) -> dict[str, Tensor]:
    """``n`` training images (one per class) and augmented copies of them: a random crop of the
    zero-padded image (``data.crop_padding``), a horizontal flip, both (what ``fit`` does), and
    the PCA colour shift at the paper's sigma = 0.1 and at ``exaggerate`` times it (to see it)."""
    g = torch.Generator().manual_seed(seed)
    images = data.train_images[one_per_class(data.train_labels, n)]
    pca = colour_pca(data.train_images)
    cropped = random_crop(images, data.crop_padding, g)
    return {
        "original": images,
        f"random crop (padding {data.crop_padding})": cropped,
        "flipped": images.flip(3),
        "crop + random flip" if data.flip else "crop (no flips for digits)": random_flip(cropped, g)
        if data.flip
        else cropped,
        "PCA colour, sigma 0.1": pca_colour_shift(images, pca, 0.1, g),
        f"PCA colour, sigma {0.1 * exaggerate:g}": pca_colour_shift(images, pca, 0.1 * exaggerate, g),
    }
