"""The course's own notebooks through the grader: solutions score full marks, untouched exercises zero."""

from __future__ import annotations

from pathlib import Path

import pytest

from backprop_course.grading import GradingOptions, get_assignment, grade_submission

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {name: get_assignment(name).notebook for name in ("hw1", "hw2", "hw3")}


def _notebook(folder: str, assignment: str) -> Path:
    path = ROOT / folder / NOTEBOOKS[assignment]
    if not path.exists():
        pytest.skip(f"{folder}/{NOTEBOOKS[assignment]} does not exist yet")
    return path


@pytest.mark.parametrize("assignment", sorted(NOTEBOOKS))
def test_solution_notebook_scores_full_marks(assignment):
    result = grade_submission(assignment, _notebook("solutions", assignment), options=GradingOptions(seed=2024))
    lost = {t.name: t.output for t in result.tests if t.score < t.max_score}
    assert lost == {}
    assert result.status == "graded"
    assert result.score == get_assignment(assignment).max_score


@pytest.mark.parametrize("assignment", sorted(NOTEBOOKS))
def test_untouched_exercise_notebook_scores_zero_with_the_stub_message(assignment):
    result = grade_submission(assignment, _notebook("exercises", assignment), options=GradingOptions(seed=2024))
    assert result.score == 0.0
    assert result.status == "graded"
    for test in result.tests:
        assert "NotImplementedError" in test.output, (test.name, test.output)
