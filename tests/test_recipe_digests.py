"""Every recipe's digest, pinned: a move or a refactoring of the recipes must not change what a
recipe trains. The shipped checkpoints record their recipe's ``gpu`` digest, and a changed digest
would ask for about six CPU hours of training again; a run cache keyed on a digest would forget
every run. A recipe changed on purpose updates its line here, in the same commit."""

from __future__ import annotations

import json

import pytest

import cnnlessons.lessons  # noqa: F401  registers every lesson's recipes
from cnnlessons.models.converged import record_path
from cnnlessons.runs.converged import CONVERGED
from cnnlessons.runs.recipes import RECIPES

PROFILES = ("smoke", "cpu", "gpu")
DIGESTS = {
    "01_alexnet/figure1": ("b17c0426f647532b", "856ebb7bdd896009", "3561c1bc7e0e138b"),
    "01_alexnet/figure1_end": ("9e1aee2cdaa696f5", "43b9c5fc816fa2c1", "bd2f5515a447cecb"),
    "01_alexnet/figure1_lr_sweep": ("6d59b11d49f8f1ae", "88bfbdaa64c78f53", "c96c0a21659b794e"),
    # new: Figure 1's learning-rate window, the lesson's short sweep on the tuning seeds
    "01_alexnet/figure1_window": ("823e839034553b2c", "15fbd582b7395312", "646408ae33568643"),
    "01_alexnet/regularisation": ("bc4f9abf9b8f897b", "336361e8153b9da7", "b3710a27f83fe09a"),
    "02_vggnet/vgg": ("5df328abf48899d2", "e2f69e5da02f707b", "d65308dcc67c69b5"),
    "02_vggnet/kernels": ("6202a4a2764d4380", "b693504882bc1505", "1462bcd691111a45"),
    "02_vggnet/stacks": ("5f640f85898f46f5", "3f3446f818bfb166", "82bf5f42f549ebcd"),
    "03_googlenet/googlenet": ("692a015354133a3a", "293a0cd015a61810", "9c41244b7d7dabeb"),
    # changed on purpose: googlenet.reductions at equal FLOPs (a reduced net widened 1.75x beside the
    # naive one, the BN arms unchanged), and the cpu profile trains 2 epochs to pay for it
    "03_googlenet/ablations": ("5eaa309adc5368c4", "eb1a9896dd12c400", "363ded6d14a7e6d7"),
    "04_resnet/degradation": ("ccc2be90516a6eb9", "3919ef80b0edf64b", "16f20c1a5d5e2a08"),
    # changed on purpose in 0.2.0: option B is named ("projection_where_needed"), no longer None
    "04_resnet/shortcuts": ("2f6f63c071adaf01", "d54d2d13f5ce2f4d", "3174fd2aaeabda37"),
    "04_resnet/degradation_end": ("f4ed06d25e2aa9fc", "5b94dea22b814812", "52d144bead8dd1ea"),
    "04_resnet/resnet20_fast": ("073d882dd200815e", "7cb19ad202d3fc41", "5f82a2822433e831"),
    "04_resnet/preactivation": ("a2f5c2ffb86653cf", "57ec0b6df611d843", "18e8c7b764b68e83"),
    "05_densenet/densenet_vs_resnet": ("4ae3bf2ac5950d47", "c18df3de51fa0715", "173b60e7fb98963d"),
    "06_summary/five_models": ("e77633529f6b18df", "edf791516b1f5286", "79f922283bdf636d"),
    # new: the checkpoints' recipe with each ingredient left out in turn, one seed
    "06_summary/ingredients": ("2b9392305cb2d17a", "71cc70abca21405e", "e552c199e3a6bfc8"),
    # lesson 07, new: its cpu budgets are provisional (to be planned from measured rates)
    "07_what_came_next/cardinality": ("82662ccb012c22dd", "7013286fc0c4f6bb", "82d3b7f682b48c5b"),
    "07_what_came_next/squeeze_excitation": ("4dffb85bd02d3664", "bce2ff045020d5b7", "e0dfcc604f8e48d0"),
    "07_what_came_next/depthwise_separable": ("758c476e2acce885", "a5da4b9fca70cfba", "53ae4d39f8f0bb0a"),
    "converged/resnet20": ("2bd4e586a60626e6", "34ea50fc2d68aaff", "ed8731578de519ad"),
    "converged/small_alexnet": ("b4d4edb4e0f35672", "c1b54bf0b9cb5e0b", "d2dae290dfd1aef5"),
    "converged/small_vgg": ("f52d133d7abc56f1", "1c79fdbb9eaead11", "71a39bc73d2b363a"),
    "converged/small_googlenet": ("8b9aab20281a72c1", "aea6729b0284cd75", "01cff245adfc8ff3"),
    "converged/small_resnet": ("c80172e4895c08b7", "338180ce0ade453a", "823d975f35a43915"),
    "converged/small_densenet": ("33963ec0d081f83e", "cb2a3d2f22a7bcdb", "42697bdf57a590c7"),
}
"""Recipe key -> its digest in the smoke, cpu and gpu profiles, as of the layout move."""


def test_every_recipe_is_pinned_and_none_is_gone():
    assert set(RECIPES) == set(DIGESTS)


@pytest.mark.parametrize("key", sorted(DIGESTS))
def test_a_recipes_digest_is_the_pinned_one(key):
    digests = tuple(RECIPES[key].digest(profile) for profile in PROFILES)
    assert digests == DIGESTS[key], f"{key}: the recipe now trains something else (digests {digests})"


@pytest.mark.parametrize("name", sorted(CONVERGED))
def test_each_shipped_checkpoint_matches_its_recipe(name):
    record = json.loads(record_path(name).read_text())
    assert (
        record["recipe_digest"] == DIGESTS[f"converged/{name}"][2] == RECIPES[record["recipe"]].digest("gpu")
    )
