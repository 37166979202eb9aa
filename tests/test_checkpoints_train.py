"""`cnnlessons train`: a finished run writes the weights and their record, which load strictly;
an unfinished one writes nothing and waits for --resume. Run on CIFAR-shaped digits the test
makes (the real CIFAR-10 is not on CI's machines), one epoch."""

import dataclasses
import json

import pytest
import torch
import torch.nn.functional as F

from cnnlessons.models import MODELS
from cnnlessons.models.converged import check_error_analysis, load_converged, record_path, weights_path
from cnnlessons.runs import checkpoints
from cnnlessons.runs.converged import CONVERGED


@pytest.fixture
def cifar_shaped(digits):
    """The digits at CIFAR-10's shape: 3 x 32 x 32 (upsampled, grey in three channels)."""

    def grow(images):
        big = F.interpolate(images.float(), size=32, mode="nearest").to(torch.uint8)
        return big.expand(-1, 3, -1, -1).contiguous()

    return dataclasses.replace(
        digits,
        name="digits at 3x32x32",
        train_images=grow(digits.train_images),
        val_images=grow(digits.val_images),
        test_images=grow(digits.test_images),
        mean=digits.mean.expand(3).clone(),
        std=digits.std.expand(3).clone(),
    )


@pytest.fixture
def one_epoch(monkeypatch, tmp_path):
    recipe = dataclasses.replace(CONVERGED["small_alexnet"], fixed_epochs=1)
    monkeypatch.setattr(checkpoints, "CONVERGED", {**CONVERGED, "small_alexnet": recipe})
    monkeypatch.setenv("CNNLESSONS_DATA_ROOT", str(tmp_path / "root"))
    return recipe


def test_a_finished_run_writes_weights_and_a_record_that_load_strictly(
    cifar_shaped, one_epoch, tmp_path, capsys
):
    out = tmp_path / "out"
    record = checkpoints.train("small_alexnet", cifar_shaped, out=out, precision="fp32")
    printed = capsys.readouterr().out
    assert "converged/small_alexnet" in printed and "estimate" in printed.lower()
    assert json.loads(record_path("small_alexnet", out).read_text()) == json.loads(json.dumps(record))
    assert record["recipe_digest"] == one_epoch.digest("gpu") and record["epochs"] == 1
    assert record["test_set"].startswith(f"{cifar_shaped.source}: the test split")
    assert record["device"].startswith("CPU (") and record["precision"] == "fp32"
    assert set(record["per_class_test_acc"]) == set(cifar_shaped.classes)
    assert record["normalisation"]["mean"] == pytest.approx(cifar_shaped.mean.tolist())
    # the error analysis, measured on the float16 weights written
    check_error_analysis(record, tolerance=None)
    about = record["error_analysis"]
    assert about["images"] == len(cifar_shaped.test_labels) and about["classes"] == cifar_shaped.classes
    assert about["weights_sha256"] == record["weights_sha256"] and about["data"] == cifar_shaped.source
    assert not checkpoints.partial_path("small_alexnet").exists()  # a finished run keeps no partial
    state = torch.load(weights_path("small_alexnet", out), weights_only=True)
    assert {v.dtype for v in state.values() if v.is_floating_point()} == {torch.float16}

    model = load_converged("small_alexnet", MODELS["small_alexnet"], {}, folder=out)
    assert model.checkpoint_record["test_acc"] == record["test_acc"]
    with pytest.raises(
        ValueError,
        match=r"trained as build_model\('small_alexnet'\); these arguments "
        r"build another model: \{'dropout': 0.1\}",
    ):
        load_converged("small_alexnet", MODELS["small_alexnet"], {"dropout": 0.1}, folder=out)
    with pytest.raises(ValueError, match="num_classes must be 10"):
        load_converged("small_alexnet", MODELS["small_alexnet"], {"num_classes": 100}, folder=out)

    def changed_code(**kwargs):  # as if SmallAlexNet's classifier had been edited since training
        model = MODELS["small_alexnet"](**kwargs)
        model.classifier.fc8 = torch.nn.Linear(model.classifier.fc8.in_features + 1, 10)
        return model

    with pytest.raises(
        ValueError,
        match=r"the shipped small_alexnet checkpoint does not fit today's "
        r"'small_alexnet' \(size mismatch for classifier\.fc8\.weight.*"
        r"train it again \(cnnlessons train small_alexnet",
    ):
        load_converged("small_alexnet", changed_code, {}, folder=out)

    last = list(state)[-1]
    state[last] = state[last] + 1  # weights that are not the record's
    torch.save(state, weights_path("small_alexnet", out))
    with pytest.raises(ValueError, match="does not hash to its record's weights_sha256"):
        load_converged("small_alexnet", MODELS["small_alexnet"], {}, folder=out)


def test_an_unfinished_run_is_never_a_result(cifar_shaped, one_epoch, tmp_path):
    partial = checkpoints.partial_path("small_alexnet")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"")
    with pytest.raises(FileExistsError, match="an unfinished run of small_alexnet is kept in .*--resume"):
        checkpoints.train("small_alexnet", cifar_shaped, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()

    record = dict(
        json.loads(
            json.dumps(
                {
                    "model": "small_alexnet",
                    "model_kwargs": {},
                    "test_acc": 0.5,
                    "history": {"epoch": [1], "interrupted": True},
                }
            )
        )
    )
    folder = tmp_path / "shipped"
    folder.mkdir()
    record_path("small_alexnet", folder).write_text(json.dumps(record))
    weights_path("small_alexnet", folder).write_bytes(b"")
    with pytest.raises(ValueError, match="is not a finished run"):
        load_converged("small_alexnet", MODELS["small_alexnet"], {}, folder=folder)


def test_train_refuses_a_name_or_data_it_cannot_train(cifar_shaped, digits):
    with pytest.raises(ValueError, match="name must be one of resnet20, small_alexnet"):
        checkpoints.train("resnet18", cifar_shaped)
    with pytest.raises(ValueError, match=r"data must be CIFAR-10 \(10 classes, 3x32x32\)"):
        checkpoints.train("resnet20", digits)


def test_the_train_command_names_a_missing_data_folder(tmp_path, capsys):
    from cnnlessons.__main__ import main

    assert main(["train", "resnet20", "--data", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err == f"train: --data: dataset path {str(tmp_path / 'nowhere')!r} does not exist\n"


def test_the_weights_hash_covers_every_tensor_even_a_scalar():
    from cnnlessons.models.converged import weights_digest

    state = {"bn.num_batches_tracked": torch.tensor(3), "w": torch.ones(2, dtype=torch.float16)}
    assert weights_digest(state) == weights_digest(dict(state))
    assert weights_digest(state) != weights_digest({**state, "bn.num_batches_tracked": torch.tensor(4)})
    assert weights_digest(state) != weights_digest({**state, "w": torch.ones(2)})  # the dtype counts


# Learner faults 3 and 4: `train` in a checkout overwrote the shipped checkpoint with a 100-image
# run, and an --out it could not write failed only after training.
def test_train_never_writes_over_the_shipped_checkpoints_by_default(cifar_shaped, one_epoch, tmp_path):
    from cnnlessons.data import data_root
    from cnnlessons.models.converged import WEIGHTS

    assert checkpoints.default_out() == data_root() / "cifar10_checkpoints"
    shipped = weights_path("small_alexnet").read_bytes()
    with pytest.raises(
        ValueError, match=r"holds the shipped checkpoints: replacing them needs a run on the full"
    ):
        checkpoints.train("small_alexnet", cifar_shaped, out=WEIGHTS, precision="fp32")
    assert weights_path("small_alexnet").read_bytes() == shipped


def test_an_out_that_cannot_be_written_is_refused_before_training(cifar_shaped, one_epoch, tmp_path, capsys):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    with pytest.raises(ValueError, match=r"--out .*a file/ckpt cannot be written"):
        checkpoints.train("small_alexnet", cifar_shaped, out=blocker / "ckpt", precision="fp32")
    assert "epoch" not in capsys.readouterr().out  # refused before any training
