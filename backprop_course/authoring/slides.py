"""Turn the course notebooks into reveal.js slides for lecturing.

``backprop-course slides [NOTEBOOK...] -o DIR`` writes ``DIR/<name>.slides.html``
for each notebook (default: every notebook in ``notebooks/``), using nbconvert's
``SlidesExporter`` and the stored outputs (nothing is executed). How a notebook is
cut into slides is the ``slideshow`` metadata of its cells, as JupyterLab's property
inspector and RISE set it:

==============  ============================================================
``slide``       starts a new slide (a new column, left/right arrow keys)
``subslide``    starts a sub-slide below the current slide (up/down keys)
``fragment``    appears on the next key press, inside the current (sub-)slide
``-``           continues the current (sub-)slide (also: no metadata)
``skip``        left out of the slides (set-up cells, version checks)
``notes``       speaker notes (press ``s`` in the browser to see them)
==============  ============================================================

The first visible cell always starts a slide. By default reveal.js, MathJax, require.js and
jQuery are loaded from CDNs when the HTML is opened; with ``--offline`` they are copied from
installed packages into ``_static/`` next to the slides (see :mod:`.offline`), so a lecture
room needs no internet. Building the slides never needs the network.

nbconvert is imported only when slides are built: it comes with the ``jupyter`` and
``test`` extras, and importing :mod:`backprop_course` never needs it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import nbformat

from . import offline as offline_assets

__all__ = [
    "DEFAULT_REVEAL_PREFIX",
    "MissingNbconvertError",
    "add_subcommand",
    "check_notebook_paths",
    "lecture_notebooks",
    "load_nbconvert",
    "notebook_slides",
    "notebook_title",
    "write_slides",
]

#: where reveal.js comes from when the HTML is opened (nbconvert's own default)
DEFAULT_REVEAL_PREFIX = "https://unpkg.com/reveal.js@4.0.2"
#: the folder of lecture notebooks, relative to the course root
NOTEBOOKS = "notebooks"
#: the suffix nbconvert gives slide files
SLIDES_SUFFIX = ".slides.html"

#: an ATX Markdown heading; group 1 is its text without the closing #s
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_INSTALL_HINT = 'python -m pip install -e ".[jupyter]"  (or: python -m pip install nbconvert)'


class MissingNbconvertError(ImportError):
    """nbconvert is not installed; the message says how to install it."""


def load_nbconvert() -> Any:
    """Import and return the ``nbconvert`` module, or raise :class:`MissingNbconvertError`.

    Kept out of module import time so that ``import backprop_course`` works in a plain
    Python (or Colab) without the Jupyter tool chain.
    """
    try:
        import nbconvert
    except ImportError as err:
        raise MissingNbconvertError(
            f"building slides and the course site needs nbconvert, which is not installed. Install it with: "
            f"{_INSTALL_HINT}"
        ) from err
    return nbconvert


def lecture_notebooks(root: Path) -> list[Path]:
    """The lecture notebooks under ``root/notebooks``, in curriculum order (their names start 00, 01, ...)."""
    return sorted((Path(root) / NOTEBOOKS).glob("*.ipynb"))


def notebook_title(nb: nbformat.NotebookNode, default: str = "") -> str:
    """The text of the first Markdown heading (``# ...`` to ``###### ...``) in the notebook, else ``default``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                match = _HEADING.match(line)
                if match:
                    return match.group(1)
    return default


def check_notebook_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Check that every path is an existing ``.ipynb`` file, before any work starts.

    Raises:
        FileNotFoundError: a path does not exist (the message names it).
        ValueError: a path is a folder or not a ``.ipynb`` file.
    """
    checked = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(
                f"no such notebook: {path} (from {Path.cwd()}); give the path of an .ipynb file, "
                f"e.g. notebooks/01_derivatives_chain_rule.ipynb"
            )
        if path.is_dir():
            raise ValueError(f"{path} is a folder; give the notebooks in it, e.g. {path}/*.ipynb")
        if path.suffix != ".ipynb":
            raise ValueError(f"{path} is not a notebook: expected a file ending in .ipynb")
        checked.append(path)
    return checked


def notebook_slides(
    path: Path | str,
    reveal_prefix: str = DEFAULT_REVEAL_PREFIX,
    theme: str = "simple",
    urls: offline_assets.OfflineUrls | None = None,
) -> str:
    """The reveal.js HTML slide show of one notebook, from its stored outputs.

    Args:
        path: the ``.ipynb`` file.
        reveal_prefix: URL (or relative path) of a reveal.js 4 copy, loaded by the browser.
        theme: a reveal.js theme name (``simple``, ``white``, ``black``, ``serif``, ...).
        urls: local copies of reveal.js, MathJax, require.js and jQuery to load instead of the
            CDNs (:func:`.offline.urls_for`); overrides ``reveal_prefix``.

    Raises:
        FileNotFoundError, ValueError: see :func:`check_notebook_paths`; also ``ValueError``
            when every cell is ``skip`` or ``notes`` (nothing to show).
        MissingNbconvertError: nbconvert is not installed.
    """
    (path,) = check_notebook_paths([path])
    nbconvert = load_nbconvert()
    nb = nbformat.read(path, as_version=4)
    if urls is not None:  # offline: no widget manager to draw widgets with; show their last picture
        nb = offline_assets.freeze_widgets(nb)
    nb.metadata.setdefault("title", notebook_title(nb, default=path.stem))  # the browser tab's title
    local = urls.exporter_options() if urls else {}
    exporter = nbconvert.SlidesExporter(
        reveal_url_prefix=urls.reveal_prefix if urls else reveal_prefix,
        **local,
        reveal_theme=theme,
        reveal_scroll=True,  # a tall plot scrolls inside its slide instead of being cut off
        embed_images=True,  # markdown images travel with the HTML file
    )
    resources = {"metadata": {"name": path.stem, "path": str(path.parent)}}
    try:
        body, _ = exporter.from_notebook_node(nb, resources=resources)
    except ValueError as err:
        raise ValueError(f"{path}: cannot make slides: {err} (mark at least one cell as a slide)") from err
    return str(body)


def write_slides(
    paths: Sequence[Path | str],
    out_dir: Path | str,
    reveal_prefix: str = DEFAULT_REVEAL_PREFIX,
    theme: str = "simple",
    offline: bool = False,
) -> list[Path]:
    """Write ``out_dir/<name>.slides.html`` for each notebook; return the files written.

    With ``offline``, reveal.js, MathJax, require.js and jQuery are copied into
    ``out_dir/_static`` and the slides load them from there (``reveal_prefix`` is ignored).
    Every path (and, offline, every library) is checked before the first file is written,
    so a typo does not leave half a set of slides behind.

    Raises:
        MissingOfflineAssetsError: ``offline`` and a package that ships a library is missing.
    """
    notebooks = check_notebook_paths(paths)
    load_nbconvert()
    assets = offline_assets.find_assets() if offline else None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    urls = None
    if assets is not None:
        offline_assets.install_assets(out, assets)
        urls = offline_assets.urls_for("deck.slides.html")  # decks sit at the top of out_dir
    written = []
    for path in notebooks:
        target = out / (path.stem + SLIDES_SUFFIX)
        deck = notebook_slides(path, reveal_prefix=reveal_prefix, theme=theme, urls=urls)
        target.write_text(deck, encoding="utf-8")
        written.append(target)
    return written


def _run(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.notebooks] or lecture_notebooks(Path(args.root))
    if not paths:
        print(f"no notebooks found in {Path(args.root) / NOTEBOOKS}; name them or pass --root", file=sys.stderr)
        return 1
    try:
        written = write_slides(
            paths, args.output, reveal_prefix=args.reveal_prefix, theme=args.theme, offline=args.offline
        )
    except (OSError, ValueError, MissingNbconvertError, offline_assets.MissingOfflineAssetsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for target in written:
        print(target)
    print(f"{len(written)} slide show(s) in {args.output}; open one in a browser (arrow keys move, s = notes)")
    return 0


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "slides",
        help="write reveal.js HTML slides from notebooks",
        description=(
            "Write reveal.js HTML slides (NAME.slides.html) from notebooks and their stored outputs, "
            "cut by each cell's slideshow metadata (slide, subslide, fragment, skip, notes)."
        ),
    )
    p.add_argument("notebooks", nargs="*", help="notebooks to convert (default: every notebook in notebooks/)")
    p.add_argument("-o", "--output", default="_build/slides", help="folder to write to (default: _build/slides)")
    p.add_argument("--root", default=".", help="the course checkout, for the default notebooks (default: .)")
    p.add_argument(
        "--reveal-prefix",
        default=DEFAULT_REVEAL_PREFIX,
        help=f"URL or relative path of reveal.js 4 (default: the CDN, {DEFAULT_REVEAL_PREFIX})",
    )
    p.add_argument("--theme", default="simple", help="reveal.js theme (default: simple)")
    p.add_argument(
        "--offline",
        action="store_true",
        help="copy reveal.js, MathJax, require.js and jQuery next to the slides (from the offline extra), "
        "so they work without internet",
    )
    p.set_defaults(func=_run)
