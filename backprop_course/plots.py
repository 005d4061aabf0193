"""Pictures for the course, drawn with matplotlib only (no Graphviz binary needed).

- :func:`draw_graph`: a computation graph of Values, each node showing label, data and grad;
- :func:`plot_decision_boundary`: what a 2-D classifier predicts everywhere on the plane;
- :func:`plot_loss_curve`: loss (and accuracy) over training steps;
- :func:`plot_landscape_1d`, :func:`plot_landscape_2d`: a loss as a function of one or two
  parameters, with a gradient-descent path drawn on it.

Every function draws into ``ax`` when given one, else into a new figure, and returns the
``Figure`` so tests and notebooks can inspect or save it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

from .engine import Value, topological_order
from .matrix_mlp import MatrixMLP
from .nn import MLP

__all__ = [
    "draw_graph",
    "graph_layout",
    "plot_decision_boundary",
    "plot_landscape_1d",
    "plot_landscape_2d",
    "plot_loss_curve",
    "predict_scores",
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


def graph_layout(root: Value) -> tuple[list[Value], list[tuple[Value, Value]], dict[Value, tuple[float, float]]]:
    """Every node and edge reachable from ``root``, and a left-to-right position for each.

    A node's column is the length of the longest path from a leaf to it, so each
    op's inputs sit left of its output; rows spread the nodes of a column evenly.

    Returns:
        ``(nodes, edges, positions)`` with edges ``(child, parent)`` and positions
        ``{node: (column, row)}``.
    """
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
    # Leaves sit in column 0; topological_order lists the interior nodes children first.
    depth: dict[Value, int] = {node: 0 for node in nodes if not node.children}
    for node in topological_order(root):
        depth[node] = 1 + max(depth[c] for c in node.children)
    columns: dict[int, list[Value]] = {}
    for node in nodes:
        columns.setdefault(depth[node], []).append(node)
    positions: dict[Value, tuple[float, float]] = {}
    for col, members in columns.items():
        for row, node in enumerate(members):
            positions[node] = (float(col), (len(members) - 1) / 2.0 - row)
    return nodes, edges, positions


def draw_graph(root: Value, ax: Axes | None = None, show_grad: bool = True, max_nodes: int = 60) -> Figure:
    """Draw the computation graph that produced ``root``, inputs on the left.

    Each Value is a box ``label | data | grad``; each op is a small circle between
    its inputs and its output, as in micrograd's Graphviz drawing.

    Args:
        root: the output node (e.g. a loss).
        ax: draw here instead of a new figure.
        show_grad: include ``grad`` in each box (hide it before ``backward()``).
        max_nodes: refuse larger graphs: beyond a few dozen nodes the picture is unreadable.
    """
    nodes, edges, pos = graph_layout(root)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"this graph has {len(nodes)} nodes; draw_graph shows at most max_nodes={max_nodes} readably. "
            "Draw a smaller piece (e.g. one neuron), or pass a larger max_nodes."
        )
    n_cols = 1 + int(max(p[0] for p in pos.values()))
    n_rows = max(sum(1 for p in pos.values() if p[0] == c) for c in range(n_cols))
    fig, ax = _new_axes(ax, (max(4.0, 3.2 * n_cols), max(2.0, 1.1 * n_rows)))
    x_scale, box_w, box_h = 3.0, 2.0, 0.55

    def xy(node: Value) -> tuple[float, float]:
        c, r = pos[node]
        return c * x_scale, r

    for child, parent in edges:
        (x0, y0), (x1, y1) = xy(child), xy(parent)
        ax.annotate(
            "",
            xy=(x1 - box_w / 2 - 0.45, y1),
            xytext=(x0 + box_w / 2, y0),
            arrowprops={"arrowstyle": "->", "color": "0.45", "lw": 1.0},
        )
    for node in nodes:
        x, y = xy(node)
        text = f"{node.label + ' | ' if node.label else ''}data {node.data:.4g}"
        if show_grad:
            text += f" | grad {node.grad:.4g}"
        ax.add_patch(
            FancyBboxPatch(
                (x - box_w / 2, y - box_h / 2),
                box_w,
                box_h,
                boxstyle="round,pad=0.02",
                facecolor="#eaf2fb" if node.op else "#fdf1dc",
                edgecolor="0.3",
            )
        )
        ax.text(x, y, text, ha="center", va="center", fontsize=8)
        if node.op:
            cx = x - box_w / 2 - 0.3
            ax.add_patch(Circle((cx, y), 0.22, facecolor="white", edgecolor="0.3"))
            ax.text(cx, y, _OP_SYMBOLS.get(node.op, node.op), ha="center", va="center", fontsize=7)
    ax.set_xlim(-box_w / 2 - 0.8, (n_cols - 1) * x_scale + box_w / 2 + 0.2)
    ax.set_ylim(-n_rows / 2 - 0.2, n_rows / 2 + 0.2)
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
    labels = np.unique(y)
    for label in labels:
        mask = y == label
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            s=22,
            color=CLASS_COLORS[int(label) % len(CLASS_COLORS)],
            edgecolor="k",
            linewidth=0.4,
            label=f"class {label}",
        )
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
