"""Offline lectures: ``backprop-course slides --offline`` decks typeset their maths with no network.

A lecture deck is written with ``--offline`` and opened from disk in headless Chromium with
every request that is not a ``file:`` URL aborted, as in a room without internet. The maths
must be typeset by the local MathJax (MathJax elements present, no raw ``$`` left in the
text) and reveal.js must start. The same deck built without ``--offline`` shows what the
test catches: its maths stays raw. The site's pages get the same treatment.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbconvert", reason="slides need nbconvert (the test extra installs it)")
from test_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (skips this module too without Chromium)

from backprop_course import cli  # noqa: E402
from backprop_course.authoring import offline  # noqa: E402

try:
    offline.find_assets()
except offline.MissingOfflineAssetsError as err:  # pragma: no cover - depends on the environment
    pytest.skip(str(err), allow_module_level=True)
from playwright import sync_api  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: a lecture with inline and display maths (notebook 04 quotes the step-size bound $\eta < 2/L$)
LECTURE = ROOT / "notebooks" / "04_gradient_descent.ipynb"
#: requests an offline page may still make and lose: Mermaid (for diagrams; the course has none) from a CDN
ALLOWED_TO_FAIL = ("mermaid",)
#: inline or display TeX between dollar signs, as the notebooks write it
RAW_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$")

#: the page's text with math source and code left out: what a viewer reads as prose
_PROSE_TEXT = """() => {
  const root = document.querySelector('.reveal .slides') || document.body;
  const copy = root.cloneNode(true);
  copy.querySelectorAll('script, pre, code, .jp-CodeCell .jp-InputArea').forEach(e => e.remove());
  return copy.textContent;
}"""


def prose(page) -> str:
    text = page.evaluate(_PROSE_TEXT)
    assert len(text.split()) > 300, "hardly any text found: the page's layout is not what this test expects"
    return text


def lecture_has_maths(path: Path) -> int:
    nb = nbformat.read(path, as_version=4)
    return sum(len(RAW_MATH.findall(c.source)) for c in nb.cells if c.cell_type == "markdown")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        # as a lecturer's browser opens a file: no flag that loosens file:// access
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_without_network(browser, page_file: Path) -> tuple[object, list[str]]:
    """Open ``page_file`` with every non-``file:`` request aborted; return the page and those URLs."""
    page = browser.new_page()
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(page_file.as_uri(), wait_until="load")
    return page, blocked


def wait_for_typesetting(page) -> bool:
    """True once MathJax has finished its first pass (False if MathJax never loaded)."""
    try:
        page.wait_for_function("() => window.MathJax && window.MathJax.Hub", timeout=15_000)
    except sync_api.TimeoutError:
        return False
    page.evaluate("() => new Promise(done => MathJax.Hub.Queue(done))")
    return True


def test_the_lecture_has_maths_to_typeset():
    assert lecture_has_maths(LECTURE) >= 5


def test_offline_deck_typesets_its_maths_without_network(tmp_path, browser):
    assert cli.main(["slides", str(LECTURE), "--offline", "-o", str(tmp_path)]) == 0
    deck = tmp_path / f"{LECTURE.stem}.slides.html"
    assert (tmp_path / "_static" / "mathjax" / "MathJax.js").is_file()
    assert (tmp_path / "_static" / "reveal.js" / "dist" / "reveal.js").is_file()
    page, blocked = open_without_network(browser, deck)
    try:
        assert wait_for_typesetting(page), "MathJax did not load from _static/"
        typeset = page.locator("script[type^='math/tex']").count()
        assert typeset >= lecture_has_maths(LECTURE), "fewer typeset formulas than the notebook's markdown holds"
        assert page.locator(".MathJax, .MathJax_Display, .MathJax_CHTML").count() >= typeset
        text = prose(page)
        assert RAW_MATH.findall(text) == [], "raw $...$ left in the slides"
        assert "Math Processing Error" not in page.locator(".reveal").text_content()  # e.g. a font MathJax lacks
        page.wait_for_function("() => document.querySelector('.reveal.ready')", timeout=15_000)  # reveal.js started
        unexpected = [url for url in blocked if not any(ok in url for ok in ALLOWED_TO_FAIL)]
        assert unexpected == [], "an offline deck still asked the network for these"
        # widgets cannot be drawn offline: each shows its last picture and says it is interactive in Jupyter
        if '"application/vnd.jupyter.widget-view+json"' in LECTURE.read_text(encoding="utf-8"):
            assert page.get_by_text(offline.WIDGET_NOTE).count() >= 1
    finally:
        page.close()


def test_deck_from_the_cdn_shows_raw_maths_without_network(tmp_path, browser):
    # the failure the offline copy prevents: without --offline and without internet, no MathJax
    assert cli.main(["slides", str(LECTURE), "-o", str(tmp_path)]) == 0
    page, blocked = open_without_network(browser, tmp_path / f"{LECTURE.stem}.slides.html")
    try:
        assert not wait_for_typesetting(page)
        assert any("mathjax" in url.lower() for url in blocked)
        assert RAW_MATH.findall(prose(page)), "no raw maths: the check above would prove nothing"
    finally:
        page.close()


def test_offline_site_page_typesets_its_maths_without_network(tmp_path, browser):
    assert cli.main(["site", "--root", str(ROOT), "-o", str(tmp_path), "--offline", "--quiet", "--strict"]) == 0
    assert not (ROOT / "_static").exists()
    page, blocked = open_without_network(browser, tmp_path / "notebooks" / f"{LECTURE.stem}.html")
    try:
        assert wait_for_typesetting(page), "MathJax did not load from ../_static/"
        assert page.locator("script[type^='math/tex']").count() >= lecture_has_maths(LECTURE)
        assert RAW_MATH.findall(prose(page)) == []
        assert "Math Processing Error" not in page.locator("body").text_content()
        assert [url for url in blocked if not any(ok in url for ok in ALLOWED_TO_FAIL)] == []
    finally:
        page.close()


def test_offline_without_the_packages_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(offline, "_package_folder", lambda package: None)
    assert cli.main(["slides", str(LECTURE), "--offline", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "offline" in err and "pip install" in err
    assert not (tmp_path / "out").exists(), "nothing written when a library is missing"
