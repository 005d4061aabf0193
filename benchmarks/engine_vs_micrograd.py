"""Our scalar engine against micrograd (PyPI), side by side in one run.

    python -m pip install -e ".[bench]"
    python benchmarks/engine_vs_micrograd.py

The workload is micrograd's own demo step: 100 moons points, MLP(2, [16, 16, 1])
with ReLU, hinge loss + 1e-4 L2, full-batch SGD with lr = 1 - 0.9 k / 100. Both
engines start from the same weights (ours, copied into micrograd's Values).

Printed, as ratios to micrograd (same machine, same run):
  * time per step with the graph built from binary ops only, exactly as
    micrograd builds it (the engines differ, the graph is the same);
  * time per step with our MLP as shipped (n-ary dot and sum nodes);
  * bytes per graph node (tracemalloc, binary-op graph);
  * the loss after 20 steps from both, which must agree.
"""

from __future__ import annotations

import gc
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from backprop_course import data, losses
from backprop_course.engine import Value
from backprop_course.nn import MLP
from backprop_course.optim import SGD

try:
    from micrograd.engine import Value as MicroValue
    from micrograd.nn import MLP as MicroMLP
except ImportError:  # pragma: no cover
    sys.exit('micrograd is not installed: python -m pip install -e ".[bench]"')

STEPS_LOSS = 20
ALPHA = 1e-4


def learning_rate(k: int) -> float:
    return 1.0 - 0.9 * k / 100


def binary_op_model(value_cls: type, weights: list[tuple[np.ndarray, np.ndarray]]):
    """Parameters and a forward pass written exactly like micrograd's Neuron/Layer/MLP."""
    layers = [
        [([value_cls(float(w)) for w in W[i]], value_cls(float(b[i]))) for i in range(len(b))] for W, b in weights
    ]
    params = [p for layer in layers for ws, bias in layer for p in (*ws, bias)]

    def forward(x: list) -> object:
        for li, layer in enumerate(layers):
            out = []
            for ws, bias in layer:
                act = sum((wi * xi for wi, xi in zip(ws, x)), bias)
                out.append(act.relu() if li < len(layers) - 1 else act)
            x = out
        return x[0]

    return params, forward


def binary_op_step(value_cls: type, params: list, forward: Callable, X: np.ndarray, y: np.ndarray, k: int) -> float:
    """micrograd's demo loss and update, verbatim apart from names."""
    inputs = [list(map(value_cls, row)) for row in X.tolist()]
    scores = list(map(forward, inputs))
    hinge = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)]
    data_loss = sum(hinge) * (1.0 / len(hinge))
    reg_loss = ALPHA * sum(p * p for p in params)
    total = data_loss + reg_loss
    for p in params:
        p.grad = 0
    total.backward()
    lr = learning_rate(k)
    for p in params:
        p.data -= lr * p.grad
    return total.data


def shipped_step(model: MLP, opt: SGD, X: np.ndarray, y: np.ndarray) -> float:
    """The same step with the library as a student uses it."""
    scores = [model(row) for row in X.tolist()]
    total = losses.hinge(scores, y) + losses.l2_penalty(model.parameters(), ALPHA)
    opt.zero_grad()
    total.backward()
    opt.step()
    return total.data


def time_interleaved(steps: dict[str, Callable[[int], float]], n: int) -> dict[str, tuple[float, list[float]]]:
    """Run step k of every variant before step k+1 of any, so machine noise hits all alike.

    Returns, per variant, the median seconds per step and the loss of every step.
    """
    times: dict[str, list[float]] = {name: [] for name in steps}
    seen: dict[str, list[float]] = {name: [] for name in steps}
    for k in range(n):
        for name, step in steps.items():
            gc.collect()
            t0 = time.perf_counter()
            seen[name].append(step(k))
            times[name].append(time.perf_counter() - t0)
    return {name: (statistics.median(times[name]), seen[name]) for name in steps}


def count_nodes(root: object) -> int:
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node._prev:  # type: ignore[attr-defined]
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def bytes_per_node(value_cls: type, weights, X: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Memory of the graph of one forward pass of the loss, per node."""
    params, forward = binary_op_model(value_cls, weights)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    inputs = [list(map(value_cls, row)) for row in X.tolist()]
    scores = list(map(forward, inputs))
    hinge = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)]
    total = sum(hinge) * (1.0 / len(hinge)) + ALPHA * sum(p * p for p in params)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    # the parameters existed before; count only the nodes the forward pass made
    nodes = count_nodes(total) - len(params)
    return used / nodes, nodes


def main() -> None:
    X, labels = data.moons(100, noise=0.1, seed=0)
    y = data.to_pm1(labels)
    weights = MLP(2, [16, 16, 1], seed=0).weights()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"workload: micrograd demo step, {len(X)} moons points, MLP 2-16-16-1, hinge + {ALPHA:g} L2\n")

    mp, mf = binary_op_model(MicroValue, weights)
    op, of = binary_op_model(Value, weights)
    model = MLP(2, [16, 16, 1], seed=0)
    opt = SGD(model.parameters(), lr=learning_rate)
    results = time_interleaved(
        {
            "micrograd": lambda k: binary_op_step(MicroValue, mp, mf, X, y, k),
            "ours, binary ops": lambda k: binary_op_step(Value, op, of, X, y, k),
            "ours, as shipped": lambda k: shipped_step(model, opt, X, y),
        },
        STEPS_LOSS,
    )
    (micro_t, micro_l), (ours_bin_t, ours_bin_l), (ours_t, ours_l) = results.values()

    micro_b, micro_n = bytes_per_node(MicroValue, weights, X, y)
    ours_b, ours_n = bytes_per_node(Value, weights, X, y)

    assert MicroMLP  # imported to show the package is the real micrograd

    def row(name: str, micro: float, ours: float, ratio: str) -> None:
        print(f"{name:38}{micro:12.1f}{ours:12.1f}  {ratio}")

    print(f"{'':38}{'micrograd':>12}{'ours':>12}{'ratio':>14}")
    row("time/step, binary-op graph (ms)", micro_t * 1e3, ours_bin_t * 1e3, f"{micro_t / ours_bin_t:.1f}x faster")
    row("time/step, our MLP as shipped (ms)", micro_t * 1e3, ours_t * 1e3, f"{micro_t / ours_t:.1f}x faster")
    row("bytes per graph node (binary-op graph)", micro_b, ours_b, f"{ours_b / micro_b:.2f} of theirs")
    print(f"{'graph nodes per forward pass':38}{micro_n:12d}{ours_n:12d}")
    print(f"\nloss after {STEPS_LOSS} steps: micrograd {micro_l[-1]:.12f}")
    print(f"                     ours, binary ops {ours_bin_l[-1]:.12f}")
    print(f"                     ours, as shipped {ours_l[-1]:.12f}")
    agree = abs(micro_l[-1] - ours_bin_l[-1]) < 1e-9 and abs(micro_l[-1] - ours_l[-1]) < 1e-9
    print(f"losses agree to 1e-9: {agree}")
    targets = {
        "binary-op graph >= 5x faster": micro_t / ours_bin_t >= 5,
        "as shipped >= 30x faster": micro_t / ours_t >= 30,
        "<= 1/3 of micrograd's bytes per node": ours_b <= micro_b / 3,
        "losses agree": agree,
    }
    for name, ok in targets.items():
        print(f"  {'met ' if ok else 'MISSED'}  {name}")
    sys.exit(0 if all(targets.values()) else 1)


if __name__ == "__main__":
    main()
