"""The live playground (notebooks 05, 09): its data, its training step, its picture and its widget.

Expected values come from numpy formulas written here or from the course's ``matrix_mlp.train``
run separately on an identical model, not from the code under test.
"""

from __future__ import annotations

import asyncio

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from backprop_course import matrix_mlp, widgets
from backprop_course.widgets.playground import PlaygroundView


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(("dataset", "classes"), [("xor", 2), ("moons", 2), ("circles", 2), ("spirals", 3)])
def test_every_dataset_is_two_dimensional_with_its_classes(dataset, classes):
    X, y = widgets.playground_data(dataset, noise=0.1, n=120, seed=3)
    assert X.shape == (120, 2) and X.dtype == np.float64
    assert sorted(set(y.tolist())) == list(range(classes))
    again, _ = widgets.playground_data(dataset, noise=0.1, n=120, seed=3)
    assert np.array_equal(X, again)  # seeded


def test_xor_data_is_labelled_by_quadrant():
    X, y = widgets.playground_data("xor", noise=0.0, n=200)
    # noise 0 still leaves a spread of 0.25 around each corner: nearly every point stays in its quadrant
    assert np.mean((X[:, 0] * X[:, 1] < 0) == (y == 1)) > 0.99


def test_bad_data_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown dataset 'iris'"):
        widgets.playground_data("iris")
    with pytest.raises(ValueError, match="noise"):
        widgets.playground_data("moons", noise=-1.0)
    with pytest.raises(ValueError, match="activation"):
        widgets.Playground(activation="softplus")
    with pytest.raises(ValueError, match="lr"):
        widgets.Playground(lr=0.0)


def test_a_training_step_is_matrix_mlp_train_on_the_same_model():
    pg = widgets.Playground("moons", layers=2, units=5, activation="relu", lr=0.2, batch_size=10, l2=1e-3, seed=4)
    twin = matrix_mlp.MatrixMLP(2, [5, 5, 2], activation="relu", init="he", seed=4)
    for (W, b), (W2, b2) in zip(pg.model.params, twin.params):
        assert np.array_equal(W, W2) and np.array_equal(b, b2)
    pg.train(7)
    matrix_mlp.train(
        twin, pg.X, pg.y, loss="softmax", steps=7, lr=0.2, l2=1e-3, batch_size=10, seed=np.random.default_rng(5)
    )
    for (W, b), (W2, b2) in zip(pg.model.params, twin.params):
        np.testing.assert_allclose(W, W2, rtol=0, atol=0)
        np.testing.assert_allclose(b, b2, rtol=0, atol=0)
    assert pg.step == 7 and pg.step_history == [0, 7]


def test_the_loss_shown_is_softmax_cross_entropy_plus_l2_on_all_the_data():
    pg = widgets.Playground("spirals", layers=1, units=6, l2=1e-2, seed=1)
    pg.train(20)
    out = pg.model(pg.X)
    z = out - out.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    ce = -np.mean(log_p[np.arange(len(pg.y)), pg.y])
    l2 = 1e-2 * sum(np.sum(W**2) + np.sum(b**2) for W, b in pg.model.params)
    assert pg.loss_history[-1] == pytest.approx(ce + l2, rel=1e-12)
    assert pg.accuracy == pytest.approx(np.mean(out.argmax(axis=1) == pg.y))


@pytest.mark.parametrize("dataset", ["xor", "circles", "spirals"])
def test_training_lowers_the_loss(dataset):
    pg = widgets.Playground(dataset, layers=2, units=6, lr=0.3, seed=0)
    for _ in range(50):
        pg.train(10)
    assert pg.loss_history[-1] < 0.5 * pg.loss_history[0]
    assert pg.accuracy > 0.85


def test_a_diverging_run_says_so_and_stops():
    pg = widgets.Playground("moons", activation="linear", lr=10.0, l2=1.0, batch_size=None)
    for _ in range(30):
        pg.train(10)
    assert "diverged" in pg.diverged and "lower the learning rate" in pg.diverged
    steps = pg.step
    pg.train(10)
    assert pg.step == steps  # stopped until reset
    pg.reset()
    assert pg.step == 0 and pg.diverged == ""


def test_grid_outputs_are_probabilities_and_hidden_activations():
    pg = widgets.Playground("spirals", layers=2, units=3, activation="tanh")
    P, hidden = pg.grid_outputs((-1.0, 1.0), (-1.0, 1.0), 5)
    assert P.shape == (5, 5, 3)
    np.testing.assert_allclose(P.sum(axis=2), 1.0)
    assert [h.shape for h in hidden] == [(5, 5, 3), (5, 5, 3)]
    # the grid point (x1, x2) = (1, -1) is column 4, row 0; its first hidden layer by hand
    W, b = pg.model.params[0]
    np.testing.assert_allclose(hidden[0][0, 4], np.tanh(W @ np.array([1.0, -1.0]) + b))


def test_the_view_draws_the_current_state():
    pg = widgets.Playground("xor", layers=2, units=4)
    view = PlaygroundView(pg)
    before = view.surface.get_array().copy()
    for _ in range(10):
        pg.train(10)
    view.update()
    assert not np.array_equal(view.surface.get_array(), before)
    x, y = view.loss_line.get_data()
    assert list(x) == pg.step_history and list(y) == pg.loss_history
    assert view.status.get_text().startswith(f"step 100   loss {pg.loss_history[-1]:.4f}")
    assert "MLP 2-4-4-2 tanh" in view.status.get_text()
    # each hidden unit's map: its tanh values coloured by coolwarm, red where the unit is near +1
    _, hidden = pg.grid_outputs(view.xlim, view.ylim, view.unit_resolution)
    expected = view.unit_cmap((hidden[0][:, :, 0] + 1) / 2)[::-1]
    np.testing.assert_allclose(view.mosaic[: view.unit_resolution, : view.unit_resolution], expected)


def test_the_view_rebuilds_when_the_architecture_changes():
    pg = widgets.Playground("moons", layers=1, units=2)
    view = PlaygroundView(pg)
    pg.layers, pg.units = 3, 8
    pg.reset()
    view.update()
    assert view.mosaic.shape[0] > 8 * view.unit_resolution  # eight rows of maps


def test_playground_figure_is_a_static_picture_of_a_trained_run():
    fig = widgets.playground_figure("circles", layers=1, units=4, steps=200, seed=0)
    assert fig in [plt.figure(n) for n in plt.get_fignums()]  # pyplot's: plt.show() displays it
    texts = [t.get_text() for t in fig.texts]
    assert any(t.startswith("step 200") for t in texts)
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match="plt.show"):
        PlaygroundView(widgets.Playground(), pyplot=True, live=True)


def test_live_frames_equal_a_full_redraw():
    pg = widgets.Playground("moons", layers=1, units=3)
    live = PlaygroundView(pg, live=True)
    still = PlaygroundView(pg)
    for _ in range(3):
        pg.train(10)
        live.update()
        live.render()
    still.update()
    still.status.set_visible(False)  # the widget writes these under its picture instead
    still.surface_title.set_text("class probabilities over the plane")
    import io

    from PIL import Image

    frame = np.asarray(Image.open(io.BytesIO(live.render())))
    full = np.asarray(Image.open(io.BytesIO(still.render())))
    assert frame.shape == full.shape
    from test_widgets_live import differing_pixels_off_the_frames

    assert differing_pixels_off_the_frames(frame, full, still.figure) == 0  # blitting draws the same picture


def test_the_widget_steps_resets_and_restarts_on_new_data():
    box = widgets.playground(frame_steps=5)
    pg = box.pg
    assert bytes(box.image.value[:8]) == b"\x89PNG\r\n\x1a\n"
    box.step_button.click()
    box.step_button.click()
    assert pg.step == 10 and box.counters["frames"] == 3  # the first picture, then one per step
    box.controls["lr"].value = 1.0  # acts on the running training
    assert pg.lr == 1.0 and pg.step == 10
    box.controls["units"].value = 6  # a new network: starts over
    assert pg.step == 0 and pg.units == 6
    box.step_button.click()
    box.reset_button.click()
    assert pg.step == 0
    assert "bc-loss" in box.status.value


def test_play_trains_on_the_event_loop_until_pause():
    box = widgets.playground(frame_steps=5, interval=1)
    pg = box.pg

    async def press_play_then_pause() -> None:
        box.play.value = True
        assert box.play.description == "Pause"
        await asyncio.sleep(0.6)
        assert pg.step >= 10  # several frames while the loop ran
        assert box.counters["frames"] == 1 + pg.step // 5
        box.play.value = False
        await asyncio.sleep(0.05)  # the frame under way ends
        paused = pg.step
        await asyncio.sleep(0.2)
        assert pg.step == paused and box.running["task"] is None
        assert box.play.description == "Play"

    asyncio.run(press_play_then_pause())


def test_play_without_an_event_loop_trains_one_frame():
    box = widgets.playground(frame_steps=5)
    box.play.value = True
    assert box.pg.step == 5 and box.play.value is False


def test_the_widget_refuses_values_its_menus_do_not_have():
    with pytest.raises(ValueError, match="batch_size"):
        widgets.playground(batch_size=7)
    with pytest.raises(ValueError, match="l2"):
        widgets.playground(l2=0.5)
