"""The course's raw datasets: each source read from disk or the network as uint8 NHWC arrays.

- ``_digits``: scikit-learn's 8x8 handwritten digits, read from the file scikit-learn ships;
- ``_torchvision``: CIFAR-10 and Fashion-MNIST through torchvision, downloaded into a folder;
- ``_from_path``: a ``.npz`` with ``images``, ``labels`` and optionally ``classes``, a folder of
  ``*-train.npz`` and ``*-test.npz``, or an ImageFolder tree.

``cnnlessons.data`` splits, resizes and normalises what these return.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib.util
import pathlib
import signal
import socket
import threading
import zipfile
from collections.abc import Iterator

import numpy as np

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
DOWNLOAD_TIMEOUT_S = 30.0
"""Seconds one read of a download may wait for the server."""
DOWNLOAD_DEADLINE_S = 30 * 60.0
"""Seconds a whole download may take (CIFAR-10 is 170 MB): a trickling one stops with its cause."""


class _DeadlinePassed(Exception):
    pass


class DownloadError(RuntimeError):
    """A dataset could not be downloaded (no network, or the server did not answer)."""


# --------------------------------------------------------------------------- raw sources
# Each returns (train_images, train_labels, test_images, test_labels, classes), images uint8 NHWC.
Raw = tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None, list[str]]


def _digits_table() -> np.ndarray:
    """scikit-learn's 8x8 digits as one row per image: 64 pixels (0..16), then the label."""
    # The file scikit-learn ships, read directly: importing scikit-learn (and SciPy with it)
    # would cost a second in every kernel that loads the course's default data.
    spec = importlib.util.find_spec("sklearn")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = pathlib.Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            with gzip.open(path, "rt") as stream:
                return np.loadtxt(stream, delimiter=",")
    from sklearn.datasets import load_digits  # another layout: ask scikit-learn itself

    digits = load_digits()
    return np.column_stack([digits.data, digits.target])


def _digits() -> Raw:
    table = _digits_table()
    images = np.round(table[:, :64].reshape(-1, 8, 8) * (255.0 / 16.0)).astype(np.uint8)[..., None]
    labels = table[:, 64].astype(np.int64)
    return images, labels, None, None, [str(i) for i in range(10)]


@contextlib.contextmanager
def _socket_timeout(seconds: float, deadline: float) -> Iterator[None]:
    """Each read waits at most ``seconds``; the whole block at most ``deadline`` (where the
    platform has SIGALRM and this is the main thread)."""
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    alarm = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if alarm:

        def passed(signum, frame):
            raise _DeadlinePassed

        previous = signal.signal(signal.SIGALRM, passed)
        signal.setitimer(signal.ITIMER_REAL, deadline)
    try:
        yield
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        socket.setdefaulttimeout(old)


def _torchvision(name: str, root: pathlib.Path, download: bool) -> Raw:
    from torchvision import datasets

    cls = {"cifar10": datasets.CIFAR10, "fashion_mnist": datasets.FashionMNIST}[name]
    try:
        with _socket_timeout(DOWNLOAD_TIMEOUT_S, DOWNLOAD_DEADLINE_S):
            train = cls(root=str(root), train=True, download=download)
            test = cls(root=str(root), train=False, download=download)
    except Exception as err:  # urllib, socket and torchvision all raise their own kinds
        if isinstance(err, _DeadlinePassed):
            cause = f"the download took more than {DOWNLOAD_DEADLINE_S:g} s: a slow or stalled network"
        elif "corrupted" in str(err):
            cause = f"the downloaded file is damaged (its checksum does not match): delete it from {root}"
        else:
            cause = f"{type(err).__name__}: {str(err).strip()[:120]}"
        raise DownloadError(
            f"Could not get {name} into {root} ({cause}). Meanwhile use the embedded default with "
            f"load_dataset('digits') (CNNLESSONS_DATASET=digits), or point to a local copy with "
            f"load_dataset('/path/to/copy') (CNNLESSONS_DATA=/path/to/copy)."
        ) from None

    def arrays(ds) -> tuple[np.ndarray, np.ndarray]:
        images = np.asarray(ds.data)
        if images.ndim == 3:  # Fashion-MNIST is N x H x W
            images = images[..., None]
        return images.astype(np.uint8), np.asarray(ds.targets, dtype=np.int64)

    x_train, y_train = arrays(train)
    x_test, y_test = arrays(test)
    classes = (
        list(train.classes)
        if getattr(train, "classes", None)
        else (CIFAR10_CLASSES if name == "cifar10" else FASHION_CLASSES)
    )
    return x_train, y_train, x_test, y_test, classes


#: More classes than this is a file of broken labels (ImageNet-21k has 21,841 classes).
MAX_CLASSES = 100_000


def _read_npz(path: pathlib.Path) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    try:
        pack = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path} is not a readable .npz file ({type(err).__name__})") from None
    if not isinstance(pack, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} holds a single array, not an .npz with 'images' and 'labels'")
    with pack:
        missing = [k for k in ("images", "labels") if k not in pack.files]
        if missing:
            raise ValueError(
                f"{path} must hold arrays 'images' (uint8, N x H x W x C) and "
                f"'labels'; missing {missing}, found {pack.files}"
            )
        try:
            images, labels = pack["images"], pack["labels"]
            classes = [str(c) for c in pack["classes"]] if "classes" in pack.files else None
        except ValueError as err:  # object arrays need pickle, which a data file must not use
            raise ValueError(f"{path}: 'images' and 'labels' must be plain arrays ({err})") from None
    if images.dtype != np.uint8:
        raise ValueError(f"{path}: 'images' must be uint8, got {images.dtype}")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or not images.shape[1] == images.shape[2] >= 1:
        raise ValueError(
            f"{path}: 'images' must have shape N x H x W x C with C = 1 or 3 and "
            f"square images (H = W >= 1), got {tuple(images.shape)}"
        )
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(images):
        raise ValueError(f"{path}: {len(images)} images but {len(labels)} labels")
    return images, _class_indices(path, labels), classes


def _class_indices(path: pathlib.Path, labels: np.ndarray) -> np.ndarray:
    """``labels`` as int64, refusing text, fractions, NaN, negatives and absurd class counts."""
    kind = labels.dtype.kind
    if kind not in "biuf" or (kind == "f" and not np.all(np.mod(labels, 1) == 0)):
        raise ValueError(
            f"{path}: 'labels' must be whole class numbers, got {labels.dtype} "
            f"values such as {labels[:3].tolist()}"
        )
    if len(labels) and not (labels.min() >= 0 and labels.max() < MAX_CLASSES):
        raise ValueError(
            f"{path}: 'labels' must be class numbers 0 <= label < {MAX_CLASSES:,}, "
            f"got values from {labels.min()} to {labels.max()}"
        )
    return labels.astype(np.int64)


def _read_folder(root: pathlib.Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from PIL import Image
    from torchvision.datasets import ImageFolder

    folder = ImageFolder(str(root))
    if len(folder) == 0:
        raise ValueError(f"{root} holds no images in class sub-folders (ImageFolder layout)")
    images = [np.asarray(Image.open(p).convert("RGB")) for p, _ in folder.samples]
    shapes = {im.shape for im in images}
    if len(shapes) != 1:
        raise ValueError(f"{root}: all images must have the same size, found {sorted(shapes)[:3]}")
    return np.stack(images), np.asarray(folder.targets, dtype=np.int64), list(folder.classes)


def _from_path(path: pathlib.Path) -> Raw:
    if not path.exists():
        raise FileNotFoundError(f"dataset path {str(path)!r} does not exist")
    if path.is_file():
        if path.suffix != ".npz":
            raise ValueError(f"a dataset file must be an .npz with 'images' and 'labels', got {path.name!r}")
        x, y, classes = _read_npz(path)
        return x, y, None, None, _class_names(path, y, classes)
    trains, tests = sorted(path.glob("*train.npz")), sorted(path.glob("*test.npz"))
    if trains and tests:
        x, y, classes = _read_npz(trains[0])
        xt, yt, _ = _read_npz(tests[0])
        return x, y, xt, yt, _class_names(trains[0], np.concatenate([y, yt]), classes)
    if (path / "train").is_dir() and (path / "test").is_dir():
        x, y, classes = _read_folder(path / "train")
        xt, yt, test_classes = _read_folder(path / "test")
        if unknown := [c for c in test_classes if c not in classes]:
            raise ValueError(
                f"{path / 'test'}: the class folder(s) {', '.join(unknown)} have none of the same name in "
                f"{path / 'train'}; expected test classes among the training ones ({', '.join(classes)})"
            )
        index = [classes.index(c) for c in test_classes]  # by name: test/ may lack a class
        return x, y, xt, np.asarray([index[t] for t in yt], dtype=np.int64), classes
    x, y, classes = _read_folder(path)
    return x, y, None, None, classes


def _class_names(path: pathlib.Path, labels: np.ndarray, stored: list[str] | None) -> list[str]:
    """The file's own ``classes`` array; else CIFAR-10's names for a ``cifar10*.npz`` of ten
    classes (what ``decode.py`` writes); else the label numbers."""
    n = int(labels.max()) + 1 if len(labels) else 0
    if stored is not None:
        if len(stored) < n:
            raise ValueError(f"{path}: 'classes' names {len(stored)} classes but the labels go up to {n - 1}")
        return stored
    if n == 10 and path.name.lower().startswith("cifar10"):
        return CIFAR10_CLASSES[:]
    return [str(i) for i in range(n)]
