"""Assignment specs: which tests each homework has, what they are worth, their limits.

An :class:`Assignment` is a list of :class:`TestSpec`. A test names the student
functions it needs and knows how to *prepare* itself from a random generator:
draw the inputs, compute the expected answers (in the grader's process, from the
grader's own forward functions), and return a :class:`Prepared` with

* ``probe`` and ``payload``: what the child process must do, as plain data;
* ``judge``: a function of the child's plain-data answer that returns the
  :class:`~.checks.Check` list. The expected values live only in this closure,
  never in the child.

Each test draws from its own generator, seeded by the grading seed and the test's
name, so one test's inputs do not depend on which other tests exist.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .checks import Check, JudgeContext

__all__ = ["ASSIGNMENT_NAMES", "Assignment", "Prepared", "TestSpec", "get_assignment", "test_rng"]

Judge = Callable[[dict[str, Any], JudgeContext], list[Check]]


@dataclass(frozen=True)
class Prepared:
    """One test, ready to run: what the child does (``probe``, ``payload``) and how to judge it."""

    probe: str
    payload: dict[str, Any]
    judge: Judge


@dataclass(frozen=True)
class TestSpec:
    """One graded test.

    Attributes:
        name: short id, a gradebook column (e.g. ``"mul_backward"``).
        title: what a student reads.
        functions: student functions that must exist for the test to run.
        max_score: points.
        prepare: draws inputs and expected answers from a generator.
        time_limit: seconds for all the calls of this test.
        memory_mb: address-space limit of the child while the test runs.
        visibility: Gradescope visibility of the test.
    """

    name: str
    title: str
    functions: tuple[str, ...]
    max_score: float
    prepare: Callable[[np.random.Generator], Prepared]
    time_limit: float = 2.0
    memory_mb: int = 1024
    visibility: str = "visible"

    __test__ = False  # not a pytest test class, despite the name


@dataclass(frozen=True)
class Assignment:
    """A homework set: its name, the notebook students hand in, and its tests."""

    name: str
    title: str
    notebook: str
    tests: tuple[TestSpec, ...]
    #: dotted names of the library's reference answers to what this assignment grades
    #: (functions, methods, tables, whole classes); in the sandbox each raises "not
    #: available while grading: write your own" when a submission uses it
    unavailable_while_grading: tuple[str, ...] = ()

    @property
    def max_score(self) -> float:
        return float(sum(t.max_score for t in self.tests))

    def test(self, name: str) -> TestSpec:
        for t in self.tests:
            if t.name == name:
                return t
        raise KeyError(f"{self.name} has no test {name!r}; its tests: {[t.name for t in self.tests]}")


ASSIGNMENT_NAMES = ("hw1", "hw2", "hw3", "hw4")


_ENGINE = "backprop_course.engine"
#: the reference answers of each assignment, for assignments that do not list their own
REFERENCE_ANSWERS: dict[str, tuple[str, ...]] = {
    "hw1": (
        f"{_ENGINE}.BACKWARD_RULES",
        *(
            f"{_ENGINE}.Value._{op}_backward"
            for op in ("add", "mul", "div", "pow", "pow_value", "exp", "log", "tanh", "sigmoid", "relu")
        ),
        "backprop_course.gradcheck.numerical_derivative",
        "backprop_course.gradcheck.numerical_gradient",
    ),
    "hw2": (f"{_ENGINE}.topological_order", f"{_ENGINE}.Value.backward"),
    "hw3": (
        *(
            f"backprop_course.layers.{fn}"
            for fn in (
                "linear_backward",
                "relu_backward",
                "tanh_backward",
                "sigmoid_backward",
                "softmax_cross_entropy_backward",
            )
        ),
        "backprop_course.matrix_mlp.MatrixMLP.backward",
        "backprop_course.gradcheck.numerical_gradient",
        "backprop_course.gradcheck.numerical_gradient_array",
    ),
    # hw4 is the engine itself: the learner's Value and MLP must not be the course's
    "hw4": (
        f"{_ENGINE}.Value",
        "backprop_course.nn.MLP",
        "backprop_course.nn.Layer",
        "backprop_course.nn.Neuron",
    ),
}


def _with_reference_answers(assignment: Assignment) -> Assignment:
    if assignment.unavailable_while_grading or assignment.name not in REFERENCE_ANSWERS:
        return assignment
    return replace(assignment, unavailable_while_grading=REFERENCE_ANSWERS[assignment.name])


def get_assignment(name: str) -> Assignment:
    """The assignment called ``name``: ``"hw1"``, ``"hw1_local_gradients"``, ``"1"``...

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    key = str(name).strip().lower().removesuffix(".ipynb")
    if key.isdigit():
        key = f"hw{key}"
    key = key.split("_", 1)[0]
    if key == "hw1":
        from .hw1_local_gradients import ASSIGNMENT as hw1

        return _with_reference_answers(hw1)
    if key == "hw2":
        from .hw2_backward_pass import ASSIGNMENT as hw2

        return _with_reference_answers(hw2)
    if key == "hw3":
        from .hw3_matrix_backprop import ASSIGNMENT as hw3

        return _with_reference_answers(hw3)
    if key == "hw4":
        from .hw4_micrograd_from_scratch import ASSIGNMENT as hw4

        return _with_reference_answers(hw4)
    raise ValueError(f"unknown assignment {name!r}; choose one of {', '.join(ASSIGNMENT_NAMES)}")


def test_rng(seed: int, test_name: str) -> np.random.Generator:
    """The generator a test draws its inputs from: depends on the grading seed and the test only."""
    return np.random.default_rng([int(seed), zlib.crc32(test_name.encode())])


test_rng.__test__ = False  # type: ignore[attr-defined]
