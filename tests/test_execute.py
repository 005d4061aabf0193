"""The `execute` command: which notebooks it runs, and refusing bad paths before running any."""

from __future__ import annotations

from pathlib import Path

from backprop_course.authoring.execute import course_notebooks
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
