"""What one more JPEG generation costs the paper's ResNet-20: an indication of what the JPEG pack
of CIFAR-10 costs it against the original images, which no offline machine here has.

    python tools/jpeg_generation.py --data DIR --out DIR2            # DIR2: every image re-encoded
    python tools/jpeg_generation.py --data DIR --out DIR2 --epochs 20 --seeds 0 1

DIR holds ``cifar10-{train,test}.npz`` (images N x 32 x 32 x 3, labels), as the pack's decoder
writes them. Each image is encoded again as the pack was (JPEG quality 75, 4:2:0 chroma) with its
8x8 block grid shifted by ``--shift`` pixels (edge-padded, then cropped back), so that the second
quantisation is not a no-op on the first one's blocks. With ``--epochs`` the converged ResNet-20
recipe (``CONVERGED["resnet20"]``, shortened to that many epochs) trains on each copy,
each seed on both, and the test accuracies are printed side by side.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import sys
from pathlib import Path

import numpy as np

SPLITS = ("train", "test")


def reencode(images: np.ndarray, quality: int = 75, shift: int = 4) -> np.ndarray:
    """``images`` (N x H x W x 3, uint8) encoded as JPEG at ``quality`` with 4:2:0 chroma and the
    block grid moved by ``shift`` pixels, and decoded again."""
    from PIL import Image

    if (
        not isinstance(images, np.ndarray)
        or images.dtype != np.uint8
        or images.ndim != 4
        or images.shape[-1] != 3
    ):
        raise ValueError(
            "images must be a uint8 array N x H x W x 3, got "
            f"{getattr(images, 'dtype', type(images).__name__)} {getattr(images, 'shape', '')}"
        )
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 95:
        raise ValueError(f"quality must be an integer from 1 to 95, got {quality!r}")
    if isinstance(shift, bool) or not isinstance(shift, int) or not 0 <= shift <= 7:
        raise ValueError(f"shift must be an integer from 0 to 7 (pixels; a block is 8), got {shift!r}")
    h, w = images.shape[1:3]
    out = np.empty_like(images)
    for i, image in enumerate(images):
        padded = np.pad(image, ((shift, shift), (shift, shift), (0, 0)), mode="edge")
        buffer = io.BytesIO()
        Image.fromarray(padded).save(buffer, "JPEG", quality=quality, subsampling=2)  # 2: 4:2:0
        decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
        out[i] = decoded[shift : shift + h, shift : shift + w]
    return out


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of ``b`` against ``a`` (uint8 images), in dB."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def write_copy(data: Path, out: Path, quality: int = 75, shift: int = 4) -> dict[str, float]:
    """Re-encode every image of ``data``'s two splits into ``out`` (same layout); the PSNR of
    each split's new images against the old ones."""
    missing = [str(data / f"cifar10-{s}.npz") for s in SPLITS if not (data / f"cifar10-{s}.npz").exists()]
    if missing:
        raise ValueError(
            f"data must be a folder with cifar10-train.npz and cifar10-test.npz; missing {missing}"
        )
    if out.resolve() == data.resolve():
        raise ValueError("out must be another folder than data (the copy would replace the originals)")
    out.mkdir(parents=True, exist_ok=True)
    quality_db = {}
    for split in SPLITS:
        pack = np.load(data / f"cifar10-{split}.npz")
        images = reencode(pack["images"], quality, shift)
        quality_db[split] = psnr(pack["images"], images)
        np.savez(out / f"cifar10-{split}.npz", images=images, labels=pack["labels"])
    return quality_db


def test_accuracy(data: Path, epochs: int, seed: int) -> float:
    """ResNet-20's test accuracy after ``epochs`` of its converged recipe on ``data``."""
    from cnnlessons.devices import pick_device
    from cnnlessons.profiles import get_profile
    from cnnlessons.runs.checkpoints import default_precision
    from cnnlessons.runs.converged import CONVERGED, PROFILE, load_training_data

    profile = get_profile(PROFILE)
    recipe = dataclasses.replace(CONVERGED["resnet20"], fixed_epochs=epochs, seed=seed)
    [run] = recipe.runs_for(profile)
    device = pick_device()
    # the recipe's training itself, not the run cache (as ``cnnlessons train`` does)
    _, history = recipe.fit_run.__wrapped__(
        recipe,
        run,
        data=load_training_data(data),
        profile=profile,
        device=device,
        precision=default_precision(device),
    )
    return history.test_acc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder with cifar10-{train,test}.npz")
    parser.add_argument("--out", type=Path, required=True, help="where the re-encoded copy goes")
    parser.add_argument("--quality", type=int, default=75)
    parser.add_argument("--shift", type=int, default=4)
    parser.add_argument(
        "--epochs", type=int, default=0, help="train ResNet-20 on both copies (0: only re-encode)"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)
    if args.epochs < 0:
        parser.error(f"--epochs must be >= 0, got {args.epochs}")
    try:
        if all((args.out / f"cifar10-{s}.npz").exists() for s in SPLITS):
            print(f"{args.out}: re-encoded copy present, kept")
        else:
            for split, db in write_copy(args.data, args.out, args.quality, args.shift).items():
                print(
                    f"{split}: re-encoded at quality {args.quality}, grid shifted by {args.shift}: "
                    f"PSNR {db:.1f} dB against the copy it came from"
                )
    except ValueError as error:
        parser.error(str(error))
    if args.epochs:
        print(f"ResNet-20, {args.epochs} epochs of its converged recipe; test accuracy")
        print("| seed | as given | one generation more | difference |\n|---:|---:|---:|---:|")
        for seed in args.seeds:
            once, twice = (test_accuracy(d, args.epochs, seed) for d in (args.data, args.out))
            print(f"| {seed} | {once:.2%} | {twice:.2%} | {100 * (twice - once):+.2f} points |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
