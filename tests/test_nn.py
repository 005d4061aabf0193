"""Neurons, layers, MLPs: shapes, parameter order, seeding, init schemes, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_course.engine import Value
from backprop_course.nn import INITS, MLP, Layer, Neuron, init_weights


def test_parameter_count_and_order_match_micrograd():
    model = MLP(2, [3, 1], seed=0)
    params = model.parameters()
    assert len(params) == (2 + 1) * 3 + (3 + 1) * 1
    # per neuron: its weights, then its bias, in layer order
    first = model.layers[0].neurons[0]
    assert params[0] is first.w[0] and params[1] is first.w[1] and params[2] is first.b
    last = model.layers[1].neurons[0]
    assert params[-1] is last.b and params[-4] is last.w[0]


def test_same_seed_same_weights_different_seed_different_weights():
    a = [p.data for p in MLP(2, [4, 1], seed=7).parameters()]
    b = [p.data for p in MLP(2, [4, 1], seed=7).parameters()]
    c = [p.data for p in MLP(2, [4, 1], seed=8).parameters()]
    assert a == b and a != c


def test_forward_matches_hand_computation():
    model = MLP(2, [2, 1], activation="tanh", seed=3)
    x = [0.5, -1.5]
    (W1, b1), (W2, b2) = model.weights()
    h = np.tanh(W1 @ np.array(x) + b1)
    expected = (W2 @ h + b2).item()
    assert model(x).data == pytest.approx(expected, rel=1e-12)


def test_layer_returns_list_and_single_output_returns_value():
    layer = Layer(3, 4, seed=0)
    out = layer([1.0, 2.0, 3.0])
    assert isinstance(out, list) and len(out) == 4
    assert isinstance(Layer(3, 1)([1.0, 2.0, 3.0]), Value)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_activations(activation):
    n = Neuron(1, activation, weights=[2.0], bias=-1.0)
    z = 2.0 * 0.3 - 1.0
    expected = {"relu": max(z, 0.0), "tanh": math.tanh(z), "sigmoid": 1 / (1 + math.exp(-z)), "linear": z}
    assert n([0.3]).data == pytest.approx(expected[activation])


def test_init_schemes_have_the_documented_scale():
    rng = np.random.default_rng(0)
    W, b = init_weights("xavier", 400, 100, rng)
    a = math.sqrt(6 / 500)
    assert np.abs(W).max() <= a and np.abs(W).max() > 0.95 * a and not b.any()
    W, _ = init_weights("he", 400, 1000, rng)
    assert W.std() == pytest.approx(math.sqrt(2 / 400), rel=0.03)
    W, _ = init_weights("uniform", 50, 50, rng)
    assert -1 <= W.min() < -0.9 and 0.9 < W.max() <= 1
    W, b = init_weights("constant", 3, 2, rng, scale=0.5)
    assert (W == 0.5).all() and (b == 0.5).all()
    assert set(INITS) == {"uniform", "xavier", "he", "normal", "constant"}


def test_constant_init_makes_identical_hidden_units():
    model = MLP(2, [3, 1], activation="tanh", init="constant", scale=0.3)
    hidden = model.layers[0]([0.2, 0.7])
    assert len({h.data for h in hidden}) == 1


def test_zero_grad():
    model = MLP(2, [2, 1], seed=0)
    model([1.0, 1.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_accepts_numpy_rows():
    model = MLP(2, [2, 1], seed=0)
    assert model(np.array([0.1, 0.2])).data == model([0.1, 0.2]).data


def test_repr():
    assert repr(MLP(2, [16, 16, 1])) == (
        "MLP(2 -> 16 -> 16 -> 1; Layer(2 -> 16, relu), Layer(16 -> 16, relu), Layer(16 -> 1, linear))"
    )
    assert repr(Neuron(3, "tanh")) == "TanhNeuron(3)"


def test_wrong_input_length_names_both_sizes():
    with pytest.raises(ValueError, match="takes 2 inputs but was given 3"):
        MLP(2, [3, 1])([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="takes 3 inputs but was given 1"):
        Layer(3, 2)([1.0])
    with pytest.raises(ValueError, match="takes 2 inputs but was given 1"):
        Neuron(2)([1.0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"nin": 0, "nouts": [1]}, "nin must be a positive integer"),
        ({"nin": 2, "nouts": 3}, "nouts must be a non-empty list"),
        ({"nin": 2, "nouts": []}, "nouts must be a non-empty list"),
        ({"nin": 2, "nouts": [1], "init": "zeros"}, "unknown init 'zeros'"),
        ({"nin": 2, "nouts": [1], "activation": "gelu"}, "unknown activation 'gelu'"),
    ],
)
def test_bad_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP(**kwargs)


def test_bad_seed():
    with pytest.raises(TypeError, match="seed must be a non-negative int"):
        MLP(2, [1], seed="abc")  # type: ignore[arg-type]
