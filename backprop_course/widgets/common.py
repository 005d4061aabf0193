"""What every explorer shares: drawing a figure into a widget, argument checks, numpy activations.

:func:`figure_explorer` wires ipywidgets controls to a plain plotting function and
:func:`figure_output` turns a matplotlib figure into the PNG output it shows. The
private helpers (``_positive``, ``_count``: argument checks with a clear error;
``_NUMPY_ACTIVATIONS``: tanh/sigmoid/relu/linear on arrays) are used by several topic modules.

ipywidgets is imported inside :func:`figure_explorer` only, so importing this module
needs no Jupyter.
"""

from __future__ import annotations

import base64
import io
import math
import numbers
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def figure_output(fig: Figure) -> dict[str, object]:
    """``fig`` as one Jupyter ``display_data`` output (a PNG), and close the figure.

    Used by :func:`figure_explorer` to put a picture into an ``Output`` widget's state.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return {
        "output_type": "display_data",
        "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"), "text/plain": "<Figure>"},
        "metadata": {},
    }


def figure_explorer(plot: Callable[..., Figure], **controls: object) -> object:
    """Wire ipywidgets controls to ``plot`` (a function returning a Figure) with ``ipywidgets.interactive``.

    Each change of a control redraws ``plot(**values)`` into the ``interactive``'s own
    ``Output`` widget by setting that widget's ``outputs`` directly, instead of displaying
    the figure inside the ``Output`` context. So nothing is sent as a cell output while a
    notebook runs: the stored cell has the same outputs under nbclient (which routes captured
    output into the widget) and nbval (which does not), and nbclient does not hit its
    occasional hang on captured widget output (jupyter/nbclient#312). Works with ipywidgets
    7.7 and 8.

    Returns:
        The ``interactive`` widget: the controls, then the ``Output`` holding the picture.
    """
    import ipywidgets as widgets

    ui: list[object] = []  # the interactive, once built: its Output is where the picture goes

    def show(**values: object) -> None:
        if ui:
            ui[0].out.outputs = (figure_output(plot(**values)),)  # type: ignore[attr-defined]

    explorer = widgets.interactive(show, clear_output=False, **controls)
    ui.append(explorer)
    explorer.update()  # the first picture (the call inside interactive's constructor came too early)
    return explorer


_NUMPY_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),  # = 1 / (1 + e^-z), without overflow
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "linear": lambda z: z,
}


def _positive(x: float, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {x!r}")
    return float(x)


def _count(n: int, name: str, minimum: int = 0) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)
