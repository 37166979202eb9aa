"""Lesson 07 (what came next): its recipes' pairs cost what their claims say, its claims judge as the
course map words them, and its experiments' counts and timings."""

from __future__ import annotations

import pytest
import torch

from cnnlessons.claims import judge
from cnnlessons.lessons.next import claims, experiments, recipes
from cnnlessons.measure import count_parameters, flops_per_image
from cnnlessons.models import build_model
from cnnlessons.models.next import equal_cost_bottleneck_width
from cnnlessons.profiles import get_profile
from cnnlessons.training import set_seed

torch.set_num_threads(1)


def costs(recipe, profile: str) -> dict[str, tuple[int, int]]:
    """Each run's (parameters, FLOPs per image) at the size the profile trains it at."""
    size = recipe.settings_for(profile).get("image_size", get_profile(profile).image_size)
    out = {}
    for run in recipe.runs_for(profile):
        with torch.device("meta"):
            model = build_model(run.model, in_channels=3, num_classes=10, **run.model_kwargs)
        out[run.label] = (count_parameters(model), flops_per_image(model, (3, size, size)))
    return out


def arms(recipe, claim, profile: str) -> tuple[tuple[int, int], tuple[int, int]]:
    labels = recipe.arms_for(claim, profile)
    first, second = claim.conditions[0].arm, claim.conditions[0].against[0]
    found = costs(recipe, profile)
    return found[labels[first]], found[labels[second]]


# -- the recipes' pairs ----------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["cpu", "gpu"])
def test_the_resnext_pair_has_the_same_weights_and_flops_within_10_percent(profile):
    (grouped_params, grouped_flops), (twin_params, twin_flops) = arms(
        recipes.CARDINALITY, claims.CARDINALITY, profile
    )
    assert 0.9 <= grouped_params / twin_params <= 1.1
    assert 0.9 <= grouped_flops / twin_flops <= 1.1
    grouped, twin = recipes.CARDINALITY.runs_for(profile)
    assert grouped.model_kwargs["cardinality"] > 1 and twin.model_kwargs["cardinality"] == 1
    # more groups, each narrower, and wider in all
    assert grouped.model_kwargs["bottleneck_width"] < twin.model_kwargs["bottleneck_width"]
    assert (
        grouped.model_kwargs["cardinality"] * grouped.model_kwargs["bottleneck_width"]
        > twin.model_kwargs["bottleneck_width"]
    )


def test_the_resnext_twins_width_is_the_table_2_rule():
    settings = recipes.CARDINALITY.settings_for("gpu")
    assert recipes.twin_bottleneck_width(settings) == equal_cost_bottleneck_width(64, 1, like=(8, 4)) == 18
    labels = [r.label for r in recipes.CARDINALITY.runs_for("gpu")]
    assert labels == ["ResNeXt-20 (8x4d)", "ResNeXt-20 (1x18d)"]


@pytest.mark.parametrize("profile", ["cpu", "gpu"])
def test_the_se_pair_adds_at_most_15_percent_weights_and_almost_no_flops(profile):
    (se_params, se_flops), (plain_params, plain_flops) = arms(
        recipes.SQUEEZE_EXCITATION, claims.SQUEEZE_EXCITATION, profile
    )
    assert 1.0 < se_params / plain_params <= 1.15
    assert 1.0 <= se_flops / plain_flops < 1.01


def test_the_se_pair_starts_from_the_same_weights(digits):
    recipe = recipes.SQUEEZE_EXCITATION
    plain_run, se_run = recipe.runs_for("smoke")
    set_seed(0)
    plain = recipe.build(plain_run, digits).state_dict()
    set_seed(0)
    se = recipe.build(se_run, digits).state_dict()
    assert set(plain) < set(se)
    assert all(torch.equal(plain[k], se[k]) for k in plain)


@pytest.mark.parametrize("profile", ["smoke", "cpu", "gpu"])
def test_the_mobilenet_pair_costs_at_most_a_fifth(profile):
    (separable_params, separable_flops), (full_params, full_flops) = arms(
        recipes.DEPTHWISE_SEPARABLE, claims.DEPTHWISE_SEPARABLE, profile
    )
    assert separable_flops / full_flops <= 0.2
    assert separable_params < full_params / 5


# -- the claims, judged on made-up figures ----------------------------------------------------------


def test_the_cardinality_claim_needs_the_accuracy_and_both_costs_within_10_percent():
    def figures(flops: float, weights: float) -> dict:
        return {
            "grouped": {"test_acc": {0: 0.80, 1: 0.81}, "flops": flops, "weights": weights},
            "one group": {"test_acc": {0: 0.78, 1: 0.79}, "flops": 100.0, "weights": 100.0},
        }

    assert judge(claims.CARDINALITY.id, figures(105.0, 97.0)).verdict == "shown"
    assert judge(claims.CARDINALITY.id, figures(111.0, 97.0)).verdict == "not shown"
    assert judge(claims.CARDINALITY.id, figures(105.0, 89.0)).verdict == "not shown"


def test_the_se_and_separable_claims_read_their_margins():
    se = {
        "se": {"test_acc": {0: 0.80}, "weights": 114.0},
        "plain": {"test_acc": {0: 0.785}, "weights": 100.0},
    }
    assert judge(claims.SQUEEZE_EXCITATION.id, se).verdict == "shown"
    se["se"]["weights"] = 116.0
    assert judge(claims.SQUEEZE_EXCITATION.id, se).verdict == "not shown"
    separable = {
        "separable": {"test_acc": {0: 0.70}, "flops": 12.0},
        "full": {"test_acc": {0: 0.725}, "flops": 100.0},
    }
    assert judge(claims.DEPTHWISE_SEPARABLE.id, separable).verdict == "shown"
    separable["separable"]["test_acc"] = {0: 0.69}
    assert judge(claims.DEPTHWISE_SEPARABLE.id, separable).verdict == "not shown"


# -- the experiments -------------------------------------------------------------------------------


def test_grouped_weights_are_the_formula_and_alexnets_towers_are_groups_2():
    rows = experiments.grouped_weights()
    assert all(r.holds for r in rows)
    towers = [r for r in rows if r.name.startswith("AlexNet")]
    assert [(r.name, r.groups) for r in towers] == [
        ("AlexNet conv2", 2),
        ("AlexNet conv4", 2),
        ("AlexNet conv5", 2),
    ]
    conv2 = towers[0]
    assert (conv2.kernel_size, conv2.in_channels, conv2.out_channels, conv2.counted) == (5, 96, 256, 307_200)
    resnext = next(r for r in rows if r.groups == 32)
    assert resnext.counted == 4608 and resnext.ungrouped == 147_456


def test_equal_cost_widths_reproduce_table_2():
    rows = experiments.equal_cost_widths()
    assert [(r.cardinality, r.computed) for r in rows] == list(experiments.TABLE2_WIDTHS.items())
    assert all(r.computed == r.paper and abs(r.weights / r.reference - 1) < 0.05 for r in rows)


def test_se_overhead_is_2c2_over_r_and_almost_no_flops():
    overhead = experiments.se_overhead(channels=64, reduction=4, depth=8, width=8, input_size=16)
    assert overhead.block_weights == overhead.formula == 2 * 64 * 64 // 4
    assert overhead.holds and 1.0 < overhead.parameter_ratio < 1.15
    odd = experiments.se_overhead(channels=6, reduction=16, depth=8, width=4, input_size=16)
    assert odd.block_weights == odd.formula == 2 * 6 * 1  # at least one squeezed unit


@pytest.mark.parametrize("c_in, c_out", [(32, 32), (64, 128), (16, 256)])
def test_separable_cost_is_one_over_n_plus_one_ninth(c_in, c_out):
    cost = experiments.separable_cost(c_in, c_out, size=8)
    assert cost.holds
    assert cost.ratio == pytest.approx(1 / c_out + 1 / 9)
    assert cost.full_flops == 2 * 9 * c_in * c_out * 64
    assert cost.depthwise_flops == 2 * 9 * c_in * 64


def test_block_speeds_time_every_block_and_count_its_flops():
    rows = experiments.block_speeds(channels=16, size=4, batch_size=2, steps=1, device="cpu")
    assert [r.name for r in rows] == list(experiments.BLOCKS)
    assert all(r.images_per_second > 0 and r.parameters > 0 and r.device == "cpu" for r in rows)
    flops = {r.name: r.flops_per_image for r in rows}
    full = 2 * 9 * 16 * 16 * 16
    assert flops["full 3x3"] == full and flops["grouped 3x3 (8 groups)"] == full // 8
    assert flops["depthwise separable"] == 2 * 9 * 16 * 16 + 2 * 16 * 16 * 16
    table = experiments.format_speeds(rows).splitlines()
    assert len(table) == 1 + len(rows) and table[1].startswith("full 3x3")
    with pytest.raises(ValueError, match="blocks must name"):
        experiments.block_speeds(blocks=["dense block"])
