"""Self-checks of hw2, the backward pass: topological sort, ``backward()`` and the XOR training loop.

The checks run the student's functions on small labelled graphs (the lecture's, one with
fan-out, a single leaf, a chain :data:`DEEP_CHAIN` multiplications deep) and compare with
the engine's own backward pass.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from .. import data, losses
from ..engine import BACKWARD_RULES, Value
from ..nn import MLP
from .feedback import TOL, Feedback, _call, _close, _fmt, _number_problem, _rel, first_failing
from .hw_training import describe_split, diagnose_history, first_difference, reference_history


def _labelled(data: float, label: str) -> Value:
    return Value(data, label=label)


def _name(node: object) -> str:
    if isinstance(node, Value):
        return node.label or f"Value({node.data:.4g})"
    return f"{type(node).__name__} {node!r}"


def _graph_micrograd() -> tuple[Value, list[Value]]:
    """The graph of the lecture: L = (a·b + c)·f, every node labelled."""
    a, b, c, f = _labelled(2.0, "a"), _labelled(-3.0, "b"), _labelled(10.0, "c"), _labelled(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L, [a, b, c, f, e, d, L]


def _graph_fan_out() -> tuple[Value, list[Value]]:
    """Leaves and an interior node used more than once: t = tanh(x·y), L = (t + x)·t + x·x."""
    x, y = _labelled(0.5, "x"), _labelled(-1.5, "y")
    p = x * y
    p.label = "p = x·y"
    t = p.tanh()
    t.label = "t = tanh(p)"
    s = t + x
    s.label = "s = t + x"
    q = s * t
    q.label = "q = s·t"
    sq = x * x
    sq.label = "x·x"
    L = q + sq
    L.label = "L"
    return L, [x, y, p, t, s, q, sq, L]


def _graph_chain(depth: int) -> tuple[Value, list[Value]]:
    """x0 -> x1 = 1.001·x0 ... : a chain ``depth`` multiplications deep."""
    x = _labelled(1.0, "x0")
    nodes = [x]
    for i in range(1, depth + 1):
        x = x * 1.001
        x.label = f"x{i}"
        nodes.append(x)
        # the constant 1.001 is a leaf too
        nodes.append(x._prev[1])
        x._prev[1].label = f"1.001 (factor of x{i})"
    return x, nodes


def _graph_leaf() -> tuple[Value, list[Value]]:
    x = _labelled(3.0, "x")
    return x, [x]


#: depth of the deep chain: far past Python's recursion limit (1000 by default, also in Jupyter here)
DEEP_CHAIN = 5000


def _order_problem(order: object, root: Value, nodes: list[Value]) -> tuple[str, tuple[str, ...], str, str] | None:
    """What is wrong with a topological order of the graph of ``root``, or None if valid."""
    if order is None:
        return "returned None.", (), "did your function forget to `return` the list?", "none"
    if not isinstance(order, list):
        hint = "return a list of the nodes (e.g. build it with .append)."
        return f"returned a {type(order).__name__}, expected a list.", (), hint, "not_a_list"
    for item in order:
        if not isinstance(item, Value):
            return (
                f"the list holds a {type(item).__name__} ({item!r}), expected only Value nodes.",
                (),
                "append the nodes themselves, not their data or labels.",
                "not_values",
            )
    seen: set[int] = set()
    for item in order:
        if id(item) in seen:
            return (
                f"{_name(item)} appears more than once.",
                (),
                "a node reached along two paths (fan-out) must be listed once: keep a set of visited nodes.",
                "duplicate",
            )
        seen.add(id(item))
    wanted = {id(n) for n in nodes}
    missing = [n for n in nodes if id(n) not in seen]
    if missing:
        if any(n is root for n in missing):
            hint, mistake = "the root itself belongs in the list, last.", "missing_root"
        elif all(not n.children for n in missing):
            hint = "include the leaves (nodes with no children) too: every node reachable from the root."
            mistake = "missing_leaves"
        else:
            hint, mistake = "visit every child of every node you reach.", "missing"
        shown = ", ".join(_name(n) for n in missing[:4]) + (" ..." if len(missing) > 4 else "")
        return f"{len(missing)} node(s) are missing: {shown}.", (), hint, mistake
    extra = [n for n in order if id(n) not in wanted]
    if extra:
        return (
            f"{_name(extra[0])} is not reachable from the root.",
            (),
            "list only the nodes you reach from root through .children.",
            "extra",
        )
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node.children:
            if position[id(child)] > position[id(node)]:
                reverse = order[::-1]
                rpos = {id(n): i for i, n in enumerate(reverse)}
                if all(rpos[id(c)] < rpos[id(n)] for n in reverse for c in n.children):
                    hint = (
                        "your list is in reverse: children must come first. Append a node only after all its "
                        "children are done (post-order, the `children_done` step of the stack)."
                    )
                    mistake = "reversed"
                else:
                    hint, mistake = "append a node only once all of its children have been appended.", "order"
                return f"{_name(node)} comes before its child {_name(child)}.", (), hint, mistake
    return None


def evaluate_topological_sort(fn: Callable[[Value], object]) -> Feedback:
    """Check ``topological_sort(root) -> list``: every reachable node once, each after its children."""
    name = "topological_sort"
    graphs: list[tuple[str, Callable[[], tuple[Value, list[Value]]]]] = [
        ("the lecture's graph L = (a·b + c)·f", _graph_micrograd),
        ("a graph with fan-out, L = (t + x)·t + x·x with t = tanh(x·y)", _graph_fan_out),
        (f"a chain {DEEP_CHAIN} multiplications deep", lambda: _graph_chain(DEEP_CHAIN)),
        ("a single leaf x", _graph_leaf),
    ]
    for description, build in graphs:
        root, nodes = build()
        try:
            order = _call(fn, name, f"on {description}", root, handled=(RecursionError,))
        except RecursionError:
            return Feedback(
                name,
                False,
                f"hit Python's recursion limit on {description}.",
                hint="a recursive depth-first search needs one stack frame per level and Python allows about "
                "1000: keep your own stack (a list of nodes still to finish) in a while loop instead.",
                mistake="recursion",
            )
        problem = _order_problem(order, root, nodes)
        if problem:
            message, details, hint, mistake = problem
            return Feedback(name, False, f"on {description}: {message}", details, hint, mistake)
    return Feedback(
        name, True, f"valid order on {len(graphs)} graphs (the lecture's, fan-out, {DEEP_CHAIN} deep, a single leaf)."
    )


def check_topological_sort(fn: Callable[[Value], object]) -> None:
    """Print :func:`evaluate_topological_sort`'s feedback."""
    print(evaluate_topological_sort(fn))


def _reference_grads(build: Callable[[], tuple[Value, list[Value]]]) -> list[float]:
    root, nodes = build()
    root.backward()
    return [n.grad for n in nodes]


def _forward_order_grads(build: Callable[[], tuple[Value, list[Value]]]) -> list[float]:
    """The gradients a backward pass gets when it runs the rules children-first (wrong order)."""
    root, nodes = build()
    root.grad = 1.0
    for node in _reference_order(root):
        BACKWARD_RULES[node.op](node)
    return [n.grad for n in nodes]


def _preorder(root: Value, flip: bool) -> list[Value]:
    """Parent-first depth-first order (each node listed when first reached): a common wrong order.

    ``flip`` pushes the children in reverse, the other way a stack-based walk may visit them.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node in visited:
            continue
        visited.add(node)
        order.append(node)
        stack.extend(reversed(node.children) if flip else node.children)
    return order


def _preorder_grads(build: Callable[[], tuple[Value, list[Value]]], flip: bool) -> list[float]:
    """The gradients a backward pass gets when it runs the rules in parent-first pre-order."""
    root, nodes = build()
    root.grad = 1.0
    for node in _preorder(root, flip):
        if node.children:
            BACKWARD_RULES[node.op](node)
    return [n.grad for n in nodes]


def _reference_order(root: Value) -> list[Value]:
    from ..engine import topological_order

    return topological_order(root)


def evaluate_backward(fn: Callable[[Value], object]) -> Feedback:
    """Check ``backward(root)``: every node's grad, fan-out, a deep chain, and a second call."""
    name = "backward"
    graphs: list[tuple[str, Callable[[], tuple[Value, list[Value]]]]] = [
        ("the lecture's graph L = (a·b + c)·f", _graph_micrograd),
        ("a graph with fan-out, L = (t + x)·t + x·x with t = tanh(x·y)", _graph_fan_out),
        ("a single leaf x", _graph_leaf),
        (f"a chain {DEEP_CHAIN} multiplications deep", lambda: _graph_chain(DEEP_CHAIN)),
    ]
    for description, build in graphs:
        root, nodes = build()
        try:
            _call(fn, name, f"on {description}", root, handled=(RecursionError, KeyError))
        except RecursionError:
            return Feedback(
                name,
                False,
                f"hit Python's recursion limit on {description}.",
                hint="use your iterative topological_sort; a recursive walk fails past about 1000 levels.",
                mistake="recursion",
            )
        except KeyError as err:
            if err.args != ("",):
                print(f"❌ {name} raised KeyError {err} on {description}; the traceback below shows where.")
                raise
            return Feedback(
                name,
                False,
                f"on {description}: looked up the backward rule of a leaf (KeyError: '').",
                hint="leaves have op '' and no rule to run (they only receive gradient): "
                "run the rules of interior nodes only, the nodes with children.",
                mistake="leaf_rule",
            )
        got = [n.grad for n in nodes]
        want = _reference_grads(build)
        bad = [i for i, (g, w) in enumerate(zip(got, want)) if _rel(g, w) > TOL]
        if not bad:
            continue
        i = bad[0]
        details = (f"expected {_name(nodes[i])}.grad = {_fmt(want[i])}, got {_fmt(got[i])}",)
        message = f"on {description}: wrong gradient for {_name(nodes[i])}."
        if root.grad != 1.0:
            hint, mistake = "start with root.grad = 1.0 (dL/dL = 1): every other gradient is a multiple of it.", "root"
        elif all(g == 0.0 for n, g in zip(nodes, got) if n is not root):
            hint, mistake = "no gradient reached the children: call each interior node's backward rule.", "no_rules"
        elif _close(np.array(got), np.array(_forward_order_grads(build)), TOL):
            hint = (
                "the rules ran children first: a node's rule may only run once its grad is complete, so walk "
                "the topological order backwards (reversed(order))."
            )
            mistake = "order"
        elif any(_close(np.array(got), np.array(_preorder_grads(build, flip)), TOL) for flip in (False, True)):
            hint = (
                "the rules ran in the order of a parent-first walk (a node listed when first reached): a node "
                "used by two others then runs its rule before the second has added to its grad. Build the order "
                "children-first (append a node after all its children) and walk it backwards."
            )
            mistake = "preorder"
        elif _close(np.array(got), 2 * np.array(want), TOL):
            hint, mistake = "every gradient is doubled: is some rule run twice per node?", "doubled"
        else:
            hint = (
                "each interior node's rule must run exactly once, after every node that uses it: run the rules "
                "over the reversed topological order, and check that topological_sort passes its self-check."
            )
            mistake = None
        return Feedback(name, False, message, details, hint, mistake)
    # a second backward on the same graph: interior grads must not pile up, leaf grads do
    root, nodes = _graph_fan_out()
    _call(fn, name, "the first time on a graph with fan-out", root)
    _call(fn, name, "a second time on the same graph", root)
    want = _reference_grads(_graph_fan_out)
    # interior nodes first: a stale interior gradient also spoils the leaves below it
    for node, w in sorted(zip(nodes, want), key=lambda nw: not nw[0].children):
        expected = 2 * w if not node.children else w
        if _rel(node.grad, expected) > TOL:
            kind = "leaf" if not node.children else "interior node"
            hint = (
                "set every interior node's grad to 0 before running the rules (leaves keep accumulating): "
                "otherwise a second backward() adds onto stale gradients."
                if node.children
                else "leaves accumulate across backward() calls (that is why training calls zero_grad): "
                "do not reset them inside backward."
            )
            return Feedback(
                name,
                False,
                f"calling backward twice on the same graph: wrong gradient for the {kind} {_name(node)}.",
                (f"expected {_fmt(expected)}, got {_fmt(node.grad)}",),
                hint,
                "second_call",
            )
    return Feedback(
        name,
        True,
        f"right gradients on {len(graphs)} graphs (incl. fan-out and {DEEP_CHAIN} deep), and a second call "
        "accumulates in the leaves only.",
    )


def check_backward(fn: Callable[[Value], object]) -> None:
    """Print :func:`evaluate_backward`'s feedback."""
    print(evaluate_backward(fn))


#: what the notebook's train_xor is called with
XOR_STEPS, XOR_LR = 300, 0.5

_BLEW_UP = (
    "the numbers grew without bound (OverflowError): a wrong rule, or a learning rate far too large; "
    "run the rules' self-checks above, then try lr=0.5"
)


def _learner_line(err: BaseException) -> str:
    """``line N: code`` of the innermost frame of the learner's code (not the library's) in a traceback."""
    import traceback

    frames = [f for f in traceback.extract_tb(err.__traceback__) if "backprop_course" not in f.filename]
    if not frames:
        return ""
    f = frames[-1]
    return f"in {f.name}, line {f.lineno}: {(f.line or '').strip()}"


def xor_model(seed: int) -> MLP:
    """The model train_xor builds: a 2-4-1 tanh MLP."""
    return MLP(2, [4, 1], activation="tanh", seed=seed)


def xor_loss(model: MLP) -> Value:
    """The mean binary cross-entropy of ``model`` on the four XOR points."""
    X, y = data.xor()
    return losses.binary_cross_entropy([model(x) for x in X], y)  # type: ignore[misc]  # one output: a Value


def _earlier_failure(train: object) -> str:
    """Which of the learner's earlier exercises (found next to ``train_xor``) fails its check, or ``""``."""
    from .hw1 import LOCAL_RULES, evaluate_local_rule

    scope = getattr(train, "__globals__", None)
    if not isinstance(scope, dict):
        return ""
    checks: list[tuple[str, Callable[[], Feedback]]] = []
    if callable(scope.get("topological_sort")):
        checks.append(("your topological_sort", partial(evaluate_topological_sort, scope["topological_sort"])))
    if callable(scope.get("backward")):
        checks.append(("your backward", partial(evaluate_backward, scope["backward"])))
    for rule in ("add_backward", "mul_backward", "exp_backward", "log_backward", "tanh_backward"):
        if callable(scope.get(rule)) and rule in LOCAL_RULES:
            checks.append((f"your {rule}", partial(evaluate_local_rule, scope[rule], rule)))
    return first_failing(checks)


def evaluate_train_xor(losses_or_train: object, steps: int = XOR_STEPS, lr: float = XOR_LR, seed: int = 0) -> Feedback:
    """Check ``train_xor``'s loss history step by step against the engine's own run from the same seed.

    Args:
        losses_or_train: the list ``train_xor(steps, lr, seed)`` returned, or ``train_xor`` itself
            (then the check calls it, and explains an overflow in one line).
        steps, lr, seed: the arguments of that call.

    A history that leaves the reference is compared with runs making each classic mistake (no
    ``zero_grad``, only the last layer updated, a wrong sign or learning rate...), see
    :mod:`.hw_training`.
    """
    name = "train_xor"
    losses_ = losses_or_train
    if callable(losses_or_train):
        try:
            losses_ = _call(
                losses_or_train, name, f"train_xor({steps}, {lr}, {seed})", steps, lr, seed, handled=(OverflowError,)
            )
        except OverflowError as err:
            return Feedback(
                name, False, _BLEW_UP + ".", (_learner_line(err),) if _learner_line(err) else (), None, "overflow"
            )
    if losses_ is None:
        return Feedback(name, False, "returned None.", hint="return the list of losses, one per step.", mistake="none")
    if not isinstance(losses_, list):
        return Feedback(
            name,
            False,
            f"returned a {type(losses_).__name__}, expected a list of floats.",
            hint="append loss.data (a float) to a list at every step and return the list.",
            mistake="not_a_list",
        )
    if len(losses_) != steps:
        return Feedback(
            name,
            False,
            f"returned {len(losses_)} losses for {steps} steps.",
            hint="append one loss per step.",
            mistake="length",
        )
    for i, v in enumerate(losses_):
        if isinstance(v, Value):
            return Feedback(
                name, False, f"loss {i} is a Value.", hint="append loss.data, the float.", mistake="not_a_number"
            )
        problem = _number_problem(v, f"loss {i}")
        if problem:
            return Feedback(name, False, problem[0], hint=problem[1] + " (a smaller lr?)", mistake="not_a_number")
    got = [float(v) for v in losses_]
    want = reference_history(xor_model(seed), xor_loss, steps, lr)
    k = first_difference(got, want)
    if k is None:
        return Feedback(
            name,
            True,
            f"the same {steps} losses as the engine's own training from seed {seed} ({got[0]:.4f} -> {got[-1]:.4f}).",
        )
    details = (describe_split(got, want, k),)
    if k == 0:
        return Feedback(
            name,
            False,
            "the very first loss differs from the engine's.",
            details,
            "build nn.MLP(2, [4, 1], activation='tanh', seed=seed) and record the binary cross-entropy of all four "
            "points before updating.",
            "first_loss",
        )
    mistake: str | None
    earlier = _earlier_failure(losses_or_train)
    if earlier:  # the root cause first: a wrong backward or rule can mimic a wrong loop
        hint, mistake = (
            f"{earlier} fails its self-check above: fix that first; this failure may follow from it.",
            "earlier",
        )
    else:
        hint, mistake = diagnose_history(got, lambda: xor_model(seed), xor_loss, lr)
    return Feedback(name, False, f"your training leaves the engine's trajectory at step {k}.", details, hint, mistake)


def check_train_xor(losses_or_train: object, steps: int = XOR_STEPS, lr: float = XOR_LR, seed: int = 0) -> None:
    """Print :func:`evaluate_train_xor`'s feedback."""
    print(evaluate_train_xor(losses_or_train, steps, lr, seed))
