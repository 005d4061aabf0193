"""The `execute` command: which notebooks it runs, and refusing bad paths before running any."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from backprop_course.authoring.execute import course_notebooks, renumber_widget_ids
from backprop_course.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_course_notebooks_are_lectures_then_solutions_in_order():
    paths = course_notebooks(ROOT)
    names = [p.relative_to(ROOT).as_posix() for p in paths]
    lectures = [n for n in names if n.startswith("notebooks/")]
    assert lectures == sorted(lectures) and len(lectures) == 11
    assert names[: len(lectures)] == lectures and all(n.startswith("solutions/") for n in names[len(lectures) :])


def test_execute_refuses_a_missing_notebook_before_running_any(tmp_path, capsys):
    existing = tmp_path / "real.ipynb"
    existing.write_text("not even JSON: it must not be touched or run", encoding="utf-8")
    code = main(["execute", str(tmp_path / "missing.ipynb"), str(existing)])
    assert code == 1
    assert "no such notebook" in capsys.readouterr().err
    assert existing.read_text(encoding="utf-8") == "not even JSON: it must not be touched or run"


def _widget_notebook() -> nbformat.NotebookNode:
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        v4.new_code_cell("import ipywidgets as w"),
        v4.new_code_cell("w.VBox([w.IntSlider(value=3, description='n'), w.Label('hello')])"),
        v4.new_code_cell("w.FloatSlider(value=0.5)"),
    ]
    return nb


def _state(nb: nbformat.NotebookNode) -> dict:
    return nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]


def _view_ids(nb: nbformat.NotebookNode) -> list[str]:
    return [
        o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]


def test_renumber_widget_ids_is_stable_and_keeps_every_reference():
    # two "runs" of the same widgets under different random ids must come out identical
    def run(ids: list[str]) -> nbformat.NotebookNode:
        box, slider, label, layout, lone = ids
        nb = nbformat.v4.new_notebook()
        view = {"application/vnd.jupyter.widget-view+json": {"model_id": box, "version_major": 2, "version_minor": 0}}
        nb.cells = [
            nbformat.v4.new_code_cell(
                "box",
                id="cell-a",
                outputs=[nbformat.v4.new_output("display_data", data={**view, "text/plain": "VBox"})],
            )
        ]
        nb.metadata["widgets"] = {
            "application/vnd.jupyter.widget-state+json": {
                "state": {
                    box: {
                        "model_name": "VBoxModel",
                        "state": {"children": [f"IPY_MODEL_{slider}", f"IPY_MODEL_{label}"]},
                    },
                    slider: {"model_name": "IntSliderModel", "state": {"layout": f"IPY_MODEL_{layout}", "value": 3}},
                    label: {"model_name": "LabelModel", "state": {"value": "hi"}},
                    layout: {"model_name": "LayoutModel", "state": {}},
                    lone: {"model_name": "LayoutModel", "state": {"width": "1px"}},  # shown by no output
                },
                "version_major": 2,
                "version_minor": 0,
            }
        }
        return nb

    first = run(["a1" * 16, "b2" * 16, "c3" * 16, "d4" * 16, "e5" * 16])
    second = run(["99" * 16, "88" * 16, "77" * 16, "66" * 16, "55" * 16])
    assert renumber_widget_ids(first) == 5
    renumber_widget_ids(second)
    assert nbformat.writes(first) == nbformat.writes(second)
    state = _state(first)
    (box,) = _view_ids(first)
    assert len(state) == 5 and box in state
    slider, label = (ref[len("IPY_MODEL_") :] for ref in state[box]["state"]["children"])
    assert state[slider]["model_name"] == "IntSliderModel" and state[label]["model_name"] == "LabelModel"
    assert state[state[slider]["state"]["layout"][len("IPY_MODEL_") :]]["model_name"] == "LayoutModel"
    assert all(re.fullmatch(r"[0-9a-f]{32}", m) for m in state)
    assert renumber_widget_ids(first) == 0, "already stable ids stay as they are"


def _refs(model: dict) -> list[str]:
    return re.findall(r"IPY_MODEL_[0-9a-f]+", json.dumps(model))


def test_execute_is_quiet_and_an_unchanged_notebook_re_executes_to_the_same_file(tmp_path, capfd):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipywidgets")
    path = tmp_path / "widgets.ipynb"
    nbformat.write(_widget_notebook(), path)
    assert main(["execute", str(path)]) == 0
    once = path.read_text(encoding="utf-8")
    assert main(["execute", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == once, "a second run changed the stored notebook"
    nb = nbformat.reads(once, as_version=4)
    assert len(_view_ids(nb)) == 2 and len(_state(nb)) >= 4  # the widgets really are stored
    err = capfd.readouterr().err
    assert "TCP" not in err and "WARNING" not in err, err
    assert not list(tmp_path.glob("kernel-ipc*")), "IPC socket files left next to the notebook"
