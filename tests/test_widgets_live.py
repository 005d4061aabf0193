"""The machinery of fast redrawing: the PNG encoder, blitting, precomputed XOR runs, views drawn twice.

Each fast path is compared with the slow, plain one it replaces (Pillow's decoder, a whole
redraw, the library's own training functions), never with itself.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from backprop_course import widgets
from backprop_course.widgets.live import encode_png, new_figure, render_png
from backprop_course.widgets.local_minima import XorRunView
from backprop_course.widgets.precompute import train_xor_grid


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGB"))


def differing_pixels_off_the_frames(a: np.ndarray, b: np.ndarray, fig) -> int:
    """Pixels that differ, not counting a 2-pixel band around each axes' frame.

    A blitted image covers its axes' frame, which is then drawn once more on top: its
    antialiased edge pixels come out a little darker than in a whole draw.
    """
    differ = np.any(a != b, axis=2)
    height = differ.shape[0]
    for ax in fig.axes:
        x0, y0, x1, y1 = ax.get_window_extent().extents
        rows = slice(max(int(height - y1) - 2, 0), int(height - y0) + 3)
        for col in (int(x0), int(x1)):
            differ[rows, max(col - 2, 0) : col + 3] = False
        cols = slice(max(int(x0) - 2, 0), int(x1) + 3)
        for row in (int(height - y1), int(height - y0)):
            differ[max(row - 2, 0) : row + 3, cols] = False
    return int(differ.sum())


def test_encode_png_is_read_back_exactly_by_pillow():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    assert np.array_equal(decode(encode_png(rgb)), rgb)
    with pytest.raises(ValueError, match="RGB"):
        encode_png(np.zeros((4, 4, 4), dtype=np.uint8))


def test_render_png_is_what_savefig_draws():
    fig = new_figure((3.0, 2.0))
    fig.subplots().plot([0, 1, 2], [2, 0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    assert np.array_equal(decode(render_png(fig)), decode(buffer.getvalue()))


def test_blitted_frames_equal_whole_redraws():
    X_view, plain = XorRunView(), XorRunView()
    X_view.blit()  # the explorer's mode: moving artists over a kept background
    for seed in (0, 1, 2):
        X_view.update(seed=seed, steps=200)
        frame = decode(X_view.render())
    plain.update(seed=2, steps=200)
    whole = decode(render_png(plain.figure))
    assert frame.shape == whole.shape
    assert differing_pixels_off_the_frames(frame, whole, plain.figure) == 0


@pytest.mark.parametrize(("seed", "hidden", "momentum"), [(0, 2, 0.0), (1, 3, 0.9), (5, 2, 0.5)])
def test_the_xor_grid_is_xor_run_for_each_run(seed, hidden, momentum):
    grid = train_xor_grid([2, hidden, 4], [9, seed, 3], [0.5] * 3, [0.0, momentum, 0.0], steps=500, loss="mse")
    model, history = widgets.xor_run(seed, hidden, momentum, steps=500)
    for (W, b), (W2, b2) in zip(grid.weights(1, 500), model.params):
        np.testing.assert_allclose(W, W2, atol=1e-12)
        np.testing.assert_allclose(b, b2, atol=1e-12)
    np.testing.assert_allclose(grid.loss[:, 1], history.loss, atol=1e-12)


def test_the_xor_grid_is_the_scalar_train_xor_with_snapshots():
    grid = train_xor_grid([4], [3], [1.0], [0.0], steps=100, loss="bce", every=50, init="xavier", scale=2.0)
    assert grid.snapshots == [0, 50, 100]
    for steps in (0, 50, 100):
        model, _, trajectory = widgets.train_xor(4, init="xavier", scale=2.0, seed=3, steps=steps, lr=1.0)
        (W, b), (V, c) = grid.weights(0, steps)
        (W_, b_), (V_, c_) = model.weights()
        np.testing.assert_allclose(W, W_, atol=1e-12)
        np.testing.assert_allclose(V, V_, atol=1e-12)
        np.testing.assert_allclose(np.column_stack([W, b]), trajectory[-1], atol=1e-12)


def test_the_xor_grid_refuses_mismatched_runs():
    with pytest.raises(ValueError, match="one entry per run"):
        train_xor_grid([2, 2], [0], [0.5], [0.0], steps=1, loss="mse")
    with pytest.raises(ValueError, match="loss"):
        train_xor_grid([2], [0], [0.5], [0.0], steps=1, loss="hinge")


@pytest.mark.parametrize(
    ("explorer", "control", "value", "static"),
    [
        ("xor_seed_explorer", "seed", 2, lambda: widgets.plot_xor_run(seed=2)),
        ("xor_explorer", "seed", 4, lambda: widgets.xor_hidden_units_figure(hidden=2, seed=4, steps=300)),
        ("init_explorer", "init", "xavier", lambda: widgets.symmetry_figure("xavier", scale=0.5, hidden=4, seed=0)),
        ("training_explorer", "steps", 300, lambda: widgets.plot_training_run("moons", 16, 2, 300)),
    ],
)
def test_precomputed_explorers_show_what_the_plain_function_trains(explorer, control, value, static):
    pytest.importorskip("ipywidgets")
    widget = getattr(widgets, explorer)()
    widget.controls[control].value = value
    fig = static()
    live_titles = [ax.get_title() for ax in widget.view.figure.axes]
    static_titles = [ax.get_title() for ax in fig.axes]
    assert live_titles == static_titles  # they name the losses and accuracies, to 3-4 digits
    suptitle = getattr(widget.view, "suptitle", None)
    if suptitle is not None and fig._suptitle is not None:
        assert suptitle.get_text() == fig._suptitle.get_text()


def test_a_trainer_advanced_in_pieces_is_the_one_long_run():
    from backprop_course.widgets.precompute import XorGridTrainer

    pieces = XorGridTrainer([2, 3], [1, 4], [0.5, 0.5], [0.0, 0.0], loss="bce", every=1)
    for steps in (10, 10, 35, 60):  # the steps slider moving back and forth
        pieces.advance(steps)
    whole = train_xor_grid([2, 3], [1, 4], [0.5, 0.5], [0.0, 0.0], steps=60, loss="bce", every=1)
    assert pieces.step == 60
    np.testing.assert_array_equal(pieces.grid().W1, whole.W1)
    model, _, trajectory = widgets.train_xor(3, seed=4, steps=60, lr=0.5)
    np.testing.assert_allclose(pieces.trajectory(1, 60), trajectory, atol=1e-12)
    np.testing.assert_allclose(pieces.weights(1, 80)[0][0], widgets.train_xor(3, seed=4, steps=80)[0].weights()[0][0])
    with pytest.raises(ValueError, match="every=1"):
        XorGridTrainer([2], [0], [0.5], [0.0], loss="bce", every=50).trajectory(0, 10)


@pytest.mark.parametrize(
    ("make", "static"),
    [
        # the explorers' starting values as notebooks 07 and 09 give them, beside their static pictures
        (lambda: widgets.xor_seed_explorer(seed=2), lambda: widgets.plot_xor_run(seed=2)),
        (
            lambda: widgets.training_explorer("spirals", hidden=4, depth=1, steps=300),
            lambda: widgets.plot_training_run("spirals", hidden=4, depth=1, steps=300),
        ),
    ],
)
def test_an_explorer_started_elsewhere_opens_on_its_static_picture(make, static):
    pytest.importorskip("ipywidgets")
    widget = make()
    fig = static()
    assert [ax.get_title() for ax in widget.view.figure.axes] == [ax.get_title() for ax in fig.axes]


def test_explorer_starting_values_outside_the_controls_are_refused():
    pytest.importorskip("ipywidgets")
    with pytest.raises(ValueError, match="seed must be an int from 0 to 99"):
        widgets.xor_seed_explorer(seed=100)
    with pytest.raises(ValueError, match="momentum must be one of"):
        widgets.xor_seed_explorer(momentum=0.7)
    with pytest.raises(ValueError, match="dataset must be one of"):
        widgets.training_explorer("mnist")
    with pytest.raises(ValueError, match="steps must be a multiple of 10"):
        widgets.training_explorer(steps=305)


@pytest.mark.parametrize(
    ("explorer", "changes", "static"),
    [
        # a seed in another chunk of ten, at a width and momentum trained on demand
        (
            "xor_seed_explorer",
            {"hidden": 3, "momentum": 0.9, "seed": 37},
            lambda: widgets.plot_xor_run(seed=37, hidden=3, momentum=0.9),
        ),
        # a new learning rate: only the width shown trains, then another width at that rate
        (
            "xor_explorer",
            {"lr": 0.8, "steps": 400, "hidden": 4, "seed": 7},
            lambda: widgets.xor_hidden_units_figure(hidden=4, seed=7, steps=400, lr=0.8),
        ),
        (
            "init_explorer",
            {"init": "normal", "scale": 10**0.3, "hidden": 3, "seed": 5, "steps": 250},
            lambda: widgets.symmetry_figure("normal", scale=10**0.3, hidden=3, seed=5, steps=250),
        ),
        # trained lazily to 200 steps, then further when the steps slider moves on
        (
            "training_explorer",
            {"dataset": "spirals", "hidden": 20, "depth": 3, "steps": 200},
            lambda: widgets.plot_training_run("spirals", 20, 3, 200),
        ),
        (
            "training_explorer",
            {"dataset": "circles", "hidden": 7, "steps": 200, "depth": 1},
            lambda: widgets.plot_training_run("circles", 7, 1, 200),
        ),
    ],
)
def test_explorers_trained_on_demand_show_what_the_plain_function_trains(explorer, changes, static):
    pytest.importorskip("ipywidgets")
    widget = getattr(widgets, explorer)()
    for control, value in changes.items():
        widget.controls[control].value = value
    fig = static()
    assert [ax.get_title() for ax in widget.view.figure.axes] == [ax.get_title() for ax in fig.axes]
    suptitle = getattr(widget.view, "suptitle", None)
    if suptitle is not None and fig._suptitle is not None:
        assert suptitle.get_text() == fig._suptitle.get_text()


@pytest.mark.parametrize(("dataset", "hidden", "depth"), [("moons", 16, 2), ("spirals", 5, 3), ("xor blobs", 3, 1)])
def test_the_training_explorers_run_is_matrix_mlp_train_to_the_last_bit(dataset, hidden, depth):
    from backprop_course.widgets.training import SoftmaxRun, _training_set

    model, history, X, y = widgets.train_on_dataset(dataset, hidden, depth, steps=120)
    run = SoftmaxRun(*_training_set(dataset), hidden, depth)
    for steps in (30, 10, 120):  # the steps slider moving back and forth
        run.model(steps)
    assert run.loss == history.loss
    assert run.accuracy == history.accuracy
    for (W, b), (W2, b2) in zip(run.model(120).params, model.params):
        assert np.array_equal(W, W2) and np.array_equal(b, b2)
    with pytest.raises(ValueError, match="every 10 steps"):
        run.model(125)


@pytest.mark.parametrize(
    ("explorer", "changes"),
    [
        ("init_explorer", {"scale": 4.0, "hidden": 2, "init": "normal"}),
        ("training_explorer", {"dataset": "spirals", "hidden": 9, "steps": 120}),
        ("xor_seed_explorer", {"hidden": 5, "seed": 13}),
        ("init_scale_explorer", {"activation": "relu", "scale": 0.1}),
        ("xor_explorer", {"hidden": 3, "lr": 1.5}),
    ],
)
def test_titles_and_labels_kept_in_place_are_where_a_whole_draw_puts_them(explorer, changes):
    pytest.importorskip("ipywidgets")
    widget = getattr(widgets, explorer)()
    for control, value in changes.items():
        widget.controls[control].value = value
    kept = decode(widget.image.value)
    view = widget.view
    for ax in view.figure.axes:  # matplotlib places every title and label again at the next draw
        ax._autotitlepos = None
        ax.xaxis._autolabelpos = ax.yaxis._autolabelpos = True
    view.invalidate()
    assert np.array_equal(decode(view.render()), kept)
