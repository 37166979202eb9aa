import inspect
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlessons.history import History
from cnnlessons.runs.recipes import Recipe, Run
from cnnlessons.tensordata import TensorLoader, random_crop, random_flip
from cnnlessons.training import Training, evaluate, fit, set_seed


def small_net(c=1, k=10):
    return nn.Sequential(
        nn.Conv2d(c, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, k),
    )


def test_fit_learns_digits(digits):
    set_seed(0)
    h = fit(small_net(), digits, Training(epochs=6, batch_size=20, lr=0.2, test=True), label="net")
    assert h.epoch == list(range(1, 7)) and len(h.val_acc) == 6
    assert h.train_loss[-1] < h.train_loss[0]
    assert h.val_acc[-1] > 0.5 and h.test_acc > 0.5  # chance is 10%
    assert h.time == sorted(h.time) and h.wall_time > 0
    assert h.info["parameters"] == sum(p.numel() for p in small_net().parameters())
    assert "net: 6 epochs" in str(h)


def test_fit_is_deterministic_on_cpu(digits):
    runs = []
    for _ in range(2):
        set_seed(1)
        runs.append(fit(small_net(), digits, Training(epochs=2, batch_size=64)))
    assert runs[0].train_loss == runs[1].train_loss and runs[0].val_acc == runs[1].val_acc


def test_interrupt_keeps_what_was_learned(digits, capsys):
    set_seed(0)
    model = small_net()

    def stop_after_two(h):
        if len(h.epoch) == 2:
            raise KeyboardInterrupt

    h = fit(model, digits, Training(epochs=5, batch_size=50, lr=0.2), show=stop_after_two)
    assert h.interrupted and h.epoch == [1, 2]
    assert "keeps what it learned" in capsys.readouterr().out
    val = TensorLoader(digits.val_images, digits.val_labels, batch_size=100, mean=digits.mean, std=digits.std)
    assert evaluate(model, val)[1] == pytest.approx(h.val_acc[-1])


def test_dataloader_path_trains_too(digits):
    set_seed(0)
    h = fit(small_net(), digits, Training(epochs=1, batch_size=50, loader="dataloader"))
    assert len(h.train_acc) == 1 and 0 <= h.val_acc[0] <= 1


def test_history_roundtrip():
    h = History(
        label="a", epoch=[1], train_loss=[1.0], train_acc=[0.5], val_loss=[1.1], val_acc=[0.4], time=[2.0]
    )
    assert History.from_dict(h.to_dict()) == h
    assert h.train_error == [0.5]


def test_training_error_in_eval_mode_on_a_fixed_subset(digits):
    # heavy dropout: the running accuracy (dropout on) sits below the eval-mode one
    set_seed(0)
    model = nn.Sequential(*list(small_net())[:-1], nn.Dropout(0.5), nn.Linear(32, 10))
    h = fit(model, digits, Training(epochs=3, batch_size=20, lr=0.2, train_eval_size=200, seed=3))
    assert len(h.train_eval_acc) == len(h.epoch) == 3 and h.info["train_eval_size"] == 200
    assert h.train_eval_error == [1 - a for a in h.train_eval_acc]
    assert h.train_eval_acc[-1] > h.train_acc[-1] + 0.1
    assert "(eval mode)" in str(h) and "(running)" in str(h)
    # the subset is fixed by the seed: evaluating the trained model on it gives the last figure
    keep = torch.randperm(len(digits.train_labels), generator=torch.Generator().manual_seed(3))[:200]
    subset = TensorLoader(
        digits.train_images[keep], digits.train_labels[keep], batch_size=50, mean=digits.mean, std=digits.std
    )
    assert evaluate(model, subset)[1] == pytest.approx(h.train_eval_acc[-1])
    # never more than the training split; 0 turns it off
    assert fit(small_net(), digits, Training(epochs=1)).info["train_eval_size"] == len(digits.train_labels)
    off = fit(small_net(), digits, Training(epochs=1, train_eval_size=0))
    assert off.train_eval_acc == [] and off.info["train_eval_size"] == 0
    with pytest.raises(ValueError, match="train_eval_size must be an integer >= 0"):
        fit(small_net(), digits, Training(epochs=1, train_eval_size=-1))


def test_history_reads_a_dict_recorded_before_the_eval_mode_training_error():
    old = {
        "label": "a",
        "epoch": [1],
        "train_loss": [1.0],
        "train_acc": [0.5],
        "val_loss": [1.1],
        "val_acc": [0.4],
        "time": [2.0],
        "test_acc": None,
        "interrupted": False,
        "info": {},
    }
    h = History.from_dict(old)
    assert h.train_eval_acc == [] and h.train_eval_error == [] and h.train_error == [0.5]
    assert "eval mode" not in str(h)


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"epochs": 0}, "epochs"),
        ({"lr": -1.0}, "lr"),
        ({"optimizer": "lion"}, "optimizer"),
        ({"schedule": "steps"}, "schedule"),
        ({"loader": "magic"}, "loader"),
        ({"device": "tpu"}, "device"),
        ({"precision": "fp8"}, "precision must be one of 'auto', 'fp32', 'bf16', 'fp16', got 'fp8'"),
    ],
)
def test_bad_arguments_name_the_parameter(digits, kw, name):
    with pytest.raises(ValueError, match=name):
        fit(small_net(), digits, Training(**{"epochs": 1, **kw}))


def test_fit_records_its_precision_float32_on_the_cpu(digits):
    h = fit(small_net(), digits, Training(epochs=1, batch_size=100))
    assert h.info["precision"] == "fp32"


def test_forced_fp16_trains_through_a_gradient_scaler(digits, monkeypatch):
    scaled = []
    real_scale = torch.amp.GradScaler.scale
    monkeypatch.setattr(
        torch.amp.GradScaler, "scale", lambda self, loss: scaled.append(1) or real_scale(self, loss)
    )
    set_seed(0)
    tiny = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(4),
        nn.Flatten(),
        nn.Linear(128, 10),
    )  # fp16 is slow on CPUs
    h = fit(tiny, digits, Training(epochs=2, batch_size=50, lr=0.2, precision="fp16"))
    assert h.info["precision"] == "fp16"
    assert h.train_loss[-1] < h.train_loss[0] < 3  # it learns, no overflow
    assert len(scaled) == 12  # every step (6 an epoch) went through the scaler


def test_fit_rejects_other_data():
    with pytest.raises(TypeError, match="data must be a CourseData"):
        fit(small_net(), [1, 2, 3], Training(epochs=1))


# ----------------------------------------------------------------------------- tensor data path
def test_random_crop_is_a_window_of_the_padded_image():
    x = torch.randint(1, 255, (32, 3, 8, 8), dtype=torch.uint8)
    out = random_crop(x, 2, torch.Generator().manual_seed(0))
    padded = F.pad(x, (2, 2, 2, 2))
    offsets = set()
    for i in range(len(x)):
        hits = [
            (dy, dx)
            for dy in range(5)
            for dx in range(5)
            if torch.equal(out[i], padded[i, :, dy : dy + 8, dx : dx + 8])
        ]
        assert hits, f"image {i} is no crop of its padded copy"
        offsets.add(hits[0])
    assert len(offsets) > 5  # offsets vary per image


def test_random_flip_mirrors_about_half():
    x = torch.arange(64 * 4, dtype=torch.float32).view(64, 1, 1, 4)
    out = random_flip(x, torch.Generator().manual_seed(0))
    flipped = [torch.equal(out[i], x[i].flip(2)) for i in range(64)]
    kept = [torch.equal(out[i], x[i]) for i in range(64)]
    assert all(f or k for f, k in zip(flipped, kept, strict=False)) and 16 < sum(flipped) < 48


def test_tensor_loader_normalises_like_the_data(digits):
    loader = TensorLoader(
        digits.val_images, digits.val_labels, batch_size=32, mean=digits.mean, std=digits.std
    )
    x, y = next(iter(loader))
    torch.testing.assert_close(x, digits.normalize(digits.val_images[:32]))
    assert torch.equal(y, digits.val_labels[:32])
    assert len(loader) == 4 and sum(len(b[1]) for b in loader) == 100


def test_tensor_loader_shuffles_every_label_once_per_epoch(digits):
    loader = TensorLoader(
        digits.train_images,
        digits.train_labels,
        batch_size=64,
        mean=digits.mean,
        std=digits.std,
        shuffle=True,
        augment=True,
        seed=0,
    )
    first = torch.cat([y for _, y in loader])
    second = torch.cat([y for _, y in loader])
    assert sorted(first.tolist()) == sorted(digits.train_labels.tolist())
    assert not torch.equal(first, second)


def test_tensor_loader_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        TensorLoader(
            torch.zeros(4, 1, 8, 8), torch.zeros(4), batch_size=2, mean=torch.zeros(1), std=torch.ones(1)
        )
    with pytest.raises(ValueError, match="batch_size"):
        TensorLoader(
            torch.zeros(4, 1, 8, 8, dtype=torch.uint8),
            torch.zeros(4),
            batch_size=0,
            mean=torch.zeros(1),
            std=torch.ones(1),
        )


def test_fit_takes_one_training_configuration_and_few_parameters():
    parameters = inspect.signature(fit).parameters.values()
    assert len(parameters) <= 6
    assert not any(p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in parameters)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Training(lrr=0.1), "unexpected keyword argument 'lrr'"),
        (lambda: Training(optimizer="sgdd"), "optimizer must be one of 'sgd', 'adam', 'adamw', got 'sgdd'"),
        (lambda: Training(augment="yes"), "augment must be True or False"),
        (lambda: Training(label_smoothing=1.0), "label_smoothing must be a number >= 0 and < 1"),
        (lambda: Training(train_eval_size=-1), "train_eval_size must be an integer >= 0"),
        (
            lambda: Recipe("t/x", "", runs=(), training=dict(lr=0.1)),
            "Recipe.training must be a Training, e.g. Training",
        ),
        (lambda: Run("a", "small_vgg", training={"lr": 0.1}), "Run.training must be a Training"),
        (lambda: Recipe("t/x", "", runs=(), training=Training(epochs=3)), "must leave epochs and seed unset"),
    ],
)
def test_a_misspelt_option_fails_where_the_configuration_is_written(make, message):
    with pytest.raises((TypeError, ValueError), match=re.escape(message)):
        make()


def test_a_configuration_records_only_what_it_sets():
    base = Training(optimizer="sgd", lr=0.1, momentum=0.9)  # momentum as the default: still set
    assert base.options() == {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9}
    assert repr(base) == "Training(optimizer='sgd', lr=0.1, momentum=0.9)"
    changed = base.override(Training(lr=0.01, test=True))
    assert changed.options() == {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "test": True}
    assert base.override(None) is base
    resolved = Training().resolved()
    assert resolved["lr"] == 0.05 and resolved["epochs"] >= 1 and resolved["test"] is False


def test_fit_names_what_it_expects_of_training_and_show(digits):
    with pytest.raises(TypeError, match=r"training must be a Training, e.g. Training\(lr=0.1\), got dict"):
        fit(small_net(), digits, {"lr": 0.1})
    with pytest.raises(ValueError, match="show must be one of 'bar', 'epochs', 'nothing' or a function"):
        fit(small_net(), digits, Training(epochs=1), show="lines")


def test_show_epochs_prints_a_line_per_epoch(digits, capsys):
    fit(small_net(), digits, Training(epochs=2, batch_size=100), show="epochs")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch   1", "epoch   2"]
