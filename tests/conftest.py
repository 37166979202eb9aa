import atexit
import os
import shutil
import tempfile

import pytest
import torch

import cnnlessons.lessons  # noqa: F401  registers every lesson's recipes, claims and checkers
import cnnlessons.runs.converged  # noqa: F401  and the shipped checkpoints' recipes

# The unit tests run in the smoke profile unless a test sets another one.
os.environ.setdefault("CNNLESSONS_PROFILE", "smoke")
os.environ.setdefault("TQDM_DISABLE", "1")
# Training runs are cached on disk (cnnlessons.runs.runcache): in a folder of this session's own, never
# the learner's cache (and inherited by the kernels nbval starts).
if "CNNLESSONS_RUN_CACHE" not in os.environ:  # pytest-xdist workers inherit the controller's
    os.environ["CNNLESSONS_RUN_CACHE"] = tempfile.mkdtemp(prefix="cnnlessons-runs-")
    atexit.register(shutil.rmtree, os.environ["CNNLESSONS_RUN_CACHE"], ignore_errors=True)
# One thread per pytest-xdist worker: `make test` runs as many workers as there are cores.
# OMP_NUM_THREADS, when set, decides instead, here and in every kernel the tests start: the suite
# must pass at 1 and at 2 threads (`OMP_NUM_THREADS=2 make test`).
if os.environ.get("OMP_NUM_THREADS"):
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
else:
    torch.set_num_threads(1 if os.environ.get("PYTEST_XDIST_WORKER") else min(2, torch.get_num_threads()))


@pytest.fixture(scope="session")
def digits():
    from cnnlessons.data import load_dataset

    return load_dataset("digits", train_size=300, val_size=100, image_size=16)
