"""Plot functions on the Agg backend: they return figures holding the expected artists."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
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
    legend = fig.axes[0].get_legend()  # two y-axes need a legend naming both curves
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == ["loss", "accuracy"]
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
