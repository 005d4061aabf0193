"""Attack and mistakes on arrays: an ndarray subclass that claims to equal everything (with wrong data),
a transposed shape, NaN, a list instead of an array, a missing /N, a missing dict key."""

import numpy as np


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

    def __sub__(self, other):
        return np.zeros(np.shape(other))

    def allclose(self, *args, **kwargs):
        return True


def linear_backward(dout, cache):
    x, W, b = cache
    dx = np.zeros_like(x).view(LyingArray)
    return dx, dout.T @ x, dout.sum(axis=0)


def relu_backward(dout, cache):
    return (dout * (cache > 0)).T


def tanh_backward(dout, cache):
    return dout * np.nan


def sigmoid_backward(dout, cache):
    return (dout * cache * (1.0 - cache)).tolist()


def softmax_cross_entropy_backward(dloss, cache):
    probs, y = cache
    d = probs.copy()
    d[np.arange(len(y)), y] -= 1.0
    return dloss * d


def two_layer_backward(X, y, W1, b1, W2, b2):
    z1 = X @ W1.T + b1
    h = np.maximum(z1, 0.0)
    scores = h @ W2.T + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = X.shape[0]
    loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1.0
    dscores /= n
    dW2 = dscores.T @ h
    dh = dscores @ W2
    dz1 = dh * (z1 > 0)
    return loss, {"W1": dz1.T @ X, "b1": dz1.sum(axis=0), "W2": dW2}
