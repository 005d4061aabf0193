"""The course's own notebooks through the grader: solutions score full marks, untouched exercises zero,
and a solution with one classic mistake loses marks, with feedback that names the mistake."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from backprop_course.grading import GradingOptions, get_assignment, grade_submission

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {name: get_assignment(name).notebook for name in ("hw1", "hw2", "hw3", "hw4")}


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


def _with_mistake(assignment: str, old: str, new: str, tmp_path: Path) -> Path:
    """The solution notebook with one piece of code replaced (``old`` must occur in a code cell)."""
    nb = nbformat.read(_notebook("solutions", assignment), as_version=4)
    hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
    assert hits, f"{old!r} is not in the {assignment} solution any more"
    for cell in hits:
        cell.source = cell.source.replace(old, new)
    path = tmp_path / NOTEBOOKS[assignment]
    nbformat.write(nb, path)
    return path


#: (assignment, the right code, the mistake, the test that must lose marks, words its feedback must say)
MISTAKES = [
    pytest.param(
        "hw1",
        "return dout if a > 0 else 0.0",
        "return dout if a >= 0 else 0.0",
        "relu_backward",
        "a >= 0",
        id="hw1-relu-gradient-at-the-kink",
    ),
    pytest.param(
        "hw2",
        "            model.zero_grad()\n            backward(loss)",
        "            backward(loss)",
        "train_xor",
        "never calls zero_grad",
        id="hw2-no-zero-grad",
    ),
    pytest.param(
        "hw4",
        "self.grad += out.grad  # d(a+b)/da = 1; += because a may feed other nodes too\n"
        "            other.grad += out.grad",
        "self.grad = out.grad\n            other.grad = out.grad",
        "value_reused",
        "`+=`",
        id="hw4-grads-assigned-not-accumulated",
    ),
]


@pytest.mark.parametrize(("assignment", "old", "new", "test_name", "named"), MISTAKES)
def test_a_solution_with_one_classic_mistake_loses_marks_and_is_told_why(
    assignment, old, new, test_name, named, tmp_path
):
    result = grade_submission(assignment, _with_mistake(assignment, old, new, tmp_path), options=GradingOptions(seed=7))
    test = next(t for t in result.tests if t.name == test_name)
    assert test.score < test.max_score
    assert result.score < get_assignment(assignment).max_score
    assert named in test.output, test.output


def test_hw4_refuses_the_course_engine(tmp_path):
    path = _with_mistake(
        "hw4",
        "import backprop_course\n",
        "import backprop_course\nfrom backprop_course.engine import Value as CourseValue\n",
        tmp_path,
    )
    result = grade_submission("hw4", path, options=GradingOptions(seed=7))
    assert result.score == 0.0
    for test in result.tests:
        assert "write your own Value" in test.output, (test.name, test.output)
