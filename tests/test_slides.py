"""``backprop-course slides``: reveal.js slides cut where the cells' slideshow metadata says.

The expected structure is counted here from the metadata with reveal.js's rules (a
``slide`` cell opens a new top-level <section>, a ``subslide`` a nested one, the first
shown cell always opens a slide, ``skip`` cells vanish, ``notes`` become <aside>) and
compared with the <section> nesting of the generated HTML. Nothing is loaded from the
network: the HTML is only parsed.
"""

from __future__ import annotations

import html.parser
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbconvert", reason="slides need nbconvert (the test extra installs it)")

from backprop_course import cli  # noqa: E402
from backprop_course.authoring import slides  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))


def slide_type(cell) -> str:
    return cell.metadata.get("slideshow", {}).get("slide_type", "-") or "-"


def expected_structure(nb) -> dict:
    """Sub-slides per slide, and the fragment / notes / shown-cell counts, from the metadata alone."""
    subslides: list[int] = []
    fragments = notes = 0
    shown = {"code": 0, "markdown": 0}
    for cell in nb.cells:
        kind = slide_type(cell)
        if kind == "skip":
            continue
        if kind == "notes":
            notes += 1
        elif not subslides or kind == "slide":  # the first shown cell starts a slide whatever it says
            subslides.append(1)
        elif kind == "subslide":
            subslides[-1] += 1
        elif kind == "fragment":
            fragments += 1
        if cell.cell_type in shown:
            shown[cell.cell_type] += 1
    return {"subslides": subslides, "fragments": fragments, "notes": notes, "shown": shown}


class RevealStructure(html.parser.HTMLParser):
    """Reads the nesting of <section> elements, fragments, notes and cells from slide HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.subslides: list[int] = []
        self.fragments = 0
        self.notes = 0
        self.shown = {"code": 0, "markdown": 0}

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "section":
            self.depth += 1
            if self.depth == 1:
                self.subslides.append(0)
            elif self.depth == 2:
                self.subslides[-1] += 1
        elif tag == "div" and "fragment" in classes:
            self.fragments += 1
        elif tag == "aside" and "notes" in classes:
            self.notes += 1
        if tag == "div" and "jp-Cell" in classes:
            if "jp-CodeCell" in classes:
                self.shown["code"] += 1
            elif "jp-MarkdownCell" in classes:
                self.shown["markdown"] += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1


def parse(text: str) -> RevealStructure:
    parser = RevealStructure()
    parser.feed(text)
    parser.close()
    assert parser.depth == 0, "unbalanced <section> tags"
    return parser


def test_there_are_lecture_notebooks():
    assert LECTURES, "notebooks/ holds no .ipynb: nothing to make slides from"


@pytest.mark.parametrize("notebook", LECTURES, ids=[p.stem for p in LECTURES])
def test_slides_of_each_notebook_follow_its_slideshow_metadata(notebook, tmp_path, capsys):
    nb = nbformat.read(notebook, as_version=4)
    expected = expected_structure(nb)
    assert len(expected["subslides"]) >= 3, f"{notebook.name}: fewer than 3 slides; is slideshow metadata set?"

    assert cli.main(["slides", str(notebook), "-o", str(tmp_path)]) == 0
    out = tmp_path / f"{notebook.stem}.slides.html"
    assert capsys.readouterr().out.splitlines()[0] == str(out)
    got = parse(out.read_text(encoding="utf-8"))

    assert len(got.subslides) == len(expected["subslides"]), "number of slides"
    assert got.subslides == expected["subslides"], "sub-slides per slide"
    assert got.fragments == expected["fragments"]
    assert got.notes == expected["notes"]
    assert got.shown == expected["shown"], "skip cells left out, every other cell shown"


def test_slides_structure_of_a_small_notebook(tmp_path):
    # one hand-counted case, independent of the course notebooks
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_code_cell("import os", metadata={"slideshow": {"slide_type": "skip"}}),
        v4.new_markdown_cell("# A title", metadata={"slideshow": {"slide_type": "-"}}),  # becomes slide 1
        v4.new_markdown_cell("more on slide 1"),
        v4.new_markdown_cell("## Two", metadata={"slideshow": {"slide_type": "slide"}}),
        v4.new_code_cell("1 + 1", metadata={"slideshow": {"slide_type": "fragment"}}),
        v4.new_markdown_cell("say this", metadata={"slideshow": {"slide_type": "notes"}}),
        v4.new_markdown_cell("### Two, below", metadata={"slideshow": {"slide_type": "subslide"}}),
        v4.new_markdown_cell("### Two, further below", metadata={"slideshow": {"slide_type": "subslide"}}),
        v4.new_markdown_cell("## Three", metadata={"slideshow": {"slide_type": "slide"}}),
    ]
    path = tmp_path / "small.ipynb"
    nbformat.write(nb, path)
    (out,) = slides.write_slides([path], tmp_path / "out")
    assert out == tmp_path / "out" / "small.slides.html"
    got = parse(out.read_text(encoding="utf-8"))
    assert got.subslides == [1, 3, 1]
    assert (got.fragments, got.notes) == (1, 1)
    assert got.shown == {"code": 1, "markdown": 7}
    text = out.read_text(encoding="utf-8")
    assert "<title>A title slides</title>" in text  # the first heading names the deck
    assert slides.DEFAULT_REVEAL_PREFIX in text  # reveal.js from the CDN unless told otherwise


def test_reveal_prefix_points_at_a_local_copy(tmp_path):
    notebook = LECTURES[0]
    (out,) = slides.write_slides([notebook], tmp_path, reveal_prefix="reveal.js")
    text = out.read_text(encoding="utf-8")
    assert 'href="reveal.js/dist/reveal.css"' in text
    assert slides.DEFAULT_REVEAL_PREFIX not in text


def test_missing_notebook_is_a_clear_error_and_writes_nothing(tmp_path, capsys):
    missing = tmp_path / "nope" / "03_typo.ipynb"
    with pytest.raises(FileNotFoundError, match=r"no such notebook: .*03_typo\.ipynb"):
        slides.write_slides([LECTURES[0], missing], tmp_path / "out")
    assert not (tmp_path / "out").exists(), "checked every path before writing anything"

    assert cli.main(["slides", str(LECTURES[0]), str(missing), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "no such notebook" in err and "03_typo.ipynb" in err
    assert not (tmp_path / "out").exists()


def test_not_a_notebook_is_a_clear_error(tmp_path):
    text = tmp_path / "notes.md"
    text.write_text("# hi\n")
    with pytest.raises(ValueError, match=r"not a notebook: expected a file ending in \.ipynb"):
        slides.write_slides([text], tmp_path / "out")
    with pytest.raises(ValueError, match="is a folder"):
        slides.write_slides([tmp_path], tmp_path / "out")


def test_notebook_with_only_hidden_cells_is_a_clear_error(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"slideshow": {"slide_type": "skip"}})]
    path = tmp_path / "hidden.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="hidden.ipynb: cannot make slides.*mark at least one cell as a slide"):
        slides.notebook_slides(path)


def test_missing_nbconvert_is_a_clear_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "nbconvert", None)  # makes `import nbconvert` raise ImportError
    with pytest.raises(slides.MissingNbconvertError, match=r"needs nbconvert.*pip install"):
        slides.notebook_slides(LECTURES[0])


def test_notebook_title_is_the_first_heading():
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_code_cell("# a comment, not a heading"),
        v4.new_markdown_cell("Some text\n#hashtag is not a heading\n\n##  03 · Neurons  ##\n# Later"),
    ]
    assert slides.notebook_title(nb) == "03 · Neurons"
    assert slides.notebook_title(v4.new_notebook(), default="x") == "x"


def test_offline_pages_freeze_each_widget_into_its_last_picture():
    from backprop_course.authoring.offline import WIDGET_NOTE, freeze_widgets

    v4 = nbformat.v4
    picture = {
        "output_type": "display_data",
        "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
        "metadata": {},
    }
    state = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_out"]}},
        "slider": {"model_name": "FloatSliderModel", "state": {"value": 0.5}},
        "out": {"model_name": "OutputModel", "state": {"outputs": [picture]}},
    }
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": "box", "version_major": 2, "version_minor": 0}}
    nb = v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": state}}
    nb.cells = [
        v4.new_code_cell("explorer()", outputs=[v4.new_output("display_data", data={**view, "text/plain": "VBox()"})]),
        v4.new_code_cell("print(1)", outputs=[v4.new_output("stream", name="stdout", text="1\n")]),
    ]
    frozen = freeze_widgets(nb)
    assert "widgets" not in frozen.metadata and "widgets" in nb.metadata, "a copy; no widget state left to load"
    first = frozen.cells[0].outputs
    assert [o.output_type for o in first] == ["display_data", "display_data"]
    assert first[0].data["image/png"] == "iVBORw0KGgo="
    assert WIDGET_NOTE in first[1].data["text/html"]
    assert frozen.cells[1].outputs == nb.cells[1].outputs
    nbformat.validate(frozen)
