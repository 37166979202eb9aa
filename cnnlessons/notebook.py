"""What a lesson's first cells need: the profile, the device, seeds and quiet, reproducible plots."""
from __future__ import annotations

import os
import warnings

import torch

from .profiles import Profile, get_profile
from .training import pick_device, set_seed

__all__ = ["setup_notebook"]


def setup_notebook(seed: int = 0, quiet: bool = False) -> Profile:
    """Seed everything, set plot defaults, and print the profile and device that this run uses."""
    import matplotlib

    set_seed(seed)
    matplotlib.rcParams.update({"figure.dpi": 80, "savefig.dpi": 80, "figure.max_open_warning": 0,
                                "svg.hashsalt": "cnnlessons"})
    # Keep stderr clean: a few libraries warn about things a learner cannot act on.
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.utils.flop_counter")
    warnings.filterwarnings("ignore", message=".*TypedStorage is deprecated.*")
    profile = get_profile()
    if profile.name == "smoke":
        # CI's small runs: one thread avoids two threads fighting over shared cores (5-10x
        # slower on a busy 2-core machine); bigger profiles keep torch's default.
        torch.set_num_threads(1)
    if not quiet:
        device = pick_device()
        name = torch.cuda.get_device_name(device) if device.type == "cuda" else \
            f"CPU ({os.cpu_count()} cores, {torch.get_num_threads()} threads)"
        print(str(profile))
        print(f"device: {name}")
    return profile
