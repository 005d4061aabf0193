"""The plain functions behind the widgets of notebooks 04-06: learning rate, XOR hidden units, symmetry, init scale."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from backprop_course import data, losses, widgets
from backprop_course.engine import TrainingDivergedError, Value
from backprop_course.nn import MLP
from backprop_course.optim import train


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------- notebook 04: learning rate


def test_quadratic_descent_matches_closed_form():
    # w_t - w* = (1 - lr L)^t (w_0 - w*), written out here independently of the iteration.
    lr, L, w0, w_star = 0.01, 40.0, 0.0, 2.0
    path = widgets.quadratic_descent(lr, curvature=L, w0=w0, minimum=w_star, steps=10)
    expected = w_star + (1 - lr * L) ** np.arange(11) * (w0 - w_star)
    np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-12)
    assert path[1] == pytest.approx(0.8)  # 0 - 0.01 * 40 * (0 - 2)


@pytest.mark.parametrize("lr", [0.001, 0.01, 0.03, 0.049])
def test_learning_rate_below_two_over_L_converges(lr):
    L = 40.0  # 2 / L = 0.05
    path = widgets.quadratic_descent(lr, curvature=L, steps=200)
    loss = widgets.quadratic_loss(path, curvature=L)
    assert loss[-1] < loss[0]
    assert np.all(np.diff(loss) <= 0)  # the loss never goes up
    assert abs(path[-1] - 2.0) <= abs(path[0] - 2.0) * abs(1 - lr * L) ** 100 + 1e-15


@pytest.mark.parametrize("lr", [0.051, 0.06, 0.1])
def test_learning_rate_above_two_over_L_diverges(lr):
    L = 40.0
    path = widgets.quadratic_descent(lr, curvature=L, steps=20)
    loss = widgets.quadratic_loss(path, curvature=L)
    assert np.all(np.diff(loss) > 0)  # every step makes it worse
    assert abs(path[-1] - 2.0) > 2.0  # further away than the start
    signs = np.sign(path[1:] - 2.0)
    assert np.all(signs[1:] == -signs[:-1])  # and it overshoots to the other side every time


def test_learning_rate_exactly_two_over_L_bounces_and_one_over_L_lands():
    path = widgets.quadratic_descent(2 / 40.0, curvature=40.0, w0=0.0, minimum=2.0, steps=6)
    np.testing.assert_allclose(path, [0.0, 4.0, 0.0, 4.0, 0.0, 4.0, 0.0], atol=1e-12)
    path = widgets.quadratic_descent(1 / 40.0, curvature=40.0, w0=0.0, minimum=2.0, steps=3)
    np.testing.assert_allclose(path, [0.0, 2.0, 2.0, 2.0], atol=1e-12)


def test_learning_rate_regime_names_each_case():
    L = 40.0
    assert widgets.learning_rate_regime(0.01, L) == "converges"
    assert widgets.learning_rate_regime(0.025, L) == "converges in one step"
    assert widgets.learning_rate_regime(0.04, L) == "converges, oscillating"
    assert widgets.learning_rate_regime(0.05, L) == "oscillates forever"
    assert widgets.learning_rate_regime(0.1, L) == "diverges"
    assert widgets.learning_rate_regime(0.0499, L) == "converges, oscillating"
    assert widgets.learning_rate_regime(0.0501, L) == "diverges"


@pytest.mark.parametrize("bad", [0.0, -0.1, math.nan, math.inf, "0.1", True])
def test_quadratic_descent_rejects_bad_learning_rates(bad):
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        widgets.quadratic_descent(bad)


def test_quadratic_descent_rejects_bad_steps_and_curvature():
    with pytest.raises(ValueError, match="steps"):
        widgets.quadratic_descent(0.01, steps=-1)
    with pytest.raises(ValueError, match="curvature"):
        widgets.quadratic_descent(0.01, curvature=0.0)


def test_plot_learning_rate_says_what_happens():
    fig = widgets.plot_learning_rate(0.1, curvature=40.0)
    left, right = fig.axes
    assert "diverges" in left.get_title()
    assert "-3" in right.get_title()  # 1 - 0.1 * 40
    assert any("leaves the picture" in t.get_text() for t in left.texts)
    fig = widgets.plot_learning_rate(0.01, curvature=40.0)
    assert "converges" in fig.axes[0].get_title()
    assert not [t for t in fig.axes[0].texts if t.get_visible()]


def test_the_seed_learning_rates_on_a_line_fit():
    """Notebook 04's example: y = 2x + 1 at x = -6, -2, 2, 6; mean((w x + b - y)^2) = 20 (w - 2)^2 + (b - 1)^2,
    curvature 40 along w: lr 0.01 < 2/40 converges, lr 0.1 > 2/40 diverges."""
    x = np.array([-6.0, -2.0, 2.0, 6.0])
    X, y = x[:, None], 2.0 * x + 1.0
    ok = MLP(1, [1], seed=0)
    history = train(ok, X, y, loss="mse", lr=0.01, steps=400)
    assert history.loss[-1] < 1e-4 * history.loss[0]
    ((W, b),) = ok.weights()
    assert W[0, 0] == pytest.approx(2.0) and b[0] == pytest.approx(1.0, abs=1e-2)
    bad = MLP(1, [1], seed=0)
    with pytest.raises(TrainingDivergedError, match="smaller"):
        train(bad, X, y, loss="mse", lr=0.1, steps=1000)


def test_learning_rate_explorer_builds_and_redraws():
    ipywidgets = pytest.importorskip("ipywidgets")
    w = widgets.learning_rate_explorer()
    assert isinstance(w, ipywidgets.VBox)
    names = {c.description for c in w.children if hasattr(c, "description")}
    assert {"lr", "curvature c", "steps"} <= names
    before = w.image.value
    w.controls["lr"].value = 0.08
    assert "diverges" in w.view.ax.get_title() and w.image.value != before


# ---------------------------------------------------------------- notebook 05: XOR


def test_train_xor_records_the_first_layer_every_step():
    model, history, T = widgets.train_xor(3, seed=2, steps=25)
    assert T.shape == (26, 3, 3)
    assert len(history.loss) == 25
    fresh = MLP(2, [3, 1], activation="tanh", seed=2)
    W0, b0 = fresh.weights()[0]
    np.testing.assert_array_equal(T[0], np.column_stack([W0, b0]))
    W, b = model.weights()[0]
    np.testing.assert_array_equal(T[-1], np.column_stack([W, b]))
    assert not np.array_equal(T[0], T[-1])


def test_two_tanh_hidden_units_solve_xor_and_one_neuron_cannot():
    model, _, _ = widgets.train_xor(2, seed=1, steps=300)
    X, y = data.xor()
    loss, acc = widgets.bce_and_accuracy(model, X, y)
    assert acc == 1.0 and loss < 0.1
    # A single neuron (no hidden layer) trained the same way stays at the BCE of a coin flip, ln 2.
    neuron = MLP(2, [1], seed=1)
    train(neuron, X, y, loss="bce", steps=300, lr=0.5)
    loss1, _ = widgets.bce_and_accuracy(neuron, X, y)
    assert loss1 == pytest.approx(math.log(2), abs=1e-3)


def test_hidden_unit_outputs_match_the_scalar_engine():
    model = MLP(2, [3, 1], activation="tanh", seed=4)
    points = np.array([[0.3, -1.2], [2.0, 0.5]])
    got = widgets.hidden_unit_outputs(model, points)
    for row, p in zip(got, points):
        expected = [h.data for h in model.layers[0](p.tolist())]
        np.testing.assert_allclose(row, expected, rtol=1e-12)


def test_bce_and_accuracy_match_the_library_loss():
    model = MLP(2, [3, 1], activation="tanh", seed=5)
    X, y = data.xor()
    loss, acc = widgets.bce_and_accuracy(model, X, y)
    scores = [model(x) for x in X]
    assert loss == pytest.approx(losses.binary_cross_entropy(scores, y).data, rel=1e-12)
    assert acc == np.mean([(s.data > 0) == (t == 1) for s, t in zip(scores, y)])


def test_plot_hidden_units_has_a_panel_per_unit():
    X, y = data.xor()
    two = widgets.plot_hidden_units(MLP(2, [2, 1], activation="tanh", seed=0), X, y)
    visible = [ax for ax in two.axes if ax.axison]
    assert len(visible) == 4  # 2 units, hidden space, the network
    assert "hidden space" in visible[2].get_title()
    four = widgets.plot_hidden_units(MLP(2, [4, 1], activation="tanh", seed=0), X, y)
    assert len([ax for ax in four.axes if ax.axison]) == 5
    with pytest.raises(ValueError, match="MLP\\(2, \\[hidden, 1\\]\\)"):
        widgets.plot_hidden_units(MLP(2, [2, 2, 1], seed=0), X, y)


def test_xor_hidden_units_figure_reports_the_result():
    fig = widgets.xor_hidden_units_figure(2, seed=1, steps=300)
    assert "accuracy 1.00" in fig._suptitle.get_text()


# ---------------------------------------------------------------- notebook 06: symmetry and init scale


def test_constant_init_keeps_hidden_units_identical_at_every_step():
    _, _, T = widgets.train_xor(4, init="constant", scale=0.5, steps=100)
    for unit in range(1, 4):
        np.testing.assert_array_equal(T[:, unit], T[:, 0])
    assert widgets.count_distinct_units(T[-1]) == 1
    # the weights did move: symmetric is not frozen
    assert np.max(np.abs(T[-1, 0] - T[0, 0])) > 0.1


def test_random_init_breaks_symmetry_and_solves_xor():
    model, _, T = widgets.train_xor(4, init="xavier", seed=0, steps=300)
    assert widgets.count_distinct_units(T[0]) == 4
    assert widgets.count_distinct_units(T[-1]) == 4
    X, y = data.xor()
    assert widgets.bce_and_accuracy(model, X, y)[1] == 1.0


def test_constant_init_network_is_no_better_than_one_hidden_unit():
    X, y = data.xor()
    model, _, _ = widgets.train_xor(4, init="constant", scale=0.5, steps=300)
    assert widgets.bce_and_accuracy(model, X, y)[1] <= 0.75


def test_count_distinct_units():
    W = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0 + 1e-9], [0.0, 0.0, 0.0]])
    assert widgets.count_distinct_units(W) == 3
    assert widgets.count_distinct_units(W, tol=1e-6) == 2
    with pytest.raises(ValueError, match="non-empty"):
        widgets.count_distinct_units(np.zeros((0, 3)))


def test_plot_hidden_weights_draws_one_line_per_unit_and_counts_distinct():
    _, _, T = widgets.train_xor(3, init="constant", scale=0.5, steps=10)
    fig = widgets.plot_hidden_weights(T)
    assert len(fig.axes) == 3
    assert all(len(ax.lines) == 3 for ax in fig.axes)
    assert "1 distinct unit(s) out of 3" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="steps \\+ 1, hidden, 3"):
        widgets.plot_hidden_weights(np.zeros((5, 3)))


def test_symmetry_figure_titles():
    fig = widgets.symmetry_figure("constant", 0.5, hidden=3, steps=20)
    assert "1 distinct" in fig._suptitle.get_text()
    fig = widgets.symmetry_figure("uniform", 1.0, hidden=3, steps=20)
    assert "3 distinct" in fig._suptitle.get_text()


def test_xavier_keeps_the_signal_while_small_init_vanishes_and_large_saturates():
    good = widgets.activation_statistics("xavier", 1.0)
    g = good.grad_activations
    assert g.max() / g.min() < 2.0  # about the same gradient reaches every layer
    assert np.all(good.saturated == 0.0)

    small = widgets.activation_statistics("xavier", 0.1)
    assert np.all(np.diff(small.std) < 0)  # the forward signal shrinks layer by layer
    assert small.std[-1] < 1e-4
    g = small.grad_activations
    assert np.all(np.diff(g) > 0)  # and the backward signal shrinks going back (towards layer 1)
    assert g[0] < 1e-4 * g[-1]

    large = widgets.activation_statistics("xavier", 10.0)
    assert np.all(large.saturated[1:] > 0.5)  # most tanh units sit at +-1
    assert large.std[-1] > 0.9


def test_activation_statistics_matches_a_hand_computed_one_layer_network():
    # depth 1: h = tanh(X W1^T + b1), out = h W2^T + b2; dL/dh = delta W2 with delta = dL/dout
    stats = widgets.activation_statistics("normal", 0.7, depth=1, width=5, n=7, seed=3)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(7, 2))
    W1 = rng.normal(0.0, 0.7, (5, 2))
    W2 = rng.normal(0.0, 0.7, (1, 5))
    delta = rng.normal(size=(7, 1)) / 7
    h = np.tanh(X @ W1.T)
    np.testing.assert_allclose(stats.activations[0], h)
    dh = delta @ W2
    assert stats.grad_activations[0] == pytest.approx(np.sqrt(np.mean(dh**2)))
    dW1 = (dh * (1 - h**2)).T @ X
    assert stats.grad_weights[0] == pytest.approx(np.sqrt(np.mean(dW1**2)))
    assert stats.grad_weights[1] == pytest.approx(np.sqrt(np.mean((delta.T @ h) ** 2)))


def test_relu_statistics_count_dead_units():
    stats = widgets.activation_statistics("he", 1.0, activation="relu")
    assert np.all((stats.saturated > 0.2) & (stats.saturated < 0.8))  # about half of ReLU outputs are 0
    assert np.all([(h >= 0).all() for h in stats.activations])


def test_activation_statistics_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown init"):
        widgets.activation_statistics("zeros")
    with pytest.raises(ValueError, match="activation"):
        widgets.activation_statistics(activation="linear")
    with pytest.raises(ValueError, match="scale"):
        widgets.activation_statistics(scale=-1.0)


def test_plot_activation_statistics_labels_each_layer():
    fig = widgets.plot_activation_statistics("xavier", 10.0, depth=3)
    hist_ax, grad_ax = fig.axes
    labels = [t.get_text() for t in hist_ax.get_legend().get_texts()]
    assert len(labels) == 3 and all("saturated" in t for t in labels)
    assert len(grad_ax.lines[0].get_xdata()) == 3


def test_activation_statistics_figure_reads_small_numbers_and_flat_profiles():
    # Xavier x 0.1: layer 3's spread is about 2.5e-4, which a fixed 3-decimal format showed as "std 0.000"
    fig = widgets.plot_activation_statistics("xavier", 0.1, depth=3)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "std 0.000" not in " ".join(labels) and "std 2.5e-04" in labels[2]
    # Xavier x 1: the gradient varies by about 10% over the layers; the axis spans 4 decades, so it reads flat
    fig = widgets.plot_activation_statistics("xavier", 1.0)
    lo, hi = fig.axes[1].get_ylim()
    assert hi / lo >= 1e4 - 1


def test_init_explorers_build_and_redraw():
    ipywidgets = pytest.importorskip("ipywidgets")
    for make, control, value in (
        (widgets.init_explorer, "init", "xavier"),  # (the seed changes nothing under constant init)
        (widgets.init_scale_explorer, "scale", 10.0),
        (widgets.xor_explorer, "steps", 600),
    ):
        w = make()
        assert isinstance(w, ipywidgets.VBox)
        before = w.image.value
        w.controls[control].value = value
        assert w.image.value != before


def test_value_engine_agrees_identical_units_get_identical_gradients():
    """The reason behind the symmetry: one backward pass through a constant-initialised network."""
    model = MLP(2, [3, 1], activation="tanh", init="constant", scale=0.3)
    X, y = data.xor()
    loss = losses.binary_cross_entropy([model(x) for x in X], y)
    model.zero_grad()
    loss.backward()
    grads = [[p.grad for p in n.parameters()] for n in model.layers[0].neurons]
    assert grads[0] == grads[1] == grads[2]
    assert any(g != 0.0 for g in grads[0])
    assert isinstance(loss, Value)
