"""The common shape of every explorer: controls, a one-line readout and a plot that redraws.

Works on ipywidgets 7.7 (Colab) and 8, with matplotlib's inline backend: each redraw renders a
fresh figure into an ``Output`` widget. Cheap figures redraw when a slider is released
(``continuous_update=False``); anything that trains runs behind a button and is cached.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from types import MappingProxyType
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt

from ..frontend import inline
from ..i18n import _

__all__ = ["Explorer"]


class Explorer:
    """Base class: subclasses build ``controls`` and implement ``draw(fig) -> str``.

    ``draw`` fills the figure for the current control values and returns the readout text.
    After each redraw ``self.text`` holds the readout and ``self.figure`` the drawn figure, so
    tests can set values, click buttons and check what a learner would see.
    """

    figsize: tuple[float, float] = (9.0, 3.6)

    def __init__(self, controls: list[widgets.Widget], title: str = "") -> None:
        self.controls = controls
        self.readout = widgets.HTML(value="")
        self.readout.add_class("cnnlessons-readout")
        self.output = widgets.Output()
        self.output.add_class("cnnlessons-plot")
        self.status = widgets.HTML(value="")
        self.status.add_class("cnnlessons-status")
        header = [widgets.HTML(value=f"<b>{title}</b>")] if title else []
        self.widget = widgets.VBox(header + [widgets.HBox(controls), self.status, self.readout, self.output])
        self.widget.add_class("cnnlessons-explorer")
        self.text = ""
        self.figure = None
        self.redraws = 0
        self._cache: dict[Hashable, Any] = {}
        for control in controls:
            if hasattr(control, "continuous_update"):
                control.continuous_update = False
            if not isinstance(control, widgets.Button):
                control.observe(self._on_change, names="value")

    # -- to be provided by subclasses -------------------------------------------------------
    def draw(self, fig) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- machinery --------------------------------------------------------------------------
    def _on_change(self, change: dict) -> None:
        self.update()

    def update(self) -> None:
        """Redraw the plot and the readout for the current control values."""
        fig = plt.figure(figsize=self.figsize)
        try:
            text = self.draw(fig)
        except Exception as err:  # show the learner what went wrong instead of a dead widget
            plt.close(fig)
            self.text = _("could not draw: {error}: {message}").format(error=type(err).__name__, message=err)
            self.readout.value = f"<span style='color:#b00'>{self.text}</span>"
            raise
        self.text = text
        self.readout.value = text
        self.figure = fig
        self.redraws += 1
        if inline():
            # Into the Output widget's own state, not a display() captured by `with output`:
            # the same on the page in JupyterLab and Colab, and a notebook executed headless
            # (nbclient, nbval) does not see the explorer's figure as an output of the cell.
            self.output.outputs = ()
            self.output.append_display_data(fig)
        plt.close(fig)  # drawn once into the Output widget, not again at the end of the cell

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key (training runs are kept for the session; an interrupted one
        is not: the next press trains it again)."""
        if key in self._cache:
            return self._cache[key]
        value = compute()
        if not getattr(value, "interrupted", False):
            self._cache[key] = value
        return value

    def remember(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` under ``key`` as if ``cached`` had computed it (e.g. runs passed in)."""
        self._cache[key] = value

    @property
    def cache(self) -> Mapping[Hashable, Any]:
        """Everything computed so far, read-only (change it through ``cached`` or ``remember``)."""
        return MappingProxyType(self._cache)

    def set_status(self, text: str) -> None:
        self.status.value = text

    def attempt(self, action: Callable[[], Any]) -> None:
        """Run a button's ``action``; a failure goes into the status line, where the learner sees
        it (an exception in a widget's callback reaches only JupyterLab's log)."""
        try:
            action()
        except KeyboardInterrupt:  # the kernel's interrupt: an unfinished run is not kept
            self.set_status(
                _("interrupted: the unfinished run is not kept; press the button to train it again")
            )
        except Exception as error:  # any failure: say it in the widget rather than nowhere
            self.set_status(
                _("could not finish: {error}: {message}").format(error=type(error).__name__, message=error)
            )

    def show(self) -> widgets.Widget:
        """Draw once and return the widget to display."""
        if self.figure is None:
            self.update()
        return self.widget

    def static(self):
        """The figure of the current setting as a plain cell output (visible on GitHub too)."""
        if self.figure is None:
            self.update()
        if inline():
            from IPython.display import display

            display(self.figure)
        return None

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.show())
