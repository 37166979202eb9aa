"""What the front end running the library can show: rich output (HTML, widgets, figures) or text."""

from __future__ import annotations

__all__ = ["inline"]


def inline() -> bool:
    """True inside a kernel that can show widgets and figures: an IPython shell attached to a
    kernel (comms carry the widgets) with a display publisher (carries the figures).

    Decided by what the shell can do, not by its class name: Colab's shell
    (``google.colab._shell.Shell``), VS Code's and JupyterLab's all qualify.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return (
        shell is not None
        and getattr(shell, "kernel", None) is not None
        and getattr(shell, "display_pub", None) is not None
    )
