"""matplotlib's backend in a session: figures drawn with Agg and shown as ``image/png`` display bundles.

``plt.show()`` shows every open figure and closes it; a figure still open when a cell ends is shown and
closed then (display.flush_figures), as Jupyter's inline backend does. matplotlib loads this module by name
(``module://_pyrepl3_runner.inline_backend``, set by display.py when the user imports matplotlib), so it is
imported only in an interpreter that has matplotlib.
"""
from __future__ import annotations

from typing import Any, Optional

import matplotlib
from matplotlib._pylab_helpers import Gcf
from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import display

FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase


def new_figure_manager(num: Any, *args: Any, FigureClass: Any = Figure, **kwargs: Any) -> FigureManagerBase:
    """A manager for a new figure (matplotlib < 3.6 asks the backend module for this)."""
    return new_figure_manager_given_figure(num, FigureClass(*args, **kwargs))


def new_figure_manager_given_figure(num: Any, figure: Any) -> FigureManagerBase:
    """A manager for ``figure``, drawn on an Agg canvas."""
    return FigureManagerBase(FigureCanvasAgg(figure), num)


def show(close: Optional[bool] = None, block: Optional[bool] = None) -> None:
    """Display every open figure, then close them (``close=False`` keeps them open)."""
    try:
        for manager in Gcf.get_all_fig_managers():
            display.display(manager.canvas.figure)
    finally:
        if close is not False:
            _close_all()


def flush_figures() -> None:
    """Show and close the figures left open at the end of a cell (only while this is the backend)."""
    if matplotlib.get_backend() != display.BACKEND or not Gcf.get_all_fig_managers():
        return
    show()


def _close_all() -> None:
    import matplotlib.pyplot as plt

    plt.close("all")
