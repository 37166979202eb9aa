"""Train the shipped ResNet-20's recipe for a shorter budget in one precision, to compare precisions.

    python tools/precision_check.py --data DIR --precision bf16 [--epochs 40] [--seed 0] [--json FILE]

The reference runs trained to the end use bf16 autocast on a CPU that computes it natively only
where this check, run once in fp32 and once in bf16 on the same CPU, gives test accuracies within
0.5 points (docs/results.md keeps both figures). It trains ``CONVERGED["resnet20"]`` (one-cycle SGD,
label smoothing, weight decay, crops and flips) on the ``gpu`` profile's split, prints a line per
epoch and ends with one ``RESULT`` line; ``--json`` also keeps the whole history.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cnnlessons.lessons  # noqa: E402,F401  registers the recipes
from cnnlessons.profiles import get_profile  # noqa: E402
from cnnlessons.runs.converged import CONVERGED, PROFILE, load_training_data  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="a folder with cifar10-{train,test}.npz")
    parser.add_argument("--precision", required=True, choices=("fp32", "bf16", "fp16"))
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the run's history and result here")
    args = parser.parse_args(argv)
    profile = get_profile(PROFILE)
    recipe = dataclasses.replace(CONVERGED["resnet20"], fixed_epochs=args.epochs, seed=args.seed)
    data = load_training_data(args.data)
    print(recipe.describe(profile))
    print(recipe.estimate(data, profile, precision=args.precision), flush=True)
    [run] = recipe.runs_for(profile)
    # not through the run cache: a comparison of precisions trains both runs here
    _, history = recipe.fit_run.__wrapped__(
        recipe, run, data, profile, precision=args.precision, show="epochs"
    )
    if history.interrupted:
        print("interrupted: not a result")
        return 130
    device = history.info.get("device")
    print(
        f"RESULT {args.precision} {args.epochs} epochs seed {args.seed}: test {history.test_acc:.2%}, "
        f"held-out {history.val_acc[-1]:.2%}, wall {history.wall_time:.0f} s, {device}"
    )
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"history": history.to_dict()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
