"""The course's home address: one setting in pyproject.toml, the same in every place that uses it."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from backprop_course import cli
from backprop_course.authoring import home
from backprop_course.authoring.exercises import stale_exercises

ROOT = Path(__file__).resolve().parents[1]
COURSE_NOTEBOOKS = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb"))
COURSE_NOTEBOOKS += sorted(ROOT.glob("exercises/*.ipynb"))


def test_home_is_set_once_in_pyproject():
    assert home.read_home(ROOT) == "https://github.com/backprop-course/backprop-course"


def test_every_place_agrees_with_the_home():
    assert home.check_home(ROOT) == []
    references = home.home_references(ROOT)
    expected = home.parse_github(home.read_home(ROOT))
    installs = {r.file for r in references if r.form == "install"}
    # every notebook's Colab cell installs from the home; the README links Colab to it
    assert installs == {p.relative_to(ROOT).as_posix() for p in COURSE_NOTEBOOKS}
    assert any(r.file == "README.md" and r.form == "colab" for r in references)
    assert {r.repo for r in references} == {expected}


@pytest.fixture
def course_copy(tmp_path) -> Path:
    copy = tmp_path / "course"
    copy.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    for folder in ("notebooks", "exercises", "solutions"):
        shutil.copytree(ROOT / folder, copy / folder)
    return copy


def test_set_home_rewrites_every_place_and_nothing_else(course_copy, capsys):
    before = {p: p.read_text(encoding="utf-8") for p in course_copy.rglob("*") if p.is_file()}
    assert cli.main(["set-home", "https://github.com/uni-x/deep-learning-101.git", "--root", str(course_copy)]) == 0
    assert "the course's home is now https://github.com/uni-x/deep-learning-101" in capsys.readouterr().out
    assert home.read_home(course_copy) == "https://github.com/uni-x/deep-learning-101"
    assert home.check_home(course_copy) == []
    old = "backprop-course/backprop-course"
    for path, text in before.items():
        after = path.read_text(encoding="utf-8")
        assert old not in after, f"{path} still names the old home"
        # only the address changed: undo it and the file is what it was
        assert after.replace("uni-x/deep-learning-101", old) == text, f"{path}: more than the address changed"
    first_cell = next(
        c.source
        for c in nbformat.read(course_copy / "notebooks" / "00_start_here.ipynb", as_version=4).cells
        if c.cell_type == "code"
    )
    assert '"backprop-course @ git+https://github.com/uni-x/deep-learning-101"' in first_cell
    readme = (course_copy / "README.md").read_text(encoding="utf-8")
    assert "colab.research.google.com/github/uni-x/deep-learning-101/blob/main/notebooks/" in readme
    assert stale_exercises(course_copy) == [], "exercises/ still what solutions/ generates"
    assert cli.main(["set-home", "--check", "--root", str(course_copy)]) == 0


def test_check_reports_a_place_that_disagrees(course_copy, capsys):
    path = course_copy / "notebooks" / "03_neurons_activations_loss.ipynb"
    path.write_text(
        path.read_text(encoding="utf-8").replace("backprop-course/backprop-course", "someone/fork"), encoding="utf-8"
    )
    problems = home.check_home(course_copy)
    assert problems and all("03_neurons_activations_loss.ipynb" in p and "someone/fork" in p for p in problems)
    assert cli.main(["set-home", "--check", "--root", str(course_copy)]) == 1
    # set-home repairs it too: the install line takes the home, whatever it named before
    assert cli.main(["set-home", "https://github.com/backprop-course/backprop-course", "--root", str(course_copy)]) == 0
    assert home.check_home(course_copy) == []
    capsys.readouterr()


@pytest.mark.parametrize(
    "url", ["https://gitlab.com/a/b", "github.com/a/b", "https://github.com/a", "https://github.com/a/b/tree/main"]
)
def test_set_home_refuses_what_colab_cannot_open(course_copy, url, capsys):
    before = (course_copy / "pyproject.toml").read_text(encoding="utf-8")
    assert cli.main(["set-home", url, "--root", str(course_copy)]) == 1
    assert "https://github.com/OWNER/REPO" in capsys.readouterr().err
    assert (course_copy / "pyproject.toml").read_text(encoding="utf-8") == before


def test_missing_home_is_a_clear_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(home.HomeError, match=r"no Homepage .* in \[project\.urls\]"):
        home.read_home(tmp_path)
