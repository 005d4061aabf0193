"""Attack: add_backward raises, mul_backward is still the stub, div_backward is missing."""


def add_backward(a, b, out, dout):
    raise ValueError("I give up")


def mul_backward(a, b, out, dout):
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def pow_backward(a, n, out, dout):
    return n * a ** (n - 1) * dout


def exp_backward(a, out, dout):
    return out * dout


def log_backward(a, out, dout):
    return dout / a


def tanh_backward(a, out, dout):
    return (1 - out**2) * dout


def sigmoid_backward(a, out, dout):
    return out * (1 - out) * dout


def relu_backward(a, out, dout):
    return dout if a > 0 else 0.0
