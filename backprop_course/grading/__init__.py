"""Automatic grading of the homework, safe against the code it runs.

The pieces, one module each:

- :mod:`.specs`: assignments and their tests (points, limits)
- :mod:`.hw1_local_gradients`, :mod:`.hw2_backward_pass`, :mod:`.hw3_matrix_backprop`:
  the judges; each draws inputs and computes expected answers with its *own* forward
  functions, in the grader's process
- :mod:`.checks`: relative error, credit thresholds, strict reading of answers
- :mod:`.source`: from a notebook or ``.py`` file to the definitions that are run
  (used inside the sandbox: the grader never parses student files itself)
- :mod:`.sandbox` (parent side) and :mod:`._child` (child side): running student code
  in a separate, limited process, isolated by bubblewrap where it can run (else a
  process sandbox, recorded in every report), that sends back plain data only
- :mod:`.graphs`: hw2's computation graphs as plain data
- :mod:`.grader`: one submission or a batch, end to end
- :mod:`.reports`: text, JSON, CSV gradebook, Gradescope ``results.json``
- :mod:`.autograder`: the Gradescope bundle
- :mod:`.cli`: ``backprop-course grade`` and ``backprop-course autograder``

Threat model and design choices: DESIGN.md section 4, and the docstrings of
:mod:`.sandbox` and :mod:`.source`.
"""

from .grader import GradingOptions, SubmissionResult, TestResult, find_submissions, grade_batch, grade_submission
from .sandbox import Isolation, SandboxOptions, SandboxUnavailable, resolve_isolation
from .specs import ASSIGNMENT_NAMES, Assignment, TestSpec, get_assignment

__all__ = [
    "ASSIGNMENT_NAMES",
    "Assignment",
    "GradingOptions",
    "Isolation",
    "SandboxOptions",
    "SandboxUnavailable",
    "SubmissionResult",
    "TestResult",
    "TestSpec",
    "find_submissions",
    "get_assignment",
    "grade_batch",
    "grade_submission",
    "resolve_isolation",
]
