"""What a lesson's first cells need: the profile, the device and its precision, seeds and quiet,
reproducible plots."""

from __future__ import annotations

import os
import warnings

import torch

from .devices import device_description, pick_device
from .i18n import _, get_language, set_language, use_hangul_font
from .precision import choose_precision
from .profiles import PROFILES, Profile, get_profile
from .training import set_seed

__all__ = ["profile_line", "setup_notebook"]


def profile_line(profile: Profile) -> str:
    """``str(profile)`` in the active language (the setup cell's first line). ``Profile.__str__``
    itself stays English: ``profiles.py`` is part of the run cache's source hash."""
    size = _("all") if profile.train_size is None else f"{profile.train_size:,}"
    return _(
        "profile {name!r}: {dataset}, {size} training images at "
        "{image_size}x{image_size}, {epochs} epochs, batch {batch_size}"
    ).format(
        name=profile.name,
        dataset=profile.dataset,
        size=size,
        image_size=profile.image_size,
        epochs=profile.epochs,
        batch_size=profile.batch_size,
    )


def setup_notebook(
    profile: str = "auto", seed: int = 0, quiet: bool = False, language: str | None = None
) -> Profile:
    """Choose the profile, seed everything, set plot defaults, and print the profile, the device
    and the precision that this run uses.

    ``profile="auto"`` keeps the rule of ``cnnlessons.profiles`` (``CNNLESSONS_PROFILE``, else
    ``gpu`` with CUDA, ``smoke`` in CI, else ``cpu``); a name (``"smoke"``, ``"cpu"``, ``"gpu"``)
    chooses that profile for the rest of the session, every later cell included.

    ``language`` (``"en"``, ``"ko"``) is the language of the library's messages, figures and
    widgets for the rest of the session (``cnnlessons.set_language``); None keeps the active one
    (``CNNLESSONS_LANG``, else English). ``grade`` gives its feedback in the language a notebook's
    setup cell names here.
    """
    import matplotlib

    if not isinstance(profile, str):
        raise TypeError(
            f"profile must be 'auto' or one of {', '.join(PROFILES)}, got {type(profile).__name__}"
        )
    if profile.strip().lower() != "auto":
        if profile.strip().lower() not in PROFILES:
            raise ValueError(f"profile must be 'auto' or one of {', '.join(PROFILES)}, got {profile!r}")
        os.environ["CNNLESSONS_PROFILE"] = profile.strip().lower()
    if language is not None:
        set_language(language)
    set_seed(seed)
    matplotlib.rcParams.update(
        {"figure.dpi": 80, "savefig.dpi": 80, "figure.max_open_warning": 0, "svg.hashsalt": "cnnlessons"}
    )
    if get_language() == "ko":
        use_hangul_font()
    # Keep stderr clean: a few libraries warn about things a learner cannot act on.
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.utils.flop_counter")
    warnings.filterwarnings("ignore", message=".*TypedStorage is deprecated.*")
    # fp16's gradient scaler skips the first steps while it finds its scale; the schedule steps on.
    warnings.filterwarnings("ignore", message=r".*lr_scheduler\.step\(\)` before `optimizer\.step")
    active = get_profile()
    if active.name == "smoke" and not os.environ.get("OMP_NUM_THREADS"):
        # CI's small runs: one thread avoids two threads fighting over shared cores (5-10x
        # slower on a busy 2-core machine); bigger profiles keep torch's default, and an
        # explicit OMP_NUM_THREADS wins over both.
        torch.set_num_threads(1)
    if not quiet:
        device = pick_device()
        print(profile_line(active))
        print(
            _("device: {device}; precision: {precision}").format(
                device=device_description(device), precision=choose_precision("auto", device)
            )
        )
    return active
