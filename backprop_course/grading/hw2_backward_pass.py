"""hw2 the backward pass: the judge.

The student writes

* ``topological_sort(root) -> list``: every node reachable from ``root`` (leaves
  included), each after all of its children;
* ``backward(root)``: sets ``root.grad = 1`` and calls
  ``BACKWARD_RULES[node.op](node)`` for each non-leaf node in *reverse* topological
  order (the rules accumulate with ``+=``);
* ``train_xor(steps, lr, seed) -> list[float]``: trains an ``nn.MLP`` on XOR with
  their own ``backward`` and returns the loss history.

Graphs cannot cross the process boundary, so the judge draws plain-data graph
descriptions (:mod:`.graphs`), the child rebuilds them with the engine and reports
node indices and gradients, and the judge rebuilds the same graphs here and gets
the expected gradients from the library's own ``Value.backward``. A chain 5000 ops
deep catches recursive solutions (Python's recursion limit is 1000). ``train_xor``'s
losses are compared step by step with the engine's own training from the same seed,
so a missing ``zero_grad``, a partial update or a wrong learning rate shows and is named.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from .checks import (
    AnswerError,
    Check,
    JudgeContext,
    credit_for,
    describe_answer,
    expect_number,
    explain_error,
    fmt,
    rel_error,
    verdict,
)
from .graphs import GraphDesc, build_graph, children_of, deep_chain, fanout_graph, random_graph
from .specs import Assignment, Prepared, TestSpec

__all__ = ["ASSIGNMENT", "DEEP_CHAIN_DEPTH", "XOR_LR", "XOR_STEPS", "expected_gradients"]

#: ops in the deep-chain tests: far past Python's default recursion limit of 1000
DEEP_CHAIN_DEPTH = 5000
#: what train_xor is called with (3 seeds drawn from the grading seed): the notebook's defaults
XOR_STEPS = 300
XOR_LR = 0.5
XOR_SEEDS = 3
#: the last loss must be at most this fraction of the first (in at least one run)
XOR_LOSS_RATIO = 0.8
XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_LABELS = [0, 1, 1, 0]

RECURSION_HINT = (
    "The graph is thousands of nodes deep and Python allows about 1000 nested calls: make it iterative, "
    "with an explicit stack (a list you append to and pop from) instead of recursion"
)
HINTS = {"RecursionError": RECURSION_HINT}
XOR_HINTS = {
    "OverflowError": "The numbers grew without bound: a wrong rule, or a learning rate far too large",
    "RecursionError": RECURSION_HINT,
}


def _describe(desc: GraphDesc, i: int) -> str:
    op, _, _ = desc[i]
    data = build_values(desc)[i]
    return f"the leaf {fmt(data)}" if op == "" else f"the `{op}` node (data {fmt(data)})"


def build_values(desc: GraphDesc) -> list[float]:
    """The data of every node of ``desc``."""
    return [v.data for v in build_graph(desc)]


def expected_gradients(desc: GraphDesc) -> list[float]:
    """Every node's gradient, by the library's own backward pass, in this process."""
    nodes = build_graph(desc)
    nodes[-1].backward()
    return [v.grad for v in nodes]


def _gradients_in_order(desc: GraphDesc, order: Sequence[int]) -> list[float]:
    """Gradients when the rules run in ``order`` (for recognising a student's mistake)."""
    from backprop_course.engine import BACKWARD_RULES

    nodes = build_graph(desc)
    nodes[-1].grad = 1.0
    for i in order:
        if nodes[i].op:
            BACKWARD_RULES[nodes[i].op](nodes[i])
    return [v.grad for v in nodes]


def _forward_order(desc: GraphDesc) -> list[int]:
    return list(range(len(desc)))


def _preorder(desc: GraphDesc, flip: bool) -> list[int]:
    """Parent-first depth-first order from the root, each node listed when first reached (a wrong order).

    ``flip`` pushes the children in reverse, the other way a stack-based walk may visit them.
    """
    kids = children_of(desc)
    order: list[int] = []
    seen: set[int] = set()
    stack = [len(desc) - 1]
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        order.append(i)
        stack.extend(reversed(kids[i]) if flip else kids[i])
    return order


# ------------------------------------------------------------- topological sort


def _prepare_topo(make_graphs: Callable[[np.random.Generator], list[GraphDesc]]) -> Callable[..., Prepared]:
    def prepare(rng: np.random.Generator) -> Prepared:
        graphs = make_graphs(rng)
        return Prepared("topological_sort", {"graphs": graphs}, lambda r, ctx: _judge_topo(graphs, r, ctx))

    return prepare


def check_order(desc: GraphDesc, order: Sequence[int]) -> str:
    """``""`` if ``order`` is a valid topological order of ``desc`` (all nodes, leaves too), else why not."""
    n = len(desc)
    if any(i < 0 or i >= n for i in order):
        return "it contains objects that are not nodes of the graph"
    seen: dict[int, int] = {}
    for pos, i in enumerate(order):
        if i in seen:
            return f"{_describe(desc, i)} appears more than once: visit each node once (keep a `visited` set)"
        seen[i] = pos
    missing = [i for i in range(n) if i not in seen]
    if missing:
        leaves = [i for i in missing if desc[i][0] == ""]
        what = f"{len(missing)} of the {n} nodes are missing"
        if len(leaves) == len(missing):
            what += " (all leaves: include every node reachable from root, leaves too)"
        else:
            what += f", e.g. {_describe(desc, [i for i in missing if i not in leaves][0])}"
        return what
    for i, kids in enumerate(children_of(desc)):
        for k in kids:
            if seen[k] > seen[i]:
                return (
                    f"{_describe(desc, i)} comes before its child {_describe(desc, k)}: "
                    "a node must come after all its children (append a node after visiting its children)"
                )
    return ""


def _judge_topo(graphs: list[GraphDesc], result: dict[str, Any], ctx: JudgeContext) -> list[Check]:
    checks = []
    answers = result.get("answers", [])
    for g, desc in enumerate(graphs):
        label = f"graph {g + 1} ({len(desc)} nodes)"
        answer: dict[str, Any] = answers[g] if g < len(answers) else {"error": {"type": "GraderTimeout"}}
        if "error" in answer:
            checks.append(Check(label, 0.0, f"{label}: {explain_error(answer['error'], ctx, HINTS)}"))
        elif "wrong_type" in answer:
            checks.append(Check(label, 0.0, f"{label}: should return a list of nodes, got {answer['wrong_type']}"))
        else:
            order = [int(i) for i in answer.get("order", [])]
            if answer.get("length", len(order)) > len(order):
                problem = f"it returned {answer['length']} items for a graph of {len(desc)} nodes"
            elif answer.get("strangers"):
                problem = f"it contains objects that are not nodes of the graph ({', '.join(answer['strangers'])})"
            else:
                problem = check_order(desc, order)
            checks.append(Check(label, 0.0 if problem else 1.0, f"{label}: {problem}" if problem else ""))
    return checks


def _basic_graphs(rng: np.random.Generator) -> list[GraphDesc]:
    micrograd: GraphDesc = [  # L = (a*b + c) * f, the example of the lecture
        ["", [], 2.0],
        ["", [], -3.0],
        ["", [], 10.0],
        ["*", [0, 1], None],
        ["+", [3, 2], None],
        ["", [], -2.0],
        ["*", [4, 5], None],
    ]
    return [micrograd] + [random_graph(rng, n_leaves=3, n_ops=int(rng.integers(6, 14)), reuse=0.2) for _ in range(3)]


def _shared_graphs(rng: np.random.Generator) -> list[GraphDesc]:
    square: GraphDesc = [["", [], float(rng.uniform(0.5, 2))], ["*", [0, 0], None]]  # a * a
    return [square, fanout_graph(rng), fanout_graph(rng, width=4, depth=6), random_graph(rng, 3, 20, reuse=0.9)]


def _deep_graphs(rng: np.random.Generator) -> list[GraphDesc]:
    return [deep_chain(rng, DEEP_CHAIN_DEPTH)]


# --------------------------------------------------------------------- backward


def _prepare_backward(make_graphs: Callable[[np.random.Generator], list[GraphDesc]]) -> Callable[..., Prepared]:
    def prepare(rng: np.random.Generator) -> Prepared:
        graphs = make_graphs(rng)
        expected = [expected_gradients(d) for d in graphs]
        return Prepared("backward", {"graphs": graphs}, lambda r, ctx: _judge_backward(graphs, expected, r, ctx))

    return prepare


def _judge_backward(
    graphs: list[GraphDesc], expected: list[list[float]], result: dict[str, Any], ctx: JudgeContext
) -> list[Check]:
    checks = []
    answers = result.get("answers", [])
    for g, (desc, want) in enumerate(zip(graphs, expected)):
        label = f"graph {g + 1} ({len(desc)} nodes)"
        answer = answers[g] if g < len(answers) else {"error": {"type": "GraderTimeout"}}
        if "error" in answer:
            err = answer["error"]
            text = explain_error(err, ctx, HINTS)
            if err.get("type") == "KeyError" and err.get("message") in ("''", '""'):
                text += ". Leaves (op '') have no backward rule: skip nodes without children"
            checks.append(Check(label, 0.0, f"{label}: {text}"))
            continue
        try:
            got = [expect_number(x, "node.grad") for x in answer.get("grads", [])]
        except AnswerError:
            bad = next(x for x in answer["grads"] if not isinstance(x, (int, float)) or isinstance(x, bool))
            checks.append(Check(label, 0.0, f"{label}: a node's grad is {describe_answer(bad)}, not a float"))
            continue
        err = rel_error(got, want)
        credit = credit_for(err)
        message = ""
        if credit < 1.0:
            message = f"{label}: gradients {verdict(err)}. " + _backward_diagnosis(desc, got, want)
        checks.append(Check(label, credit, message))
    return checks


def _backward_diagnosis(desc: GraphDesc, got: list[float], want: list[float]) -> str:
    if got[-1] != 1.0:
        return f"root.grad is {fmt(got[-1])} after backward: start by setting root.grad = 1."
    if all(g == 0.0 for g in got[:-1]):
        return "Every other node's grad is still 0: call BACKWARD_RULES[node.op](node) for every non-leaf node."
    try:
        forward = _gradients_in_order(desc, _forward_order(desc))
        if rel_error(got, forward) < 1e-9 and rel_error(forward, want) > 1e-9:
            return "You ran the rules children-first: run them in *reverse* topological order (root first)."
        preorders = [_gradients_in_order(desc, _preorder(desc, flip)) for flip in (False, True)]
        if any(rel_error(got, p) < 1e-9 and rel_error(p, want) > 1e-9 for p in preorders):
            return (
                "Your rules ran in a parent-first walk (each node listed when first reached), so a node used by "
                "two others ran its rule before the second one had added to its grad: build the order children-first "
                "(append a node after all its children) and walk it backwards."
            )
    except (ArithmeticError, ValueError):
        pass
    errors = [abs(a - b) / max(1e-8, abs(a) + abs(b)) if math.isfinite(a) else math.inf for a, b in zip(got, want)]
    worst = int(np.argmax(errors))
    text = f"Worst: {_describe(desc, worst)} has grad {fmt(got[worst])}, expected {fmt(want[worst])}."
    if (
        math.isfinite(got[worst])
        and want[worst] != 0
        and abs(got[worst] / want[worst] - round(got[worst] / want[worst])) < 1e-9
    ):
        text += " A whole multiple of the right value: is some node's rule run more than once?"
    return text


# -------------------------------------------------------------------- train_xor


def _prepare_xor(rng: np.random.Generator) -> Prepared:
    seeds = [int(s) for s in rng.integers(0, 10_000, size=XOR_SEEDS)]
    runs = [[XOR_STEPS, XOR_LR, seeds[0]], [XOR_STEPS, XOR_LR, seeds[0]]] + [[XOR_STEPS, XOR_LR, s] for s in seeds[1:]]
    payload = {"runs": runs, "inputs": XOR_INPUTS}
    return Prepared("train_xor", payload, lambda r, ctx: _judge_xor(runs, r, ctx))


def _judge_xor(runs: list[list[Any]], result: dict[str, Any], ctx: JudgeContext) -> list[Check]:
    answers = result.get("answers", [])
    steps = runs[0][0]
    call = f"train_xor(steps={steps}, lr={XOR_LR}, seed=...)"
    histories: list[list[float] | None] = []
    problems: list[str] = []
    for k, _ in enumerate(runs):
        answer = answers[k] if k < len(answers) else {"error": {"type": "GraderTimeout"}}
        if "error" in answer:
            problems.append(f"{call} {explain_error(answer['error'], ctx, XOR_HINTS)}")
            histories.append(None)
            continue
        hist = answer.get("history")
        if not isinstance(hist, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in hist):
            problems.append(
                f"{call} should return a list of floats (the loss at each step), got {describe_answer(hist)}"
            )
            histories.append(None)
            continue
        histories.append([float(x) for x in hist])
    first = histories[0]
    ok_runs = [(k, h) for k, h in enumerate(histories) if h is not None]
    checks: list[Check] = []

    # 1. the history: one finite loss per step
    if first is None:
        checks.append(Check("history", 0.0, problems[0] if problems else "no history"))
    elif len(first) != steps or not all(math.isfinite(x) for x in first):
        what = f"{len(first)} values" if len(first) != steps else "NaN or inf values (training diverged?)"
        checks.append(Check("history", 0.0, f"{call} should return {steps} finite losses, one per step; got {what}"))
    else:
        checks.append(Check("history", 1.0))

    if first is None:  # nothing ran: say why once, not once per check
        labels = ["uses your backward", "reproducible", "same losses as the reference run", "loss decreases"]
        checks += [Check(label, 0.0, weight=2.0 if label.startswith("same") else 1.0) for label in labels]
        checks.append(Check("accuracy 1.0", 0.0))
        return checks

    # 2. it trains with the student's backward
    answer0 = answers[0] if answers else {}
    calls = int(answer0.get("student_backward_calls", 0) or 0)
    library = int(answer0.get("library_backward_calls", 0) or 0)
    if first is None:
        checks.append(Check("uses your backward", 0.0))  # the history check already says why
    elif calls >= steps:
        checks.append(Check("uses your backward", 1.0))
    else:
        how = f" It called the library's loss.backward() {library} times instead." if library else ""
        checks.append(
            Check(
                "uses your backward",
                0.0,
                f"train_xor called your backward() {calls} times in {steps} steps: "
                f"call backward(loss) once per step.{how}",
            )
        )

    # 3. the same seed gives the same history
    second = histories[1] if len(histories) > 1 else None
    if first is not None and second is not None and first == second:
        checks.append(Check("reproducible", 1.0))
    elif first is None:
        checks.append(Check("reproducible", 0.0))
    else:
        checks.append(
            Check(
                "reproducible",
                0.0,
                "two calls with the same seed gave different histories: build the MLP with seed=seed "
                "(and draw any randomness from it)",
            )
        )

    # 4. the same trajectory as the engine's own training from the same seed (catches a missing
    # zero_grad, a partial update, a wrong learning rate: all of them still make the loss fall)
    trajectory = _trajectory_check(runs, histories, steps)
    checks.append(trajectory)

    # 5. the loss goes down; 6. the trained network separates XOR
    finals = [(h[-1], h[0]) for _, h in ok_runs if h and all(math.isfinite(x) for x in h)]
    if finals and min(f / s if s > 0 else math.inf for f, s in finals) <= XOR_LOSS_RATIO:
        checks.append(Check("loss decreases", 1.0))
    else:
        detail = ", ".join(f"{fmt(s)} -> {fmt(f)}" for f, s in finals) or "no finite history"
        checks.append(
            Check(
                "loss decreases",
                0.0,
                f"the loss should fall below {XOR_LOSS_RATIO:g} x its first value in {steps} steps "
                f"(first -> last: {detail})",
            )
        )
    solved = 0
    for k, _ in ok_runs:
        scores = answers[k].get("scores")
        if isinstance(scores, list) and len(scores) == 4 and all(isinstance(s, (int, float)) for s in scores):
            pos = [s for s, y in zip(scores, XOR_LABELS) if y == 1]
            neg = [s for s, y in zip(scores, XOR_LABELS) if y == 0]
            solved += min(pos) > max(neg)
    models = sum(int(answers[k].get("models", 0) or 0) > 0 for k, _ in ok_runs)
    if solved:
        checks.append(Check("accuracy 1.0", 1.0))
    elif ok_runs and not models:
        checks.append(Check("accuracy 1.0", 0.0, "train_xor must build its network with backprop_course.nn.MLP"))
    else:
        checks.append(
            Check(
                "accuracy 1.0",
                0.0,
                f"after training, the network does not classify all 4 XOR points right in any of {len(ok_runs)} "
                "runs (seeds): check the gradients, the learning rate and the hidden layer's size",
            )
        )
    if trajectory.credit < 1.0:
        # the loss and the accuracy follow from the trajectory, whose message already names the cause
        for c in checks:
            if c.label in ("loss decreases", "accuracy 1.0"):
                c.message = ""
    for p in problems[1:]:
        if checks and p not in (c.message for c in checks):
            checks[-1].message = (checks[-1].message + "\n" if checks[-1].message else "") + p
            break
    return checks


def _trajectory_check(runs: list[list[Any]], histories: list[list[float] | None], steps: int) -> Check:
    """Each run's losses against the engine's own run of the same seed, step by step."""
    from ..selfcheck.hw2 import xor_loss, xor_model
    from ..selfcheck.hw_training import describe_split, diagnose_history, first_difference, reference_history

    label = "same losses as the reference run"
    for (_, lr, seed), hist in zip(runs, histories):
        if hist is None:
            return Check(label, 0.0)
        want = reference_history(xor_model(seed), xor_loss, steps, lr)
        k = first_difference(hist, want)
        if k is None:
            continue
        call = f"train_xor(steps={steps}, lr={lr}, seed={seed})"
        if k == 0:
            hint = (
                "build nn.MLP(2, [4, 1], activation='tanh', seed=seed) and record the binary cross-entropy of the "
                "four points before each update"
            )
        else:
            hint, _ = diagnose_history(hist, partial(xor_model, seed), xor_loss, lr)
            if "fix that first" not in hint:
                hint += " If the backward tests above fail too, fix those first: this may follow from them."
        return Check(label, 0.0, f"{call}: {describe_split(hist, want, k)}. {hint}", weight=2.0)
    return Check(label, 1.0, weight=2.0)


ASSIGNMENT = Assignment(
    name="hw2",
    title="hw2 the backward pass",
    notebook="hw2_backward_pass.ipynb",
    tests=(
        TestSpec(
            "topological_sort",
            "topological_sort: a valid order on small graphs",
            ("topological_sort",),
            2.0,
            _prepare_topo(_basic_graphs),
        ),
        TestSpec(
            "topological_sort_shared",
            "topological_sort: nodes used more than once appear once",
            ("topological_sort",),
            2.0,
            _prepare_topo(_shared_graphs),
        ),
        TestSpec(
            "topological_sort_deep",
            f"topological_sort: a chain {DEEP_CHAIN_DEPTH} operations deep",
            ("topological_sort",),
            1.0,
            _prepare_topo(_deep_graphs),
            time_limit=10.0,
        ),
        TestSpec(
            "backward",
            "backward: the gradients of small graphs",
            ("backward",),
            2.0,
            _prepare_backward(_basic_graphs),
        ),
        TestSpec(
            "backward_shared",
            "backward: gradients accumulate at nodes used more than once",
            ("backward",),
            2.0,
            _prepare_backward(_shared_graphs),
        ),
        TestSpec(
            "backward_deep",
            f"backward: a chain {DEEP_CHAIN_DEPTH} operations deep",
            ("backward",),
            1.0,
            _prepare_backward(_deep_graphs),
            time_limit=10.0,
        ),
        TestSpec(
            "train_xor",
            "train_xor: an MLP learns XOR with your backward",
            ("train_xor", "backward"),
            5.0,
            _prepare_xor,
            time_limit=60.0,
        ),
    ),
)
