"""nbgrader's grading kernel for the course: the grading profile, and a time limit for the notebook.

The ``nbgrader_config.py`` that ``release --nbgrader`` writes imports this module and only sets
values; the export itself (``nbgrader.py``) does not need nbgrader, this module does.

- ``CourseExecute``: nbgrader's ``Execute`` whose kernel gets ``CNNLESSONS_PROFILE`` (a JupyterHub
  sets no ``CI``, so the course's own rule would pick ``cpu`` and download CIFAR-10), and which
  stops at ``notebook_timeout`` seconds (nbgrader limits only cells): every later code cell gets a
  ``NotebookTimeoutError`` instead of running, so its checks score 0;
- ``autograde_preprocessors()`` and ``generate_assignment_preprocessors()``: nbgrader's defaults
  with ``CourseExecute`` in place of ``Execute``, and without ``ClearOutput`` (the learners'
  release keeps the lessons' stored outputs, as ``cnnlessons release`` does).
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.converters import Autograde, GenerateAssignment
from nbgrader.preprocessors import ClearOutput, Execute
from traitlets import Integer, Unicode

from .nbgrader import NOTEBOOK_TIMEOUT, PROFILE

__all__ = ["CourseExecute", "autograde_preprocessors", "generate_assignment_preprocessors"]


class CourseExecute(Execute):
    """nbgrader's Execute in the course's grading profile, with a time limit for the whole notebook."""

    profile = Unicode(PROFILE, help="CNNLESSONS_PROFILE of the grading kernel").tag(config=True)
    notebook_timeout = Integer(NOTEBOOK_TIMEOUT, help="seconds for the whole notebook").tag(config=True)

    def start_new_kernel(self, **kwargs: Any) -> None:
        env = dict(kwargs.pop("env", None) or os.environ)
        env["CNNLESSONS_PROFILE"] = self.profile
        return super().start_new_kernel(env=env, **kwargs)

    def preprocess(
        self, nb: NotebookNode, resources: Any = None, km: Any = None
    ) -> tuple[NotebookNode, dict[str, Any]]:
        self._deadline = time.monotonic() + self.notebook_timeout
        self.timeout_func = self._cell_timeout
        return super().preprocess(nb, resources, km)

    def _cell_timeout(self, cell: NotebookNode) -> int:
        """The cell's limit: ``timeout``, or what is left of the notebook's if that is less."""
        left = max(1, math.ceil(self._deadline - time.monotonic()))
        return min(self.timeout, left) if self.timeout and self.timeout > 0 else left

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> tuple[NotebookNode, Any]:
        if cell.cell_type == "code" and time.monotonic() >= self._deadline:
            message = f"not run: the notebook's time limit ({self.notebook_timeout} s) was used up"
            cell.outputs = [
                new_output(
                    "error",
                    ename="NotebookTimeoutError",
                    evalue=message,
                    traceback=[f"NotebookTimeoutError: {message}"],
                )
            ]
            cell.execution_count = None
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


def autograde_preprocessors() -> list[type]:
    """``nbgrader autograde``'s preprocessors, with ``CourseExecute`` in place of ``Execute``."""
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    return [CourseExecute if p is Execute else p for p in default]


def generate_assignment_preprocessors() -> list[type]:
    """``nbgrader generate_assignment``'s preprocessors, without ``ClearOutput``."""
    return [p for p in GenerateAssignment.class_traits()["preprocessors"].default() if p is not ClearOutput]
