"""Notebook 03's practice exercises: the reference answers pass, each common mistake gets its hint."""

from __future__ import annotations

import math

import pytest

from backprop_course.engine import Value
from backprop_course.nn import MLP
from backprop_course.selfcheck import lecture03


def sigmoid_slope(z):
    s = 1 / (1 + math.exp(-z))
    return s * (1 - s)


def test_sigmoid_slope_reference_passes():
    assert lecture03.evaluate_sigmoid_slope(sigmoid_slope).passed
    assert sigmoid_slope(0.0) == 0.25  # by hand: 1/2 * 1/2


@pytest.mark.parametrize(
    "wrong, mistake",
    [
        (lambda z: 1 / (1 + math.exp(-z)), "sigma_itself"),
        (lambda z: z * (1 - z), "z_for_sigma"),
        (lambda z: 1 - math.tanh(z) ** 2, "tanh_derivative"),
    ],
)
def test_sigmoid_slope_mistakes_are_named(wrong, mistake):
    feedback = lecture03.evaluate_sigmoid_slope(wrong)
    assert not feedback.passed and feedback.mistake == mistake


def neuron_output(w, b, x):
    z = b
    for wi, xi in zip(w, x):
        z = z + wi * xi
    return z.tanh()


def test_neuron_output_reference_passes():
    feedback = lecture03.evaluate_neuron_output(neuron_output)
    assert feedback.passed, str(feedback)
    # by hand: z = 0.4 - 0.6 - 0.5 + 0.1 = -0.6
    out = neuron_output([Value(0.4), Value(0.3), Value(-1.0)], Value(0.1), [1.0, -2.0, 0.5])
    assert out.data == pytest.approx(math.tanh(-0.6))


def _z(w, x):
    return sum((wi * xi for wi, xi in zip(w, x)), Value(0.0))


@pytest.mark.parametrize(
    "wrong, mistake",
    [
        (lambda w, b, x: _z(w, x).tanh(), "no_bias"),
        (lambda w, b, x: _z(w, x) + b, "no_activation"),
        (lambda w, b, x: (_z(w, x) + b).sigmoid(), "sigmoid"),
        (lambda w, b, x: math.tanh(sum(wi.data * xi for wi, xi in zip(w, x)) + b.data), "not_a_value"),
        (lambda w, b, x: (_z(w, x) + b.data).tanh(), "bias_detached"),
        (lambda w, b, x: (sum(wi.data * xi for wi, xi in zip(w, x)) + b).tanh(), "weights_detached"),
    ],
)
def test_neuron_output_mistakes_are_named(wrong, mistake):
    feedback = lecture03.evaluate_neuron_output(wrong)
    assert not feedback.passed and feedback.mistake == mistake, str(feedback)


def mlp_parameters(model):
    params = []
    for layer in model.layers:
        for neuron in layer.neurons:
            params.extend(neuron.w)
            params.append(neuron.b)
    return params


def test_mlp_parameters_reference_passes_and_equals_the_library():
    assert lecture03.evaluate_mlp_parameters(mlp_parameters).passed
    model = MLP(3, [4, 2], seed=1)
    assert [id(p) for p in mlp_parameters(model)] == [id(p) for p in model.parameters()]
    assert len(mlp_parameters(model)) == (3 + 1) * 4 + (4 + 1) * 2


@pytest.mark.parametrize(
    "wrong, mistake",
    [
        (lambda m: [w for layer in m.layers for n in layer.neurons for w in n.w], "no_bias"),
        (lambda m: [p for layer in m.layers for n in layer.neurons for p in (n.b, *n.w)], "bias_first"),
        (lambda m: [p for layer in m.layers[::-1] for n in layer.neurons for p in (*n.w, n.b)], "layers_reversed"),
        (lambda m: [[*n.w, n.b] for layer in m.layers for n in layer.neurons], "nested"),
        (lambda m: [p.data for p in mlp_parameters(m)], "not_values"),
        (lambda m: m.parameters(), "called_parameters"),
        (
            lambda m: [
                p for layer in m.layers for p in [w for n in layer.neurons for w in n.w] + [n.b for n in layer.neurons]
            ],
            "weights_then_biases",
        ),
    ],
)
def test_mlp_parameters_mistakes_are_named(wrong, mistake):
    feedback = lecture03.evaluate_mlp_parameters(wrong)
    assert not feedback.passed and feedback.mistake == mistake, str(feedback)


def test_mlp_parameters_check_restores_the_models_method():
    # the check switches parameters() off on its own model only; the class is untouched
    lecture03.evaluate_mlp_parameters(mlp_parameters)
    assert len(MLP(3, [4, 2], seed=0).parameters()) == 26
