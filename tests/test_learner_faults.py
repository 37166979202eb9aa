"""The learner's side, fault by fault: what a learner stumbles into (Ctrl-C, a full or unwritable
disk, damaged files) ends in one clear line or the right result, and loses nothing trained."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

from cnnlessons.explorers.base import Explorer
from cnnlessons.history import History
from cnnlessons.lessons.alexnet import claims as alexnet_claims
from cnnlessons.runs import runcache
from cnnlessons.runs.evidence import judge_runs
from cnnlessons.runs.recipes import Recipe, Run
from cnnlessons.training import Training, fit

TINY = {"kernel_size": 3, "num_layers": 1, "width": 4}


def comparison() -> Recipe:
    return Recipe(
        "09_faults/pair",
        "two tiny stacks compared",
        runs=(Run("one", "kernel_model", TINY), Run("two", "kernel_model", {**TINY, "width": 6})),
        training=Training(optimizer="adamw", lr=2e-3, augment=False),
    )


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(runcache.CACHE_VARIABLE, str(tmp_path / "runs"))
    return tmp_path / "runs"


def entries(root):
    return sorted(p for p in root.rglob("*.pt"))


# 1. One Ctrl-C became a wrong verdict: the comparison went on and the claim was judged on it.
def test_an_interrupt_stops_the_comparison_and_decides_nothing(digits, cache, capsys):
    def interrupt_two(history):
        if history.label == "two" and history.epoch[-1] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        comparison().train_seeds(digits, "smoke", seeds=(0, 1), show=interrupt_two)
    out = capsys.readouterr().out
    assert "two (seed 0) was interrupted: the comparison stops here and decides nothing" in out
    assert "Finished: one (seed 0)" in out
    assert len(entries(cache)) == 1  # the finished run is kept, the interrupted one is not


def test_an_interrupted_run_is_no_evidence():
    def run(accuracy, interrupted=False):
        return History(epoch=[1], test_acc=accuracy, interrupted=interrupted)

    arms = {"augmented": "aug", "plain": "plain"}
    runs = {"aug": {0: run(0.9, interrupted=True)}, "plain": {0: run(0.5)}}
    verdict = judge_runs(alexnet_claims.AUGMENTATION.id, runs, arms)
    assert (
        verdict.verdict == "not tested"
        and "interrupted" in verdict.reason
        and "aug (seed 0)" in verdict.reason
    )


# 2. A failed run-cache write threw the trained run away.
def test_a_run_cache_that_cannot_be_written_keeps_the_trained_run(digits, tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(runcache.CACHE_VARIABLE, str(blocker / "runs"))
    model, history = comparison().fit_run(comparison().run("one"), digits, "smoke", epochs=1)
    assert isinstance(model, nn.Module) and history.epoch == [1] and not history.interrupted
    out = capsys.readouterr().out
    assert f"run cache: could not keep one in {blocker / 'runs'}" in out
    assert "the trained run is returned, not cached" in out


def test_a_full_disk_while_the_cache_writes_keeps_the_trained_run(tmp_path):
    script = textwrap.dedent(
        f"""
        import os, resource, signal
        os.environ["CNNLESSONS_RUN_CACHE"] = {str(tmp_path / "runs")!r}
        from cnnlessons.data import load_dataset
        from cnnlessons.runs.recipes import Recipe, Run
        from cnnlessons.training import Training
        data = load_dataset("digits", train_size=200, val_size=50)
        recipe = Recipe("09_faults/full", "", runs=(Run("one", "kernel_model", {TINY!r}),),
                        training=Training(optimizer="adamw", lr=2e-3, augment=False))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, not the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, resource.RLIM_INFINITY))  # a disk 2 KiB from full
        model, history = recipe.fit_run(recipe.runs[0], data, "smoke", epochs=1)
        print("returned", history.epoch)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=240, env=_env_without_cache()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "run cache: could not keep one in" in done.stdout and "returned [1]" in done.stdout
    assert not list((tmp_path / "runs").rglob("*.pt")), "no half entry is left"


def _env_without_cache() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != runcache.CACHE_VARIABLE} | {
        "PYTHONDONTWRITEBYTECODE": "1"
    }


# 6. An explorer kept an interrupted run and compared it with finished ones.
def test_an_explorer_keeps_no_interrupted_run():
    class Probe(Explorer):
        def draw(self, fig) -> str:
            return ""

    explorer, calls = Probe([]), []

    def train():
        calls.append(1)
        return History(label="7x7", epoch=[1], interrupted=len(calls) == 1)

    assert explorer.cached("7x7", train).interrupted
    assert not explorer.cached("7x7", train).interrupted  # the next press trains it again
    assert explorer.cached("7x7", train) is explorer.cache["7x7"] and len(calls) == 2


# 8 and 9. A damaged run-cache entry loaded silently (NaN weights) or failed with no file named.
@pytest.mark.parametrize("damage", ["weights", "history"])
def test_a_damaged_cache_entry_is_named_and_trained_again(digits, cache, capsys, damage):
    recipe = comparison()
    recipe.fit_run(recipe.run("one"), digits, "smoke", epochs=1)
    [path] = entries(cache)
    entry = torch.load(path, weights_only=True)
    if damage == "weights":
        name = next(k for k, v in entry["state_dict"].items() if v.is_floating_point())
        entry["state_dict"][name] = torch.full_like(entry["state_dict"][name], float("nan"))
    else:
        entry["history"] = entry["history"][: len(entry["history"]) // 2]
    torch.save(entry, path)
    capsys.readouterr()
    _, again = recipe.fit_run(recipe.run("one"), digits, "smoke", epochs=1)
    assert "cache" not in again.info  # trained again, not loaded
    out = capsys.readouterr().out
    assert f"run cache: ignoring {path} (damaged" in out
    _, third = recipe.fit_run(recipe.run("one"), digits, "smoke", epochs=1)
    assert "cache" in third.info  # the retrained run replaced the damaged entry


# 12. A fit cell run again after an interrupt went on silently, its epochs numbered from 1.
def test_fit_again_after_an_interrupt_says_what_it_does(digits, capsys):
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10)
    )

    def stop(history):
        raise KeyboardInterrupt

    assert fit(model, digits, Training(epochs=3, batch_size=100), show=stop).interrupted
    capsys.readouterr()
    fit(model, digits, Training(epochs=1, batch_size=100), show="nothing")
    assert "This model was interrupted after 1 of 3 epochs: training goes on from the weights it has" in (
        capsys.readouterr().out
    )
    fit(model, digits, Training(epochs=1, batch_size=100), show="nothing")
    assert capsys.readouterr().out == ""  # said once, for the run after the interrupt


# 7. An error in an explorer's train button left its status on "training ..." for good.
def test_a_failed_train_button_says_so_in_the_explorer(digits, monkeypatch):
    from cnnlessons.lessons.densenet.explorer import GrowthRateExplorer

    explorer = GrowthRateExplorer(digits, epochs=1)

    def broken(self):
        self.set_status("training k=12 ...")
        raise RuntimeError("out of memory")

    monkeypatch.setattr(GrowthRateExplorer, "train", broken)
    explorer.train_button.click()
    assert explorer.status.value == "could not finish: RuntimeError: out of memory"
    assert not explorer.train_button.disabled  # and the button works again


# 15. A learner's model that does not fit the data got torch's shape errors mid-training.
@pytest.mark.parametrize(
    "model, message",
    [
        (
            lambda: nn.Sequential(nn.Flatten(), nn.Linear(256, 6)),
            r"model: it gives \(6,\) scores per image; expected one per class of data "
            r"\(data.num_classes = 10\)",
        ),
        (
            lambda: nn.Sequential(
                nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10)
            ),
            r"model: it cannot read data's images \(1 x 16 x 16: data.channels = 1\)",
        ),
    ],
)
def test_a_model_that_does_not_fit_the_data_is_named_in_one_line(digits, model, message):
    with pytest.raises(ValueError, match=message):
        fit(model(), digits, Training(epochs=1, batch_size=100), show="nothing")


# 13. An answer that printed 1 MB per call passed and put 46 MB into the notebook.
def test_what_an_answer_prints_during_a_check_is_capped(capsys):
    from cnnlessons import check
    from cnnlessons.exercises import core

    def conv_output_size(size, kernel_size, stride=1, padding=0):
        print("\n".join(["x" * 10_000] * 30))  # 300 KB a call
        return (size + 2 * padding - kernel_size) // stride + 1

    check("alexnet.conv_output_size", conv_output_size)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == core.PRINT_LIMIT + 2  # the first lines, one saying how many more, the verdict
    assert lines[-2].startswith("... and ") and lines[-2].endswith(
        "more lines your answer printed during the check"
    )
    assert lines[-1].startswith("✔ alexnet.conv_output_size: passed") and len(out) < 20_000


# 14. An answer with an endless loop hung `check`, which had no time limit.
def test_an_endless_answer_is_stopped_after_the_time_limit(monkeypatch):
    from cnnlessons import ExerciseFailed, check
    from cnnlessons.exercises import core

    monkeypatch.setattr(core, "TIME_LIMIT", 0.5)

    def conv_output_size(size, kernel_size, stride=1, padding=0):
        while True:
            try:
                pass
            except Exception:  # an answer's own handler cannot swallow the stop
                pass

    with pytest.raises(ExerciseFailed, match=r"your answer ran for more than 0.5 s and was stopped"):
        check("alexnet.conv_output_size", conv_output_size)


# 5. An ImageFolder whose test/ lacked a class folder got shifted labels.
def _image_folder(root, classes, per_class=3):
    from PIL import Image

    for i, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for j in range(per_class):
            colour = (40 * i + j, 255 - 40 * i, 100)
            Image.new("RGB", (8, 8), colour).save(root / name / f"{j}.png")


def test_image_folders_match_their_classes_by_name(tmp_path):
    from cnnlessons.data import load_dataset

    _image_folder(tmp_path / "train", ["cat", "dog", "fox"])
    _image_folder(tmp_path / "test", ["cat", "fox"])
    data = load_dataset(tmp_path, val_size=1, download=False)
    assert data.classes == ["cat", "dog", "fox"]
    assert sorted(data.test_labels.tolist()) == [0, 0, 0, 2, 2, 2]  # fox is fox, not dog

    _image_folder(tmp_path / "more" / "train", ["cat", "dog"])
    _image_folder(tmp_path / "more" / "test", ["cat", "owl"])
    with pytest.raises(ValueError, match="the class folder.s. owl have none of the same name in"):
        load_dataset(tmp_path / "more", val_size=1, download=False)


# 11. A damaged shipped checkpoint gave torch's "failed finding central directory", no file named,
# and look_inside crashed instead of falling back to the learner's own model.
@pytest.mark.parametrize("damage", ["weights", "record"])
def test_a_damaged_checkpoint_is_named_with_its_remedy(tmp_path, damage):
    import shutil

    from cnnlessons.models import MODELS
    from cnnlessons.models.converged import load_converged, record_path, weights_path

    for path in (weights_path("small_alexnet"), record_path("small_alexnet")):
        shutil.copy(path, tmp_path / path.name)
    damaged = (weights_path if damage == "weights" else record_path)("small_alexnet", tmp_path)
    damaged.write_bytes(damaged.read_bytes()[:100])
    with pytest.raises(ValueError, match=rf"{damaged} is damaged \(.*\): reinstall the course"):
        load_converged("small_alexnet", MODELS["small_alexnet"], {}, tmp_path)


def test_look_inside_falls_back_to_the_learners_model_when_the_checkpoint_is_damaged(
    digits, monkeypatch, capsys
):
    import dataclasses

    import torch.nn.functional as F

    from cnnlessons.explorers import views
    from cnnlessons.models import build_model

    def grow(images):
        return F.interpolate(images.float(), size=32).to(torch.uint8).expand(-1, 3, -1, -1).contiguous()

    cifar_shaped = dataclasses.replace(
        digits,
        train_images=grow(digits.train_images),
        val_images=grow(digits.val_images),
        test_images=grow(digits.test_images),
        mean=digits.mean.expand(3).clone(),
        std=digits.std.expand(3).clone(),
    )

    def damaged(*args, **kwargs):
        raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding central directory")

    monkeypatch.setattr(torch, "load", damaged)
    own = build_model("small_alexnet")
    model, which = views._which_model(own, cifar_shaped, "small_alexnet")
    assert model is own
    assert which.startswith("this run's own model") and "is damaged (RuntimeError" in which


def test_an_interrupted_train_button_says_so_and_keeps_nothing(digits, monkeypatch):
    from cnnlessons.lessons.densenet.explorer import GrowthRateExplorer

    explorer = GrowthRateExplorer(digits, epochs=1)

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(GrowthRateExplorer, "train", interrupted)
    explorer.train_button.click()
    assert explorer.status.value.startswith("interrupted: the unfinished run is not kept")
    assert not explorer.runs


def test_the_densenet_explorer_keeps_no_run_stopped_mid_training(digits, monkeypatch, tmp_path):
    from cnnlessons.lessons.densenet.explorer import GrowthRateExplorer

    monkeypatch.setenv(runcache.CACHE_VARIABLE, str(tmp_path / "runs"))
    explorer = GrowthRateExplorer(digits, growth_rate=4, num_layers=1, epochs=2)
    shown = GrowthRateExplorer.set_status

    def interrupt_at_epoch_one(self, text):
        if ": epoch 1," in text:
            raise KeyboardInterrupt  # the learner stops the kernel during the run
        shown(self, text)

    monkeypatch.setattr(GrowthRateExplorer, "set_status", interrupt_at_epoch_one)
    explorer.train_button.click()
    assert "(interrupted): not kept; press the button to train it again" in explorer.status.value
    assert not explorer.runs and not explorer.cache
