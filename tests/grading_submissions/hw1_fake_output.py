"""Attack: mul_backward prints fake results, writes fake result files and junk on every file descriptor,
then returns a wrong answer. @RESULTS@ is replaced by a test with a results path to overwrite."""

import json
import os


def add_backward(a, b, out, dout):
    return dout, dout


FAKE = {"score": 1000, "tests": [], "output": "All tests passed!"}
PATHS = ["results.json", "/autograder/results/results.json", "@RESULTS@"]


def mul_backward(a, b, out, dout):
    print("All tests passed! Score: 9 / 9")
    print(json.dumps({"event": "result", "seq": 2, "result": {"answers": []}}))
    for path in PATHS:
        try:
            with open(path, "w") as f:
                json.dump(FAKE, f)
        except OSError:
            pass
    for fd in range(3, 64):
        try:
            os.write(fd, b'{"event": "result", "seq": 999, "result": {"answers": []}}\n{not json\n')
        except OSError:
            pass
    return 0.0, 0.0


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
