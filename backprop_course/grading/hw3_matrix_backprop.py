"""hw3 matrix backprop: the judge.

Conventions (as :mod:`backprop_course.layers`): rows are examples, ``W`` has shape
``(out, in)``, ``out = x @ W.T + b``. The student writes

* ``linear_backward(dout, cache) -> (dx, dW, db)`` with ``cache = (x, W, b)``;
* ``relu_backward(dout, cache)`` with ``cache = x``;
* ``tanh_backward(dout, cache)`` and ``sigmoid_backward(dout, cache)`` with
  ``cache`` the forward *output*;
* ``softmax_cross_entropy_backward(dloss, cache) -> dlogits`` with
  ``cache = (probs, y)``: ``dloss * (probs - onehot(y)) / N``;
* ``two_layer_backward(X, y, W1, b1, W2, b2) -> (loss, grads)`` for
  linear -> relu -> linear -> softmax cross-entropy (mean over examples), ``grads``
  a dict with keys ``"W1", "b1", "W2", "b2"``.

CS231n-style checks: each layer gets a random upstream gradient ``dout``, and the
expected answer is the numerical gradient of :math:`\\sum_{ij} f(\\ldots)_{ij}\\,
\\mathrm{dout}_{ij}` computed from the grader's *own* forward functions below
(never the library's, never the student's). The numerical gradient is taken by the
complex step,

.. math::

    \\frac{\\partial f}{\\partial x_i} \\approx \\frac{\\operatorname{Im} f(x + i h e_i)}{h},
    \\qquad h = 10^{-20},

a finite difference in the imaginary direction: no subtraction of nearly equal
numbers, so every entry, however small, is exact to float64 round-off. (Central
differences would leave an absolute error near 1e-11, i.e. a relative error above
the 1e-7 full-credit threshold on entries smaller than about 1e-4.) The forward
functions are written so that they are analytic in each input (``relu`` as
``x * (x.real > 0)``), and inputs are drawn away from ReLU's kink.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .checks import (
    AnswerError,
    Check,
    JudgeContext,
    credit_for,
    expect_array,
    expect_items,
    expect_number,
    explain_error,
    fmt,
    match_hint,
    nonfinite_note,
    rel_error,
    verdict,
)
from .specs import Assignment, Prepared, TestSpec

__all__ = ["ASSIGNMENT", "FORWARD", "complex_step_gradient"]

COMPLEX_STEP = 1e-20


# ------------------------------------------------ the grader's own forward functions


def linear_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x @ W.T + b``: x (N, D), W (M, D), b (M,) -> (N, M)."""
    return x @ W.T + b


def relu_forward(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)``, written as a product so the complex step can differentiate it."""
    return x * (x.real > 0)


def tanh_forward(x: np.ndarray) -> np.ndarray:
    return np.tanh(x)


def sigmoid_forward(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> Any:
    """Mean over the N rows of :math:`\\log\\sum_k e^{z_k} - z_y` (max subtracted first)."""
    z = logits - logits.real.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(z).sum(axis=1))
    return np.mean(log_sum - z[np.arange(len(y)), y])


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def two_layer_loss(X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> Any:
    """linear -> relu -> linear -> softmax cross-entropy."""
    return softmax_cross_entropy(linear_forward(relu_forward(linear_forward(X, W1, b1)), W2, b2), y)


FORWARD: dict[str, Callable[..., Any]] = {
    "linear": linear_forward,
    "relu": relu_forward,
    "tanh": tanh_forward,
    "sigmoid": sigmoid_forward,
    "softmax_cross_entropy": softmax_cross_entropy,
    "two_layer": two_layer_loss,
}


def complex_step_gradient(f: Callable[..., Any], args: Sequence[np.ndarray], which: int) -> np.ndarray:
    """:math:`\\partial f / \\partial \\text{args[which]}` of a real-valued ``f``, by the complex step."""
    base = [np.asarray(a, dtype=np.complex128) if np.issubdtype(np.asarray(a).dtype, np.floating) else a for a in args]
    target = np.asarray(args[which], dtype=np.float64)
    grad = np.empty(target.shape)
    for idx in np.ndindex(target.shape):
        shifted = list(base)
        bumped = base[which].copy()
        bumped[idx] += 1j * COMPLEX_STEP
        shifted[which] = bumped
        grad[idx] = np.imag(f(*shifted)) / COMPLEX_STEP
    return grad


def _layer_gradient(
    forward: Callable[..., Any], args: Sequence[np.ndarray], which: int, dout: np.ndarray
) -> np.ndarray:
    """Gradient of ``sum(forward(*args) * dout)`` w.r.t. ``args[which]``."""
    return complex_step_gradient(lambda *a: np.sum(forward(*a) * dout), args, which)


# ------------------------------------------------------------------- data exchange


def encode_array(a: np.ndarray) -> dict[str, Any]:
    """An array as plain data for the child (exact: JSON floats round-trip)."""
    a = np.asarray(a)
    return {"__ndarray__": a.tolist(), "shape": list(a.shape), "dtype": str(a.dtype)}


def _tuple(*items: Any) -> dict[str, Any]:
    return {"__tuple__": list(items)}


def _away_from_zero(
    rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0, gap: float = 0.05
) -> np.ndarray:
    x = rng.normal(0.0, scale, shape)
    return np.where(np.abs(x) < gap, np.sign(x + 1e-300) * gap + x, x)


def _shapes(rng: np.random.Generator, n: int) -> list[tuple[int, int, int]]:
    """``n`` (N, D, M) triples with three different sizes each, so a transposed answer cannot fit."""
    out = []
    for _ in range(n):
        N, D, M = (int(v) for v in rng.choice(np.arange(2, 8), size=3, replace=False))
        out.append((N, D, M))
    return out


def _call_error(label: str, answer: dict[str, Any], ctx: JudgeContext, count: int) -> list[Check]:
    text = explain_error(answer["error"], ctx)
    return [Check(label, 0.0, f"{label}: {text}") for _ in range(count)]


def _array_check(
    label: str,
    name: str,
    raw: Any,
    expected: np.ndarray,
    shape_hint: str = "",
    mistakes: Sequence[tuple[str, np.ndarray | Callable[[], np.ndarray]]] = (),
) -> Check:
    try:
        got = expect_array(raw, expected.shape, name, shape_hint)
    except AnswerError as err:
        return Check(f"{label} {name}", 0.0, f"{label}: {err}")
    error = rel_error(got, expected)
    credit = credit_for(error)
    if credit >= 1.0:
        return Check(f"{label} {name}", credit)
    with np.errstate(invalid="ignore", divide="ignore"):
        elementwise = np.abs(got - expected) / np.maximum(1e-8, np.abs(got) + np.abs(expected))
    elementwise = np.where(np.isfinite(elementwise), elementwise, np.inf)
    worst = np.unravel_index(int(np.argmax(elementwise)), expected.shape) if expected.size else ()
    where = f"[{', '.join(str(int(i)) for i in worst)}]" if expected.ndim else ""
    message = (
        f"{label}: {name} is {verdict(error)}; worst entry {name}{where}: expected {fmt(float(expected[worst]))}, "
        f"got {fmt(float(got[worst]))}.{nonfinite_note(got)}"
    )
    hint = match_hint(got, expected, mistakes)
    if hint:
        message += f" Hint: {hint}."
    return Check(f"{label} {name}", credit, message)


# --------------------------------------------------------------------- the tests


def _prepare_linear(rng: np.random.Generator) -> Prepared:
    cases = []
    for N, D, M in _shapes(rng, 3):
        x, W, b = rng.normal(size=(N, D)), rng.normal(size=(M, D)), rng.normal(size=M)
        dout = rng.normal(size=(N, M))
        expected = [_layer_gradient(linear_forward, (x, W, b), i, dout) for i in range(3)]
        cases.append((x, W, b, dout, expected))
    calls = [
        [encode_array(dout), _tuple(encode_array(x), encode_array(W), encode_array(b))] for x, W, b, dout, _ in cases
    ]
    return Prepared(
        "call", {"function": "linear_backward", "calls": calls}, lambda r, ctx: _judge_linear(cases, r, ctx)
    )


def _judge_linear(cases: list[Any], result: dict[str, Any], ctx: JudgeContext) -> list[Check]:
    checks: list[Check] = []
    answers = result.get("answers", [])
    for k, (x, W, b, dout, (dx, dW, db)) in enumerate(cases):
        label = f"case {k + 1} (x {x.shape}, W {W.shape})"
        answer = answers[k] if k < len(answers) else {"error": {"type": "GraderTimeout"}}
        if "error" in answer:
            checks += _call_error(label, answer, ctx, 3)
            continue
        try:
            items = expect_items(answer["value"], ("dx", "dW", "db"))
        except AnswerError as err:
            checks += [Check(label, 0.0, f"{label}: linear_backward {err}")] * 3
            continue
        N = dout.shape[0]
        checks.append(
            _array_check(
                label, "dx", items[0], dx, "dx has x's shape (N, in): dx = dout @ W, with W of shape (out, in)"
            )
        )
        checks.append(
            _array_check(
                label,
                "dW",
                items[1],
                dW,
                f"dW has W's shape (out, in) = {W.shape}: dW = dout.T @ x, not x.T @ dout",
                [("linear_backward sums over the examples: do not divide by N (the loss takes the mean)", dW / N)],
            )
        )
        checks.append(
            _array_check(
                label,
                "db",
                items[2],
                db,
                f"db has b's shape (out,) = {b.shape}: sum dout over the examples, dout.sum(axis=0)",
                [("db sums dout over the examples (axis=0); you took the mean", dout.mean(axis=0))],
            )
        )
    return checks


def _prepare_elementwise(
    name: str, forward: Callable[[np.ndarray], np.ndarray], cache_is_output: bool
) -> Callable[[np.random.Generator], Prepared]:
    def prepare(rng: np.random.Generator) -> Prepared:
        cases = []
        for N, D, _ in _shapes(rng, 3):
            x = _away_from_zero(rng, (N, D), scale=1.5)
            dout = rng.normal(size=(N, D))
            cache = forward(x) if cache_is_output else x
            cases.append((x, cache, dout, _layer_gradient(forward, (x,), 0, dout)))
        calls = [[encode_array(dout), encode_array(cache)] for _, cache, dout, _ in cases]
        return Prepared(
            "call",
            {"function": f"{name}_backward", "calls": calls},
            lambda r, ctx: _judge_elementwise(name, cases, r, ctx),
        )

    return prepare


def _elementwise_mistakes(name: str, x: np.ndarray, cache: np.ndarray, dout: np.ndarray) -> list[tuple[str, Any]]:
    if name == "relu":
        return [
            ("multiply the mask (x > 0) by dout", lambda: (x > 0).astype(float)),
            ("the gradient is dout where x > 0 and 0 elsewhere, not dout * x", lambda: dout * x),
            (
                "the mask comes from the forward input x (the cache), not from dout: dx = dout * (x > 0)",
                lambda: dout * (dout > 0),
            ),
            ("the mask is inverted: the gradient flows where x > 0", lambda: dout * (x < 0)),
        ]
    if name == "tanh":
        return [
            (
                "cache is the forward *output* tanh(x): use 1 - cache**2, do not apply tanh again",
                lambda: (1 - np.tanh(cache) ** 2) * dout,
            ),
            ("square the output: (1 - out**2) * dout", lambda: (1 - cache) * dout),
            ("multiply by dout (chain rule)", lambda: 1 - cache**2),
        ]
    return [
        (
            "cache is the forward *output* sigmoid(x): use cache * (1 - cache), do not apply sigmoid again",
            lambda: sigmoid_forward(cache) * (1 - sigmoid_forward(cache)) * dout,
        ),
        ("multiply by dout (chain rule)", lambda: cache * (1 - cache)),
        ("the derivative is y * (1 - y) with y = cache: the factor y is missing", lambda: dout * (1 - cache)),
        ("the derivative is y * (1 - y) with y = cache: the factor (1 - y) is missing", lambda: dout * cache),
    ]


def _judge_elementwise(name: str, cases: list[Any], result: dict[str, Any], ctx: JudgeContext) -> list[Check]:
    checks: list[Check] = []
    answers = result.get("answers", [])
    for k, (x, cache, dout, dx) in enumerate(cases):
        label = f"case {k + 1} (x {x.shape})"
        answer = answers[k] if k < len(answers) else {"error": {"type": "GraderTimeout"}}
        if "error" in answer:
            checks += _call_error(label, answer, ctx, 1)
            continue
        checks.append(
            _array_check(
                label,
                "dx",
                answer["value"],
                dx,
                "dx has the shape of dout",
                _elementwise_mistakes(name, x, cache, dout),
            )
        )
    return checks


def _prepare_softmax(rng: np.random.Generator) -> Prepared:
    cases = []
    for N, C, _ in _shapes(rng, 3):
        logits = rng.normal(0.0, 2.0, (N, C))
        y = rng.integers(0, C, N)
        dloss = float(rng.uniform(0.5, 2.0) * rng.choice([-1.0, 1.0]))
        probs = softmax(logits)
        expected = dloss * complex_step_gradient(lambda z, y=y: softmax_cross_entropy(z, y), (logits, y), 0)
        cases.append((probs, y, dloss, expected))
    calls = [[dloss, _tuple(encode_array(p), encode_array(y))] for p, y, dloss, _ in cases]
    return Prepared(
        "call",
        {"function": "softmax_cross_entropy_backward", "calls": calls},
        lambda r, ctx: _judge_softmax(cases, r, ctx),
    )


def _judge_softmax(cases: list[Any], result: dict[str, Any], ctx: JudgeContext) -> list[Check]:
    checks: list[Check] = []
    answers = result.get("answers", [])
    for k, (probs, y, dloss, expected) in enumerate(cases):
        N, C = probs.shape
        label = f"case {k + 1} (probs {probs.shape}, dloss={fmt(dloss)})"
        answer = answers[k] if k < len(answers) else {"error": {"type": "GraderTimeout"}}
        if "error" in answer:
            checks += _call_error(label, answer, ctx, 1)
            continue
        onehot = np.eye(C)[y]
        mistakes = [
            ("the loss is a mean over the N examples: divide by N", dloss * (probs - onehot)),
            ("multiply by the upstream gradient dloss", (probs - onehot) / N),
            ("subtract the one-hot labels: dlogits = dloss * (probs - onehot(y)) / N", dloss * probs / N),
            ("sign: dlogits = dloss * (probs - onehot(y)) / N", dloss * (onehot - probs) / N),
        ]
        checks.append(
            _array_check(label, "dlogits", answer["value"], expected, "dlogits has the shape of probs (N, C)", mistakes)
        )
    return checks


def _prepare_two_layer(rng: np.random.Generator) -> Prepared:
    cases = []
    for _ in range(2):
        N, D, H = (int(v) for v in rng.choice(np.arange(3, 9), size=3, replace=False))
        C = int(rng.integers(2, 5))
        X = rng.normal(size=(N, D))
        y = rng.integers(0, C, N)
        W1, b1 = rng.normal(0, 0.7, (H, D)), rng.normal(0, 0.3, H)
        for _ in range(100):  # keep every hidden pre-activation away from ReLU's kink
            pre = X @ W1.T + b1
            if np.min(np.abs(pre)) > 0.05:
                break
            b1 = b1 + rng.normal(0, 0.1, H)
        W2, b2 = rng.normal(0, 0.7, (C, H)), rng.normal(0, 0.3, C)
        args = (X, y, W1, b1, W2, b2)
        loss = float(two_layer_loss(*args))
        grads = {
            n: complex_step_gradient(two_layer_loss, args, i) for n, i in (("W1", 2), ("b1", 3), ("W2", 4), ("b2", 5))
        }
        cases.append((args, loss, grads))
    calls = [[encode_array(a) for a in args] for args, _, _ in cases]
    return Prepared(
        "backprop_course.grading.hw3_probes:probe_two_layer",
        {"calls": calls},
        lambda r, ctx: _judge_two_layer(cases, r, ctx),
    )


def _judge_two_layer(cases: list[Any], result: dict[str, Any], ctx: JudgeContext) -> list[Check]:
    """Grade the chaining: each case by the better of the answer as written and the answer with right layers.

    A bug in ``linear_backward``, ``relu_backward`` or ``softmax_cross_entropy_backward`` is charged in
    that function's own test; here it only earns a note, not a second loss of points.
    """
    answers = result.get("answers", [])
    as_written = _judge_two_layer_answers(cases, answers, ctx)
    substituted = _judge_two_layer_answers(cases, [a.get("substituted", a) for a in answers], ctx)
    checks = []
    blamed = False
    for mine, fixed in zip(as_written, substituted):
        if fixed.credit > mine.credit:
            blamed = True
            checks.append(Check(fixed.label, fixed.credit, ""))
        else:
            checks.append(mine)
    if blamed:
        note = (
            "two_layer_backward gives wrong numbers with your layer functions but right ones with correct "
            "linear_backward / relu_backward / softmax_cross_entropy_backward: the bug is in one of those (see its "
            "test) and is not charged again here."
        )
        # weight 0: a note shown to the student, no effect on the score
        checks.append(Check("note: your layer functions", 0.0, note, weight=0.0))
    return checks


def _judge_two_layer_answers(cases: list[Any], answers: list[Any], ctx: JudgeContext) -> list[Check]:
    checks: list[Check] = []
    for k, (args, loss, grads) in enumerate(cases):
        X, _, W1, _, W2, _ = args
        label = f"case {k + 1} (X {X.shape}, W1 {W1.shape}, W2 {W2.shape})"
        answer = answers[k] if k < len(answers) else {"error": {"type": "GraderTimeout"}}
        if "error" in answer:
            checks += _call_error(label, answer, ctx, 5)
            continue
        try:
            got_loss, got_grads = expect_items(answer["value"], ("loss", "grads"))
        except AnswerError as err:
            checks += [Check(label, 0.0, f"{label}: two_layer_backward {err}")] * 5
            continue
        try:
            value = expect_number(got_loss, "loss")
            error = rel_error(value, loss)
            message = (
                ""
                if credit_for(error) >= 1
                else f"{label}: loss = {fmt(value)}, expected {fmt(loss)}: {verdict(error)}"
            )
            checks.append(Check(f"{label} loss", credit_for(error), message))
        except AnswerError as e:
            checks.append(Check(f"{label} loss", 0.0, f"{label}: {e}"))
        table = got_grads.get("__dict__") if isinstance(got_grads, dict) else None
        for name, expected in grads.items():
            if table is None:
                checks.append(
                    Check(f"{label} {name}", 0.0, f"{label}: grads should be a dict with keys W1, b1, W2, b2")
                )
            elif name not in table:
                checks.append(
                    Check(f"{label} {name}", 0.0, f"{label}: grads has no key {name!r} (keys: {sorted(table)})")
                )
            else:
                checks.append(
                    _array_check(label, name, table[name], expected, f"{name} has the shape of the parameter {name}")
                )
    return checks


ASSIGNMENT = Assignment(
    name="hw3",
    title="hw3 matrix backprop",
    notebook="hw3_matrix_backprop.ipynb",
    tests=(
        TestSpec(
            "linear_backward", "linear_backward: dx, dW, db of x @ W.T + b", ("linear_backward",), 3.0, _prepare_linear
        ),
        TestSpec(
            "relu_backward",
            "relu_backward (cache = x)",
            ("relu_backward",),
            1.0,
            _prepare_elementwise("relu", relu_forward, False),
        ),
        TestSpec(
            "tanh_backward",
            "tanh_backward (cache = the output)",
            ("tanh_backward",),
            1.0,
            _prepare_elementwise("tanh", tanh_forward, True),
        ),
        TestSpec(
            "sigmoid_backward",
            "sigmoid_backward (cache = the output)",
            ("sigmoid_backward",),
            1.0,
            _prepare_elementwise("sigmoid", sigmoid_forward, True),
        ),
        TestSpec(
            "softmax_cross_entropy_backward",
            "softmax_cross_entropy_backward: dloss * (probs - onehot) / N",
            ("softmax_cross_entropy_backward",),
            2.0,
            _prepare_softmax,
        ),
        TestSpec(
            "two_layer_backward",
            "two_layer_backward: loss and gradients of linear-relu-linear-softmax",
            ("two_layer_backward",),
            4.0,
            _prepare_two_layer,
            time_limit=10.0,
        ),
    ),
)
