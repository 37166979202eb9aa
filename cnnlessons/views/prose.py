"""Prose that cannot go stale: a sentence that quotes a run's figure is computed from it and shown
as Markdown output, which reads as prose in JupyterLab, Colab and on GitHub (``tools/prose.py``
keeps such figures out of the markdown cells)."""

from __future__ import annotations

from ..frontend import inline

__all__ = ["say"]


def say(markdown: str) -> None:
    """Show ``markdown`` (a sentence built from the figures just computed) as the cell's prose:
    Markdown output in a notebook, the same text printed outside IPython."""
    if not isinstance(markdown, str) or not markdown.strip():
        raise ValueError(f"markdown: expected a non-empty sentence, got {markdown!r}")
    if not inline():
        print(markdown)
        return
    from IPython.display import display

    display({"text/markdown": markdown, "text/plain": markdown}, raw=True)
