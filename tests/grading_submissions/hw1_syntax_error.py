"""Attack: exp_backward has a syntax error; the rest must still be graded."""


def add_backward(a, b, out, dout):
    return dout, dout


def mul_backward(a, b, out, dout):
    return b * dout, a * dout


def div_backward(a, b, out, dout):
    return dout / b, -a / b**2 * dout


def pow_backward(a, n, out, dout):
    return n * a ** (n - 1) * dout


def exp_backward(a, out, dout):
    return out * dout)


def log_backward(a, out, dout):
    return dout / a


def tanh_backward(a, out, dout):
    return (1 - out**2) * dout


def sigmoid_backward(a, out, dout):
    return out * (1 - out) * dout


def relu_backward(a, out, dout):
    return dout if a > 0 else 0.0
