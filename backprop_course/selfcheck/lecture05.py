"""Self-checks of lecture 05, XOR and nonlinearity: compose two linear maps, and an XOR network built by hand.

- :func:`check_compose_linear`: ``compose_linear(W1, b1, W2, b2)`` returns the one linear map
  :math:`(W, \\mathbf b) = (W_2 W_1,\\; W_2\\mathbf b_1 + \\mathbf b_2)` equal to the two layers.
- :func:`check_xor_relu_weights`: ``xor_relu_weights()`` returns ``(W1, b1, W2, b2)`` of a
  ReLU network :math:`z = W_2\\,\\mathrm{relu}(W_1\\mathbf x + \\mathbf b_1) + b_2` whose output is
  exactly XOR (0 or 1) at the four corners.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np

from .feedback import Feedback, _as_array, _call, _fmt, evaluate_answer, run_exercise_check

XOR_POINTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_LABELS = np.array([0.0, 1.0, 1.0, 0.0])


def _tuple_of(got: object, n: int, names: str, exercise: str, where: str) -> Feedback | None:
    if not isinstance(got, (tuple, list)) or len(got) != n:
        what = "None" if got is None else type(got).__name__
        if isinstance(got, (tuple, list)):
            what += f" of length {len(got)}"
        hint = "did your function forget to `return`?" if got is None else f"return {names} (a tuple)."
        return Feedback(exercise, False, f"returned {what}; expected ({names}).", (where,), hint, "structure")
    return None


def evaluate_compose_linear(fn: Callable[..., object]) -> Feedback:
    """Check ``compose_linear(W1, b1, W2, b2) -> (W, b)`` on a 2 -> 2 -> 2 and a 3 -> 4 -> 2 network."""
    name = "compose_linear"
    rng = np.random.default_rng(5)
    for n_in, n_hidden, n_out in ((2, 2, 2), (3, 4, 2)):
        W1, b1 = rng.normal(size=(n_hidden, n_in)), rng.normal(size=n_hidden)
        W2, b2 = rng.normal(size=(n_out, n_hidden)), rng.normal(size=n_out)
        where = f"for a {n_in} -> {n_hidden} -> {n_out} network (W1 {W1.shape}, W2 {W2.shape})"
        try:
            got = _call(fn, name, where, W1.copy(), b1.copy(), W2.copy(), b2.copy(), handled=(ValueError,))
        except ValueError as err:
            return Feedback(
                name,
                False,
                f"raised ValueError {where}: {err}",
                hint="a shape mismatch in a matrix product: the map applied first, W1, stands on the *right*: "
                "W = W2 @ W1 (shape (n_out, n_in)).",
                mistake="shape_error",
            )
        problem = _tuple_of(got, 2, "W, b", name, where)
        if problem is not None:
            return problem
        W_got, b_got = cast(tuple[object, object], got)
        W, b = W2 @ W1, W2 @ b1 + b2
        w_mistakes = []
        if n_in == n_out == n_hidden:
            w_mistakes.append(
                (W1 @ W2, "the order is reversed: W1 acts first, so it stands on the right, W = W2 @ W1.")
            )
        fb = evaluate_answer("W", W_got, W, tol=1e-9, mistakes=w_mistakes, exercise=name)
        if not fb.passed:
            return Feedback(name, False, fb.message, (where, *fb.details), fb.hint, fb.mistake)
        b_mistakes = [
            (b2, "the hidden biases pass through the second layer too: b = W2 @ b1 + b2."),
            (W2 @ b1, "the output layer's own bias is missing: b = W2 @ b1 + b2."),
        ]
        if n_hidden == n_out:
            b_mistakes.append(
                (b1 + b2, "b1 lives in the hidden layer: it reaches the output only through W2, b = W2 @ b1 + b2.")
            )
        arr, _ = _as_array(b_got, "b")
        if arr is not None and arr.shape == (n_out, 1):
            return Feedback(
                name,
                False,
                f"b has shape {arr.shape}, expected ({n_out},).",
                (where,),
                "keep b one-dimensional, like b1 and b2 (W2 @ b1 + b2 is already).",
                "shape",
            )
        fb = evaluate_answer("b", b_got, b, tol=1e-9, mistakes=b_mistakes, exercise=name)
        if not fb.passed:
            return Feedback(name, False, fb.message, (where, *fb.details), fb.hint, fb.mistake)
    return Feedback(name, True, "correct: W = W2 @ W1 and b = W2 @ b1 + b2, for two networks.")


def check_compose_linear(fn: Callable[..., object]) -> None:
    """Print :func:`evaluate_compose_linear`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("compose_linear", lambda: evaluate_compose_linear(fn))


def relu_network(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, X: np.ndarray) -> np.ndarray:
    """:math:`z = W_2\\,\\mathrm{relu}(W_1\\mathbf x + \\mathbf b_1) + b_2` for each row of ``X``, shape ``(len(X),)``.

    (Used by the check, and by tests.)
    """
    H = np.maximum(0.0, X @ W1.T + b1)
    return (H @ W2.T + b2).reshape(len(X))


def evaluate_xor_relu_weights(fn: Callable[[], object]) -> Feedback:
    """Check that ``xor_relu_weights()`` gives a ReLU network that outputs exactly XOR at the four corners."""
    name = "xor_relu_weights"
    where = "the network z = W2 @ relu(W1 @ x + b1) + b2"
    got = _call(fn, name, "when called")
    problem = _tuple_of(got, 4, "W1, b1, W2, b2", name, where)
    if problem is not None:
        return problem
    arrays = []
    for label, value in zip(("W1", "b1", "W2", "b2"), got):  # type: ignore[call-overload]
        arr, bad = _as_array(value, label)
        if bad or arr is None:
            p = bad or ("", "")
            return Feedback(name, False, p[0], (where,), p[1], "not_an_array")
        arrays.append(arr)
    W1, b1, W2, b2 = arrays
    if W1.ndim != 2 or W1.shape[1] != 2:
        hint = "W1 has one row per hidden unit and one column per input: shape (hidden, 2)."
        if W1.ndim == 2 and W1.shape[0] == 2:
            hint += " Yours looks transposed."
        return Feedback(name, False, f"W1 has shape {W1.shape}, expected (hidden, 2).", (where,), hint, "shape")
    hidden = W1.shape[0]
    if b1.shape != (hidden,):
        return Feedback(
            name,
            False,
            f"b1 has shape {b1.shape}, expected ({hidden},).",
            (where,),
            "one bias per hidden unit: b1 has as many entries as W1 has rows.",
            "shape",
        )
    if W2.shape not in ((1, hidden), (hidden,)):
        hint = f"W2 has one weight per hidden unit: shape (1, {hidden})."
        if W2.shape == (hidden, 1):
            hint += " Yours looks transposed."
        return Feedback(name, False, f"W2 has shape {W2.shape}, expected (1, {hidden}).", (where,), hint, "shape")
    if b2.size != 1:
        return Feedback(
            name, False, f"b2 has shape {b2.shape}, expected (1,).", (where,), "one output, so one bias.", "shape"
        )
    W2, b2 = W2.reshape(1, hidden), b2.reshape(1)
    z = relu_network(W1, b1, W2, b2, XOR_POINTS)
    if np.all(np.abs(z - XOR_LABELS) <= 1e-9):
        return Feedback(name, True, f"your {hidden}-hidden-unit ReLU network computes XOR exactly at all four corners.")
    table = tuple(
        f"x = ({int(x[0])}, {int(x[1])}): expected {int(t)}, got {_fmt(v)}"
        + ("" if abs(v - t) <= 1e-9 else "   <- wrong")
        for x, t, v in zip(XOR_POINTS, XOR_LABELS, z)
    )
    pre = XOR_POINTS @ W1.T + b1
    bends = [bool(np.any(pre[:, j] > 0) and np.any(pre[:, j] <= 0)) for j in range(hidden)]
    if not any(bends):
        hint = (
            "on these four points your network is linear: every hidden unit is on at all four corners or off at all "
            "four, so relu never bends. A unit must switch off at some corners: choose its bias so that "
            "W1 @ x + b1 is negative there (e.g. x1 + x2 - 1 is > 0 only at (1, 1))."
        )
        mistake = "no_bend"
    elif np.allclose(z, [0.0, 1.0, 1.0, 2.0], atol=1e-9):
        hint = (
            "(1, 1) gives 2: the count x1 + x2. Add a hidden unit that fires only when both inputs are on, "
            "relu(x1 + x2 - 1), and subtract it twice."
        )
        mistake = "sum"
    else:
        hint = (
            "write out each hidden unit's value at the four corners; one idea: h1 = relu(x1 + x2) counts the "
            "inputs, h2 = relu(x1 + x2 - 1) is 1 only at (1, 1), and XOR = h1 - 2 h2."
        )
        mistake = None
    return Feedback(name, False, "the output is not XOR.", (where, *table), hint, mistake)


def check_xor_relu_weights(fn: Callable[[], object]) -> None:
    """Print :func:`evaluate_xor_relu_weights`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("xor_relu_weights", lambda: evaluate_xor_relu_weights(fn))
