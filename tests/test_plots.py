"""Plot functions on the Agg backend: they return figures holding the expected artists."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import Circle, FancyBboxPatch

from backprop_course import data, plots
from backprop_course.engine import Value
from backprop_course.nn import MLP
from backprop_course.optim import train


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_draw_graph_has_a_box_per_value_and_a_circle_per_op():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    L = (c + a).tanh()
    L.label = "L"
    L.backward()
    fig = plots.draw_graph(L)
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(boxes) == 5 and len(circles) == 3
    texts = [t.get_text() for t in ax.texts]
    assert "a | data 2 | grad " + f"{a.grad:.4g}" in texts
    assert any(t.startswith("L | data") and t.endswith("grad 1") for t in texts)
    assert "tanh" in texts and "×" in texts


def test_graph_layout_puts_inputs_left_of_outputs():
    a = Value(1.0)
    b = a * 2.0
    c = b + a
    nodes, edges, pos = plots.graph_layout(c)
    assert len(nodes) == 4 and len(edges) == 4
    for child, parent in edges:
        assert pos[child][0] < pos[parent][0]


def test_draw_graph_refuses_huge_graphs():
    x = Value(0.0)
    for _ in range(100):
        x = x + 1.0
    with pytest.raises(ValueError, match="draw_graph shows at most max_nodes=60"):
        plots.draw_graph(x)


def test_predict_scores_equals_the_scalar_model():
    model = MLP(2, [5, 1], activation="tanh", seed=0)
    X, _ = data.moons(10, seed=0)
    assert np.allclose(plots.predict_scores(model, X), [model(x).data for x in X], rtol=1e-12)


def test_decision_boundary_colours_both_classes_and_draws_the_points():
    X, y = data.moons(40, seed=0)
    model = MLP(2, [8, 1], seed=0)
    train(model, X, y, steps=20, lr=0.5)
    fig = plots.plot_decision_boundary(model, X, y, resolution=40, title="moons")
    ax = fig.axes[0]
    assert len(ax.collections) >= 3  # filled contour + one scatter per class
    offsets = np.vstack([c.get_offsets() for c in ax.collections[-2:]])
    assert offsets.shape == (40, 2)
    assert ax.get_title() == "moons"


def test_decision_boundary_multiclass_callable():
    X, y = data.blobs(30, centers=3, seed=0)

    def nearest_center(P: np.ndarray) -> np.ndarray:
        centers = np.array([X[y == k].mean(0) for k in range(3)])
        return -((P[:, None, :] - centers[None]) ** 2).sum(-1)

    fig = plots.plot_decision_boundary(nearest_center, X, y, resolution=30)
    assert len(fig.axes[0].collections) >= 4


def test_decision_boundary_bad_shape():
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        plots.plot_decision_boundary(lambda P: P[:, 0], np.zeros((3, 3)), np.zeros(3))


def test_loss_curve_with_accuracy_axis():
    X, y = data.xor()
    history = train(MLP(2, [3, 1], activation="tanh", seed=0), X, y, steps=15, lr=0.1)
    fig = plots.plot_loss_curve(history)
    assert len(fig.axes) == 2
    assert np.allclose(fig.axes[0].lines[0].get_ydata(), history.loss)
    legend = fig.axes[1].get_legend()  # two y-axes need a legend naming both curves (on the top axes)
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == [
        "loss (left axis)",
        "accuracy (right axis)",
    ]
    fig2 = plots.plot_loss_curve([3.0, 2.0, 1.0], log_scale=True)
    assert len(fig2.axes) == 1 and fig2.axes[0].get_yscale() == "log"
    with pytest.raises(ValueError, match="non-empty sequence of losses"):
        plots.plot_loss_curve([])


def test_landscapes_draw_the_path():
    path = [2.0, 1.0, 0.5]
    fig = plots.plot_landscape_1d(lambda w: w * w, -3, 3, path=path)
    lines = fig.axes[0].lines
    assert np.allclose(lines[1].get_xdata(), path) and np.allclose(lines[1].get_ydata(), [4.0, 1.0, 0.25])
    fig2 = plots.plot_landscape_2d(lambda a, b: a * a + 3 * b * b, (-2, 2), (-2, 2), path=[[1, 1], [0.5, 0.2]], n=30)
    assert np.allclose(fig2.axes[0].lines[0].get_xdata(), [1, 0.5])
    with pytest.raises(ValueError, match="need lo < hi"):
        plots.plot_landscape_1d(lambda w: w, 1, 0)


# ------------------------------------------------ graph drawing: no edge through a box


def _lecture_graphs() -> dict[str, Value]:
    """The graphs notebooks 00 and 02 draw, built the same way."""
    graphs = {}
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    ab = a * b
    ab.label = "ab"
    graphs["00 L = ab + a"] = ab + a
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    graphs["02 L = (ab + c) f"] = (a * b + c) * f
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    graphs["02 neuron"] = (x1 * w1 + x2 * w2 + Value(6.8813735870195432)).tanh()
    x = Value(3.0)
    y = x * 2.0
    graphs["02 fan-out y (y + 1)"] = y * (y + 1.0)
    n = Value(0.8814)
    e = (2 * n).exp()
    graphs["02 tanh as exp, +, /"] = (e - 1) / (e + 1)
    x, y = Value(3.0), Value(-4.0)
    sig_y, sig_x = 1 / (1 + (-y).exp()), 1 / (1 + (-x).exp())
    graphs["02 staged (x + s(y)) / (s(x) + (x + y)^2)"] = (x + sig_y) / (sig_x + (x + y) ** 2)
    return graphs


def _random_graph(seed: int) -> Value:
    """A random expression of 12 ops whose operands are drawn from every node so far (much fan-out)."""
    rng = np.random.default_rng(seed)
    pool = [Value(float(v)) for v in rng.normal(size=4)]
    for _ in range(12):
        i, j = rng.integers(len(pool), size=2)
        op = rng.integers(3)
        pool.append(pool[i] + pool[j] if op == 0 else pool[i] * pool[j] if op == 1 else pool[i].tanh())
    out = pool[-1]
    for v in pool[-4:-1]:  # make sure several late nodes feed the root
        out = out + v
    return out


def _crosses_rectangle(p0, p1, x_lo, x_hi, y_lo, y_hi) -> bool:
    """Whether the segment p0-p1 passes through the open rectangle (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - x_lo), (dx, x_hi - x0), (-dy, y0 - y_lo), (dy, y_hi - y0)):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
    return t1 - t0 > 1e-9


def _crosses_circle(p0, p1, centre, radius) -> bool:
    """Whether the segment p0-p1 comes closer than ``radius`` to ``centre``."""
    p0, p1, c = np.asarray(p0), np.asarray(p1), np.asarray(centre)
    d = p1 - p0
    t = np.clip(np.dot(c - p0, d) / max(np.dot(d, d), 1e-300), 0.0, 1.0)
    return float(np.linalg.norm(p0 + t * d - c)) < radius - 1e-9


def _edges_through_boxes(fig) -> tuple[int, list[str]]:
    """(number of edges drawn, description of every edge segment that enters a box or circle not its own)."""
    ax = fig.axes[0]
    boxes, circles = {}, {}
    for patch in ax.patches:
        gid = patch.get_gid() or ""
        if gid.startswith("node:"):
            pad = 0.02  # FancyBboxPatch's round,pad=0.02 grows the box by the pad on every side
            x, y, w, h = patch.get_x(), patch.get_y(), patch.get_width(), patch.get_height()
            boxes[int(gid.split(":")[1])] = (x - pad, x + w + pad, y - pad, y + h + pad)
        elif gid.startswith("op:"):
            circles[int(gid.split(":")[1])] = (patch.center, patch.radius)
    assert boxes, "draw_graph no longer tags its boxes with gid 'node:<k>'"
    problems, n_edges = [], 0
    for line in ax.lines:
        gid = line.get_gid() or ""
        if not gid.startswith("edge:"):
            continue
        n_edges += 1
        _, child, parent, _ = gid.split(":")
        child, parent = int(child), int(parent)
        pts = list(zip(line.get_xdata(), line.get_ydata()))
        for p0, p1 in zip(pts, pts[1:]):
            for k, rect in boxes.items():
                if k != child and _crosses_rectangle(p0, p1, *rect):
                    problems.append(f"edge {child}->{parent} segment {p0}-{p1} crosses the box of node {k}")
            for k, (centre, radius) in circles.items():
                if k != parent and _crosses_circle(p0, p1, centre, radius):
                    problems.append(f"edge {child}->{parent} segment {p0}-{p1} crosses the op circle of node {k}")
    return n_edges, problems


@pytest.mark.parametrize("name", list(_lecture_graphs()))
def test_no_edge_crosses_a_node_box_in_the_lecture_graphs(name):
    root = _lecture_graphs()[name]
    root.backward()
    _, edges, _ = plots.graph_layout(root)
    n_edges, problems = _edges_through_boxes(plots.draw_graph(root))
    assert n_edges == len(edges)
    assert problems == []


@pytest.mark.parametrize("seed", range(6))
def test_no_edge_crosses_a_node_box_in_random_graphs_with_fan_out(seed):
    root = _random_graph(seed)
    _, edges, _ = plots.graph_layout(root)
    n_edges, problems = _edges_through_boxes(plots.draw_graph(root))
    assert n_edges == len(edges)
    assert problems == []


def test_the_geometric_check_sees_an_edge_through_a_box():
    # a straight line from a to the + node, as the old drawing had, passes through the ab box
    a, b = Value(2.0), Value(-3.0)
    root = a * b + a
    fig = plots.draw_graph(root)
    ax = fig.axes[0]
    layout = plots.layered_layout(root)
    k = layout.nodes.index(a)
    line = next(ln for ln in ax.lines if (ln.get_gid() or "").startswith(f"edge:{k}:0:"))
    xs, ys = line.get_xdata(), line.get_ydata()
    line.set_data([xs[0], xs[-1]], [ys[0] - 1.0, ys[-1]])  # a straight edge one row lower, through a*b
    assert _edges_through_boxes(fig)[1]


def test_fan_out_leaves_its_box_once_per_use():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    root = a * b + a
    layout = plots.layered_layout(root)
    uses = [k for k, (child, _) in enumerate(layout.edges) if child is a]
    assert len(uses) == 2
    parents = {layout.edges[k][1] for k in uses}
    assert len(parents) == 2  # two different ops, so two arrows leaving a's box
    # the edge a -> (+) spans two columns and goes through one virtual slot, in a row free of boxes
    long = next(k for k in uses if layout.edges[k][1] is root)
    assert len(layout.routes[long]) == 1
    col, row = layout.routes[long][0]
    assert all(layout.positions[n] != (col, row) for n in layout.nodes)


def test_a_late_leaf_sits_next_to_its_op():
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    root = (a * b + c) * f
    _, _, pos = plots.graph_layout(root)
    assert pos[f][0] == pos[root][0] - 1 and pos[c][0] == pos[root][0] - 2


def test_draw_network_draws_a_circle_per_unit_and_a_line_per_weight():
    fig = plots.draw_network([2, 3, 3, 1])
    ax = fig.axes[0]
    assert sum(isinstance(p, Circle) for p in ax.patches) == 2 + 3 + 3 + 1
    assert len(ax.lines) == 2 * 3 + 3 * 3 + 3 * 1
    # 18 weights and 7 biases, as MLP(2, [3, 3, 1]) has (counted independently by the library)
    assert ax.get_title().startswith("18 weights") and ax.get_title().endswith("= 25 parameters")
    assert len(MLP(2, [3, 3, 1]).parameters()) == 25
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "input layer" in texts and "hidden layer 1" in texts and "output layer" in texts


def test_draw_network_refuses_bad_sizes():
    with pytest.raises(ValueError, match="at least two layers"):
        plots.draw_network([3])
    with pytest.raises(ValueError, match="too wide to draw"):
        plots.draw_network([2, 64, 1])


@pytest.mark.parametrize("geometry", [{}, {"x_scale": 3.0, "box_width": 2.2}])
@pytest.mark.parametrize("seed", range(3))
def test_edge_paths_avoid_every_other_box_for_any_geometry_with_a_gap(seed, geometry):
    # the same check without drawing: e.g. the backward-pass stepper's own box sizes
    layout = plots.layered_layout(_random_graph(seed))
    x_scale = geometry.get("x_scale", 3.6)
    box_w = geometry.get("box_width", 2.0)
    index = {node: k for k, node in enumerate(layout.nodes)}
    boxes = {
        index[n]: (c * x_scale - box_w / 2, c * x_scale + box_w / 2, r - 0.3, r + 0.3)
        for n, (c, r) in layout.positions.items()
    }
    circles = {index[n]: ((c * x_scale - box_w / 2 - 0.3, r), 0.22) for n, (c, r) in layout.positions.items() if n.op}
    paths = plots.edge_paths(layout, **geometry)
    assert len(paths) == len(layout.edges)
    for (child, parent), path in zip(layout.edges, paths):
        for p0, p1 in zip(path, path[1:]):
            for k, rect in boxes.items():
                assert k == index[child] or not _crosses_rectangle(p0, p1, *rect)
            for k, (centre, radius) in circles.items():
                assert k == index[parent] or not _crosses_circle(p0, p1, centre, radius)


def test_edge_paths_refuse_columns_without_a_gap():
    layout = plots.layered_layout(Value(1.0) * Value(2.0) + 1.0)
    with pytest.raises(ValueError, match="no gap between columns"):
        plots.edge_paths(layout, x_scale=2.0, box_width=2.0)


def test_scatter_classes_draws_each_class_in_its_colour_with_a_legend_label():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [0.5, 0.5]])
    y = np.array([1, 0, 2, 1])
    fig, ax = plt.subplots()
    points = plots.scatter_classes(ax, X, y)
    assert [p.get_label() for p in points] == ["class 0", "class 1", "class 2"]
    assert [len(p.get_offsets()) for p in points] == [1, 2, 1]
    np.testing.assert_array_equal(points[1].get_offsets(), X[y == 1])
    assert to_hex(points[2].get_facecolor()[0]) == plots.CLASS_COLORS[2].lower()
    plt.close(fig)
