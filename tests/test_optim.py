"""SGD, momentum and the train() loop, including micrograd's moons demo."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_course import data
from backprop_course.engine import TrainingDivergedError, Value
from backprop_course.nn import MLP
from backprop_course.optim import SGD, History, train


def test_sgd_step_moves_against_the_gradient():
    w = Value(1.0)
    w.grad = 0.5
    SGD([w], lr=0.1).step()
    assert w.data == pytest.approx(0.95)


def test_momentum_accumulates_velocity():
    w = Value(0.0)
    opt = SGD([w], lr=1.0, momentum=0.9)
    w.grad = 1.0
    opt.step()  # v = -1
    opt.step()  # v = -0.9 - 1 = -1.9
    assert w.data == pytest.approx(-2.9)


def test_learning_rate_schedule_is_called_with_the_step():
    w = Value(0.0)
    opt = SGD([w], lr=lambda k: 1.0 / (k + 1))
    w.grad = 1.0
    opt.step()
    opt.step()
    assert w.data == pytest.approx(-1.5)


def test_sgd_bad_arguments():
    with pytest.raises(ValueError, match="no parameters"):
        SGD([])
    with pytest.raises(ValueError, match="lr must be a positive number"):
        SGD([Value(1.0)], lr=-1.0)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        SGD([Value(1.0)], momentum=1.5)


def test_micrograd_demo_reaches_full_training_accuracy():
    """micrograd's demo: 100 moons, MLP(2, [16, 16, 1]), hinge + 1e-4 L2, 100 SGD steps."""
    X, y = data.moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    history = train(model, X, y, loss="hinge", steps=100, lr=lambda k: 1.0 - 0.9 * k / 100, l2=1e-4)
    assert len(history.loss) == 100
    assert history.loss[-1] < 0.1 * history.loss[0]
    final = np.array([model(x).data for x in X])
    assert np.mean((final > 0) == (y == 1)) == 1.0


def test_xor_with_tanh_hidden_layer_learns():
    X, y = data.xor()
    model = MLP(2, [4, 1], activation="tanh", output_activation="tanh", seed=1)
    history = train(model, X, 2.0 * y - 1.0, loss="mse", steps=200, lr=0.2)
    assert history.final_accuracy == 1.0 and history.final_loss < 0.05


def test_softmax_training_on_three_blobs():
    X, y = data.blobs(60, centers=3, std=0.3, seed=2)
    model = MLP(2, [8, 3], seed=0)
    history = train(model, X, y, loss="softmax", steps=60, lr=0.5)
    assert history.final_accuracy == 1.0


def test_minibatches_are_seeded():
    X, y = data.moons(40, seed=0)
    runs = [train(MLP(2, [4, 1], seed=0), X, y, steps=5, batch_size=8, seed=3).loss for _ in range(2)]
    other = train(MLP(2, [4, 1], seed=0), X, y, steps=5, batch_size=8, seed=4).loss
    assert runs[0] == runs[1] and runs[0] != other


def test_callback_sees_every_step_and_can_stop():
    X, y = data.and_gate()
    seen: list[int] = []

    def callback(step: int, model: MLP, history: History) -> bool:
        seen.append(step)
        return step == 2

    history = train(MLP(2, [1], seed=0), X, y, steps=10, callback=callback)
    assert seen == [0, 1, 2] and len(history.loss) == 3


def test_divergence_is_reported_with_the_learning_rate():
    X, y = data.regression_1d(20, seed=0)
    with pytest.raises(TrainingDivergedError, match=r"diverged at step \d+.*learning rate 1e\+06"):
        train(MLP(1, [8, 1], activation="relu", seed=0), X, 100.0 * y, loss="mse", steps=50, lr=1e6)


def test_train_bad_arguments():
    X, y = data.xor()
    model = MLP(2, [2, 1])
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        train(model, X[:, :1], y)
    with pytest.raises(ValueError, match=r"X has 4 rows but y has shape \(3,\); give one label per row"):
        train(model, X, y[:3])
    with pytest.raises(ValueError, match="unknown loss 'l1'"):
        train(model, X, y, loss="l1")
    with pytest.raises(ValueError, match="batch_size must be between 1 and 4"):
        train(model, X, y, batch_size=10)
