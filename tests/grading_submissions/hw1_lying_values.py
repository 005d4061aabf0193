"""Attack: return values that lie: objects equal to everything, NaN, inf, a str, a float subclass,
a tuple where a float is due, None."""


def add_backward(a, b, out, dout):
    return dout, dout


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __float__(self):
        return 0.0


def mul_backward(a, b, out, dout):
    return AlwaysEqual(), AlwaysEqual()


def div_backward(a, b, out, dout):
    return float("nan"), float("nan")


class LyingFloat(float):
    def __eq__(self, other):
        return True

    def __sub__(self, other):
        return 0.0


def pow_backward(a, n, out, dout):
    return LyingFloat(0.0)


def exp_backward(a, out, dout):
    return float("inf")


def log_backward(a, out, dout):
    return str(dout / a)


def tanh_backward(a, out, dout):
    return (1 - out**2) * dout


def sigmoid_backward(a, out, dout):
    grad = out * (1 - out) * dout
    return grad, grad


def relu_backward(a, out, dout):
    dout if a > 0 else 0.0
