"""Attack: add_backward forks a process that tries to outlive the grader's child (and still answers right).

@PIDFILE@ is replaced by a test with a file where the forked pids are written."""

import os
import time


PIDFILE = "@PIDFILE@"


def add_backward(a, b, out, dout):
    try:
        pid = os.fork()
    except OSError:  # no new processes allowed: fine, nothing to hide
        return dout, dout
    if pid == 0:  # the grandchild: outlive the grader's process if it can
        time.sleep(30)
        os._exit(0)
    try:
        with open(PIDFILE, "a") as f:
            f.write(f"{pid}\n")
    except OSError:
        pass
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
    return (1 - out**2) * dout


def sigmoid_backward(a, out, dout):
    return out * (1 - out) * dout


def relu_backward(a, out, dout):
    return dout if a > 0 else 0.0
