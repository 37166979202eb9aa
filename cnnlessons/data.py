"""The course's data: real images as uint8 tensors, split into train / validation / test.

Sources:
- ``"digits"``: scikit-learn's 8x8 handwritten digits (1,797 real scans shipped inside
  scikit-learn), the embedded default that needs no network;
- ``"cifar10"`` and ``"fashion_mnist"`` through torchvision, downloaded into ``data_root()``;
- a path: a ``.npz`` with ``images`` (uint8, N x H x W x C), ``labels`` and optionally
  ``classes`` (the class names), a folder holding
  ``*-train.npz`` and ``*-test.npz`` (what ``../shared/data/cifar10-jpeg/decode.py`` writes), or an
  ImageFolder tree (class sub-folders, optionally under ``train/`` and ``test/``).

The validation split is always carved out of the training split, never out of the test split, and
the normalisation statistics come from the training split alone. Reading each source from disk or
the network is ``cnnlessons.datasources``'s.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

from .datasources import DownloadError, _digits, _from_path, _torchvision
from .profiles import Profile, get_profile

__all__ = [
    "CourseData",
    "DATASETS",
    "DownloadError",
    "load_dataset",
    "load_data",
    "resize_data",
    "subset_data",
    "data_root",
    "checkout_root",
    "check_writable",
]

DATASETS = ("digits", "cifar10", "fashion_mnist")


@dataclasses.dataclass
class CourseData:
    """One dataset, split three ways, as uint8 image tensors (N x C x H x W) and int64 labels."""

    name: str
    classes: list[str]
    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    mean: torch.Tensor
    """Per-channel mean of the training images, in [0, 1] units."""
    std: torch.Tensor
    flip: bool = True
    """Whether horizontal flips are a fair augmentation (not for digits)."""
    crop_padding: int = 4
    source: str = ""

    @property
    def channels(self) -> int:
        return int(self.train_images.shape[1])

    @property
    def image_size(self) -> int:
        return int(self.train_images.shape[-1])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def input_size(self) -> tuple[int, int, int]:
        return (self.channels, self.image_size, self.image_size)

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images -> float tensors normalised with the training statistics."""
        x = images.float().div_(255)
        mean = self.mean.to(x.device).view(1, -1, 1, 1)
        std = self.std.to(x.device).view(1, -1, 1, 1)
        return (x - mean) / std

    def split(self, which: str) -> tuple[torch.Tensor, torch.Tensor]:
        if which not in ("train", "val", "test"):
            raise ValueError(f"split must be 'train', 'val' or 'test', got {which!r}")
        return getattr(self, f"{which}_images"), getattr(self, f"{which}_labels")

    def batch(self, which: str = "train", n: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
        """The first ``n`` images of a split, normalised, with their labels (for demos)."""
        images, labels = self.split(which)
        return self.normalize(images[:n]), labels[:n]

    def __str__(self) -> str:
        c, h, w = self.input_size
        return (
            f"{self.name}: {len(self.train_labels):,} train / {len(self.val_labels):,} val / "
            f"{len(self.test_labels):,} test images, {c}x{h}x{w}, {self.num_classes} classes"
            + (f" ({self.source})" if self.source else "")
        )


DATA_ROOT_VARIABLE = "CNNLESSONS_DATA_ROOT"


def checkout_root() -> pathlib.Path | None:
    """The course's checkout when the package runs from one (``pip install -e``), else None."""
    root = pathlib.Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir() else None


def data_root(create: bool = False) -> pathlib.Path:
    """Where downloads and caches go.

    ``$CNNLESSONS_DATA_ROOT`` when set; else ``data/`` of the checkout when the course runs from
    one; else a per-user cache folder, ``$XDG_CACHE_HOME/cnnlessons`` (``~/.cache/cnnlessons``),
    the convention torch's own caches follow. With ``create=True`` the folder is made and checked
    to be writable.
    """
    env = os.environ.get(DATA_ROOT_VARIABLE, "").strip()
    if env:
        root = pathlib.Path(env).expanduser()
    elif (checkout := checkout_root()) is not None:
        root = checkout / "data"
    else:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
        root = pathlib.Path(cache).expanduser() / "cnnlessons"
    if create:
        try:
            check_writable(root)
        except OSError as err:
            raise PermissionError(
                f"the data root {str(root)!r} is not a writable folder ({type(err).__name__}: "
                f"{err.strerror or err}); set {DATA_ROOT_VARIABLE} to a folder you can write to "
                f"(downloads and caches go there)"
            ) from None
    return root


def check_writable(folder: pathlib.Path) -> None:
    """Make ``folder`` and write a temporary file in it: an OSError now rather than after the work
    that was to be saved there."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass


# --------------------------------------------------------------------------- assembling
def _to_tensor(images: np.ndarray, image_size: int | None) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()
    if image_size is not None and x.shape[-1] != image_size:
        x = F.interpolate(
            x.float(),
            size=(image_size, image_size),
            mode="bilinear",
            align_corners=False,
            antialias=image_size < x.shape[-1],
        )
        x = x.round_().clamp_(0, 255).to(torch.uint8)
    return x


def _check_size(name: str, value: int | None, minimum: int = 1) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < minimum):
        raise ValueError(f"{name} must be an integer >= {minimum} or None, got {value!r}")


def load_dataset(
    name: str | os.PathLike = "digits",
    *,
    train_size: int | None = None,
    val_size: int = 500,
    test_size: int | None = None,
    image_size: int | None = None,
    seed: int = 0,
    download: bool = True,
    root: str | os.PathLike | None = None,
) -> CourseData:
    """Load a dataset by name or path and split it into train / validation / test.

    ``val_size`` images are drawn from the training split (never from the test split);
    ``train_size`` and ``test_size`` take a seeded random subset (``None``: all). Where a source
    has no test split of its own (digits, a single .npz, a single ImageFolder tree), a fixed
    20% of it is held out as the test split first.
    """
    _check_size("train_size", train_size)
    _check_size("val_size", val_size, minimum=0)
    _check_size("test_size", test_size)
    _check_size("image_size", image_size, minimum=4)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"dataset must be one of {', '.join(DATASETS)} or a path, got {name!r}")
    if not str(name).strip():  # an empty path would be the current folder
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)} or a path, got {name!r}")
    key = str(name).strip().lower().replace("-", "_")
    if key in DATASETS:
        if key == "digits":
            raw = _digits()
            flip, padding, source = False, 2, "scikit-learn's 8x8 digits, embedded"
        else:
            raw = _torchvision(key, pathlib.Path(root) if root else data_root(create=download), download)
            flip, padding, source = True, 4, f"torchvision {key}"
        label = key
    elif any(sep in str(name) for sep in ("/", "\\", ".")) or pathlib.Path(name).exists():
        path = pathlib.Path(name).expanduser()
        raw = _from_path(path)
        flip, padding, source, label = True, 4, f"a local copy, {path.name}", path.stem.split("-")[0]
    else:
        raise ValueError(
            f"dataset must be one of {', '.join(DATASETS)} or a path to an .npz "
            f"file or an ImageFolder tree, got {str(name)!r}"
        )

    x_pool, y_pool, x_test, y_test, classes = raw
    gen = np.random.default_rng(seed)
    if x_test is None:  # hold out a fixed 20% as the test split before anything else
        order = np.random.default_rng(12345).permutation(len(y_pool))
        n_test = len(order) // 5
        x_test, y_test = x_pool[order[:n_test]], y_pool[order[:n_test]]
        x_pool, y_pool = x_pool[order[n_test:]], y_pool[order[n_test:]]
    if val_size >= len(y_pool):
        raise ValueError(
            f"val_size must be smaller than the {len(y_pool):,} training images of {label}, got {val_size}"
        )
    order = gen.permutation(len(y_pool))
    val_idx = order[:val_size]
    rest = order[val_size:]
    train_idx = rest if train_size is None else rest[:train_size]
    # The test split is shuffled once, the same way for every seed: it never moves with the seed.
    test_idx = np.random.default_rng(0).permutation(len(y_test))
    if test_size is not None:
        test_idx = test_idx[:test_size]

    # Splits keep the seeded random order: a file stored class by class must not give a
    # split whose first images are all of one class.
    train_images = _to_tensor(x_pool[train_idx], image_size)
    train_labels = torch.from_numpy(y_pool[train_idx])
    val_images = _to_tensor(x_pool[val_idx], image_size)
    val_labels = torch.from_numpy(y_pool[val_idx])
    test_images = _to_tensor(x_test[test_idx], image_size)
    test_labels = torch.from_numpy(y_test[test_idx])
    if test_images.shape[1:] != train_images.shape[1:]:
        raise ValueError(
            f"train and test images differ in shape: "
            f"{tuple(train_images.shape[1:])} and {tuple(test_images.shape[1:])}"
        )

    scaled = train_images.float().div_(255)
    mean = scaled.mean(dim=(0, 2, 3))
    std = scaled.std(dim=(0, 2, 3)).clamp_min(1e-3)
    return CourseData(
        label,
        classes,
        train_images,
        train_labels,
        val_images,
        val_labels,
        test_images,
        test_labels,
        mean,
        std,
        flip=flip,
        crop_padding=max(1, padding * train_images.shape[-1] // 32),
        source=source,
    )


def resize_data(data: CourseData, image_size: int) -> CourseData:
    """The same images at ``image_size`` x ``image_size``, every split, resized as
    ``load_dataset`` resizes (bilinear, antialiased when shrinking); the normalisation statistics
    are measured again and the augmentation's crop padding scales with the side."""
    _check_size("image_size", image_size, minimum=4)
    if image_size == data.image_size:
        return data

    def resize(x: torch.Tensor) -> torch.Tensor:
        y = F.interpolate(
            x.float(),
            size=(image_size, image_size),
            mode="bilinear",
            align_corners=False,
            antialias=image_size < x.shape[-1],
        )
        return y.round_().clamp_(0, 255).to(torch.uint8)

    train = resize(data.train_images)
    scaled = train.float().div_(255)
    return dataclasses.replace(
        data,
        train_images=train,
        val_images=resize(data.val_images),
        test_images=resize(data.test_images),
        mean=scaled.mean(dim=(0, 2, 3)),
        std=scaled.std(dim=(0, 2, 3)).clamp_min(1e-3),
        crop_padding=max(1, round(data.crop_padding * image_size / data.image_size)),
    )


def load_data(profile: Profile | str | None = None, *, seed: int = 0) -> CourseData:
    """The active profile's dataset, at its subset and image sizes.

    ``CNNLESSONS_DATASET`` overrides the profile's dataset (a name or a path) and
    ``CNNLESSONS_DATA`` points to a local copy of CIFAR-10 (e.g. the folder that
    ``decode.py`` wrote). If the profile asks for a download that fails, the course falls back to
    the embedded digits and says so, so that a lecture without network still runs.
    """
    profile = get_profile(profile)
    variable, name = None, profile.dataset
    if os.environ.get("CNNLESSONS_DATASET"):
        variable, name = "CNNLESSONS_DATASET", os.environ["CNNLESSONS_DATASET"]
    if name == "cifar10" and os.environ.get("CNNLESSONS_DATA"):
        variable, name = "CNNLESSONS_DATA", os.environ["CNNLESSONS_DATA"]
    kwargs = dict(
        train_size=profile.train_size,
        val_size=profile.val_size,
        test_size=profile.test_size,
        image_size=profile.image_size,
        seed=seed,
    )
    try:
        return load_dataset(name, **kwargs)
    except (ValueError, TypeError, FileNotFoundError) as err:
        if variable is None:
            raise
        raise ValueError(f"{variable}={name!r} is not a dataset the course can read: {err}") from None
    except DownloadError as err:
        print(f"{err}\nFalling back to the embedded digits for this run.")
        small = get_profile("smoke")
        return load_dataset(
            "digits",
            **{**kwargs, "train_size": small.train_size, "val_size": small.val_size, "test_size": None},
        )


def subset_data(data: CourseData, subset: int, seed: int = 0) -> CourseData:
    """A seeded random 1/``subset`` of the training images (validation and test unchanged).
    Random, not the first ones: a dataset's training split may be ordered by class."""
    if not isinstance(subset, int) or subset < 1:
        raise ValueError(f"subset must be an integer >= 1, got {subset!r}")
    n = max(1, len(data.train_labels) // subset)
    keep = torch.randperm(len(data.train_labels), generator=torch.Generator().manual_seed(seed))[:n]
    keep = keep.sort().values
    return dataclasses.replace(
        data, train_images=data.train_images[keep], train_labels=data.train_labels[keep]
    )
