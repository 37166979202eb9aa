"""Where learners run the course: the precision each device gets, the setup cell's choices, the
reference results of an installed course, the time estimate; and, marked ``cuda``, the GPU path
itself (skipped without CUDA; ``tools/gpu_check.sh`` runs them on a lent GPU)."""

import json
import os
import pathlib
import warnings

import matplotlib
import pytest
import torch
from torch import nn

from cnnlessons.devices import cpu_model, device_description
from cnnlessons.history import History
from cnnlessons.notebook import setup_notebook
from cnnlessons.precision import choose_precision
from cnnlessons.runs import results
from cnnlessons.runs.estimate import estimate_time, format_seconds
from cnnlessons.training import Training, fit, set_seed

ROOT = pathlib.Path(__file__).resolve().parent.parent
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


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


# ----------------------------------------------------------------------------- device names
def test_a_cpu_is_described_by_its_model_and_threads():
    """Build times and speeds go into records with the CPU's model: two 2-core CPUs differ."""
    text = device_description(torch.device("cpu"))
    assert text == f"CPU ({cpu_model()}, {os.cpu_count()} cores, {torch.get_num_threads()} threads)"
    assert (
        device_description(torch.device("cpu"), threads=False)
        == f"CPU ({cpu_model()}, {os.cpu_count()} cores)"
    )
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    names = [
        line.split(":", 1)[1].strip()
        for line in (cpuinfo.read_text().splitlines() if cpuinfo.exists() else [])
        if line.startswith("model name")
    ]
    if names:
        assert cpu_model() == names[0] and names[0] in text
    assert cpu_model().strip()
    assert device_description(torch.device("mps")) == "Apple's GPU (mps)"


# ----------------------------------------------------------------------------- precision
@pytest.mark.parametrize(
    "capability, name, scaled",
    [
        ((6, 0), "fp16", True),  # P100
        ((7, 0), "fp16", True),  # V100
        ((7, 5), "fp16", True),  # T4, Colab's free GPU
        ((8, 0), "bf16", False),  # A100
        ((8, 9), "bf16", False),  # L4
        ((9, 0), "bf16", False),  # H100, H200
    ],
)
def test_auto_precision_follows_the_compute_capability(capability, name, scaled, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    p = choose_precision("auto", "cuda")
    assert (p.name, p.scaled, p.device_type) == (name, scaled, "cuda")
    assert f"compute capability {capability[0]}.{capability[1]}" in str(p)
    if scaled:
        assert "gradient scaler" in str(p)


def test_auto_precision_is_float32_on_the_cpu():
    p = choose_precision("auto", "cpu")
    assert p.name == "fp32" and not p.scaled and p.grad_scaler() is None
    assert str(p) == "float32 (auto on cpu)"


@pytest.mark.parametrize("asked", ["fp32", "bf16", "fp16"])
def test_a_named_precision_is_taken_as_asked(asked, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 5))
    assert choose_precision(asked, "cuda").name == asked
    assert choose_precision(asked, "cpu").name == asked


@pytest.mark.parametrize("bad", ["fp8", "bfloat16", "", None, 16])
def test_bad_precision_names_the_setting_and_the_choices(bad):
    with pytest.raises(
        ValueError,
        match=r"precision must be one of 'auto', 'fp32', 'bf16', "
        r"'fp16', got",
    ):
        choose_precision(bad, "cpu")


# ----------------------------------------------------------------------------- setup cell
def test_setup_chooses_the_profile_in_one_line_and_prints_the_precision(monkeypatch, capsys):
    monkeypatch.setenv("CNNLESSONS_PROFILE", "smoke")
    threads = torch.get_num_threads()
    with warnings.catch_warnings(), matplotlib.rc_context():  # keep its settings to itself
        assert setup_notebook(profile="cpu").name == "cpu"
        assert os.environ["CNNLESSONS_PROFILE"] == "cpu"  # every later cell gets it too
        out = capsys.readouterr().out
        assert "profile 'cpu'" in out and "precision: float32 (auto on cpu)" in out
        assert setup_notebook().name == "cpu"  # "auto" keeps the choice
    torch.set_num_threads(threads)


@pytest.mark.parametrize("bad, error", [("large", ValueError), ("GPU-ish", ValueError), (3, TypeError)])
def test_setup_rejects_an_unknown_profile(bad, error, monkeypatch):
    monkeypatch.setenv("CNNLESSONS_PROFILE", "smoke")
    with pytest.raises(error, match="profile must be 'auto' or one of smoke, cpu, gpu"):
        setup_notebook(profile=bad)
    assert os.environ["CNNLESSONS_PROFILE"] == "smoke"


# ----------------------------------------------------------------------------- reference results
def _write_results(folder: pathlib.Path, name: str, date: str, experiments: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "device": f"GPU of {date}",
        "date": date,
        "experiments": {
            key: [
                History(
                    label=label,
                    epoch=[1],
                    train_loss=[1.0],
                    train_acc=[0.5],
                    val_loss=[1.0],
                    val_acc=[acc],
                    time=[1.0],
                ).to_dict()
            ]
            for key, (label, acc) in experiments.items()
        },
    }
    (folder / name).write_text(json.dumps(doc))


def test_reference_runs_come_from_the_newest_file_that_has_the_experiment(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLESSONS_DATA_ROOT", str(tmp_path))
    folder = results.user_results()
    assert folder == tmp_path / "reference_results"
    _write_results(
        folder,
        "2026-01-05-120000-gpu.json",
        "2026-01-05",
        {"04_resnet/resnet20_fast": ("old", 0.80), "06_summary/five_models": ("s", 0.7)},
    )
    _write_results(
        folder, "2026-03-01-090000-gpu.json", "2026-03-01", {"04_resnet/resnet20_fast": ("new", 0.92)}
    )
    names = [f.name for f in results.result_files()]
    assert names.index("2026-03-01-090000-gpu.json") < names.index("2026-01-05-120000-gpu.json")
    (run,) = results.reference_runs("04_resnet/resnet20_fast")
    assert (run.label, run.val_acc, run.info["date"]) == ("new", [0.92], "2026-03-01")
    (older,) = results.reference_runs("06_summary/five_models")  # only the older file has it
    assert older.info["device"] == "GPU of 2026-01-05"
    assert results.reference_runs("no/such") == []


def test_reproduce_writes_under_the_data_root_never_into_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNLESSONS_DATA_ROOT", str(tmp_path))
    assert results.output_dir() == tmp_path / "reference_results"  # in a checkout too
    import datetime

    path = results.output_path({"device": "NVIDIA H200"}, datetime.datetime(2026, 5, 1, 13, 4, 5))
    assert path.name == "2026-05-01-130405-nvidia-h200.json"


# ----------------------------------------------------------------------------- time estimate
def test_estimate_time_leaves_the_model_alone_and_adds_up(digits):
    from cnnlessons.measure import flops_per_image

    set_seed(0)
    models = {"a": small_net(), "b": nn.Sequential(small_net(), nn.ReLU())}
    before = {k: [p.detach().clone() for p in m.parameters()] for k, m in models.items()}
    est = estimate_time(models, digits, epochs=3, batch_size=50, steps=2)
    for key, model in models.items():
        assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before[key], strict=False))
    a, b = est.parts
    assert a.flops_per_image == flops_per_image(models["a"], digits.input_size) > 0
    assert a.epochs == 3 and a.train_images == len(digits.train_labels)
    assert a.seconds == pytest.approx(3 * a.step_seconds_per_image * (300 + 100 / 3))
    assert est.seconds == pytest.approx(a.seconds + b.seconds) and est.precision == "fp32"
    assert a.seconds_at(a.flops_per_second) == pytest.approx(a.seconds)
    text = str(est)
    cpu = device_description(torch.device("cpu"))
    assert text.startswith(f"Estimated training time on {cpu} in fp32") and "total: about" in text
    with pytest.raises(ValueError, match="epochs"):
        estimate_time(small_net(), digits, epochs=0)
    with pytest.raises(TypeError, match="models must be"):
        estimate_time([small_net()], digits)


def test_format_seconds():
    assert [format_seconds(s) for s in (0.3, 4.4, 200, 3725)] == [
        "under 1 s",
        "4 s",
        "3 min 20 s",
        "1 h 02 min",
    ]


# ----------------------------------------------------------------------------- on a real GPU
@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("precision", ["auto", "fp32", "bf16", "fp16"])
def test_fit_learns_on_cuda_in_every_precision(digits, precision):
    set_seed(0)
    h = fit(
        small_net(),
        digits,
        Training(epochs=6, batch_size=20, lr=0.2, precision=precision, device="cuda", test=True),
    )  # on the CPU this reaches 80% in fp32, bf16 and fp16
    expected = choose_precision(precision, "cuda").name
    major, _ = torch.cuda.get_device_capability()
    if precision == "auto":
        assert expected == ("bf16" if major >= 8 else "fp16")
    assert h.info["precision"] == expected and h.info["device"] != "cpu"
    assert h.train_loss[-1] < h.train_loss[0] and h.test_acc > 0.5, h


@pytest.mark.cuda
@needs_cuda
def test_estimate_and_bench_on_cuda(digits):
    from cnnlessons.runs.bench import bench_training

    est = estimate_time(small_net(), digits, epochs=2, batch_size=50, device="cuda")
    assert est.device == torch.cuda.get_device_name() and est.seconds > 0
    for precision in ("auto", "fp16"):
        rates = bench_training(
            small_net, digits, torch.device("cuda"), batch_size=50, steps=3, workers=0, precision=precision
        )
        assert rates["course"] > 0 and rates["reference"] > 0
