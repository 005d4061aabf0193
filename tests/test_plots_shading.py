"""Probability shading in plot_decision_boundary, and the legend of the twin-axis loss/accuracy curve."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from backprop_course import data, plots
from backprop_course.nn import MLP
from backprop_course.optim import train


def _sigmoid_of_x1(P: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-3.0 * P[:, 0]))  # 0.5 exactly on the line x1 = 0


def test_probability_shading_fills_zero_to_one_draws_the_threshold_and_a_colour_bar():
    X = np.array([[-1.0, 0.0], [1.0, 0.0], [-1.0, 1.0], [1.0, 1.0]])
    y = np.array([0, 1, 0, 1])
    fig = plots.plot_decision_boundary(_sigmoid_of_x1, X, y, threshold=0.5, probability=True, resolution=41)
    ax, bar = fig.axes  # the plot and its colour bar
    assert bar.get_ylabel() == "output"
    filled = [c for c in ax.collections if hasattr(c, "levels") and len(c.levels) == 21]
    assert filled and filled[0].levels[0] == 0.0 and filled[0].levels[-1] == 1.0
    lines = [c for c in ax.collections if hasattr(c, "levels") and list(c.levels) == [0.5]]
    assert len(lines) == 1
    # the 0.5 contour of sigmoid(3 x1) is the line x1 = 0
    xs = np.concatenate([p.vertices[:, 0] for p in lines[0].get_paths()])
    assert xs.size and np.allclose(xs, 0.0, atol=1e-9)
    offsets = np.vstack([c.get_offsets() for c in ax.collections if c.get_offsets().shape[0] == 2])
    assert offsets.shape == (4, 2)  # both classes' points are still drawn


def test_probability_shading_refuses_scores_outside_zero_one_and_several_outputs():
    X, y = data.xor()
    with pytest.raises(ValueError, match=r"outputs in \[0, 1\]"):
        plots.plot_decision_boundary(lambda P: 3.0 * P[:, 0] - 1.0, X, y, probability=True, resolution=10)
    with pytest.raises(ValueError, match="several outputs"):
        plots.plot_decision_boundary(lambda P: np.column_stack([P[:, 0], P[:, 1]]), X, y, probability=True)


def test_probability_shading_of_a_scalar_sigmoid_network():
    X, y = data.xor()
    model = MLP(2, [2, 1], activation="tanh", output_activation="sigmoid", seed=0)
    fig = plots.plot_decision_boundary(model, X, y, threshold=0.5, probability=True, resolution=30)
    assert len(fig.axes) == 2


def test_loss_curve_with_accuracy_has_one_legend_naming_both_axes():
    X, y = data.xor()
    history = train(MLP(2, [3, 1], activation="tanh", seed=0), X, y, steps=15, lr=0.1)
    fig = plots.plot_loss_curve(history)
    legend = fig.axes[1].get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["loss (left axis)", "accuracy (right axis)"]
    assert plots.plot_loss_curve([3.0, 2.0]).axes[0].get_legend() is None  # a single curve needs none
