"""The JPEG-generation tool: one more JPEG pass, as the CIFAR-10 pack was encoded, on data the test
makes (its ResNet-20 training is the converged recipe's, tested with the checkpoints)."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("jpeg_generation", ROOT / "tools" / "jpeg_generation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def smooth_images(n: int = 6, seed: int = 0) -> np.ndarray:
    """Images with structure at several scales, as photographs have (pure noise would not compress)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:32, 0:32] / 32.0
    images = []
    for _ in range(n):
        fx, fy, phase = rng.uniform(0.5, 2.5), rng.uniform(0.5, 2.5), rng.uniform(0, 6.3)
        light = 100 * np.sin(2 * np.pi * (fx * x + fy * y) + phase)  # shared by the channels
        tint = rng.uniform(60, 190, size=3)
        images.append(tint + light[..., None] + rng.normal(0, 4, size=(32, 32, 3)))
    return np.clip(np.stack(images), 0, 255).astype(np.uint8)


def test_reencoding_loses_detail_keeps_the_images_and_is_deterministic(tool):
    images = smooth_images()
    once = tool.reencode(images)
    assert once.shape == images.shape and once.dtype == np.uint8
    assert 20 < tool.psnr(images, once) < 45  # a lossy pass, not a copy and not noise
    assert np.array_equal(once, tool.reencode(images))
    # the grid shift is what makes a second pass lose more: on the first pass's grid it nearly
    # repeats the first (the pack: 48 dB unshifted, 32 dB shifted by 4)
    pack = tool.reencode(images, shift=0)
    same_grid, moved_grid = tool.reencode(pack, shift=0), tool.reencode(pack, shift=4)
    assert tool.psnr(pack, moved_grid) + 3 < tool.psnr(pack, same_grid)
    assert tool.psnr(images, tool.reencode(images, quality=95)) > tool.psnr(
        images, tool.reencode(images, quality=20)
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"images": np.zeros((2, 32, 32, 3), np.float32)}, "images must be a uint8 array"),
        ({"images": np.zeros((32, 32, 3), np.uint8)}, "images must be a uint8 array"),
        ({"quality": 0}, "quality must be an integer from 1 to 95"),
        ({"quality": 75.0}, "quality must be an integer from 1 to 95"),
        ({"shift": 8}, "shift must be an integer from 0 to 7"),
    ],
)
def test_bad_arguments_are_named(tool, kwargs, message):
    args = {"images": smooth_images(2), **kwargs}
    with pytest.raises(ValueError, match=message):
        tool.reencode(**args)


def test_the_copy_keeps_the_layout_and_labels(tool, tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "copy"
    data.mkdir()
    for split, n in (("train", 6), ("test", 4)):
        np.savez(data / f"cifar10-{split}.npz", images=smooth_images(n, seed=n), labels=np.arange(n) % 10)
    assert tool.main(["--data", str(data), "--out", str(out)]) == 0
    assert "test: re-encoded at quality 75, grid shifted by 4: PSNR" in capsys.readouterr().out
    for split, n in (("train", 6), ("test", 4)):
        copy, original = np.load(out / f"cifar10-{split}.npz"), np.load(data / f"cifar10-{split}.npz")
        assert copy["images"].shape == (n, 32, 32, 3) and np.array_equal(copy["labels"], original["labels"])
        assert not np.array_equal(copy["images"], original["images"])
    with pytest.raises(ValueError, match="out must be another folder than data"):
        tool.write_copy(data, data)
    with pytest.raises(ValueError, match="missing"):
        tool.write_copy(tmp_path / "nowhere", tmp_path / "x")
