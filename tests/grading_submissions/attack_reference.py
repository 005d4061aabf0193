"""Attack (unearned marks): call the library's own reference answers instead of writing the rules."""

import math

from backprop_course.engine import BACKWARD_RULES, Value
from backprop_course.gradcheck import numerical_derivative


def add_backward(a, b, out, dout):
    x, y = Value(a), Value(b)
    o = x + y
    o.grad = dout
    BACKWARD_RULES["+"](o)
    return x.grad, y.grad


def mul_backward(a, b, out, dout):
    x, y = Value(a), Value(b)
    (x * y).backward()
    return x.grad * dout, y.grad * dout


def div_backward(a, b, out, dout):
    x, y = Value(a), Value(b)
    o = x / y
    o.grad = dout
    Value._div_backward(o)
    return x.grad, y.grad


def exp_backward(a, out, dout):
    return numerical_derivative(math.exp, a) * dout


def log_backward(a, out, dout):
    rules = dict(BACKWARD_RULES)
    x = Value(a)
    o = x.log()
    o.grad = dout
    rules["log"](o)
    return x.grad


def tanh_backward(a, out, dout):
    x = Value(a)
    x.tanh().backward()
    return x.grad * dout
