"""Fast redrawing: one figure kept for the life of a widget, its artists updated, rendered to PNG bytes.

Why: re-creating a matplotlib figure for each slider move, laying it out and saving it with a
tight bounding box costs 4-20 times what matplotlib needs to render a minimal plot. An
explorer that keeps one :class:`~matplotlib.figure.Figure`, changes its artists in place
(``set_data``, ``set_array``, limits, texts) and renders it with a fixed layout redraws in a
fraction of that, fast enough to follow a slider while it is dragged.

- :func:`new_figure`: a figure with its own Agg canvas, outside pyplot (so the inline backend
  never shows it by itself, and nothing has to close it), or a pyplot one for static pictures;
- :func:`render_png`: draw the figure and encode it as PNG with light compression;
- :class:`FigureView`: a picture made once and redrawn in place; the plain plotting functions and
  the explorers both draw through one, so the live picture is the static one;
- :class:`Frames`: blitting, for views whose axes keep their limits while a control moves;
- :func:`image_explorer`, :func:`view_explorer`: controls + an ``ipywidgets.Image`` showing the
  figure, redrawn on every change.

ipywidgets is imported inside :func:`image_explorer` only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

#: PNG compression for live frames: zlib level 1 encodes several times faster than the
#: default level 6; the frames are about 30% larger, which the browser does not notice.
PNG_COMPRESS_LEVEL = 1


def encode_png(rgb: np.ndarray) -> bytes:
    """An ``(H, W, 3)`` uint8 image as PNG bytes, fast: no per-row filter search, zlib level 1.

    Pillow tries a filter for every row, which costs more than the compression itself; plots
    are mostly flat colour, which compresses well unfiltered. Format: PNG signature, IHDR
    (8-bit RGB), one IDAT (each row prefixed by filter type 0), IEND.
    """
    import struct
    import zlib

    height, width, channels = rgb.shape
    if channels != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"encode_png takes an (H, W, 3) uint8 RGB array, got shape {rgb.shape} of {rgb.dtype}")
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 0  # filter type None
    rows[:, 1:].reshape(height, width, 3)[...] = rgb  # one copy, straight from a strided view (e.g. RGBA[..., :3])

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.data, PNG_COMPRESS_LEVEL))
        + chunk(b"IEND", b"")
    )


#: dots per inch of a widget's frames: 80 instead of matplotlib's 100 draws a third fewer pixels
#: (an 11-inch-wide explorer is 880 pixels wide, about a notebook's width); static pictures keep 100.
LIVE_DPI = 80.0


def new_figure(figsize: tuple[float, float], *, pyplot: bool = False, dpi: float = 100.0) -> Figure:
    """A figure of ``figsize`` inches.

    ``pyplot=False`` (widgets): a plain :class:`Figure` with an Agg canvas at :data:`LIVE_DPI`, unknown to pyplot,
    so a notebook's inline backend does not display it at the end of the cell and it needs no
    ``plt.close``. ``pyplot=True`` (the static pictures the notebooks draw with ``plt.show()``):
    made by ``plt.figure``.
    """
    if pyplot:
        return plt.figure(figsize=figsize, dpi=dpi)
    fig = Figure(figsize=figsize, dpi=dpi if dpi != 100.0 else LIVE_DPI)
    FigureCanvasAgg(fig)
    return fig


def render_png(fig: Figure) -> bytes:
    """Draw ``fig`` at its own size (no tight bounding box: the layout is fixed) and encode it as PNG."""
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):  # a pyplot figure under another backend
        canvas = FigureCanvasAgg(fig)
    canvas.draw()
    # RGB: the figure background is opaque, and a quarter less data to compress
    return encode_png(np.asarray(canvas.buffer_rgba())[..., :3])


def picture_widget() -> Any:
    """An ``ipywidgets.Image`` for PNG frames, as wide as the notebook at most.

    Its ``repr`` leaves the PNG bytes out: the widget's text form is stored in the notebook,
    and bytes that depend on font rendering would make nbval compare pixels.
    """
    import ipywidgets as widgets

    class Picture(widgets.Image):
        def __repr__(self) -> str:
            return "Image(format='png')"

    return Picture(format="png", layout=widgets.Layout(max_width="100%", height="auto"))


def image_explorer(
    figure: Figure,
    update: Callable[..., object],
    controls: Mapping[str, Any],
    *,
    header: list[Any] | None = None,
    render: Callable[[], bytes] | None = None,
) -> Any:
    """Controls above an ``ipywidgets.Image`` of ``figure``; each change calls ``update(**values)`` and re-renders.

    ``update`` changes ``figure``'s artists in place from the controls' current values. The
    returned ``VBox`` has ``.controls`` (name -> widget), ``.image`` (the ``Image``) and
    ``.redraw()``; its children are the controls, then the image. Works with ipywidgets 7.7 and 8.
    """
    import ipywidgets as widgets

    image = picture_widget()

    def redraw(*_: object) -> None:
        update(**{name: control.value for name, control in controls.items()})
        image.value = render() if render is not None else render_png(figure)

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

    def __init__(self, fig: Figure, moving: list[Any], on_whole_draw: Callable[[], object] | None = None) -> None:
        self.figure = fig
        self.on_whole_draw = on_whole_draw
        self.moving = list(moving)
        for artist in self.moving:
            artist.set_animated(True)
        self._background: Any = None

    def invalidate(self) -> None:
        """The still part changed: the next :meth:`render` draws the whole figure."""
        self._background = None

    def render(self) -> bytes:
        """The current frame as PNG bytes."""
        fig = self.figure
        canvas = fig.canvas
        assert isinstance(canvas, FigureCanvasAgg), "Frames needs a figure made by new_figure(pyplot=False)"
        if self._background is None:
            canvas.draw()
            self._background = canvas.copy_from_bbox(fig.bbox)
            if self.on_whole_draw is not None:
                self.on_whole_draw()
        else:
            canvas.restore_region(self._background)
        for artist in self.moving:
            if artist.get_visible():
                fig.draw_artist(artist)
        # an image fills its axes and covers the frame a whole draw puts on top of it: redraw the frame
        for ax in {
            id(a.axes): a.axes for a in self.moving if isinstance(a, AxesImage) and a.axes and a.axes.axison
        }.values():
            for spine in ax.spines.values():
                if spine.get_visible():
                    fig.draw_artist(spine)
        return encode_png(np.asarray(canvas.buffer_rgba())[..., :3])


class FigureView:
    """A picture an explorer redraws in place: subclasses make the axes and artists once in
    :meth:`build` and change them in :meth:`draw` from the controls' values.

    The plain plotting functions the notebooks call (``plot_nudge`` ...) are
    ``SomeView(pyplot=True).update(...)``; the explorers keep one view (``pyplot=False``) and
    call :meth:`update` on every change, so the live picture and the static one are drawn by
    the same code. The layout is computed once (``tight_layout`` on the first update) and then
    kept, so a frame never pays for a re-layout.
    """

    figsize: tuple[float, float] = (6.4, 4.8)

    def __init__(self, *, pyplot: bool = False) -> None:
        self.figure = new_figure(self.figsize, pyplot=pyplot)
        self._laid_out = False
        self.build()

    def build(self) -> None:
        """Create the axes and the artists that :meth:`draw` changes."""
        raise NotImplementedError

    def draw(self, *args: Any, **values: Any) -> None:
        """Change the artists to show ``values``."""
        raise NotImplementedError

    def update(self, **values: Any) -> Figure:
        """Draw ``values`` and return the figure (laid out on the first call only)."""
        self.draw(**values)
        self.lay_out()
        return self.figure

    def lay_out(self) -> None:
        """``tight_layout`` once, before the first frame; later frames keep that layout."""
        if not self._laid_out:
            self.figure.tight_layout()
            self._laid_out = True

    def moving_artists(self) -> list[Any]:
        """The artists that change from frame to frame when only the still part's limits stay put.

        A view that returns some is rendered by blitting (:class:`Frames`) in an explorer; it must
        call :meth:`invalidate` when it changes anything else. The default, ``[]``: every frame
        is drawn whole.
        """
        return []

    def invalidate(self) -> None:
        """Something still changed (limits, ticks): the next frame is drawn whole."""
        if self.frames is not None:
            self.frames.invalidate()

    frames: Frames | None = None
    live = False

    def render(self) -> bytes:
        """The current picture as PNG bytes (blitted in an explorer, when the view names its moving artists)."""
        if self.live and self.frames is None:
            moving = self.moving_artists()
            if moving:
                self.frames = Frames(self.figure, moving, on_whole_draw=self.keep_label_positions)
        if self.frames is not None:
            return self.frames.render()
        png = render_png(self.figure)
        if self.live:
            self.keep_label_positions()
        return png

    def keep_label_positions(self) -> None:
        """After a whole draw: keep the titles and the labels that cannot move where that draw put them.

        At every draw matplotlib places each axes' title above the x axis' top tick labels (if any)
        and each axis label beside its tick labels, measuring every tick label of the axis (and of
        its siblings) again: a third of the time of a whole draw. Here only these stay put:
        titles the draw left at the top of their axes (nothing above them to avoid), empty axis
        labels, and the labels of bottom x axes, whose tick labels are one line of text, as high
        whatever the numbers. A y label with text is still placed at every draw (its tick labels'
        width changes with the limits). Explorers only (``blit``): the static pictures are drawn once.
        """
        for ax in self.figure.axes:
            # matplotlib's own switches (private): _autotitlepos, _autolabelpos; set_title(y=...) and
            # set_label_coords turn them off too, but would also move the text
            titles = (ax.title, ax._left_title, ax._right_title)  # type: ignore[attr-defined]
            top = (
                ax.xaxis.get_ticks_position() not in ("bottom", "default") or ax.xaxis.get_label_position() != "bottom"
            )
            if not top and all(title.get_position()[1] == 1.0 for title in titles):
                ax._autotitlepos = False  # type: ignore[attr-defined]
            for axis in (ax.xaxis, ax.yaxis):
                bottom = axis is ax.xaxis and axis.get_label_position() == "bottom"
                if not axis.label.get_text() or bottom:
                    axis._autolabelpos = False  # type: ignore[union-attr]

    def rebuilt(self) -> None:
        """The view made new artists (e.g. new panels): the next frame is drawn whole, then blitted."""
        self.frames = None

    def blit(self) -> None:
        """Render frames by blitting from now on (explorers only: animated artists are left out of ``savefig``)."""
        self.live = True


def view_explorer(view: FigureView, controls: Mapping[str, Any], update: Callable[..., object] | None = None) -> Any:
    """:func:`image_explorer` for a :class:`FigureView`: each change calls ``view.update(**values)``
    (or ``update(**values)``) and renders the view, by blitting where it can."""
    view.blit()
    box = image_explorer(view.figure, update or view.update, controls, render=view.render)
    box.view = view
    return box
