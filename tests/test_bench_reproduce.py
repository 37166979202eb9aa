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
    results = bench.main(
        [
            "--data",
            str(tmp_path),
            "--model",
            "small_resnet",
            "--steps",
            "2",
            "--images",
            "200",
            "--batch-size",
            "32",
            "--workers",
            "0",
            "--json",
            str(tmp_path / "b.json"),
        ]
    )
    out = capsys.readouterr().out
    assert "(a) data path" in out and "(b) training steps" in out and "ratio" in out
    for part in ("data_path", "training"):
        assert results[part]["course"] > 0 and results[part]["reference"] > 0
    assert json.loads((tmp_path / "b.json").read_text())["model"] == "small_resnet"


def test_reproduce_writes_curves_the_lessons_can_draw(tmp_path):
    _cifar_like(tmp_path)
    out = reproduce.main(
        [
            "--data",
            str(tmp_path),
            "--profile",
            "smoke",
            "--only",
            "05_densenet/densenet_vs_resnet",
            "--out",
            str(tmp_path / "r.json"),
        ]
    )
    doc = json.loads(out.read_text())
    assert {"device", "date", "versions", "experiments"} <= set(doc)
    assert doc["versions"]["torch"]
    runs = doc["experiments"]["05_densenet/densenet_vs_resnet"]
    assert len(runs) == 2 and all(r["test_acc"] is not None and r["epoch"] for r in runs)
    histories = reference_runs("05_densenet/densenet_vs_resnet", doc)
    assert histories[0].info["device"] == doc["device"] and histories[0].info["date"] == doc["date"]
    assert reference_runs("no/such", doc) == []


def test_reproduce_rejects_unknown_keys(tmp_path, capsys):
    _cifar_like(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        reproduce.main(["--data", str(tmp_path), "--profile", "smoke", "--only", "nope"])
    assert exit_info.value.code == 2
    assert "--only: experiment keys must be among 01_alexnet/figure1" in capsys.readouterr().err


@pytest.mark.parametrize("main", [reproduce.main, bench.main], ids=["reproduce", "bench"])
def test_a_missing_data_folder_is_one_line_naming_data(main, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--data", str(tmp_path / "nowhere")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"error: --data: dataset path {str(tmp_path / 'nowhere')!r} does not exist" in err
    assert "Traceback" not in err


def test_an_interrupted_reproduction_writes_no_result_and_resumes(tmp_path, monkeypatch, capsys):
    from cnnlessons.data import load_dataset
    from cnnlessons.profiles import get_profile

    _cifar_like(tmp_path)
    monkeypatch.setenv("CNNLESSONS_DATA_ROOT", str(tmp_path / "root"))
    profile = get_profile("smoke")
    data = load_dataset(
        tmp_path, train_size=profile.train_size, val_size=profile.val_size, image_size=profile.image_size
    )
    keys = ["02_vggnet/vgg", "05_densenet/densenet_vs_resnet"]

    def stop(history):  # Ctrl-C after the first epoch of the second experiment's first run
        if history.info.get("recipe") is None and history.label == "DenseNet-BC" and history.epoch == [1]:
            raise KeyboardInterrupt

    doc, finished = reproduce.run_experiments(data, profile, keys, show=stop)
    assert not finished and list(doc["experiments"]) == ["02_vggnet/vgg"]
    assert "05_densenet/densenet_vs_resnet was interrupted: not a result" in capsys.readouterr().out

    doc, finished = reproduce.run_experiments(data, profile, keys, done=doc)
    assert finished and list(doc["experiments"]) == keys
    assert "02_vggnet/vgg: finished before" in capsys.readouterr().out


def test_a_reader_refuses_an_interrupted_reference_run(capsys):
    doc = {
        "device": "GPU",
        "date": "2026-01-01",
        "experiments": {
            "04_resnet/resnet20_fast": [{"label": "ResNet-20", "epoch": [], "interrupted": True}]
        },
    }
    assert reference_runs("04_resnet/resnet20_fast", doc) == []
    assert "is not a finished run (interrupted or empty): not drawn" in capsys.readouterr().out


def test_bench_names_a_device_it_cannot_use(capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--device", "tpu"])
    assert exit_info.value.code == 2
    assert (
        "error: --device: device must be 'cpu', 'cuda', 'cuda:N' or 'mps', got 'tpu'"
        in capsys.readouterr().err
    )


def test_reproduce_refuses_an_out_it_cannot_write_before_training(tmp_path, capsys):
    _cifar_like(tmp_path)
    blocker = tmp_path / "a file"
    blocker.write_text("")
    with pytest.raises(SystemExit):
        reproduce.main(["--data", str(tmp_path), "--profile", "smoke", "--out", str(blocker / "r.json")])
    err = capsys.readouterr()
    assert f"--out {blocker / 'r.json'} cannot be written" in err.err and "epoch" not in err.out
