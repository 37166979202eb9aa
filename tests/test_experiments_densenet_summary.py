"""Lesson 05 and 06 experiments: real (small) computations with their exact figures."""

import numpy as np
import pytest
import torch

from cnnlessons import get_profile
from cnnlessons.history import History
from cnnlessons.lessons import densenet as lesson
from cnnlessons.lessons import summary
from cnnlessons.measure import count_parameters
from cnnlessons.models import DenseBlock, SmallDenseNet, SmallResNet, build_model


def build_resnet(num_classes: int = 10, in_channels: int = 3) -> SmallResNet:
    """The ResNet lesson 05 compares DenseNet-BC with, as its recipe builds it."""
    run = lesson.recipes.DENSENET_VS_RESNET.run("ResNet-14")
    return build_model(run.model, num_classes=num_classes, in_channels=in_channels, **run.model_kwargs)


def build_small(label: str, data) -> torch.nn.Module:
    """Lesson 06's course-scale model ``label``, as its recipe builds it for ``data``."""
    recipe = summary.recipes.FIVE_MODELS
    return recipe.build(recipe.run(label), data)


# --- lesson 05 -----------------------------------------------------------------------------------


def test_dense_layer_costs_of_one_block():
    costs = lesson.dense_layer_costs(DenseBlock(3, 5, 4), (5, 8, 8))
    assert [c.in_channels for c in costs] == [5, 9, 13]
    assert [c.out_channels for c in costs] == [9, 13, 17]
    assert [c.layer for c in costs] == [1, 2, 3]
    assert {c.block for c in costs} == {1}
    assert [c.params for c in costs] == [2 * c + 9 * c * 4 for c in (5, 9, 13)]
    assert [c.flops for c in costs] == [2 * 9 * c * 4 * 64 for c in (5, 9, 13)]


def test_dense_layer_costs_of_a_densenet_follow_transitions():
    with torch.device("meta"):
        model = SmallDenseNet(
            num_classes=10, in_channels=3, growth_rate=12, block_config=(2, 2, 2), bottleneck=False
        )
    costs = lesson.dense_layer_costs(model, (3, 32, 32))
    assert [c.index for c in costs] == [1, 2, 3, 4, 5, 6]
    assert [c.block for c in costs] == [1, 1, 2, 2, 3, 3]
    assert [c.resolution for c in costs] == [32, 32, 16, 16, 8, 8]
    # stem 24, block 1 -> 48, transition -> 24, block 2 -> 48, transition -> 24
    assert [c.in_channels for c in costs] == [24, 36, 24, 36, 24, 36]
    assert sum(c.params for c in costs) < count_parameters(model)


def test_dense_layer_costs_rejects_models_without_dense_blocks():
    with pytest.raises(ValueError, match="DenseBlock"):
        lesson.dense_layer_costs(SmallResNet(), (3, 32, 32))
    with pytest.raises(TypeError, match="model"):
        lesson.dense_layer_costs("densenet", (3, 32, 32))


def test_growth_table_is_linear_in_channels_and_cost():
    table = lesson.growth_table(in_channels=16, num_layers=12, growth_rates=(4, 32), image_size=32)
    assert list(table) == [4, 32]
    for k, costs in table.items():
        channels = [16] + [c.out_channels for c in costs]
        assert set(np.diff(channels)) == {k}
        assert channels[-1] == 16 + 12 * k
        # each new layer costs 9*k*k + 2*k more parameters than the one before
        assert set(np.diff([c.params for c in costs])) == {9 * k * k + 2 * k}
    assert table[32][-1].params == 106_720
    assert table[32][0].flops == 2 * 9 * 16 * 32 * 32 * 32


def test_plot_channel_growth_draws_the_measured_counts():
    table = lesson.growth_table(in_channels=16, num_layers=4, growth_rates=(12,))
    fig = lesson.plot_channel_growth(table)
    lines = fig.axes[0].lines
    assert lines[0].get_ydata().tolist() == [16, 28, 40, 52, 64]
    assert lines[1].get_ydata().tolist() == [16, 32, 64, 128, 256]  # doubling, for contrast
    assert fig.axes[1].lines[0].get_ydata().tolist() == [c.params for c in table[12]]


def test_stage_shapes_of_the_lesson_densenet_bc():
    shapes = lesson.stage_shapes(lesson.build_densenet_bc(), (3, 32, 32))
    assert shapes == [
        ("input", (3, 32, 32)),
        ("conv0", (24, 32, 32)),
        ("denseblock1", (60, 32, 32)),
        ("transition1", (30, 16, 16)),
        ("denseblock2", (66, 16, 16)),
        ("transition2", (33, 8, 8)),
        ("denseblock3", (69, 8, 8)),
    ]
    with pytest.raises(TypeError, match="DenseNet"):
        lesson.stage_shapes(SmallResNet(), (3, 32, 32))


def test_lesson_models_and_budget():
    assert count_parameters(lesson.build_densenet_bc()) == 71_686
    assert count_parameters(build_resnet()) == 172_506
    assert (
        count_parameters(lesson.build_densenet_bc(num_classes=10, in_channels=1))
        < count_parameters(build_resnet(num_classes=10, in_channels=1)) / 2
    )
    recipe = lesson.recipes.DENSENET_VS_RESNET
    assert recipe.epochs_for(get_profile("smoke")) == 2
    assert recipe.epochs_for(get_profile("gpu")) == 7
    assert recipe.epochs_for(get_profile("smoke").scaled(epochs=1)) == 1


def test_densenet_vs_resnet_trains_both_under_one_budget(digits):
    runs = lesson.densenet_vs_resnet(digits, get_profile("smoke"), epochs=1)
    assert list(runs) == ["DenseNet-BC", "ResNet-14"]
    dn, rn = runs.values()
    assert dn.info["parameters"] == count_parameters(lesson.build_densenet_bc(in_channels=1))
    assert rn.info["parameters"] == count_parameters(build_resnet(in_channels=1))
    for run in (dn, rn):
        assert run.epoch == [1]
        assert run.info["epochs"] == 1 and run.info["batch_size"] == 32
        assert run.info["flops"] > 0
        assert 0.0 <= run.test_acc <= 1.0
    table = lesson.comparison_table(runs)
    assert f"| DenseNet-BC | {dn.info['parameters']:,} |" in table
    assert f"{rn.test_acc:.1%}" in table


def _run(label, params, acc, epochs=2):
    return History(
        label=label,
        epoch=list(range(1, epochs + 1)),
        val_acc=[acc] * epochs,
        train_acc=[acc] * epochs,
        time=[1.0] * epochs,
        test_acc=acc,
        info={"parameters": params, "train_size": 5000, "flops": 1e6},
    )


def test_plot_params_accuracy_bars():
    runs = {"D": _run("D", 70_000, 0.8), "R": _run("R", 170_000, 0.7)}
    fig = lesson.plot_params_accuracy(runs, reference=[_run("D", 70_000, 0.9)])
    params = [p.get_height() for p in fig.axes[0].patches]
    accs = [p.get_height() for p in fig.axes[1].patches]
    assert params == [70_000, 170_000, 70_000]
    assert accs == pytest.approx([0.8, 0.7, 0.9])
    for ax in fig.axes:  # the reference bar stands apart by its hatch, the lesson's runs are solid
        assert [p.get_hatch() for p in ax.patches] == [None, None, lesson.REFERENCE_HATCH]
        assert [p.get_facecolor()[:3] for p in ax.patches][2] == (1.0, 1.0, 1.0)
    titled = lesson.plot_params_accuracy(runs, title="seed 0")
    assert titled.texts[0].get_text() == "seed 0"
    assert all(p.get_hatch() is None for ax in titled.axes for p in ax.patches)  # no reference: all solid


# --- lesson 06 -----------------------------------------------------------------------------------


def test_small_models_table_lists_all_five():
    table = summary.small_models_table((3, 32, 32))
    for label in ("AlexNet", "VGG", "GoogLeNet", "ResNet", "DenseNet"):
        assert f"| {label} |" in table
    assert "| 71,686 |" in table  # lesson 05's DenseNet-BC
    assert "| 172,506 | 52.8 |" in table


def test_train_all_one_budget_table_and_plot(digits):
    runs = summary.train_all(digits, get_profile("smoke"), epochs=1, labels=["AlexNet", "DenseNet"])
    assert list(runs) == ["AlexNet", "DenseNet"]
    for label, run in runs.items():
        model = build_small(label, digits)
        assert run.info["parameters"] == count_parameters(model)
        assert run.info["flops"] > 0
        assert run.info["peak_bytes"] is None  # the CPU does not report memory
        assert run.info["saved_bytes_per_image"] > 0  # but the memory saved for backward is counted
        assert run.info["epochs"] == 1 and run.info["optimizer"] == "adamw"
        assert run.test_acc is not None
    table = summary.summary_table(runs)
    assert "peak memory" not in table and "n/a" not in table  # no column of n/a on the CPU
    saved = {label: run.info["saved_bytes_per_image"] for label, run in runs.items()}
    assert saved["DenseNet"] > saved["AlexNet"]  # DenseNet's appetite for memory, on 16x16 digits
    assert f"| {saved['DenseNet'] / 2**10:,.0f} KiB |" in table
    assert f"| DenseNet | {runs['DenseNet'].info['parameters']:,} |" in table
    from cnnlessons.models.converged import load_record

    for label in runs:  # beside this budget's accuracy, the same model's trained to the end
        record = load_record(summary.SMALL_MODELS[label][0])
        assert (
            f"| {runs[label].test_acc:.1%} | {record['test_acc']:.1%} ({record['epochs']} epochs) |" in table
        )
    fig = summary.plot_accuracy_vs_parameters(runs, reference=[_run("AlexNet", 61e6, 0.9)])
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    points = [tuple(c.get_offsets()[0]) for c in ax.collections]
    assert points[0] == pytest.approx((runs["AlexNet"].info["parameters"], runs["AlexNet"].test_acc))
    assert len(points) == 3


def test_summary_table_reports_cuda_memory():
    run = _run("ResNet", 172_506, 0.9)
    run.info.update(device="NVIDIA H100", peak_bytes=3 * 2**20, saved_bytes_per_image=3 * 2**19)
    table = summary.summary_table([run, _run("AlexNet", 61e6, 0.5)])
    assert "| peak memory |" in table.splitlines()[0]
    assert table.splitlines()[2].endswith("| 1.50 MiB | 3 MiB |")
    assert table.splitlines()[3].endswith("| n/a | n/a on CPU |")  # a run without either figure
    assert summary.accuracy(History(label="x", val_acc=[0.5])) == 0.5


def test_build_small_rejects_unknown_labels(digits):
    with pytest.raises(ValueError, match="label"):
        build_small("LeNet", digits)


def test_full_size_models_match_torchvision_counts():
    rows = {r.name: r for r in summary.full_size(224)}
    assert {name: r.parameters for name, r in rows.items()} == {
        "AlexNet": 61_100_840,
        "VGG-16": 138_357_544,
        "VGG-19": 143_667_240,
        "GoogLeNet": 6_624_904,
        "ResNet-50": 25_557_032,
        "ResNet-152": 60_192_808,
        "DenseNet-121": 7_978_856,
    }
    # FLOPs = 2 x the multiply-adds usually quoted (VGG-16 15.5 G, ResNet-50 4.1 G, AlexNet 0.71 G)
    assert rows["VGG-16"].flops / 2e9 == pytest.approx(15.47, abs=0.01)
    assert rows["ResNet-50"].flops / 2e9 == pytest.approx(4.09, abs=0.01)
    assert rows["AlexNet"].flops / 2e9 == pytest.approx(0.71, abs=0.01)
    table = summary.full_size_table(list(rows.values()))
    assert "| VGG-19 | 2014: 2nd | 143.7M |" in table
    fig = summary.plot_full_size(list(rows.values()))
    assert fig.axes[0].get_yscale() == "log"
