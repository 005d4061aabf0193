"""Widget callbacks of notebooks 07-09: a bumpy 1-D loss, XOR runs per seed, training on toy data sets.

Expected values come from the formulas worked out by hand (the polynomial's roots, one
descent step computed explicitly), from the XOR truth table, or from an independent
implementation (the scalar engine), never from the code under test itself.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from backprop_course import MLP, widgets
from backprop_course.data import xor
from backprop_course.optim import train

# f'(w) = 4 w^3 - 4 w + 0.3: its three real roots, sorted: global minimum, hump, local minimum.
LEFT_MIN, HUMP, RIGHT_MIN = np.sort(np.roots([4.0, 0.0, -4.0, 0.3]).real)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------- the bumpy 1-D loss (notebook 07)


def test_bumpy_loss_has_the_advertised_minima():
    assert LEFT_MIN == pytest.approx(-1.0356, abs=1e-4)
    assert RIGHT_MIN == pytest.approx(0.9601, abs=1e-4)
    # (w^2 - 1)^2 + 0.3 w by hand at w = 2: 9 + 0.6
    assert widgets.bumpy_loss(2.0) == pytest.approx(9.6)
    assert widgets.bumpy_loss(LEFT_MIN) < widgets.bumpy_loss(RIGHT_MIN) < widgets.bumpy_loss(HUMP)


@pytest.mark.parametrize("w", [-1.7, -0.3, 0.0, 0.5, 1.2, 2.0])
def test_bumpy_loss_grad_matches_central_differences(w):
    h = 1e-6
    numeric = (widgets.bumpy_loss(w + h) - widgets.bumpy_loss(w - h)) / (2 * h)
    assert widgets.bumpy_loss_grad(w) == pytest.approx(numeric, rel=1e-7, abs=1e-8)


def test_bumpy_descent_first_steps_by_hand():
    lr, mu = 0.02, 0.8
    w1 = 2.0 - lr * (4 * 2.0 * (4.0 - 1.0) + 0.3)  # = 2 - 0.02 * 24.3
    v1 = w1 - 2.0
    g1 = 4 * w1 * (w1 * w1 - 1.0) + 0.3
    w2 = w1 + mu * v1 - lr * g1
    path = widgets.bumpy_descent(2.0, lr=lr, steps=2, momentum=mu)
    np.testing.assert_allclose(path, [2.0, 1.514, w2], rtol=1e-12)


@pytest.mark.parametrize(("w0", "expected"), [(-2.0, LEFT_MIN), (-0.5, LEFT_MIN), (0.2, RIGHT_MIN), (1.8, RIGHT_MIN)])
def test_plain_descent_ends_in_the_minimum_of_its_basin(w0, expected):
    path = widgets.bumpy_descent(w0, lr=0.02, steps=300)
    assert len(path) == 301 and path[0] == w0
    assert path[-1] == pytest.approx(expected, abs=1e-6)


def test_momentum_carries_descent_over_the_hump():
    assert widgets.bumpy_descent(1.8, lr=0.02, steps=300)[-1] == pytest.approx(RIGHT_MIN, abs=1e-6)
    assert widgets.bumpy_descent(1.8, lr=0.02, steps=300, momentum=0.8)[-1] == pytest.approx(LEFT_MIN, abs=1e-6)


def test_too_large_a_learning_rate_diverges():
    path = widgets.bumpy_descent(2.0, lr=0.5, steps=20)
    assert not np.all(np.isfinite(path))


@pytest.mark.parametrize("kwargs", [{"lr": 0.0}, {"lr": -1.0}, {"momentum": 1.0}, {"momentum": -0.1}, {"steps": -1}])
def test_bumpy_descent_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        widgets.bumpy_descent(1.0, **kwargs)


def test_plot_bumpy_descent_names_the_minimum_it_reached():
    local = widgets.plot_bumpy_descent(1.8, lr=0.02, momentum=0.0)
    assert "local (not global)" in local.axes[0].get_title()
    assert "0.960" in local.axes[0].get_title()
    rolled = widgets.plot_bumpy_descent(1.8, lr=0.02, momentum=0.8)
    assert "global minimum" in rolled.axes[0].get_title()
    assert "diverged" in widgets.plot_bumpy_descent(2.0, lr=0.3).axes[0].get_title()


# --------------------------------------------------------------- XOR per seed (notebook 07)


def _classifies_xor(outputs: np.ndarray) -> bool:
    _, y = xor()
    return bool(np.all((np.asarray(outputs).reshape(-1) > 0.5) == (y == 1)))


def test_xor_run_seed_1_solves_xor_and_seed_0_gets_stuck():
    X, _ = xor()
    solved, hist_solved = widgets.xor_run(1)
    assert _classifies_xor(solved(X))
    assert hist_solved.loss[-1] < 0.01
    stuck, hist_stuck = widgets.xor_run(0)
    assert not _classifies_xor(stuck(X))
    # two points right, two left at an output of about 0.5: MSE near (0.5^2 + 0.5^2) / 4
    assert hist_stuck.loss[-1] == pytest.approx(0.125, abs=0.005)


def test_more_hidden_units_unstick_seed_0():
    X, _ = xor()
    model, _ = widgets.xor_run(0, hidden=8)
    assert _classifies_xor(model(X))


def test_xor_run_matches_the_scalar_engine():
    X, y = xor()
    model, history = widgets.xor_run(1, steps=300)
    scalar = MLP(2, [2, 1], activation="tanh", output_activation="sigmoid", seed=1)
    scalar_history = train(scalar, X, y, loss="mse", steps=300, lr=0.5)
    np.testing.assert_allclose(history.loss, scalar_history.loss, rtol=1e-10)
    for (W, b), (Ws, bs) in zip(model.weights(), scalar.weights()):
        np.testing.assert_allclose(W, Ws, rtol=1e-9)
        np.testing.assert_allclose(b, bs, rtol=1e-9, atol=1e-12)


def test_plot_xor_run_says_solved_or_stuck():
    assert "solved" in widgets.plot_xor_run(1).axes[1].get_title()
    fig = widgets.plot_xor_run(0)
    assert "stuck" in fig.axes[1].get_title()
    assert len(fig.axes[1].get_lines()[0].get_xdata()) == 2000


# ------------------------------------------------------ training end to end (notebook 09)


def _accuracy(model, X, y) -> float:
    return float(np.mean(np.argmax(model(X), axis=1) == y))


def test_training_a_wide_network_fits_moons_and_a_one_unit_network_cannot():
    wide, history, X, y = widgets.train_on_dataset("moons", hidden=16, depth=2, steps=300)
    assert _accuracy(wide, X, y) == 1.0
    assert history.loss[-1] < history.loss[0] / 10
    narrow, _, X, y = widgets.train_on_dataset("moons", hidden=1, depth=1, steps=300)
    assert _accuracy(narrow, X, y) < 0.95


def test_spirals_get_one_output_per_class():
    model, _, X, y = widgets.train_on_dataset("spirals", hidden=8, depth=1, steps=20)
    assert model(X).shape == (300, 3)
    assert set(np.unique(y)) == {0, 1, 2}


def test_xor_blobs_are_labelled_by_quadrant():
    _, _, X, y = widgets.train_on_dataset("xor blobs", steps=0)
    # class 1 sits in the quadrants where x1 and x2 have opposite signs; noise moves a few across
    assert np.mean(y == (X[:, 0] * X[:, 1] < 0)) > 0.95


def test_train_on_dataset_rejects_unknown_data_and_sizes():
    with pytest.raises(ValueError, match="unknown dataset"):
        widgets.train_on_dataset("mnist")
    with pytest.raises(ValueError):
        widgets.train_on_dataset("moons", hidden=0)


def test_plot_training_run_reports_accuracy():
    fig = widgets.plot_training_run("circles", hidden=16, depth=2, steps=200)
    assert "accuracy 100%" in fig.axes[0].get_title()
    with pytest.raises(ValueError):
        widgets.plot_training_run("moons", steps=0)


# --------------------------------------------------------------------------- explorers


@pytest.mark.parametrize(
    ("explorer", "controls"),
    [
        ("bumpy_descent_explorer", {"start w0", "lr", "momentum"}),
        ("xor_seed_explorer", {"seed", "hidden units", "momentum"}),
        ("training_explorer", {"data", "hidden units", "hidden layers", "steps"}),
    ],
)
def test_explorers_wire_their_controls(explorer, controls):
    pytest.importorskip("ipywidgets")
    widget = getattr(widgets, explorer)()
    descriptions = {getattr(child, "description", None) for child in widget.children}
    assert controls <= descriptions
