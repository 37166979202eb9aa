"""Click to redraw: an explorer's train button before and after ``cnnlessons prepare``.

    .venv/bin/python benchmarks/runcache_click.py [--profile smoke|cpu|gpu] [--cache DIR]

In a fresh run cache (a temporary folder unless ``--cache``) it times, for VGG's kernel explorer
and DenseNet's growth-rate explorer at their opening settings: the first click (trains), then
``prepare`` of the lesson, then the click of a new explorer (a new kernel: answers from the disk
cache) and a second click of that explorer (its session cache). Prints the figures; no assertion.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def click(explorer) -> float:
    start = time.perf_counter()
    explorer.button.click() if hasattr(explorer, "button") else explorer.train()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--cache", default=None, help="cache folder (default: a temporary one)")
    args = parser.parse_args()
    os.environ["CNNLESSONS_PROFILE"] = args.profile
    os.environ["CNNLESSONS_RUN_CACHE"] = args.cache or tempfile.mkdtemp(prefix="cnnlessons-runs-")
    os.environ.setdefault("TQDM_DISABLE", "1")
    import matplotlib

    matplotlib.use("Agg")
    import torch

    torch.set_num_threads(min(2, torch.get_num_threads()))
    from cnnlessons.data import load_data
    from cnnlessons.lessons.densenet.explorer import GrowthRateExplorer
    from cnnlessons.lessons.vgg.explorer import KernelExplorer
    from cnnlessons.runs.prepare import _densenet_epochs, prepare

    data = load_data(args.profile)
    explorers = {
        "02_vggnet": lambda: KernelExplorer(data, kernel_size=7, num_layers=1, profile=args.profile),
        "05_densenet": lambda: GrowthRateExplorer(
            data, growth_rate=12, num_layers=4, input_size=(3, 32, 32), epochs=_densenet_epochs(args.profile)
        ),
    }
    print(
        f"profile {args.profile}, {data.name}, {torch.get_num_threads()} threads, "
        f"cache {os.environ['CNNLESSONS_RUN_CACHE']}"
    )
    for lesson, make in explorers.items():
        explorer = make()
        explorer.show()
        redraw = time.perf_counter()
        explorer.update()
        redraw = time.perf_counter() - redraw
        first = click(explorer)
        prepared = prepare([lesson], args.profile, progress=False)["seconds"]
        fresh = make()
        fresh.show()
        from_disk = click(fresh)
        again = click(fresh)
        assert "from the cache" in fresh.text, fresh.text
        print(
            f"{lesson}: redraw alone {redraw:.2f} s; click, nothing cached {first:.2f} s; "
            f"prepare {prepared:.1f} s; click after prepare (disk cache) {from_disk:.2f} s; "
            f"second click (session cache) {again:.2f} s"
        )
        print(f"  readout: {fresh.text[-160:]}")


if __name__ == "__main__":
    main()
