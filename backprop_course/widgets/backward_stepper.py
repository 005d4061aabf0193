"""Notebook 02: the backward pass one rule at a time, and the forward pass one node at a time.

:func:`backward_steps` replays what ``root.backward()`` does, rule by rule, on a copy of the
graph, and records after each rule every node's gradient and what the rule added to each of
the node's inputs:

.. math::

    \\underbrace{\\frac{\\partial \\text{out}}{\\partial \\text{child}}}_{\\text{local derivative}}
    \\times \\underbrace{\\frac{\\partial L}{\\partial \\text{out}}}_{\\text{upstream}}
    = \\text{contribution},\\qquad \\text{child.grad} \\mathrel{+}= \\text{contribution}

:func:`draw_backward_step` draws one state (the plain, tested picture); :func:`backward_stepper`
wires it to Back/Next/Play controls. :func:`forward_steps` and :func:`draw_forward_step` do the
same for the forward pass (which node is computed when, from what).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path as MplPath

from ..engine import BACKWARD_RULES, Value, _node, topological_order
from ..plots import edge_paths, layered_layout
from .live import image_explorer, new_figure

__all__ = [
    "BackwardStep",
    "Contribution",
    "ForwardStep",
    "backward_stepper",
    "backward_steps",
    "draw_backward_step",
    "draw_forward_step",
    "forward_steps",
    "node_names",
]

_OP_SYMBOLS = {"+": "+", "*": "×", "/": "÷", "**": "^", "pow": "^", "sum": "Σ", "dot": "w·x"}


@dataclass(frozen=True)
class Contribution:
    """What one backward rule added to one of its node's inputs.

    ``local * upstream == amount`` (up to rounding): the chain rule's product.
    ``first`` is False when ``child`` had already received gradient from an earlier rule,
    which is the ``+=`` that makes a reused node's gradient the sum over its uses.
    """

    child: Value  #: the input (a node of the caller's graph) that received gradient
    local: float  #: the local derivative d(out)/d(child) (summed when the child is used twice by this op)
    upstream: float  #: dL/d(out), the gradient of the node whose rule ran
    amount: float  #: what was added to child.grad
    before: float  #: child.grad before this rule
    after: float  #: child.grad after it
    first: bool  #: True when this is the first gradient the child receives
    formula: str  #: the local derivative written out, e.g. "b" or "1 - out²"


@dataclass(frozen=True)
class BackwardStep:
    """The state after one backward rule ran.

    Attributes:
        node: the node whose rule ran (a node of the caller's graph).
        grads: every node of the graph -> its grad after this step.
        contributions: one per distinct input of ``node``, in the order of its children.
        index: 0 for the first rule, ``len(steps) - 1`` for the last.
    """

    node: Value
    grads: Mapping[Value, float]
    contributions: tuple[Contribution, ...]
    index: int


def _all_nodes(root: Value) -> list[Value]:
    """Every node reachable from ``root`` (leaves included), each once, ``root`` first."""
    seen = {root}
    stack, out = [root], []
    while stack:
        node = stack.pop()
        out.append(node)
        for child in node.children:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return out


def _mirror(nodes: Sequence[Value]) -> dict[Value, Value]:
    """A copy of the graph (same data, ops, fixed exponents; grads 0): original node -> copy.

    The backward rules run on the copy, so the caller's grads are never touched.
    """
    copies: dict[Value, Value] = {}
    # children before parents: walk the reversed topological order of every node, leaves first
    for node in reversed(nodes):
        if not node.children:
            copy = Value(node.data, node.label)
            copies[node] = copy
    pending = [n for n in nodes if n.children]
    while pending:
        rest = []
        for node in pending:
            if all(c in copies for c in node.children):
                copy = _node(node.data, tuple(copies[c] for c in node.children), node.op)
                copy._aux = node._aux
                copy.label = node.label
                copies[node] = copy
            else:
                rest.append(node)
        if len(rest) == len(pending):  # cannot happen for a graph built by the engine (it is acyclic)
            raise ValueError("the graph has a cycle; a computation graph built from Values never does")
        pending = rest
    return copies


def backward_steps(root: Value, *, accumulate: bool = False) -> list[BackwardStep]:
    """The backward pass of ``root`` as a list of steps, one per interior node, in the order
    ``root.backward()`` runs their rules (the reverse of :func:`~backprop_course.engine.topological_order`).

    The rules are the engine's own (``BACKWARD_RULES``, so a rule swapped in with
    :func:`~backprop_course.engine.custom_backward_rules` is the one replayed), run on a copy of
    the graph: **the caller's nodes and their grads are never modified.**

    Args:
        root: the output node, e.g. a loss.
        accumulate: start the leaves from their current ``grad`` (what ``backward()`` does without
            ``zero_grad()``: leaves accumulate); by default every node starts at 0, as after
            ``zero_grad()``.

    Returns:
        One :class:`BackwardStep` per interior node; the last step's ``grads`` equal the
        grads ``root.backward()`` leaves (every node, leaves included). Empty when ``root`` is a leaf.

    Raises:
        TypeError: ``root`` is not a Value.
        ValueError: ``root.data`` is NaN or infinite (``backward()`` refuses it too).
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps needs the output Value of a computation, got {type(root).__name__}")
    if not math.isfinite(root.data):
        raise ValueError(f"backward from a value that is {root.data!r}: its gradients are meaningless")
    nodes = _all_nodes(root)
    copies = _mirror(nodes)
    original = {copy: node for node, copy in copies.items()}
    if accumulate:
        for node in nodes:
            if not node.children:
                copies[node].grad = node.grad
    order = topological_order(copies[root])
    copies[root].grad = 1.0
    received = (
        {copies[root]}
        if accumulate is False
        else {copies[root]} | {c for c in copies.values() if not c._prev and c.grad != 0.0}
    )
    steps: list[BackwardStep] = []
    for index, out in enumerate(reversed(order)):
        rule = BACKWARD_RULES[out._op]
        children = list(dict.fromkeys(out._prev))  # distinct inputs, in order
        before = {c: c.grad for c in children}
        # the local derivatives: the same rule with upstream 1 from zero grads (every rule is linear in out.grad)
        upstream = out.grad
        for c in children:
            c.grad = 0.0
        out.grad = 1.0
        rule(out)
        local = {c: c.grad for c in children}
        for c in children:
            c.grad = before[c]
        out.grad = upstream
        rule(out)  # the real step
        contributions = tuple(
            Contribution(
                child=original[c],
                local=local[c],
                upstream=upstream,
                amount=c.grad - before[c],
                before=before[c],
                after=c.grad,
                first=c not in received,
                formula=_local_formula(out, c),
            )
            for c in children
        )
        received.update(children)
        grads = {node: copies[node].grad for node in nodes}
        steps.append(BackwardStep(original[out], grads, contributions, index))
    return steps


def _local_formula(out: Value, child: Value) -> str:
    """The local derivative d(out)/d(child) as a short formula (the engine's rules, in words)."""
    op, prev = out._op, out._prev
    positions = [i for i, c in enumerate(prev) if c is child]
    i = positions[0]
    if len(positions) > 1:
        if op == "*":
            return "2·a (a × a)"
        return "sum over both uses"
    if op in ("+", "sum"):
        return "1"
    if op == "*":
        return "b" if i == 0 else "a"
    if op == "/":
        return "1/b" if i == 0 else "-out/b"
    if op == "**":
        return f"{out._aux:g}·a^{out._aux - 1:g}"
    if op == "pow":
        return "b·a^(b-1)" if i == 0 else "out·log(a)"
    if op == "exp":
        return "out"
    if op == "log":
        return "1/a"
    if op == "tanh":
        return "1 - out²"
    if op == "sigmoid":
        return "out·(1 - out)"
    if op == "relu":
        return "1 if out > 0 else 0"
    if op == "dot":
        n = len(prev) // 2
        if i < n:
            return f"x{i + 1}"
        if i < 2 * n:
            return f"w{i - n + 1}"
        return "1"
    return f"∂{op}/∂input"


def node_names(root: Value) -> dict[Value, str]:
    """A name for every node: its label, else ``n1, n2, ...`` in the order the forward pass computes them."""
    names: dict[Value, str] = {}
    counter = 0
    for node in _all_nodes(root)[::-1]:
        if node.label:
            names[node] = node.label
    for node in [n for n in _all_nodes(root) if not n.children] + topological_order(root):
        if node not in names:
            counter += 1
            names[node] = f"n{counter}"
    return names


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def describe_backward_step(step: BackwardStep | None, names: Mapping[Value, str], root: Value) -> str:
    """The rule of ``step`` written out with its numbers, one line per input (``None``: the start)."""
    if step is None:
        return f"start: {names[root]}.grad = dL/d{names[root]} = 1. Press Next to run the first backward rule."
    node = step.node
    op = _OP_SYMBOLS.get(node.op, node.op)
    inputs = ", ".join(names[c] for c in node.children)
    lines = [
        f"rule {step.index + 1}: {names[node]} = {op}({inputs}); "
        f"upstream dL/d{names[node]} = {_fmt(node_grad(step, node))}"
    ]
    for c in step.contributions:
        sign = "=" if c.first else "+="
        sign_amount = f"+ {_fmt(c.amount)}" if c.amount >= 0 else f"- {_fmt(-c.amount)}"
        note = "" if c.first else f"   ({_fmt(c.before)} {sign_amount}: another path into {names[c.child]})"
        lines.append(
            f"  {names[c.child]}.grad {sign} ∂{names[node]}/∂{names[c.child]} × upstream"
            f" = {c.formula} = {_fmt(c.local)} × {_fmt(c.upstream)} = {_fmt(c.amount)}"
            f"   → {names[c.child]}.grad = {_fmt(c.after)}{note}"
        )
    return "\n".join(lines)


def node_grad(step: BackwardStep, node: Value) -> float:
    """``node``'s grad after ``step``."""
    return step.grads[node]


@dataclass
class _GraphArtists:
    texts: dict[Value, Any]
    boxes: dict[Value, FancyBboxPatch]
    edges: list[tuple[Value, Value, FancyArrowPatch]]
    rule_text: Any
    title: Any


_BOX_LEAF, _BOX_OP = "#fdf1dc", "#eaf2fb"
_CURRENT, _RECEIVING, _DONE = "#D55E00", "#009E73", "0.3"


class BackwardStepView:
    """One figure of a graph, redrawn in place for each step of :func:`backward_steps`."""

    def __init__(
        self, root: Value, steps: Sequence[BackwardStep] | None = None, *, pyplot: bool = False, show_rule: bool = True
    ) -> None:
        self.root = root
        self.steps = list(backward_steps(root) if steps is None else steps)
        self.names = node_names(root)
        layout = layered_layout(root)
        nodes, edges, pos = layout.nodes, layout.edges, layout.positions
        self.nodes = nodes
        n_cols = 1 + int(max(p[0] for p in pos.values()))
        rows = [p[1] for p in pos.values()]
        height = max(rows) - min(rows) + 1
        x_scale, box_w, box_h = 3.0, 2.2, 0.6
        fig_w = max(6.0, 2.9 * n_cols)
        graph_h = max(1.6, 0.95 * height)
        lines = 1 + max((len(set(n.children)) for n in nodes), default=1)
        # the rule's text: one line per input of the widest node (the widget writes it under the picture instead)
        text_h = 0.2 + 0.16 * lines if show_rule else 0.05
        title_h = 0.35
        total = graph_h + text_h + title_h
        self.figure = fig = new_figure((fig_w, total), pyplot=pyplot)
        ax: Axes = fig.add_axes((0.01, text_h / total, 0.98, graph_h / total))
        text_ax = fig.add_axes((0.01, 0.0, 0.98, text_h / total))
        text_ax.set_axis_off()

        def xy(node: Value) -> tuple[float, float]:
            c, r = pos[node]
            return c * x_scale, r

        arrows = []
        # routed as draw_graph routes them: a long edge runs through free rows, never through a box
        paths = edge_paths(layout, x_scale=x_scale, box_width=box_w, op_gap=0.3, op_radius=0.22)
        for (child, parent), points in zip(edges, paths):
            arrow = FancyArrowPatch(
                path=MplPath(points),
                arrowstyle="->",
                color="0.6",
                lw=1.0,
                mutation_scale=10,
            )
            ax.add_patch(arrow)
            arrows.append((child, parent, arrow))
        texts, boxes = {}, {}
        for node in nodes:
            x, y = xy(node)
            box = FancyBboxPatch(
                (x - box_w / 2, y - box_h / 2),
                box_w,
                box_h,
                boxstyle="round,pad=0.02",
                facecolor=_BOX_OP if node.op else _BOX_LEAF,
                edgecolor=_DONE,
                lw=1.0,
            )
            ax.add_patch(box)
            boxes[node] = box
            texts[node] = ax.text(x, y, "", ha="center", va="center", fontsize=8, family="monospace")
            if node.op:
                cx = x - box_w / 2 - 0.3
                ax.add_patch(Circle((cx, y), 0.22, facecolor="white", edgecolor="0.3"))
                ax.text(cx, y, _OP_SYMBOLS.get(node.op, node.op), ha="center", va="center", fontsize=7)
        ax.set_xlim(-box_w / 2 - 0.8, (n_cols - 1) * x_scale + box_w / 2 + 0.2)
        ax.set_ylim(min(rows) - 0.6, max(rows) + 0.6)
        ax.set_axis_off()
        title = fig.text(0.01, 1.0 - 0.08 / total, "", ha="left", va="top", fontsize=10)
        rule_text = text_ax.text(
            0.0, 0.95, "", ha="left", va="top", fontsize=8.5, family="monospace", transform=text_ax.transAxes
        )
        rule_text.set_visible(show_rule)
        self.art = _GraphArtists(texts, boxes, arrows, rule_text, title)
        self.state: int = -1

    def show(self, state: int) -> Figure:
        """Draw state ``state``: 0 is the start (only the output's grad, 1, is known), ``k`` after rule ``k``."""
        n = len(self.steps)
        if isinstance(state, bool) or not isinstance(state, int) or not 0 <= state <= n:
            raise ValueError(f"state must be an integer from 0 (start) to {n} (after the last rule), got {state!r}")
        step = self.steps[state - 1] if state else None
        known: set[Value] = {self.root}
        for s in self.steps[:state]:
            known.update(c.child for c in s.contributions)
        grads = step.grads if step else {self.root: 1.0}
        receiving = {c.child for c in step.contributions} if step else set()
        for node in self.nodes:
            label = self.names[node]
            grad = f"{grads[node]:.4g}" if node in known else "?"
            self.art.texts[node].set_text(f"{label} | data {node.data:.4g}\ngrad {grad}")
            box = self.art.boxes[node]
            if step is not None and node is step.node:
                box.set_edgecolor(_CURRENT)
                box.set_linewidth(3.0)
            elif node in receiving:
                box.set_edgecolor(_RECEIVING)
                box.set_linewidth(2.5)
            else:
                box.set_edgecolor(_DONE)
                box.set_linewidth(1.0)
        for _child, parent, arrow in self.art.edges:
            active = step is not None and parent is step.node
            arrow.set_color(_CURRENT if active else "0.6")
            arrow.set_linewidth(2.0 if active else 1.0)
        self.art.title.set_text(
            f"backward pass: state {state} of {n}"
            + (" (done: these are the grads backward() computes)" if state == n else "")
        )
        self.art.rule_text.set_text(describe_backward_step(step, self.names, self.root))
        self.state = state
        return self.figure

    def grads_line(self) -> str:
        """Every node's grad in the state shown, ``?`` where none has arrived yet: ``grads: a = 6, b = ?, ...``."""
        state = self.state
        step = self.steps[state - 1] if state > 0 else None
        known: set[Value] = {self.root}
        for s in self.steps[:state]:
            known.update(c.child for c in s.contributions)
        grads = step.grads if step else {self.root: 1.0}
        parts = [f"{self.names[n]} = {grads[n]:.6g}" if n in known else f"{self.names[n]} = ?" for n in self.nodes]
        return "grads: " + ", ".join(parts)


def draw_backward_step(root: Value, state: int, steps: Sequence[BackwardStep] | None = None) -> Figure:
    """The graph of ``root`` after ``state`` backward rules (0: before any), as a static picture.

    The node whose rule just ran is outlined in orange, the inputs it sent gradient to in
    green; a grad not yet computed shows as ``?``. Below the graph, the rule with its numbers:
    local derivative × upstream = contribution, and ``+=`` when an input already had gradient.
    Returns a pyplot figure (so ``plt.show()`` displays it in a notebook).
    """
    view = BackwardStepView(root, steps, pyplot=True)
    return view.show(state)


def backward_stepper(root: Value) -> Any:
    """The backward pass of ``root``, one rule per click: Back / Next buttons, a Play button and a slider.

    The caller's graph is not modified (the steps are computed on a copy, see :func:`backward_steps`).
    """
    import ipywidgets as widgets

    view = BackwardStepView(root, show_rule=False)  # axes placed by hand: no layout engine
    n = len(view.steps)
    state = widgets.IntSlider(value=0, min=0, max=n, description="state", continuous_update=True)
    play = widgets.Play(value=0, min=0, max=n, interval=900, description="play")
    widgets.jslink((play, "value"), (state, "value"))
    back = widgets.Button(description="◀ Back", tooltip="undo the last rule")
    step_button = widgets.Button(description="Next ▶", tooltip="run the next backward rule", button_style="primary")
    back.add_class("bc-back")
    step_button.add_class("bc-next")

    def go(delta: int) -> None:
        state.value = min(max(state.value + delta, 0), n)

    back.on_click(lambda _: go(-1))
    step_button.on_click(lambda _: go(+1))
    text = widgets.HTML()
    text.add_class("bc-stepper-text")

    def show(state: int) -> None:
        view.show(int(state))
        # the same as text, for reading aloud or copying: the rule and every grad known so far
        body = html.escape(describe_backward_step(view.steps[state - 1] if state else None, view.names, root))
        body += "\n" + html.escape(view.grads_line())
        text.value = f"<pre style='font-size: 85%; margin: 0'>{body}</pre>"

    box = image_explorer(
        view.figure,
        show,
        {"state": state},
        header=[widgets.HBox([back, step_button, play])],
    )
    box.children = (*box.children, text)
    box.text = text
    box.add_class("backprop-course-stepper")
    box.view = view
    box.next_button, box.back_button, box.play = step_button, back, play
    return box


# ------------------------------------------------------------------ the forward pass


@dataclass(frozen=True)
class ForwardStep:
    """One node computed by the forward pass: ``node.data = op(inputs)``."""

    node: Value
    inputs: tuple[Value, ...]
    index: int


def forward_steps(root: Value) -> list[ForwardStep]:
    """The interior nodes of ``root``'s graph in an order the forward pass can compute them
    (every input before the node using it): :func:`~backprop_course.engine.topological_order`."""
    if not isinstance(root, Value):
        raise TypeError(f"forward_steps needs the output Value of a computation, got {type(root).__name__}")
    return [ForwardStep(node, tuple(node.children), i) for i, node in enumerate(topological_order(root))]


def draw_forward_step(root: Value, state: int) -> Figure:
    """The graph after ``state`` forward steps: nodes not computed yet show ``data ?``."""
    steps = forward_steps(root)
    if isinstance(state, bool) or not isinstance(state, int) or not 0 <= state <= len(steps):
        raise ValueError(f"state must be an integer from 0 to {len(steps)}, got {state!r}")
    view = BackwardStepView(root, [], pyplot=True)
    done = {s.node for s in steps[:state]}
    current = steps[state - 1] if state else None
    for node in view.nodes:
        data = f"{node.data:.4g}" if (not node.children or node in done) else "?"
        view.art.texts[node].set_text(f"{view.names[node]} | data {data}")
        box = view.art.boxes[node]
        hot = current is not None and node is current.node
        box.set_edgecolor(_CURRENT if hot else _DONE)
        box.set_linewidth(3.0 if hot else 1.0)
    view.art.title.set_text(f"forward pass: {state} of {len(steps)} nodes computed")
    if current is None:
        view.art.rule_text.set_text("start: only the leaves (inputs and parameters) have values.")
    else:
        node = current.node
        args = ", ".join(f"{view.names[c]}={c.data:.4g}" for c in current.inputs)
        op = _OP_SYMBOLS.get(node.op, node.op)
        view.art.rule_text.set_text(f"step {state}: {view.names[node]} = {op}({args}) = {node.data:.4g}")
    return view.figure
