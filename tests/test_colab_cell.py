"""The first code cell of every notebook installs the course on Colab, and does nothing elsewhere."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))


def first_code_cell(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code")


class RecordingShell:
    """Stands in for IPython's shell: records the magics the cell runs instead of running pip."""

    def __init__(self) -> None:
        self.magics: list[tuple[str, str]] = []

    def run_line_magic(self, name: str, line: str) -> None:
        self.magics.append((name, line))


def run_cell(source: str, in_colab: bool, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    shell = RecordingShell()
    if in_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    python = TransformerManager().transform_cell(source)
    exec(compile(python, "<colab cell>", "exec"), {"get_ipython": lambda: shell})
    return shell.magics


@pytest.mark.parametrize("path", NOTEBOOKS + EXERCISES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_first_code_cell_installs_only_on_colab_without_touching_numpy_or_ipywidgets(path, monkeypatch):
    source = first_code_cell(path)
    assert run_cell(source, in_colab=False, monkeypatch=monkeypatch) == []
    magics = run_cell(source, in_colab=True, monkeypatch=monkeypatch)
    assert len(magics) == 1
    name, line = magics[0]
    assert name == "pip" and line.split()[0] == "install"
    assert "--no-deps" in line.split()  # Colab's numpy and ipywidgets stay as they are
    assert "backprop-course" in line


def test_every_course_notebook_is_covered():
    assert len(NOTEBOOKS) == 15 and len(EXERCISES) == 4  # 11 lectures + 4 solved homeworks; 4 exercises
