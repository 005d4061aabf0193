"""The scalar autograd engine: every op's gradient, graph shapes, repeated backward, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_course.engine import (
    BACKWARD_RULES,
    TrainingDivergedError,
    Value,
    custom_backward_rules,
    topological_order,
)
from backprop_course.gradcheck import check_gradients

finite = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False)
positive = st.floats(min_value=0.1, max_value=5.0)
away_from_zero = finite.filter(lambda x: abs(x) > 0.05)


def assert_gradcheck(f, *xs, tol=1e-6):
    report = check_gradients(f, xs, tol=tol)
    assert report.passed, str(report)


# --------------------------------------------------------------- forward values


def test_forward_values_match_math():
    a, b = Value(2.0), Value(-3.0)
    assert (a + b).data == -1.0
    assert (a - b).data == 5.0
    assert (a * b).data == -6.0
    assert (a / b).data == pytest.approx(-2.0 / 3.0)
    assert (a**3).data == 8.0
    assert (a ** Value(0.5)).data == pytest.approx(math.sqrt(2.0))
    assert (-a).data == -2.0
    assert (1 + a).data == 3.0 and (1 - a).data == -1.0 and (3 * a).data == 6.0 and (1 / a).data == 0.5
    assert (2**a).data == 4.0
    assert a.exp().data == pytest.approx(math.e**2)
    assert a.log().data == pytest.approx(math.log(2.0))
    assert b.tanh().data == pytest.approx(math.tanh(-3.0))
    assert b.sigmoid().data == pytest.approx(1 / (1 + math.exp(3.0)))
    assert b.relu().data == 0.0 and a.relu().data == 2.0
    assert Value.sum([a, b, 4.0]).data == 3.0
    assert Value.dot([a, b], [1.0, 2.0], Value(0.5)).data == pytest.approx(2.0 - 6.0 + 0.5)


def test_data_is_float64():
    assert type(Value(3).data) is float
    import numpy as np

    assert type(Value(np.float32(1.5)).data) is float
    assert type(Value(np.int64(2)).data) is float


def test_sigmoid_is_stable_for_large_inputs():
    assert Value(800.0).sigmoid().data == 1.0
    assert Value(-800.0).sigmoid().data == 0.0


# ---------------------------------------------------- every op against finite differences


@settings(max_examples=40, deadline=None)
@given(finite, finite)
def test_add_sub_mul_gradients(x, y):
    assert_gradcheck(lambda a, b: a + b, x, y)
    assert_gradcheck(lambda a, b: a - b, x, y)
    assert_gradcheck(lambda a, b: a * b, x, y)
    assert_gradcheck(lambda a, b: -a * 3.0 + 2.0 - b, x, y)


@settings(max_examples=40, deadline=None)
@given(finite, away_from_zero)
def test_div_gradients(x, y):
    assert_gradcheck(lambda a, b: a / b, x, y)
    assert_gradcheck(lambda a, b: 2.0 / b + a, x, y)


@settings(max_examples=40, deadline=None)
@given(away_from_zero, st.sampled_from([-2.0, -1.0, 0.5, 2.0, 3.0]))
def test_pow_number_exponent_gradient(x, n):
    if x < 0 and not float(n).is_integer():
        x = -x
    assert_gradcheck(lambda a: a**n, x)


@settings(max_examples=40, deadline=None)
@given(positive, st.floats(min_value=-2.0, max_value=2.0))
def test_pow_value_exponent_gradients(x, y):
    assert_gradcheck(lambda a, b: a**b, x, y)
    assert_gradcheck(lambda b: 2.0**b, y)


@settings(max_examples=40, deadline=None)
@given(finite)
def test_unary_gradients(x):
    assert_gradcheck(lambda a: a.exp(), x)
    assert_gradcheck(lambda a: a.tanh(), x)
    assert_gradcheck(lambda a: a.sigmoid(), x)


@settings(max_examples=40, deadline=None)
@given(positive)
def test_log_gradient(x):
    assert_gradcheck(lambda a: a.log(), x)


@settings(max_examples=40, deadline=None)
@given(away_from_zero)
def test_relu_gradient_away_from_kink(x):
    assert_gradcheck(lambda a: a.relu(), x)


def test_relu_gradient_at_kink_is_zero():
    a = Value(0.0)
    a.relu().backward()
    assert a.grad == 0.0


@settings(max_examples=30, deadline=None)
@given(st.lists(away_from_zero, min_size=2, max_size=6))
def test_sum_and_dot_gradients(xs):
    # away from 0: dot's gradient is the other vector, and a gradient of 1e-7 is below what central
    # differences can resolve in relative terms (round-off ~1e-10 / 1e-7), not an engine error
    n = len(xs) // 2
    assert_gradcheck(lambda *v: Value.sum(v), *xs)
    assert_gradcheck(lambda *v: Value.dot(v[:n], v[n : 2 * n], v[-1]).tanh(), *xs)
    assert_gradcheck(lambda *v: Value.dot(v[:n], v[n : 2 * n]), *xs[: 2 * n])


# ----------------------------------------------------------------- graph shapes


def test_fan_out_sums_gradients():
    a = Value(3.0)
    b = a + a  # the reused-node case: db/da = 2, not 1
    b.backward()
    assert a.grad == 2.0
    x = Value(2.0)
    y = x * x * x  # x used three times: 3 x^2 = 12
    y.backward()
    assert x.grad == 12.0


def test_diamond_graph():
    x = Value(0.5)
    u, v = x.tanh(), x.exp()
    f = u * v
    f.backward()
    expected = (1 - math.tanh(0.5) ** 2) * math.exp(0.5) + math.tanh(0.5) * math.exp(0.5)
    assert x.grad == pytest.approx(expected, rel=1e-12)
    assert u.grad == pytest.approx(math.exp(0.5)) and v.grad == pytest.approx(math.tanh(0.5))


def test_million_node_chain_has_no_recursion_error():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0
    assert y.data == 1_000_001.0


def test_topological_order_puts_children_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    t = d.tanh()
    e = t * c
    order = topological_order(e)
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node.children:
            if child.children:
                assert position[id(child)] < position[id(node)]
    assert order[-1] is e
    assert sorted(map(id, order)) == sorted(map(id, [c, d, t, e]))  # interior nodes, each once


# ------------------------------------------------------------ repeated backward


def test_second_backward_accumulates_leaves_but_recomputes_interior():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    L = c + a
    L.backward()
    assert (a.grad, b.grad, c.grad) == (-2.0, 2.0, 1.0)
    L.backward()
    assert (a.grad, b.grad) == (-4.0, 4.0)  # leaves: accumulated, as in PyTorch
    assert c.grad == 1.0  # interior: recomputed, not doubled
    assert L.grad == 1.0


def test_zero_grad_between_backward_calls_gives_the_same_gradient():
    a = Value(0.3)
    L = (a * 2.0).tanh()
    L.backward()
    first = a.grad
    a.grad = 0.0
    L.backward()
    assert a.grad == first


def test_backward_from_a_leaf():
    a = Value(5.0)
    a.backward()
    assert a.grad == 1.0


# ------------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad", ["1.0", None, [1.0], {"a": 1}, True, 1 + 2j])
def test_value_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match="must be a real number"):
        Value(bad)


def test_value_of_value_says_use_it_directly():
    with pytest.raises(TypeError, match="already a Value"):
        Value(Value(1.0))


def test_string_data_gets_a_conversion_hint():
    with pytest.raises(TypeError, match=r"Value\(float\(text\)\)"):
        Value("2.5")


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_operand_that_is_not_a_number(op):
    a = Value(2.0)
    with pytest.raises(TypeError, match="must be a real number, got str"):
        eval(f"a {op} 'x'", {"a": a})
    with pytest.raises(TypeError, match="must be a real number"):
        eval(f"'x' {op} a", {"a": a})


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_non_positive(x):
    with pytest.raises(ValueError, match=rf"log is defined only for positive numbers, got log\({x}\)"):
        Value(x).log()


def test_negative_base_with_value_exponent():
    with pytest.raises(ValueError, match="needs a positive base, got base -2.0"):
        Value(-2.0) ** Value(2.0)


def test_negative_base_with_fractional_number_exponent():
    with pytest.raises(ValueError, match="not a real number"):
        Value(-2.0) ** 0.5
    assert (Value(-2.0) ** 2).data == 4.0  # integer powers of negatives are fine


def test_division_by_zero_is_explained():
    with pytest.raises(ZeroDivisionError, match="division by a Value that is zero"):
        Value(1.0) / 0.0
    with pytest.raises(ZeroDivisionError, match="negative power of zero"):
        Value(0.0) ** -1


def test_exp_overflow_mentions_learning_rate():
    with pytest.raises(OverflowError, match="learning rate"):
        Value(1000.0).exp()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_backward_from_nan_or_inf_says_training_diverged(bad):
    w = Value(1.0)
    loss = w * bad
    with pytest.raises(TrainingDivergedError, match="diverged: try a smaller learning rate"):
        loss.backward()


def test_dot_length_mismatch():
    with pytest.raises(ValueError, match="2 weights and 3 inputs"):
        Value.dot([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])


def test_empty_sum():
    with pytest.raises(ValueError, match="at least one value"):
        Value.sum([])


# ---------------------------------------------------- plugging in a backward rule


def test_custom_backward_rule_is_used_and_restored():
    original = BACKWARD_RULES["tanh"]
    calls = []

    def wrong_tanh_backward(out: Value) -> None:  # uses the input instead of the output
        (a,) = out.children
        calls.append(out)
        a.grad += (1 - a.data**2) * out.grad

    x = Value(0.5)
    with custom_backward_rules({"tanh": wrong_tanh_backward}):
        x.tanh().backward()
    assert calls and x.grad == pytest.approx(0.75)
    assert BACKWARD_RULES["tanh"] is original
    y = Value(0.5)
    y.tanh().backward()
    assert y.grad == pytest.approx(1 - math.tanh(0.5) ** 2)


def test_custom_backward_rule_restored_after_an_exception():
    original = BACKWARD_RULES["*"]

    def broken(out: Value) -> None:
        raise RuntimeError("student bug")

    with pytest.raises(RuntimeError), custom_backward_rules({"*": broken}):
        (Value(1.0) * 2.0).backward()
    assert BACKWARD_RULES["*"] is original


def test_custom_backward_rule_for_unknown_op():
    with pytest.raises(KeyError, match="no op named"):
        with custom_backward_rules({"matmul": lambda out: None}):
            pass


def test_repr_and_label():
    v = Value(1.5, label="w")
    assert repr(v) == "Value(data=1.5, grad=0, label='w')"
    assert v.op == "" and (v * 2).op == "*"


def test_dot_wraps_plain_number_inputs_including_numpy_scalars():
    import numpy as np

    w = [Value(2.0), Value(3.0)]
    out = Value.dot(w, [np.float64(1.5), 2])
    assert out.data == 9.0
    out.backward()
    assert [wi.grad for wi in w] == [1.5, 2.0]
    with pytest.raises(TypeError, match="weights that are Values"):
        Value.dot([1.0, 2.0], [Value(1.0), Value(2.0)])  # type: ignore[list-item]
