"""Attack: tanh_backward allocates memory until it runs out."""


def add_backward(a, b, out, dout):
    return dout, dout


def mul_backward(a, b, out, dout):
    return b * dout, a * dout


def div_backward(a, b, out, dout):
    return dout / b, -a / b**2 * dout


def pow_backward(a, n, out, dout):
    return n * a ** (n - 1) * dout


def exp_backward(a, out, dout):
    return out * dout


def log_backward(a, out, dout):
    return dout / a


def tanh_backward(a, out, dout):
    hoard = []
    while True:
        hoard.append(bytes(50 * 2**20))


def sigmoid_backward(a, out, dout):
    return out * (1 - out) * dout


def relu_backward(a, out, dout):
    return dout if a > 0 else 0.0
