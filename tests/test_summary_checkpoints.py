"""Lesson 06's checkpoints side by side and its ingredients recipe: the five checkpoints' accuracy
per class, and the runs that each leave one ingredient of the checkpoints' recipe out."""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
import torch

from cnnlessons.data import CourseData
from cnnlessons.history import History
from cnnlessons.lessons import summary
from cnnlessons.models.converged import per_class_accuracy
from cnnlessons.runs.converged import CONVERGED_TRAINING
from cnnlessons.runs.recipes import Recipe, Run
from cnnlessons.training import Training

RECIPE = summary.recipes.INGREDIENTS_RECIPE
LEFT_OUT = {
    "no one-cycle (constant rate)": ("schedule", "onecycle", "constant"),
    "no label smoothing": ("label_smoothing", 0.1, 0.0),
    "no weight decay": ("weight_decay", 5e-4, 0.0),
    "no augmentation": ("augment", True, False),
}
"""Written out by hand: what each run must leave out, and nothing else."""


def test_the_checkpoints_are_the_five_course_scale_models():
    assert summary.CHECKPOINTS == {
        "AlexNet": "small_alexnet",
        "VGG": "small_vgg",
        "GoogLeNet": "small_googlenet",
        "ResNet": "small_resnet",
        "DenseNet": "small_densenet",
    }
    nets = summary.load_checkpoints(["ResNet", "DenseNet"])
    assert [type(m).__name__ for m in nets.values()] == ["SmallResNet", "SmallDenseNet"]
    assert not any(m.training for m in nets.values())
    with pytest.raises(ValueError, match="labels must be among"):
        summary.load_checkpoints(["LeNet"])


def test_takes_checkpoints_only_cifar_shaped_data(digits):
    assert not summary.takes_checkpoints(digits)
    images = torch.zeros(4, 3, 32, 32, dtype=torch.uint8)
    labels = torch.zeros(4, dtype=torch.int64)
    cifar = CourseData(
        "c", [str(i) for i in range(10)], images, labels, images, labels, images, labels,
        torch.zeros(3), torch.ones(3),
    )  # fmt: skip
    assert summary.takes_checkpoints(cifar)
    assert not summary.takes_checkpoints(dataclasses.replace(cifar, classes=["a", "b"]))


def test_class_accuracy_is_each_records_and_worst_classes_the_minimum():
    per_class = summary.class_accuracy()
    assert list(per_class) == list(summary.CHECKPOINTS)
    assert per_class["VGG"] == per_class_accuracy("small_vgg")
    worst = summary.worst_classes(per_class)
    for label, by_class in per_class.items():
        assert by_class[worst[label]] == min(by_class.values())
    assert summary.worst_classes({"m": {"a": 0.9, "b": 0.2, "c": 0.5}}) == {"m": "b"}


def test_plot_class_accuracy_orders_the_classes_hardest_first_and_frames_each_worst():
    per_class = {"A": {"x": 0.9, "y": 0.3, "z": 0.6}, "B": {"x": 0.8, "y": 0.5, "z": 0.4}}
    fig = summary.plot_class_accuracy(per_class, {"A": 0.6, "B": 0.57}, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["y", "z", "x"]  # means 0.4, 0.5, 0.85
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A (60.0%)", "B (57.0%)"]
    assert [t.get_text() for t in ax.texts] == ["30%", "60%", "90%", "50%", "40%", "80%"]
    framed = [(p.get_x() + 0.5, p.get_y() + 0.5) for p in ax.patches]
    assert framed == [(0, 0), (1, 1)]  # A's worst is y (column 0), B's is z (column 1)
    plt.close(fig)
    with pytest.raises(ValueError, match="same classes"):
        summary.plot_class_accuracy({"A": {"x": 0.5}, "B": {"y": 0.5}})


def test_ingredients_recipe_is_one_seed_of_the_small_resnet_with_the_checkpoints_recipe():
    assert RECIPE.key == "06_summary/ingredients" and RECIPE.seed == 0 and not RECIPE.claims
    labels = [run.label for run in RECIPE.runs_for("cpu")]
    assert labels == ["full recipe", *LEFT_OUT]
    assert {run.model for run in RECIPE.runs_for("cpu")} == {"small_resnet"}
    full = RECIPE.training_for(RECIPE.run("full recipe")).options()
    assert {
        k: v for k, v in full.items() if k not in ("augment", "train_eval_size")
    } == CONVERGED_TRAINING.options()
    assert full["augment"] is True
    # the cpu budget: five_models' ResNet data (half the images at 16x16), for 9 epochs
    five = summary.recipes.FIVE_MODELS
    assert (RECIPE.subset_for("cpu"), RECIPE.settings_for("cpu")["image_size"]) == (
        five.subset_for("cpu"),
        five.settings_for("cpu")["image_size"],
    )
    assert RECIPE.epochs_for("cpu") == 9


@pytest.mark.parametrize("profile", ["smoke", "cpu", "gpu"])
def test_each_run_leaves_out_exactly_its_one_ingredient(profile):
    summary.check_leave_one_out(RECIPE, profile)
    found = summary.leave_one_out(RECIPE, profile)
    assert found == {label: {field: (full, own)} for label, (field, full, own) in LEFT_OUT.items()}


def _planted(*changes: tuple[str, Training], model_kwargs=None) -> Recipe:
    """The ingredients recipe with some runs' training (or the full run's model) replaced."""
    replaced = dict(changes)
    runs = tuple(
        dataclasses.replace(run, training=replaced[run.label])
        if run.label in replaced
        else dataclasses.replace(run, model_kwargs=model_kwargs)
        if model_kwargs is not None and run.label == "no weight decay"
        else run
        for run in RECIPE.runs_for("smoke")
    )
    return dataclasses.replace(RECIPE, runs=runs)


@pytest.mark.parametrize(
    "recipe, match",
    [
        # a run that leaves out its ingredient and changes the learning rate besides
        (_planted(("no label smoothing", Training(label_smoothing=0.0, lr=0.05))), "alone"),
        # a run that leaves out nothing: label smoothing "removed" at the full recipe's value
        (_planted(("no label smoothing", Training(label_smoothing=0.1))), "differs in nothing"),
        # a run that leaves out another ingredient than its label says
        (_planted(("no augmentation", Training(weight_decay=0.0))), "alone"),
        # a run that builds another model
        (_planted(model_kwargs={"width": 8}), "another model"),
    ],
)
def test_a_planted_fault_in_the_ingredients_fails(recipe, match):
    with pytest.raises(ValueError, match=match):
        summary.check_leave_one_out(recipe, "smoke")


def test_a_missing_or_extra_run_fails():
    runs = RECIPE.runs_for("smoke")
    with pytest.raises(ValueError, match="runs must be"):
        summary.check_leave_one_out(dataclasses.replace(RECIPE, runs=runs[:-1]), "smoke")
    with pytest.raises(ValueError, match="runs must be"):
        summary.check_leave_one_out(
            dataclasses.replace(
                RECIPE, runs=(*runs, Run("no momentum", "small_resnet", training=Training(momentum=0.0)))
            ),
            "smoke",
        )


def test_plot_ingredients_puts_the_full_recipe_first_with_each_difference():
    runs = {
        "no augmentation": History(label="no augmentation", test_acc=0.58),
        "full recipe": History(label="full recipe", test_acc=0.6),
        "no weight decay": History(label="no weight decay", test_acc=0.615),
    }
    fig = summary.plot_ingredients(runs, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "full recipe",
        "no augmentation",
        "no weight decay",
    ]
    assert [t.get_text() for t in ax.texts] == ["60.0%", "58.0% (-2.0)", "61.5% (+1.5)"]
    plt.close(fig)
    with pytest.raises(ValueError, match="full recipe"):
        summary.plot_ingredients({"no augmentation": runs["no augmentation"]})
