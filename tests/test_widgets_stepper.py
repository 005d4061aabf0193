"""The backward pass step by step (notebook 02): backward_steps, its pictures and the stepper widget.

Expected gradients come from the engine's own ``backward()`` on the same graph (a separate code
path: backward_steps replays the rules on a copy) and, for the lecture graph, from hand computation.
"""

from __future__ import annotations

import math
import random

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex

from backprop_course import Value, widgets
from backprop_course.engine import custom_backward_rules, topological_order
from backprop_course.widgets.backward_stepper import BackwardStepView, node_names


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def lecture_graph() -> tuple[Value, dict[str, Value]]:
    """L = (a*b + c) * f, every node labelled, as in notebook 02."""
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L, {"a": a, "b": b, "c": c, "f": f, "e": e, "d": d, "L": L}


def test_lecture_graph_steps_by_hand():
    L, n = lecture_graph()
    steps = widgets.backward_steps(L)
    assert [s.node.label for s in steps] == ["L", "d", "e"]
    # rule of L = d * f with upstream 1: dL/dd = f = -2, dL/df = d = 4
    first = {c.child.label: c for c in steps[0].contributions}
    assert (first["d"].local, first["d"].upstream, first["d"].amount) == (-2.0, 1.0, -2.0)
    assert (first["f"].local, first["f"].amount) == (4.0, 4.0)
    # rule of e = a * b with upstream dL/de = -2: a gets b * -2 = 6, b gets a * -2 = -4
    last = {c.child.label: c for c in steps[2].contributions}
    assert (last["a"].local, last["a"].upstream, last["a"].amount) == (-3.0, -2.0, 6.0)
    assert last["b"].amount == -4.0
    final = {node.label: g for node, g in steps[-1].grads.items()}
    assert final == {"L": 1.0, "d": -2.0, "f": 4.0, "e": -2.0, "c": -2.0, "a": 6.0, "b": -4.0}
    # gradients fill in as they arrive: after the first rule a and b have none yet
    assert steps[0].grads[n["a"]] == 0.0 and steps[1].grads[n["e"]] == -2.0


def test_backward_steps_leaves_the_callers_graph_untouched():
    L, n = lecture_graph()
    n["a"].grad = 0.5  # a leftover gradient, as without zero_grad()
    widgets.backward_steps(L)
    assert n["a"].grad == 0.5
    assert all(n[k].grad == 0.0 for k in "bcfedL")


def random_graph(seed: int) -> tuple[Value, list[Value]]:
    """A random expression over a few leaves, each intermediate reused by later ones (fan-out)."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-1.5, 1.5), label=f"x{i}") for i in range(4)]
    pool = list(leaves)
    for _ in range(rng.randint(6, 14)):
        kind = rng.choice(["+", "*", "tanh", "sum", "dot", "square", "self*", "sigmoid", "-"])
        a, b = rng.choice(pool), rng.choice(pool)
        if kind == "+":
            out = a + b
        elif kind == "*":
            out = a * b
        elif kind == "-":
            out = a - b
        elif kind == "tanh":
            out = a.tanh()
        elif kind == "sigmoid":
            out = a.sigmoid()
        elif kind == "square":
            out = a**2
        elif kind == "self*":
            out = a * a  # the same node twice in one op
        elif kind == "sum":
            out = Value.sum(rng.sample(pool, min(3, len(pool))))
        else:
            k = min(2, len(pool) // 2)
            out = Value.dot(pool[:k], pool[-k:], bias=rng.choice(pool))
        pool.append(out)
    root = Value.sum(pool[-3:]) * pool[rng.randrange(len(pool))]  # more fan-out into the root
    return root, pool


@pytest.mark.parametrize("seed", range(25))
def test_last_step_equals_backward_on_random_graphs_with_fan_out(seed):
    root, pool = random_graph(seed)
    steps = widgets.backward_steps(root)
    # one step per interior node, in the order backward() runs the rules
    assert [s.node for s in steps] == list(reversed(topological_order(root)))
    assert all(s.index == i for i, s in enumerate(steps))
    root.backward()
    final = steps[-1].grads
    for node in final:
        assert final[node] == pytest.approx(node.grad, rel=1e-12, abs=1e-12)
    reachable, stack = {root}, [root]
    while stack:
        for child in stack.pop().children:
            if child not in reachable:
                reachable.add(child)
                stack.append(child)
    assert set(final) == reachable  # every node of the graph, leaves included


@pytest.mark.parametrize("seed", range(10))
def test_each_step_changes_only_the_inputs_of_its_node_by_local_times_upstream(seed):
    root, _ = random_graph(seed)
    steps = widgets.backward_steps(root)
    previous = {node: (1.0 if node is root else 0.0) for node in steps[0].grads}
    seen = {root}
    for step in steps:
        children = set(step.node.children)
        for node, grad in step.grads.items():
            if node not in children:
                assert grad == previous[node]
        for c in step.contributions:
            assert c.upstream == previous[step.node]
            assert c.local * c.upstream == pytest.approx(c.amount, rel=1e-9, abs=1e-12)
            assert c.before == previous[c.child] and c.after == step.grads[c.child]
            assert c.first == (c.child not in seen)
        seen |= children
        previous = dict(step.grads)


def test_a_reused_node_gets_plus_equals_the_second_time():
    x = Value(3.0, label="x")
    y = x * 2.0 + x.tanh()  # x feeds two ops
    y.label = "y"
    steps = widgets.backward_steps(y)
    received = [c for s in steps for c in s.contributions if c.child is x]
    assert [c.first for c in received] == [True, False]
    assert received[1].before == received[0].after
    assert received[1].after == pytest.approx(2.0 + (1 - math.tanh(3.0) ** 2))
    text = widgets.describe_backward_step(steps[-1], node_names(y), y)
    assert "x.grad +=" in text and "another path into x" in text


def test_the_same_node_twice_in_one_op_gets_both_contributions():
    a = Value(3.0, label="a")
    sq = a * a
    steps = widgets.backward_steps(sq)
    (c,) = steps[0].contributions
    assert c.local == 6.0 and c.amount == 6.0  # d(a*a)/da = 2a


def test_accumulate_starts_leaves_from_their_current_grad_as_backward_does():
    L, n = lecture_graph()
    n["a"].grad = 1.0
    steps = widgets.backward_steps(L, accumulate=True)
    assert steps[-1].grads[n["a"]] == 7.0  # 1 + 6: a leaf accumulates without zero_grad()
    L.backward()
    assert n["a"].grad == 7.0
    assert widgets.backward_steps(L)[-1].grads[n["a"]] == 6.0  # the default starts from zero


def test_custom_rules_are_the_ones_replayed():
    L, n = lecture_graph()

    def wrong_mul(out):  # forgets the upstream gradient
        a, b = out.children
        a.grad += b.data
        b.grad += a.data

    with custom_backward_rules({"*": wrong_mul}):
        steps = widgets.backward_steps(L)
    assert steps[-1].grads[n["a"]] == -3.0  # b, not b * dL/de


def test_bad_roots_are_refused_clearly():
    assert widgets.backward_steps(Value(1.0)) == []
    with pytest.raises(TypeError, match="output Value"):
        widgets.backward_steps(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nan"):
        widgets.backward_steps(Value(float("nan")) * 2.0)


# ------------------------------------------------------------------ pictures


def box_edge(view: BackwardStepView, node: Value) -> str:
    return to_hex(view.art.boxes[node].get_edgecolor())


def test_draw_backward_step_shows_unknown_grads_then_fills_them_in():
    L, n = lecture_graph()
    fig = widgets.draw_backward_step(L, 0)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("a |") and "grad ?" in t for t in texts)
    assert any(t.startswith("L |") and "grad 1" in t for t in texts)
    view = BackwardStepView(L)
    view.show(3)
    shown = {node.label: view.art.texts[node].get_text() for node in view.nodes}
    assert shown["a"].endswith("grad 6") and shown["b"].endswith("grad -4")
    assert "?" not in "".join(shown.values())


def test_the_current_node_and_the_inputs_it_feeds_are_highlighted():
    L, n = lecture_graph()
    view = BackwardStepView(L)
    view.show(2)  # the rule of d = e + c
    assert box_edge(view, n["d"]) == "#d55e00"
    assert box_edge(view, n["e"]) == box_edge(view, n["c"]) == "#009e73"
    assert box_edge(view, n["a"]) == to_hex("0.3")  # the plain outline
    rule = view.art.rule_text.get_text()
    assert "e.grad = ∂d/∂e × upstream = 1 = 1 × -2 = -2" in rule


def test_draw_backward_step_rejects_states_out_of_range():
    L, _ = lecture_graph()
    with pytest.raises(ValueError, match="from 0 .start. to 3"):
        widgets.draw_backward_step(L, 4)


def test_forward_steps_compute_inputs_first_and_the_picture_hides_later_values():
    L, n = lecture_graph()
    steps = widgets.forward_steps(L)
    assert [s.node.label for s in steps] == ["e", "d", "L"]
    fig = widgets.draw_forward_step(L, 1)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "e | data -6" in texts and "d | data ?" in texts and "a | data 2" in texts


# ------------------------------------------------------------------ the widget


def test_stepper_next_until_done_shows_the_grads_of_backward():
    L, n = lecture_graph()
    stepper = widgets.backward_stepper(L)
    first = stepper.image.value
    assert bytes(first[:8]) == b"\x89PNG\r\n\x1a\n"
    for _ in range(5):  # more clicks than rules: it stops at the end
        stepper.next_button.click()
    assert stepper.controls["state"].value == 3
    assert stepper.image.value != first
    view = stepper.view
    L.backward()
    for node in view.nodes:
        assert view.art.texts[node].get_text().endswith(f"grad {node.grad:.4g}")
    line = stepper.text.value.split("grads: ")[1].split("</pre>")[0]
    shown = dict(part.split(" = ") for part in line.split(", "))
    assert {name: float(v) for name, v in shown.items()} == {node.label: node.grad for node in n.values()}
    stepper.back_button.click()
    assert stepper.controls["state"].value == 2
    assert "a = ?" in stepper.text.value  # a's gradient has not arrived two rules in
