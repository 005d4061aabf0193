"""Widget callbacks of notebooks 01-03: finite differences and the 2-input neuron.

Expected values are worked out by hand from the formulas, not by the code under test.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from backprop_course import widgets


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------ nudging (notebook 01)


def test_nudge_estimates_of_the_quadratic_match_hand_computation():
    # f(x) = 3x^2 - 4x + 5, f'(x) = 6x - 4. Forward difference = 6x - 4 + 3h exactly,
    # central difference = 6x - 4 exactly (the quadratic's h^2 terms cancel).
    est = widgets.nudge_estimates(3.0, 0.001)
    assert est["exact"] == 14.0
    assert est["forward"] == pytest.approx(14.003, abs=1e-9)
    assert est["central"] == pytest.approx(14.0, abs=1e-9)
    assert est["forward_error"] == pytest.approx(0.003, abs=1e-9)
    assert est["central_error"] < 1e-9


@pytest.mark.parametrize("func", sorted(widgets.NUDGE_FUNCTIONS))
def test_each_nudge_function_has_the_right_derivative(func):
    # the hand-written f' agrees with a fine central difference at a few points
    f, df = widgets.NUDGE_FUNCTIONS[func]
    for x in (-1.3, 0.0, 0.4, 2.1):
        h = 1e-5
        assert df(x) == pytest.approx((f(x + h) - f(x - h)) / (2 * h), rel=1e-7, abs=1e-8)


def test_forward_error_is_first_order_and_central_second_order():
    # tanh at 0.5: f''(0.5) and f'''(0.5) are nonzero. Halving h in the truncation regime
    # should halve the forward error and quarter the central error.
    f, df = widgets.NUDGE_FUNCTIONS["tanh(x)"]
    hs = np.array([1e-2, 5e-3])
    fwd, cen = widgets.finite_difference_errors(f, df, 0.5, hs)
    assert fwd[0] / fwd[1] == pytest.approx(2.0, rel=0.02)
    assert cen[0] / cen[1] == pytest.approx(4.0, rel=0.02)
    # the leading truncation terms: h/2 |f''| and h^2/6 |f'''|
    t = math.tanh(0.5)
    f2 = -2 * t * (1 - t * t)
    f3 = -2 * (1 - t * t) * (1 - 3 * t * t)
    assert fwd[0] == pytest.approx(1e-2 / 2 * abs(f2), rel=0.05)
    assert cen[0] == pytest.approx(1e-4 / 6 * abs(f3), rel=0.05)


def test_round_off_takes_over_for_tiny_steps():
    f, df = widgets.NUDGE_FUNCTIONS["sin(x)"]
    hs = np.logspace(-15, 0, 61)
    fwd, cen = widgets.finite_difference_errors(f, df, 1.0, hs)
    h_fwd, e_fwd = widgets.best_step(hs, fwd)
    h_cen, e_cen = widgets.best_step(hs, cen)
    # the best forward step is near sqrt(eps) ~ 1e-8, the best central near eps^(1/3) ~ 1e-5
    assert 1e-10 <= h_fwd <= 1e-6
    assert 1e-7 <= h_cen <= 1e-3
    assert e_cen < e_fwd < 1e-6
    # at h = 1e-15 round-off makes both far worse than at their best step
    assert fwd[0] > 1e3 * e_fwd
    assert cen[0] > 1e3 * e_cen


def test_best_step_picks_the_smallest_error():
    assert widgets.best_step([1.0, 0.1, 0.01], [3.0, 0.5, 2.0]) == (0.1, 0.5)
    with pytest.raises(ValueError, match="same shape"):
        widgets.best_step([1.0, 0.1], [1.0])


@pytest.mark.parametrize("h", [0.0, -1e-3, float("nan"), float("inf")])
def test_bad_steps_are_rejected(h):
    with pytest.raises(ValueError, match="positive"):
        widgets.nudge_estimates(1.0, h)
    f, df = widgets.NUDGE_FUNCTIONS["sin(x)"]
    with pytest.raises(ValueError, match="positive"):
        widgets.finite_difference_errors(f, df, 1.0, [1e-3, h])


def test_unknown_function_is_named_in_the_error():
    with pytest.raises(ValueError, match="choose one of"):
        widgets.nudge_estimates(1.0, 0.1, func="cosh(x)")


def test_plot_nudge_draws_secants_with_the_estimated_slopes():
    fig = widgets.plot_nudge(x=3.0, h=0.5)
    ax, ax_err = fig.axes
    labels = [line.get_label() for line in ax.get_lines()]
    # forward slope at x=3, h=0.5: 14 + 3*0.5 = 15.5; central: 14
    assert "tangent, slope 14" in labels
    assert "forward secant, slope 15.5" in labels
    assert "central secant, slope 14" in labels
    assert ax_err.get_xscale() == "log" and ax_err.get_yscale() == "log"


# ------------------------------------------------------------ one neuron (notebook 03)


@pytest.mark.parametrize("w1, w2, b", [(1.0, 1.0, -1.5), (2.0, -0.5, 0.3), (0.1, 3.0, 1.0), (-3.0, 0.0, 0.7)])
def test_decision_line_points_satisfy_the_line_equation(w1, w2, b):
    line = widgets.decision_line(w1, w2, b, (-1.0, 2.0), (-1.0, 2.0))
    assert line is not None and line.shape == (2, 2)
    assert not np.allclose(line[0], line[1])
    for x1, x2 in line:
        assert w1 * x1 + w2 * x2 + b == pytest.approx(0.0, abs=1e-12)


def test_decision_line_of_w_1_1_b_minus_1_5_crosses_the_axes_at_1_5():
    line = widgets.decision_line(1.0, 1.0, -1.5, (0.0, 1.5), (0.0, 1.5))
    np.testing.assert_allclose(line, [[0.0, 1.5], [1.5, 0.0]])


def test_zero_weights_have_no_decision_line():
    assert widgets.decision_line(0.0, 0.0, 1.0, (0, 1), (0, 1)) is None
    fig = widgets.plot_neuron(0.0, 0.0, 0.5)
    assert "no line" in " ".join(t.get_text() for t in fig.axes[0].texts)


def test_neuron_output_applies_the_activation_to_w_dot_x_plus_b():
    X = np.array([[0.0, 0.0], [1.0, 2.0], [-2.0, 1.0]])
    z, a = widgets.neuron_output(X, 0.5, -1.0, 0.25, "relu")
    np.testing.assert_allclose(z, [0.25, -1.25, -1.75])
    np.testing.assert_allclose(a, [0.25, 0.0, 0.0])
    _, s = widgets.neuron_output(X, 0.5, -1.0, 0.25, "sigmoid")
    np.testing.assert_allclose(s, 1.0 / (1.0 + np.exp(-z)))
    _, t = widgets.neuron_output(X, 0.5, -1.0, 0.25, "tanh")
    np.testing.assert_allclose(t, np.tanh(z))
    with pytest.raises(ValueError, match="shape"):
        widgets.neuron_output(np.zeros((3, 3)), 1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="activation"):
        widgets.neuron_output(X, 1.0, 1.0, 0.0, "softplus")


def test_plot_neuron_counts_the_points_on_the_right_side():
    # w = (1, 1), b = -1.5 separates AND: only (1, 1) has z = 0.5 > 0
    fig = widgets.plot_neuron(1.0, 1.0, -1.5, "sigmoid", "AND")
    assert fig.axes[0].get_title().endswith("4 of 4 points right")
    # XOR labels 0,1,1,0 at (0,0),(0,1),(1,0),(1,1); the same line predicts 0,0,0,1: right at (0,0) only
    fig = widgets.plot_neuron(1.0, 1.0, -1.5, "sigmoid", "XOR")
    assert fig.axes[0].get_title().endswith("1 of 4 points right")
    with pytest.raises(ValueError, match="dataset"):
        widgets.plot_neuron(dataset="iris")


def test_every_neuron_dataset_is_two_classes_in_two_dimensions():
    for name, make in widgets.NEURON_DATASETS.items():
        X, y = make()
        assert X.shape == (len(y), 2), name
        assert set(np.unique(y).tolist()) == {0, 1}, name


def _png(explorer):
    # an explorer: its controls (by name), then an Image widget holding the picture as PNG bytes
    png = bytes(explorer.image.value)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return png


def test_explorers_draw_a_picture_and_redraw_it_when_a_slider_moves():
    pytest.importorskip("ipywidgets")
    nudge = widgets.nudge_explorer()
    assert [c.description for c in nudge.children[:-1]] == ["x", "h", "f"]
    assert nudge.children[-1] is nudge.image
    before = _png(nudge)
    nudge.controls["h"].value = 1e-6
    assert _png(nudge) != before
    assert nudge.controls["x"].continuous_update  # cheap enough to follow a drag

    neuron = widgets.neuron_explorer()
    assert [c.description for c in neuron.children[:-1]] == ["w1", "w2", "b", "activation", "data"]
    before = _png(neuron)
    neuron.controls["w1"].value = -2.0
    assert _png(neuron) != before
    assert plt.get_fignums() == []  # the explorers' figures live outside pyplot: nothing to close


def test_an_explorers_picture_after_changes_is_the_static_picture_at_the_final_values():
    pytest.importorskip("ipywidgets")
    nudge = widgets.nudge_explorer()
    for x in (0.5, 2.0, -1.0):
        nudge.controls["x"].value = x
    nudge.controls["func"].value = "sin(x)"
    static = widgets.plot_nudge(x=-1.0, h=0.1, func="sin(x)")
    for live_ax, static_ax in zip(nudge.view.figure.axes, static.axes):
        assert live_ax.get_title() == static_ax.get_title()
        assert live_ax.get_xlim() == pytest.approx(static_ax.get_xlim())
        assert live_ax.get_ylim() == pytest.approx(static_ax.get_ylim())
        live_lines, static_lines = live_ax.get_lines(), static_ax.get_lines()
        assert [line.get_label() for line in live_lines] == [line.get_label() for line in static_lines]
        for a, b in zip(live_lines, static_lines):
            np.testing.assert_allclose(np.asarray(a.get_xydata()), np.asarray(b.get_xydata()))


def test_figure_explorer_passes_control_values_to_the_plot_function_once_per_change():
    ipywidgets = pytest.importorskip("ipywidgets")
    calls = []

    def plot(a, b):
        calls.append((a, b))
        fig, ax = plt.subplots()
        ax.plot([0, 1], [a, b])
        return fig

    explorer = widgets.figure_explorer(
        plot, a=ipywidgets.IntSlider(value=2, max=5), b=ipywidgets.Dropdown(options=[7, 8])
    )
    assert calls == [(2, 7)]
    explorer.children[1].value = 8
    assert calls == [(2, 7), (2, 8)]
    output = explorer.children[-1].outputs[0]
    assert output["output_type"] == "display_data" and "image/png" in output["data"]


def test_nudge_explorer_starts_where_asked_and_rejects_a_start_off_the_sliders():
    pytest.importorskip("ipywidgets")
    explorer = widgets.nudge_explorer(x=3.0, h=1.0, func="tanh(x)")
    assert [c.value for c in explorer.children[:-1]] == [3.0, 1.0, "tanh(x)"]
    with pytest.raises(ValueError, match="ranges"):
        widgets.nudge_explorer(x=5.5)
    with pytest.raises(ValueError, match="quarter decades"):
        widgets.nudge_explorer(h=0.5)  # would snap to 0.5623 in the browser
    assert widgets.nudge_explorer(x=5.0, h=10**-0.25).children[1].value == pytest.approx(10**-0.25)
    with pytest.raises(ValueError, match="positive"):
        widgets.nudge_explorer(h=0.0)
    with pytest.raises(ValueError, match="choose one of"):
        widgets.nudge_explorer(func="cosh(x)")
