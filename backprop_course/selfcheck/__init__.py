"""Self-checks: immediate, specific feedback on a notebook exercise.

A self-check runs the student's function on inputs it picks, computes the right
answer itself and prints either a one-line confirmation or what went wrong::

    ✅ mul_backward: correct at 3 test points (relative error below 1e-07 everywhere).

    ❌ mul_backward: wrong gradient for a.
       at a = 1.5, b = -2, out = -3, dout = 0.7
       expected da = -1.4, got 1.05 (relative error 1.0e+00)
       hint: ∂(a·b)/∂a is the *other* input, b: you multiplied dout by a itself.

The hint comes from recognising a common mistake: the check recomputes the answer
the wrong way (forgot the chain-rule factor ``dout``, used the input instead of the
output of tanh, flipped the sign, forgot to sum over the batch or to divide by N...)
and compares that with what the student returned.

Every ``check_*`` function prints its feedback and returns nothing; the matching
``evaluate_*`` function returns the :class:`Feedback` instead (for tests and for
code that wants to act on it). A function that still raises ``NotImplementedError``
(an untouched exercise stub) makes the check raise ``NotImplementedError`` too, with
a note on what to do; any other exception is reported and re-raised with its
traceback, so the student sees where their code failed.

One module per part; this package re-exports every public name, so
``selfcheck.check_local_rule`` works wherever ``from backprop_course import selfcheck`` does:

- :mod:`.feedback`: :class:`Feedback`, its formatting and the shared helpers, and the
  generic checks of the lecture notebooks (:func:`check_answer`, :func:`check_choice`)
- :mod:`.lecture01` ... :mod:`.lecture09`: the practice exercises of each lecture notebook; each
  ``check_*`` says "not attempted yet" while the exercise is still the stub
  (:func:`run_exercise_check`)
- :mod:`.hw1`: hw1 local gradients (:func:`check_local_rule`, :func:`check_rules_in_engine`)
- :mod:`.hw2`: hw2 the backward pass (:func:`check_topological_sort`, :func:`check_backward`,
  :func:`check_train_xor`)
- :mod:`.hw3`: hw3 matrix backprop (:func:`check_linear_backward`, :func:`check_activation_backward`,
  :func:`check_softmax_cross_entropy_backward`, :func:`check_two_layer_backward`)
- :mod:`.hw4`: hw4 micrograd from scratch (:func:`check_value_ops`, :func:`check_value_reuse`,
  :func:`check_value_backward`, :func:`check_mlp`, :func:`check_train_moons`)
"""

from __future__ import annotations

# `name as name`: not in __all__ but still reachable as selfcheck.<name>, as in the single module this
# package replaced: the public names outside __all__, and two private helpers the tests use.
from .feedback import (
    NOT_ATTEMPTED,
    TOL,
    Feedback,
    check_answer,
    check_choice,
    evaluate_answer,
    evaluate_choice,
    evaluate_exercise,
    not_attempted,
    run_exercise_check,
)
from .feedback import Answer as Answer
from .feedback import Mistakes as Mistakes
from .hw1 import LOCAL_RULE_FOR_OP as LOCAL_RULE_FOR_OP
from .hw1 import LOCAL_RULES, check_local_rule, check_rules_in_engine, evaluate_local_rule, evaluate_rules_in_engine
from .hw1 import LocalRule as LocalRule
from .hw1 import LocalRuleSpec as LocalRuleSpec
from .hw2 import DEEP_CHAIN as DEEP_CHAIN
from .hw2 import _graph_micrograd as _graph_micrograd
from .hw2 import (
    check_backward,
    check_topological_sort,
    check_train_xor,
    evaluate_backward,
    evaluate_topological_sort,
    evaluate_train_xor,
)
from .hw3 import _two_layer_reference as _two_layer_reference
from .hw3 import (
    check_activation_backward,
    check_linear_backward,
    check_softmax_cross_entropy_backward,
    check_two_layer_backward,
    evaluate_activation_backward,
    evaluate_linear_backward,
    evaluate_softmax_cross_entropy_backward,
    evaluate_two_layer_backward,
)
from .hw4 import (
    check_mlp,
    check_train_moons,
    check_value_backward,
    check_value_ops,
    check_value_reuse,
    evaluate_mlp,
    evaluate_train_moons,
    evaluate_value_backward,
    evaluate_value_ops,
    evaluate_value_reuse,
)

__all__ = [
    "evaluate_value_reuse",
    "evaluate_value_ops",
    "evaluate_value_backward",
    "evaluate_train_moons",
    "evaluate_mlp",
    "check_value_reuse",
    "check_value_ops",
    "check_value_backward",
    "check_train_moons",
    "check_mlp",
    "LOCAL_RULES",
    "NOT_ATTEMPTED",
    "TOL",
    "Feedback",
    "check_activation_backward",
    "check_answer",
    "check_backward",
    "check_choice",
    "check_linear_backward",
    "check_local_rule",
    "check_rules_in_engine",
    "check_softmax_cross_entropy_backward",
    "check_topological_sort",
    "check_train_xor",
    "check_two_layer_backward",
    "evaluate_activation_backward",
    "evaluate_answer",
    "evaluate_backward",
    "evaluate_choice",
    "evaluate_exercise",
    "evaluate_linear_backward",
    "evaluate_local_rule",
    "evaluate_rules_in_engine",
    "evaluate_softmax_cross_entropy_backward",
    "evaluate_topological_sort",
    "evaluate_train_xor",
    "evaluate_two_layer_backward",
    "not_attempted",
    "run_exercise_check",
]
