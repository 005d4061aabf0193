"""Fast redrawing: one figure kept for the life of a widget, its artists updated, rendered to PNG bytes.

Why: re-creating a matplotlib figure for each slider move, laying it out and saving it with a
tight bounding box costs 4-20 times what matplotlib needs to render a minimal plot. An
explorer that keeps one :class:`~matplotlib.figure.Figure`, changes its artists in place
(``set_data``, ``set_array``, limits, texts) and renders it with a fixed layout redraws in a
fraction of that, fast enough to follow a slider while it is dragged.

- :func:`new_figure`: a figure with its own Agg canvas, outside pyplot (so the inline backend
  never shows it by itself, and nothing has to close it), or a pyplot one for static pictures;
- :func:`render_png`: draw the figure and encode it as PNG with light compression;
- :func:`image_explorer`: controls + an ``ipywidgets.Image`` showing the figure, redrawn by an
  ``update(**values)`` function on every change.

ipywidgets is imported inside :func:`image_explorer` only.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: PNG compression for live frames: zlib level 1 encodes several times faster than the
#: default level 6; the frames are about 30% larger, which the browser does not notice.
PNG_COMPRESS_LEVEL = 1


def new_figure(figsize: tuple[float, float], *, pyplot: bool = False, dpi: float = 100.0) -> Figure:
    """A figure of ``figsize`` inches.

    ``pyplot=False`` (widgets): a plain :class:`Figure` with an Agg canvas, unknown to pyplot,
    so a notebook's inline backend does not display it at the end of the cell and it needs no
    ``plt.close``. ``pyplot=True`` (the static pictures the notebooks draw with ``plt.show()``):
    made by ``plt.figure``.
    """
    if pyplot:
        return plt.figure(figsize=figsize, dpi=dpi)
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def render_png(fig: Figure) -> bytes:
    """Draw ``fig`` at its own size (no tight bounding box: the layout is fixed) and encode it as PNG."""
    from PIL import Image  # matplotlib's own dependency

    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):  # a pyplot figure under another backend
        canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    buffer = io.BytesIO()
    # RGB: the figure background is opaque, and a third less data to compress
    Image.fromarray(rgba[..., :3]).save(buffer, format="png", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def freeze_layout(fig: Figure) -> None:
    """Lay ``fig`` out once (``tight_layout``) and keep that layout for every later frame."""
    fig.tight_layout()
    fig.set_layout_engine("none")


def image_explorer(
    figure: Figure,
    update: Callable[..., object],
    controls: Mapping[str, Any],
    *,
    header: list[Any] | None = None,
) -> Any:
    """Controls above an ``ipywidgets.Image`` of ``figure``; each change calls ``update(**values)`` and re-renders.

    ``update`` changes ``figure``'s artists in place from the controls' current values. The
    returned ``VBox`` has ``.controls`` (name -> widget), ``.image`` (the ``Image``) and
    ``.redraw()``; its children are the controls, then the image. Works with ipywidgets 7.7 and 8.
    """
    import ipywidgets as widgets

    image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))

    def redraw(*_: object) -> None:
        update(**{name: control.value for name, control in controls.items()})
        image.value = render_png(figure)

    for control in controls.values():
        control.observe(redraw, names="value")
    box = widgets.VBox([*(header or []), *controls.values(), image])
    box.add_class("backprop-course-explorer")
    box.controls = dict(controls)
    box.image = image
    box.redraw = redraw
    redraw()
    return box


class Frames:
    """Blitting for a figure shown as a sequence of PNG frames: draw the still parts once.

    The ``moving`` artists (images, lines, texts that change every frame) are marked animated,
    so a full draw leaves them out; that picture is kept (``copy_from_bbox``) and every frame
    restores it and draws only the moving artists on top. Call :meth:`invalidate` after
    changing anything still (axis limits, ticks, a static title) so the next frame redraws all.

    Only for widget figures: an animated artist is left out of ``savefig`` and ``plt.show()``.
    """

    def __init__(self, fig: Figure, moving: list[Any]) -> None:
        self.figure = fig
        self.moving = list(moving)
        for artist in self.moving:
            artist.set_animated(True)
        self._background: Any = None

    def invalidate(self) -> None:
        """The still part changed: the next :meth:`render` draws the whole figure."""
        self._background = None

    def render(self) -> bytes:
        """The current frame as PNG bytes."""
        from PIL import Image

        fig = self.figure
        canvas = fig.canvas
        assert isinstance(canvas, FigureCanvasAgg), "Frames needs a figure made by new_figure(pyplot=False)"
        if self._background is None:
            canvas.draw()
            self._background = canvas.copy_from_bbox(fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self.moving:
            if artist.get_visible():
                fig.draw_artist(artist)
        rgba = np.asarray(canvas.buffer_rgba())
        buffer = io.BytesIO()
        Image.fromarray(rgba[..., :3]).save(buffer, format="png", compress_level=PNG_COMPRESS_LEVEL)
        return buffer.getvalue()
