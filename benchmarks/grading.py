"""The grader on a class: 200 generated hw1 submissions, graded in one batch. One run prints everything.

    python benchmarks/grading.py              # --n 200 --jobs (CPUs) --isolation-sample 20

Isolation costs one Python process per submission at least, so the reference is the
floor of per-process isolation measured in the same run: the wall time of a bare
``python -c "import numpy"`` (median of 10 starts).

0. The cost of one bubblewrap child (when bubblewrap runs here): the same
   ``import numpy`` inside the sandbox the grader builds (own namespaces, read-only
   Python, tmpfs), as a ratio to the floor. Target: at most 3x.

1. The batch: ``--n`` submissions (half of them import numpy, as students do), mixed:
   50% correct, 30% partly wrong (one to three common mistakes), 20% broken (syntax
   errors, exceptions, stubs, missing functions, wrong types, notebooks with magics,
   and 1% infinite loops), graded with the default parallelism (one worker per CPU)
   and the default limits. Printed: wall time of the batch, time per submission and
   its ratio to the floor, the statuses and scores (which must match what each
   generated submission deserves). Targets: under 3x the floor per submission, the
   whole batch under 60 s.
2. Why one child process per submission rather than one per test: a sample of correct
   submissions graded both ways, time per submission as a ratio to the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from backprop_course.grading import GradingOptions, SandboxOptions, find_submissions, get_assignment, grade_batch
from backprop_course.grading.grader import default_jobs
from backprop_course.grading.sandbox import Isolation, _bwrap_args_fd, resolve_isolation

CORRECT_MATH = {
    "add": "def add_backward(a, b, out, dout):\n    return dout, dout\n",
    "mul": "def mul_backward(a, b, out, dout):\n    return b * dout, a * dout\n",
    "div": "def div_backward(a, b, out, dout):\n    return dout / b, -a / b**2 * dout\n",
    "pow": "def pow_backward(a, n, out, dout):\n    return n * a ** (n - 1) * dout\n",
    "exp": "def exp_backward(a, out, dout):\n    return out * dout\n",
    "log": "def log_backward(a, out, dout):\n    return dout / a\n",
    "tanh": "def tanh_backward(a, out, dout):\n    return (1 - out**2) * dout\n",
    "sigmoid": "def sigmoid_backward(a, out, dout):\n    return out * (1 - out) * dout\n",
    "relu": "def relu_backward(a, out, dout):\n    return dout if a > 0 else 0.0\n",
}
CORRECT_NUMPY = {
    **CORRECT_MATH,
    "exp": "def exp_backward(a, out, dout):\n    return float(np.exp(a) * dout)\n",
    "log": "def log_backward(a, out, dout):\n    return float(np.reciprocal(a) * dout)\n",
    "tanh": "def tanh_backward(a, out, dout):\n    return float((1 - np.tanh(a) ** 2) * dout)\n",
}
MISTAKES = {
    "mul": "def mul_backward(a, b, out, dout):\n    return b, a\n",
    "div": "def div_backward(a, b, out, dout):\n    return dout / b, a / b**2 * dout\n",
    "pow": "def pow_backward(a, n, out, dout):\n    return n * a**n * dout\n",
    "exp": "def exp_backward(a, out, dout):\n    return a * dout\n",
    "log": "def log_backward(a, out, dout):\n    return out * dout\n",
    "tanh": "def tanh_backward(a, out, dout):\n    return (1 - a**2) * dout\n",
    "sigmoid": "def sigmoid_backward(a, out, dout):\n    return a * (1 - a) * dout\n",
    "relu": "def relu_backward(a, out, dout):\n    return dout\n",
}
BROKEN = ("syntax", "exception", "stub", "missing", "wrong_type", "notebook", "infinite_loop")


def _source(functions: dict[str, str], uses_numpy: bool) -> str:
    header = "import numpy as np\n\n\n" if uses_numpy else "import math\n\n\n"
    return header + "\n\n".join(functions.values())


def _notebook(functions: dict[str, str]) -> str:
    sources = ["%matplotlib inline\nimport numpy as np", *functions.values(), "print(add_backward(1, 2, 3, 4))"]
    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": src} for src in sources
    ]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def generate(folder: Path, n: int, seed: int = 0) -> dict[str, float]:
    """Write ``n`` submissions to ``folder``; return the score each one deserves."""
    rng = np.random.default_rng(seed)
    deserved: dict[str, float] = {}
    n_loops = max(1, n // 100)
    for i in range(n):
        name = f"student{i:03d}"
        uses_numpy = bool(rng.random() < 0.5)
        functions = dict(CORRECT_NUMPY if uses_numpy else CORRECT_MATH)
        roll = rng.random()
        suffix = ".py"
        if i < n_loops:
            functions["exp"] = "def exp_backward(a, out, dout):\n    while True:\n        pass\n"
            score = 8.0
        elif roll < 0.5:
            score = 9.0
        elif roll < 0.8:
            wrong = rng.choice(sorted(MISTAKES), size=int(rng.integers(1, 4)), replace=False)
            for op in wrong:
                functions[str(op)] = MISTAKES[str(op)]
            # div: da stays right (half the checks); relu: right at the 3 points where a > 0
            score = 9.0 - sum({"div": 0.5, "relu": 0.4}.get(str(op), 1.0) for op in wrong)
        else:
            kind = BROKEN[int(rng.integers(len(BROKEN) - 1))]  # infinite loops are placed above
            op = str(rng.choice(sorted(CORRECT_MATH)))
            score = 8.0
            if kind == "syntax":
                functions[op] = functions[op].replace("return", "return (", 1)
            elif kind == "exception":
                functions[op] = functions[op].split("\n")[0] + "\n    raise ValueError('oops')\n"
            elif kind == "stub":
                functions[op] = functions[op].split("\n")[0] + "\n    raise NotImplementedError\n"
            elif kind == "missing":
                del functions[op]
            elif kind == "wrong_type":
                functions[op] = functions[op].split("\n")[0] + "\n    return 'a string'\n"
            else:  # a notebook with magics and a top-level print, otherwise correct
                suffix, score = ".ipynb", 9.0
        text = _notebook(functions) if suffix == ".ipynb" else _source(functions, uses_numpy)
        (folder / f"{name}{suffix}").write_text(text)
        deserved[name] = score
    return deserved


def floor_seconds(repeats: int = 10) -> float:
    """Median wall time of ``python -c "import numpy"``: the floor of per-process isolation."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sandbox_child_seconds(isolation: Isolation, repeats: int = 10) -> float:
    """Median wall time of ``import numpy`` in a child started the way the grader starts one."""
    code = f"import sys; sys.path[:] = {list(isolation.sys_path)!r}; import numpy"
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        args_fd = _bwrap_args_fd(isolation.argv)  # as the grader does: bwrap's options through a descriptor
        command = [isolation.argv[0], "--args", str(args_fd), sys.executable, "-I", "-S", "-c", code]
        subprocess.run(command, check=True, env={"PATH": "/usr/bin:/bin"}, pass_fds=(args_fd,))
        os.close(args_fd)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions in the batch (default 200)")
    parser.add_argument("--jobs", type=int, default=None, help="parallel workers (default: one per CPU)")
    parser.add_argument("--isolation-sample", type=int, default=20, help="submissions for part 2 (0 skips it)")
    parser.add_argument(
        "--sandbox", choices=("auto", "bubblewrap", "process"), default="auto", help="isolation engine (default auto)"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)  # "submissions run as root" when Python is under /root
    jobs = args.jobs or default_jobs()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, {jobs} worker(s)")
    floor = floor_seconds()
    print(f"floor: python -c 'import numpy' takes {floor * 1000:.0f} ms (median of 10)")
    sandbox = SandboxOptions(engine=args.sandbox)
    isolation = resolve_isolation(sandbox)
    print(isolation.summary())
    if isolation.engine == "bubblewrap":
        child = sandbox_child_seconds(isolation)
        print(
            f"\n0. one bubblewrap child importing numpy: {child * 1000:.0f} ms = {child / floor:.2f} x floor   "
            f"(target <= 3x: {'PASS' if child / floor <= 3 else 'FAIL'})"
        )

    spec = get_assignment("hw1")
    with tempfile.TemporaryDirectory(prefix="bpc-bench-") as tmp:
        folder = Path(tmp)
        deserved = generate(folder, args.n)
        entries = find_submissions(folder, spec)
        options = GradingOptions(seed=1, jobs=jobs, sandbox=sandbox)
        start = time.perf_counter()
        results = grade_batch(spec, entries, options=options)
        batch = time.perf_counter() - start
        per = batch / len(results)
        wrong = [
            (r.student, r.score, deserved[r.student]) for r in results if abs(r.score - deserved[r.student]) > 1e-9
        ]
        print(f"\n1. batch of {len(results)} hw1 submissions, {jobs} worker(s), default limits, {isolation.engine}")
        print(f"   whole batch: {batch:.1f} s   (target < 60 s: {'PASS' if batch < 60 else 'FAIL'})")
        print(
            f"   per submission: {per * 1000:.0f} ms = {per / floor:.2f} x floor   "
            f"(target < 3x: {'PASS' if per / floor < 3 else 'FAIL'})"
        )
        statuses = Counter(r.status for r in results)
        print("   statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
        print(f"   scores as deserved: {len(results) - len(wrong)} of {len(results)}")
        for student, got, want in wrong[:5]:
            print(f"     {student}: got {got}, deserved {want}")

        if args.isolation_sample:
            sample = [e for e in entries if deserved[e.student] == 9.0][: args.isolation_sample]
            print(f"\n2. {len(sample)} correct submissions, {jobs} worker(s): one child per submission vs per test")
            for mode in ("submission", "test"):
                opts = GradingOptions(seed=1, jobs=jobs, sandbox=SandboxOptions(isolation=mode, engine=args.sandbox))
                start = time.perf_counter()
                done = grade_batch(spec, sample, options=opts)
                per_mode = (time.perf_counter() - start) / len(done)
                assert all(r.score == 9.0 for r in done)
                print(
                    f"   one child per {mode:<10}: {per_mode * 1000:5.0f} ms per submission"
                    f" = {per_mode / floor:.2f} x floor"
                )
    return 1 if wrong else 0


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
