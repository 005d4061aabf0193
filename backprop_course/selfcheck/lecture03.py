"""Self-checks of the practice exercises in notebook 03 (neurons, activations, loss).

- :func:`check_sigmoid_slope`: :math:`\\sigma'(z) = \\sigma(z)\\,(1 - \\sigma(z))`;
- :func:`check_neuron_output`: what ``Neuron.__call__`` computes,
  :math:`\\tanh(\\mathbf w \\cdot \\mathbf x + b)`, built from Values so gradients reach
  every weight and the bias;
- :func:`check_mlp_parameters`: ``MLP.parameters()``: every parameter once, per neuron its
  weights then its bias, layer after layer.

Each ``check_*`` prints its feedback ("not attempted yet" while the exercise is the
untouched stub); the matching ``evaluate_*`` returns it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..engine import Value
from ..nn import MLP
from .feedback import Feedback, _as_float, _call, _fmt, _number_problem, _rel, run_exercise_check

__all__ = [
    "check_mlp_parameters",
    "check_neuron_output",
    "check_sigmoid_slope",
    "evaluate_mlp_parameters",
    "evaluate_neuron_output",
    "evaluate_sigmoid_slope",
]

_TOL = 1e-9


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def evaluate_sigmoid_slope(sigmoid_slope: Callable[[float], object]) -> Feedback:
    """Check ``sigmoid_slope(z)`` = sigma(z) (1 - sigma(z)) at z = 0, 1.5 and -2."""
    name = "sigmoid_slope"
    for z in (0.0, 1.5, -2.0):
        got = _call(sigmoid_slope, name, f"at z = {z}", z)
        problem = _number_problem(got, f"sigmoid_slope({z})")
        if problem:
            return Feedback(name, False, problem[0], hint=problem[1], mistake="not_a_number")
        value = _as_float(got)
        s = _sigmoid(z)
        expected = s * (1 - s)
        if _rel(value, expected) <= _TOL:
            continue
        details = (
            f"at z = {z}",
            f"expected {_fmt(expected)}, got {_fmt(value)} (relative error {_rel(value, expected):.1e})",
        )
        mistakes = [
            (s, "sigma_itself", "that is sigma(z) itself; the slope is sigma(z) * (1 - sigma(z))."),
            (
                z * (1 - z),
                "z_for_sigma",
                "apply the formula to sigma(z), not to z: s = 1 / (1 + exp(-z)), then s * (1 - s).",
            ),
            (1 - s**2, "tanh_formula", "1 - s**2 is tanh's derivative pattern; the sigmoid's is s * (1 - s)."),
            (1 - math.tanh(z) ** 2, "tanh_derivative", "that is the derivative of tanh; the sigmoid's is s * (1 - s)."),
            (-expected, "sign", "the sign is flipped: the sigmoid rises everywhere, so its slope is positive."),
        ]
        for wrong, mistake, hint in mistakes:
            if _rel(value, wrong) <= _TOL:
                return Feedback(name, False, "not quite.", details, hint, mistake)
        return Feedback(name, False, "not quite.", details, "s = 1 / (1 + math.exp(-z)); return s * (1 - s).")
    return Feedback(name, True, "correct at z = 0, 1.5 and -2.")


def check_sigmoid_slope(sigmoid_slope: Callable[[float], object]) -> None:
    """Print :func:`evaluate_sigmoid_slope`'s feedback."""
    run_exercise_check("sigmoid_slope", lambda: evaluate_sigmoid_slope(sigmoid_slope))


def evaluate_neuron_output(neuron_output: Callable[[list[Value], Value, list[float]], object]) -> Feedback:
    """Check ``neuron_output(w, b, x)`` returns the Value tanh(w . x + b), with gradients reaching w and b.

    ``w`` is a list of Values, ``b`` a Value, ``x`` a list of floats. After the check calls
    ``backward()`` on the result, each ``w[i].grad`` must be (1 - out^2) x[i] and ``b.grad``
    1 - out^2.
    """
    name = "neuron_output"
    weights, bias, x = [0.4, 0.3, -1.0], 0.1, [1.0, -2.0, 0.5]
    w = [Value(v, label=f"w{i + 1}") for i, v in enumerate(weights)]
    b = Value(bias, label="b")
    where = f"with w = {weights}, b = {bias}, x = {x}"
    got = _call(neuron_output, name, where, w, b, list(x))
    z = sum(wi * xi for wi, xi in zip(weights, x)) + bias
    expected = math.tanh(z)
    if not isinstance(got, Value):
        problem = _number_problem(got, "the output")
        if problem:
            return Feedback(name, False, problem[0], hint=problem[1], mistake="not_a_number")
        return Feedback(
            name,
            False,
            f"it returned a {type(got).__name__}, not a Value.",
            (where,),
            "compute with the Values w[i] and b themselves (not their .data), so backward() can reach them.",
            "not_a_value",
        )
    value = got.data
    details = (where, f"expected {_fmt(expected)}, got {_fmt(value)} (relative error {_rel(value, expected):.1e})")
    if _rel(value, expected) > _TOL:
        dot = z - bias
        mistakes = [
            (math.tanh(dot), "no_bias", "the bias is missing: z = w . x + b."),
            (z, "no_activation", "that is z = w . x + b; the neuron's output is tanh(z)."),
            (_sigmoid(z), "sigmoid", "that is sigmoid(z); this neuron uses tanh."),
            (max(z, 0.0), "relu", "that is relu(z); this neuron uses tanh."),
            (math.tanh(sum(weights) + bias), "no_inputs", "multiply each weight by its input: sum of w[i] * x[i]."),
        ]
        for wrong, mistake, hint in mistakes:
            if _rel(value, wrong) <= _TOL:
                return Feedback(name, False, "not quite.", details, hint, mistake)
        return Feedback(name, False, "not quite.", details, "z = sum of w[i] * x[i], plus b; return z.tanh().")
    got.backward()
    slope = 1 - expected**2
    for i, (wi, xi) in enumerate(zip(w, x)):
        if _rel(wi.grad, slope * xi) > _TOL:
            return Feedback(
                name,
                False,
                f"the output is right, but the gradient of w{i + 1} is {_fmt(wi.grad)}, expected {_fmt(slope * xi)}.",
                (where,),
                "use the Values w[i] themselves in the sum (w[i] * x[i]), not w[i].data or a copy.",
                "weights_detached",
            )
    if _rel(b.grad, slope) > _TOL:
        return Feedback(
            name,
            False,
            f"the output is right, but b.grad is {_fmt(b.grad)}, expected {_fmt(slope)}.",
            (where,),
            "add the Value b itself (not b.data), so the gradient reaches the bias.",
            "bias_detached",
        )
    return Feedback(
        name, True, f"correct: tanh(w . x + b) = {_fmt(expected)}, and backward() reaches every weight and b."
    )


def check_neuron_output(neuron_output: Callable[[list[Value], Value, list[float]], object]) -> None:
    """Print :func:`evaluate_neuron_output`'s feedback."""
    run_exercise_check("neuron_output", lambda: evaluate_neuron_output(neuron_output))


class _WriteItYourself(Exception):
    """Raised by the model's own ``parameters()`` while the check runs."""


def _refuse() -> list[Value]:
    raise _WriteItYourself


def evaluate_mlp_parameters(mlp_parameters: Callable[[MLP], object]) -> Feedback:
    """Check ``mlp_parameters(model)`` lists the Values of ``MLP(3, [4, 2])`` in ``MLP.parameters()``'s order.

    The order: layer after layer; in a layer, neuron after neuron; for each neuron its
    weights ``neuron.w`` then its bias ``neuron.b``. The model's own ``parameters()`` is
    switched off during the check: the exercise is to collect them.
    """
    name = "mlp_parameters"
    model = MLP(3, [4, 2], seed=0)
    expected = [p for layer in model.layers for neuron in layer.neurons for p in (*neuron.w, neuron.b)]
    model.parameters = _refuse  # type: ignore[method-assign]
    try:
        got = _call(mlp_parameters, name, "on MLP(3, [4, 2])", model, handled=(_WriteItYourself,))
    except _WriteItYourself:
        return Feedback(
            name,
            False,
            "it called model.parameters(), the method this exercise asks you to write.",
            hint="walk model.layers, each layer's .neurons, and each neuron's .w and .b yourself.",
            mistake="called_parameters",
        )
    finally:
        del model.parameters
    n = len(expected)
    if not isinstance(got, list):
        return Feedback(name, False, f"it returned a {type(got).__name__}; expected a list.", hint="return a list.")
    if any(isinstance(p, list) for p in got):
        return Feedback(
            name,
            False,
            "it returned a list of lists.",
            hint="the list must be flat: extend one list (or use a nested comprehension), don't append sub-lists.",
            mistake="nested",
        )
    if not all(isinstance(p, Value) for p in got):
        return Feedback(
            name,
            False,
            "not every item is a Value.",
            hint="list the Value objects themselves (neuron.w[i], neuron.b), not their .data: training updates them.",
            mistake="not_values",
        )
    ids = [id(p) for p in got]
    want = [id(p) for p in expected]
    details = (f"MLP(3, [4, 2]) has (3+1)*4 + (4+1)*2 = {n} parameters; your list has {len(got)}",)
    if ids == want:
        return Feedback(
            name, True, f"correct: all {n} parameters, per neuron its weights then its bias, layer by layer."
        )
    weights_only = [id(p) for layer in model.layers for neuron in layer.neurons for p in neuron.w]
    bias_first = [id(p) for layer in model.layers for neuron in layer.neurons for p in (neuron.b, *neuron.w)]
    layers_reversed = [
        id(p) for layer in reversed(model.layers) for neuron in layer.neurons for p in (*neuron.w, neuron.b)
    ]
    per_layer_split = [
        id(p)
        for layer in model.layers
        for p in [w for neuron in layer.neurons for w in neuron.w] + [neuron.b for neuron in layer.neurons]
    ]
    known = [
        (weights_only, "no_bias", "the biases are missing: each neuron has its weights *and* a bias b."),
        (bias_first, "bias_first", "each neuron's bias comes after its weights, not before."),
        (layers_reversed, "layers_reversed", "list the layers from the input side: model.layers in order."),
        (per_layer_split, "weights_then_biases", "go neuron by neuron: its weights, then its own bias."),
    ]
    for wrong, mistake, hint in known:
        if ids == wrong:
            return Feedback(name, False, "not quite.", details, hint, mistake)
    if len(set(ids)) != len(ids):
        return Feedback(
            name, False, "some parameters appear twice.", details, "list each weight and bias once.", "duplicates"
        )
    if sorted(ids) == sorted(want):
        return Feedback(
            name,
            False,
            "all the parameters are there, in the wrong order.",
            details,
            "layer by layer, neuron by neuron: neuron.w, then neuron.b.",
            "order",
        )
    return Feedback(name, False, "not quite.", details, "for each layer, for each neuron: its .w list, then its .b.")


def check_mlp_parameters(mlp_parameters: Callable[[MLP], object]) -> None:
    """Print :func:`evaluate_mlp_parameters`'s feedback."""
    run_exercise_check("mlp_parameters", lambda: evaluate_mlp_parameters(mlp_parameters))
