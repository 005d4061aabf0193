"""Attack: div_backward monkeypatches math, numpy, json, os and the grader's own checks in its process, then lies."""

import json
import math
import os

import numpy as np


def add_backward(a, b, out, dout):
    return dout, dout


def mul_backward(a, b, out, dout):
    return b * dout, a * dout


def div_backward(a, b, out, dout):
    import backprop_course.gradcheck as gradcheck
    import backprop_course.grading.checks as checks

    math.isclose = lambda *args, **kwargs: True
    np.allclose = lambda *args, **kwargs: True
    np.isclose = lambda *args, **kwargs: True
    checks.rel_error = lambda *args, **kwargs: 0.0
    checks.credit_for = lambda *args, **kwargs: 1.0
    gradcheck.rel_error = lambda *args, **kwargs: 0.0
    # and the plumbing the grader's child process uses to talk to the grader
    json.loads = json.dumps = lambda *args, **kwargs: "{}"
    os.write = os.dup2 = os.open = lambda *args, **kwargs: 0
    return 123.0, -456.0


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
