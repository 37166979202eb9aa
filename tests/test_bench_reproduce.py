import json

import numpy as np
import pytest

from cnnlessons.runs import bench, reproduce
from cnnlessons.runs.results import reference_runs


def _cifar_like(folder, n_train=300, n_test=60):
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("test", n_test)):
        labels = np.arange(n) % 10
        # class-dependent brightness so that there is something to learn
        images = (rng.integers(0, 120, (n, 16, 16, 3)) + 12 * labels[:, None, None, None]).astype(np.uint8)
        np.savez(folder / f"cifar10-{split}.npz", images=images, labels=labels)


def test_bench_measures_both_paths(tmp_path, capsys):
    _cifar_like(tmp_path)
    results = bench.main(["--data", str(tmp_path), "--model", "small_resnet", "--steps", "2",
                          "--images", "200", "--batch-size", "32", "--workers", "0",
                          "--json", str(tmp_path / "b.json")])
    out = capsys.readouterr().out
    assert "(a) data path" in out and "(b) training steps" in out and "ratio" in out
    for part in ("data_path", "training"):
        assert results[part]["course"] > 0 and results[part]["reference"] > 0
    assert json.loads((tmp_path / "b.json").read_text())["model"] == "small_resnet"


def test_reproduce_writes_curves_the_lessons_can_draw(tmp_path):
    _cifar_like(tmp_path)
    out = reproduce.main(["--data", str(tmp_path), "--profile", "smoke",
                          "--only", "05_densenet/densenet_vs_resnet", "--out", str(tmp_path / "r.json")])
    doc = json.loads(out.read_text())
    assert {"device", "date", "versions", "experiments"} <= set(doc)
    assert doc["versions"]["torch"]
    runs = doc["experiments"]["05_densenet/densenet_vs_resnet"]
    assert len(runs) == 2 and all(r["test_acc"] is not None and r["epoch"] for r in runs)
    histories = reference_runs("05_densenet/densenet_vs_resnet", doc)
    assert histories[0].info["device"] == doc["device"] and histories[0].info["date"] == doc["date"]
    assert reference_runs("no/such", doc) == []


def test_reproduce_rejects_unknown_keys(tmp_path):
    _cifar_like(tmp_path)
    with pytest.raises(ValueError, match="experiment keys must be among"):
        reproduce.main(["--data", str(tmp_path), "--profile", "smoke", "--only", "nope"])
