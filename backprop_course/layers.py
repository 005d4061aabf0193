"""Backprop in matrix form: numpy forward/backward pairs, one per layer (CS231n style).

The scalar engine shows every multiplication; here a whole batch goes through a
layer at once. Rows are examples: a batch of ``N`` inputs with ``D`` features is an
``(N, D)`` array. Weight matrices have shape ``(out_features, in_features)``, as
:meth:`backprop_course.nn.MLP.weights` and PyTorch's ``Linear`` store them.

Every layer comes as a pair:

* ``*_forward(inputs...) -> (out, cache)``: computes the output and keeps what the
  backward pass will need (the forward pass *caches*, it does not differentiate);
* ``*_backward(dout, cache) -> grads``: given the upstream gradient
  :math:`\\partial L/\\partial\\,\\mathrm{out}` (same shape as ``out``), returns
  :math:`\\partial L/\\partial` each input, by the chain rule.

For one example, a linear layer :math:`z = W a + b` has :math:`\\nabla_W = \\nabla_z\\, a^T`,
:math:`\\nabla_b = \\nabla_z` and :math:`\\nabla_a = W^T \\nabla_z`. Stacking examples as rows,
:math:`Z = A W^T + b`, and summing the per-example gradients gives
:math:`\\nabla_W = \\nabla_Z^T A`, :math:`\\nabla_b = \\sum_n \\nabla_{Z_n}`,
:math:`\\nabla_A = \\nabla_Z W`.

The losses return the *mean* over the batch (as :mod:`backprop_course.losses` does) and
their backward takes the upstream gradient of that scalar, ``dloss`` (1.0 when the loss
is the final output). Check any backward with
:func:`backprop_course.gradcheck.check_layer_gradients`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "ACTIVATION_LAYERS",
    "binary_cross_entropy_backward",
    "binary_cross_entropy_forward",
    "hinge_backward",
    "hinge_forward",
    "linear_backward",
    "linear_forward",
    "mse_backward",
    "mse_forward",
    "relu_backward",
    "relu_forward",
    "sigmoid_backward",
    "sigmoid_forward",
    "softmax",
    "softmax_cross_entropy_backward",
    "softmax_cross_entropy_forward",
    "tanh_backward",
    "tanh_forward",
]

LinearCache = tuple[np.ndarray, np.ndarray, np.ndarray]


def _array(x: Any, fn: str, name: str) -> np.ndarray:
    """``x`` as a float64 array (no copy when it already is one)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{fn}: {name} must be an array of numbers, got {type(x).__name__}") from err
    return arr


def _check_dout(fn: str, dout: np.ndarray, expected: tuple[int, ...]) -> None:
    if dout.shape != expected:
        raise ValueError(
            f"{fn}: dout has shape {dout.shape} but the forward output had shape {expected}; "
            "the upstream gradient must have the shape of the layer's output"
        )


def _check_dloss(fn: str, dloss: Any) -> float:
    arr = np.asarray(dloss)
    if arr.shape != () or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise ValueError(
            f"{fn}: dloss is the upstream gradient of the scalar loss and must be one real number, "
            f"got {type(dloss).__name__} of shape {arr.shape}; pass 1.0 when the loss is the final output"
        )
    return float(arr)


# --------------------------------------------------------------------------- linear


def linear_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, LinearCache]:
    """Affine layer :math:`\\mathrm{out} = x W^T + b`, one example per row.

    Per example :math:`n`: :math:`\\mathrm{out}_n = W x_n + b`, i.e.
    :math:`\\mathrm{out}_{nm} = \\sum_d x_{nd} W_{md} + b_m`.

    Args:
        x: inputs, shape ``(N, D)``.
        W: weights, shape ``(M, D)`` (``(out_features, in_features)``).
        b: biases, shape ``(M,)``.

    Returns:
        ``out`` of shape ``(N, M)`` and ``cache = (x, W, b)`` for :func:`linear_backward`.

    Raises:
        ValueError: when the shapes do not fit together; the message names them.
    """
    fn = "linear_forward"
    x, W, b = _array(x, fn, "x"), _array(W, fn, "W"), _array(b, fn, "b")
    if x.ndim != 2:
        hint = f"; for one example use x[None, :] (shape (1, {x.shape[0]}))" if x.ndim == 1 else ""
        raise ValueError(f"{fn}: x must have shape (N, D), one example per row, got shape {x.shape}{hint}")
    if W.ndim != 2:
        raise ValueError(f"{fn}: W must have shape (M, D) = (out_features, in_features), got shape {W.shape}")
    if x.shape[1] != W.shape[1]:
        raise ValueError(
            f"{fn}: x has {x.shape[1]} columns but W expects {W.shape[1]} inputs (W has shape {W.shape}); "
            "W must have shape (out_features, in_features)"
        )
    if b.shape != (W.shape[0],):
        raise ValueError(f"{fn}: b has shape {b.shape} but W has shape {W.shape}, so b must have shape ({W.shape[0]},)")
    out = x @ W.T
    out += b  # in place: one pass over out instead of a second (N, M) array
    return out, (x, W, b)


def linear_backward(dout: np.ndarray, cache: LinearCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the affine layer: :math:`dx = dout\\,W`, :math:`dW = dout^T x`, :math:`db = \\sum_n dout_n`.

    Per example this is :math:`\\nabla_W = \\nabla_z\\, x^T` (an outer product); the batch
    sums the outer products, which is the single matrix product :math:`dout^T x`.

    Args:
        dout: upstream gradient, shape ``(N, M)``.
        cache: ``(x, W, b)`` from :func:`linear_forward`.

    Returns:
        ``(dx, dW, db)`` of shapes ``(N, D)``, ``(M, D)``, ``(M,)``.
    """
    x, W, _ = cache
    dout = _array(dout, "linear_backward", "dout")
    _check_dout("linear_backward", dout, (x.shape[0], W.shape[0]))
    dx = dout @ W
    dW = dout.T @ x
    db = dout.sum(axis=0)
    return dx, dW, db


# ---------------------------------------------------------------------- activations
# Elementwise: any shape works, and dout must have the shape of x.


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:math:`\\mathrm{relu}(x) = \\max(0, x)`, elementwise. Returns ``(out, cache=x)``."""
    x = _array(x, "relu_forward", "x")
    return np.maximum(x, 0.0), x


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """:math:`dx = dout \\odot [x > 0]`: the gradient passes where the input was positive.

    At the kink :math:`x = 0` we take the derivative 0, as the scalar engine does.
    """
    x = cache
    dout = _array(dout, "relu_backward", "dout")
    _check_dout("relu_backward", dout, x.shape)
    return dout * (x > 0.0)


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:math:`\\tanh(x)`, elementwise. Returns ``(out, cache=out)``: the backward needs only the output."""
    out = np.tanh(_array(x, "tanh_forward", "x"))
    return out, out


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """:math:`dx = dout \\odot (1 - \\mathrm{out}^2)`, since :math:`\\tanh' = 1 - \\tanh^2`."""
    out = cache
    dout = _array(dout, "tanh_backward", "dout")
    _check_dout("tanh_backward", dout, out.shape)
    dx = out * out
    np.subtract(1.0, dx, out=dx)
    dx *= dout
    return dx


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:math:`\\sigma(x) = 1/(1+e^{-x})`, elementwise, without overflow. Returns ``(out, cache=out)``.

    With :math:`e = e^{-|x|} \\in (0, 1]`: :math:`\\sigma(x) = 1/(1+e)` for :math:`x \\ge 0`
    and :math:`e/(1+e)` for :math:`x < 0`, so ``exp`` never sees a large positive number.
    """
    x = _array(x, "sigmoid_forward", "x")
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0.0, 1.0, e) / (1.0 + e)
    return out, out


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """:math:`dx = dout \\odot \\sigma(x)(1 - \\sigma(x))`, computed from the cached output."""
    out = cache
    dout = _array(dout, "sigmoid_backward", "dout")
    _check_dout("sigmoid_backward", dout, out.shape)
    return dout * out * (1.0 - out)


def _identity_forward(x: np.ndarray) -> tuple[np.ndarray, None]:
    return x, None


def _identity_backward(dout: np.ndarray, cache: None) -> np.ndarray:
    return dout


#: activation name (as in :data:`backprop_course.nn.ACTIVATIONS`) -> (forward, backward)
ACTIVATION_LAYERS: dict[str, tuple[Callable[[np.ndarray], tuple[np.ndarray, Any]], Callable[..., np.ndarray]]] = {
    "relu": (relu_forward, relu_backward),
    "tanh": (tanh_forward, tanh_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "linear": (_identity_forward, _identity_backward),
}


# --------------------------------------------------------------------------- losses


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise :math:`p_{nk} = e^{z_{nk}} / \\sum_j e^{z_{nj}}`, shifted by the row maximum so no ``exp`` overflows."""
    z = _array(logits, "softmax", "logits")
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _scores_1d(fn: str, scores: Any, name: str) -> np.ndarray:
    s = _array(scores, fn, name)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim != 1:
        raise ValueError(f"{fn}: {name} must have shape (N,) or (N, 1), one number per example, got shape {s.shape}")
    if s.shape[0] == 0:
        raise ValueError(f"{fn}: {name} is empty; the mean over zero examples is undefined")
    return s


def _labels_like(fn: str, y: Any, n: int, name: str = "y") -> np.ndarray:
    arr = _array(y, fn, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.shape != (n,):
        raise ValueError(f"{fn}: {name} has shape {arr.shape} but there are {n} examples; it must have shape ({n},)")
    return arr


def softmax_cross_entropy_forward(logits: np.ndarray, y: np.ndarray) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
    """Mean softmax cross-entropy (negative log-likelihood) of integer labels.

    Per example: :math:`\\ell_n = \\log\\sum_k e^{z_{nk}} - z_{n y_n}`; the loss is
    :math:`\\frac1N\\sum_n \\ell_n`. Computed with log-sum-exp shifted by :math:`m_n = \\max_k z_{nk}`,
    so ``exp`` only sees numbers :math:`\\le 0`.

    Args:
        logits: raw class scores, shape ``(N, C)``.
        y: class labels, ints in ``0..C-1``, shape ``(N,)``.

    Returns:
        ``(loss, cache)``; the cache holds the probabilities :math:`p = \\mathrm{softmax}(z)` and ``y``.
    """
    fn = "softmax_cross_entropy_forward"
    z = _array(logits, fn, "logits")
    if z.ndim != 2 or z.shape[0] == 0 or z.shape[1] == 0:
        raise ValueError(f"{fn}: logits must have shape (N, C) with N, C >= 1, got shape {z.shape}")
    n, c = z.shape
    labels = np.asarray(y)
    if labels.shape != (n,):
        raise ValueError(f"{fn}: y has shape {labels.shape} but logits has shape {z.shape}; y must have shape ({n},)")
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.issubdtype(labels.dtype, np.floating) or not np.all(labels == np.round(labels)):
            raise ValueError(f"{fn}: y must hold integer class labels 0..{c - 1}, got dtype {labels.dtype}")
        labels = labels.astype(np.int64)
    if labels.min() < 0 or labels.max() >= c:
        raise ValueError(
            f"{fn}: labels must be class indices in 0..{c - 1} (logits has {c} columns), "
            f"got values from {labels.min()} to {labels.max()}"
        )
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=1)
    rows = np.arange(n)
    loss = float(np.mean(np.log(sum_exp) - shifted[rows, labels]))
    p = exp / sum_exp[:, None]
    return loss, (p, labels)


def softmax_cross_entropy_backward(dloss: float, cache: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """:math:`\\partial L/\\partial z_n = \\mathrm{dloss} \\cdot (p_n - e_{y_n}) / N`.

    Args:
        dloss: upstream gradient of the (scalar) loss; 1.0 when the loss is the final output.
        cache: from :func:`softmax_cross_entropy_forward`.

    Returns:
        ``dlogits``, shape ``(N, C)``.
    """
    dloss = _check_dloss("softmax_cross_entropy_backward", dloss)
    p, labels = cache
    n = p.shape[0]
    dz = p.copy()
    dz[np.arange(n), labels] -= 1.0
    dz *= dloss / n
    return dz


def mse_forward(pred: np.ndarray, target: np.ndarray) -> tuple[float, tuple[np.ndarray, tuple[int, ...]]]:
    """Mean squared error :math:`\\frac1N\\sum_n (\\hat y_n - y_n)^2`.

    Args:
        pred: predictions, shape ``(N,)`` or ``(N, 1)``.
        target: targets, shape ``(N,)`` or ``(N, 1)``.

    Returns:
        ``(loss, cache)``; ``mse_backward`` returns a gradient of ``pred``'s shape.
    """
    fn = "mse_forward"
    shape = np.shape(pred)
    p = _scores_1d(fn, pred, "pred")
    t = _labels_like(fn, target, p.shape[0], "target")
    diff = p - t
    return float(np.mean(diff * diff)), (diff, shape)


def mse_backward(dloss: float, cache: tuple[np.ndarray, tuple[int, ...]]) -> np.ndarray:
    """:math:`\\partial L/\\partial \\hat y_n = \\mathrm{dloss} \\cdot 2(\\hat y_n - y_n)/N`, in ``pred``'s shape."""
    dloss = _check_dloss("mse_backward", dloss)
    diff, shape = cache
    return (diff * (2.0 * dloss / diff.shape[0])).reshape(shape)


def hinge_forward(scores: np.ndarray, y: np.ndarray) -> tuple[float, tuple[np.ndarray, np.ndarray, tuple[int, ...]]]:
    """Mean hinge (max-margin) loss :math:`\\frac1N\\sum_n \\max(0, 1 - y_n s_n)`, labels in {-1, +1}.

    Args:
        scores: raw scores, shape ``(N,)`` or ``(N, 1)``.
        y: labels -1 or +1, shape ``(N,)``.

    Returns:
        ``(loss, cache)``.
    """
    fn = "hinge_forward"
    shape = np.shape(scores)
    s = _scores_1d(fn, scores, "scores")
    labels = _labels_like(fn, y, s.shape[0])
    if not np.all((labels == 1.0) | (labels == -1.0)):
        bad = np.unique(labels[(labels != 1.0) & (labels != -1.0)])[:5].tolist()
        raise ValueError(f"{fn}: labels must be -1 or +1, got {bad}; convert 0/1 labels with 2 * y - 1")
    margins = 1.0 - labels * s
    return float(np.mean(np.maximum(margins, 0.0))), (margins, labels, shape)


def hinge_backward(dloss: float, cache: tuple[np.ndarray, np.ndarray, tuple[int, ...]]) -> np.ndarray:
    """:math:`\\partial L/\\partial s_n = -\\mathrm{dloss}\\, y_n [1 - y_n s_n > 0] / N` (0 exactly at the margin)."""
    dloss = _check_dloss("hinge_backward", dloss)
    margins, labels, shape = cache
    ds = np.where(margins > 0.0, labels * (-dloss / margins.shape[0]), 0.0)
    return ds.reshape(shape)


def binary_cross_entropy_forward(
    logits: np.ndarray, y: np.ndarray
) -> tuple[float, tuple[np.ndarray, np.ndarray, tuple[int, ...]]]:
    """Mean binary cross-entropy from logits, labels in {0, 1}.

    With :math:`p = \\sigma(z)`: :math:`-[y\\log p + (1-y)\\log(1-p)] = \\log(1+e^z) - yz`, and
    :math:`\\log(1+e^z) = \\max(z, 0) + \\log(1 + e^{-|z|})` never overflows nor takes ``log(0)``.

    Args:
        logits: raw scores, shape ``(N,)`` or ``(N, 1)``.
        y: labels 0 or 1, shape ``(N,)``.

    Returns:
        ``(loss, cache)``; the cache holds :math:`p` and ``y``.
    """
    fn = "binary_cross_entropy_forward"
    shape = np.shape(logits)
    z = _scores_1d(fn, logits, "logits")
    labels = _labels_like(fn, y, z.shape[0])
    if not np.all((labels == 0.0) | (labels == 1.0)):
        bad = np.unique(labels[(labels != 0.0) & (labels != 1.0)])[:5].tolist()
        raise ValueError(f"{fn}: labels must be 0 or 1, got {bad}")
    softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))
    p, _ = sigmoid_forward(z)
    return float(np.mean(softplus - labels * z)), (p, labels, shape)


def binary_cross_entropy_backward(dloss: float, cache: tuple[np.ndarray, np.ndarray, tuple[int, ...]]) -> np.ndarray:
    """:math:`\\partial L/\\partial z_n = \\mathrm{dloss}\\,(\\sigma(z_n) - y_n)/N`."""
    dloss = _check_dloss("binary_cross_entropy_backward", dloss)
    p, labels, shape = cache
    return ((p - labels) * (dloss / p.shape[0])).reshape(shape)
