"""The vectorised MLP: same weights, loss and gradients as the scalar engine; training; many seeds at once."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_course import data, gradcheck, losses, optim
from backprop_course.engine import TrainingDivergedError
from backprop_course.matrix_mlp import (
    MatrixMLP,
    accuracy,
    loss_forward_backward,
    train,
    train_many,
    xor_success_rate,
)
from backprop_course.nn import INITS, MLP
from backprop_course.optim import History


def flat(params) -> np.ndarray:
    """Per layer (W, b) -> one vector in the scalar MLP's parameters() order: per neuron, weights then bias."""
    return np.concatenate([np.column_stack([W, b]).ravel() for W, b in params])


def scalar_loss_and_grads(mlp: MLP, X, y, loss: str, l2: float) -> tuple[float, np.ndarray]:
    outputs = [mlp(row) for row in X.tolist()]
    total = optim._loss(loss, outputs, y)
    if l2:
        total = total + losses.l2_penalty(mlp.parameters(), l2)
    mlp.zero_grad()
    total.backward()
    return total.data, np.array([p.grad for p in mlp.parameters()])


# ------------------------------------------------------------------- same as the scalar MLP


@pytest.mark.parametrize("init", sorted(INITS))
def test_same_seed_gives_the_same_weights_as_the_scalar_mlp(init):
    scalar = MLP(3, [5, 4, 2], init=init, scale=0.7, seed=11).weights()
    matrix = MatrixMLP(3, [5, 4, 2], init=init, scale=0.7, seed=11).weights()
    assert [W.shape for W, _ in matrix] == [(5, 3), (4, 5), (2, 4)]
    for (W1, b1), (W2, b2) in zip(scalar, matrix):
        np.testing.assert_array_equal(W1, W2)
        np.testing.assert_array_equal(b1, b2)
    if init != "constant":
        assert not np.array_equal(MatrixMLP(3, [5, 4, 2], init=init, seed=12).params[0][0], matrix[0][0])


@pytest.mark.parametrize(
    ("loss", "nouts", "activation", "output_activation", "dataset"),
    [
        ("hinge", [16, 16, 1], "relu", "linear", lambda: data.moons(60, 0.1, seed=1)),  # the micrograd demo
        ("softmax", [8, 3], "tanh", "linear", lambda: data.spirals(45, 3, seed=2)),
        ("bce", [6, 5, 1], "sigmoid", "linear", lambda: data.circles(30, seed=3)),
        ("mse", [6, 1], "tanh", "sigmoid", lambda: data.xor()),
        ("mse", [7, 1], "relu", "linear", lambda: data.regression_1d(20, seed=4)),
    ],
)
def test_from_scalar_gives_the_same_loss_and_gradients_as_the_scalar_engine(
    loss, nouts, activation, output_activation, dataset
):
    X, y = dataset()
    mlp = MLP(X.shape[1], nouts, activation=activation, output_activation=output_activation, seed=5)
    model = MatrixMLP.from_scalar(mlp)
    expected_loss, expected_grads = scalar_loss_and_grads(mlp, X, y, loss, l2=1e-3)
    value, grads, out = model.loss_and_gradients(X, y, loss, l2=1e-3)
    assert abs(value - expected_loss) < 1e-10
    assert np.max(np.abs(flat(grads) - expected_grads)) < 1e-10
    assert out.shape == (len(X), nouts[-1])
    assert np.any(np.abs(expected_grads) > 1e-3)  # not a vacuous comparison of zeros


def test_from_scalar_copies_and_to_scalar_round_trips():
    mlp = MLP(2, [4, 3], activation="tanh", output_activation="sigmoid", seed=0)
    model = MatrixMLP.from_scalar(mlp)
    assert model.activations == ["tanh", "sigmoid"] and model.sizes == [2, 4, 3]
    assert model.num_parameters() == len(mlp.parameters())
    model.params[0][0][0, 0] += 1.0  # the copy is independent of the scalar model
    assert mlp.weights()[0][0][0, 0] == model.params[0][0][0, 0] - 1.0
    back = model.to_scalar()
    x = np.array([0.3, -0.7])
    np.testing.assert_allclose([v.data for v in back(x)], model(x[None, :])[0], rtol=1e-14)


def test_whole_network_gradients_match_finite_differences():
    X, y = data.spirals(30, 3, seed=6)
    model = MatrixMLP(2, [5, 4, 3], activation="tanh", init="xavier", seed=7)
    _, grads, _ = model.loss_and_gradients(X, y, "softmax", l2=0.01)
    for (W, b), (dW, db) in zip(model.params, grads):
        for param, grad in ((W, dW), (b, db)):

            def f(_: np.ndarray) -> float:  # the parameter is perturbed in place
                return model.loss_and_gradients(X, y, "softmax", l2=0.01)[0]

            numeric = gradcheck.numerical_gradient(f, param)
            assert gradcheck.rel_error(grad, numeric) < 1e-7


# ------------------------------------------------------------------------------ training


def test_train_follows_the_scalar_train_step_for_step():
    X, y = data.moons(24, 0.1, seed=8)
    mlp = MLP(2, [6, 5, 1], seed=9)
    model = MatrixMLP.from_scalar(mlp)
    kwargs = dict(loss="hinge", steps=6, lr=lambda k: 0.3 / (1 + k), momentum=0.8, l2=1e-3, batch_size=10, seed=10)
    h_scalar = optim.train(mlp, X, y, **kwargs)
    h_matrix = train(model, X, y, **kwargs)
    assert isinstance(h_matrix, History)
    np.testing.assert_allclose(h_matrix.loss, h_scalar.loss, rtol=0, atol=1e-12)
    assert h_matrix.accuracy == h_scalar.accuracy and h_matrix.lr == h_scalar.lr
    np.testing.assert_allclose(flat(model.params), flat(mlp.weights()), rtol=0, atol=1e-12)
    assert h_matrix.loss[-1] < h_matrix.loss[0]


@pytest.mark.parametrize("batch_size", [None, 32])
def test_spirals_with_three_classes_are_learned(batch_size):
    X, y = data.spirals(300, classes=3, seed=0)
    model = MatrixMLP(2, [32, 32, 3], activation="tanh", init="xavier", seed=0)
    history = train(
        model, X, y, loss="softmax", steps=1000 if batch_size is None else 1500, lr=0.5 if batch_size is None else 0.1,
        momentum=0.9, l2=1e-4, batch_size=batch_size, seed=0,
    )  # fmt: skip
    assert history.loss[0] > 1.0  # about log 3 at the start: chance
    assert accuracy(model(X), y, "softmax") >= 0.97
    X_new, y_new = data.spirals(300, classes=3, seed=1)  # fresh points from the same spirals
    assert accuracy(model(X_new), y_new, "softmax") >= 0.95


def test_minibatch_training_is_reproducible_from_its_seed():
    X, y = data.moons(50, seed=0)
    runs = []
    for seed in (1, 1, 2):
        model = MatrixMLP(2, [8, 1], seed=0)
        train(model, X, y, steps=5, batch_size=10, seed=seed)
        runs.append(flat(model.params))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_callback_can_stop_training():
    X, y = data.xor()
    seen = []
    history = train(MatrixMLP(2, [2, 1], seed=0), X, y, steps=50, callback=lambda k, m, h: seen.append(k) or k == 3)
    assert seen == [0, 1, 2, 3] and len(history.loss) == 4


def test_divergence_raises_a_clear_error():
    X, y = data.regression_1d(20, seed=0)
    with pytest.raises(TrainingDivergedError, match=r"diverged at step \d+.*learning rate 1e\+06"):
        with np.errstate(over="ignore", invalid="ignore"):
            train(MatrixMLP(1, [8, 1], seed=0), 100 * X, y, loss="mse", steps=50, lr=1e6)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: m.forward(np.zeros((3, 3))), ValueError, r"X must have shape \(N, 2\).*got \(3, 3\)"),
        (lambda m: m.loss_and_gradients(np.zeros((3, 2)), np.zeros(3), "l1"), ValueError, r"unknown loss 'l1'"),
        (
            lambda m: m.loss_and_gradients(np.zeros((3, 2)), np.zeros(3, dtype=int), "softmax"),
            ValueError,
            r"softmax loss needs one output per class",
        ),
        (lambda m: train(m, np.zeros((3, 2)), np.zeros(2)), ValueError, r"X has 3 rows but y has shape \(2,\)"),
        (lambda m: train(m, np.zeros((3, 2)), np.zeros(3), batch_size=4), ValueError, r"batch_size must be between 1"),
        (lambda m: train(m, np.zeros((3, 2)), np.zeros(3), lr=-1.0), ValueError, r"lr must be a positive number"),
        (lambda m: train(m, np.zeros((3, 2)), np.zeros(3), momentum=1.0), ValueError, r"momentum must be in \[0, 1\)"),
        (lambda m: m.backward(np.zeros((3, 1)), []), ValueError, r"got 0 caches for a model with 2 layers"),
        (lambda m: MatrixMLP(2, []), ValueError, r"nouts must be a non-empty list"),
        (lambda m: MatrixMLP(2, [3, 1], activation="gelu"), ValueError, r"unknown activation 'gelu'"),
        (lambda m: MatrixMLP(2, [3, 1], init="zeros"), ValueError, r"unknown init 'zeros'"),
        (
            lambda m: MatrixMLP.from_weights([(np.zeros((3, 2)), np.zeros(3)), (np.zeros((1, 4)), np.zeros(1))]),
            ValueError,
            r"layer 1: W has shape \(1, 4\), so it takes 4 inputs, but layer 0 has 3 outputs",
        ),
        (lambda m: MatrixMLP.from_scalar(m), TypeError, r"expects a backprop_course.nn.MLP, got MatrixMLP"),
        (lambda m: train_many([], np.zeros((3, 2)), np.zeros(3), [2, 1]), ValueError, r"at least one seed"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call(MatrixMLP(2, [3, 1], seed=0))


def test_loss_forward_backward_reads_hinge_labels_as_0_1_or_pm1():
    out = np.array([[0.5], [-2.0], [3.0]])
    v01, g01 = loss_forward_backward("hinge", out, np.array([1, 0, 0]))
    vpm, gpm = loss_forward_backward("hinge", out, np.array([1.0, -1.0, -1.0]))
    assert v01 == vpm == pytest.approx((0.5 + 0.0 + 4.0) / 3)
    np.testing.assert_array_equal(g01, gpm)


# ------------------------------------------------------------------------ many seeds at once


@pytest.mark.parametrize(
    ("loss", "dataset", "nouts", "activation", "output_activation"),
    [
        ("softmax", lambda: data.spirals(30, 3, seed=1), [6, 3], "tanh", "linear"),
        ("hinge", lambda: data.moons(20, seed=0), [5, 4, 1], "relu", "linear"),
        ("bce", data.xor, [3, 1], "sigmoid", "linear"),
        ("mse", data.xor, [2, 1], "tanh", "sigmoid"),
    ],
)
def test_train_many_equals_training_each_seed_alone(loss, dataset, nouts, activation, output_activation):
    X, y = dataset()
    seeds = [3, 7, 11]
    kwargs = dict(loss=loss, steps=40, lr=0.3, momentum=0.5, l2=1e-3)
    runs = train_many(seeds, X, y, nouts, activation=activation, output_activation=output_activation, **kwargs)
    assert runs.loss.shape == (40, 3) and runs.params[0][0].shape == (3, nouts[0], 2)
    for i, seed in enumerate(seeds):
        model = MatrixMLP(2, nouts, activation, output_activation, seed=seed)
        history = train(model, X, y, **kwargs)
        np.testing.assert_allclose(runs.loss[:, i], history.loss, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(runs.accuracy[:, i], history.accuracy)
        np.testing.assert_allclose(flat(runs.model(i).params), flat(model.params), rtol=0, atol=1e-12)
        final, _, out = model.loss_and_gradients(X, y, loss, l2=1e-3)
        assert runs.final_loss[i] == pytest.approx(final, abs=1e-12)
        assert runs.final_accuracy[i] == accuracy(out, y, loss)


def test_xor_success_rate_counts_seeds_that_classify_all_four_points():
    result = xor_success_rate(range(40), steps=1500)
    X, y = data.xor()
    for seed in range(0, 40, 5):
        model = MatrixMLP(2, [2, 1], "tanh", "sigmoid", seed=seed)
        train(model, X, y, loss="mse", steps=1500, lr=0.5)
        solved = bool(np.all((model(X)[:, 0] > 0.5) == (y == 1)))
        assert result.succeeded[seed] == solved
    assert result.rate == pytest.approx(np.mean(result.succeeded))
    assert f"{int(result.succeeded.sum())} of 40 seeds" in str(result)
    assert set(result.failed_seeds) == {s for s in range(40) if not result.succeeded[s]}


def test_with_two_hidden_units_some_xor_runs_get_stuck_and_width_helps():
    narrow = xor_success_rate(200)
    wide = xor_success_rate(200, hidden=4)
    assert 0.2 < narrow.rate < 0.9  # stuck runs exist: notebook 07's point
    stuck = narrow.runs.final_loss[~narrow.succeeded]
    assert np.all(stuck > 0.05)  # stuck with a loss far from 0, not merely slow
    assert wide.rate > narrow.rate + 0.2
