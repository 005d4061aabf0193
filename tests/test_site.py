"""``backprop-course site``: every notebook rendered, an index in curriculum order, no dead links.

The site of this course is built once into a temporary folder; every relative link and
image of every page (the index, the notebook pages, the slides) must resolve to a file
of the site, and a ``#fragment`` to an element id of the page it points into. A small
course made up here checks the link rewriting case by case.
"""

from __future__ import annotations

import html.parser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

pytest.importorskip("nbconvert", reason="the site needs nbconvert (the test extra installs it)")

from backprop_course import cli  # noqa: E402
from backprop_course.authoring import site  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "exercises", "solutions")  # the curriculum order of the index


class Links(html.parser.HTMLParser):
    """Collects href/src attributes, element ids and the links inside list items of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()
        self.entries: list[tuple[str, str]] = []  # (href, text) of each <a> inside an <li>
        self._li_depth = 0
        self._link: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src"):
            if a.get(key) is not None:
                self.urls.append(a[key])
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        if tag == "li":
            self._li_depth += 1
        elif tag == "a" and self._li_depth:
            self._link, self._text = a.get("href"), ""

    def handle_data(self, data):
        if self._link is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.entries.append((self._link, self._text))
            self._link = None
        elif tag == "li":
            self._li_depth -= 1


def read_page(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    links.close()
    return links


def first_heading(path: Path) -> str:
    """The first Markdown line starting with '#', without the #s: the title the index should show."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return path.stem


def dead_links(site_root: Path) -> list[str]:
    """Every relative href/src of every .html page under site_root that does not resolve."""
    pages = {p: read_page(p) for p in site_root.rglob("*.html")}
    dead = []
    for page, links in pages.items():
        for url in links.urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith("/"):
                continue  # CDN scripts, external references, data: URIs
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            where = f"{page.relative_to(site_root)}: {url}"
            if not target.is_file():
                dead.append(f"{where} -> no file {target}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else read_page(target).ids
                if unquote(parts.fragment) not in ids and parts.fragment not in ids:
                    dead.append(f"{where} -> no element with id {unquote(parts.fragment)!r}")
    return dead


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    code = cli.main(["site", "--root", str(ROOT), "-o", str(out), "--quiet"])
    return out, code


def test_site_builds_and_every_link_resolves(built):
    out, code = built
    assert code == 0
    assert (out / "index.html").is_file()
    dead = dead_links(out)
    assert not dead, "dead links:\n" + "\n".join(dead)


def test_index_lists_every_notebook_in_curriculum_order_with_its_title(built):
    out, _ = built
    expected = []
    for folder in FOLDERS:
        for nb in sorted((ROOT / folder).glob("*.ipynb")):
            expected.append((f"{folder}/{nb.stem}.html", first_heading(nb)))
            if folder == "notebooks":
                expected.append((f"slides/{nb.stem}.slides.html", "slides"))
    assert len(expected) >= 4
    entries = [(href, " ".join(text.split())) for href, text in read_page(out / "index.html").entries]
    assert entries == expected
    for href, _ in entries:
        assert (out / href).is_file()


def test_every_page_links_back_to_the_index(built):
    out, _ = built
    for folder in FOLDERS:
        for page in (out / folder).glob("*.html"):
            urls = read_page(page).urls
            assert "../index.html" in urls, page


# ------------------------------------------------------------ link rewriting, on a made-up course


def _notebook(path: Path, *markdown: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(m) for m in markdown]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


@pytest.fixture
def small_course(tmp_path):
    root = tmp_path / "course"
    _notebook(
        root / "notebooks" / "00_intro.ipynb",
        "# 00 · Intro\n\n"
        "[next](01_more.ipynb) [hw part 2](../exercises/hw1_x.ipynb#Part-2) [hw](../exercises/) "
        "[code](../backprop_course/engine.py) [gone](02_missing.ipynb) [web](https://example.com/a.ipynb) "
        "[here](#00-·-Intro)",
        "<img src='figures/pic.png' alt='a picture'>",
    )
    _notebook(root / "notebooks" / "01_more.ipynb", "# 01 · More\n\n[back](00_intro.ipynb)")
    _notebook(root / "exercises" / "hw1_x.ipynb", "# Homework 1\n\n## Part 2\n\n[solved](../solutions/hw1_x.ipynb)")
    _notebook(root / "solutions" / "hw1_x.ipynb", "# Homework 1 (solved)")
    (root / "backprop_course").mkdir()
    (root / "backprop_course" / "engine.py").write_text("x = 1\n")
    (root / "notebooks" / "figures").mkdir()
    (root / "notebooks" / "figures" / "pic.png").write_bytes(b"\x89PNG fake")
    return root


def test_links_are_rewritten_to_pages_and_course_files_copied(small_course, tmp_path):
    out = tmp_path / "site"
    report = site.build_site(small_course, out)
    urls = read_page(out / "notebooks" / "00_intro.html").urls
    assert "01_more.html" in urls
    assert "../exercises/hw1_x.html#Part-2" in urls
    assert "../index.html#exercises" in urls
    assert "../backprop_course/engine.py" in urls
    assert (out / "backprop_course" / "engine.py").read_text() == "x = 1\n"
    # images travel inside the page (nbconvert's embed_images), so the page works on its own
    assert "data:image/png;base64,iVBORyBmYWtl" in urls
    assert "https://example.com/a.ipynb" in urls  # external links are left alone
    assert "02_missing.ipynb" in urls  # a dead link stays as written, and is reported
    assert [(page, url) for page, url, _ in report.broken_links] == [
        ("notebooks/00_intro.html", "02_missing.ipynb"),
        ("slides/00_intro.slides.html", "02_missing.ipynb"),
    ]
    assert "../solutions/hw1_x.html" in read_page(out / "exercises" / "hw1_x.html").urls
    assert "../exercises/hw1_x.html" in read_page(out / "solutions" / "hw1_x.html").urls  # the navigation bar
    # the slides sit in another folder: their links are rewritten relative to it
    slide_urls = read_page(out / "slides" / "00_intro.slides.html").urls
    assert "../notebooks/01_more.html" in slide_urls and "../exercises/hw1_x.html#Part-2" in slide_urls
    assert report.copied == ["backprop_course/engine.py"]
    # the only dead links of the whole site are the reported ones
    dead = dead_links(out)
    assert len(dead) == 2 and all("02_missing.ipynb" in d for d in dead)


def test_index_of_the_small_course(small_course, tmp_path):
    out = tmp_path / "site"
    site.build_site(small_course, out, slides=False)
    entries = read_page(out / "index.html").entries
    assert entries == [
        ("notebooks/00_intro.html", "00 · Intro"),
        ("notebooks/01_more.html", "01 · More"),
        ("exercises/hw1_x.html", "Homework 1"),
        ("solutions/hw1_x.html", "Homework 1 (solved)"),
    ]
    assert not (out / "slides").exists()
    nav = read_page(out / "notebooks" / "01_more.html").urls
    assert "../index.html" in nav and "00_intro.html" in nav
    assert not any("slides" in u for u in nav)


def test_strict_fails_on_a_dead_link(small_course, tmp_path, capsys):
    assert cli.main(["site", "--root", str(small_course), "-o", str(tmp_path / "a"), "-q"]) == 0
    err = capsys.readouterr().err
    assert "warning: notebooks/00_intro.html: link '02_missing.ipynb' is broken" in err
    assert cli.main(["site", "--root", str(small_course), "-o", str(tmp_path / "b"), "-q", "--strict"]) == 1
    assert "broken link(s) (--strict)" in capsys.readouterr().err


def test_wrong_root_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["site", "--root", str(tmp_path), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "no notebooks in" in err and "--root" in err
