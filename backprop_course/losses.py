"""Loss functions on :class:`~backprop_course.engine.Value` scores, written for numerical stability.

A loss turns the model's outputs and the true answers into one number that is
small when the model is right. Each function returns the *mean* over examples,
so the learning rate does not have to change with the data set's size.

| loss | outputs | labels | per example |
|---|---|---|---|
| :func:`mse` | any real | real | :math:`(\\hat y - y)^2` |
| :func:`hinge` | a score s | -1 or +1 | :math:`\\max(0, 1 - y s)` |
| :func:`binary_cross_entropy` | a logit z | 0 or 1 | :math:`-[y \\log\\sigma(z) + (1-y)\\log(1-\\sigma(z))]` |
| :func:`softmax_cross_entropy` | logits z_1..z_K | class 0..K-1 | :math:`\\log\\sum_k e^{z_k} - z_y` |
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .engine import Value

__all__ = ["binary_cross_entropy", "hinge", "l2_penalty", "mse", "softmax_cross_entropy"]

Scores = Sequence[Value] | Value
Labels = Sequence[float] | np.ndarray | float


def _pair(outputs: Scores, labels: Labels, name: str) -> tuple[list[Value], list[float]]:
    outs = [outputs] if isinstance(outputs, Value) else list(outputs)
    labs = np.atleast_1d(np.asarray(labels, dtype=np.float64)).tolist()
    if len(outs) != len(labs):
        raise ValueError(f"{name}: got {len(outs)} outputs but {len(labs)} labels; give one label per output")
    if not outs:
        raise ValueError(f"{name}: no outputs given; the mean of an empty list is undefined")
    for o in outs:
        if not isinstance(o, Value):
            raise TypeError(
                f"{name}: outputs must be Values (the model's outputs), got {type(o).__name__}. "
                "A model with several outputs returns a list per example: use softmax_cross_entropy."
            )
    return outs, labs


def _mean(terms: list[Value]) -> Value:
    return Value.sum(terms) * (1.0 / len(terms))


def mse(predictions: Scores, targets: Labels) -> Value:
    """Mean squared error :math:`\\frac1n\\sum_i (\\hat y_i - y_i)^2`.

    Gradient w.r.t. :math:`\\hat y_i`: :math:`\\frac{2}{n}(\\hat y_i - y_i)`.
    """
    preds, ys = _pair(predictions, targets, "mse")
    return _mean([(p - y) ** 2 for p, y in zip(preds, ys)])


def hinge(scores: Scores, labels: Labels) -> Value:
    """Max-margin (SVM) loss :math:`\\frac1n\\sum_i \\max(0, 1 - y_i s_i)`, labels in {-1, +1}.

    Zero once every example is on the right side with margin 1; the gradient
    w.r.t. :math:`s_i` is :math:`-y_i/n` for examples inside the margin, 0 otherwise.
    """
    outs, ys = _pair(scores, labels, "hinge")
    bad = sorted({y for y in ys if y not in (-1.0, 1.0)})
    if bad:
        raise ValueError(f"hinge needs labels -1 or +1, got {bad}; convert 0/1 labels with 2 * y - 1")
    return _mean([(1.0 - y * s).relu() for s, y in zip(outs, ys)])


def binary_cross_entropy(logits: Scores, labels: Labels) -> Value:
    """Binary cross-entropy from logits, labels in {0, 1}.

    With :math:`p = \\sigma(z)`, the loss :math:`-[y\\log p + (1-y)\\log(1-p)]`
    equals :math:`\\log(1 + e^{z}) - yz`. We compute :math:`\\log(1+e^{z})` as
    :math:`z + \\log(1+e^{-z})` for :math:`z \\ge 0`, so ``exp`` never sees a large
    positive number and the loss never takes ``log(0)``. Gradient w.r.t. z: :math:`(p - y)/n`.
    """
    outs, ys = _pair(logits, labels, "binary_cross_entropy")
    bad = sorted({y for y in ys if y not in (0.0, 1.0)})
    if bad:
        raise ValueError(f"binary_cross_entropy needs labels 0 or 1, got {bad}")
    terms = []
    for z, y in zip(outs, ys):
        softplus = z + (1.0 + (-z).exp()).log() if z.data >= 0.0 else (1.0 + z.exp()).log()
        terms.append(softplus - y * z)
    return _mean(terms)


def softmax_cross_entropy(logits: Sequence[Sequence[Value]], labels: Sequence[int] | np.ndarray) -> Value:
    """Softmax + negative log-likelihood, averaged over examples.

    For one example with logits :math:`z` and class :math:`y`:
    :math:`\\ell = \\log\\sum_k e^{z_k} - z_y`, and :math:`\\partial\\ell/\\partial z = p - e_y`
    with :math:`p = \\mathrm{softmax}(z)`. Subtracting :math:`m = \\max_k z_k` (a constant)
    before ``exp`` keeps every exponent :math:`\\le 0`; it cancels out of :math:`\\ell`.

    Args:
        logits: one list of K Values per example.
        labels: the class of each example, an int in ``0..K-1``.
    """
    rows = [list(r) for r in logits]
    ys = np.atleast_1d(np.asarray(labels)).tolist()
    if len(rows) != len(ys):
        raise ValueError(f"softmax_cross_entropy: got {len(rows)} examples of logits but {len(ys)} labels")
    if not rows:
        raise ValueError("softmax_cross_entropy: no examples given")
    terms = []
    for z, y in zip(rows, ys):
        k = len(z)
        if isinstance(y, bool) or not float(y).is_integer() or not 0 <= y < k:
            raise ValueError(f"softmax_cross_entropy: label {y!r} is not a class index in 0..{k - 1}")
        m = max(zi.data for zi in z)
        log_sum_exp = m + Value.sum([(zi - m).exp() for zi in z]).log()
        terms.append(log_sum_exp - z[int(y)])
    return _mean(terms)


def l2_penalty(parameters: Iterable[Value], alpha: float) -> Value:
    """Weight decay :math:`\\alpha \\sum_j w_j^2`; its gradient :math:`2\\alpha w_j` pulls weights to 0."""
    ps = list(parameters)
    if not ps:
        raise ValueError("l2_penalty: no parameters given")
    return alpha * Value.sum([p * p for p in ps])
