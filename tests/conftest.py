import os

import pytest
import torch

# The unit tests run in the smoke profile unless a test sets another one.
os.environ.setdefault("CNNLESSONS_PROFILE", "smoke")
os.environ.setdefault("TQDM_DISABLE", "1")
torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(scope="session")
def digits():
    from cnnlessons.data import load_dataset
    return load_dataset("digits", train_size=300, val_size=100, image_size=16)
