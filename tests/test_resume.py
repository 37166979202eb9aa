"""A run stopped after an epoch and resumed from its checkpoint ends where the whole run ends."""

import pytest
import torch

from cnnlessons.models import build_model
from cnnlessons.training import Training, fit


def _net():
    torch.manual_seed(0)
    return build_model("small_resnet", in_channels=1, depth=8, width=4)


def _stop_after(epoch: int):
    def on_epoch(history):
        if history.epoch[-1] == epoch:
            raise KeyboardInterrupt  # what Ctrl-C, or Jupyter's interrupt, does between batches

    return on_epoch


def test_a_resumed_run_ends_where_the_whole_run_ends(digits, tmp_path):
    whole_model = _net()
    whole = fit(whole_model, digits, Training(epochs=3, batch_size=50, seed=0), show="nothing")

    state = tmp_path / "run.partial.pt"
    first = fit(
        _net(), digits, Training(epochs=3, batch_size=50, seed=0), checkpoint=state, show=_stop_after(2)
    )
    assert first.interrupted and first.epoch == [1, 2] and state.exists()
    resumed_model = _net()  # a fresh process would build the model from the seed again
    resumed = fit(
        resumed_model, digits, Training(epochs=3, batch_size=50, seed=0), show="nothing", checkpoint=state
    )
    assert resumed.epoch == [1, 2, 3] and not resumed.interrupted
    assert resumed.time[2] > resumed.time[1]  # the clock goes on from the saved run's
    torch.testing.assert_close(resumed.val_acc, whole.val_acc)
    torch.testing.assert_close(resumed.train_loss, whole.train_loss)
    for (name, a), b in zip(
        resumed_model.state_dict().items(), whole_model.state_dict().values(), strict=False
    ):
        torch.testing.assert_close(a, b, msg=lambda m, name=name: f"{name}: {m}")


def test_a_checkpoint_of_another_run_is_refused_naming_what_differs(digits, tmp_path):
    state = tmp_path / "run.partial.pt"
    fit(_net(), digits, Training(epochs=2, batch_size=50, seed=0), checkpoint=state, show=_stop_after(1))
    with pytest.raises(ValueError, match=r"holds another run \(lr: saved 0.05, now 0.1\)"):
        fit(
            _net(),
            digits,
            Training(epochs=2, batch_size=50, lr=0.1, seed=0),
            show="nothing",
            checkpoint=state,
        )


def test_a_file_that_is_not_a_run_state_is_refused(digits, tmp_path):
    state = tmp_path / "run.partial.pt"
    state.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="cannot be read.*delete it to start the run again"):
        fit(_net(), digits, Training(epochs=1, batch_size=50), show="nothing", checkpoint=state)
