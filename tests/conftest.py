import os

import pytest
import torch

# The unit tests run in the smoke profile unless a test sets another one.
os.environ.setdefault("CNNLESSONS_PROFILE", "smoke")
os.environ.setdefault("TQDM_DISABLE", "1")
# One thread per pytest-xdist worker: `make test` runs as many workers as there are cores.
torch.set_num_threads(1 if os.environ.get("PYTEST_XDIST_WORKER") else min(2, torch.get_num_threads()))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Keep on one pytest-xdist worker what must run in order in one process: the cells of a
    notebook under nbval (one kernel per notebook) and a browser module (one JupyterLab server)."""
    for item in items:
        path = item.path.as_posix()
        if path.endswith(".ipynb") or "/tests/browser/" in path:
            item.add_marker(pytest.mark.xdist_group(item.path.name))


@pytest.fixture(scope="session")
def digits():
    from cnnlessons.data import load_dataset
    return load_dataset("digits", train_size=300, val_size=100, image_size=16)
