"""hw4 micrograd from scratch: the judge.

The student writes their own ``Value`` class (``data``, ``grad``, ``_prev``, ``+ - * / **``
with numbers on either side, ``tanh``, ``exp``, ``relu``, ``backward()``), then ``Neuron``,
``Layer``, ``MLP`` (with ``parameters()`` and ``zero_grad()``) and ``train_moons``.

Objects cannot cross the process boundary, so the judge draws graphs as plain data
(:func:`.graphs.random_value_graph` and friends), the child builds them on the
*learner's* class and reports every node's data and gradient (:mod:`.hw4_probes`),
and the judge builds the same graphs on the course's engine here to get the expected
values. For the network, the judge sends the weights: the child loads them through the
learner's ``parameters()`` (so a wrong order shows as wrong outputs), calls
``zero_grad`` after planting stale gradients, and takes one hinge-loss step; the judge
does the same with the course's ``MLP``. For training, the child reports the initial
weights of the learner's ``MLP(2, [8, 8, 1], seed)`` and the losses of
``train_moons``; the judge reruns the loop on the course engine from those weights and
compares the two histories step by step.

A submission that imports or subclasses the course's ``Value``/``MLP`` gets 0 with a
message saying so (while grading, those classes are also unavailable in the child).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import BACKWARD_RULES, topological_order
from ..engine import Value as CourseValue
from ..selfcheck.hw4 import MLP_VARIANTS, MOONS_LR, MOONS_SIZES, MOONS_STEPS, course_mlp, moons_data
from ..selfcheck.hw_training import SAME_LOSS, describe_split, diagnose_history, first_difference, reference_history
from .checks import Check, JudgeContext, credit_for, explain_error, fmt, rel_error, verdict
from .graphs import GraphDesc, build_on, deep_chain, fanout_graph, random_value_graph
from .specs import Assignment, Prepared, TestSpec

__all__ = ["ASSIGNMENT", "DEEP_CHAIN_DEPTH", "expected_values"]

PROBES = "backprop_course.grading.hw4_probes"
DEEP_CHAIN_DEPTH = 5000
RECURSION_HINT = (
    "The graph is thousands of nodes deep and Python allows about 1000 nested calls: build the topological "
    "order with your own stack (a list) in a while loop, not with recursion"
)
HINTS = {"RecursionError": RECURSION_HINT}
ACCUMULATE = (
    "a node used more than once must receive the sum of the gradients of all its uses: write `+=` in every "
    "_backward, never `=`"
)

#: how each op reads in a message, given the node's inputs' names and its number x
_TEXT: dict[str, Callable[[list[str], Any], str]] = {
    "+": lambda k, x: f"{k[0]} + {k[1]}",
    "-": lambda k, x: f"{k[0]} - {k[1]}",
    "*": lambda k, x: f"{k[0]} * {k[1]}",
    "/": lambda k, x: f"{k[0]} / {k[1]}",
    "+c": lambda k, x: f"{k[0]} + {fmt(x)}",
    "c+": lambda k, x: f"{fmt(x)} + {k[0]}",
    "-c": lambda k, x: f"{k[0]} - {fmt(x)}",
    "c-": lambda k, x: f"{fmt(x)} - {k[0]}",
    "*c": lambda k, x: f"{k[0]} * {fmt(x)}",
    "c*": lambda k, x: f"{fmt(x)} * {k[0]}",
    "/c": lambda k, x: f"{k[0]} / {fmt(x)}",
    "c/": lambda k, x: f"{fmt(x)} / {k[0]}",
    "**": lambda k, x: f"{k[0]} ** {fmt(x)}",
    "neg": lambda k, x: f"-{k[0]}",
    "tanh": lambda k, x: f"{k[0]}.tanh()",
    "exp": lambda k, x: f"{k[0]}.exp()",
    "relu": lambda k, x: f"{k[0]}.relu()",
    "sum": lambda k, x: " + ".join(k),
}

#: a missing reflected method shows as a TypeError when the number is on the left
_REFLECTED = {"c+": "__radd__", "c-": "__rsub__", "c*": "__rmul__", "c/": "__rtruediv__"}


def expected_values(desc: GraphDesc) -> tuple[list[float], list[float]]:
    """Every node's data and gradient, by the course's engine, in this process."""
    nodes = build_on(CourseValue, desc)
    nodes[-1].backward()
    return [v.data for v in nodes], [v.grad for v in nodes]


def _name(desc: GraphDesc, i: int) -> str:
    return "abcdefgh"[i] if desc[i][0] == "" and i < 8 else f"node {i}"


def _text(desc: GraphDesc, i: int) -> str:
    op, kids, x = desc[i]
    if op == "":
        return f"the leaf {_name(desc, i)} = {fmt(x)}"
    return "`" + _TEXT[op]([_name(desc, k) for k in kids], x) + "`"


def _forward_order_grads(desc: GraphDesc) -> list[float]:
    """The gradients when the rules run children first (the wrong order), on the course's engine."""
    nodes = build_on(CourseValue, desc)
    root = nodes[-1]
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in order:
        BACKWARD_RULES[node.op](node)
    return [v.grad for v in nodes]


def _op_hint(desc: GraphDesc, i: int, got: list[float], want: list[float]) -> str:
    """A hint for a wrong gradient of the inputs of the single op of a small graph."""
    op, kids, x = desc[-1]
    leaves = [desc[k][2] for k in kids]
    a = leaves[0]
    g = got[kids[0]]
    candidates: list[tuple[str, float]] = []
    if op == "*" and kids[0] != kids[1]:
        candidates.append(("∂(a·b)/∂a is the *other* input b: self.grad += other.data * out.grad", a))
    if op == "tanh":
        t = math.tanh(a)
        candidates += [
            ("you used the input: ∂tanh(a)/∂a = 1 - t² with t the output, not 1 - a²", 1 - a * a),
            ("the derivative is 1 - t²: the square is missing", 1 - t),
        ]
    if op == "exp":
        candidates.append(("∂eᵃ/∂a = eᵃ, the output: self.grad += out.data * out.grad", a))
    if op == "relu":
        candidates += [
            ("relu passes gradient only where a > 0 (slope 0 at the kink a = 0 too)", 1.0),
            ("multiply by the slope, not by out", max(a, 0.0)),
        ]
    if op == "**":
        candidates += [
            ("the power rule lowers the exponent: n·aⁿ⁻¹, not n·aⁿ", x * a**x),
            ("the power rule brings the exponent down as a factor: n·aⁿ⁻¹", a ** (x - 1)),
        ]
    if op == "c-":
        candidates.append(("∂(c - a)/∂a = -1: __rsub__ must compute other - self", 1.0))
    if op == "-" and kids[0] != kids[1]:
        b = got[kids[1]]
        if math.isfinite(b) and abs(b - 1.0) < 1e-9:
            return "∂(a - b)/∂b = -1: build a - b as a + (-b)"
    if op == "/" and kids[0] != kids[1]:
        b = leaves[1]
        if abs(got[kids[1]] + 1 / b**2) < 1e-9 * max(1.0, abs(got[kids[1]])):
            return "∂(a/b)/∂b = -a/b²: the factor a is missing"
    for hint, wrong in candidates:
        if math.isfinite(g) and rel_error(g, wrong) < 1e-9 and rel_error(wrong, want[kids[0]]) > 1e-9:
            return hint
    return "check this op's _backward: self.grad += (local derivative) * out.grad"


def _judge_graphs(
    graphs: list[GraphDesc],
    expected: list[tuple[list[float], list[float]]],
    result: dict[str, Any],
    ctx: JudgeContext,
    kind: str,
) -> list[Check]:
    if "refused" in result:
        return [Check("your own Value", 0.0, str(result["refused"]))]
    checks = []
    answers = result.get("answers", [])
    for g, (desc, (want_data, want)) in enumerate(zip(graphs, expected)):
        label = _text(desc, len(desc) - 1) if kind == "ops" else f"graph {g + 1} ({len(desc)} nodes)"
        answer: dict[str, Any] = answers[g] if g < len(answers) else {"error": {"type": "GraderTimeout"}}
        if "error" in answer:
            err = answer["error"]
            text = explain_error(err, ctx, HINTS)
            op = desc[-1][0] if kind == "ops" else ""
            if err.get("type") == "TypeError" and answer.get("stage") == "build":
                if op in _REFLECTED:
                    text = (
                        f"raised TypeError: {err.get('message', '')}. With a number on the left Python calls your "
                        f"Value's {_REFLECTED[op]}: define it"
                    )
            checks.append(Check(label, 0.0, f"{label}: {text}"))
            continue
        data: list[Any] = answer.get("data", [])
        grads: list[Any] = answer.get("grads", [])
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in [*data, *grads]):
            bad = next(v for v in [*data, *grads] if not isinstance(v, (int, float)) or isinstance(v, bool))
            what = bad.get("__object__", "?") if isinstance(bad, dict) else type(bad).__name__
            checks.append(Check(label, 0.0, f"{label}: a node's data or grad is a {what}, not a float"))
            continue
        data_err = rel_error(data, want_data)
        if data_err >= 1e-7:
            worst = int(np.argmax([rel_error(a, b) for a, b in zip(data, want_data)]))
            message = (
                f"{label}: the forward value of {_text(desc, worst)} is {fmt(data[worst])}, expected "
                f"{fmt(want_data[worst])}"
            )
            if desc[worst][0] in ("c-", "c/"):
                message += " (a number on the left: __rsub__/__rtruediv__ compute other - self, other / self)"
            checks.append(Check(label, 0.0, message))
            continue
        err = rel_error(grads, want)
        credit = credit_for(err)
        message = ""
        if credit < 1.0:
            message = f"{label}: gradients {verdict(err)}. " + _diagnose(desc, grads, want, kind)
        checks.append(Check(label, credit, message))
    return checks


def _diagnose(desc: GraphDesc, got: list[float], want: list[float], kind: str) -> str:
    if got[-1] != 1.0:
        return f"The root's grad is {fmt(got[-1])} after backward(): backward() must start with self.grad = 1.0."
    try:
        forward = _forward_order_grads(desc)
        if rel_error(got, forward) < 1e-9 and rel_error(forward, want) > 1e-9:
            return "You ran the _backward functions children first: walk the topological order backwards."
    except (ArithmeticError, ValueError):
        pass
    if all(g == 0.0 for g in got[:-1]):
        return "No gradient reached the other nodes: does each op set out._backward, and does backward() call them?"
    errors = [rel_error(a, b) for a, b in zip(got, want)]
    worst = int(np.argmax(errors))
    text = f"Worst: {_text(desc, worst)} has grad {fmt(got[worst])}, expected {fmt(want[worst])}."
    if kind == "ops":
        return text + " Hint: " + _op_hint(desc, worst, got, want) + "."
    if kind == "reused":
        first = "if the every-op test fails too, fix that first (this may follow from it); otherwise"
        return f"{text} Hint: {first} {ACCUMULATE}."
    return text + (
        " If the every-op and reused-node tests fail too, fix those first (this may follow from them); otherwise "
        "check the order of the rules."
    )


def _prepare_graphs(make: Callable[[np.random.Generator], list[GraphDesc]], kind: str) -> Callable[..., Prepared]:
    def prepare(rng: np.random.Generator) -> Prepared:
        graphs = make(rng)
        expected = [expected_values(d) for d in graphs]
        return Prepared(
            f"{PROBES}:probe_graphs",
            {"graphs": graphs},
            lambda r, ctx: _judge_graphs(graphs, expected, r, ctx, kind),
        )

    return prepare


def _leaf(rng: np.random.Generator, lo: float = 0.3, hi: float = 2.0) -> float:
    return round(float(rng.uniform(lo, hi)) * float(rng.choice([-1.0, 1.0])), 4)


def _op_graphs(rng: np.random.Generator) -> list[GraphDesc]:
    """One small graph per op: the op on one or two leaves (a number on the other side where it takes one)."""
    graphs: list[GraphDesc] = []
    # the primitives first, then the ops usually built from them (-, /, numbers on the left), so the
    # report's first lines name the op whose rule is wrong rather than one that inherits its error
    for op in ("+", "*"):
        graphs.append([["", [], _leaf(rng)], ["", [], _leaf(rng)], [op, [0, 1], None]])
    for n in (3.0, -1.0, 0.5):
        graphs.append([["", [], abs(_leaf(rng, 0.5, 2.0))], ["**", [0], n]])
    for op in ("tanh", "exp"):
        graphs.append([["", [], _leaf(rng, 0.2, 1.5)], [op, [0], None]])
    graphs.append([["", [], abs(_leaf(rng))], ["relu", [0], None]])
    graphs.append([["", [], -abs(_leaf(rng))], ["relu", [0], None]])
    graphs.append([["", [], 0.0], ["relu", [0], None]])  # the kink: slope 0
    graphs.append([["", [], _leaf(rng, 0.2, 1.5)], ["neg", [0], None]])
    for op in ("-", "/"):
        graphs.append([["", [], _leaf(rng)], ["", [], _leaf(rng)], [op, [0, 1], None]])
    for op in ("+c", "c+", "-c", "c-", "*c", "c*", "/c", "c/"):
        graphs.append([["", [], _leaf(rng)], [op, [0], _leaf(rng, 0.5, 2.0)]])
    return graphs


def _reused_graphs(rng: np.random.Generator) -> list[GraphDesc]:
    a = _leaf(rng, 0.5, 1.5)
    twice_add: GraphDesc = [["", [], a], ["+", [0, 0], None]]
    twice_mul: GraphDesc = [["", [], a], ["*", [0, 0], None]]
    # x = a*b used by three nodes: x*c, tanh(x), x + d
    three: GraphDesc = [
        ["", [], _leaf(rng, 0.3, 1.0)],
        ["", [], _leaf(rng, 0.3, 1.0)],
        ["*", [0, 1], None],
        ["*c", [2], 3.0],
        ["tanh", [2], None],
        ["+c", [2], 0.25],
        ["sum", [3, 4, 5], None],
    ]
    return [twice_add, twice_mul, three, fanout_graph(rng)]


def _random_graphs(rng: np.random.Generator) -> list[GraphDesc]:
    return [random_value_graph(rng, n_leaves=3, n_ops=int(rng.integers(8, 16)), reuse=r) for r in (0.2, 0.5, 0.8, 0.9)]


def _deep_graphs(rng: np.random.Generator) -> list[GraphDesc]:
    return [deep_chain(rng, DEEP_CHAIN_DEPTH)]


# ----------------------------------------------------------------------------- MLP

MLP_NIN = 3
MLP_NOUTS = [4, 4, 1]
STEP_LR = 0.1
STALE_GRAD = 0.37


def _prepare_mlp(part: str) -> Callable[[np.random.Generator], Prepared]:
    def prepare(rng: np.random.Generator) -> Prepared:
        sizes = [MLP_NIN, *MLP_NOUTS]
        count = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(MLP_NOUTS)))
        weights = [round(float(w), 4) for w in rng.uniform(-1.0, 1.0, size=count)]
        inputs = [[round(float(v), 4) for v in row] for row in rng.normal(size=(5, MLP_NIN))]
        labels = [float(v) for v in rng.choice([-1.0, 1.0], size=5)]
        payload = {
            "nin": MLP_NIN,
            "nouts": MLP_NOUTS,
            "weights": weights,
            "inputs": inputs,
            "labels": labels,
            "lr": STEP_LR,
            "stale": STALE_GRAD,
        }
        judge = _judge_parameters if part == "parameters" else _judge_step
        return Prepared(f"{PROBES}:probe_mlp", payload, lambda r, ctx: judge(payload, r, ctx))

    return prepare


def _floats(values: Any) -> list[float] | None:
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    return [float(v) for v in values]


def _judge_parameters(payload: dict[str, Any], result: dict[str, Any], ctx: JudgeContext) -> list[Check]:
    if "refused" in result:
        return [Check("your own MLP", 0.0, str(result["refused"]))]
    answer = result.get("answer", {})
    error = result.get("error")
    weights = payload["weights"]
    checks: list[Check] = []
    call = f"MLP({payload['nin']}, {payload['nouts']})"
    count = answer.get("count")
    if count is None:
        why = explain_error(error, ctx) if error else f"parameters() returned a {answer.get('parameters_type')}"
        return [Check("parameters", 0.0, f"{call}: {why}"), Check("forward", 0.0), Check("zero_grad", 0.0)]
    if count != len(weights):
        return [
            Check(
                "parameter count",
                0.0,
                f"{call}.parameters() has {count} entries, expected {len(weights)} = (3+1)·4 + (4+1)·4 + (4+1)·1: "
                "per neuron its weights then its bias, every neuron of every layer",
            ),
            Check("forward", 0.0),
            Check("zero_grad", 0.0),
        ]
    checks.append(Check("parameter count", 1.0))
    outputs = _floats(answer.get("outputs"))
    want = [course_mlp(payload["nin"], payload["nouts"], weights)(x).data for x in payload["inputs"]]
    if outputs is None:
        why = explain_error(error, ctx) if error and answer.get("stage") == "forward" else "the outputs are not floats"
        checks.append(Check("forward", 0.0, f"{call} with the grader's weights: {why}"))
    else:
        err = rel_error(outputs, want)
        message = ""
        if credit_for(err) < 1.0:
            message = (
                f"{call} with the grader's {len(weights)} weights loaded through parameters(): output "
                f"{fmt(outputs[0])}, expected {fmt(want[0])}."
            )
            for kw, hint, _ in MLP_VARIANTS:
                kw = dict(kw)
                order = kw.pop("order", "right")
                other = course_mlp(payload["nin"], payload["nouts"], weights, order, **kw)
                if rel_error(outputs, [other(x).data for x in payload["inputs"]]) < 1e-9:
                    message += f" Hint: {hint}"
                    break
            else:
                message += (
                    " Hint: parameters() lists per neuron its weights then its bias, layer by layer; relu on all "
                    "layers but the last."
                )
        checks.append(Check("forward", credit_for(err), message))
    after = _floats(answer.get("after_zero_grad"))
    if after is None:
        why = explain_error(error, ctx) if error and answer.get("stage") == "zero_grad" else "it did not run"
        checks.append(Check("zero_grad", 0.0, f"zero_grad(): {why}"))
    else:
        stale = sum(1 for g in after if g != 0.0)
        checks.append(
            Check(
                "zero_grad",
                0.0 if stale else 1.0,
                f"after zero_grad(), {stale} of {count} parameters still had a gradient: set p.grad = 0.0 for every "
                "p in self.parameters()"
                if stale
                else "",
            )
        )
    return checks


def _judge_step(payload: dict[str, Any], result: dict[str, Any], ctx: JudgeContext) -> list[Check]:
    if "refused" in result:
        return [Check("your own MLP", 0.0, str(result["refused"]))]
    answer = result.get("answer", {})
    error = result.get("error")
    weights = payload["weights"]
    model = course_mlp(payload["nin"], payload["nouts"], weights)
    loss = sum(((1.0 - y * model(x)).relu() for x, y in zip(payload["inputs"], payload["labels"])), CourseValue(0.0))
    loss = loss / len(payload["inputs"])
    model.zero_grad()
    loss.backward()
    want_grads = [p.grad for p in model.parameters()]
    want_updated = [p.data - payload["lr"] * p.grad for p in model.parameters()]
    what = "one step of gradient descent on the mean hinge loss, from the grader's weights"
    if answer.get("stage") != "done":
        if "refused" not in result and answer.get("count") not in (None, len(weights)):
            text = "the parameter count is wrong (see the test above), so the grader's weights could not be loaded"
        elif error:
            text = f"stopped at {answer.get('stage', 'the start')}: {explain_error(error, ctx, HINTS)}"
        else:
            text = "it did not run"
        return [Check("loss", 0.0, f"{what}: {text}"), Check("gradients", 0.0), Check("update", 0.0)]
    checks = []
    outputs = _floats(answer.get("outputs"))
    reference = course_mlp(payload["nin"], payload["nouts"], weights)
    want_outputs = [reference(x).data for x in payload["inputs"]]
    if outputs is None or rel_error(outputs, want_outputs) >= 1e-7:
        text = (
            "your MLP's outputs with the grader's weights already differ (see the parameters test: the order of "
            "parameters() or the forward pass), so this step cannot match: fix that first"
        )
        return [Check("loss", 0.0, f"{what}: {text}"), Check("gradients", 0.0), Check("update", 0.0)]
    got_loss = answer.get("loss")
    loss_ok = isinstance(got_loss, (int, float)) and rel_error(got_loss, loss.data) < 1e-7
    checks.append(
        Check(
            "loss",
            1.0 if loss_ok else 0.0,
            ""
            if loss_ok
            else f"{what}: loss {got_loss}, expected {fmt(loss.data)} (check the ops `1 - y * s`, relu, sum, /)",
        )
    )
    grads = _floats(answer.get("grads"))
    if grads is None:
        checks.append(Check("gradients", 0.0, f"{what}: a parameter's grad is not a float"))
    else:
        err = rel_error(grads, want_grads)
        message = ""
        if credit_for(err) < 1.0:
            stale = [g - w for g, w in zip(grads, want_grads)]
            if all(abs(s - STALE_GRAD) < 1e-9 for s in stale):
                message = (
                    f"{what}: every gradient is {STALE_GRAD} too large: the old gradients were not cleared, "
                    "zero_grad() must set each p.grad to 0"
                )
            else:
                message = (
                    f"{what}: parameter gradients {verdict(err)} (if the Value tests fail, fix those first: "
                    "this step uses the same ops)"
                )
        checks.append(Check("gradients", credit_for(err), message))
    updated = _floats(answer.get("updated"))
    err = rel_error(updated, want_updated) if updated is not None else math.inf
    checks.append(
        Check(
            "update",
            credit_for(err),
            "" if credit_for(err) == 1.0 else f"{what}: the updated weights are {verdict(err)}",
        )
    )
    return checks


# -------------------------------------------------------------------------- training


def _prepare_train(rng: np.random.Generator) -> Prepared:
    X, y = moons_data()
    # a few small graphs of the ops training uses: if the learner's Value gets them wrong, that is the
    # root cause of a wrong training run, and the feedback says so first
    score, label = _leaf(rng, 0.2, 0.9), float(rng.choice([-1.0, 1.0]))
    hinge: GraphDesc = [["", [], score], ["c*", [0], label], ["c-", [1], 1.0], ["relu", [2], None], ["/c", [3], 3.0]]
    sanity = [hinge, *_reused_graphs(rng)[:3], random_value_graph(rng, n_leaves=3, n_ops=10, reuse=0.5)]
    payload = {
        "steps": MOONS_STEPS,
        "lr": MOONS_LR,
        "seed": 0,
        "sizes": MOONS_SIZES,
        "X": X.tolist(),
        "graphs": sanity,
    }
    expected = [expected_values(d) for d in sanity]
    return Prepared(f"{PROBES}:probe_train", payload, lambda r, ctx: _judge_train(payload, X, y, r, ctx, expected))


def _value_is_wrong(result: dict[str, Any], expected: list[tuple[list[float], list[float]]]) -> bool:
    """Whether the learner's Value got a sanity graph wrong, its values or its gradients (or could not build it)."""
    answers = result.get("sanity", [])
    if len(answers) != len(expected):
        return False
    for answer, (want_data, want_grads) in zip(answers, expected):
        if not isinstance(answer, dict):
            return True
        data, grads = _floats(answer.get("data")), _floats(answer.get("grads"))
        for got, want in ((data, want_data), (grads, want_grads)):
            if got is None or len(got) != len(want) or rel_error(got, want) >= 1e-7:
                return True
    return False


def _judge_train(
    payload: dict[str, Any],
    X: np.ndarray,
    y: np.ndarray,
    result: dict[str, Any],
    ctx: JudgeContext,
    sanity: list[tuple[list[float], list[float]]] | None = None,
) -> list[Check]:
    if "refused" in result:
        return [Check("your own MLP", 0.0, str(result["refused"]))]
    call = f"train_moons(steps={payload['steps']}, lr={payload['lr']}, seed={payload['seed']})"
    weights = _floats(result.get("weights"))
    if weights is None or "error" in result:
        where = "MLP(2, [8, 8, 1], seed=0)" if result.get("stage") == "build" else call
        text = explain_error(result["error"], ctx, HINTS) if "error" in result else "the initial weights are not floats"
        return [Check("losses", 0.0, f"{where}: {text}"), Check("accuracy", 0.0)]
    if "wrong_type" in result:
        return [
            Check("losses", 0.0, f"{call} should return (model, losses), returned a {result['wrong_type']}"),
            Check("accuracy", 0.0),
        ]
    history = _floats(result.get("history"))
    if history is None or len(history) != payload["steps"]:
        n = len(history) if history is not None else "no list of"
        return [
            Check("losses", 0.0, f"{call} returned {n} losses; expected {payload['steps']} floats, one per step"),
            Check("accuracy", 0.0),
        ]

    def fresh() -> Any:
        return course_mlp(2, payload["sizes"], weights)

    def loss_of(model: Any) -> Any:
        from ..losses import hinge

        return hinge([model(x) for x in X], y)

    want = reference_history(fresh(), loss_of, payload["steps"], payload["lr"])
    k = first_difference(history, want, SAME_LOSS)
    checks = []
    if k is None:
        checks.append(Check("losses", 1.0, ""))
    elif sanity is not None and _value_is_wrong(result, sanity):
        hint = (
            "Your Value gives wrong values or gradients on small graphs like the hinge loss relu(1 - y·s) (see the "
            "Value tests above): fix that first; this failure follows from it."
        )
        checks.append(Check("losses", 0.0, f"{call}: {describe_split(history, want, k)}. {hint}"))
    elif k == 0:
        checks.append(
            Check(
                "losses",
                0.0,
                f"{call}: {describe_split(history, want, 0)}: build MLP(2, [8, 8, 1], seed=seed) and use the mean "
                "hinge loss of all points (if the MLP test above fails, e.g. the order of parameters(), fix that "
                "first: this may follow from it)",
            )
        )
    else:
        hint, _ = diagnose_history(history, fresh, loss_of, payload["lr"])
        hint += " If the MLP tests above fail too, fix those first: this failure may follow from them."
        checks.append(Check("losses", 0.0, f"{call}: {describe_split(history, want, k)}. {hint}"))
    scores = _floats(result.get("scores"))
    if scores is None:
        checks.append(Check("accuracy", 0.0, f"the model {call} returned could not score the points"))
    else:
        right = sum((s > 0) == (t > 0) for s, t in zip(scores, y))
        ok = right == len(y)
        checks.append(
            Check(
                "accuracy",
                1.0 if ok else 0.0,
                "" if ok else f"the returned model classifies {right} of {len(y)} training points right; expected all",
            )
        )
    return checks


ASSIGNMENT = Assignment(
    name="hw4",
    title="hw4 micrograd from scratch",
    notebook="hw4_micrograd_from_scratch.ipynb",
    tests=(
        TestSpec(
            "value_ops",
            "Value: every op, numbers on either side, relu at its kink",
            ("Value",),
            3.0,
            _prepare_graphs(_op_graphs, "ops"),
            time_limit=5.0,
        ),
        TestSpec(
            "value_reused",
            "Value: a + a, a * a, a node used by three others (+=)",
            ("Value",),
            2.0,
            _prepare_graphs(_reused_graphs, "reused"),
            time_limit=5.0,
        ),
        TestSpec(
            "value_random_graphs",
            "Value: random expressions with fan-out, every op",
            ("Value",),
            3.0,
            _prepare_graphs(_random_graphs, "random"),
            time_limit=5.0,
        ),
        TestSpec(
            "value_deep",
            f"Value: a chain {DEEP_CHAIN_DEPTH} operations deep",
            ("Value",),
            1.0,
            _prepare_graphs(_deep_graphs, "deep"),
            time_limit=10.0,
        ),
        TestSpec(
            "mlp_parameters",
            "MLP: parameter count and order, forward pass, zero_grad",
            ("MLP",),
            3.0,
            _prepare_mlp("parameters"),
            time_limit=5.0,
        ),
        TestSpec(
            "training_step",
            "MLP: one training step from the grader's weights",
            ("MLP",),
            2.0,
            _prepare_mlp("step"),
            time_limit=5.0,
        ),
        TestSpec(
            "train_moons",
            "train_moons: the reference trajectory and 100% training accuracy",
            ("train_moons", "MLP"),
            4.0,
            _prepare_train,
            time_limit=90.0,
        ),
    ),
)
