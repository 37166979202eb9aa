import gzip
import hashlib
import http.server
import pathlib
import pickle
import struct
import tarfile
import threading
import time

import numpy as np
import pytest
import torch
from PIL import Image

from cnnlessons.data import DownloadError, load_data, load_dataset


# ----------------------------------------------------------------------------- embedded default
def test_digits_are_real_and_split(digits):
    assert digits.input_size == (1, 16, 16) and digits.num_classes == 10
    assert digits.train_images.dtype == torch.uint8
    assert len(digits.train_labels) == 300 and len(digits.val_labels) == 100
    assert len(digits.test_labels) == 1797 // 5  # the fixed 20% held out
    assert set(digits.train_labels.tolist()) == set(range(10))
    assert 0.1 < digits.mean.item() < 0.5  # real scans: mostly background, some ink
    assert not digits.flip


def test_splits_are_disjoint_and_never_validate_on_test():
    d = load_dataset("digits", val_size=200, image_size=8)
    flat = lambda x: {bytes(im.numpy().tobytes()) for im in x}  # noqa: E731
    train, val, test = flat(d.train_images), flat(d.val_images), flat(d.test_images)
    # a few digits scans are exact duplicates of each other; the splits themselves are disjoint
    assert len(train & test) < 5 and len(val & test) < 3 and len(train & val) < 5
    assert len(d.train_labels) + len(d.val_labels) + len(d.test_labels) == 1797


def test_same_seed_same_subset_other_seed_other_subset():
    a = load_dataset("digits", train_size=100, val_size=50, seed=3)
    b = load_dataset("digits", train_size=100, val_size=50, seed=3)
    c = load_dataset("digits", train_size=100, val_size=50, seed=4)
    assert torch.equal(a.train_images, b.train_images)
    assert not torch.equal(a.train_images, c.train_images)
    assert torch.equal(a.test_images, c.test_images)  # the test split does not move with the seed


def test_normalisation_uses_training_split_only(digits):
    x = digits.train_images.float() / 255
    torch.testing.assert_close(digits.mean, x.mean(dim=(0, 2, 3)))
    normed = digits.normalize(digits.train_images)
    assert abs(normed.mean().item()) < 1e-4 and abs(normed.std().item() - 1) < 1e-2


def test_profile_data(monkeypatch):
    monkeypatch.delenv("CNNLESSONS_DATASET", raising=False)
    d = load_data("smoke")
    assert d.name == "digits" and d.image_size == 16 and len(d.train_labels) == 500


# ----------------------------------------------------------------------------- user copies
def _write_npz(path, n=40, size=8, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, size, size, channels), dtype=np.uint8)
    labels = np.arange(n) % 4
    np.savez(path, images=images, labels=labels)
    return images, labels


def test_npz_pair_like_decode_py_writes(tmp_path):
    images, labels = _write_npz(tmp_path / "cifar10-train.npz", n=60)
    _write_npz(tmp_path / "cifar10-test.npz", n=20, seed=1)
    d = load_dataset(tmp_path, val_size=10)
    assert d.input_size == (3, 8, 8) and len(d.test_labels) == 20
    assert len(d.train_labels) == 50 and d.num_classes == 4
    # every training image is one of the file's images, in C x H x W layout
    stored = {im.tobytes() for im in images}
    assert all(im.permute(1, 2, 0).numpy().tobytes() in stored for im in d.train_images)


def test_single_npz_and_resize(tmp_path):
    _write_npz(tmp_path / "mine.npz", n=50)
    d = load_dataset(tmp_path / "mine.npz", val_size=5, image_size=16)
    assert d.input_size == (3, 16, 16) and len(d.test_labels) == 10


def test_image_folder(tmp_path):
    rng = np.random.default_rng(0)
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        for i in range(6):
            Image.fromarray(rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)).save(
                tmp_path / cls / f"{i}.png"
            )
    d = load_dataset(tmp_path, val_size=2)
    assert d.classes == ["cat", "dog"] and d.input_size == (3, 10, 10)
    assert len(d.train_labels) + len(d.val_labels) + len(d.test_labels) == 12


def _write_ten_classes(path, classes=None):
    rng = np.random.default_rng(0)
    extra = {} if classes is None else {"classes": np.array(classes)}
    np.savez(
        path, images=rng.integers(0, 256, (40, 8, 8, 3), dtype=np.uint8), labels=np.arange(40) % 10, **extra
    )


def test_class_names_come_from_the_file(tmp_path):
    _write_ten_classes(tmp_path / "mine.npz")
    assert load_dataset(tmp_path / "mine.npz", val_size=5).classes == [str(i) for i in range(10)]
    _write_ten_classes(tmp_path / "cifar10-train.npz")  # decode.py's name: CIFAR-10's classes
    _write_ten_classes(tmp_path / "cifar10-test.npz")
    assert load_dataset(tmp_path, val_size=5).classes[:3] == ["airplane", "automobile", "bird"]
    names = [f"kind {i}" for i in range(10)]
    _write_ten_classes(tmp_path / "named.npz", names)
    assert load_dataset(tmp_path / "named.npz", val_size=5).classes == names
    _write_ten_classes(tmp_path / "short.npz", names[:4])
    with pytest.raises(ValueError, match="'classes' names 4 classes"):
        load_dataset(tmp_path / "short.npz", val_size=5)


@pytest.mark.parametrize(
    "bad, message",
    [
        ("imagenet", "dataset must be one of digits, cifar10, fashion_mnist"),
        ("/no/such/place", "does not exist"),
    ],
)
def test_bad_names_and_paths(bad, message):
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        load_dataset(bad)


def test_npz_without_the_arrays(tmp_path):
    np.savez(tmp_path / "x.npz", pictures=np.zeros((4, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="'images'.*'labels'"):
        load_dataset(tmp_path / "x.npz")


def test_npz_wrong_shape_and_dtype(tmp_path):
    np.savez(tmp_path / "a.npz", images=np.zeros((4, 8, 8, 5), np.uint8), labels=np.zeros(4))
    with pytest.raises(ValueError, match="N x H x W x C"):
        load_dataset(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", images=np.zeros((4, 8, 8, 3), np.float32), labels=np.zeros(4))
    with pytest.raises(ValueError, match="uint8"):
        load_dataset(tmp_path / "b.npz")


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"val_size": -1}, "val_size"),
        ({"train_size": 0}, "train_size"),
        ({"image_size": 2}, "image_size"),
        ({"val_size": 5000}, "val_size"),
    ],
)
def test_bad_sizes(kw, name):
    with pytest.raises(ValueError, match=name):
        load_dataset("digits", **kw)


# ----------------------------------------------------------------------------- downloads
class _Server:
    """A loopback HTTP server over a folder: the download path, without the internet."""

    def __init__(self, folder):
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(  # noqa: E731
            *a, directory=str(folder), **k
        )
        http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def _md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_cifar10_download_in_its_own_format(tmp_path, monkeypatch):
    from torchvision.datasets import CIFAR10

    src = tmp_path / "src" / "cifar-10-batches-py"
    src.mkdir(parents=True)
    rng = np.random.default_rng(0)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (10, 3072), dtype=np.uint8)
        batches[name] = data
        with open(src / name, "wb") as f:
            pickle.dump({"data": data, "labels": list(range(10))}, f)
    with open(src / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)]}, f)
    tgz = tmp_path / "src" / "cifar-10-python.tar.gz"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(src, arcname="cifar-10-batches-py")
    server = _Server(tmp_path / "src")
    monkeypatch.setattr(CIFAR10, "url", server.url + "cifar-10-python.tar.gz")
    monkeypatch.setattr(CIFAR10, "tgz_md5", _md5(tgz))
    monkeypatch.setattr(
        CIFAR10, "train_list", [[f"data_batch_{i}", _md5(src / f"data_batch_{i}")] for i in range(1, 6)]
    )
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", _md5(src / "test_batch")]])
    monkeypatch.setattr(
        CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names", "md5": _md5(src / "batches.meta")}
    )
    try:
        d = load_dataset("cifar10", root=tmp_path / "data", val_size=10)
    finally:
        server.close()
    assert (tmp_path / "data" / "cifar-10-batches-py" / "data_batch_1").exists()
    assert d.input_size == (3, 32, 32) and len(d.train_labels) == 40 and len(d.test_labels) == 10
    assert d.classes[0] == "class0"
    # the test split holds test_batch's rows (shuffled), CHW as CIFAR stores them
    rows = {bytes(r) for r in batches["test_batch"]}
    assert {bytes(im.flatten().numpy()) for im in d.test_images} == rows


def test_fashion_mnist_download_in_its_own_format(tmp_path, monkeypatch):
    from torchvision.datasets import FashionMNIST

    src = tmp_path / "src"
    src.mkdir()
    rng = np.random.default_rng(1)
    resources = []
    for prefix, n in (("train", 30), ("t10k", 10)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        for kind, payload in (
            ("images-idx3-ubyte", struct.pack(">iiii", 2051, n, 28, 28) + images.tobytes()),
            ("labels-idx1-ubyte", struct.pack(">ii", 2049, n) + labels.tobytes()),
        ):
            path = src / f"{prefix}-{kind}.gz"
            path.write_bytes(gzip.compress(payload))
            resources.append((path.name, _md5(path)))
    server = _Server(src)
    monkeypatch.setattr(FashionMNIST, "mirrors", [server.url])
    monkeypatch.setattr(FashionMNIST, "resources", resources)
    try:
        d = load_dataset("fashion-mnist", root=tmp_path / "data", val_size=5, image_size=32)
    finally:
        server.close()
    assert d.input_size == (1, 32, 32) and len(d.train_labels) == 25 and len(d.test_labels) == 10
    assert d.classes[9] == "Ankle boot"


def test_failed_download_says_what_to_do_without_hanging(tmp_path, monkeypatch):
    from torchvision.datasets import CIFAR10

    server = _Server(tmp_path)  # serves an empty folder: every download is a 404
    monkeypatch.setattr(CIFAR10, "url", server.url + "cifar-10-python.tar.gz")
    start = time.perf_counter()
    try:
        with pytest.raises(DownloadError) as err:
            load_dataset("cifar10", root=tmp_path / "data")
    finally:
        server.close()
    assert time.perf_counter() - start < 30
    message = str(err.value)
    assert "Could not get cifar10" in message and "load_dataset('digits')" in message
    assert "local copy" in message


def test_profile_falls_back_to_digits_when_offline(tmp_path, monkeypatch, capsys):
    import cnnlessons.data as data_mod

    def offline(*a, **k):
        raise DownloadError("Could not get cifar10 (no network)")

    monkeypatch.setattr(data_mod, "_torchvision", offline)
    monkeypatch.delenv("CNNLESSONS_DATASET", raising=False)
    monkeypatch.delenv("CNNLESSONS_DATA", raising=False)
    d = load_data("cpu")
    assert d.name == "digits" and d.image_size == 32
    assert "Falling back to the embedded digits" in capsys.readouterr().out


def test_profile_reads_local_copy(tmp_path, monkeypatch):
    _write_npz(tmp_path / "cifar10-train.npz", n=1500, size=32)
    _write_npz(tmp_path / "cifar10-test.npz", n=100, size=32, seed=2)
    monkeypatch.setenv("CNNLESSONS_DATA", str(tmp_path))
    monkeypatch.delenv("CNNLESSONS_DATASET", raising=False)
    d = load_data("cpu")
    assert d.input_size == (3, 32, 32) and len(d.val_labels) == 1000 and len(d.test_labels) == 100


# ----------------------------------------------------------------------------- data root
def test_data_root_is_the_variable_else_the_checkouts_data(tmp_path, monkeypatch):
    from cnnlessons.data import checkout_root, data_root

    monkeypatch.setenv("CNNLESSONS_DATA_ROOT", str(tmp_path / "cache"))
    assert data_root() == tmp_path / "cache" and not (tmp_path / "cache").exists()
    assert data_root(create=True).is_dir()
    monkeypatch.delenv("CNNLESSONS_DATA_ROOT")
    root = pathlib.Path(__file__).resolve().parent.parent
    assert checkout_root() == root and data_root() == root / "data"


def test_unwritable_data_root_names_the_variable(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("CNNLESSONS_DATA_ROOT", str(tmp_path / "a-file" / "data"))
    with pytest.raises(PermissionError, match="not a writable folder.*set CNNLESSONS_DATA_ROOT"):
        load_dataset("cifar10")


def test_digits_are_scikit_learns_read_without_importing_it():
    import subprocess
    import sys

    from sklearn.datasets import load_digits

    from cnnlessons.data import _digits

    images, labels, _, _, classes = _digits()
    digits = load_digits()
    assert np.array_equal(images[..., 0], np.round(digits.images * (255.0 / 16.0)).astype(np.uint8))
    assert np.array_equal(labels, digits.target) and classes == [str(i) for i in range(10)]
    code = (
        "import sys; from cnnlessons.data import load_dataset; load_dataset('digits'); "
        "print('sklearn' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", "loading the digits imported scikit-learn (a second per kernel)"


class _Trickle(http.server.BaseHTTPRequestHandler):
    """A server that answers with a byte every 0.2 s: each read gets data, the download never ends."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(10**8))
        self.end_headers()
        try:
            for _ in range(600):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def log_message(self, *args):
        pass


# Learner fault 10: a trickling download never timed out; a corrupted one was blamed on the network.
def test_a_trickling_download_stops_at_its_deadline_and_says_why(tmp_path, monkeypatch):
    from torchvision.datasets import CIFAR10

    from cnnlessons import datasources

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setattr(CIFAR10, "url", f"http://127.0.0.1:{httpd.server_address[1]}/cifar.tar.gz")
    monkeypatch.setattr(datasources, "DOWNLOAD_DEADLINE_S", 2.0)
    start = time.perf_counter()
    try:
        with pytest.raises(
            DownloadError, match=r"the download took more than 2 s: a slow or stalled network"
        ):
            load_dataset("cifar10", root=tmp_path / "data")
    finally:
        httpd.shutdown()
    assert time.perf_counter() - start < 15


def test_a_corrupted_download_is_named_as_such(tmp_path, monkeypatch):
    from torchvision.datasets import CIFAR10

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "cifar-10-python.tar.gz").write_bytes(b"not the archive")
    server = _Server(tmp_path / "src")
    monkeypatch.setattr(CIFAR10, "url", server.url + "cifar-10-python.tar.gz")
    try:
        with pytest.raises(
            DownloadError, match=r"the downloaded file is damaged \(its checksum does not match\)"
        ):
            load_dataset("cifar10", root=tmp_path / "data")
    finally:
        server.close()
