"""The registry of training recipes: every experiment in one place, resolvable in every profile."""

import json
import pathlib
import re

import pytest
import torch

from cnnlessons import get_profile
from cnnlessons.data import subset_data
from cnnlessons.models import MODELS
from cnnlessons.profiles import PROFILES
from cnnlessons.runs.recipes import RECIPES, Recipe, Run, get_recipe
from cnnlessons.training import Training

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_recipe_resolves_and_builds_in_every_profile(digits, profile):
    for key, recipe in RECIPES.items():
        runs = recipe.runs_for(profile)
        assert runs and len({r.label for r in runs}) == len(runs), key
        assert recipe.epochs_for(profile) >= 1
        json.dumps(recipe.resolved(profile))  # plain data: printable and hashable into a cache key
        text = recipe.describe(profile)
        assert all(r.label in text for r in runs) and key in text
        for run in runs:
            assert run.model in MODELS, f"{key}: {run.model!r} is not a build_model name"
            with torch.device("meta"):
                model = recipe.build(run, digits)
            assert sum(p.numel() for p in model.parameters()) > 0


def test_budgets_follow_the_profile():
    half, double = get_recipe("04_resnet/preactivation"), get_recipe("01_alexnet/regularisation")
    assert [half.epochs_for(p) for p in ("smoke", "cpu", "gpu")] == [2, 3, 7]
    assert [double.epochs_for(p) for p in ("smoke", "cpu", "gpu")] == [56, 84, 210]
    assert half.epochs_for(get_profile("smoke").scaled(epochs=1)) == 1  # never zero epochs
    degradation = get_recipe("04_resnet/degradation")
    assert [r.label for r in degradation.runs_for("gpu")] == [
        "plain-20",
        "ResNet-20",
        "plain-56",
        "ResNet-56",
    ]
    assert [r.label for r in degradation.runs_for("smoke")] == [
        "plain-8",
        "ResNet-8",
        "plain-20",
        "ResNet-20",
    ]


def test_every_experiment_key_a_notebook_names_is_a_recipe():
    keys = set()
    for source in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"):
        keys |= set(re.findall(r'"(0\d_[a-z]+/[a-z0-9_]+)"', source.read_text()))
    from cnnlessons.lessons import alexnet, densenet, resnet, summary, vgg

    keys |= {
        alexnet.recipes.FIGURE1.key,
        alexnet.recipes.REGULARISATION.key,
        vgg.recipes.VGG.key,
        vgg.recipes.KERNELS.key,
        resnet.recipes.DEGRADATION.key,
        densenet.recipes.DENSENET_VS_RESNET.key,
        summary.recipes.FIVE_MODELS.key,
    }
    assert keys and keys <= set(RECIPES), sorted(keys - set(RECIPES))


def test_bad_keys_labels_and_measurements_are_named():
    with pytest.raises(ValueError, match="recipe key must be one of"):
        get_recipe("02_vggnet/nope")
    with pytest.raises(ValueError, match="label must be one of SmallVGG"):
        get_recipe("02_vggnet/vgg").run("BigVGG")
    with pytest.raises(ValueError, match="measure must name figures among"):
        Recipe("x/y", "", runs=(Run("a", "small_vgg"),), training=Training(), measure=("accuracy",))
    with pytest.raises(ValueError, match="subset must be an integer >= 1"):
        subset_data(None, 0)


def test_a_recipe_trains_what_it_says(digits):
    recipe = get_recipe("01_alexnet/regularisation")
    runs = recipe.train(digits, "smoke", labels=["dropout 0.5"], epochs=1)
    [h] = runs.values()
    assert h.info["recipe"] == recipe.key and h.info["model"] == "small_alexnet"
    assert h.info["dropout"] == 0.5 and h.info["optimizer"] == "adamw" and h.info["lr"] == 1e-3
    assert h.info["train_size"] == len(digits.train_labels) // recipe.subset_for("smoke")
    assert h.info["hidden"] == 512  # the wide FC layers dropout needs
    assert 0 <= h.info["clean_train_acc"] <= 1 and h.test_acc is not None


def test_a_recipe_can_shrink_the_images_and_the_validation_split(digits):
    from cnnlessons.data import resize_data

    small = resize_data(digits, 8)
    assert small.train_images.shape[1:] == (1, 8, 8) and small.test_images.shape[-1] == 8
    assert small.train_images.dtype == torch.uint8 and small.crop_padding == max(
        1, round(digits.crop_padding / 2)
    )
    assert resize_data(digits, digits.image_size) is digits
    with pytest.raises(ValueError, match="image_size"):
        resize_data(digits, 2)
    recipe = Recipe(
        "t/small",
        "",
        runs=(Run("a", "kernel_model", {"kernel_size": 3, "num_layers": 1}),),
        training=Training(),
        settings={"smoke": {"image_size": 8}},
        val_size=10,
    )
    assert recipe.data_for(digits, profile="cpu").image_size == digits.image_size  # cpu keeps the side
    data = recipe.data_for(digits, profile="smoke")
    assert (
        data.image_size == 8
        and len(data.val_labels) == 10
        and len(data.train_labels) == len(digits.train_labels)
    )
    assert recipe.resolved("smoke")["image_size"] == 8 and recipe.resolved("smoke")["val_size"] == 10
    with pytest.raises(ValueError, match="val_size must be"):
        Recipe("t/x", "", runs=(), training=Training(), val_size=0)


def test_claim_arms_may_follow_the_profiles_labels():
    recipe = get_recipe("04_resnet/degradation")
    for name in ("smoke", "cpu", "gpu"):
        labels = {r.label for r in recipe.runs_for(name)}
        for claim_id in recipe.claims:
            assert set(recipe.arms_for(claim_id, name).values()) <= labels, (name, claim_id)
    with pytest.raises(ValueError, match="decides"):
        recipe.arms_for("vgg.depth", "cpu")


def test_init_like_starts_a_run_from_its_twins_weights_where_they_share_a_layer(
    digits, tmp_path, monkeypatch
):
    monkeypatch.setenv("CNNLESSONS_RUN_CACHE", "off")
    identity = Run("identity", "cifar_resnet", {"depth": 8, "width": 4, "shortcut": "identity"})
    projection = Run(
        "projection",
        "cifar_resnet",
        {"depth": 8, "width": 4, "shortcut": "projection_where_needed"},
        init_like="identity",
    )
    # a learning rate too small to move the weights: what is compared is where each run started
    recipe = Recipe(
        "t/init_like", "", runs=(identity, projection), training=Training(lr=1e-12, weight_decay=0.0)
    )
    models = {run.label: recipe.fit_run(run, digits, "smoke", epochs=1, seed=3)[0] for run in recipe.runs}
    twin, paired = (dict(models[k].named_parameters()) for k in ("identity", "projection"))
    shared = [k for k in paired if k in twin and paired[k].shape == twin[k].shape]
    assert len(shared) > 10 and any("shortcut" in k for k in paired if k not in twin)
    assert all(torch.allclose(paired[k], twin[k], atol=1e-6) for k in shared)
    assert recipe.resolved("smoke")["runs"][1]["init_like"] == "identity"
