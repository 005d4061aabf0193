"""Self-checks of lecture 06, symmetry breaking and initialisation.

- :func:`check_hidden_gradients`: ``hidden_gradients(net, X, y)`` returns one row per hidden
  unit, the gradient of the binary cross-entropy with respect to that unit's ``(w1, w2, b)``.
- :func:`check_layer_gradient_factor`: ``layer_gradient_factor(sigma_w, fan_in, h)``, the factor by
  which one tanh layer scales the gradient on its way back,
  :math:`\\sigma_w\\sqrt{n}\\,\\sqrt{\\overline{\\phi'(z)^2}}` with :math:`\\phi'(z) = 1 - h^2`.
- :func:`check_count_dead_units`: ``count_dead_units(W, b, X)``, how many ReLU units have a
  pre-activation :math:`\\mathbf w_j\\cdot\\mathbf x + b_j \\le 0` on *every* input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np

from ..engine import Value
from ..losses import binary_cross_entropy
from ..nn import MLP
from .feedback import Feedback, _call, _fmt, _number_problem, evaluate_answer, run_exercise_check

_XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_Y = np.array([0, 1, 1, 0])


def _reference_hidden_gradients(net: MLP, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The check's own gradients: a fresh backward pass, one row (w..., b) per hidden unit."""
    net.zero_grad()
    binary_cross_entropy([cast(Value, net(list(x))) for x in X], y).backward()
    grads = np.array([[p.grad for p in neuron.parameters()] for neuron in net.layers[0].neurons])
    net.zero_grad()
    return grads


def evaluate_hidden_gradients(fn: Callable[..., object]) -> Feedback:
    """Check ``hidden_gradients(net, X, y)`` on a constant-initialised and a random XOR network (called twice each)."""
    name = "hidden_gradients"
    cases = (
        ("MLP(2, [3, 1]) with init='constant', scale=0.5", {"init": "constant", "scale": 0.5}, 3),
        ("MLP(2, [4, 1]) with init='xavier', seed=3", {"init": "xavier", "seed": 3}, 4),
    )
    for description, kwargs, hidden in cases:

        def build(kwargs: dict = kwargs, hidden: int = hidden) -> MLP:
            return MLP(2, [hidden, 1], activation="tanh", **kwargs)

        expected = _reference_hidden_gradients(build(), _XOR_X, _XOR_Y)
        net = build()
        weights = np.array([[p.data for p in neuron.parameters()] for neuron in net.layers[0].neurons])
        for call in ("first", "second"):
            where = f"on the XOR data, {description}, {call} call on the same network"
            got = _call(fn, name, where, net, _XOR_X.copy(), _XOR_Y.copy())
            mistakes = [
                (
                    weights,
                    "these are the weights themselves (p.data); the gradients are p.grad, after loss.backward().",
                ),
            ]
            if call == "second":
                mistakes.insert(
                    0,
                    (
                        2 * expected,
                        "the second call returned twice the first: the gradients of both calls were added up. "
                        "Call net.zero_grad() before loss.backward().",
                    ),
                )
            fb = evaluate_answer("the hidden gradients", got, expected, tol=1e-9, mistakes=mistakes, exercise=name)
            if not fb.passed:
                hint = fb.hint
                if fb.mistake == "shape":
                    hint = (
                        f"one row per hidden unit (net.layers[0].neurons, {hidden} of them), each row "
                        "[dL/dw1, dL/dw2, dL/db] (neuron.parameters() lists the weights, then the bias)."
                    )
                return Feedback(name, False, fb.message, (where, *fb.details), hint, fb.mistake)
    return Feedback(name, True, "correct, on a constant and a random start, and again on a second call.")


def check_hidden_gradients(fn: Callable[..., object]) -> None:
    """Print :func:`evaluate_hidden_gradients`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("hidden_gradients", lambda: evaluate_hidden_gradients(fn))


def evaluate_layer_gradient_factor(fn: Callable[..., object]) -> Feedback:
    """Check ``layer_gradient_factor(sigma_w, fan_in, h)``.

    The right answer is :math:`\\sigma_w\\sqrt{n}\\sqrt{\\mathrm{mean}((1-h^2)^2)}`.
    """
    name = "layer_gradient_factor"
    rng = np.random.default_rng(6)
    for sigma_w, fan_in, spread in ((0.1, 64, 0.4), (1.25, 64, 3.0), (0.3, 16, 1.0)):
        h = np.tanh(rng.normal(scale=spread, size=(200, fan_in)))
        where = f"for sigma_w = {sigma_w}, fan_in = {fan_in}, tanh outputs h of shape {h.shape} (std {h.std():.2f})"
        got = _call(fn, name, where, sigma_w, fan_in, h.copy())
        d = 1.0 - h**2
        rms = float(np.sqrt(np.mean(d**2)))
        expected = sigma_w * np.sqrt(fan_in) * rms
        mistakes = [
            (
                sigma_w * np.sqrt(fan_in) * float(np.mean(d)),
                "you averaged phi'(z) = 1 - h^2; the gradient's size follows its root-mean-square, "
                "np.sqrt(np.mean((1 - h**2)**2)): squares first, then the mean, then the root.",
            ),
            (
                sigma_w * np.sqrt(fan_in) * float(np.sqrt(np.mean(h**2))),
                "that uses tanh's output h, phi(z); the backward pass multiplies by its *derivative*, "
                "phi'(z) = 1 - h^2 (the Jacobian is diag(phi'(z)), not diag(phi(z))).",
            ),
            (
                sigma_w**2 * np.sqrt(fan_in) * rms,
                "sigma_w is the standard deviation of the weights; sigma_w**2 is their variance.",
            ),
            (sigma_w * rms, "the factor sqrt(fan_in) is missing: each unit sums fan_in weighted terms."),
            (sigma_w * fan_in * rms, "the spread of a sum of n terms grows like sqrt(n), not n."),
            (
                sigma_w * np.sqrt(fan_in),
                "that is the factor while tanh is linear; multiply by how much gradient tanh lets through, "
                "the root-mean-square of 1 - h^2.",
            ),
        ]
        problem = _number_problem(got, "the factor")
        if problem:
            return Feedback(name, False, problem[0], (where,), problem[1], "not_a_number")
        fb = evaluate_answer("the factor", got, expected, tol=1e-9, mistakes=mistakes, exercise=name)
        if not fb.passed:
            return Feedback(name, False, fb.message, (where, *fb.details), fb.hint, fb.mistake)
    return Feedback(name, True, "correct for three layers: sigma_w * sqrt(n) * rms(1 - h^2).")


def check_layer_gradient_factor(fn: Callable[..., object]) -> None:
    """Print :func:`evaluate_layer_gradient_factor`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("layer_gradient_factor", lambda: evaluate_layer_gradient_factor(fn))


def evaluate_count_dead_units(fn: Callable[..., object]) -> Feedback:
    """Check ``count_dead_units(W, b, X)``: units whose pre-activation is <= 0 for every row of ``X``."""
    name = "count_dead_units"
    rng = np.random.default_rng(7)
    for units, n, n_in in ((8, 30, 2), (12, 50, 3)):
        W = rng.normal(size=(units, n_in))
        b = rng.normal(scale=0.5, size=units)
        b[rng.permutation(units)[: units // 3]] = -20.0  # these units are dead: far below zero everywhere
        X = rng.normal(size=(n, n_in))
        Z = X @ W.T + b
        where = f"for W of shape {W.shape}, b of shape {b.shape}, X of shape {X.shape}"
        try:
            got = _call(fn, name, where, W.copy(), b.copy(), X.copy(), handled=(ValueError,))
        except ValueError as err:
            return Feedback(
                name,
                False,
                f"raised ValueError {where}: {err}",
                hint="the pre-activations of all units on all inputs are X @ W.T + b, shape (inputs, units).",
                mistake="shape_error",
            )
        dead = int(np.sum(np.all(Z <= 0, axis=0)))
        if isinstance(got, np.ndarray) and got.size > 1:
            return Feedback(
                name,
                False,
                f"returned an array of shape {got.shape}, not a count.",
                (where,),
                "return how many units are dead, one integer: int(np.sum(dead_mask)).",
                "not_a_count",
            )
        problem = _number_problem(got, "the count")
        if problem:
            return Feedback(name, False, problem[0], (where,), problem[1], "not_a_number")
        mistakes = [
            (
                float(np.sum(np.any(Z <= 0, axis=0))),
                "you counted units that are off on *some* input; a dead unit is off on *every* input "
                "(np.all over the inputs, not np.any).",
            ),
            (float(units - dead), "that is the number of *live* units."),
            (
                float(np.sum(np.all(X @ W.T <= 0, axis=0))),
                "the bias is part of the pre-activation: z = X @ W.T + b.",
            ),
        ]
        fb = evaluate_answer("the number of dead units", got, float(dead), tol=1e-12, mistakes=mistakes, exercise=name)
        if not fb.passed:
            return Feedback(name, False, fb.message, (where, *fb.details), fb.hint, fb.mistake)
    return Feedback(name, True, f"correct on two layers (the last had {_fmt(dead)} dead units of {units}).")


def check_count_dead_units(fn: Callable[..., object]) -> None:
    """Print :func:`evaluate_count_dead_units`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("count_dead_units", lambda: evaluate_count_dead_units(fn))
