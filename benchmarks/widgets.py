"""How fast the widgets redraw: every explorer's control changes, the stepper, the playground.

    python -m pip install -e ".[test]"
    python benchmarks/widgets.py             # kernel side: per explorer and control (about 1 min)
    python benchmarks/widgets.py --browser   # also the playground's frame rate in JupyterLab + Chromium

Kernel side, the reference, measured in the same run, is what matplotlib needs to draw a
minimal plot and save it as PNG: one figure, one axes, one 10-point line, ``savefig`` to
PNG, close. For each explorer and each of its controls, the control is set to several new
values in turn (as a learner dragging it would) and each change is timed from the value
being set to the new PNG being in the widget; the median is printed as a ratio to the
reference (timed right before each change, so that the load of a shared machine hits both
alike). A menu's options are visited twice in turn: the second visit finds what the first
computed (as when a learner flips between options). Target (issue 13): every ratio <= 3.
The column "new" is the median over the changes that show a setting (all controls' values
together) not shown before by that explorer: a menu's first visits, a slider's new values;
those are the changes that may have to train something. "create" is the time to make the
explorer (and show its first picture), in milliseconds.

    python benchmarks/widgets.py --only xor  # only the explorers whose name contains "xor"

Browser mode: JupyterLab on a free port with Chromium driven by Playwright (as
``tests/test_browser.py`` does), a notebook showing the playground; Play is pressed and
the frames that reach the page (changes of the picture's ``src``) are counted for 10
seconds. Target: >= 15 frames per second (the playground sends at most 25).
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from backprop_course import Value, widgets

TARGET_RATIO = 3.0
TARGET_FPS = 15.0


XS = np.arange(10.0)


def reference_once() -> float:
    """Seconds to draw a one-axes, one-line plot and save it as PNG (the reference)."""
    start = time.perf_counter()
    fig, ax = plt.subplots()
    ax.plot(XS, XS**2)
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    return time.perf_counter() - start


def state(widget: Any) -> tuple[object, ...]:
    """All of the widget's controls' values: the setting it shows."""
    return tuple(control.value for control in widget.controls.values())


def time_changes(
    widget: Any, name: str, values: Sequence[object], seen: set[tuple[object, ...]]
) -> tuple[float, float, float]:
    """Median seconds for the widget to redraw after its control ``name`` takes each value in turn;
    the median over the changes to a setting not in ``seen`` (which is updated); and the median of
    the reference drawn right before each change (so machine load hits both alike)."""
    control = widget.controls[name]
    changes, new, references = [], [], []
    for value in values:
        references.append(reference_once())
        start = time.perf_counter()
        control.value = value
        seconds = time.perf_counter() - start
        changes.append(seconds)
        if state(widget) not in seen:
            new.append(seconds)
            seen.add(state(widget))
    return statistics.median(changes), statistics.median(new) if new else float("nan"), statistics.median(references)


def stepper_graph() -> Value:
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    d = e + c
    L = (d * f).tanh() + d
    L.label = "L"
    return L


#: explorer name -> (factory, {control: values to move it through})
EXPLORERS: dict[str, tuple[Callable[[], Any], dict[str, list[object]]]] = {
    "nudge (01)": (
        widgets.nudge_explorer,
        {
            "x": [1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7],
            "h": [0.1 * 10 ** (-k / 4) for k in range(1, 8)],
            "func": ["tanh(x)", "sin(x)", "x^3", "3x^2 - 4x + 5"] * 2,
        },
    ),
    "neuron (03)": (
        widgets.neuron_explorer,
        {
            "w1": [1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7],
            "w2": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3],
            "b": [-1.4, -1.3, -1.2, -1.1, -1.0, -0.9, -0.8],
            "activation": ["tanh", "relu", "linear", "sigmoid"] * 2,
            "dataset": ["OR", "XOR", "blobs", "AND"] * 2,
        },
    ),
    "learning rate (04)": (
        widgets.learning_rate_explorer,
        {
            "lr": [10 ** (-2 + k * 0.05) for k in range(1, 8)],
            "curvature": [45.0, 50.0, 55.0, 60.0, 35.0, 30.0, 25.0],
            "steps": [16, 17, 18, 19, 20, 21, 22],
        },
    ),
    "xor hidden units (05)": (
        widgets.xor_explorer,
        {
            "hidden": [3, 4, 5, 6, 1, 2, 3],
            "seed": [2, 3, 4, 5, 6, 7, 8],
            "steps": [350, 400, 450, 500, 550, 600, 650],
            "lr": [0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85],
        },
    ),
    "symmetry (06)": (
        widgets.init_explorer,
        {
            "init": ["uniform", "xavier", "normal", "constant"] * 2,
            "scale": [10 ** (-0.3 + 0.1 * k) for k in range(1, 8)],
            "hidden": [5, 6, 1, 2, 3, 4, 5],
            "seed": [1, 2, 3, 4, 5, 6, 7],
            "steps": [350, 400, 450, 500, 550, 600, 650],
        },
    ),
    "init scale (06)": (
        widgets.init_scale_explorer,
        {
            "init": ["he", "uniform", "normal", "xavier"] * 2,
            "scale": [10 ** (0.1 * k) for k in range(1, 8)],
            "activation": ["relu", "sigmoid", "tanh"] * 2,
        },
    ),
    "bumpy descent (07)": (
        widgets.bumpy_descent_explorer,
        {
            "w0": [1.75, 1.7, 1.65, 1.6, 1.55, 1.5, 1.45],
            "lr": [10 ** (-1.7 + 0.1 * k) for k in range(1, 8)],
            "momentum": [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35],
        },
    ),
    "xor seeds (07)": (
        widgets.xor_seed_explorer,
        {
            "seed": [1, 2, 3, 4, 5, 6, 7],
            "hidden": [3, 4, 5, 6, 7, 8, 2],
            "momentum": [0.5, 0.9, 0.0] * 2,
        },
    ),
    "training (09)": (
        widgets.training_explorer,
        {
            "dataset": ["circles", "spirals", "xor blobs", "moons"] * 2,
            "hidden": [17, 18, 19, 20, 21, 22, 23],
            "depth": [1, 3, 2] * 2,
            "steps": [310, 320, 330, 340, 350, 360, 370],
        },
    ),
    "backward stepper (02)": (
        lambda: widgets.backward_stepper(stepper_graph()),
        {"state": [1, 2, 3, 4, 5, 4, 3, 2]},
    ),
}


def kernel_side(only: str | None = None) -> bool:
    for _ in range(3):
        reference_once()  # warm-up: fonts, caches
    print("reference: a one-axes line plot drawn and saved as PNG, timed before every change\n")
    print(
        f"{'explorer':24}{'control':14}{'ms':>8}{'ref ms':>8}{'ratio':>8}{'new':>8}{'create':>8}"
        f"   target: ratio and new <= {TARGET_RATIO:g}"
    )
    met = True
    for name, (factory, controls) in EXPLORERS.items():
        if only is not None and only not in name:
            continue
        start = time.perf_counter()
        widget = factory()
        created = time.perf_counter() - start
        seen = {state(widget)}
        for control, values in controls.items():
            seconds, new, reference = time_changes(widget, control, values, seen)
            ratio, new_ratio = seconds / reference, new / reference
            ok = ratio <= TARGET_RATIO and not new_ratio > TARGET_RATIO
            met &= ok
            print(
                f"{name:24}{control:14}{1e3 * seconds:8.1f}{1e3 * reference:8.1f}{ratio:8.2f}{new_ratio:8.2f}"
                f"{1e3 * created:8.0f}   {'met' if ok else 'MISSED'}"
            )
        plt.close("all")
    if only is not None:
        return met
    # the playground: one frame (10 training steps and the redraw, as Play does each frame), kernel side
    box = widgets.playground()
    times, references = [], []
    for _ in range(40):
        references.append(reference_once())
        start = time.perf_counter()
        box.step_button.click()
        times.append(time.perf_counter() - start)
    frame, reference = statistics.median(times), statistics.median(references)
    print(
        f"\nplayground: a frame (10 training steps + redraw) takes {1e3 * frame:.1f} ms kernel side "
        f"({frame / reference:.2f}x the reference; at most {1 / frame:.0f} frames per second from the kernel)"
    )
    return met


def browser_fps(seconds: float = 10.0) -> float:
    """Frames per second of the playground in JupyterLab in Chromium: picture changes counted in the page."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import test_browser as harness  # the set-up of the browser test, shared

    with harness.running_lab({"playground_fps": harness.playground_notebook()}) as lab:
        with harness.chromium() as browser:
            page = harness.open_and_run(lab, browser, "playground_fps")
            try:
                frames = harness.count_playground_frames(page, seconds)
            finally:
                page.close()
                harness.shut_down_kernels(lab)
    return frames / seconds


def main() -> None:
    args = sys.argv[1:]
    only = args[args.index("--only") + 1] if "--only" in args else None
    met = kernel_side(only)
    if "--browser" in sys.argv[1:]:
        fps = browser_fps()
        ok = fps >= TARGET_FPS
        met &= ok
        print(f"playground in JupyterLab/Chromium: {fps:.1f} frames per second   {'met' if ok else 'MISSED'} (>= 15)")
    print("\nall targets met" if met else "\nsome targets MISSED")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
