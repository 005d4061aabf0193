"""Local copies of the JavaScript the HTML pages load, so slides and the site work without internet.

nbconvert's pages load four libraries when they are opened in a browser, by default from CDNs:
MathJax 2 (typesets the ``$...$`` maths), require.js and jQuery (the reveal.js template uses
them) and, for slides, reveal.js 4+. In a lecture room without internet the maths then stays raw
``$\\eta < 2/L$`` and the slides do not start. With ``--offline``, ``backprop-course slides`` and
``site`` copy these libraries from installed Python packages (the ``offline`` extra) into
``_static/`` next to the pages and point the pages at them:

==================  =====================================================  ==========================
library             taken from (package: folder)                           copied to
==================  =====================================================  ==========================
MathJax 2           ``jupyter_server_mathjax: static`` or                  ``_static/mathjax/``
                    ``nbclassic: static/components/MathJax``
require.js          ``nbclassic: static/components/requirejs/require.js``  ``_static/require.js``
jQuery              ``nbclassic: static/components/jquery/jquery.min.js``  ``_static/jquery.min.js``
reveal.js           ``sphinx_revealjs: _static/revealjs``                  ``_static/reveal.js/``
==================  =====================================================  ==========================

Nothing is downloaded: a missing package is a clear error naming the extra to install.
The reveal.js themes' web fonts (Google Fonts) are left out: the browser's own fonts stand in.

Widgets: online, a page draws each widget from its saved state with a widget manager that
comes from a CDN. Offline there is none, so :func:`freeze_widgets` replaces each widget by
what its output area last showed (the explorers' plot, as a picture) and a one-line note that
it is interactive in Jupyter. What still needs the network: only Mermaid diagrams (the course
has none).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import posixpath
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

__all__ = ["ASSETS", "freeze_widgets", "MissingOfflineAssetsError", "OfflineAssets", "find_assets", "install_assets"]

#: the folder, next to the pages, that the libraries are copied into
ASSETS = "_static"
#: MathJax 2's combined configuration that both packages ship (TeX input, HTML-CSS/MathML output),
#: then ours (:data:`_MATHJAX_LOCAL_CONFIG`)
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe,local/backprop-course"
#: Both packages ship only the STIX-Web fonts (Jupyter's choice), not MathJax's TeX fonts, which
#: MathJax would otherwise ask for (failing with "[Math Processing Error]" on some symbols, such as
#: a prime). The classic notebook configures MathJax the same way.
_MATHJAX_LOCAL_CONFIG = """MathJax.Hub.Config({
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null},
  SVG: {font: "STIX-Web"}
});
MathJax.Ajax.loadComplete("[MathJax]/config/local/backprop-course.js");
"""
_INSTALL_HINT = 'python -m pip install -e ".[offline]"  (nbclassic and sphinx-revealjs)'

#: (package, folder inside it) holding MathJax.js, in the order they are tried
_MATHJAX_SOURCES = (("jupyter_server_mathjax", "static"), ("nbclassic", "static/components/MathJax"))
_REQUIRE_JS = ("nbclassic", "static/components/requirejs/require.js")
_JQUERY = ("nbclassic", "static/components/jquery/jquery.min.js")
_REVEAL = ("sphinx_revealjs", "_static/revealjs")


class MissingOfflineAssetsError(ImportError):
    """A package that ships one of the libraries is not installed; the message says which and how."""


@dataclass(frozen=True)
class OfflineAssets:
    """Where the installed packages keep the libraries (absolute paths on this machine)."""

    mathjax: Path  #: the folder holding ``MathJax.js``
    require_js: Path
    jquery: Path
    reveal: Path  #: the folder holding ``dist/reveal.js`` and ``plugin/``


@dataclass(frozen=True)
class OfflineUrls:
    """The URLs a page uses for the copied libraries, relative to that page."""

    mathjax_url: str
    require_js_url: str
    jquery_url: str
    reveal_prefix: str

    def exporter_options(self) -> dict[str, str]:
        """Keyword arguments for nbconvert's ``HTMLExporter``/``SlidesExporter`` (not the reveal prefix)."""
        return {"mathjax_url": self.mathjax_url, "require_js_url": self.require_js_url, "jquery_url": self.jquery_url}


def _package_folder(package: str) -> Path | None:
    """The folder of an installed package, found without importing it (importing sphinx_revealjs imports Sphinx)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _locate(package: str, inside: str, what: str) -> Path:
    folder = _package_folder(package)
    path = folder / inside if folder else None
    if path is None or not path.exists():
        where = f"{package} is not installed" if folder is None else f"{package} has no {inside}"
        raise MissingOfflineAssetsError(f"offline pages need a local {what}, but {where}. Install: {_INSTALL_HINT}")
    return path


def find_assets() -> OfflineAssets:
    """Locate MathJax, require.js, jQuery and reveal.js in the installed packages.

    Raises:
        MissingOfflineAssetsError: a package is missing (the message names the extra to install).
    """
    mathjax = None
    for package, inside in _MATHJAX_SOURCES:
        folder = _package_folder(package)
        if folder and (folder / inside / "MathJax.js").is_file():
            mathjax = folder / inside
            break
    if mathjax is None:
        raise MissingOfflineAssetsError(
            f"offline pages need a local MathJax 2 (from jupyter-server-mathjax or nbclassic); install: {_INSTALL_HINT}"
        )
    reveal = _locate(*_REVEAL, "reveal.js")
    if not (reveal / "dist" / "reveal.js").is_file():
        raise MissingOfflineAssetsError(f"{reveal} holds no dist/reveal.js; install: {_INSTALL_HINT}")
    return OfflineAssets(
        mathjax=mathjax,
        require_js=_locate(*_REQUIRE_JS, "require.js"),
        jquery=_locate(*_JQUERY, "jQuery"),
        reveal=reveal,
    )


def _copy_tree(source: Path, target: Path) -> None:
    """Copy a folder, skipping files already there with the same size (a re-run copies nothing)."""
    for path in source.rglob("*"):
        if path.is_dir() or path.suffix in {".py", ".pyc"} or "__pycache__" in path.parts:
            continue
        copy = target / path.relative_to(source)
        if copy.exists() and copy.stat().st_size == path.stat().st_size:
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)


#: a CSS import of a web font from the internet (reveal.js themes load theirs from Google Fonts)
_REMOTE_IMPORT = re.compile(r"@import url\((['\"]?)https?://[^)]*\1\);?")


def _without_remote_fonts(theme_folder: Path) -> None:
    """Drop the themes' ``@import`` of web fonts: offline, the browser's own fonts are used instead."""
    for css in theme_folder.glob("*.css"):
        text = css.read_text(encoding="utf-8")
        local = _REMOTE_IMPORT.sub("", text)
        if local != text:
            css.write_text(local, encoding="utf-8")


def install_assets(out_dir: Path | str, assets: OfflineAssets | None = None, reveal: bool = True) -> Path:
    """Copy the libraries into ``out_dir/_static`` (reveal.js only with ``reveal``); return that folder."""
    assets = assets or find_assets()
    static = Path(out_dir) / ASSETS
    static.mkdir(parents=True, exist_ok=True)
    _copy_tree(assets.mathjax, static / "mathjax")
    local_config = static / "mathjax" / "config" / "local" / "backprop-course.js"
    local_config.parent.mkdir(parents=True, exist_ok=True)
    local_config.write_text(_MATHJAX_LOCAL_CONFIG, encoding="utf-8")
    shutil.copyfile(assets.require_js, static / "require.js")
    shutil.copyfile(assets.jquery, static / "jquery.min.js")
    if reveal:
        for part in ("dist", "plugin"):
            _copy_tree(assets.reveal / part, static / "reveal.js" / part)
        _without_remote_fonts(static / "reveal.js" / "dist" / "theme")
    return static


def urls_for(page: str) -> OfflineUrls:
    """The URLs of the copied libraries as seen from ``page`` (a ``/``-separated path from the output folder)."""
    up = posixpath.relpath(ASSETS, posixpath.dirname(page) or ".")
    return OfflineUrls(
        mathjax_url=f"{up}/mathjax/MathJax.js?config={MATHJAX_CONFIG}",
        require_js_url=f"{up}/require.js",
        jquery_url=f"{up}/jquery.min.js",
        reveal_prefix=f"{up}/reveal.js",
    )


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: shown under a widget's still picture in an offline page
WIDGET_NOTE = "A still of an interactive widget: open the notebook in Jupyter to move its controls."
_REFERENCE = re.compile(r"IPY_MODEL_([0-9A-Za-z_-]+)")


def _stills(model_id: str, state: dict[str, Any]) -> list[dict[str, Any]]:
    """The outputs of every Output widget inside widget ``model_id``, in the order they are laid out."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    stack = [model_id]
    while stack:
        current = stack.pop()
        if current in seen or current not in state:
            continue
        seen.add(current)
        model = state[current]
        if model.get("model_name") == "OutputModel":
            found += model.get("state", {}).get("outputs", [])
        children = _REFERENCE.findall(json.dumps(model.get("state", {}), sort_keys=False))
        stack.extend(reversed(children))
    return found


def freeze_widgets(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose widgets are replaced by their last output and a note (for offline pages).

    Each widget view output becomes the outputs its Output widgets hold in the saved widget
    state (an explorer's plot), followed by :data:`WIDGET_NOTE`; the saved widget state is
    dropped, so the page does not try to load a widget manager from the internet.
    """
    frozen = copy.deepcopy(nb)
    state = frozen.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in frozen.cells:
        if cell.cell_type != "code" or not any(WIDGET_VIEW in o.get("data", {}) for o in cell.get("outputs", [])):
            continue
        outputs = []
        for output in cell.outputs:
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                outputs.append(output)
                continue
            outputs += [nbformat.from_dict(o) for o in _stills(view.get("model_id", ""), state)]
            note = f'<p style="font-size: 0.8em; color: #666"><em>{WIDGET_NOTE}</em></p>'
            outputs.append(nbformat.v4.new_output("display_data", data={"text/html": note, "text/plain": WIDGET_NOTE}))
        cell.outputs = outputs
    return frozen
