"""Profiles: one notebook, three budgets (``smoke`` for CI, ``cpu`` for a laptop, ``gpu`` for real training).

The profile is chosen by the environment variable ``CNNLESSONS_PROFILE``; without it, ``gpu`` when
CUDA is present, ``smoke`` when ``CI`` is set, else ``cpu``. Notebooks ask the profile for their
budgets and never hard-code them.
"""

from __future__ import annotations

import dataclasses
import os

__all__ = ["Profile", "PROFILES", "get_profile", "profile_name"]


@dataclasses.dataclass(frozen=True)
class Profile:
    """The budget of one run: which data, how much of it, and how long to train."""

    name: str
    dataset: str
    train_size: int | None
    """Training images drawn from the training split (``None``: all of them)."""
    val_size: int
    test_size: int | None
    image_size: int
    epochs: int
    batch_size: int
    progress: bool
    """Show tqdm progress bars (off in CI so that stderr stays clean)."""
    description: str
    seeds: tuple[int, ...] = (0,)
    """The seeds every claim's comparison is trained on, the same for every claim, fixed before
    any run (one in ``smoke``, CI's time; three where a claim's margin is small against the noise
    of one run). The explorers train one seed."""

    def scaled(self, **changes) -> Profile:
        """A copy with some fields changed, e.g. ``profile.scaled(epochs=2)``."""
        return dataclasses.replace(self, **changes)

    def __str__(self) -> str:
        size = "all" if self.train_size is None else f"{self.train_size:,}"
        return (
            f"profile {self.name!r}: {self.dataset}, {size} training images at "
            f"{self.image_size}x{self.image_size}, {self.epochs} epochs, batch {self.batch_size}"
        )


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        dataset="digits",
        train_size=500,
        val_size=200,
        test_size=None,
        image_size=16,
        epochs=4,
        batch_size=32,
        progress=False,
        description="CI on 2 CPU cores: the embedded digits, a few epochs; each notebook < 60 s",
    ),
    "cpu": Profile(
        name="cpu",
        dataset="cifar10",
        train_size=10000,
        val_size=1000,
        test_size=None,
        image_size=32,
        epochs=6,
        batch_size=128,
        progress=True,
        description="a lecture on a laptop CPU: a CIFAR-10 subset, a few minutes a notebook",
        seeds=(0, 1, 2),
    ),
    "gpu": Profile(
        name="gpu",
        dataset="cifar10",
        train_size=None,
        val_size=5000,
        test_size=None,
        image_size=32,
        epochs=15,
        batch_size=512,
        progress=True,
        description="one GPU: all of CIFAR-10, real training to the papers' accuracies",
        seeds=(0, 1, 2),
    ),
}


def profile_name() -> str:
    """The active profile's name (see the module docstring for the rule)."""
    name = os.environ.get("CNNLESSONS_PROFILE", "").strip().lower()
    if name:
        return name
    import torch  # here, not at the top: the grader's processes read profiles without torch

    if torch.cuda.is_available():
        return "gpu"
    if os.environ.get("CI"):
        return "smoke"
    return "cpu"


def get_profile(name: Profile | str | None = None) -> Profile:
    """The profile called ``name``, or the active one when ``name`` is None (a ``Profile``
    passes through unchanged)."""
    if isinstance(name, Profile):
        return name
    if name is not None and not isinstance(name, str):
        raise TypeError(f"profile must be a Profile, a profile name or None, got {type(name).__name__}")
    name = profile_name() if name is None else name.strip().lower()
    if name not in PROFILES:
        raise ValueError(
            f"profile must be one of {', '.join(PROFILES)} (set CNNLESSONS_PROFILE), got {name!r}"
        )
    return PROFILES[name]
