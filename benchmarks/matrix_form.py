"""Backprop in matrix form: how fast, and how cost grows with size. One run prints everything.

    python -m pip install -e ".[bench]"      # micrograd, for part 1 (optional)
    python benchmarks/matrix_form.py          # add --quick for a smaller grid

1. micrograd's demo step (100 moons points, MLP 2-16-16-1 ReLU, hinge + 1e-4 L2,
   full batch, lr = 1 - 0.9 k / 100), from the same initial weights, three ways:
   the vectorised MatrixMLP, our scalar engine (nn.MLP + optim.train) and micrograd
   from PyPI (its own MLP, our weights copied into its Values). Printed: time per
   step and the ratios, and the losses of the first steps, which must agree.
   Target: vectorised >= 1000x faster than micrograd.
2. How cost grows: time per training step (forward, hinge + L2, backward, SGD update,
   through matrix_mlp.train) of MLP 2-W-W-1 on N moons points, against the time numpy
   takes for the bare matrix products the step needs (the same shapes and layouts:
   3 forward, 6 backward). Target: step <= 2x bare matmul at N >= 10,000, W >= 256.
3. XOR success rate over 500 seeds (matrix_mlp.xor_success_rate's defaults, tanh
   2-2-1 with a sigmoid output, as notebook 07 uses it). Target: under 10 s.

Every time is measured in this run, on this machine; ratios compare figures from the
same run, timed in turn (best of k) so that other processes slow both sides alike. The
load average is printed: with other work on the cores, ratios move by ~20%. Nothing here
is part of the test suite; the exit status is 1 when a target is missed.
"""

from __future__ import annotations

import gc
import io
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stdout

import numpy as np

from backprop_course import data, optim
from backprop_course.matrix_mlp import MatrixMLP, train, xor_success_rate
from backprop_course.nn import MLP

ALPHA = 1e-4
SCALAR_STEPS = 6  # slow engines: this many timed steps each (the median is reported)
DEMO_STEPS = 100  # the vectorised model runs micrograd's whole 100-step demo


def learning_rate(k: int) -> float:
    return 1.0 - 0.9 * k / 100


# ----------------------------------------------------------------------- the machine


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def blas_description() -> str:
    """Which BLAS numpy was built with (and, with threadpoolctl, what it runs)."""
    try:
        from threadpoolctl import threadpool_info

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            p = pools[0]
            return (
                f"{p.get('internal_api')} {p.get('version')} ({p.get('threading_layer')} threads: "
                f"{p.get('num_threads')}, core type {p.get('architecture')})"
            )
    except ImportError:
        pass
    try:
        config = np.show_config(mode="dicts")  # numpy >= 1.26
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')} (numpy build config; threadpoolctl not installed)"
    except (TypeError, KeyError):
        buf = io.StringIO()
        with redirect_stdout(buf):
            np.show_config()
        lines = [line.strip() for line in buf.getvalue().splitlines() if "blas" in line.lower()]
        return "; ".join(lines[:3]) or "unknown"


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def print_machine() -> None:
    print("machine")
    print(f"  CPU         {cpu_model()}, {os.cpu_count()} logical cores (nproc {len(os.sched_getaffinity(0))})")
    print(f"  python      {platform.python_version()}, numpy {np.__version__}")
    print(f"  BLAS        {blas_description()}")
    env = {
        k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if k in os.environ
    }
    print(f"  environment {env or 'no OPENBLAS_*/OMP_* variables set'}")
    print(f"  load        {load_average()} (other processes share these cores; times are best-of-k)")
    print()


# ------------------------------------------------------- part 1: the micrograd demo step


def micrograd_demo(weights: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, y_pm: np.ndarray):
    """micrograd's own MLP with our weights, and its demo's step, verbatim apart from names."""
    from micrograd.engine import Value as MicroValue
    from micrograd.nn import MLP as MicroMLP

    model = MicroMLP(2, [16, 16, 1])
    params = model.parameters()
    ours = [float(v) for W, b in weights for row, bias in zip(W, b) for v in (*row, bias)]
    assert len(params) == len(ours)
    for p, v in zip(params, ours):
        p.data = v

    def step(k: int) -> float:
        inputs = [list(map(MicroValue, xrow)) for xrow in X.tolist()]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y_pm.tolist(), scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y_pm.tolist(), scores)]
        assert len(accuracy) == len(X)
        model.zero_grad()
        total_loss.backward()
        lr = learning_rate(k)
        for p in model.parameters():
            p.data -= lr * p.grad
        return total_loss.data

    return step


def time_steps(step: Callable[[int], float], n: int) -> tuple[float, list[float]]:
    """Median seconds per step over ``n`` steps, and each step's loss."""
    times, seen = [], []
    for k in range(n):
        gc.collect()
        t0 = time.perf_counter()
        seen.append(step(k))
        times.append(time.perf_counter() - t0)
    return statistics.median(times), seen


def part1() -> dict[str, bool]:
    print("1. micrograd's demo step: 100 moons points, MLP 2-16-16-1 ReLU, hinge + 1e-4 L2, full batch")
    X, y = data.moons(100, 0.1, seed=0)
    y_pm = data.to_pm1(y)
    weights = MLP(2, [16, 16, 1], seed=0).weights()

    # Vectorised: micrograd's whole 100-step demo, timed 7 times; per step = run time / 100.
    runs = []
    for _ in range(7):
        model = MatrixMLP.from_weights(weights)
        gc.collect()
        t0 = time.perf_counter()
        history = train(model, X, y, loss="hinge", steps=DEMO_STEPS, lr=learning_rate, l2=ALPHA)
        runs.append((time.perf_counter() - t0) / DEMO_STEPS)
    vec_t = statistics.median(runs)
    vec_losses = history.loss[:SCALAR_STEPS]
    print(
        f"   vectorised: the whole {DEMO_STEPS}-step demo in {vec_t * DEMO_STEPS * 1e3:.1f} ms, "
        f"final accuracy {history.accuracy[-1]:.0%}"
    )

    scalar_model = MLP(2, [16, 16, 1], seed=0)

    def scalar_step(k: int) -> float:
        # optim.train's step (forward, hinge + L2, zero_grad, backward, SGD), one step at a time
        hist = optim.train(scalar_model, X, y, loss="hinge", steps=1, lr=learning_rate(k), l2=ALPHA)
        return hist.loss[0]

    scalar_t, scalar_losses = time_steps(scalar_step, SCALAR_STEPS)

    try:
        micro_step = micrograd_demo(weights, X, y_pm)
    except ImportError:
        micro_step = None
    rows = [("vectorised MatrixMLP", vec_t, vec_losses), ("scalar engine (nn.MLP)", scalar_t, scalar_losses)]
    if micro_step is not None:
        micro_t, micro_losses = time_steps(micro_step, SCALAR_STEPS)
        rows.append(("micrograd 0.1.0 (PyPI)", micro_t, micro_losses))
    else:
        print('   micrograd is not installed (python -m pip install -e ".[bench]"): its column is skipped')

    print(f"   {'':24}{'ms/step':>10}{'vectorised is':>16}   loss at steps 0..{SCALAR_STEPS - 1}")
    for name, t, seen in rows:
        speedup = t / vec_t
        print(f"   {name:24}{t * 1e3:10.3f}{speedup:14.0f}x   " + " ".join(f"{v:.10f}" for v in seen[:3]) + " ...")
    agree = all(max(abs(a - b) for a, b in zip(vec_losses, seen)) < 1e-9 for _, _, seen in rows)
    print(f"   losses of the first {SCALAR_STEPS} steps agree to 1e-9 across all engines: {agree}")
    print()
    results = {"part 1: losses agree across engines": agree}
    if micro_step is not None:
        results["part 1: vectorised >= 1000x faster than micrograd"] = rows[2][1] / vec_t >= 1000
    return results


# ---------------------------------------------------------------- part 2: cost vs size


def matmul_shapes(n: int, w: int) -> list[tuple[tuple[int, int], tuple[int, int], str]]:
    """The products one step of MLP 2-w-w-1 on n examples performs, as (A shape, B shape, layout).

    layout "x@W.T": a (n, in) @ W.T, W (out, in) -- the forward of each layer;
    "dz.T@a": dz (n, out).T @ a (n, in) -- dW; "dz@W": dz (n, out) @ W (out, in) -- dx.
    """
    sizes = [2, w, w, 1]
    forward = [((n, sizes[i]), (sizes[i + 1], sizes[i]), "x@W.T") for i in range(3)]
    backward = []
    for i in reversed(range(3)):
        backward.append(((n, sizes[i + 1]), (n, sizes[i]), "dz.T@a"))
        backward.append(((n, sizes[i + 1]), (sizes[i + 1], sizes[i]), "dz@W"))
    return forward + backward


def time_step_and_matmuls(n: int, w: int, repeats: int) -> tuple[float, float]:
    """Best-of-``repeats`` seconds of one training step and of its bare matmuls.

    The step is one ``matrix_mlp.train`` step (full batch). The reference does only the
    step's matrix products, with operands of the same shapes and memory layouts. The
    two are timed in turn, ``repeats`` times each, so a busy machine slows both alike.
    """
    X, y = data.moons(n, 0.1, seed=0)
    model = MatrixMLP(2, [w, w, 1], activation="relu", init="he", seed=0)
    rng = np.random.default_rng(0)
    operands = [(rng.standard_normal(a), rng.standard_normal(b), layout) for a, b, layout in matmul_shapes(n, w)]

    def step() -> None:
        train(model, X, y, loss="hinge", steps=1, lr=0.01, l2=ALPHA)

    def bare() -> None:
        for A, B, layout in operands:
            if layout == "x@W.T":
                A @ B.T
            elif layout == "dz.T@a":
                A.T @ B
            else:
                A @ B

    step(), bare()  # warm-up: first touch of memory, BLAS threads started
    best_step = best_bare = float("inf")
    for _ in range(repeats):
        for fn, is_step in ((step, True), (bare, False)):
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            if is_step:
                best_step = min(best_step, dt)
            else:
                best_bare = min(best_bare, dt)
    return best_step, best_bare


def part2(quick: bool) -> dict[str, bool]:
    batches = [100, 1_000, 10_000] if quick else [100, 1_000, 10_000, 100_000]
    widths = [16, 64, 256] if quick else [16, 64, 256, 1024]
    skipped = {(100_000, 1024)}  # ~630 GFLOP and ~5 GB of activations per step: minutes, not seconds
    print("2. time per training step, MLP 2-W-W-1 ReLU, hinge + L2, full batch of N moons points")
    print("   ratio = step time / time of the bare numpy matmuls of the same shapes (9 per step); 1.0 is the floor")
    print("   matmul share = bare matmul time / step time; GFLOP/s = the step's matmul FLOPs / step time")
    print("   step and matmuls are timed in turn, best of 5-50; a busy machine (see load) blurs the ratios by ~20%")
    print(f"   {'N':>8} {'W':>5} {'step ms':>10} {'matmul ms':>10} {'ratio':>7} {'matmul share':>13} {'GFLOP/s':>8}")
    results = {}
    t_start = time.perf_counter()
    for n in batches:
        for w in widths:
            if (n, w) in skipped:
                print(f"   {n:>8} {w:>5}   skipped: ~{6 * n * (2 * w + w * w + w) / 1e9:.0f} GFLOP per step")
                continue
            flops = 2 * sum(a[0] * a[1] * (b[0] if lay == "x@W.T" else b[1]) for a, b, lay in matmul_shapes(n, w))
            repeats = 5 if flops > 1e10 else 9 if flops > 1e8 else 50
            step, bare = time_step_and_matmuls(n, w, repeats)
            ratio = step / bare
            print(
                f"   {n:>8} {w:>5} {step * 1e3:10.3f} {bare * 1e3:10.3f} {ratio:7.2f} {bare / step:12.0%} "
                f"{flops / step / 1e9:8.1f}"
            )
            if n >= 10_000 and w >= 256:
                results[f"part 2: N={n}, W={w} within 2x of bare matmul"] = ratio <= 2.0
    print(f"   (grid took {time.perf_counter() - t_start:.0f} s)")
    print()
    return results


# ------------------------------------------------------------- part 3: XOR over 500 seeds


def part3() -> dict[str, bool]:
    print("3. XOR success rate over 500 seeds (xor_success_rate defaults: tanh 2-2-1, sigmoid output, MSE,")
    print("   2000 full-batch steps of lr 0.5, uniform init), all seeds trained at once")
    gc.collect()
    t0 = time.perf_counter()
    result = xor_success_rate(500)
    seconds = time.perf_counter() - t0
    print(f"   {result}, in {seconds:.2f} s")
    wider = xor_success_rate(500, hidden=4)
    print(f"   for comparison, 4 hidden units: {wider}")
    print()
    return {"part 3: 500 XOR seeds in under 10 s": seconds < 10.0}


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    print_machine()
    results = part1()
    results.update(part2(quick))
    results.update(part3())
    print(f"at the end: {load_average()}")
    print("targets")
    for name, ok in results.items():
        print(f"  {'met   ' if ok else 'MISSED'}  {name}")
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()
