"""Self-checks of hw4, micrograd from scratch: the learner's own ``Value``, ``MLP`` and training loop.

Every check builds the same expression twice, with the learner's class and with the
course's engine (:class:`backprop_course.engine.Value`), and compares the forward
values and every leaf's gradient. Where they differ, it recomputes the answer the
way each classic mistake would (``=`` instead of ``+=``, a missing reflected
operator, the input instead of the output in ``tanh``'s rule, rules run in the wrong
order...) and names the one that matches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import data, losses
from ..engine import BACKWARD_RULES, topological_order
from ..engine import Value as CourseValue
from ..nn import MLP as CourseMLP
from .feedback import TOL, Feedback, _call, _fmt, _rel, first_failing
from .hw_training import describe_split, diagnose_history, first_difference, reference_history, set_parameters

__all__ = [
    "DEEP_CHAIN",
    "MOONS",
    "MOONS_LR",
    "MOONS_SIZES",
    "MOONS_STEPS",
    "check_mlp",
    "course_mlp",
    "MLP_VARIANTS",
    "check_train_moons",
    "check_value_backward",
    "check_value_ops",
    "check_value_reuse",
    "evaluate_mlp",
    "evaluate_train_moons",
    "evaluate_value_backward",
    "evaluate_value_ops",
    "evaluate_value_reuse",
    "moons_data",
]

#: depth of the chain that catches a recursive topological sort (Python's limit is 1000)
DEEP_CHAIN = 5000
#: the training set and the run the notebook asks for
MOONS = {"n": 30, "noise": 0.1, "seed": 0}
MOONS_SIZES = [8, 8, 1]
MOONS_STEPS = 80
MOONS_LR = 0.5

Leaves = dict[str, float]


@dataclass(frozen=True)
class _Case:
    """One expression of the learner's ``Value``: its text, how to build it, and known wrong answers."""

    expression: str
    build: Callable[..., Any]
    leaves: Leaves
    #: (wrong gradients of the leaves, hint)
    wrong: Sequence[tuple[Callable[[Leaves], dict[str, float]], str]] = field(default=())
    #: hint when the forward value is wrong
    forward_hint: str = ""
    #: hint when building it raises TypeError (a missing operator)
    type_hint: str = ""


def _reflected(symbol: str, method: str, example: str) -> str:
    return (
        f"Python computes `{example}` by calling the number's {symbol} first; when that fails it calls "
        f"your Value's `{method}`. Define `{method}(self, other)` (see the list of methods in the exercise)."
    )


def _t(a: float) -> float:
    return math.tanh(a)


#: primitives first (+, *, **, tanh, exp, relu), then what is built from them, so a wrong primitive is named
#: before the composite ops (-, /, numbers on the left) that inherit its error
_CASES: tuple[_Case, ...] = (
    _Case("a + b", lambda a, b: a + b, {"a": 1.5, "b": -2.0}),
    _Case(
        "a * b",
        lambda a, b: a * b,
        {"a": 1.5, "b": -2.0},
        [
            (
                lambda v: {"a": v["a"], "b": v["b"]},
                "∂(a·b)/∂a is the *other* input b: self.grad += other.data * out.grad.",
            ),
        ],
    ),
    _Case(
        "a ** 3",
        lambda a: a**3,
        {"a": 1.5},
        [
            (lambda v: {"a": 3 * v["a"] ** 3}, "the power rule lowers the exponent: n·aⁿ⁻¹, not n·aⁿ."),
            (lambda v: {"a": v["a"] ** 2}, "the power rule brings the exponent down as a factor: n·aⁿ⁻¹."),
        ],
        "",
        "define `__pow__(self, n)` for a number n.",
    ),
    _Case(
        "a ** -1",
        lambda a: a**-1,
        {"a": 1.5},
        [(lambda v: {"a": v["a"] ** -2}, "the power rule brings the exponent down as a factor: n·aⁿ⁻¹ = -a⁻².")],
    ),
    _Case(
        "a.tanh()",
        lambda a: a.tanh(),
        {"a": 0.8},
        [
            (
                lambda v: {"a": 1 - v["a"] ** 2},
                "you used the input: ∂tanh(a)/∂a = 1 - tanh(a)² = 1 - t², with t the output, not 1 - a².",
            ),
            (lambda v: {"a": 1 - _t(v["a"])}, "the derivative is 1 - t²: the square is missing."),
            (lambda v: {"a": _t(v["a"])}, "multiply out.grad by the *derivative* 1 - t², not by t itself."),
        ],
        "tanh(a) = (e^{2a} - 1) / (e^{2a} + 1), or math.tanh(self.data).",
        "define `tanh(self)`.",
    ),
    _Case(
        "a.exp()",
        lambda a: a.exp(),
        {"a": 0.8},
        [
            (lambda v: {"a": v["a"]}, "∂eᵃ/∂a = eᵃ, the output: self.grad += out.data * out.grad."),
            (lambda v: {"a": math.exp(math.exp(v["a"]))}, "out.data is already eᵃ: do not take exp of it again."),
        ],
        "",
        "define `exp(self)`.",
    ),
    _Case(
        "a.relu() with a > 0",
        lambda a: a.relu(),
        {"a": 1.3},
        [(lambda v: {"a": v["a"]}, "relu's slope is 1 where a > 0: self.grad += (out.data > 0) * out.grad.")],
        "relu(a) = max(0, a).",
        "define `relu(self)`.",
    ),
    _Case(
        "a.relu() with a < 0",
        lambda a: a.relu(),
        {"a": -0.7},
        [(lambda v: {"a": 1.0}, "relu is flat where a < 0: no gradient flows there.")],
        "relu(a) = max(0, a): 0 for negative a.",
    ),
    _Case(
        "a.relu() at the kink a = 0",
        lambda a: a.relu(),
        {"a": 0.0},
        [(lambda v: {"a": 1.0}, "take the slope 0 at a = 0 (like PyTorch): use `> 0`, not `>= 0`.")],
        "relu(0) = 0.",
    ),
    _Case(
        "a - b",
        lambda a, b: a - b,
        {"a": 1.5, "b": -2.0},
        [(lambda v: {"a": 1.0, "b": 1.0}, "∂(a - b)/∂b = -1: b's gradient has the opposite sign of a's.")],
        "a - b is a + (-b): build it from __add__ and __neg__.",
        "define `__sub__(self, other)`: return self + (-other).",
    ),
    _Case(
        "a / b",
        lambda a, b: a / b,
        {"a": 1.5, "b": -2.0},
        [
            (lambda v: {"a": 1 / v["b"], "b": -1 / v["b"] ** 2}, "∂(a/b)/∂b = -a/b²: the factor a is missing."),
            (lambda v: {"a": v["b"], "b": v["a"]}, "a/b is a·b⁻¹, not a·b: build it as self * other**-1."),
        ],
        "a / b is a * b**-1.",
        "define `__truediv__(self, other)`: return self * other**-1.",
    ),
    _Case("-a", lambda a: -a, {"a": 1.5}, (), "", "define `__neg__(self)`: return self * -1."),
    _Case("a + 2", lambda a: a + 2, {"a": 1.5}, (), "", "wrap a plain number in a Value inside __add__."),
    _Case("2 + a", lambda a: 2 + a, {"a": 1.5}, (), "", _reflected("__add__", "__radd__", "2 + a")),
    _Case("a - 2", lambda a: a - 2, {"a": 1.5}, (), "", "wrap a plain number in a Value (in __add__)."),
    _Case(
        "1 - a",
        lambda a: 1 - a,
        {"a": 1.5},
        [(lambda v: {"a": 1.0}, "∂(1 - a)/∂a = -1: in __rsub__ compute other + (-self), not self - other.")],
        "`1 - a` calls a.__rsub__(1), which must compute 1 - a = other - self (not self - other).",
        _reflected("__sub__", "__rsub__", "1 - a"),
    ),
    _Case("a * 2", lambda a: a * 2, {"a": 1.5}, (), "", "wrap a plain number in a Value inside __mul__."),
    _Case("2 * a", lambda a: 2 * a, {"a": 1.5}, (), "", _reflected("__mul__", "__rmul__", "2 * a")),
    _Case("a / 2", lambda a: a / 2, {"a": 1.5}),
    _Case(
        "2 / a",
        lambda a: 2 / a,
        {"a": 1.5},
        [(lambda v: {"a": 0.5}, "`2 / a` calls a.__rtruediv__(2), which must compute 2 / a = other * self**-1.")],
        "`2 / a` calls a.__rtruediv__(2), which must compute 2 / a = other * self**-1 (not self / other).",
        _reflected("__truediv__", "__rtruediv__", "2 / a"),
    ),
)


class _Mistake(Exception):
    """A learner's object lacks what the check needs; the message says what."""


def _leaves(value_class: type, leaves: Leaves) -> dict[str, Any]:
    return {name: value_class(x) for name, x in leaves.items()}


def _data(node: Any, what: str) -> float:
    if not hasattr(node, "data"):
        raise _Mistake(f"{what} is a {type(node).__name__}, which has no .data: every op must return a Value.")
    x = node.data
    if isinstance(x, bool) or not isinstance(x, (int, float, np.floating, np.integer)):
        raise _Mistake(f"{what}.data is a {type(x).__name__} ({x!r}), expected a float.")
    return float(x)


def _grad(node: Any, what: str) -> float:
    if not hasattr(node, "grad"):
        raise _Mistake(f"{what} has no .grad: set self.grad = 0.0 in __init__.")
    x = node.grad
    if isinstance(x, bool) or not isinstance(x, (int, float, np.floating, np.integer)):
        raise _Mistake(f"{what}.grad is a {type(x).__name__} ({x!r}), expected a float.")
    return float(x)


def _reference(case: _Case) -> tuple[float, dict[str, float]]:
    nodes = _leaves(CourseValue, case.leaves)
    root = case.build(*nodes.values())
    root.backward()
    return root.data, {k: v.grad for k, v in nodes.items()}


def _basics(value_class: type) -> Feedback | None:
    """Value(x) has data, grad = 0 and _prev; an op's result lists its inputs in _prev."""
    name = "Value"
    a: Any = _call(value_class, name, "making Value(2.0)", 2.0)
    b = value_class(-3.0)
    try:
        if _data(a, "Value(2.0)") != 2.0:
            return Feedback(name, False, f"Value(2.0).data is {_fmt(a.data)}.", hint="store the number in self.data.")
        if _grad(a, "Value(2.0)") != 0.0:
            return Feedback(name, False, "a new Value's grad is not 0.", hint="start with self.grad = 0.0.")
    except _Mistake as err:
        return Feedback(name, False, str(err), hint="see the list of attributes in the exercise.", mistake="attribute")
    if not hasattr(a, "_prev"):
        return Feedback(
            name,
            False,
            "Value(2.0) has no _prev.",
            hint="keep the inputs a node was computed from in self._prev (empty for a leaf).",
            mistake="no_prev",
        )
    try:
        c = a * b
        prev = list(c._prev)
    except TypeError:
        return None  # the op cases explain a missing operator
    if not any(p is a for p in prev) or not any(p is b for p in prev):
        return Feedback(
            name,
            False,
            "(a * b)._prev does not hold a and b.",
            hint="each op must create its output with its inputs as children: Value(data, (self, other)).",
            mistake="no_prev",
        )
    return None


def _run_case(value_class: type, case: _Case) -> Feedback | None:
    """None if the learner's class gets ``case`` right, else the feedback."""
    name = "Value"
    where = f"`{case.expression}` at " + ", ".join(f"{k} = {_fmt(v)}" for k, v in case.leaves.items())
    want_data, want = _reference(case)
    nodes = _leaves(value_class, case.leaves)
    try:
        root = case.build(*nodes.values())
    except TypeError as err:
        hint = case.type_hint or "check that the operator is defined."
        return Feedback(name, False, f"{where}: TypeError: {err}", hint=hint, mistake="missing_operator")
    except NotImplementedError:
        raise
    except (AttributeError, AssertionError) as err:
        hint = case.type_hint or "define the method (see the list in the exercise)."
        return Feedback(name, False, f"{where}: {type(err).__name__}: {err}", hint=hint, mistake="missing_operator")
    try:
        got_data = _data(root, f"`{case.expression}`")
    except _Mistake as err:
        return Feedback(name, False, f"{where}: {err}", hint=case.type_hint or None, mistake="not_a_value")
    if _rel(got_data, want_data) > TOL:
        return Feedback(
            name,
            False,
            f"{where}: the forward value is wrong.",
            (f"expected {_fmt(want_data)}, got {_fmt(got_data)}",),
            case.forward_hint or "check the forward computation of this op.",
            "forward",
        )
    if not hasattr(root, "backward"):
        return Feedback(
            name, False, "your Value has no backward().", hint="define backward(self).", mistake="no_backward"
        )
    _call(root.backward, name, f"in backward() of {where}", handled=(RecursionError,))
    try:
        got = {k: _grad(v, k) for k, v in nodes.items()}
        root_grad = _grad(root, "the root")
    except _Mistake as err:
        return Feedback(name, False, f"{where}: {err}", mistake="attribute")
    bad = [k for k in want if _rel(got[k], want[k]) > TOL]
    if not bad:
        return None
    k = bad[0]
    details = (f"expected d/d{k} = {_fmt(want[k])}, got {_fmt(got[k])}",)
    if root_grad != 1.0 and all(g == 0.0 for g in got.values()):
        return Feedback(
            name,
            False,
            f"{where}: no gradient reached the inputs.",
            details,
            "backward() must start with self.grad = 1.0 (dL/dL = 1): every other gradient is a multiple of it.",
            "root_not_seeded",
        )
    for wrong, hint in case.wrong:
        predicted = wrong(case.leaves)
        if all(_rel(got[n], predicted[n]) <= 1e-6 for n in predicted):
            return Feedback(name, False, f"{where}: wrong gradient for {k}.", details, hint, "rule")
    cause = _other_cause(value_class, ["backward"])
    if cause is not None and cause.mistake in ("order", "root_not_seeded", "twice", "recursion"):
        return Feedback(name, False, f"{where}: wrong gradient for {k}.", details, _because(cause), cause.mistake)
    if all(g == 0.0 for g in got.values()):
        hint = "no gradient reached the inputs: does this op set out._backward, and does backward() call it?"
        return Feedback(name, False, f"{where}: wrong gradient for {k}.", details, hint, "no_rule")
    return Feedback(
        name,
        False,
        f"{where}: wrong gradient for {k}.",
        details,
        "check this op's _backward: self.grad += (local derivative) * out.grad.",
        None,
    )


_looking_for_cause = False


def _other_cause(value_class: type, checks: Sequence[str]) -> Feedback | None:
    """The first of the other Value checks (``"ops"``, ``"reuse"``, ``"backward"``) that fails with a named mistake.

    A wrong gradient in one check often comes from a mistake another check names precisely (a rule run in
    the wrong order makes ``a - b`` wrong; a wrong tanh rule makes a reused node wrong): the earliest
    root cause gives the hint. Not reentrant: the checks it runs do not look further.
    """
    global _looking_for_cause
    if _looking_for_cause:
        return None
    _looking_for_cause = True
    try:
        evaluate = {"ops": evaluate_value_ops, "reuse": evaluate_value_reuse, "backward": evaluate_value_backward}
        for check in checks:
            try:
                fb = evaluate[check](value_class)
            except Exception:
                continue
            if not fb.passed and fb.mistake is not None:
                return fb
        return None
    finally:
        _looking_for_cause = False


def _because(fb: Feedback) -> str:
    return f"the cause is probably elsewhere: {fb.message} Hint: {fb.hint}"


def evaluate_value_ops(value_class: type) -> Feedback:
    """Check every op of the learner's ``Value`` against the course engine (forward value and gradients)."""
    first = _basics(value_class)
    if first is not None:
        return first
    for case in _CASES:
        fb = _run_case(value_class, case)
        if fb is not None:
            return fb
    return Feedback(
        "Value",
        True,
        f"{len(_CASES)} expressions (every op, numbers on either side, relu at its kink) give the course engine's "
        "values and gradients.",
    )


def check_value_ops(value_class: type) -> None:
    """Print :func:`evaluate_value_ops`'s feedback."""
    print(evaluate_value_ops(value_class))


# ------------------------------------------------------------------ reused nodes


def evaluate_value_reuse(value_class: type) -> Feedback:
    """``a + a``, ``a * a`` and a node used by three others: gradients must accumulate (``+=``)."""
    name = "Value (reused nodes)"
    accumulate = (
        "a node used more than once must receive the *sum* of the gradients from all its uses: "
        "in every _backward write `+=`, never `=`."
    )
    a0 = 1.5
    for expression, build, want, assigned in (
        ("a + a", lambda a: a + a, 2.0, 1.0),
        ("a * a", lambda a: a * a, 2 * a0, a0),
    ):
        a = _call(value_class, name, "making a Value", a0)
        root = build(a)
        _call(root.backward, name, f"in backward() of `{expression}`")
        got = _grad(a, "a")
        if _rel(got, want) > TOL:
            op = "__add__" if "+" in expression else "__mul__"
            mistake: str | None = "assigned"
            hint = accumulate + f" Here both inputs of {op} are the same node a."
            if _rel(got, assigned) > 1e-9:
                cause = _other_cause(value_class, ["ops", "backward"])
                hint, mistake = (
                    (_because(cause), cause.mistake) if cause is not None else ("check the rule of this op.", None)
                )
            return Feedback(
                name,
                False,
                f"`{expression}` at a = {_fmt(a0)}: wrong gradient for a.",
                (f"expected {_fmt(want)}, got {_fmt(got)}",),
                hint,
                mistake,
            )
    # x is used by three nodes: x * 3, tanh(x), x + c
    values = {"a": 0.5, "b": -1.5, "c": 0.25}

    def three(a: Any, b: Any, c: Any) -> tuple[Any, Any]:
        x = a * b
        return x * 3.0 + x.tanh() + (x + c), x

    nodes = {k: _call(value_class, name, "making a Value", v) for k, v in values.items()}
    root, x = three(*nodes.values())
    _call(root.backward, name, "in backward() of `x*3 + tanh(x) + (x + c)`")
    xv = values["a"] * values["b"]
    contributions = [3.0, 1 - math.tanh(xv) ** 2, 1.0]
    want_x = sum(contributions)
    got_x = _grad(x, "x")
    if _rel(got_x, want_x) > TOL:
        one = any(_rel(got_x, cont) <= 1e-9 for cont in contributions)
        hint, mistake = accumulate + " x kept only one of its three contributions.", "assigned"
        if not one:
            cause = _other_cause(value_class, ["ops", "backward"])
            hint, mistake = (
                (_because(cause), cause.mistake) if cause is not None else ("add up all three contributions.", None)
            )
        return Feedback(
            name,
            False,
            "x = a·b used by three nodes (x·3, tanh(x), x + c): wrong gradient for x.",
            (f"expected dL/dx = 3 + (1 - tanh²x) + 1 = {_fmt(want_x)}, got {_fmt(got_x)}",),
            hint,
            mistake,
        )
    got_a = _grad(nodes["a"], "a")
    if _rel(got_a, want_x * values["b"]) > TOL:
        return Feedback(
            name,
            False,
            "x = a·b used by three nodes: x's gradient is right, a's is not.",
            (f"expected dL/da = {_fmt(want_x * values['b'])}, got {_fmt(got_a)}",),
            "x's rule must run once, after all three users have added to x.grad: walk the topological order backwards.",
            "order",
        )
    return Feedback(name, True, "a + a, a * a and a node used by three others all accumulate their gradients.")


def check_value_reuse(value_class: type) -> None:
    """Print :func:`evaluate_value_reuse`'s feedback."""
    print(evaluate_value_reuse(value_class))


# -------------------------------------------------------------------- backward()


def _diamond(v: Callable[[float], Any]) -> tuple[Any, list[Any]]:
    """L = y·x + y with y = tanh(x), x = a·b: x feeds y and L, so the order of the rules matters."""
    a, b = v(0.7), v(-0.4)
    x = a * b
    y = x.tanh()
    return y * x + y, [a, b]


def _course_grads_in_order(forwards: bool) -> list[float]:
    """The leaves' gradients of :func:`_diamond` when the course's rules run children-first."""
    root, leaves = _diamond(CourseValue)
    order = topological_order(root)
    root.grad = 1.0
    for node in order if forwards else reversed(order):
        BACKWARD_RULES[node.op](node)
    return [leaf.grad for leaf in leaves]


def evaluate_value_backward(value_class: type) -> Feedback:
    """``backward()``: the root's gradient, the order of the rules, and a chain :data:`DEEP_CHAIN` deep."""
    name = "backward"
    root, leaves = _diamond(lambda x: _call(value_class, name, "making a Value", x))
    _call(root.backward, name, "on L = y·x + y, y = tanh(x), x = a·b")
    ref_root, ref_leaves = _diamond(CourseValue)
    ref_root.backward()
    got = [_grad(leaf, "a leaf") for leaf in leaves]
    want = [leaf.grad for leaf in ref_leaves]
    if _rel(_grad(root, "the root"), 1.0) > TOL:
        return Feedback(
            name,
            False,
            f"after L.backward(), L.grad is {_fmt(root.grad)}.",
            hint="backward() must set self.grad = 1.0 (dL/dL) before running the rules.",
            mistake="root_not_seeded",
        )
    bad = [i for i in range(2) if _rel(got[i], want[i]) > TOL]
    if bad:
        i = bad[0]
        details = (
            f"on L = y·x + y, y = tanh(x), x = a·b: expected d/d{'ab'[i]} = {_fmt(want[i])}, got {_fmt(got[i])}",
        )
        forwards = _course_grads_in_order(forwards=True)
        if all(_rel(g, f) <= 1e-9 for g, f in zip(got, forwards)):
            hint, mistake = (
                "the rules ran children first: a node's _backward may only run once its grad is complete, so walk "
                "the topological order *backwards* (for node in reversed(topo)).",
                "order",
            )
        elif all(_rel(g, 2 * w) <= 1e-9 for g, w in zip(got, want)):
            hint, mistake = (
                "every gradient is doubled: is some node's _backward run twice? Keep a visited set.",
                "twice",
            )
        elif evaluate_value_reuse(value_class).mistake == "assigned":
            hint, mistake = (
                "x feeds two nodes, and one of your _backward functions assigns (=) instead of adding (+=): the "
                "reused-nodes check above says which. Fix that first.",
                "assigned",
            )
        elif (cause := _other_cause(value_class, ["ops"])) is not None:
            hint, mistake = _because(cause), cause.mistake or ""
        else:
            hint, mistake = (
                "each node's _backward must run exactly once, after every node that uses it: build the topological "
                "order with a visited set and walk it backwards.",
                None,
            )
        return Feedback(name, False, "wrong gradients on a graph where x feeds two nodes.", details, hint, mistake)
    x: Any = _call(value_class, name, "making a Value", 1.0)
    chain = x
    for _ in range(DEEP_CHAIN):
        chain = chain * 1.0001
    try:
        _call(chain.backward, name, f"on a chain {DEEP_CHAIN} multiplications deep", handled=(RecursionError,))
    except RecursionError:
        return Feedback(
            name,
            False,
            f"hit Python's recursion limit on a chain {DEEP_CHAIN} multiplications deep.",
            hint="a recursive topological sort needs one stack frame per level and Python allows about 1000: "
            "keep your own stack (a list) in a while loop instead.",
            mistake="recursion",
        )
    want_x = 1.0001**DEEP_CHAIN
    if _rel(_grad(x, "x"), want_x) > 1e-9:
        return Feedback(
            name,
            False,
            f"wrong gradient at the start of a chain {DEEP_CHAIN} deep.",
            (f"expected {_fmt(want_x)}, got {_fmt(x.grad)}",),
            "every node of the chain must be in the topological order, once.",
            None,
        )
    return Feedback(
        name, True, f"right gradients where the order matters, and on a chain {DEEP_CHAIN} deep (no recursion)."
    )


def check_value_backward(value_class: type) -> None:
    """Print :func:`evaluate_value_backward`'s feedback."""
    print(evaluate_value_backward(value_class))


# ------------------------------------------------------------------------- the MLP


#: wrong MLPs a learner may build: (how the course's MLP is built or read, hint, mistake id)
MLP_VARIANTS: tuple[tuple[dict[str, str], str, str], ...] = (
    (dict(order="bias_first"), "parameters() must list each neuron's weights first, then its bias.", "order"),
    (
        dict(order="layer"),
        "parameters() goes neuron by neuron (weights then bias), not all weights first.",
        "order",
    ),
    (
        dict(output_activation="relu"),
        "the last layer must be linear (no relu): its output is a raw score.",
        "output_relu",
    ),
    (
        dict(activation="linear"),
        "the hidden layers need their relu: without it the MLP is one linear map.",
        "no_relu",
    ),
    (dict(activation="tanh"), "the hidden layers use relu (as micrograd), not tanh.", "tanh"),
)


def course_mlp(nin: int, nouts: Sequence[int], weights: Sequence[float], order: str = "right", **kw: Any) -> Any:
    """The course's MLP with the given weights, read in ``parameters()`` order or a known wrong one."""
    model = CourseMLP(nin, list(nouts), **kw)
    if order == "right":
        return set_parameters(model, weights)
    if order == "bias_first":
        params = [p for layer in model.layers for n in layer.neurons for p in (n.b, *n.w)]
    else:  # weights of a whole layer, then its biases
        params = [
            p
            for layer in model.layers
            for p in [*(w for n in layer.neurons for w in n.w), *(n.b for n in layer.neurons)]
        ]
    for p, w in zip(params, weights):
        p.data = float(w)
    return model


def _scalar_output(out: object) -> object:
    return out[0] if isinstance(out, list) and len(out) == 1 else out


def evaluate_mlp(mlp_class: type) -> Feedback:
    """``MLP(3, [4, 4, 1])``: parameter count and order, the forward pass, and ``zero_grad``."""
    name = "MLP"
    nin, nouts = 3, [4, 4, 1]
    sizes = [nin, *nouts]
    count = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(nouts)))
    model: Any = _call(mlp_class, name, "making MLP(3, [4, 4, 1])", nin, nouts)
    params = _call(model.parameters, name, "calling parameters()")
    if not isinstance(params, list):
        return Feedback(name, False, f"parameters() returned a {type(params).__name__}.", hint="return a list.")
    if len(params) != count:
        hint = "per neuron: its nin weights, then its bias; per layer: every neuron; all layers in order."
        if len(params) == count - sum(nouts):
            hint = "the biases are missing: each neuron has one bias besides its weights."
        return Feedback(
            name,
            False,
            f"MLP(3, [4, 4, 1]).parameters() has {len(params)} entries, expected {count}.",
            ("(3+1)·4 + (4+1)·4 + (4+1)·1 = 41: each neuron has nin weights and one bias",),
            hint,
            "count",
        )
    rng = np.random.default_rng(4)
    weights = rng.uniform(-1, 1, size=count).round(3).tolist()
    for p, w in zip(params, weights):
        p.data = w
    inputs = [[0.5, -1.0, 2.0], [-0.3, 0.8, 0.1], [1.2, 0.4, -0.9]]
    got = [
        _data(_scalar_output(_call(model, name, f"calling the model on {x}", x)), "the model's output") for x in inputs
    ]
    want = [course_mlp(nin, nouts, weights)(x).data for x in inputs]
    if any(_rel(g, w) > TOL for g, w in zip(got, want)):
        details = (f"with the same 41 weights, on x = {inputs[0]}: expected {_fmt(want[0])}, got {_fmt(got[0])}",)
        for kw, hint, mistake in MLP_VARIANTS:
            kw = dict(kw)
            order = kw.pop("order", "right")
            other = course_mlp(nin, nouts, weights, order, **kw)
            if all(_rel(g, other(x).data) <= 1e-9 for g, x in zip(got, inputs)):
                return Feedback(name, False, "the forward pass differs from the course's MLP.", details, hint, mistake)
        return Feedback(
            name,
            False,
            "the forward pass differs from the course's MLP.",
            details,
            "a neuron computes relu(w·x + b) (no relu in the last layer); a layer feeds its outputs to the next.",
            None,
        )
    for p in params:
        p.grad = 0.5
    _call(model.zero_grad, name, "calling zero_grad()")
    stale = sum(1 for p in params if _grad(p, "a parameter") != 0.0)
    if stale:
        return Feedback(
            name,
            False,
            f"after zero_grad(), {stale} of the {count} parameters still have a gradient.",
            hint="zero_grad() must set p.grad = 0.0 for every p in self.parameters().",
            mistake="zero_grad",
        )
    return Feedback(
        name, True, "41 parameters in the course's order, the same outputs as its MLP, and zero_grad works."
    )


def check_mlp(mlp_class: type) -> None:
    """Print :func:`evaluate_mlp`'s feedback."""
    print(evaluate_mlp(mlp_class))


# -------------------------------------------------------------------------- training


def moons_data() -> tuple[np.ndarray, np.ndarray]:
    """The hw4 training set: :data:`MOONS` moons, labels -1/+1."""
    X, y = data.moons(n=int(MOONS["n"]), noise=MOONS["noise"], seed=int(MOONS["seed"]))
    return X, 2.0 * y - 1.0


def _hinge(X: np.ndarray, y: np.ndarray) -> Callable[[Any], CourseValue]:
    return lambda model: losses.hinge([model(x) for x in X], y)


def _earlier_failure(mlp_class: type) -> str:
    """The name of an earlier check that fails (its failure explains a wrong training run), or ``""``."""
    scope = getattr(getattr(mlp_class, "__init__", None), "__globals__", {})
    value_class = scope.get("Value") if isinstance(scope, dict) else None
    checks: list[tuple[str, Callable[[], Feedback]]] = []
    if isinstance(value_class, type):
        checks += [
            ("your Value", lambda: evaluate_value_ops(value_class)),
            ("your Value (reused nodes)", lambda: evaluate_value_reuse(value_class)),
            ("your backward()", lambda: evaluate_value_backward(value_class)),
        ]
    checks.append(("your MLP", lambda: evaluate_mlp(mlp_class)))
    return first_failing(checks)


def evaluate_train_moons(
    train_moons: Callable[..., object] | tuple[Any, Any],
    mlp_class: type,
    steps: int = MOONS_STEPS,
    lr: float = MOONS_LR,
    seed: int = 0,
) -> Feedback:
    """Check ``train_moons(steps, lr, seed) -> (model, losses)`` step by step against the course engine.

    ``train_moons`` is the function (the check calls it) or the ``(model, losses)`` it returned
    for these ``steps, lr, seed``.

    The reference starts from the weights of the learner's own ``MLP(2, [8, 8, 1], seed=seed)``
    and runs the same loop (mean hinge loss, ``zero_grad``, ``backward``, ``p.data -= lr * p.grad``)
    on the course engine; a history that parts from it is compared with runs making
    each classic mistake (:mod:`.hw_training`).
    """
    name = "train_moons"
    X, y = moons_data()
    start: Any = _call(lambda: mlp_class(2, MOONS_SIZES, seed=seed), name, f"making MLP(2, {MOONS_SIZES}, seed={seed})")
    weights = [float(p.data) for p in start.parameters()]
    if callable(train_moons):
        result = _call(train_moons, name, f"train_moons(steps={steps}, lr={lr}, seed={seed})", steps, lr, seed)
    else:
        result = train_moons  # what train_moons(steps, lr, seed) returned
    if not (isinstance(result, tuple) and len(result) == 2):
        return Feedback(
            name, False, "train_moons should return (model, losses).", hint="return model, history", mistake="structure"
        )
    model, history = result
    if not isinstance(history, list) or len(history) != steps:
        what = f"a list of {len(history)}" if isinstance(history, list) else type(history).__name__
        return Feedback(
            name,
            False,
            f"losses is {what}; expected {steps} floats.",
            hint="append loss.data once per step.",
            mistake="length",
        )
    try:
        got = [float(h) for h in history]
    except (TypeError, ValueError):
        return Feedback(name, False, "losses holds something other than floats.", hint="append loss.data, the float.")

    def fresh() -> Any:
        return course_mlp(2, MOONS_SIZES, weights)

    want = reference_history(fresh(), _hinge(X, y), steps, lr)
    k = first_difference(got, want)
    if k is not None:
        details = (describe_split(got, want, k),)
        earlier = _earlier_failure(mlp_class)
        if earlier:  # the root cause comes first: a wrong Value or MLP can mimic a wrong loop
            return Feedback(
                name,
                False,
                f"your training leaves the reference trajectory at step {k}.",
                details,
                f"{earlier} fails its self-check above: fix that first; this failure may follow from it.",
                "earlier",
            )
        if k == 0:
            return Feedback(
                name,
                False,
                "the very first loss differs from the reference.",
                details,
                f"build the model as MLP(2, {MOONS_SIZES}, seed=seed) and use the mean hinge loss "
                "mean(relu(1 - y·score)) over all points, with labels -1/+1.",
                "loss",
            )
        hint, mistake = diagnose_history(got, fresh, _hinge(X, y), lr)
        return Feedback(
            name, False, f"your training leaves the reference trajectory at step {k}.", details, hint, mistake
        )
    scores = [_data(_scalar_output(model(list(x))), "the model's output") for x in X]
    accuracy = float(np.mean([(s > 0) == (t > 0) for s, t in zip(scores, y)]))
    if accuracy < 1.0:
        return Feedback(
            name,
            False,
            f"the losses are right, but the returned model classifies {accuracy:.0%} of the points right.",
            hint="return the model you trained (not a fresh one).",
            mistake="model",
        )
    return Feedback(
        name,
        True,
        f"the same {steps} losses as the course engine from your initial weights ({got[0]:.4f} -> {got[-1]:.4f}), "
        "and 100% training accuracy.",
    )


def check_train_moons(
    train_moons: Callable[..., object] | tuple[Any, Any],
    mlp_class: type,
    steps: int = MOONS_STEPS,
    lr: float = MOONS_LR,
    seed: int = 0,
) -> None:
    """Print :func:`evaluate_train_moons`'s feedback."""
    print(evaluate_train_moons(train_moons, mlp_class, steps, lr, seed))
