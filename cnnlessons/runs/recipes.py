"""The training recipes: :class:`Recipe` and :class:`Run`, and their one registry, ``RECIPES``.

A recipe says everything that decides a run: which models (``build_model`` names and their
arguments), how ``fit`` trains them (a ``Training``), the budget per profile and what is measured besides the
curves. Each lesson defines its recipes in ``cnnlessons.lessons.<lesson>.recipes`` and registers
them there; its notebook, its explorer, ``cnnlessons reproduce`` and ``cnnlessons bench`` all train
through them, so a recipe changed there changes every one of them::

    from cnnlessons.lessons.vgg import recipes
    runs = recipes.VGG.train(data, profile)     # {label: History}
    print(recipes.VGG.describe(profile))         # what that trains, in words
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from ..claims import CLAIMS, EffectClaim
from ..data import CourseData, subset_data
from ..devices import pick_device
from ..history import History
from ..profiles import Profile, get_profile
from ..training import Training, fit, set_seed
from .measurements import MEASUREMENTS, measuring
from .runcache import disk_cached

__all__ = [
    "Run",
    "Recipe",
    "RECIPES",
    "OPENINGS",
    "register",
    "register_opening",
    "get_recipe",
    "MEASUREMENTS",
]


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclasses.dataclass(frozen=True)
class Run:
    """One trained model of an experiment: its label, the model and what differs from the recipe."""

    label: str
    model: str
    """A ``build_model`` name."""
    model_kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    training: Training = Training()
    """What this run alone trains otherwise than the recipe says."""
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
        _check_training("Run.training", self.training)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How one experiment trains: its runs, their ``Training`` and the budget per profile."""

    key: str
    """``<notebook>/<experiment>``: the name the results and the reference curves are kept under."""
    description: str
    runs: tuple[Run, ...] | Callable[[Mapping[str, Any]], tuple[Run, ...]]
    """The runs, or a function of the profile's ``settings`` that gives them."""
    training: Training
    """How every run trains (the epochs come from the budget, the batch size from the profile
    unless it is set here)."""
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
    claims: Mapping[Any, Mapping[str, str] | Callable[[Mapping[str, Any]], Mapping[str, str]]] = (
        dataclasses.field(default_factory=dict)
    )
    """The effect claims these runs decide (``EffectClaim``s, kept by id): per claim, each of its
    arms -> the label of the run that plays it (or a function of the profile's ``settings`` that
    gives them, where the labels change with the profile). Trained with ``train_seeds``."""
    target: float | None = None
    """The training error (eval mode) that ``epochs_to_target`` counts the epochs to."""
    val_size: int | None = None
    """Keep only the first ``val_size`` validation images (the split is already shuffled): for
    long runs on few images, which evaluate them after every epoch. The claims are judged on the
    test split."""
    reference: bool = False
    """A reference run only (``reproduce``, ``bench``), which no lesson's notebook trains: left out of
    a notebook's time estimate."""

    def __post_init__(self) -> None:
        _check_training("Recipe.training", self.training)
        if self.training.epochs is not None or self.training.seed is not None:
            raise ValueError(
                "Recipe.training must leave epochs and seed unset: the recipe's budget and seed decide them"
            )
        object.__setattr__(self, "settings", _frozen({k: _frozen(v) for k, v in self.settings.items()}))
        object.__setattr__(
            self,
            "claims",
            _frozen({_claim_id(k): v if callable(v) else _frozen(v) for k, v in self.claims.items()}),
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

    def training_for(self, run: Run) -> Training:
        """How ``run`` trains: the recipe's ``training`` with the run's own fields replaced."""
        return self.training.override(run.training)

    def batch_size(self, profile: Profile | str | None = None) -> int:
        return self.training.batch_size or get_profile(profile).batch_size

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
            "batch_size": self.batch_size(profile),
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
                    "fit": self.training_for(r).options(),
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
        common = ", ".join(f"{k}={v!r}" for k, v in self.training.options().items())
        subset = self.subset_for(profile)
        part = "" if subset == 1 else f" on 1/{subset} of the training images"
        size = self.settings_for(profile).get("image_size")
        part += f" at {size}x{size} pixels" if size else ""
        batch = self.batch_size(profile)
        lines = [
            f"{self.key}: {self.description}",
            f"  {self.epochs_for(profile)} epochs, batch {batch}{part}; fit: {common}",
        ]
        for r in self.runs_for(profile):
            args = ", ".join(f"{k}={v!r}" for k, v in {**r.model_kwargs}.items())
            extra = "".join(f", {k}={v!r}" for k, v in r.training.options().items())
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
            batch_size=self.training.batch_size,
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
        precision: str | None = None,
        show: str | Callable[[History], None] | None = None,
        checkpoint: str | os.PathLike | None = None,
    ) -> tuple[nn.Module, History]:
        """Build ``run``'s model from the seed and train it under the profile's budget; the
        trained model and its history, whose ``info`` records the recipe key, the model and the
        figures of ``measure``. ``show`` and ``checkpoint`` go to ``fit`` (``show`` unset: a bar
        where the profile shows them)."""
        profile = get_profile(profile)
        seed = self.seed if seed is None else seed
        training = self.training_for(run).override(
            Training(
                epochs=self.epochs_for(profile) if epochs is None else epochs,
                batch_size=self.batch_size(profile),
                seed=seed,
                device=pick_device(device),
                precision=precision,
            )
        )
        data = self.data_for(data, seed, profile)
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
        if show is None:
            show = "bar" if profile.progress else "nothing"
        with measuring(self.measure, model, data, pick_device(training.device)) as figures:
            history = fit(model, data, training, label=run.label, show=show, checkpoint=checkpoint)
        history.info["profile"] = profile.name
        info.update(figures)
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
            _stop_if_interrupted(results)
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
                _stop_if_interrupted(
                    {f"{k} (seed {s})": h for k, by in results.items() for s, h in by.items()}
                )
                del model
        return results

    def arms_for(self, claim: EffectClaim | str, profile: Profile | str | None = None) -> Mapping[str, str]:
        """The claim's arms -> the labels of the runs that play them in ``profile``."""
        claim_id = _claim_id(claim)
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
        self,
        claim: EffectClaim | str,
        runs: Mapping[str, Mapping[int, History]],
        profile: Profile | str | None = None,
    ):
        """The verdict on ``claim`` (one of ``claims``) from ``train_seeds``' runs in ``profile``:
        a ``cnnlessons.claims.Judgement``, by the one rule of ``cnnlessons.claims.judge``."""
        from .evidence import judge_runs

        return judge_runs(_claim_id(claim), runs, self.arms_for(claim, profile), self.target)


def _stop_if_interrupted(histories: Mapping[str, History]) -> None:
    """Stop a comparison at its first interrupted run (one press stops the cell): an interrupted
    run is no evidence, and the runs after it would be compared with it."""
    stopped = [name for name, h in histories.items() if h.interrupted]
    if not stopped:
        return
    finished = [name for name, h in histories.items() if not h.interrupted]
    print(
        f"{stopped[0]} was interrupted: the comparison stops here and decides nothing. Finished: "
        f"{', '.join(finished) or 'none'} (kept in the run cache; run the cell again for the rest)."
    )
    raise KeyboardInterrupt


def _check_training(name: str, training: Any) -> None:
    if not isinstance(training, Training):
        raise TypeError(f"{name} must be a Training, e.g. Training(lr=0.1), got {type(training).__name__}")


def _claim_id(claim: EffectClaim | str) -> str:
    return claim.id if isinstance(claim, EffectClaim) else claim


def _check_arms(claim_id: str, arms: Any) -> None:
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


RECIPES: dict[str, Recipe] = {}


def register(recipe: Recipe) -> Recipe:
    if recipe.key in RECIPES:
        raise ValueError(f"a recipe called {recipe.key!r} is registered already")
    RECIPES[recipe.key] = recipe
    return recipe


OPENINGS: list[tuple[str, Recipe, Run]] = []
"""(name, recipe, run) for each explorer whose opening setting no recipe's own runs train: what
``cnnlessons prepare`` trains besides the recipes, as the explorer's button would."""


def register_opening(name: str, recipe: Recipe, run: Run) -> None:
    """Add an explorer's opening run (``name``, trained as ``recipe`` trains its own) to ``OPENINGS``."""
    OPENINGS.append((name, recipe, run))


def get_recipe(key: str) -> Recipe:
    """The recipe called ``key`` (``<notebook>/<experiment>``)."""
    if key not in RECIPES:
        raise ValueError(f"recipe key must be one of {', '.join(RECIPES)}, got {key!r}")
    return RECIPES[key]
