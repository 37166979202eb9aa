"""cnnlessons.runs.evidence and Recipe.train_seeds/judge: the figures a claim is judged on, read
from runs, and the verdict the one rule gives on made-up runs that must and must not pass it;
then real seeded runs of a tiny recipe."""

from __future__ import annotations

import math

import pytest

from cnnlessons.data import load_dataset
from cnnlessons.history import History
from cnnlessons.runs.evidence import claim_figures, epochs_to_target, judge_runs
from cnnlessons.runs.recipes import Recipe, Run
from cnnlessons.training import Training


def history(test_acc=None, train_eval=(), clean=None, parameters=None, flops=None) -> History:
    h = History(
        label="made up",
        epoch=list(range(1, len(train_eval) + 1)),
        train_eval_acc=list(train_eval),
        test_acc=test_acc,
    )
    h.info.update(
        {
            k: v
            for k, v in (("clean_train_acc", clean), ("parameters", parameters), ("flops", flops))
            if v is not None
        }
    )
    return h


def seeded(*histories: History) -> dict[int, History]:
    return dict(enumerate(histories))


def test_epochs_to_target_is_the_first_epoch_under_it_and_one_past_the_budget_when_never():
    assert epochs_to_target(history(train_eval=[0.5, 0.7, 0.8]), 0.25) == 3
    assert epochs_to_target(history(train_eval=[0.5, 0.74, 0.9]), 0.25) == 3  # 26% is not under 25%
    assert epochs_to_target(history(train_eval=[0.5, 0.6]), 0.25) == 3  # never: the budget + 1


def test_relu_twice_as_fast_on_every_seed_is_shown_and_once_not_is_not():
    fast = [history(train_eval=[0.5, 0.8]), history(train_eval=[0.6, 0.9]), history(train_eval=[0.8, 0.9])]
    slow = [history(train_eval=[0.4, 0.5, 0.6, 0.8])] * 3
    runs = {"relu": seeded(*fast), "tanh": seeded(*slow)}
    j = judge_runs("alexnet.relu_vs_tanh", runs, {"relu": "relu", "tanh": "tanh"}, target=0.25)
    assert j.verdict == "shown"
    assert dict(j.differences) == {0: 0.5, 1: 0.5, 2: 0.25}
    runs["relu"][1] = history(train_eval=[0.5, 0.6, 0.8])  # 3 epochs against 4: 0.75 > 0.5
    assert (
        judge_runs("alexnet.relu_vs_tanh", runs, {"relu": "relu", "tanh": "tanh"}, 0.25).verdict
        == "not shown"
    )


def test_a_slow_arm_that_never_reaches_the_target_cannot_make_the_fast_one_look_faster():
    runs = {
        "relu": seeded(history(train_eval=[0.5, 0.6, 0.7])),
        "tanh": seeded(history(train_eval=[0.4, 0.5, 0.6])),
    }
    j = judge_runs("alexnet.relu_vs_tanh", runs, {"relu": "relu", "tanh": "tanh"}, target=0.25)
    assert j.verdict == "not shown" and j.differences[0] == 1.0  # both count as 4 epochs


def test_the_gap_is_clean_training_accuracy_minus_test_accuracy_and_may_be_negative():
    runs = {
        "aug": seeded(history(0.60, clean=0.58), history(0.62, clean=0.70)),
        "plain": seeded(history(0.55, clean=1.0), history(0.57, clean=1.0)),
    }
    figures = claim_figures("alexnet.augmentation", runs, {"augmented": "aug", "plain": "plain"})
    assert math.isclose(figures["augmented"]["gap"][0], -0.02)
    j = judge_runs("alexnet.augmentation", runs, {"augmented": "aug", "plain": "plain"})
    assert j.verdict == "shown"
    runs["aug"] = seeded(history(0.57, clean=0.58), history(0.58, clean=0.70))  # +2 and +1: mean 1.5
    j = judge_runs("alexnet.augmentation", runs, {"augmented": "aug", "plain": "plain"})
    assert j.verdict == "not shown" and "margin" in j.reason


def test_weights_are_one_figure_and_seeds_that_disagree_on_them_are_refused():
    runs = {
        "dense": seeded(history(0.60, parameters=100, flops=10), history(0.61, parameters=100, flops=10)),
        "res": seeded(history(0.61, parameters=300, flops=40), history(0.60, parameters=300, flops=40)),
    }
    arms = {"densenet": "dense", "resnet": "res"}
    figures = claim_figures("densenet.parameter_efficiency", runs, arms)
    assert figures["densenet"]["weights"] == 100 and figures["resnet"]["weights"] == 300
    assert judge_runs("densenet.parameter_efficiency", runs, arms).verdict == "shown"
    runs["res"][1] = history(0.60, parameters=301, flops=40)
    with pytest.raises(ValueError, match="different weights"):
        claim_figures("densenet.parameter_efficiency", runs, arms)


def test_missing_runs_arms_and_figures_are_named():
    runs = {"relu": seeded(history(train_eval=[0.9]))}
    with pytest.raises(ValueError, match="no run is given for 'tanh'"):
        claim_figures("alexnet.relu_vs_tanh", runs, {"relu": "relu"})
    with pytest.raises(ValueError, match="expected the run 'tanh'"):
        claim_figures("alexnet.relu_vs_tanh", runs, {"relu": "relu", "tanh": "tanh"}, target=0.25)
    with pytest.raises(ValueError, match="target"):
        claim_figures(
            "alexnet.relu_vs_tanh", {**runs, "tanh": runs["relu"]}, {"relu": "relu", "tanh": "tanh"}
        )
    with pytest.raises(ValueError, match="did not measure test_acc"):
        claim_figures(
            "vgg.depth", {"a": seeded(history()), "b": seeded(history())}, {"deeper": "a", "shallower": "b"}
        )
    with pytest.raises(ValueError, match="claim_id"):
        claim_figures("vgg.width", runs, {})


def test_a_recipe_refuses_claims_it_cannot_decide():
    with pytest.raises(ValueError, match="expected ids among"):
        Recipe(
            "t/x",
            "x",
            runs=(Run("a", "kernel_model", {"kernel_size": 3, "num_layers": 1}),),
            training=Training(),
            claims={"vgg.width": {}},
        )
    with pytest.raises(ValueError, match="'shallower' has none"):
        Recipe(
            "t/x",
            "x",
            runs=(Run("a", "kernel_model", {"kernel_size": 3, "num_layers": 1}),),
            training=Training(),
            claims={"vgg.depth": {"deeper": "a"}},
        )


@pytest.mark.timeout(120)
def test_train_seeds_trains_every_run_on_every_seed_and_the_recipe_judges_them(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLESSONS_RUN_CACHE", str(tmp_path))
    data = load_dataset("digits", train_size=200, val_size=50, image_size=16)
    recipe = Recipe(
        "t/depth",
        "one against two 3x3 layers",
        runs=(
            Run("one", "kernel_model", {"kernel_size": 3, "num_layers": 1, "width": 4}),
            Run("two", "kernel_model", {"kernel_size": 3, "num_layers": 2, "width": 4}),
        ),
        training=Training(optimizer="adamw", lr=2e-3, test=True),
        claims={"vgg.depth": {"deeper": "two", "shallower": "one"}},
    )
    runs = recipe.train_seeds(data, "smoke", seeds=(0, 1))
    assert set(runs) == {"one", "two"} and all(set(by_seed) == {0, 1} for by_seed in runs.values())
    assert (
        runs["two"][0].test_acc != runs["two"][1].test_acc
        or runs["two"][0].train_loss != runs["two"][1].train_loss
    )
    j = recipe.judge("vgg.depth", runs)
    assert j.verdict in ("shown", "not shown") and set(j.differences) == {0, 1}
    again = recipe.train_seeds(data, "smoke", seeds=(0, 1))  # from the run cache: the same figures
    assert again["one"][1].test_acc == runs["one"][1].test_acc
    with pytest.raises(ValueError, match="seeds must be"):
        recipe.train_seeds(data, "smoke", seeds=())
    with pytest.raises(ValueError, match="decides vgg.depth"):
        recipe.judge("alexnet.dropout", runs)


def test_a_table_row_is_complete_only_with_every_figure_measured():
    full = dict(parameters=10, flops=20)
    done = history(0.5, parameters=10, flops=20)
    done.time, done.info["saved_bytes_per_image"] = [1.0], 1024
    missing = history(0.5, **full)
    missing.time = [1.0]  # no memory measured
    arms = {"googlenet": "g", "resnet": "g", "densenet": "g", "alexnet": "a", "vgg": "a"}
    worse = history(0.3, **full)
    worse.time, worse.info["saved_bytes_per_image"] = [1.0], 512
    figures = claim_figures("summary.five_models", {"g": seeded(done), "a": seeded(worse)}, arms)
    assert figures["googlenet"]["row_complete"] == {0: True}
    assert judge_runs("summary.five_models", {"g": seeded(done), "a": seeded(worse)}, arms).verdict == "shown"
    j = judge_runs("summary.five_models", {"g": seeded(done), "a": seeded(missing)}, arms)
    assert j.verdict == "not shown"  # AlexNet's and VGG's rows lack memory (and they are as accurate)


def test_profile_settings_override_the_recipes_subset_and_epochs():
    recipe = Recipe(
        "t/s",
        "",
        runs=(Run("a", "kernel_model", {"kernel_size": 3, "num_layers": 1}),),
        training=Training(),
        epochs=0.5,
        subset=2,
        settings={"cpu": {"subset": 4, "epochs": 2.0}},
    )
    assert (recipe.subset_for("cpu"), recipe.epochs_for("cpu")) == (4, 12)
    assert (recipe.subset_for("gpu"), recipe.epochs_for("gpu")) == (2, 7)
    assert recipe.resolved("cpu")["subset"] == 4


def test_the_gpu_estimate_counts_every_seed_of_a_ledger_recipe():
    from cnnlessons.runs.estimate import notebook_gpu_seconds, recipe_trainings
    from cnnlessons.runs.recipes import RECIPES

    stacks = {"02_vggnet/stacks": RECIPES["02_vggnet/stacks"]}
    once = sum(t.seconds_at(5e12) for t in recipe_trainings(stacks["02_vggnet/stacks"], "gpu"))
    assert notebook_gpu_seconds("02_vggnet", stacks, 5e12) == pytest.approx(3 * once)
