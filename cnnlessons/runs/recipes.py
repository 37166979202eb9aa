"""The training recipes: one :class:`Recipe` per experiment, in one registry, ``RECIPES``.

A recipe says everything that decides a run: which models (``build_model`` names and their
arguments), the ``fit`` arguments, the budget per profile and what is measured besides the
curves. The lessons' notebooks, their explorers, ``cnnlessons reproduce`` and ``cnnlessons bench``
all train through it, so a recipe changed here changes every one of them::

    runs = RECIPES["02_vggnet/vgg"].train(data, profile)     # {label: History}
    print(RECIPES["02_vggnet/vgg"].describe(profile))         # what that trains, in words
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from ..data import CourseData
from ..profiles import Profile, get_profile
from ..training import History, evaluate, fit, pick_device, set_seed
from .runcache import disk_cached

__all__ = ["Run", "Recipe", "RECIPES", "get_recipe", "subset_data", "MEASUREMENTS"]


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclasses.dataclass(frozen=True)
class Run:
    """One trained model of an experiment: its label, the model and what differs from the recipe."""

    label: str
    model: str
    """A ``build_model`` name."""
    model_kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    fit_kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """``fit`` arguments that override the recipe's for this run alone."""
    data_kwargs: tuple[str, ...] = ()
    """Model arguments taken from the data, e.g. ``("image_size",)``."""
    init: str | None = None
    """An initialiser of ``cnnlessons.models.INITIALISERS`` for this run alone (else the recipe's)."""
    init_like: str | None = None
    """The label of a run of the same recipe whose initial weights this run starts from, wherever
    the two models have a weight of the same name and shape (the rest keep their own draw): a
    comparison of two nets that differ in a few layers then differs in nothing else at the start."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "model_kwargs", _frozen(self.model_kwargs))
        object.__setattr__(self, "fit_kwargs", _frozen(self.fit_kwargs))


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How one experiment trains: its runs, the ``fit`` arguments and the budget per profile."""

    key: str
    """``<notebook>/<experiment>``: the name the results and the reference curves are kept under."""
    description: str
    runs: tuple[Run, ...] | Callable[[Mapping[str, Any]], tuple[Run, ...]]
    """The runs, or a function of the profile's ``settings`` that gives them."""
    fit: Mapping[str, Any]
    """``fit`` arguments common to every run (the epochs and batch size come from the budget)."""
    epochs: float = 1.0
    """The budget: this many times the profile's epochs (at least one epoch); a profile's
    ``epochs`` setting overrides it, as its ``subset`` setting overrides ``subset``."""
    fixed_epochs: int | None = None
    """A budget in epochs whatever the profile (a converged run's), instead of ``epochs``."""
    settings: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    """Per profile name: what that profile can afford (depths, widths, ...), read by ``runs``."""
    init: str | None = None
    """An initialiser from ``cnnlessons.models.INITIALISERS`` applied after each model is built."""
    subset: int = 1
    """Train on a seeded random 1/``subset`` of the training images."""
    measure: tuple[str, ...] = ()
    """Extra figures kept in each run's ``info``: names from ``MEASUREMENTS``."""
    seed: int = 0
    claims: Mapping[str, Mapping[str, str] | Callable[[Mapping[str, Any]], Mapping[str, str]]] = (
        dataclasses.field(default_factory=dict)
    )
    """The effect claims these runs decide (ids of ``cnnlessons.claims.CLAIMS``): per claim, each
    of its arms -> the label of the run that plays it (or a function of the profile's
    ``settings`` that gives them, where the labels change with the profile). Trained with
    ``train_seeds``."""
    target: float | None = None
    """The training error (eval mode) that ``epochs_to_target`` counts the epochs to."""
    val_size: int | None = None
    """Keep only the first ``val_size`` validation images (the split is already shuffled): for
    long runs on few images, which evaluate them after every epoch. The claims are judged on the
    test split."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "fit", _frozen(self.fit))
        object.__setattr__(self, "settings", _frozen({k: _frozen(v) for k, v in self.settings.items()}))
        object.__setattr__(
            self, "claims", _frozen({k: v if callable(v) else _frozen(v) for k, v in self.claims.items()})
        )
        for claim_id, arms in self.claims.items():
            _check_arms(claim_id, arms)
        if self.val_size is not None and (
            isinstance(self.val_size, bool) or not isinstance(self.val_size, int) or self.val_size < 1
        ):
            raise ValueError(f"val_size must be an integer >= 1 or None, got {self.val_size!r}")
        unknown = [m for m in self.measure if m not in MEASUREMENTS]
        if unknown:
            raise ValueError(f"measure must name figures among {', '.join(MEASUREMENTS)}, got {unknown}")

    # -- what a profile resolves to ------------------------------------------------------------
    def settings_for(self, profile: Profile | str | None = None) -> Mapping[str, Any]:
        """The per-profile settings (empty where the recipe has none)."""
        profile = get_profile(profile)
        return self.settings.get(profile.name, _frozen({}))

    def subset_for(self, profile: Profile | str | None = None) -> int:
        """The fraction 1/n of the training images a run trains on: the profile's ``subset``
        setting, else the recipe's."""
        return self.settings_for(profile).get("subset", self.subset)

    def epochs_for(self, profile: Profile | str | None = None) -> int:
        if self.fixed_epochs is not None:
            return self.fixed_epochs
        factor = self.settings_for(profile).get("epochs", self.epochs)
        return max(1, int(get_profile(profile).epochs * factor))

    def runs_for(self, profile: Profile | str | None = None) -> tuple[Run, ...]:
        runs = self.runs(self.settings_for(profile)) if callable(self.runs) else self.runs
        return tuple(runs)

    def run(self, label: str, profile: Profile | str | None = None) -> Run:
        """The run called ``label`` in this profile."""
        runs = {r.label: r for r in self.runs_for(profile)}
        if label not in runs:
            raise ValueError(f"label must be one of {', '.join(runs)} for {self.key}, got {label!r}")
        return runs[label]

    def fit_kwargs(self, run: Run) -> dict[str, Any]:
        return {**self.fit, **run.fit_kwargs}

    def resolved(
        self, profile: Profile | str | None = None, runs: Sequence[Run] | None = None
    ) -> dict[str, Any]:
        """Everything this recipe trains in ``profile``, as plain data (for printing and keys)."""
        profile = get_profile(profile)
        runs = self.runs_for(profile) if runs is None else runs
        return {
            "key": self.key,
            "profile": profile.name,
            "epochs": self.epochs_for(profile),
            "batch_size": self.fit.get("batch_size", profile.batch_size),
            "subset": self.subset_for(profile),
            "init": self.init,
            **({"val_size": self.val_size} if self.val_size else {}),
            **({"image_size": size} if (size := self.settings_for(profile).get("image_size")) else {}),
            "seed": self.seed,
            "measure": list(self.measure),
            "runs": [
                {
                    "label": r.label,
                    "model": r.model,
                    "model_kwargs": dict(r.model_kwargs),
                    "data_kwargs": list(r.data_kwargs),
                    "fit": self.fit_kwargs(r),
                    **({"init": r.init} if r.init else {}),
                    **({"init_like": r.init_like} if r.init_like else {}),
                }
                for r in runs
            ],
        }

    def digest(self, profile: Profile | str | None = None) -> str:
        """A hash of everything this recipe trains in ``profile`` (``resolved``): a checkpoint
        records it, and a changed recipe no longer matches."""
        text = json.dumps(self.resolved(profile), sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self, profile: Profile | str | None = None) -> str:
        """What the recipe trains in ``profile``, in a few lines."""
        profile = get_profile(profile)
        common = ", ".join(f"{k}={v!r}" for k, v in self.fit.items())
        subset = self.subset_for(profile)
        part = "" if subset == 1 else f" on 1/{subset} of the training images"
        size = self.settings_for(profile).get("image_size")
        part += f" at {size}x{size} pixels" if size else ""
        batch = self.fit.get("batch_size", profile.batch_size)
        lines = [
            f"{self.key}: {self.description}",
            f"  {self.epochs_for(profile)} epochs, batch {batch}{part}; fit: {common}",
        ]
        for r in self.runs_for(profile):
            args = ", ".join(f"{k}={v!r}" for k, v in {**r.model_kwargs}.items())
            extra = "".join(f", {k}={v!r}" for k, v in r.fit_kwargs.items())
            lines.append(f"  {r.label}: build_model({r.model!r}{', ' + args if args else ''}){extra}")
        return "\n".join(lines)

    __str__ = describe

    # -- building and training -----------------------------------------------------------------
    def build(self, run: Run, data: CourseData) -> nn.Module:
        """A fresh model of ``run`` for ``data`` (seed it first for reproducible weights)."""
        from ..models import INITIALISERS, build_model

        from_data = {name: getattr(data, name) for name in run.data_kwargs}
        model = build_model(
            run.model,
            in_channels=data.channels,
            num_classes=data.num_classes,
            **from_data,
            **run.model_kwargs,
        )
        init = run.init or self.init
        if init is not None:
            INITIALISERS[init](model)
        return model

    def estimate(
        self,
        data: CourseData,
        profile: Profile | str | None = None,
        *,
        runs: Iterable[Run] | None = None,
        precision: str = "auto",
    ):
        """How long training the runs will take on this device: ``print`` it before training
        (FLOPs per image and a few timed steps; see ``cnnlessons.runs.estimate``). Runs already in
        the run cache are listed as such, not timed: they load at once."""
        from .estimate import estimate_time
        from .runcache import cached_training

        profile = get_profile(profile)
        training_data = self.data_for(data, profile=profile)
        models, cached = {}, {}
        for run in self.runs_for(profile) if runs is None else runs:
            record = cached_training(self, run, data, profile)
            if record is not None:  # it will load at once: nothing to time
                cached[run.label] = record
                continue
            set_seed(self.seed)
            models[run.label] = self.build(run, training_data)
        return estimate_time(
            models,
            training_data,
            epochs=self.epochs_for(profile),
            profile=profile,
            label=self.key,
            cached=cached,
            precision=precision,
            batch_size=self.fit.get("batch_size"),
        )

    def data_for(
        self, data: CourseData, seed: int | None = None, profile: Profile | str | None = None
    ) -> CourseData:
        """The data a run trains on: the recipe's subset (drawn by ``seed``), its validation images,
        and the profile's ``image_size`` setting where the data is larger (``resize_data``: half
        the side is a quarter of the arithmetic, what lets deep, thin nets run on every seed on a
        CPU)."""
        subset = self.subset_for(profile)
        data = data if subset == 1 else subset_data(data, subset, self.seed if seed is None else seed)
        size = self.settings_for(profile).get("image_size")
        if size is not None and size < data.image_size:
            from ..data import resize_data

            data = resize_data(data, size)
        if self.val_size is not None and self.val_size < len(data.val_labels):
            data = dataclasses.replace(
                data, val_images=data.val_images[: self.val_size], val_labels=data.val_labels[: self.val_size]
            )
        return data

    @disk_cached  # a run trained before answers from the disk (cnnlessons.runs.runcache)
    def fit_run(
        self,
        run: Run,
        data: CourseData,
        profile: Profile | str | None = None,
        *,
        epochs: int | None = None,
        seed: int | None = None,
        device: str | torch.device | None = None,
        on_epoch: Callable[[History], None] | None = None,
        **fit_overrides: Any,
    ) -> tuple[nn.Module, History]:
        """Build ``run``'s model from the seed and train it under the profile's budget; the
        trained model and its history, whose ``info`` records the recipe key, the model and the
        figures of ``measure``."""
        profile = get_profile(profile)
        seed = self.seed if seed is None else seed
        epochs = self.epochs_for(profile) if epochs is None else epochs
        data = self.data_for(data, seed, profile)
        device = pick_device(device)
        set_seed(seed)
        model = self.build(run, data)
        if run.init_like is not None:
            set_seed(seed)
            twin = self.build(self.run(run.init_like, profile), data).state_dict()
            own = model.state_dict()
            model.load_state_dict(
                {k: v for k, v in twin.items() if k in own and own[k].shape == v.shape}, strict=False
            )
        info: dict[str, Any] = {"recipe": self.key, "model": run.model}
        if "flops" in self.measure:
            from ..measure import flops_per_image

            info["flops"] = flops_per_image(model, data.input_size)
        if "saved_memory" in self.measure:
            from ..measure import training_memory_per_image

            info["saved_bytes_per_image"] = training_memory_per_image(model, data.input_size)
        tracker = contextlib.nullcontext()
        if "peak_memory" in self.measure:
            from ..measure import track_peak_memory

            tracker = track_peak_memory(device)
        with tracker as memory:
            history = fit(
                model,
                data,
                epochs=epochs,
                profile=profile,
                seed=seed,
                label=run.label,
                device=device,
                on_epoch=on_epoch,
                **{**self.fit_kwargs(run), **fit_overrides},
            )
        if memory is not None:
            info["peak_bytes"] = memory.peak_bytes
        if "clean_train_acc" in self.measure:
            info["clean_train_acc"] = clean_accuracy(model, data)
        info.update({k: v for k, v in run.model_kwargs.items() if _plain(v)})
        history.info.update(info)
        return model, history

    def train(
        self,
        data: CourseData,
        profile: Profile | str | None = None,
        *,
        runs: Iterable[Run] | None = None,
        labels: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, History]:
        """Train each run (or the given ``runs``, or those called ``labels``) from the same seed
        under the profile's budget; ``{label: History}``. Keyword arguments go to ``fit_run``."""
        profile = get_profile(profile)
        if labels is not None:
            runs = [self.run(label, profile) for label in labels]
        results: dict[str, History] = {}
        for run in self.runs_for(profile) if runs is None else runs:
            model, results[run.label] = self.fit_run(run, data, profile, **kwargs)
            device = next(model.parameters()).device
            del model
            if device.type == "cuda":
                torch.cuda.empty_cache()
        return results

    def train_seeds(
        self,
        data: CourseData,
        profile: Profile | str | None = None,
        *,
        seeds: Sequence[int] | None = None,
        labels: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, dict[int, History]]:
        """Train each run (or those called ``labels``) once per seed of the profile
        (``profile.seeds``, or ``seeds``): the paired runs a claim is judged on,
        ``{label: {seed: History}}``. Each seed draws the model's weights, the batches and, with
        ``subset``, the training images, the same for every run."""
        profile = get_profile(profile)
        seeds = profile.seeds if seeds is None else tuple(seeds)
        if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
            raise ValueError(f"seeds must be integers >= 0, at least one, got {seeds!r}")
        runs = self.runs_for(profile) if labels is None else [self.run(label, profile) for label in labels]
        results: dict[str, dict[int, History]] = {run.label: {} for run in runs}
        for seed in seeds:
            for run in runs:
                model, results[run.label][seed] = self.fit_run(run, data, profile, seed=seed, **kwargs)
                del model
        return results

    def arms_for(self, claim_id: str, profile: Profile | str | None = None) -> Mapping[str, str]:
        """The claim's arms -> the labels of the runs that play them in ``profile``."""
        if claim_id not in self.claims:
            raise ValueError(
                f"claim_id: {self.key} decides {', '.join(self.claims) or 'no claim'}, got {claim_id!r}"
            )
        arms = self.claims[claim_id]
        if callable(arms):
            arms = arms(self.settings_for(profile))
            _check_arms(claim_id, arms)
        return arms

    def judge(
        self, claim_id: str, runs: Mapping[str, Mapping[int, History]], profile: Profile | str | None = None
    ):
        """The verdict on ``claim_id`` (one of ``claims``) from ``train_seeds``' runs in ``profile``:
        a ``cnnlessons.claims.Judgement``, by the one rule of ``cnnlessons.claims.judge``."""
        from .evidence import judge_runs

        return judge_runs(claim_id, runs, self.arms_for(claim_id, profile), self.target)


def _check_arms(claim_id: str, arms: Any) -> None:
    from ..claims import CLAIMS

    if claim_id not in CLAIMS:
        raise ValueError(f"claims: expected ids among {', '.join(CLAIMS)}, got {claim_id!r}")
    if callable(arms):
        return
    if missing := [a for a in CLAIMS[claim_id].arms if a not in arms]:
        raise ValueError(f"claims[{claim_id!r}]: expected a run for every arm; {missing[0]!r} has none")


def _plain(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool)) or (
        isinstance(value, (tuple, list)) and all(isinstance(v, (int, float, str, bool)) for v in value)
    )


def subset_data(data: CourseData, subset: int, seed: int = 0) -> CourseData:
    """A seeded random 1/``subset`` of the training images (validation and test unchanged).
    Random, not the first ones: a dataset's training split may be ordered by class."""
    if not isinstance(subset, int) or subset < 1:
        raise ValueError(f"subset must be an integer >= 1, got {subset!r}")
    n = max(1, len(data.train_labels) // subset)
    keep = torch.randperm(len(data.train_labels), generator=torch.Generator().manual_seed(seed))[:n]
    keep = keep.sort().values
    return dataclasses.replace(
        data, train_images=data.train_images[keep], train_labels=data.train_labels[keep]
    )


def clean_accuracy(model: nn.Module, data: CourseData) -> float:
    """Accuracy on the training images themselves, un-augmented, in eval mode (dropout off)."""
    from ..tensordata import TensorLoader

    device = next(model.parameters()).device
    batches = TensorLoader(
        data.train_images, data.train_labels, batch_size=256, mean=data.mean, std=data.std, device=device
    )
    return evaluate(model, batches, device)[1]


MEASUREMENTS = {
    "flops": "FLOPs per image at the data's size (info['flops'])",
    "peak_memory": "peak device memory of the run where the device reports it (info['peak_bytes'])",
    "saved_memory": "bytes per image of the tensors a training step saves for backward, on any "
    "device (info['saved_bytes_per_image'])",
    "clean_train_acc": "accuracy on the un-augmented training images in eval mode, after training",
}

RECIPES: dict[str, Recipe] = {}


def register(recipe: Recipe) -> Recipe:
    if recipe.key in RECIPES:
        raise ValueError(f"a recipe called {recipe.key!r} is registered already")
    RECIPES[recipe.key] = recipe
    return recipe


def get_recipe(key: str) -> Recipe:
    """The recipe called ``key`` (``<notebook>/<experiment>``)."""
    if key not in RECIPES:
        raise ValueError(f"recipe key must be one of {', '.join(RECIPES)}, got {key!r}")
    return RECIPES[key]


# --------------------------------------------------------------------------- 01 AlexNet

FIGURE1_LR = {"relu": 0.01, "tanh": 0.1}
FIGURE1_INIT = {"relu": "he", "tanh": "glorot"}
"""Each activation's learning rate, tuned as the paper tuned them ("chosen independently to make
training as fast as possible"; tried on seeds 100 and 101, 2,500 images: ReLU 0.003, 0.01, 0.02,
0.03, 0.05; tanh 0.01, 0.03, 0.1), and the initialisation made for it (He for ReLU, Glorot for
tanh)."""

register(
    Recipe(
        "01_alexnet/figure1",
        "the AlexNet paper's Figure 1 at course scale: a four-layer CNN, ReLU against tanh, each at "
        "its own tuned learning rate",
        runs=tuple(
            Run(a, "figure1_cnn", {"activation": a}, {"lr": FIGURE1_LR[a]}, init=FIGURE1_INIT[a])
            for a in ("relu", "tanh")
        ),
        # As in the paper's Figure 1: SGD with momentum at a fixed learning rate and no
        # regularisation of any kind (no weight decay, no augmentation, no dropout). The training
        # error is measured in eval mode on the whole training subset after every epoch.
        fit=dict(
            optimizer="sgd",
            schedule="constant",
            weight_decay=0.0,
            augment=False,
            test=True,
            train_eval_size=50_000,
        ),
        # A quarter of the images for 2.5 times the epochs: 15 epochs on 2,500 images in cpu.
        epochs=2.5,
        subset=4,
        target=0.25,
        claims={"alexnet.relu_vs_tanh": {"relu": "relu", "tanh": "tanh"}},
    )
)

REGULARISATION_VARIANTS = {
    "no augmentation, no dropout": (False, 0.0),
    "augmentation": (True, 0.0),
    "dropout 0.5": (False, 0.5),
}
REGULARISATION_HIDDEN = 512
"""The fully connected layers' width in the regularisation runs (SmallAlexNet's default is 128):
dropout needs redundant units to drop."""

register(
    Recipe(
        "01_alexnet/regularisation",
        "SmallAlexNet (wide FC layers) on a set small enough to overfit: without regularisation, "
        "with augmentation, with dropout",
        runs=tuple(
            Run(
                label,
                "small_alexnet",
                {"dropout": dropout, "hidden": REGULARISATION_HIDDEN},
                {"augment": augment},
            )
            for label, (augment, dropout) in REGULARISATION_VARIANTS.items()
        ),
        fit=dict(optimizer="adamw", lr=1e-3, test=True, train_eval_size=0),
        # A tenth of the images for 14 times the epochs: 84 epochs on 1,000 images in cpu, long after
        # the unregularised net has memorised them and long enough for the dropout net to fit them
        # too (at 42 epochs it had not, and dropout only slowed it down). 250 validation images each
        # epoch keep the curves and leave the time to training.
        epochs=14.0,
        subset=10,
        init="he",
        measure=("clean_train_acc",),
        val_size=250,
        claims={
            "alexnet.augmentation": {"augmented": "augmentation", "plain": "no augmentation, no dropout"},
            "alexnet.dropout": {"dropout": "dropout 0.5", "no dropout": "no augmentation, no dropout"},
        },
    )
)

# --------------------------------------------------------------------------- 02 VGGNet

register(
    Recipe(
        "02_vggnet/vgg",
        "the scaled-down VGG: three blocks of two 3x3 convolutions",
        runs=(Run("SmallVGG", "small_vgg", data_kwargs=("image_size",)),),
        # Without batch normalisation VGG is slow to start with SGD on a short budget (the paper
        # trained its deeper nets from a shallower one's weights); AdamW gets it going.
        fit=dict(optimizer="adamw", lr=1e-3, test=True),
    )
)


def kernel_label(kernel_size: int, num_layers: int) -> str:
    return f"{num_layers} x {kernel_size}x{kernel_size}"


def kernel_comparison(kernel_size: int = 7, num_layers: int = 1, width: int = 16) -> tuple[Run, Run]:
    """``num_layers`` kxk layers against the 3x3 stack with the same receptive field."""
    from ..measure import equivalent_3x3_layers

    n3 = equivalent_3x3_layers(kernel_size, num_layers)
    return tuple(
        Run(kernel_label(k, n), "kernel_model", {"kernel_size": k, "num_layers": n, "width": width})
        for k, n in ((kernel_size, num_layers), (3, n3))
    )


register(
    Recipe(
        "02_vggnet/kernels",
        "one 7x7 layer against three 3x3 layers with the same receptive field",
        runs=kernel_comparison(7, 1),
        fit=dict(optimizer="adamw", lr=2e-3),
        epochs=0.5,
    )
)

STACKS = {"one 5x5": (5, 1, 32), "two 3x3": (3, 2, 36), "four 3x3": (3, 4, 36)}
"""The ledger's stacks (label -> kernel size, layers, width): two 3x3 layers see 5x5 as one 5x5
layer does, at 18 x 36^2 = 23,328 weights against 25 x 32^2 = 25,600 (the 3x3 stack's width is the
widest whose weights stay under the 5x5's); four 3x3 layers are the deeper stack at the same width."""

register(
    Recipe(
        "02_vggnet/stacks",
        "stacks of 3x3 convolutions against one 5x5 (same receptive field, fewer weights) and against "
        "a deeper stack (VGG's section 4.1 and Table 3 at course scale)",
        runs=tuple(
            Run(label, "kernel_model", {"kernel_size": k, "num_layers": n, "width": w})
            for label, (k, n, w) in STACKS.items()
        ),
        fit=dict(optimizer="adamw", lr=2e-3, test=True),
        claims={
            "vgg.small_kernels": {"3x3 stack": "two 3x3", "large kernel": "one 5x5"},
            "vgg.depth": {"deeper": "four 3x3", "shallower": "two 3x3"},
        },
    )
)

# --------------------------------------------------------------------------- 03 GoogLeNet

register(
    Recipe(
        "03_googlenet/googlenet",
        "the scaled-down GoogLeNet",
        runs=(Run("SmallGoogLeNet", "small_googlenet"),),
        fit=dict(optimizer="sgd", lr=0.1, test=True),
    )
)


def _ablation_runs(settings: Mapping[str, Any]) -> tuple[Run, ...]:
    width = settings["width"]
    return (
        Run("reduced", "small_googlenet", {"width": width}),
        Run("naive", "small_googlenet", {"width": width, "reductions": False}),
        Run("no BN, lr 0.1", "small_googlenet", {"width": width, "batch_norm": False}),
        Run("no BN, lr 0.01", "small_googlenet", {"width": width, "batch_norm": False}, {"lr": 0.01}),
    )


register(
    Recipe(
        "03_googlenet/ablations",
        "the small GoogLeNet with its 1x1 reductions against the naive Inception block, and with batch "
        "normalisation against without it at a high and a low learning rate",
        runs=_ablation_runs,
        # The lesson's recipe (SGD, lr 0.1) for all; every net starts from He initialisation, so that
        # batch norm and the learning rate are what differs, not the initialisation.
        fit=dict(optimizer="sgd", lr=0.1, test=True),
        # Half the images for two thirds of the epochs (4 epochs on 5,000 images in cpu), at half the
        # lesson's width on a CPU: thin Inception branches are what costs there.
        epochs=2 / 3,
        subset=2,
        init="he",
        measure=("flops",),
        settings={"gpu": dict(width=16), "cpu": dict(width=8), "smoke": dict(width=4)},
        claims={
            "googlenet.reductions": {"reduced": "reduced", "naive": "naive"},
            "googlenet.batch_norm": {
                "bn, high rate": "reduced",
                "no bn, high rate": "no BN, lr 0.1",
                "no bn, low rate": "no BN, lr 0.01",
            },
        },
    )
)

# --------------------------------------------------------------------------- 04 ResNet


def resnet_label(shortcut: str | None, depth: int) -> str:
    """``plain-20``, ``ResNet-20`` (identity shortcut) or ``ResNet-20 (projection)``."""
    if shortcut == "none":
        return f"plain-{depth}"
    if shortcut == "identity":
        return f"ResNet-{depth}"
    return f"ResNet-{depth} ({shortcut or 'projection where needed'})"


def resnet_run(depth: int, shortcut: str, width: int) -> Run:
    """``cifar_resnet(depth, shortcut=...)`` at ``width``, labelled as the lesson names it."""
    return Run(
        resnet_label(shortcut, depth), "cifar_resnet", {"depth": depth, "shortcut": shortcut, "width": width}
    )


def _degradation_runs(settings: Mapping[str, Any]) -> tuple[Run, ...]:
    return tuple(
        resnet_run(depth, shortcut, settings["width"])
        for depth in settings["depths"]
        for shortcut in ("none", "identity")
    )


def _degradation_arms(claim_id: str) -> Callable[[Mapping[str, Any]], Mapping[str, str]]:
    """The arms of the three claims section 1 of lesson 04 decides, as the profile labels them."""

    def arms(settings: Mapping[str, Any]) -> Mapping[str, str]:
        shallow, deep = settings["depths"]
        return {
            "resnet.degradation": {
                "plain deep": resnet_label("none", deep),
                "plain shallow": resnet_label("none", shallow),
            },
            "resnet.shortcuts": {
                "residual deep": resnet_label("identity", deep),
                "plain deep": resnet_label("none", deep),
                "residual shallow": resnet_label("identity", shallow),
            },
        }[claim_id]

    return arms


register(
    Recipe(
        "04_resnet/degradation",
        "plain and residual networks, shallow and deep (the paper's 20 and 56 layers in gpu)",
        runs=_degradation_runs,
        # The paper's CIFAR-10 learning rate; the training error measured on 2,500 training images.
        fit=dict(optimizer="sgd", lr=0.1, test=True, train_eval_size=2500),
        # What each profile affords: the paper's 20 against 56 layers at width 16 on a GPU; on a
        # CPU 8 against 20 layers at half the width, on a quarter of the images for twice the epochs
        # at 16x16 pixels (a quarter of the arithmetic: every seed of four networks fits the lesson's
        # budget, and the training error is measured on all 2,500 images); in smoke 8 against 20
        # layers at width 4.
        settings={
            "gpu": dict(depths=(20, 56), width=16, max_depth=110),
            "cpu": dict(depths=(8, 20), width=8, max_depth=32, subset=4, epochs=2.0, image_size=16),
            "smoke": dict(depths=(8, 20), width=4, max_depth=20),
        },
        claims={
            claim_id: _degradation_arms(claim_id) for claim_id in ("resnet.degradation", "resnet.shortcuts")
        },
    )
)


def _shortcut_runs(settings: Mapping[str, Any]) -> tuple[Run, ...]:
    identity, projection = (
        resnet_run(settings["depth"], shortcut, settings["width"]) for shortcut in ("identity", None)
    )
    return identity, dataclasses.replace(projection, init_like=identity.label)


def _shortcut_arms(settings: Mapping[str, Any]) -> Mapping[str, str]:
    return {
        "identity": resnet_label("identity", settings["depth"]),
        "projection": resnet_label(None, settings["depth"]),
    }


register(
    Recipe(
        "04_resnet/shortcuts",
        "identity (option A) against projection shortcuts where the shape changes (option B), same network",
        runs=_shortcut_runs,
        fit=dict(optimizer="sgd", lr=0.1, test=True),
        # The two nets differ in two shortcuts, so their accuracies differ by less than one run's
        # noise on a short budget: the projection net starts from the identity net's weights wherever
        # they share a layer (and sees the same batches), and on a CPU the shallow net trains on all
        # the profile's images at 16x16 for over three times the epochs, to end closer to where each
        # converges.
        settings={
            "gpu": dict(depth=20, width=16),
            "cpu": dict(depth=8, width=8, epochs=10 / 3, image_size=16),
            "smoke": dict(depth=8, width=4),
        },
        claims={"resnet.identity_vs_projection": _shortcut_arms},
    )
)

register(
    Recipe(
        "04_resnet/resnet20_fast",
        "ResNet-20 (the paper's CIFAR-10 network), one-cycle SGD, label smoothing 0.1",
        runs=(Run("ResNet-20", "resnet20"),),
        fit=dict(optimizer="sgd", lr=0.2, label_smoothing=0.1, weight_decay=5e-4, test=True),
        epochs=2.0,
    )
)


def preactivation_label(depth: int, block: str) -> str:
    """``ResNet-20`` or ``ResNet-20 (pre-activation)``."""
    return f"ResNet-{depth}" + (" (pre-activation)" if block == "preact" else "")


def _preactivation_runs(settings: Mapping[str, Any]) -> tuple[Run, ...]:
    depth, width = settings["depth"], settings["width"]
    return tuple(
        Run(
            preactivation_label(depth, block),
            "cifar_resnet",
            {"depth": depth, "shortcut": "identity", "width": width, "block": block},
        )
        for block in ("basic", "preact")
    )


register(
    Recipe(
        "04_resnet/preactivation",
        "the original residual block against the pre-activation block (He et al. 2016), same depth",
        runs=_preactivation_runs,
        fit=dict(optimizer="sgd", lr=0.1, test=True),
        # The paper compares them at 110 layers (and 164, 1001): on a GPU ResNet-110; on a CPU
        # ResNet-20 at a quarter of the width, half the epochs on half the images.
        epochs=0.5,
        subset=2,
        settings={
            "gpu": dict(depth=110, width=16),
            "cpu": dict(depth=20, width=4),
            "smoke": dict(depth=14, width=4),
        },
    )
)

# --------------------------------------------------------------------------- 05 DenseNet

DENSENET_BC = dict(growth_rate=12, block_config=(3, 3, 3), bottleneck=True, compression=0.5)
"""The lesson's scaled-down DenseNet-BC (k=12, three blocks of three bottleneck layers)."""

register(
    Recipe(
        "05_densenet/densenet_vs_resnet",
        "DenseNet-BC (k=12) against ResNet-14 (2.4 times its parameters), same budget, no augmentation",
        runs=(
            Run("DenseNet-BC", "small_densenet", DENSENET_BC),
            Run("ResNet-14", "small_resnet", {"depth": 14, "width": 16}),
        ),
        # Without augmentation, as in the paper's C10 columns, where its gap to ResNet is widest.
        fit=dict(optimizer="sgd", lr=0.1, test=True, augment=False),
        # On a CPU: half the images at 16x16 pixels (a DenseNet's many thin layers cost 4.3 times
        # less there) for the profile's epochs, so that every seed fits the lesson's budget.
        epochs=0.5,
        measure=("flops",),
        settings={"cpu": dict(subset=2, image_size=16, epochs=1.0)},
        claims={"densenet.parameter_efficiency": {"densenet": "DenseNet-BC", "resnet": "ResNet-14"}},
    )
)


def growth_rate_label(growth_rate: int, num_layers: int, bottleneck: bool = False) -> str:
    return f"k={growth_rate}, L={num_layers}{', BC' if bottleneck else ''}"


def growth_rate_run(growth_rate: int, num_layers: int, bottleneck: bool = False) -> Run:
    """The DenseNet explorer's run of one setting: a three-block ``small_densenet`` with
    ``num_layers`` per block, trained as recipe ``05_densenet/densenet_vs_resnet`` trains the
    lesson's DenseNet-BC."""
    return Run(
        growth_rate_label(growth_rate, num_layers, bottleneck),
        "small_densenet",
        {"growth_rate": growth_rate, "block_config": (num_layers,) * 3, "bottleneck": bottleneck},
    )


EXPLORER_OPENINGS: Mapping[str, tuple[tuple[str, str, Run], ...]] = MappingProxyType(
    {
        "05_densenet": (
            ("GrowthRateExplorer k=12 L=4", "05_densenet/densenet_vs_resnet", growth_rate_run(12, 4)),
        ),
    }
)
"""lesson -> (name, recipe key, run) for each explorer whose opening setting no recipe's own runs
train: what ``cnnlessons prepare`` trains besides the recipes, as the explorer's button would.
(VGG's explorer opens on the runs of ``02_vggnet/kernels`` and ResNet's on those of
``04_resnet/degradation``: recipes already.)"""


# --------------------------------------------------------------------------- 06 Summary

SMALL_MODELS = {
    "AlexNet": ("small_alexnet", {}),
    "VGG": ("small_vgg", {}),
    "GoogLeNet": ("small_googlenet", {}),
    "ResNet": ("small_resnet", {}),
    "DenseNet": ("small_densenet", DENSENET_BC),
}
"""Label -> (``build_model`` name, arguments): each lesson's course-scale model (the DenseNet is
lesson 05's DenseNet-BC)."""

register(
    Recipe(
        "06_summary/five_models",
        "the five course-scale models under one budget",
        runs=tuple(Run(label, name, kwargs) for label, (name, kwargs) in SMALL_MODELS.items()),
        fit=dict(optimizer="adamw", lr=2e-3, test=True),
        epochs=0.5,
        measure=("flops", "peak_memory", "saved_memory"),
        # On a CPU: half the images at 16x16 pixels for the profile's epochs, so that every seed of
        # the five fits the lesson.
        settings={"cpu": dict(subset=2, image_size=16, epochs=1.0)},
        claims={
            "summary.five_models": {
                "googlenet": "GoogLeNet",
                "resnet": "ResNet",
                "densenet": "DenseNet",
                "alexnet": "AlexNet",
                "vgg": "VGG",
            }
        },
    )
)

# --------------------------------------------------------------------------- converged checkpoints

CONVERGED_FIT = dict(
    optimizer="sgd",
    lr=0.1,
    momentum=0.9,
    weight_decay=5e-4,
    schedule="onecycle",
    label_smoothing=0.1,
    batch_size=128,
    test=True,
)
"""How the shipped checkpoints train: a fast schedule (one-cycle, label smoothing), the random
crops and flips of every lesson, on the ``gpu`` profile's split of CIFAR-10 (45,000 training
images, the 5,000 held out choose the epochs)."""

WITHOUT_BN_FIT = dict(optimizer="adamw", lr=2e-3, weight_decay=0.05)
"""For the models without batch normalisation (AlexNet's and VGG's), which SGD at lr 0.1 does
not get going: AdamW, with its decoupled weight decay, as the lessons train them."""

CONVERGED_EPOCHS = {
    "resnet20": 100,
    "small_alexnet": 60,
    "small_vgg": 60,
    "small_googlenet": 60,
    "small_resnet": 60,
    "small_densenet": 80,
}
"""Each checkpoint's epoch budget, chosen on the 5,000 held-out images (the records keep the
validation curve of each run)."""

CONVERGED: Mapping[str, tuple[str, Mapping[str, Any], int, Mapping[str, Any]]] = MappingProxyType(
    {
        "resnet20": ("resnet20", {}, CONVERGED_EPOCHS["resnet20"], {}),
        **{
            name: (
                name,
                kwargs,
                CONVERGED_EPOCHS[name],
                WITHOUT_BN_FIT if name in ("small_alexnet", "small_vgg") else {},
            )
            for name, kwargs in SMALL_MODELS.values()
        },
    }
)
"""Checkpoint name -> (``build_model`` name, arguments, epochs, ``fit`` arguments that differ from
``CONVERGED_FIT``): the paper's ResNet-20 and each lesson's course-scale model (``SMALL_MODELS``),
trained to the end once and shipped (``build_model(name, weights="cifar10")``)."""

for _name, (_model, _kwargs, _epochs, _fit) in CONVERGED.items():
    register(
        Recipe(
            f"converged/{_name}",
            f"{_name} trained to the end on CIFAR-10, the checkpoint the course ships",
            runs=(Run(_name, _model, _kwargs),),
            fit={**CONVERGED_FIT, **_fit},
            fixed_epochs=_epochs,
        )
    )
