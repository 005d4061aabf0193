"""Computation graphs as plain data, for hw2: the judge draws them, both processes build them.

Engine graphs (:class:`~backprop_course.engine.Value` objects) cannot cross a
process boundary, so the judge describes a graph as a list of nodes, each
``[op, children, x]``:

* ``op``: ``""`` for a leaf, else an engine op: ``"+"``, ``"*"``, ``"/"``, ``"**"``,
  ``"exp"``, ``"log"``, ``"tanh"``, ``"sigmoid"``, ``"relu"``, ``"sum"``;
* ``children``: indices of earlier nodes (so the list is already in a valid order);
* ``x``: a leaf's value, the exponent of ``"**"``, else ``None``.

The last node is the root. The child process rebuilds the graph with the engine's
own operators and calls the student's functions on it; the judge rebuilds the same
graph in its own process to compute the expected answers. Every node is reachable
from the root.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np

__all__ = [
    "GraphDesc",
    "build_graph",
    "build_on",
    "children_of",
    "deep_chain",
    "fanout_graph",
    "random_graph",
    "random_value_graph",
]

GraphDesc = list[list[Any]]

UNARY_OPS = ("exp", "log", "tanh", "sigmoid", "relu")
BINARY_OPS = ("+", "*", "/")


def build_graph(desc: GraphDesc) -> list[Any]:
    """Engine ``Value`` nodes for ``desc``, in the same order (the root last)."""
    from backprop_course.engine import Value

    nodes: list[Value] = []
    for op, kids, x in desc:
        c = [nodes[k] for k in kids]
        if op == "":
            v = Value(float(x))
        elif op == "+":
            v = c[0] + c[1]
        elif op == "*":
            v = c[0] * c[1]
        elif op == "/":
            v = c[0] / c[1]
        elif op == "**":
            v = c[0] ** float(x)
        elif op == "sum":
            v = Value.sum(c)
        elif op in UNARY_OPS:
            v = getattr(c[0], op)()
        else:
            raise ValueError(f"unknown op {op!r} in a graph description")
        nodes.append(v)
    return nodes


def children_of(desc: GraphDesc) -> list[list[int]]:
    """The children indices of every node (the same node twice if used twice, e.g. ``a * a``)."""
    return [list(kids) for _, kids, _ in desc]


def _value(op: str, args: list[float], x: float | None) -> float | None:
    """The forward value, or None when ``op`` is outside its safe domain for these inputs."""
    if op == "+":
        return args[0] + args[1]
    if op == "*":
        return args[0] * args[1]
    if op == "/":
        return args[0] / args[1] if abs(args[1]) > 0.3 else None
    if op == "**":
        assert x is not None
        return args[0] ** x if args[0] > 0.2 else None
    if op == "exp":
        return math.exp(args[0]) if abs(args[0]) < 3 else None
    if op == "log":
        return math.log(args[0]) if args[0] > 0.2 else None
    if op == "tanh":
        return math.tanh(args[0])
    if op == "sigmoid":
        return 1.0 / (1.0 + math.exp(-args[0]))
    if op == "relu":
        return max(args[0], 0.0) if abs(args[0]) > 1e-3 else None
    return math.fsum(args)


def _exponent_for(rng: np.random.Generator) -> Callable[[str], float | None]:
    """The number beside an op: an exponent for ``**`` (2, 3, 0.5 or -1), none for the others."""
    return lambda op: float(rng.choice([2.0, 3.0, 0.5, -1.0])) if op == "**" else None


def _random_expression(
    rng: np.random.Generator,
    n_leaves: int,
    n_ops: int,
    reuse: float,
    ops: Sequence[str],
    binary: Collection[str],
    number: Callable[[str], float | None],
    value_of: Callable[[str, list[float], float | None], float | None],
) -> GraphDesc:
    """The shared recipe of :func:`random_graph` and :func:`random_value_graph`.

    Leaves drawn from ±[0.2, 2]; then ops drawn from ``ops`` (two operands when in ``binary``,
    with ``number(op)`` beside it), each operand a fresh node or, with probability about
    ``reuse``, any earlier one (fan-out); an op whose ``value_of`` is unsafe (None), not
    finite or beyond 10 is drawn again. Nodes left without a parent are summed into the root.
    """
    desc: GraphDesc = []
    values: list[float] = []
    used: list[bool] = []
    for _ in range(n_leaves):
        v = float(rng.uniform(-2.0, 2.0))
        if abs(v) < 0.2:
            v += 0.5
        desc.append(["", [], v])
        values.append(v)
        used.append(False)

    def pick() -> int:
        fresh = [i for i, u in enumerate(used) if not u]
        if fresh and rng.random() > reuse:
            return int(rng.choice(fresh))
        return int(rng.integers(len(desc)))

    while len(desc) < n_leaves + n_ops:
        op = str(rng.choice(list(ops)))
        arity = 2 if op in binary else 1
        kids = [pick() for _ in range(arity)]
        x = number(op)
        value = value_of(op, [values[k] for k in kids], x)
        if value is None or not math.isfinite(value) or abs(value) > 10:
            continue
        desc.append([op, kids, x])
        values.append(value)
        used.append(False)
        for k in kids:
            used[k] = True
    dangling = [i for i, u in enumerate(used) if not u]
    if len(dangling) > 1:
        desc.append(["sum", dangling, None])
    return desc


def random_graph(rng: np.random.Generator, n_leaves: int = 4, n_ops: int = 12, reuse: float = 0.5) -> GraphDesc:
    """A random expression over ``n_leaves`` inputs with ``n_ops`` operations.

    Operands are drawn among all earlier nodes, so with probability about ``reuse``
    an operand is a node that already has a parent (fan-out). Ops are drawn only
    where their input is in a safe domain (no log of a negative, no division by ~0),
    values stay in [-10, 10]. Nodes left without a parent are summed into the root.
    """
    return _random_expression(
        rng, n_leaves, n_ops, reuse, [*BINARY_OPS, "**", *UNARY_OPS], BINARY_OPS, _exponent_for(rng), _value
    )


def fanout_graph(rng: np.random.Generator, width: int = 3, depth: int = 4) -> GraphDesc:
    """A graph built to punish ``=`` instead of ``+=`` and nodes visited twice.

    ``a * a`` (the same child twice), a diamond ``d = f(b, c)`` with ``b`` and ``c``
    both computed from ``a``, repeated ``depth`` times, and each level's node used by
    ``width`` later nodes.
    """
    a = float(rng.uniform(0.5, 1.5)) * (1 if rng.random() < 0.5 else -1)
    desc: GraphDesc = [["", [], a]]
    sq = len(desc)
    desc.append(["*", [0, 0], None])  # a * a
    top = len(desc)
    desc.append(["+", [sq, 0], None])  # a*a + a
    for _ in range(depth):
        users = []
        for _ in range(width):
            w = float(rng.uniform(0.5, 1.5))
            desc.append(["", [], w])
            desc.append(["*", [top, len(desc) - 1], None])
            desc.append(["tanh", [len(desc) - 1], None])
            users.append(len(desc) - 1)
        desc.append(["sum", users + [top], None])
        top = len(desc) - 1
    return desc


def deep_chain(rng: np.random.Generator, depth: int = 5000) -> GraphDesc:
    """``x_{k+1} = x_k * w_k`` and ``x_{k+1} = x_k + b_k`` alternately, ``depth`` ops deep.

    Weights stay within 1% of 1 and the added biases are small and positive, so
    ``x`` stays between about 0.5 and 50 and no gradient vanishes or explodes over
    thousands of steps: every node's gradient can be checked.
    """
    desc: GraphDesc = [["", [], float(rng.uniform(0.5, 1.5))]]
    top = 0
    for k in range(depth):
        if k % 2 == 0:
            desc.append(["", [], float(rng.uniform(0.99, 1.01))])
            desc.append(["*", [top, len(desc) - 1], None])
        else:
            desc.append(["", [], float(rng.uniform(0.0, 0.02))])
            desc.append(["+", [top, len(desc) - 1], None])
        top = len(desc) - 1
    return desc


# ------------------------------------------------------------ hw4: any Value class

#: hw4 ops on two nodes
HW4_BINARY = ("+", "-", "*", "/")
#: hw4 ops of a node and a number ``x``: ``"+c"`` is ``node + x``, ``"c+"`` is ``x + node`` (the reflected op)...
HW4_WITH_NUMBER = ("+c", "c+", "-c", "c-", "*c", "c*", "/c", "c/", "**")
HW4_UNARY = ("neg", "tanh", "exp", "relu")


def build_on(value_class: Any, desc: GraphDesc) -> list[Any]:
    """The nodes of ``desc`` built with ``value_class`` (the course's ``Value`` or a learner's), root last.

    Only ``value_class(x)`` for leaves and the operators ``+ - * / **``, unary ``-``,
    ``.tanh()``, ``.exp()`` and ``.relu()`` are used, so any micrograd-style class works;
    ``"sum"`` is a left fold with ``+``. The ops of hw2's graphs (``log``, ``sigmoid``) are
    refused: hw4's ``Value`` need not have them.
    """
    nodes: list[Any] = []
    for op, kids, x in desc:
        c = [nodes[k] for k in kids]
        if op == "":
            v = value_class(float(x))
        elif op == "+":
            v = c[0] + c[1]
        elif op == "-":
            v = c[0] - c[1]
        elif op == "*":
            v = c[0] * c[1]
        elif op == "/":
            v = c[0] / c[1]
        elif op == "+c":
            v = c[0] + x
        elif op == "c+":
            v = x + c[0]
        elif op == "-c":
            v = c[0] - x
        elif op == "c-":
            v = x - c[0]
        elif op == "*c":
            v = c[0] * x
        elif op == "c*":
            v = x * c[0]
        elif op == "/c":
            v = c[0] / x
        elif op == "c/":
            v = x / c[0]
        elif op == "**":
            v = c[0] ** x
        elif op == "neg":
            v = -c[0]
        elif op in ("tanh", "exp", "relu"):
            v = getattr(c[0], op)()
        elif op == "sum":
            v = c[0]
            for other in c[1:]:
                v = v + other
        else:
            raise ValueError(f"op {op!r} is not one of hw4's ops")
        nodes.append(v)
    return nodes


def _hw4_value(op: str, args: list[float], x: float | None) -> float | None:
    """The forward value of a hw4 op, or None outside its safe domain."""
    a = args[0]
    if op in ("+", "-", "*", "/"):
        b = args[1]
        if op == "/" and abs(b) < 0.3:
            return None
        return {"+": a + b, "-": a - b, "*": a * b}[op] if op != "/" else a / b
    if op in HW4_WITH_NUMBER:
        assert x is not None
        if op == "c/" and abs(a) < 0.3:
            return None
        if op == "**":
            return a**x if a > 0.2 else None
        return {
            "+c": a + x,
            "c+": x + a,
            "-c": a - x,
            "c-": x - a,
            "*c": a * x,
            "c*": x * a,
            "/c": a / x,
            "c/": x / a if a else None,
        }[op]
    if op == "neg":
        return -a
    if op == "tanh":
        return math.tanh(a)
    if op == "exp":
        return math.exp(a) if abs(a) < 3 else None
    if op == "relu":
        return max(a, 0.0) if abs(a) > 1e-3 else None
    return math.fsum(args)


def random_value_graph(rng: np.random.Generator, n_leaves: int = 4, n_ops: int = 14, reuse: float = 0.5) -> GraphDesc:
    """A random hw4 expression: every op of :data:`HW4_BINARY`, :data:`HW4_WITH_NUMBER` and :data:`HW4_UNARY`.

    As :func:`random_graph`: operands drawn among earlier nodes (fan-out with probability
    about ``reuse``), ops only where their input is in a safe domain, values within
    [-10, 10], nodes left without a parent summed into the root. The numbers on the
    other side of an op are drawn from ±[0.5, 2] (exponents from 2, 3, 0.5, -1).
    """
    exponent = _exponent_for(rng)

    def number(op: str) -> float | None:
        if op != "**" and op in HW4_WITH_NUMBER:
            return round(float(rng.uniform(0.5, 2.0)) * float(rng.choice([-1.0, 1.0])), 3)
        return exponent(op)

    ops = [*HW4_BINARY, *HW4_WITH_NUMBER, *HW4_UNARY]
    return _random_expression(rng, n_leaves, n_ops, reuse, ops, HW4_BINARY, number, _hw4_value)
