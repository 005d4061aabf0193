"""Matrix-form layers: each backward against finite differences, known values, the scalar engine, bad shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_course import layers, losses
from backprop_course.engine import Value
from backprop_course.gradcheck import check_layer_gradients


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def away_from(x: np.ndarray, kink: float, gap: float = 0.1) -> np.ndarray:
    """Move entries within ``gap`` of ``kink`` out of that band (finite differences straddle kinks)."""
    near = np.abs(x - kink) < gap
    return np.where(near, kink + np.where(x >= kink, 1.0, -1.0) * (gap + np.abs(x - kink)), x)


def assert_all_pass(reports: dict, names: list[str], tol: float = 1e-7) -> None:
    assert list(reports) == names
    for name, report in reports.items():
        assert report.max_error < tol, f"{name}: {report}"


# ------------------------------------------------------------ gradient checks (CS231n style)


def test_linear_backward_matches_finite_differences_for_x_W_and_b():
    r = rng(1)
    inputs = {"x": r.normal(size=(5, 4)), "W": r.normal(size=(3, 4)), "b": r.normal(size=3)}
    assert_all_pass(
        check_layer_gradients(layers.linear_forward, layers.linear_backward, inputs, seed=2), ["x", "W", "b"]
    )


def test_sparse_check_of_a_big_linear_layer():
    r = rng(3)
    inputs = {"x": r.normal(size=(200, 50)), "W": r.normal(size=(30, 50)), "b": r.normal(size=30)}
    reports = check_layer_gradients(layers.linear_forward, layers.linear_backward, inputs, num_checks=15, seed=4)
    assert_all_pass(reports, ["x", "W", "b"])
    assert [r.analytic.size for r in reports.values()] == [15, 15, 15]


@pytest.mark.parametrize(
    ("name", "make_x"),
    [
        ("relu", lambda r: away_from(r.normal(size=(6, 5)), 0.0)),
        ("tanh", lambda r: r.normal(size=(6, 5))),
        ("sigmoid", lambda r: 3 * r.normal(size=(6, 5))),
    ],
)
def test_activation_backward_matches_finite_differences(name, make_x):
    fwd = getattr(layers, f"{name}_forward")
    bwd = getattr(layers, f"{name}_backward")
    assert_all_pass(check_layer_gradients(fwd, bwd, {"x": make_x(rng(5))}, seed=6), ["x"])


def test_softmax_cross_entropy_backward_matches_finite_differences():
    r = rng(7)
    inputs = {"logits": 2 * r.normal(size=(6, 4)), "y": r.integers(0, 4, size=6)}
    reports = check_layer_gradients(
        layers.softmax_cross_entropy_forward, layers.softmax_cross_entropy_backward, inputs, seed=8
    )
    assert_all_pass(reports, ["logits"])


@pytest.mark.parametrize("shape", [(7,), (7, 1)])
def test_mse_backward_matches_finite_differences_and_keeps_the_shape(shape):
    r = rng(9)
    pred, target = r.normal(size=shape), r.normal(size=7)
    assert_all_pass(
        check_layer_gradients(layers.mse_forward, layers.mse_backward, {"pred": pred, "t": target}), ["pred"]
    )
    _, cache = layers.mse_forward(pred, target)
    assert layers.mse_backward(1.0, cache).shape == shape


def test_hinge_backward_matches_finite_differences_away_from_the_margin():
    r = rng(10)
    y = np.where(r.random(8) < 0.5, -1.0, 1.0)
    margins = away_from(r.normal(size=8), 0.0)  # 1 - y s, kept away from the kink at 0
    scores = (1.0 - margins) * y
    reports = check_layer_gradients(layers.hinge_forward, layers.hinge_backward, {"scores": scores, "y": y}, seed=11)
    assert_all_pass(reports, ["scores"])


def test_binary_cross_entropy_backward_matches_finite_differences():
    r = rng(12)
    inputs = {"logits": 3 * r.normal(size=(8, 1)), "y": r.integers(0, 2, size=8)}
    reports = check_layer_gradients(
        layers.binary_cross_entropy_forward, layers.binary_cross_entropy_backward, inputs, seed=13
    )
    assert_all_pass(reports, ["logits"])


def test_a_wrong_backward_fails_the_check():
    def bad_linear_backward(dout, cache):
        dx, dW, db = layers.linear_backward(dout, cache)
        return dx, dW * 1.01, db  # 1% off

    r = rng(14)
    inputs = {"x": r.normal(size=(3, 2)), "W": r.normal(size=(2, 2)), "b": r.normal(size=2)}
    reports = check_layer_gradients(layers.linear_forward, bad_linear_backward, inputs)
    assert reports["x"].passed and reports["b"].passed
    assert not reports["W"].passed and "FAILED" in str(reports["W"])


# ------------------------------------------------------------------ known values


def test_linear_forward_and_backward_on_numbers_worked_by_hand():
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]])
    W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    b = np.array([0.5, -1.0])
    out, cache = layers.linear_forward(x, W, b)
    # row 0: (1 - 3 + 0.5, 2 + 2 - 1); row 1: (0 - 1 + 0.5, 0 - 1 - 1)
    np.testing.assert_array_equal(out, [[-1.5, 3.0], [-0.5, -2.0]])
    dout = np.array([[1.0, 0.0], [0.0, 2.0]])
    dx, dW, db = layers.linear_backward(dout, cache)
    np.testing.assert_array_equal(dx, [[1.0, 0.0, -1.0], [4.0, 2.0, 0.0]])  # row n: sum_m dout[n,m] W[m]
    np.testing.assert_array_equal(dW, [[1.0, 2.0, 3.0], [0.0, -2.0, 2.0]])  # sum_n outer(dout[n], x[n])
    np.testing.assert_array_equal(db, [1.0, 2.0])


def test_relu_gradient_is_zero_at_the_kink_like_the_engine():
    x = np.array([-1.0, 0.0, 2.0])
    out, cache = layers.relu_forward(x)
    np.testing.assert_array_equal(out, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(layers.relu_backward(np.ones(3), cache), [0.0, 0.0, 1.0])
    v = Value(0.0)
    v.relu().backward()
    assert v.grad == 0.0


def test_tanh_and_sigmoid_backward_use_the_cached_output():
    # The cache is the output: 1 - out^2 and out (1 - out), whatever produced it.
    np.testing.assert_allclose(layers.tanh_backward(np.array([2.0]), np.array([0.5])), [2.0 * 0.75])
    np.testing.assert_allclose(layers.sigmoid_backward(np.array([2.0]), np.array([0.25])), [2.0 * 0.25 * 0.75])


def test_sigmoid_is_stable_for_huge_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out, _ = layers.sigmoid_forward(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]))
    assert out[0] == 0.0 and out[2] == 0.5 and out[4] == 1.0
    assert out[1] == pytest.approx(math.exp(-30.0) / (1 + math.exp(-30.0)), rel=1e-12)
    assert out[3] == pytest.approx(1.0 / (1 + math.exp(-30.0)), rel=1e-15)


def test_softmax_cross_entropy_of_equal_logits_is_log_C_with_gradient_p_minus_onehot():
    loss, cache = layers.softmax_cross_entropy_forward(np.zeros((2, 4)), np.array([1, 3]))
    assert loss == pytest.approx(math.log(4.0), rel=1e-15)
    dz = layers.softmax_cross_entropy_backward(1.0, cache)
    expected = np.full((2, 4), 0.25)
    expected[0, 1] -= 1.0
    expected[1, 3] -= 1.0
    np.testing.assert_allclose(dz, expected / 2, rtol=1e-15)
    np.testing.assert_allclose(layers.softmax_cross_entropy_backward(3.0, cache), 3 * expected / 2, rtol=1e-15)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, cache = layers.softmax_cross_entropy_forward(np.array([[1000.0, 0.0], [1000.0, 0.0]]), np.array([1, 0]))
    assert loss == pytest.approx(1000.0 / 2, rel=1e-12)  # example 0 costs 1000, example 1 costs ~0
    np.testing.assert_allclose(layers.softmax_cross_entropy_backward(1.0, cache), [[0.5, -0.5], [0.0, 0.0]], atol=1e-15)
    np.testing.assert_allclose(layers.softmax(np.array([[1000.0, 1000.0]])), [[0.5, 0.5]])


def test_bce_is_stable_for_huge_logits():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, _ = layers.binary_cross_entropy_forward(np.array([800.0, -800.0]), np.array([0, 1]))
    assert loss == pytest.approx(800.0, rel=1e-12)


def test_hinge_on_numbers_worked_by_hand():
    scores, y = np.array([2.0, 0.5, -0.5, 1.0]), np.array([1.0, 1.0, 1.0, -1.0])
    loss, cache = layers.hinge_forward(scores, y)
    assert loss == pytest.approx((0 + 0.5 + 1.5 + 2.0) / 4)
    np.testing.assert_array_equal(layers.hinge_backward(1.0, cache), [0.0, -0.25, -0.25, 0.25])


# ------------------------------------------- the same numbers as the scalar engine's losses


def scalar_loss_and_grads(fn, scores, labels):
    """Loss and d loss / d scores from the scalar engine (an independent implementation)."""
    vals = [[Value(float(v)) for v in row] for row in scores] if scores.ndim == 2 else [Value(float(v)) for v in scores]
    total = fn(vals, labels)
    total.backward()
    grads = [[v.grad for v in row] for row in vals] if scores.ndim == 2 else [v.grad for v in vals]
    return total.data, np.array(grads)


@pytest.mark.parametrize(
    ("fwd", "bwd", "scalar", "make"),
    [
        (layers.mse_forward, layers.mse_backward, losses.mse, lambda r: (r.normal(size=9), r.normal(size=9))),
        (
            layers.hinge_forward,
            layers.hinge_backward,
            losses.hinge,
            lambda r: (r.normal(size=9), np.where(r.random(9) < 0.5, -1.0, 1.0)),
        ),
        (
            layers.binary_cross_entropy_forward,
            layers.binary_cross_entropy_backward,
            losses.binary_cross_entropy,
            lambda r: (4 * r.normal(size=9), r.integers(0, 2, size=9)),
        ),
        (
            layers.softmax_cross_entropy_forward,
            layers.softmax_cross_entropy_backward,
            losses.softmax_cross_entropy,
            lambda r: (3 * r.normal(size=(9, 4)), r.integers(0, 4, size=9)),
        ),
    ],
)
def test_losses_agree_with_the_scalar_engine(fwd, bwd, scalar, make):
    scores, labels = make(rng(15))
    loss, cache = fwd(scores, labels)
    expected_loss, expected_grad = scalar_loss_and_grads(scalar, scores, labels)
    assert loss == pytest.approx(expected_loss, rel=1e-13, abs=1e-15)
    np.testing.assert_allclose(bwd(1.0, cache), expected_grad, rtol=1e-12, atol=1e-15)


# -------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: layers.linear_forward(np.zeros((5, 3)), np.zeros((4, 2)), np.zeros(4)),
            r"linear_forward: x has 3 columns but W expects 2 inputs \(W has shape \(4, 2\)\)",
        ),
        (
            lambda: layers.linear_forward(np.zeros(3), np.zeros((4, 3)), np.zeros(4)),
            r"x must have shape \(N, D\).*got shape \(3,\).*x\[None, :\]",
        ),
        (
            lambda: layers.linear_forward(np.zeros((5, 3)), np.zeros(3), np.zeros(1)),
            r"W must have shape \(M, D\).*got shape \(3,\)",
        ),
        (
            lambda: layers.linear_forward(np.zeros((5, 2)), np.zeros((4, 2)), np.zeros(2)),
            r"b has shape \(2,\) but W has shape \(4, 2\), so b must have shape \(4,\)",
        ),
        (
            lambda: layers.linear_backward(
                np.zeros((5, 3)), layers.linear_forward(np.zeros((5, 2)), np.zeros((4, 2)), np.zeros(4))[1]
            ),
            r"linear_backward: dout has shape \(5, 3\) but the forward output had shape \(5, 4\)",
        ),
        (
            lambda: layers.relu_backward(np.zeros((2, 3)), layers.relu_forward(np.zeros((3, 2)))[1]),
            r"relu_backward: dout has shape \(2, 3\) but the forward output had shape \(3, 2\)",
        ),
        (
            lambda: layers.tanh_backward(np.zeros(4), layers.tanh_forward(np.zeros(3))[1]),
            r"tanh_backward: dout has shape \(4,\)",
        ),
        (
            lambda: layers.softmax_cross_entropy_forward(np.zeros((4, 3)), np.array([0, 1, 2])),
            r"y has shape \(3,\) but logits has shape \(4, 3\); y must have shape \(4,\)",
        ),
        (
            lambda: layers.softmax_cross_entropy_forward(np.zeros((2, 3)), np.array([0, 3])),
            r"class indices in 0\.\.2 \(logits has 3 columns\), got values from 0 to 3",
        ),
        (
            lambda: layers.softmax_cross_entropy_forward(np.zeros((2, 3)), np.array([0.5, 1.0])),
            r"integer class labels",
        ),
        (lambda: layers.softmax_cross_entropy_forward(np.zeros(3), np.array([0])), r"logits must have shape \(N, C\)"),
        (
            lambda: layers.mse_forward(np.zeros((4, 2)), np.zeros(4)),
            r"pred must have shape \(N,\) or \(N, 1\).*\(4, 2\)",
        ),
        (
            lambda: layers.mse_forward(np.zeros(4), np.zeros(5)),
            r"target has shape \(5,\) but there are 4 examples",
        ),
        (lambda: layers.hinge_forward(np.zeros(3), np.array([0, 1, 1])), r"-1 or \+1, got \[0\.0\].*2 \* y - 1"),
        (
            lambda: layers.binary_cross_entropy_forward(np.zeros(2), np.array([0, 2])),
            r"labels must be 0 or 1, got \[2\.0\]",
        ),
        (lambda: layers.mse_forward(np.zeros(0), np.zeros(0)), r"pred is empty"),
        (
            lambda: layers.hinge_backward(np.ones(3), layers.hinge_forward(np.zeros(3), np.ones(3))[1]),
            r"dloss .* must be one real number, got ndarray of shape \(3,\)",
        ),
    ],
)
def test_bad_shapes_and_labels_raise_value_errors_that_name_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match="relu_forward: x must be an array of numbers"):
        layers.relu_forward(["a", "b"])


def test_activation_layers_cover_the_scalar_activations():
    from backprop_course.nn import ACTIVATIONS

    assert set(layers.ACTIVATION_LAYERS) == set(ACTIVATIONS)
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    for name, (fwd, _) in layers.ACTIVATION_LAYERS.items():
        expected = [ACTIVATIONS[name](Value(float(v))).data for v in x]
        np.testing.assert_allclose(fwd(x)[0], expected, rtol=1e-15, err_msg=name)
