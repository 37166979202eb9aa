"""``History``: the per-epoch figures of one training run, what the plots draw and the records keep."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

__all__ = ["History"]


@dataclasses.dataclass
class History:
    """Per-epoch training and validation figures of one run.

    Two training accuracies: ``train_acc`` is the running average over the epoch's training
    batches, augmented and with dropout on, while the weights still change (what the progress
    bar shows; it can sit below the validation accuracy). ``train_eval_acc`` is the training
    accuracy as the papers mean it: measured in eval mode, un-augmented, at the end of the epoch
    on a fixed seeded subset of the training split (``info["train_eval_size"]`` images).
    """

    label: str = ""
    epoch: list[int] = dataclasses.field(default_factory=list)
    train_loss: list[float] = dataclasses.field(default_factory=list)
    train_acc: list[float] = dataclasses.field(default_factory=list)
    """Running average over the epoch's augmented batches, dropout on."""
    val_loss: list[float] = dataclasses.field(default_factory=list)
    val_acc: list[float] = dataclasses.field(default_factory=list)
    time: list[float] = dataclasses.field(default_factory=list)
    """Seconds of training since the start, at the end of each epoch."""
    test_acc: float | None = None
    interrupted: bool = False
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    train_eval_acc: list[float] = dataclasses.field(default_factory=list)
    """Eval-mode accuracy on a fixed subset of the training split, after each epoch (empty in
    runs recorded before it was measured)."""

    @property
    def train_error(self) -> list[float]:
        """The running training error (augmented batches, dropout on): 1 - ``train_acc``."""
        return [1.0 - a for a in self.train_acc]

    @property
    def train_eval_error(self) -> list[float]:
        """The training error in eval mode on a fixed training subset: 1 - ``train_eval_acc``."""
        return [1.0 - a for a in self.train_eval_acc]

    @property
    def val_error(self) -> list[float]:
        return [1.0 - a for a in self.val_acc]

    @property
    def wall_time(self) -> float:
        return self.time[-1] if self.time else 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in fields})

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def __str__(self) -> str:
        if not self.epoch:
            return f"{self.label or 'run'}: no epoch finished"
        s = (
            f"{self.label or 'run'}: {self.epoch[-1]} epochs in {self.wall_time:.1f} s, "
            f"train acc {self.train_acc[-1]:.1%} (running)"
        )
        if self.train_eval_acc:
            s += f", train acc {self.train_eval_acc[-1]:.1%} (eval mode)"
        s += f", val acc {self.val_acc[-1]:.1%}"
        if self.test_acc is not None:
            s += f", test acc {self.test_acc:.1%}"
        return s + (" (interrupted)" if self.interrupted else "")
