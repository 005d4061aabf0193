"""A static course site: every notebook, exercise and solution as HTML, with an index page.

``backprop-course site -o DIR`` renders, from the stored outputs (nothing is executed)::

    DIR/index.html                      the curriculum: lectures, then homework
    DIR/notebooks/<name>.html           each lecture notebook (nbconvert's HTMLExporter)
    DIR/slides/<name>.slides.html       each lecture as reveal.js slides (see :mod:`.slides`)
    DIR/exercises/<name>.html           the student version of each homework
    DIR/solutions/<name>.html           its solved version

so a course can put ``DIR`` on any static web host. Titles on the index are each
notebook's first Markdown heading. Links between notebooks (``../exercises/hw1_....ipynb``)
are rewritten to the matching page; a link to another file of the course (a module, an
image) copies that file into the site, so it still resolves; a link to a course folder
(``../exercises/``) goes to that section of the index. Links that point nowhere are
reported (and make the command fail with ``--strict``). With ``--offline`` the pages load
MathJax (and the slides reveal.js) from ``DIR/_static/`` instead of CDNs (see :mod:`.offline`).

nbconvert is imported only when the site is built (``jupyter`` or ``test`` extra).
"""

from __future__ import annotations

import argparse
import html
import os
import posixpath
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

from . import offline as offline_assets
from .slides import (
    DEFAULT_REVEAL_PREFIX,
    SLIDES_SUFFIX,
    MissingNbconvertError,
    load_nbconvert,
    notebook_slides,
    notebook_title,
)

__all__ = ["SECTIONS", "SiteReport", "SitePage", "add_subcommand", "build_site", "course_pages"]

#: the course folders rendered, in the order the index lists them: folder -> heading on the index
SECTIONS = {
    "notebooks": "Lectures",
    "exercises": "Homework for students",
    "solutions": "Homework solved",
}
#: the course folder that is also rendered as slides
SLIDES_SECTION = "notebooks"

#: homework pages link to their other version: section -> (other section, link text)
_COUNTERPARTS = {"exercises": ("solutions", "Solved version"), "solutions": ("exercises", "Student version")}
_LINK_ATTRIBUTE = re.compile(r'(?P<attr>\b(?:href|src))="(?P<url>[^"]*)"')
_BODY_OPEN = re.compile(r"<body\b[^>]*>")


@dataclass(frozen=True)
class SitePage:
    """One notebook of the course and where the site shows it."""

    source: Path  #: the notebook, e.g. ``ROOT/notebooks/01_....ipynb``
    section: str  #: its course folder: a key of :data:`SECTIONS`
    page: str  #: its HTML page, relative to the site root (``/``-separated)
    title: str  #: its first Markdown heading (the file name when it has none)
    slides: str | None = None  #: its slide show, relative to the site root, for lecture notebooks


@dataclass
class SiteReport:
    """What :func:`build_site` wrote and what it could not link."""

    root: Path  #: the site folder
    pages: list[SitePage] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)  #: course files copied in because a page links them
    #: ``(page, url, why)`` for each link that points to nothing in the course
    broken_links: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.root / "index.html"


def course_pages(root: Path) -> list[SitePage]:
    """Every notebook of the course under ``root``, in curriculum order, with its title.

    Lecture notebooks come first (``00_...`` to ``09_...``), then the exercises, then
    the solutions, each folder sorted by file name.
    """
    root = Path(root)
    pages = []
    for section in SECTIONS:
        for source in sorted((root / section).glob("*.ipynb")):
            nb = nbformat.read(source, as_version=4)
            slides = f"slides/{source.stem}{SLIDES_SUFFIX}" if section == SLIDES_SECTION else None
            pages.append(
                SitePage(
                    source=source,
                    section=section,
                    page=f"{section}/{source.stem}.html",
                    title=notebook_title(nb, default=source.stem),
                    slides=slides,
                )
            )
    return pages


def _relative(target: str, from_page: str) -> str:
    """The relative URL of site path ``target`` as seen from site path ``from_page``."""
    return posixpath.relpath(target, posixpath.dirname(from_page) or ".")


class _LinkRewriter:
    """Rewrites the relative links of one rendered page so that they resolve inside the site."""

    def __init__(self, course_root: Path, site_root: Path, by_source: dict[Path, SitePage], report: SiteReport):
        self.course_root = course_root.resolve()
        self.site_root = site_root
        self.by_source = by_source
        self.report = report

    def rewrite(self, text: str, source: Path, page: str) -> str:
        """``text`` (a page rendered from ``source``, shown at ``page``) with its links fixed."""

        def fix(match: re.Match[str]) -> str:
            url = html.unescape(match.group("url"))
            new = self._fix_url(url, source, page, match.group("attr"))
            return f'{match.group("attr")}="{html.escape(new, quote=True)}"'

        return _LINK_ATTRIBUTE.sub(fix, text)

    def _fix_url(self, url: str, source: Path, page: str, attr: str) -> str:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path or url.startswith(("/", "#")):
            return url  # external, absolute, data: or a same-page anchor
        in_site = posixpath.normpath(posixpath.join(posixpath.dirname(page), parts.path))
        if in_site.startswith(offline_assets.ASSETS + "/"):
            return url  # a library copied next to the pages by --offline, not a course file
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        target = Path(os.path.normpath(source.parent.resolve() / unquote(parts.path)))
        if target in self.by_source:
            return _relative(self.by_source[target].page, page) + fragment
        try:
            inside = target.relative_to(self.course_root).as_posix()
        except ValueError:
            self.report.broken_links.append((page, url, "points outside the course folder"))
            return url
        if target.is_dir():
            section = inside.strip("/")
            if section in SECTIONS:
                return _relative("index.html", page) + f"#{section}"
            self.report.broken_links.append((page, url, "a folder, which the site does not show"))
            return url
        if target.is_file():
            copy = self.site_root / inside
            if not copy.exists():
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(target, copy)
                self.report.copied.append(inside)
            return _relative(inside, page) + fragment
        self.report.broken_links.append((page, url, f"{attr} target {inside} does not exist"))
        return url


def _navigation(page: SitePage, pages: list[SitePage]) -> str:
    """The bar at the top of each page: the index, and the previous/next page of the same folder."""
    same = [p for p in pages if p.section == page.section]
    at = same.index(page)
    items = [f'<a href="{_relative("index.html", page.page)}">Course index</a>']
    if at > 0:
        prev = same[at - 1]
        items.append(f'<a href="{_relative(prev.page, page.page)}">&larr; {html.escape(prev.title)}</a>')
    if at + 1 < len(same):
        nxt = same[at + 1]
        items.append(f'<a href="{_relative(nxt.page, page.page)}">{html.escape(nxt.title)} &rarr;</a>')
    if page.slides:
        items.append(f'<a href="{_relative(page.slides, page.page)}">Slides</a>')
    counterpart = _COUNTERPARTS.get(page.section)
    for other in pages:
        if counterpart and other.section == counterpart[0] and other.source.name == page.source.name:
            items.append(f'<a href="{_relative(other.page, page.page)}">{counterpart[1]}</a>')
    return (
        '<nav class="course-nav" style="font-family: sans-serif; padding: 0.5em 1em; '
        'border-bottom: 1px solid #ccc; display: flex; gap: 2em;">' + "".join(items) + "</nav>"
    )


def _with_navigation(text: str, nav: str) -> str:
    match = _BODY_OPEN.search(text)
    if match is None:  # not the page layout nbconvert writes; put the bar first
        return nav + text
    return text[: match.end()] + "\n" + nav + text[match.end() :]


_INDEX_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 50em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }
table { border-collapse: collapse; } td, th { padding: 0.3em 1em 0.3em 0; text-align: left; }
.file { color: #666; font-family: monospace; font-size: 0.9em; }
"""


def _index_html(pages: list[SitePage], title: str) -> str:
    """The index page: lectures as a numbered list (with slides), homework as exercise/solution pairs."""
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_INDEX_STYLE}</style></head>",
        "<body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p>Read the lectures in order; each ends with the homework that goes with it. "
        "Exercises are the notebooks to fill in; their solved versions follow.</p>",
    ]
    for section, heading in SECTIONS.items():
        entries = [p for p in pages if p.section == section]
        if not entries:
            continue
        lines.append(f'<h2 id="{section}">{html.escape(heading)}</h2>')
        lines.append("<ol>")
        for p in entries:
            extra = f' &middot; <a href="{html.escape(p.slides)}">slides</a>' if p.slides else ""
            lines.append(
                f'<li><a href="{html.escape(p.page)}">{html.escape(p.title)}</a>{extra} '
                f'<span class="file">{html.escape(p.source.name)}</span></li>'
            )
        lines.append("</ol>")
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines)


def build_site(
    root: Path | str,
    out_dir: Path | str,
    title: str = "backprop-course: learn backpropagation by building it",
    slides: bool = True,
    reveal_prefix: str = DEFAULT_REVEAL_PREFIX,
    progress: Callable[[str], None] | None = None,
    offline: bool = False,
) -> SiteReport:
    """Render the course under ``root`` into the static site ``out_dir``.

    Args:
        root: the course checkout (holding ``notebooks/``, ``exercises/``, ``solutions/``).
        out_dir: the site folder; created if missing. Files already there are overwritten,
            others are left alone.
        title: the index page's heading.
        slides: also write each lecture's reveal.js slides under ``slides/``.
        reveal_prefix: where the slides load reveal.js from (see :mod:`.slides`).
        progress: called with each page written (e.g. ``print``).
        offline: copy MathJax, require.js, jQuery and reveal.js into ``out_dir/_static`` and
            load them from there (``reveal_prefix`` is then ignored).

    Returns:
        A :class:`SiteReport`, listing the pages and any link that points nowhere.

    Raises:
        FileNotFoundError: ``root`` holds no notebooks (probably the wrong folder).
        MissingNbconvertError: nbconvert is not installed.
        MissingOfflineAssetsError: ``offline`` and a package that ships a library is missing.
    """
    root = Path(root)
    out = Path(out_dir)
    pages = course_pages(root)
    if not slides:
        pages = [replace(p, slides=None) for p in pages]
    if not pages:
        folders = ", ".join(f"{s}/" for s in SECTIONS)
        raise FileNotFoundError(
            f"no notebooks in {root.resolve()} (looked in {folders}); pass the course checkout as --root"
        )
    nbconvert = load_nbconvert()
    assets = offline_assets.find_assets() if offline else None
    report = SiteReport(root=out, pages=pages)
    by_source = {p.source.resolve(): p for p in pages}
    rewriter = _LinkRewriter(root, out, by_source, report)
    out.mkdir(parents=True, exist_ok=True)
    if assets is not None:
        offline_assets.install_assets(out, assets, reveal=slides)
    for page in pages:
        local = offline_assets.urls_for(page.page).exporter_options() if assets else {}
        exporter = nbconvert.HTMLExporter(embed_images=True, **local)
        nb = nbformat.read(page.source, as_version=4)
        if assets is not None:  # offline: no widget manager to draw widgets with; show their last picture
            nb = offline_assets.freeze_widgets(nb)
        nb.metadata["title"] = page.title
        resources = {"metadata": {"name": page.source.stem, "path": str(page.source.parent)}}
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        text = _with_navigation(rewriter.rewrite(str(body), page.source, page.page), _navigation(page, pages))
        target = out / page.page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if progress:
            progress(str(target))
        if slides and page.slides:
            urls = offline_assets.urls_for(page.slides) if assets else None
            deck = notebook_slides(page.source, reveal_prefix=reveal_prefix, urls=urls)
            deck = rewriter.rewrite(deck, page.source, page.slides)
            target = out / page.slides
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(deck, encoding="utf-8")
            if progress:
                progress(str(target))
    report.index.write_text(_index_html(report.pages, title), encoding="utf-8")
    return report


def _run(args: argparse.Namespace) -> int:
    try:
        report = build_site(
            args.root,
            args.output,
            slides=not args.no_slides,
            reveal_prefix=args.reveal_prefix,
            progress=None if args.quiet else print,
            offline=args.offline,
        )
    except (OSError, MissingNbconvertError, offline_assets.MissingOfflineAssetsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for page, url, why in report.broken_links:
        print(f"warning: {page}: link {url!r} is broken: {why}", file=sys.stderr)
    print(f"{len(report.pages)} notebooks rendered; open {report.index}")
    if report.broken_links and args.strict:
        print(f"error: {len(report.broken_links)} broken link(s) (--strict)", file=sys.stderr)
        return 1
    return 0


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "site",
        help="render every notebook, exercise and solution to a static HTML site",
        description=(
            "Render notebooks/, exercises/ and solutions/ (stored outputs, nothing executed) to HTML, "
            "with the lectures as slides too and an index page in curriculum order."
        ),
    )
    p.add_argument("-o", "--output", default="_build/site", help="folder to write to (default: _build/site)")
    p.add_argument("--root", default=".", help="the course checkout (default: the current folder)")
    p.add_argument("--no-slides", action="store_true", help="do not write the lecture slides")
    p.add_argument(
        "--reveal-prefix",
        default=DEFAULT_REVEAL_PREFIX,
        help="URL or relative path of reveal.js 4 for the slides (default: the CDN)",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="copy MathJax, reveal.js, require.js and jQuery into the site (from the offline extra), "
        "so its pages work without internet",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 if a page links to something that does not exist")
    p.add_argument("-q", "--quiet", action="store_true", help="print only warnings and the summary")
    p.set_defaults(func=_run)
