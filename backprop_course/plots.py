"""Pictures for the course, drawn with matplotlib only (no Graphviz binary needed).

- :func:`draw_graph`: a computation graph of Values, each node showing label, data and grad;
- :func:`draw_network`: a fully connected network's layers, units and weights;
- :func:`plot_decision_boundary`: what a 2-D classifier predicts everywhere on the plane;
- :func:`plot_loss_curve`: loss (and accuracy) over training steps;
- :func:`plot_landscape_1d`, :func:`plot_landscape_2d`: a loss as a function of one or two
  parameters, with a gradient-descent path drawn on it.

Every function draws into ``ax`` when given one, else into a new figure, and returns the
``Figure`` so tests and notebooks can inspect or save it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

from .engine import Value, topological_order
from .matrix_mlp import MatrixMLP
from .nn import MLP

__all__ = [
    "GraphLayout",
    "draw_graph",
    "draw_network",
    "edge_paths",
    "graph_layout",
    "layered_layout",
    "plot_decision_boundary",
    "plot_landscape_1d",
    "plot_landscape_2d",
    "plot_loss_curve",
    "predict_scores",
    "scatter_classes",
]

# Colours that stay distinguishable in colour-blind palettes (Okabe-Ito).
CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
_OP_SYMBOLS = {"+": "+", "*": "×", "/": "÷", "**": "^", "pow": "^", "sum": "Σ", "dot": "w·x"}


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig, new_ax = plt.subplots(figsize=figsize)
    return fig, new_ax


# ---------------------------------------------------------------- graphs


@dataclass(frozen=True)
class GraphLayout:
    """A layered drawing of a computation graph (Sugiyama style), in grid coordinates.

    Attributes:
        nodes: every Value reachable from the root (the root first).
        edges: ``(child, parent)`` pairs, one per use (``a + a`` gives two).
        positions: ``{node: (column, row)}``; a node's inputs sit in columns to its left.
        routes: for each edge (same index as ``edges``), the ``(column, row)`` points it
            passes through on its way: one free slot in each column strictly between its
            ends (a "virtual node"), so a long edge goes around the boxes, never through them.
        n_columns, n_rows: the grid's size (rows counted with the virtual slots).
    """

    nodes: list[Value]
    edges: list[tuple[Value, Value]]
    positions: dict[Value, tuple[float, float]]
    routes: list[list[tuple[float, float]]]
    n_columns: int
    n_rows: int


def _graph(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """Every node reachable from ``root`` (the root first) and every edge ``(child, parent)``, one per use."""
    nodes: list[Value] = []
    edges: list[tuple[Value, Value]] = []
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        for child in node.children:
            edges.append((child, node))
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return nodes, edges


def _columns(nodes: list[Value], edges: list[tuple[Value, Value]], root: Value) -> dict[Value, int]:
    """Layering: the root's column is the longest path from a leaf to it; every other node sits
    one column left of its earliest use.

    The longest path fixes how many columns there are; placing each node as late as possible
    (just left of the first op that uses it) keeps a value that joins late (a bias, a target,
    a constant) next to the op that uses it, so its edge is short, while every input still
    sits strictly left of its output.
    """
    depth: dict[Value, int] = {node: 0 for node in nodes if not node.children}
    order = topological_order(root)  # interior nodes, children before parents
    for node in order:
        depth[node] = 1 + max(depth[c] for c in node.children)
    parents: dict[Value, list[Value]] = {}
    for child, parent in edges:
        parents.setdefault(child, []).append(parent)
    column = {root: depth[root]}
    # parents before children: the interior nodes from the root down, then the leaves
    for node in [*reversed(order), *(n for n in nodes if not n.children)]:
        if node is not root:
            column[node] = min(column[p] for p in parents[node]) - 1
    return column


def _crossings(upper: list[object], lower: list[object], links: list[tuple[object, object]]) -> int:
    """How many pairs of links between two adjacent columns cross."""
    up = {item: i for i, item in enumerate(upper)}
    low = {item: i for i, item in enumerate(lower)}
    pairs = [(up[a], low[b]) for a, b in links]
    return sum(1 for i, (a0, b0) in enumerate(pairs) for a1, b1 in pairs[i + 1 :] if (a0 - a1) * (b0 - b1) < 0)


def layered_layout(root: Value, sweeps: int = 8) -> GraphLayout:
    """Lay out the graph of ``root`` in columns, with few crossings and no edge through a box.

    The Sugiyama recipe: (1) assign columns (:func:`_columns`); (2) break every edge that
    spans several columns into one-column links through *virtual* slots, one per column it
    crosses; (3) order each column by the barycentre (mean row) of its neighbours in the
    column before, then the column after, repeatedly, keeping the order with the fewest
    crossings; (4) rows spread each column's members, virtual slots included, evenly
    around 0. A long edge is then drawn through its virtual slots, rows no box occupies.

    Args:
        root: the output node.
        sweeps: rounds of barycentre ordering (each one forwards and one backwards).
    """
    nodes, edges = _graph(root)
    column = _columns(nodes, edges, root)
    n_columns = 1 + max(column.values())
    # Members of each column: Values and virtual slots ("edge index", column) alike.
    members: list[list[object]] = [[] for _ in range(n_columns)]
    for node in nodes:  # depth-first order from the root: a sensible first guess
        members[column[node]].append(node)
    chains: list[list[object]] = []
    for k, (child, parent) in enumerate(edges):
        chain: list[object] = [child]
        for col in range(column[child] + 1, column[parent]):
            slot = ("virtual", k, col)
            members[col].append(slot)
            chain.append(slot)
        chain.append(parent)
        chains.append(chain)
    links: list[list[tuple[object, object]]] = [
        [] for _ in range(n_columns)
    ]  # links[c]: (item in column c, item in column c + 1)
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            links[column[a] if isinstance(a, Value) else a[2]].append((a, b))  # type: ignore[index]

    def total(order: list[list[object]]) -> int:
        return sum(_crossings(order[c], order[c + 1], links[c]) for c in range(n_columns - 1))

    def barycentre_sort(order: list[list[object]], col: int, neighbour_col: int, forward: bool) -> None:
        where = {item: i for i, item in enumerate(order[neighbour_col])}
        mean: dict[object, float] = {}
        for i, item in enumerate(order[col]):
            rows = [
                where[b if not forward else a]
                for a, b in links[neighbour_col if forward else col]
                if (b if forward else a) == item
            ]
            mean[item] = sum(rows) / len(rows) if rows else float(i)
        order[col].sort(key=lambda item: mean[item])  # stable: ties keep their order

    best = [list(m) for m in members]
    best_count = total(best)
    order = [list(m) for m in members]
    for _ in range(sweeps):
        if best_count == 0:
            break
        for col in range(1, n_columns):
            barycentre_sort(order, col, col - 1, forward=True)
        for col in range(n_columns - 2, -1, -1):
            barycentre_sort(order, col, col + 1, forward=False)
        count = total(order)
        if count < best_count:
            best, best_count = [list(m) for m in order], count
    place: dict[object, tuple[float, float]] = {}
    for col, items in enumerate(best):
        for i, item in enumerate(items):
            place[item] = (float(col), (len(items) - 1) / 2.0 - i)
    positions = {node: place[node] for node in nodes}
    routes = [[place[slot] for slot in chain[1:-1]] for chain in chains]
    return GraphLayout(nodes, edges, positions, routes, n_columns, max(len(items) for items in best))


def graph_layout(root: Value) -> tuple[list[Value], list[tuple[Value, Value]], dict[Value, tuple[float, float]]]:
    """Every node and edge reachable from ``root``, and a left-to-right position for each.

    The positions of :func:`layered_layout` (which also gives each long edge's route): each
    op's inputs sit in columns left of its output, rows ordered to keep edges from crossing.

    Returns:
        ``(nodes, edges, positions)`` with edges ``(child, parent)`` and positions
        ``{node: (column, row)}``.
    """
    layout = layered_layout(root)
    return layout.nodes, layout.edges, layout.positions


#: draw_graph's geometry, in data units: columns 3.6 apart, boxes 2.0 x 0.55, the op circle
#: (radius 0.22) left of its box. Between two columns a gap free of boxes and circles is
#: left for the edges' slanted parts.
_X_SCALE, _BOX_W, _BOX_H, _OP_R, _OP_GAP = 3.6, 2.0, 0.55, 0.22, 0.3


def _op_centre(x: float) -> float:
    return x - _BOX_W / 2 - _OP_GAP


def edge_paths(
    layout: GraphLayout,
    x_scale: float = _X_SCALE,
    box_width: float = _BOX_W,
    op_gap: float = _OP_GAP,
    op_radius: float = _OP_R,
) -> list[list[tuple[float, float]]]:
    """The polyline of every edge of ``layout`` (same order as ``layout.edges``), in data units.

    A node at ``(column, row)`` is drawn at ``(column * x_scale, row)`` as a box ``box_width``
    wide, its op circle (radius ``op_radius``) centred ``op_gap`` left of the box. Each
    edge leaves its child's box on the right, crosses every column in between horizontally
    at its virtual slot's row (a row no box of that column occupies), slants only in the gaps
    between columns, and ends on the left of its parent's op circle. So no edge passes through
    another node's box or circle, provided the gap ``x_scale - box_width - op_gap - op_radius``
    is positive. :func:`draw_graph` uses the defaults; another drawing of the same layout (the
    backward-pass stepper) passes its own geometry.
    """
    if x_scale - box_width - op_gap - op_radius <= 0.1:
        raise ValueError(
            f"x_scale={x_scale} leaves no gap between columns for the edges (box {box_width}, op circle "
            f"{op_gap} + {op_radius}): make x_scale larger or the boxes narrower"
        )
    stub = 0.12  # the short horizontal pieces where an edge leaves a box or meets a circle

    def circle_left(x: float) -> float:
        return x - box_width / 2 - op_gap - op_radius

    paths = []
    for (child, parent), route in zip(layout.edges, layout.routes):
        (c0, y0), (c1, y1) = layout.positions[child], layout.positions[parent]
        x0, x1 = c0 * x_scale, c1 * x_scale
        points = [(x0 + box_width / 2, y0), (x0 + box_width / 2 + stub, y0)]
        for col, row in route:
            x = col * x_scale
            points += [(circle_left(x) - stub, row), (x + box_width / 2 + stub, row)]
        left = circle_left(x1) if parent.op else x1 - box_width / 2
        points += [(left - stub, y1), (left, y1)]
        paths.append(points)
    return paths


def draw_graph(root: Value, ax: Axes | None = None, show_grad: bool = True, max_nodes: int = 60) -> Figure:
    """Draw the computation graph that produced ``root``, inputs on the left.

    Each Value is a box ``label | data | grad``; each op is a small circle between
    its inputs and its output, as in micrograd's Graphviz drawing. The layout is
    :func:`layered_layout`'s: edges never pass through another node's box, and a
    value used several times (fan-out) shows one arrow per use leaving its box.

    Args:
        root: the output node (e.g. a loss).
        ax: draw here instead of a new figure.
        show_grad: include ``grad`` in each box (hide it before ``backward()``).
        max_nodes: refuse larger graphs: beyond a few dozen nodes the picture is unreadable.
    """
    n_nodes = len(_graph(root)[0])  # refuse a huge graph before spending time on its layout
    if n_nodes > max_nodes:
        raise ValueError(
            f"this graph has {n_nodes} nodes; draw_graph shows at most max_nodes={max_nodes} readably. "
            "Draw a smaller piece (e.g. one neuron), or pass a larger max_nodes."
        )
    layout = layered_layout(root)
    nodes, edges, pos = layout.nodes, layout.edges, layout.positions
    n_cols, n_rows = layout.n_columns, layout.n_rows
    own_figure = ax is None
    fig, ax = _new_axes(ax, (max(4.0, 3.0 * n_cols), max(1.6, 0.8 * n_rows + 0.3)))
    if own_figure:
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    index = {node: k for k, node in enumerate(nodes)}

    def xy(point: tuple[float, float]) -> tuple[float, float]:
        return point[0] * _X_SCALE, point[1]

    for k, ((child, parent), path) in enumerate(zip(edges, edge_paths(layout))):
        xs, ys = zip(*path)
        ax.plot(xs, ys, color="0.45", lw=1.0, gid=f"edge:{index[child]}:{index[parent]}:{k}")
        ax.annotate(
            "",
            xy=path[-1],
            xytext=path[-2],
            arrowprops={"arrowstyle": "-|>", "color": "0.45", "lw": 1.0, "shrinkA": 0, "shrinkB": 0},
        )
    for node in nodes:
        x, y = xy(pos[node])
        text = f"{node.label + ' | ' if node.label else ''}data {node.data:.4g}"
        if show_grad:
            text += f" | grad {node.grad:.4g}"
        box = FancyBboxPatch(
            (x - _BOX_W / 2, y - _BOX_H / 2),
            _BOX_W,
            _BOX_H,
            boxstyle="round,pad=0.02",
            facecolor="#eaf2fb" if node.op else "#fdf1dc",
            edgecolor="0.3",
            gid=f"node:{index[node]}",
        )
        ax.add_patch(box)
        ax.text(x, y, text, ha="center", va="center", fontsize=8)
        if node.op:
            cx = _op_centre(x)
            ax.plot([cx + _OP_R, x - _BOX_W / 2], [y, y], color="0.45", lw=1.0)
            ax.add_patch(Circle((cx, y), _OP_R, facecolor="white", edgecolor="0.3", gid=f"op:{index[node]}"))
            ax.text(cx, y, _OP_SYMBOLS.get(node.op, node.op), ha="center", va="center", fontsize=7)
    ax.set_xlim(_op_centre(0.0) - _OP_R - 0.2, (n_cols - 1) * _X_SCALE + _BOX_W / 2 + 0.2)
    ax.set_ylim(-n_rows / 2 - 0.1, n_rows / 2 + 0.1)
    ax.set_axis_off()
    return fig


def draw_network(sizes: Sequence[int], ax: Axes | None = None, max_units: int = 12) -> Figure:
    """Draw a fully connected network: one circle per unit, one line per weight, layers named.

    Args:
        sizes: units per layer, the inputs first, e.g. ``[2, 3, 3, 1]`` for ``MLP(2, [3, 3, 1])``.
        ax: draw here instead of a new figure.
        max_units: refuse wider layers (a picture of them would be a grey blur).

    The title counts the parameters: :math:`\\sum_l (n_{l-1} + 1)\\,n_l`, one weight per line and one
    bias per non-input unit.
    """
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list at least two layers of at least one unit, e.g. [2, 3, 1]; got {sizes}")
    if max(sizes) > max_units:
        raise ValueError(f"a layer of {max(sizes)} units is too wide to draw; pass max_units={max(sizes)} to try")
    fig, ax = _new_axes(ax, (1.9 * len(sizes) + 1.0, 0.55 * max(sizes) + 1.6))
    xs = np.arange(len(sizes)) * 2.0
    ys = [np.arange(n)[::-1] - (n - 1) / 2.0 for n in sizes]
    for i in range(len(sizes) - 1):
        for y0 in ys[i]:
            for y1 in ys[i + 1]:
                ax.plot([xs[i], xs[i + 1]], [y0, y1], color="0.6", lw=0.8, zorder=1)
    for i, (x, column) in enumerate(zip(xs, ys)):
        colour = "#fdf1dc" if i == 0 else ("#eaf2fb" if i < len(sizes) - 1 else "#e3f4ec")
        for y in column:
            ax.add_patch(Circle((x, y), 0.22, facecolor=colour, edgecolor="0.3", zorder=2))
        if i == 0:
            name = "input layer"
        elif i == len(sizes) - 1:
            name = "output layer"
        else:
            name = "hidden layer" if len(sizes) == 3 else f"hidden layer {i}"
        ax.text(
            x,
            -max(sizes) / 2.0 - 0.15,
            f"{name}\n{sizes[i]} unit{'s' if sizes[i] > 1 else ''}",
            ha="center",
            va="top",
            fontsize=9,
        )
    n_weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    n_biases = sum(sizes[1:])
    ax.set_title(
        f"{n_weights} weights (one per line) + {n_biases} biases = {n_weights + n_biases} parameters", fontsize=10
    )
    ax.set_xlim(xs[0] - 0.8, xs[-1] + 0.8)
    ax.set_ylim(-max(sizes) / 2.0 - 1.0, max(sizes) / 2.0 + 0.1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig


# ---------------------------------------------------------- classifiers


def predict_scores(model: MLP | Callable[[np.ndarray], np.ndarray], points: np.ndarray) -> np.ndarray:
    """The model's outputs at each row of ``points`` (shape ``(M, nin)``) as an array.

    A scalar :class:`~backprop_course.nn.MLP` is evaluated with numpy from its current
    weights (the same function, thousands of times faster than building Values);
    any other callable is called on the whole array.
    """
    points = np.asarray(points, dtype=np.float64)
    if not isinstance(model, MLP):
        return np.asarray(model(points), dtype=np.float64)
    out = MatrixMLP.from_scalar(model)(points)
    return out[:, 0] if out.shape[1] == 1 else out


def scatter_classes(ax: Axes, X: np.ndarray, y: np.ndarray) -> list[Any]:
    """Each class's points of the 2-D inputs ``X`` in its colour, edged in black and labelled
    ``"class k"`` for a legend; returns the scatter collections, one per class, in class order."""
    return [
        ax.scatter(
            X[y == label, 0],
            X[y == label, 1],
            s=22,
            color=CLASS_COLORS[int(label) % len(CLASS_COLORS)],
            edgecolor="k",
            linewidth=0.4,
            label=f"class {label}",
        )
        for label in np.unique(y)
    ]


def plot_decision_boundary(
    model: MLP | Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    ax: Axes | None = None,
    resolution: int = 150,
    threshold: float = 0.0,
    title: str | None = None,
    probability: bool = False,
) -> Figure:
    """Colour the plane by the model's predicted class and draw the data on top.

    For one output, class 1 is ``score > threshold`` (0 for hinge/logit scores, 0.5 for
    sigmoid outputs); for several outputs, the class is the largest output.

    With ``probability=True`` (one output that is a probability, e.g. a sigmoid's) the plane
    is shaded by the output itself, from class 0's colour (output 0) through white (0.5) to
    class 1's colour (output 1), with a colour bar and the ``threshold`` contour as a thin
    line: where the network is undecided shows, which a hard 0/1 colouring hides.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary draws 2-D inputs: X must have shape (n, 2), got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
    fig, ax = _new_axes(ax, (5.0, 4.5))
    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    gx, gy = np.meshgrid(xs, ys)
    scores = predict_scores(model, np.column_stack([gx.ravel(), gy.ravel()]))
    from matplotlib.colors import LinearSegmentedColormap, ListedColormap

    if probability:
        if scores.ndim == 2 and scores.shape[1] > 1:
            raise ValueError("probability=True shades one output (a probability); this model has several outputs")
        prob = scores.reshape(gx.shape)
        if prob.min() < 0.0 or prob.max() > 1.0:
            raise ValueError(
                f"probability=True needs outputs in [0, 1] (a sigmoid's), got {prob.min():.3g} to {prob.max():.3g}"
            )
        shades = LinearSegmentedColormap.from_list("two_classes", [CLASS_COLORS[0], "white", CLASS_COLORS[1]])
        filled = ax.contourf(gx, gy, prob, levels=np.linspace(0.0, 1.0, 21), cmap=shades, alpha=0.6)
        ax.contour(gx, gy, prob, levels=[threshold], colors="0.3", linewidths=0.8)
        ax.figure.colorbar(filled, ax=ax, label="output", ticks=[0.0, 0.25, 0.5, 0.75, 1.0])
    else:
        if scores.ndim == 2 and scores.shape[1] > 1:
            classes = scores.argmax(axis=1)
        else:
            classes = (scores.reshape(-1) > threshold).astype(int)
        n_classes = int(max(classes.max(), y.max())) + 1
        cmap = ListedColormap(CLASS_COLORS[:n_classes])
        ax.contourf(gx, gy, classes.reshape(gx.shape), levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.25)
    scatter_classes(ax, X, y)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_loss_curve(
    history: object, ax: Axes | None = None, log_scale: bool = False, show_accuracy: bool = True
) -> Figure:
    """Loss per step, with accuracy on a second axis when the history has it.

    ``history`` is an :class:`~backprop_course.optim.History` (or anything with ``.loss``
    and ``.accuracy``) or a plain sequence of losses.
    """
    loss = np.asarray(getattr(history, "loss", history), dtype=np.float64)
    if loss.ndim != 1 or loss.size == 0:
        raise ValueError("plot_loss_curve needs a non-empty sequence of losses (or a History)")
    fig, ax = _new_axes(ax, (6.0, 3.5))
    ax.plot(np.arange(loss.size), loss, color=CLASS_COLORS[0], label="loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if log_scale:
        ax.set_yscale("log")
    acc = np.asarray(getattr(history, "accuracy", []), dtype=np.float64)
    if show_accuracy and acc.size == loss.size and not np.isnan(acc).all():
        ax2 = ax.twinx()
        ax2.plot(np.arange(acc.size), acc, color=CLASS_COLORS[1], label="accuracy")
        ax2.set_ylabel("accuracy")
        ax2.set_ylim(-0.02, 1.02)
        # one legend for both axes: which curve belongs to which axis is not otherwise visible
        ax2.legend(ax.get_lines() + ax2.get_lines(), ["loss (left axis)", "accuracy (right axis)"], loc="center right")
    ax.grid(alpha=0.3)
    return fig


# ------------------------------------------------------------ landscapes


def plot_landscape_1d(
    f: Callable[[float], float],
    lo: float,
    hi: float,
    path: Sequence[float] | None = None,
    ax: Axes | None = None,
    n: int = 400,
    xlabel: str = "w",
) -> Figure:
    """Plot :math:`f(w)` on ``[lo, hi]``; with ``path``, mark each gradient-descent iterate."""
    if not lo < hi:
        raise ValueError(f"need lo < hi, got lo={lo!r}, hi={hi!r}")
    fig, ax = _new_axes(ax, (6.0, 3.5))
    ws = np.linspace(lo, hi, n)
    ax.plot(ws, [f(float(w)) for w in ws], color="0.2", label="loss")
    if path is not None and len(path):
        p = np.asarray(path, dtype=np.float64)
        ax.plot(p, [f(float(w)) for w in p], "o-", color=CLASS_COLORS[1], ms=4, lw=1, label="descent path")
        ax.plot(p[-1], f(float(p[-1])), "*", color=CLASS_COLORS[3], ms=12, label="last step")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_landscape_2d(
    f: Callable[[float, float], float],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    path: Sequence[Sequence[float]] | np.ndarray | None = None,
    ax: Axes | None = None,
    n: int = 120,
    labels: tuple[str, str] = ("$w_1$", "$w_2$"),
    levels: int = 30,
) -> Figure:
    """Contours of :math:`f(w_1, w_2)`; with ``path`` (a list of points), the descent path on top."""
    fig, ax = _new_axes(ax, (5.5, 4.5))
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    Z = np.array([[f(float(a), float(b)) for a in xs] for b in ys])
    cs = ax.contourf(xs, ys, Z, levels=levels, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="loss")
    if path is not None and len(path):
        p = np.asarray(path, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != 2:
            raise ValueError(f"path must be a list of (w1, w2) points, got shape {p.shape}")
        ax.plot(p[:, 0], p[:, 1], "o-", color="white", ms=3, lw=1)
        ax.plot(p[0, 0], p[0, 1], "s", color=CLASS_COLORS[1], ms=8, label="start")
        ax.plot(p[-1, 0], p[-1, 1], "*", color=CLASS_COLORS[3], ms=12, label="end")
        ax.legend(fontsize=8)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    return fig
