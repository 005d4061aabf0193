"""Self-checks of hw3, matrix backprop: linear, activation and softmax cross-entropy backward, a two-layer net.

Each check draws seeded random arrays, calls the student's function, makes sure it did
not write into the cached arrays and compares every returned gradient with the right
one, recognising common mistakes (a missing or extra 1/N, a transposed product, a sum
over the wrong axis, a forgotten relu mask...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import cast

import numpy as np

from .feedback import TOL, Answer, Feedback, Mistakes, _call, evaluate_answer


def _array_feedback(
    exercise: str,
    outputs: Sequence[tuple[str, object, np.ndarray, Mistakes]],
    passed_message: str,
    where: str,
) -> Feedback:
    """Compare several returned arrays; the first wrong one gives the feedback."""
    for name, got, expected, mistakes in outputs:
        fb = evaluate_answer(name, got, expected, tol=TOL, mistakes=mistakes, exercise=exercise)
        if not fb.passed:
            message = fb.message if fb.message != "not quite." else f"wrong {name}."
            return Feedback(exercise, False, message, (where, *fb.details), fb.hint, fb.mistake)
    return Feedback(exercise, True, passed_message)


def _unchanged(arrays: Iterable[tuple[str, np.ndarray, np.ndarray]], exercise: str) -> Feedback | None:
    for name, before, after in arrays:
        if not np.array_equal(before, after):
            return Feedback(
                exercise,
                False,
                f"your function changed {name} in place.",
                hint="the cache is shared with the forward pass: compute new arrays (e.g. dx = dout * mask), "
                "do not write into the cached ones.",
                mistake="in_place",
            )
    return None


def _tuple_problem(got: object, names: Sequence[str], exercise: str, where: str) -> Feedback | None:
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        what = "None" if got is None else type(got).__name__
        if isinstance(got, (tuple, list)):
            what += f" of length {len(got)}"
        hint = "did your function forget to `return`?" if got is None else f"return {', '.join(names)}."
        return Feedback(
            exercise, False, f"returned {what}; expected ({', '.join(names)}).", (where,), hint, "structure"
        )
    return None


def evaluate_linear_backward(fn: Callable[..., object], seed: int = 0) -> Feedback:
    """Check ``linear_backward(dout, cache) -> (dx, dW, db)`` for ``out = x @ W.T + b``."""
    exercise = "linear_backward"
    rng = np.random.default_rng(seed)
    N, D, M = 4, 5, 3
    x, W, b = rng.normal(size=(N, D)), rng.normal(size=(M, D)), rng.normal(size=M)
    dout = rng.normal(size=(N, M))
    copies = [("x", x.copy()), ("W", W.copy()), ("b", b.copy()), ("dout", dout.copy())]
    where = f"x {x.shape}, W {W.shape}, b {b.shape}, dout {dout.shape} (N={N} examples, {D} inputs, {M} outputs)"
    got = _call(fn, exercise, f"with {where}", dout, (x, W, b))
    fb = _tuple_problem(got, ("dx", "dW", "db"), exercise, where)
    if fb is not None:
        return fb
    changed = _unchanged(
        ((n, c, a) for (n, c), a in zip(copies, (x, W, b, dout))),
        exercise,
    )
    if changed is not None:
        return changed
    dx, dW, db = cast(Sequence[object], got)
    return _array_feedback(
        exercise,
        [
            (
                "dx",
                dx,
                dout @ W,
                [(dout @ W / N, "dx is not averaged: the 1/N belongs to the loss, whose backward already applied it.")],
            ),
            (
                "dW",
                dW,
                dout.T @ x,
                [
                    (x.T @ dout, "dW must have W's shape (out, in): dW = dout.T @ x, not x.T @ dout."),
                    (dout.T @ x / N, "do not divide by N here: the loss's backward already did."),
                ],
            ),
            (
                "db",
                db,
                dout.sum(axis=0),
                [
                    (dout, "b is added to every example, so db sums dout over the batch: dout.sum(axis=0)."),
                    (dout.mean(axis=0), "db is the sum over the batch, not the mean: dout.sum(axis=0)."),
                    (dout.sum(axis=1), "sum over the examples (axis 0), not over the outputs (axis 1)."),
                ],
            ),
        ],
        f"dx, dW and db are right (x {x.shape}, W {W.shape}).",
        where,
    )


def check_linear_backward(fn: Callable[..., object], seed: int = 0) -> None:
    """Print :func:`evaluate_linear_backward`'s feedback."""
    print(evaluate_linear_backward(fn, seed))


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def evaluate_activation_backward(activation: str, fn: Callable[..., object], seed: int = 0) -> Feedback:
    """Check ``relu_backward``/``tanh_backward``/``sigmoid_backward(dout, cache) -> dx``.

    ``relu``'s cache is its input x; ``tanh``'s and ``sigmoid``'s cache is the forward
    *output* y (the derivative is cheapest from it: 1 - y² and y(1 - y)).
    """
    if activation not in ("relu", "tanh", "sigmoid"):
        raise ValueError(f"activation must be 'relu', 'tanh' or 'sigmoid', got {activation!r}")
    exercise = f"{activation}_backward"
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, 5))
    x[np.abs(x) < 0.05] = 0.3  # keep away from relu's kink
    dout = rng.normal(size=(4, 5))
    mistakes: list[tuple[Answer, str]]
    if activation == "relu":
        cache, cache_name = x, "x (the input)"
        expected = dout * (x > 0)
        mistakes = [
            (dout.copy(), "relu lets the gradient through only where x > 0: multiply dout by the mask (x > 0)."),
            (dout * (x < 0), "the mask is inverted: the gradient flows where x > 0."),
            ((x > 0).astype(np.float64), "you returned the mask itself: multiply it by dout (the chain rule)."),
            (dout * np.maximum(x, 0), "multiply dout by the 0/1 mask (x > 0), not by relu(x)."),
            (
                dout * (dout > 0),
                "the mask comes from the cached forward input x, not from dout: dx = dout * (x > 0).",
            ),
        ]
    elif activation == "tanh":
        y = np.tanh(x)
        cache, cache_name = y, "y = tanh(x) (the forward output)"
        expected = dout * (1 - y**2)
        mistakes = [
            (
                dout * (1 - np.tanh(y) ** 2),
                "the cache holds the output y = tanh(x), not the input: the derivative is 1 - y², "
                "do not apply tanh to it again.",
            ),
            (1 - y**2, "you returned the local derivative: multiply it by dout (the chain rule)."),
            (dout * (1 - y), "the derivative is 1 - y²: the square is missing."),
        ]
    else:
        y = _np_sigmoid(x)
        cache, cache_name = y, "y = sigmoid(x) (the forward output)"
        expected = dout * y * (1 - y)
        s = _np_sigmoid(y)
        mistakes = [
            (
                dout * s * (1 - s),
                "the cache holds the output y = sigmoid(x), not the input: the derivative is y(1 - y), "
                "do not apply the sigmoid to it again.",
            ),
            (y * (1 - y), "you returned the local derivative: multiply it by dout (the chain rule)."),
            (dout * y, "the derivative is y(1 - y): the factor (1 - y) is missing."),
            (dout * (1 - y), "the derivative is y(1 - y): the factor y is missing."),
        ]
    before = [("the cache", cache.copy()), ("dout", dout.copy())]
    where = f"cache = {cache_name}, shape {cache.shape}; dout of the same shape"
    got = _call(fn, exercise, f"with {where}", dout, cache)
    changed = _unchanged(((n, c, a) for (n, c), a in zip(before, (cache, dout))), exercise)
    if changed is not None:
        return changed
    return _array_feedback(exercise, [("dx", got, expected, mistakes)], f"dx is right ({cache.size} entries).", where)


def check_activation_backward(activation: str, fn: Callable[..., object], seed: int = 0) -> None:
    """Print :func:`evaluate_activation_backward`'s feedback."""
    print(evaluate_activation_backward(activation, fn, seed))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def evaluate_softmax_cross_entropy_backward(fn: Callable[..., object], seed: int = 0) -> Feedback:
    """Check ``softmax_cross_entropy_backward(dloss, (probs, y)) -> dlogits = dloss·(p - onehot(y))/N``."""
    exercise = "softmax_cross_entropy_backward"
    rng = np.random.default_rng(seed)
    N, C = 5, 3
    probs = _softmax(rng.normal(size=(N, C)))
    y = rng.integers(0, C, size=N)
    dloss = 0.7
    onehot = np.eye(C)[y]
    expected = dloss * (probs - onehot) / N
    before = [("probs", probs.copy()), ("y", y.copy())]
    where = f"probs {probs.shape} (N={N} examples, C={C} classes), y = {y.tolist()}, dloss = {dloss}"
    got = _call(fn, exercise, f"with {where}", dloss, (probs, y))
    changed = _unchanged(((n, c, a) for (n, c), a in zip(before, (probs, y))), exercise)
    if changed is not None:
        return changed
    mistakes = [
        (dloss * (probs - onehot), "the loss is the mean over the N examples: divide by N."),
        ((probs - onehot) / N, "multiply by dloss, the upstream gradient (the chain rule)."),
        (probs - onehot, "divide by N (the loss is a mean) and multiply by dloss (the chain rule)."),
        (dloss * probs / N, "subtract 1 at each example's true class: dlogits = p - onehot(y)."),
        (dloss * (probs - onehot) / C, "divide by N, the number of examples, not by C, the number of classes."),
        (dloss * (probs - 1) / N, "subtract 1 only at the true class of each example: p - onehot(y), not p - 1."),
    ]
    return _array_feedback(exercise, [("dlogits", got, expected, mistakes)], "dlogits is right.", where)


def check_softmax_cross_entropy_backward(fn: Callable[..., object], seed: int = 0) -> None:
    """Print :func:`evaluate_softmax_cross_entropy_backward`'s feedback."""
    print(evaluate_softmax_cross_entropy_backward(fn, seed))


def _two_layer_reference(
    X: np.ndarray,
    y: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
    *,
    mask: str = "z1",
    mean: bool = True,
) -> tuple[float, dict[str, np.ndarray]]:
    """linear -> relu -> linear -> softmax-CE and its gradients (``mask``/``mean`` make known mistakes)."""
    N = len(X)
    z1 = X @ W1.T + b1
    h = np.maximum(z1, 0.0)
    logits = h @ W2.T + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    scale = 1.0 / N if mean else 1.0
    loss = -float(log_p[np.arange(N), y].sum()) * scale
    dlogits = (np.exp(log_p) - np.eye(W2.shape[0])[y]) * scale
    dW2, db2 = dlogits.T @ h, dlogits.sum(axis=0)
    dh = dlogits @ W2
    dz1 = dh * (z1 > 0) if mask == "z1" else (dh * (dh > 0) if mask == "grad" else dh)
    dW1, db1 = dz1.T @ X, dz1.sum(axis=0)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def evaluate_two_layer_backward(fn: Callable[..., object], seed: int = 0) -> Feedback:
    """Check ``two_layer_backward(X, y, W1, b1, W2, b2) -> (loss, grads)`` (linear-relu-linear-softmax CE)."""
    exercise = "two_layer_backward"
    rng = np.random.default_rng(seed)
    N, D, H, C = 6, 4, 5, 3
    X = rng.normal(size=(N, D))
    y = rng.integers(0, C, size=N)
    W1, b1 = rng.normal(size=(H, D)), rng.normal(size=H) * 0.1
    W2, b2 = rng.normal(size=(C, H)), rng.normal(size=C) * 0.1
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    before = [(k, v.copy()) for k, v in params.items()] + [("X", X.copy())]
    where = f"X {X.shape}, W1 {W1.shape}, W2 {W2.shape} (N={N}, D={D}, H={H}, C={C})"
    got = _call(fn, exercise, f"with {where}", X, y, W1, b1, W2, b2)
    fb = _tuple_problem(got, ("loss", "grads"), exercise, where)
    if fb is not None:
        return fb
    changed = _unchanged(((n, c, a) for (n, c), a in zip(before, [W1, b1, W2, b2, X])), exercise)
    if changed is not None:
        return changed
    loss, grads = cast(Sequence[object], got)
    ref_loss, ref = _two_layer_reference(X, y, W1, b1, W2, b2)
    loss_fb = evaluate_answer(
        "loss",
        loss,
        ref_loss,
        tol=TOL,
        mistakes=[(ref_loss * N, "the loss is the mean over the N examples, not the sum.")],
        exercise=exercise,
    )
    if not loss_fb.passed:
        return Feedback(exercise, False, "wrong loss.", (where, *loss_fb.details), loss_fb.hint, loss_fb.mistake)
    if not isinstance(grads, Mapping):
        return Feedback(
            exercise,
            False,
            f"grads is a {type(grads).__name__}, expected a dict.",
            hint='return grads as {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}.',
            mistake="structure",
        )
    missing = [k for k in params if k not in grads]
    if missing:
        return Feedback(
            exercise,
            False,
            f"grads has no key(s) {missing}.",
            hint='return grads as {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}.',
            mistake="structure",
        )
    _, no_mask = _two_layer_reference(X, y, W1, b1, W2, b2, mask="none")
    _, grad_mask = _two_layer_reference(X, y, W1, b1, W2, b2, mask="grad")
    _, summed = _two_layer_reference(X, y, W1, b1, W2, b2, mean=False)
    relu_hint = "backpropagate through the relu: multiply dh by the mask (z1 > 0) of the forward pre-activation."
    outputs = []
    for k in ("W2", "b2", "W1", "b1"):
        mistakes: list[tuple[Answer, str]] = [
            (summed[k], "the loss is a mean: dlogits = (p - onehot(y)) / N, the 1/N is missing."),
        ]
        if k in ("W1", "b1"):
            mistakes += [
                (no_mask[k], relu_hint),
                (grad_mask[k], "the relu mask comes from the forward pre-activation (z1 > 0), not from the gradient."),
            ]
        outputs.append((f"grads['{k}']", grads[k], ref[k], mistakes))
    fb = _array_feedback(exercise, outputs, f"the loss ({ref_loss:.6f}) and all four gradients are right.", where)
    if not fb.passed:  # a bug in a layer function is the root cause: say so before any other hint
        culprit = _layer_culprit(fn, (X, y, W1, b1, W2, b2), ref)
        if culprit:
            return Feedback(
                exercise,
                False,
                fb.message,
                fb.details,
                f"with correct layer functions your two_layer_backward gives the right gradients: the bug is in "
                f"your {culprit} (run its self-check above), not in the chaining.",
                "layer_function",
            )
    return fb


def _layer_culprit(fn: Callable[..., object], args: tuple[np.ndarray, ...], ref: Mapping[str, np.ndarray]) -> str:
    """Which of the learner's layer functions makes ``fn`` wrong: rerun it with right ones in its globals."""
    from .. import layers

    names = ("linear_backward", "relu_backward", "softmax_cross_entropy_backward")
    scope = getattr(fn, "__globals__", None)
    if not isinstance(scope, dict) or not all(n in scope for n in names):
        return ""
    saved = {n: scope[n] for n in names}
    try:
        scope.update({n: getattr(layers, n) for n in names})
        try:
            got = fn(*args)
        except Exception:
            return ""
    finally:
        scope.update(saved)
    if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], Mapping)):
        return ""
    grads = got[1]
    if not all(
        k in grads and np.shape(grads[k]) == np.shape(v) and np.allclose(grads[k], v, rtol=1e-7, atol=1e-12)
        for k, v in ref.items()
    ):
        return ""
    wrong = [n for n in names if saved[n] is not getattr(layers, n) and _layer_wrong(n, saved[n])]
    return " / ".join(wrong) or "layer functions"


def _layer_wrong(name: str, fn: Callable[..., object]) -> bool:
    try:
        if name == "linear_backward":
            return not evaluate_linear_backward(fn).passed
        if name == "relu_backward":
            return not evaluate_activation_backward("relu", fn).passed
        return not evaluate_softmax_cross_entropy_backward(fn).passed
    except Exception:
        return True


def check_two_layer_backward(fn: Callable[..., object], seed: int = 0) -> None:
    """Print :func:`evaluate_two_layer_backward`'s feedback."""
    print(evaluate_two_layer_backward(fn, seed))
