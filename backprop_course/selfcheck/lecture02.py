"""Self-checks of the practice exercises in notebook 02 (computation graphs and backprop).

- :func:`check_neuron_backward`: backpropagation by hand through
  :math:`o = \\tanh(x_1 w_1 + x_2 w_2 + b)`: the gradients of the weights and the bias;
- :func:`check_mul_backward`: the backward rule of ``*`` written to *add* into the inputs'
  ``grad`` (``+=``), so a node used twice (``a * a``) gets both contributions;
- :func:`check_backward_order`: which order the backward rules of a fan-out graph may run in.

Each ``check_*`` prints its feedback ("not attempted yet" while the exercise is the
untouched stub); the matching ``evaluate_*`` returns it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from .feedback import Feedback, _call, _fmt, _number_problem, _rel, evaluate_choice, run_exercise_check

__all__ = [
    "check_backward_order",
    "check_mul_backward",
    "check_neuron_backward",
    "evaluate_backward_order",
    "evaluate_mul_backward",
    "evaluate_neuron_backward",
]

_TOL = 1e-9

#: (x1, w1, x2, w2, b): the notebook's neuron, then points where x2 is not 0 and tanh is not saturated
_NEURON_POINTS = (
    (2.0, -3.0, 0.0, 1.0, 6.8813735870195432),
    (0.5, 1.2, -1.5, 0.4, 0.3),
    (-1.0, 0.7, 2.0, -0.6, 0.9),
)


def _neuron_mistakes(x1: float, w1: float, x2: float, w2: float, b: float) -> list[tuple[tuple[float, ...], str, str]]:
    n = x1 * w1 + x2 * w2 + b
    o = math.tanh(n)
    g = 1 - o**2
    return [
        ((x1, x2, 1.0), "forgot_tanh", "you skipped the tanh node: every gradient passes through it, times 1 - o**2."),
        ((w1 * g, w2 * g, g), "other_input", "d(x*w)/dw is the *other* input, x, not w itself."),
        (
            ((1 - n**2) * x1, (1 - n**2) * x2, 1 - n**2),
            "n_for_o",
            "tanh's local derivative is 1 - o**2 with o = tanh(n), not 1 - n**2.",
        ),
        ((o * x1, o * x2, o), "o_for_derivative", "you multiplied by o itself; tanh's local derivative is 1 - o**2."),
        ((g * x1, g * x2, 1.0), "bias_skips_tanh", "the bias also sits below the tanh: db = (1 - o**2) * 1."),
        (
            (g * x1, g * x2, 0.0),
            "bias_zero",
            "the + node passes the gradient to the bias unchanged: db = dn = 1 - o**2.",
        ),
    ]


def evaluate_neuron_backward(neuron_backward: Callable[..., object]) -> Feedback:
    """Check ``neuron_backward(x1, w1, x2, w2, b)`` = ``(do/dw1, do/dw2, do/db)``, o = tanh(x1 w1 + x2 w2 + b)."""
    name = "neuron_backward"
    for x1, w1, x2, w2, b in _NEURON_POINTS:
        where = f"at x1 = {x1}, w1 = {w1}, x2 = {x2}, w2 = {w2}, b = {_fmt(b)}"
        got = _call(neuron_backward, name, where, x1, w1, x2, w2, b)
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return Feedback(
                name,
                False,
                f"it returned {got!r}; expected three numbers (dw1, dw2, db).",
                hint="end with `return dw1, dw2, db`.",
                mistake="not_three",
            )
        values = []
        for label, item in zip(("dw1", "dw2", "db"), got):
            problem = _number_problem(item, label)
            if problem:
                return Feedback(name, False, problem[0], hint=problem[1], mistake="not_a_number")
            values.append(float(item))
        g = 1 - math.tanh(x1 * w1 + x2 * w2 + b) ** 2
        expected = (x1 * g, x2 * g, g)
        errors = [_rel(v, e) for v, e in zip(values, expected)]
        if max(errors) <= _TOL:
            continue
        worst = max(range(3), key=lambda i: errors[i])
        label = ("dw1", "dw2", "db")[worst]
        details = (
            where + f" (o = {_fmt(math.tanh(x1 * w1 + x2 * w2 + b))})",
            f"expected {label} = {_fmt(expected[worst])}, got {_fmt(values[worst])} "
            f"(relative error {errors[worst]:.1e})",
        )
        for wrong, mistake, hint in _neuron_mistakes(x1, w1, x2, w2, b):
            if all(_rel(v, w) <= _TOL for v, w in zip(values, wrong)):
                return Feedback(name, False, "not quite.", details, hint, mistake)
        return Feedback(
            name,
            False,
            "not quite.",
            details,
            "go backwards one node at a time: dn = (1 - o**2) * 1; the + nodes pass dn on; "
            "then d(x*w)/dw = x times the upstream gradient.",
        )
    return Feedback(name, True, f"correct at {len(_NEURON_POINTS)} points.")


def check_neuron_backward(neuron_backward: Callable[..., object]) -> None:
    """Print :func:`evaluate_neuron_backward`'s feedback."""
    run_exercise_check("neuron_backward", lambda: evaluate_neuron_backward(neuron_backward))


class _Node:
    """A stand-in for a graph node: just ``data`` and ``grad``, as the rule needs."""

    def __init__(self, data: float, grad: float = 0.0, label: str = "") -> None:
        self.data, self.grad, self.label = data, grad, label

    def __repr__(self) -> str:
        return f"{self.label}(data={_fmt(self.data)}, grad={_fmt(self.grad)})"


def _run_rule(rule: Callable[..., object], a: _Node, b: _Node, out: _Node) -> None:
    _call(rule, "mul_backward", f"with self = {a}, other = {b}, out = {out}", a, b, out)


def evaluate_mul_backward(mul_backward: Callable[..., object]) -> Feedback:
    """Check ``mul_backward(self, other, out)``: adds ``other.data * out.grad`` to ``self.grad`` and vice versa.

    Three cases: two fresh inputs; two inputs that already hold gradient from another
    path (it must be added to, not replaced); one node used twice (``a * a``).
    """
    name = "mul_backward"
    hints = {
        "assign": "you replaced the gradient (`=`); a node can receive gradient from several uses: add with `+=`.",
        "swapped": "d(a*b)/da is the *other* input b: self.grad += other.data * out.grad.",
        "forgot_out": "multiply by the upstream gradient out.grad (the chain rule).",
        "returned": "the rule must *update* self.grad and other.grad (with +=), not return the gradients.",
    }

    def verdict(
        case: str, got: Sequence[float], expected: Sequence[float], wrongs: Mapping[str, Sequence[float]]
    ) -> Feedback | None:
        if all(_rel(g, e) <= _TOL for g, e in zip(got, expected)):
            return None
        shown = ", ".join(f"{_fmt(g)}" for g in got)
        want = ", ".join(f"{_fmt(e)}" for e in expected)
        details = (case, f"expected grad(s) {want}, got {shown}")
        for mistake, wrong in wrongs.items():
            if all(_rel(g, w) <= _TOL for g, w in zip(got, wrong)):
                return Feedback(name, False, "not quite.", details, hints[mistake], mistake)
        return Feedback(
            name, False, "not quite.", details, "self.grad += other.data * out.grad, and the same for other."
        )

    # 1. two fresh inputs
    a, b, out = _Node(2.0, label="a"), _Node(-3.0, label="b"), _Node(-6.0, grad=0.5, label="out")
    returned = _call(mul_backward, name, "with self = a(data=2), other = b(data=-3), out.grad = 0.5", a, b, out)
    got = (a.grad, b.grad)
    case = "a = 2, b = -3, out = a*b with out.grad = 0.5; a.grad and b.grad start at 0"
    if got == (0.0, 0.0) and returned is not None:
        return Feedback(
            name, False, "not quite.", (case, "a.grad and b.grad are still 0"), hints["returned"], "returned"
        )
    wrongs1 = {"swapped": (2.0 * 0.5, -3.0 * 0.5), "forgot_out": (-3.0, 2.0)}
    bad = verdict(case, got, (-1.5, 1.0), wrongs1)
    if bad is not None:
        return bad
    # 2. inputs that already hold gradient from another path
    a, b, out = _Node(2.0, grad=0.25, label="a"), _Node(-3.0, grad=-1.0, label="b"), _Node(-6.0, grad=0.5, label="out")
    _call(mul_backward, name, "with a.grad = 0.25 and b.grad = -1 already", a, b, out)
    case = "the same, but a.grad = 0.25 and b.grad = -1 already (from another use of a and b)"
    bad = verdict(case, (a.grad, b.grad), (0.25 - 1.5, -1.0 + 1.0), {"assign": (-1.5, 1.0)})
    if bad is not None:
        return bad
    # 3. one node used twice: q = x * x
    x, q = _Node(3.0, label="x"), _Node(9.0, grad=1.0, label="q")
    _call(mul_backward, name, "with self and other the same node x (q = x * x)", x, x, q)
    case = "q = x * x at x = 3 (self and other are the same node), q.grad = 1"
    bad = verdict(case, (x.grad,), (6.0,), {"assign": (3.0,)})
    if bad is not None:
        return bad
    return Feedback(name, True, "correct: it adds into both inputs, also when both are the same node (x * x gives 2x).")


def check_mul_backward(mul_backward: Callable[..., object]) -> None:
    """Print :func:`evaluate_mul_backward`'s feedback."""
    run_exercise_check("mul_backward", lambda: evaluate_mul_backward(mul_backward))


_ORDER_EXPLANATIONS: dict[object, str] = {
    "a": "y runs before z, which also uses y: y would pass on an incomplete gradient.",
    "b": "z uses y, so z runs first; L uses both, so L runs before them.",
    "c": "that is the forward (topological) order; the backward pass walks it in reverse.",
}


def evaluate_backward_order(backward_order: Callable[[], object]) -> Feedback:
    """Check the letter ``backward_order()`` returns: (b), ``L, z, y``."""
    got = _call(backward_order, "backward_order", "")
    return evaluate_choice("backward_order", got, "b", _ORDER_EXPLANATIONS)


def check_backward_order(backward_order: Callable[[], object]) -> None:
    """Print :func:`evaluate_backward_order`'s feedback."""
    run_exercise_check("backward_order", lambda: evaluate_backward_order(backward_order))
