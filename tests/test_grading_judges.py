"""The judges, run in this process (no sandbox): expected values, credit, hints, strictness.

The reference solutions in tests/grading_submissions are plain analytic formulas
written independently of the judges, so "full credit at every seed" checks the
judges' numerical derivatives against the math, and the hint tests check that a
known mistake is named.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backprop_course.grading import _child
from backprop_course.grading.checks import (
    AnswerError,
    Check,
    JudgeContext,
    credit_for,
    expect_array,
    expect_number,
    expect_pair,
    rel_error,
    score_checks,
)
from backprop_course.grading.graphs import build_graph, deep_chain, fanout_graph, random_graph
from backprop_course.grading.hw1_local_gradients import numerical_derivative
from backprop_course.grading.hw2_backward_pass import check_order
from backprop_course.grading.hw3_matrix_backprop import complex_step_gradient, two_layer_loss
from backprop_course.grading.specs import get_assignment, test_rng

SUBMISSIONS = Path(__file__).parent / "grading_submissions"


def namespace(name: str) -> dict[str, Any]:
    path = SUBMISSIONS / name
    ns: dict[str, Any] = {"__name__": "__submission__"}
    exec(compile(path.read_text(), str(path), "exec"), ns)
    return ns


def judge_in_process(assignment: str, ns: dict[str, Any], seed: int, only: set[str] | None = None) -> dict:
    """test name -> checks, with the probe run here and every message passed through JSON."""
    out = {}
    for test in get_assignment(assignment).tests:
        if only is not None and test.name not in only:
            continue
        prep = test.prepare(test_rng(seed, test.name))
        payload = json.loads(json.dumps(prep.payload))
        result = _child._probe(prep.probe)(ns, payload, _child.Guard(time.monotonic() + 120, {}))
        out[test.name] = prep.judge(json.loads(json.dumps(result)), JudgeContext())
    return out


def failing(checks: list[Check]) -> list[str]:
    return [c.message for c in checks if c.credit < 1.0]


@pytest.mark.parametrize("seed", range(25))
def test_hw1_reference_gets_full_credit_at_every_seed(seed):
    for name, checks in judge_in_process("hw1", namespace("hw1_correct.py"), seed).items():
        assert failing(checks) == [], name


@pytest.mark.parametrize("seed", range(10))
def test_hw3_reference_gets_full_credit_at_every_seed(seed):
    for name, checks in judge_in_process("hw3", namespace("hw3_correct.py"), seed).items():
        assert failing(checks) == [], name


@pytest.mark.parametrize("seed", range(4))
def test_hw2_reference_gets_full_credit_on_graphs(seed):
    graph_tests = {t.name for t in get_assignment("hw2").tests if t.name != "train_xor"}
    for name, checks in judge_in_process("hw2", namespace("hw2_correct.py"), seed, graph_tests).items():
        assert failing(checks) == [], name


def test_hw2_reference_trains_xor():
    (checks,) = judge_in_process("hw2", namespace("hw2_correct.py"), 0, {"train_xor"}).values()
    assert [c.label for c in checks] == [
        "history",
        "uses your backward",
        "reproducible",
        "same losses as the reference run",
        "loss decreases",
        "accuracy 1.0",
    ]
    assert failing(checks) == []


@pytest.mark.parametrize("assignment", ["hw1", "hw2", "hw3", "hw4"])
def test_inputs_depend_on_the_seed(assignment):
    for test in get_assignment(assignment).tests:
        a = test.prepare(test_rng(1, test.name)).payload
        again = test.prepare(test_rng(1, test.name)).payload
        b = test.prepare(test_rng(2, test.name)).payload
        assert json.dumps(a) == json.dumps(again), test.name
        assert json.dumps(a) != json.dumps(b), test.name


def test_answers_hard_coded_for_one_seed_fail_at_another():
    test = get_assignment("hw1").test("mul_backward")
    prep = test.prepare(test_rng(1, test.name))
    answers = [tuple(map(float, (args[1] * args[3], args[0] * args[3]))) for args in prep.payload["calls"]]
    replay = iter(answers)
    ns = {"mul_backward": lambda a, b, out, dout: next(replay)}
    (checks,) = judge_in_process("hw1", ns, 2, {"mul_backward"}).values()
    assert score_checks(checks, test.max_score) == 0.0


def test_hw1_numerical_derivative_matches_calculus():
    # 1e-9 leaves a factor 100 below the full-credit threshold 1e-7
    for x in np.linspace(-4, 4, 81):
        assert rel_error(numerical_derivative(math.tanh, x), 1 - math.tanh(x) ** 2) < 1e-9
        assert rel_error(numerical_derivative(math.exp, x), math.exp(x)) < 1e-9
        assert rel_error(numerical_derivative(lambda t: t**3, x), 3 * x**2) < 1e-9


def test_complex_step_matches_calculus_and_central_differences():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    grad = complex_step_gradient(lambda z: np.sum(np.sin(z)), (x,), 0)
    assert rel_error(grad, np.cos(x)) < 1e-15
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 3, 5)
    W1, b1, W2, b2 = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(3, 4)), rng.normal(size=3)
    args = [X, y, W1, b1, W2, b2]
    exact = complex_step_gradient(two_layer_loss, args, 4)
    central = np.empty_like(W2)
    for idx in np.ndindex(W2.shape):
        up, down = W2.copy(), W2.copy()
        up[idx] += 1e-6
        down[idx] -= 1e-6
        central[idx] = (two_layer_loss(X, y, W1, b1, up, b2) - two_layer_loss(X, y, W1, b1, down, b2)) / 2e-6
    assert np.max(np.abs(exact - central)) < 1e-8


def test_hw1_feedback_names_the_mistake():
    results = judge_in_process("hw1", namespace("hw1_partly_wrong.py"), 0)
    expected_hints = {
        "mul_backward": "forgot the chain-rule factor",
        "div_backward": "sign error",
        "pow_backward": "the exponent drops by one",
        "tanh_backward": "you used the input a",
    }
    for name, checks in results.items():
        if name in expected_hints:
            messages = failing(checks)
            assert messages, name
            assert all(expected_hints[name] in m for m in messages), (name, messages)
        else:
            assert failing(checks) == [], name
    div = results["div_backward"]
    assert score_checks(div, 1.0) == 0.5  # da right at every point, db wrong at every point


def test_hw1_tanh_and_sigmoid_hints_for_the_input_instead_of_the_output():
    ns = {
        "tanh_backward": lambda a, out, dout: (1 - math.tanh(out) ** 2) * dout,
        "sigmoid_backward": lambda a, out, dout: a * (1 - a) * dout,
    }
    results = judge_in_process("hw1", ns, 3, {"tanh_backward", "sigmoid_backward"})
    assert all("out is already tanh(a)" in m for m in failing(results["tanh_backward"]))
    assert all("you used the input a" in m for m in failing(results["sigmoid_backward"]))


def test_hw3_feedback_names_the_mistake():
    ns = namespace("hw3_correct.py")
    ns["tanh_backward"] = lambda dout, cache: dout * (1 - np.tanh(cache) ** 2)
    ns["linear_backward"] = lambda dout, cache: (dout @ cache[1], cache[0].T @ dout, dout.sum(axis=0))
    results = judge_in_process("hw3", ns, 0, {"tanh_backward", "linear_backward"})
    assert all("cache is the forward *output*" in m for m in failing(results["tanh_backward"]))
    dW = [m for m in failing(results["linear_backward"])]
    assert len(dW) == 3 and all("dW has shape" in m and "dW = dout.T @ x" in m for m in dW)


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (True, "a bool"),
        ("0.5", "a str '0.5'"),
        (None, "forget `return`"),
        ({"__object__": "AlwaysEqual"}, "an object of type AlwaysEqual"),
        ([1.0, 2.0], "a list of 2 items"),
        ({"__tuple__": [1.0]}, "a tuple of 1 item"),
    ],
)
def test_a_number_must_be_a_number(answer, fragment):
    with pytest.raises(AnswerError, match=fragment.replace("(", r"\(").replace("?", r"\?")):
        expect_number(answer, "da")


def test_numbers_and_one_element_arrays_are_accepted():
    assert expect_number(3, "da") == 3.0
    assert expect_number(-0.25, "da") == -0.25
    assert expect_number({"__ndarray__": [[1.5]], "shape": [1, 1], "dtype": "float64"}, "da") == 1.5
    assert math.isnan(expect_number(float("nan"), "da"))


def test_pairs_and_arrays_are_read_strictly():
    assert expect_pair({"__tuple__": [1.0, 2.0]}, ("da", "db")) == (1.0, 2.0)
    assert expect_pair([1.0, 2.0], ("da", "db")) == (1.0, 2.0)
    with pytest.raises(AnswerError, match="tuple of 2 gradients"):
        expect_pair([1.0, 2.0, 3.0], ("da", "db"))
    good = {"__ndarray__": [[1.0, 2.0]], "shape": [1, 2], "dtype": "float64"}
    np.testing.assert_array_equal(expect_array(good, (1, 2), "dx"), [[1.0, 2.0]])
    with pytest.raises(AnswerError, match=r"dx has shape \(1, 2\), expected \(2, 1\)"):
        expect_array(good, (2, 1), "dx")
    with pytest.raises(AnswerError, match="return a plain numpy array"):
        expect_array({"__object__": "Lying (a subclass of numpy.ndarray)"}, (2,), "dx")


def test_relative_error_and_credit_thresholds():
    assert rel_error(1.0, 1.0 + 1e-9) < 1e-7
    assert rel_error([1.0, float("nan")], [1.0, 2.0]) == math.inf
    assert rel_error(float("inf"), 1.0) == math.inf
    assert rel_error(0.0, 0.0) == 0.0
    assert [credit_for(e) for e in (0.0, 9.9e-8, 1e-7, 9.9e-5, 1e-4, math.inf)] == [1.0, 1.0, 0.5, 0.5, 0.0, 0.0]
    checks = [Check("a", 1.0), Check("b", 0.5), Check("c", 0.0, weight=2.0)]
    assert score_checks(checks, 4.0) == pytest.approx(4.0 * 1.5 / 4.0)


def test_check_order_accepts_valid_orders_and_explains_invalid_ones():
    desc = [["", [], 2.0], ["", [], 3.0], ["*", [0, 1], None], ["+", [2, 0], None]]
    assert check_order(desc, [0, 1, 2, 3]) == ""
    assert check_order(desc, [1, 0, 2, 3]) == ""
    assert "comes before its child" in check_order(desc, [0, 2, 1, 3])
    assert "appears more than once" in check_order(desc, [0, 1, 2, 0, 3])
    assert "(all leaves" in check_order(desc, [2, 3])
    assert "not nodes of the graph" in check_order(desc, [0, 1, 2, 3, 7])


def test_graph_descriptions_rebuild_the_same_values_and_reach_every_node():
    rng = np.random.default_rng(5)
    for desc in (random_graph(rng, 4, 15), fanout_graph(rng), deep_chain(rng, 50)):
        nodes = build_graph(desc)
        assert [v.data for v in build_graph(desc)] == [v.data for v in nodes]
        reachable, stack = set(), [nodes[-1]]
        while stack:
            v = stack.pop()
            if id(v) not in reachable:
                reachable.add(id(v))
                stack.extend(v.children)
        assert reachable == {id(v) for v in nodes}
        assert all(math.isfinite(v.data) for v in nodes)


def test_deep_chain_gradients_stay_of_order_one():
    nodes = build_graph(deep_chain(np.random.default_rng(0), 5000))
    nodes[-1].backward()
    grads = np.array([v.grad for v in nodes])
    assert np.all(np.abs(grads) > 0.1) and np.all(np.abs(grads) < 100)


@pytest.mark.parametrize("seed", range(15))
def test_known_hw1_mistakes_never_get_credit(seed):
    ns = {
        "tanh_backward": lambda a, out, dout: (1 - a**2) * dout,
        "sigmoid_backward": lambda a, out, dout: a * (1 - a) * dout,
        "exp_backward": lambda a, out, dout: out,
        "pow_backward": lambda a, n, out, dout: n * a**n * dout,
        "relu_backward": lambda a, out, dout: dout,
    }
    for name, checks in judge_in_process("hw1", ns, seed, set(ns)).items():
        if name == "relu_backward":  # right where a > 0 (3 of 6 points), wrong where a < 0 and at the kink a = 0
            assert score_checks(checks, 1.0) == pytest.approx(0.5), name
        else:
            assert score_checks(checks, 1.0) == 0.0, name


def test_hw2_train_xor_that_does_not_run_is_reported_once():
    ns = namespace("hw2_correct.py")

    def train_xor(steps, lr, seed):
        raise ValueError("boom")

    ns["train_xor"] = train_xor
    (checks,) = judge_in_process("hw2", ns, 0, {"train_xor"}).values()
    assert score_checks(checks, 5.0) == 0.0
    messages = [c.message for c in checks if c.message]
    assert len(messages) == 1, messages
    assert "ValueError: boom" in messages[0]
    assert "different histories" not in messages[0]


def test_hw2_train_xor_without_zero_grad_loses_marks_and_is_named():
    ns = namespace("hw2_correct.py")
    source = (SUBMISSIONS / "hw2_correct.py").read_text()
    assert "        model.zero_grad()\n" in source
    exec(compile(source.replace("        model.zero_grad()\n", ""), "hw2_no_zero_grad.py", "exec"), ns)
    (checks,) = judge_in_process("hw2", ns, 0, {"train_xor"}).values()
    trajectory = next(c for c in checks if c.label == "same losses as the reference run")
    assert trajectory.credit == 0.0
    assert "never calls zero_grad()" in trajectory.message
    assert score_checks(checks, 5.0) < 5.0


def test_hw3_two_layer_is_not_charged_again_for_a_wrong_linear_backward():
    ns = namespace("hw3_correct.py")
    right_linear = ns["linear_backward"]

    def linear_backward(dout, cache):  # the 1/N belongs to the loss, not here
        dx, dW, db = right_linear(dout, cache)
        return dx, dW / len(cache[0]), db

    ns["linear_backward"] = linear_backward
    source = (
        "def two_layer_backward(X, y, W1, b1, W2, b2):\n"
        "    z1, c1 = linear_forward(X, W1, b1)\n"
        "    h, cr = relu_forward(z1)\n"
        "    logits, c2 = linear_forward(h, W2, b2)\n"
        "    loss, cl = softmax_cross_entropy_forward(logits, y)\n"
        "    dh, dW2, db2 = linear_backward(softmax_cross_entropy_backward(1.0, cl), c2)\n"
        "    _, dW1, db1 = linear_backward(relu_backward(dh, cr), c1)\n"
        "    return loss, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}\n"
    )
    from backprop_course.layers import linear_forward, relu_forward, softmax_cross_entropy_forward

    ns.update(
        linear_forward=linear_forward,
        relu_forward=relu_forward,
        softmax_cross_entropy_forward=softmax_cross_entropy_forward,
    )
    exec(source, ns)
    results = judge_in_process("hw3", ns, 3, {"linear_backward", "two_layer_backward"})
    assert score_checks(results["linear_backward"], 3.0) < 3.0
    two_layer = results["two_layer_backward"]
    assert score_checks(two_layer, 3.0) == 3.0
    assert any("not charged again" in c.message for c in two_layer)
    assert ns["linear_backward"] is linear_backward  # the learner's function is put back after the probe


def hw4_namespace(*replacements: tuple[str, str]) -> dict[str, Any]:
    """The hw4 solution's classes (its exercise cells), with ``(old, new)`` text replacements applied."""
    import nbformat

    nb = nbformat.read(Path(__file__).parents[1] / "solutions" / "hw4_micrograd_from_scratch.ipynb", as_version=4)
    code = "\n\n".join(c.source for c in nb.cells if "exercise" in c.metadata.get("tags", []))
    for old, new in replacements:
        assert old in code
        code = code.replace(old, new)
    ns: dict[str, Any] = {"__name__": "__submission__"}
    exec("import math\nimport random\nfrom backprop_course.selfcheck.hw4 import moons_data\n" + code, ns)
    return ns


HW4_FAST = {"value_ops", "value_reused", "value_random_graphs", "value_deep", "mlp_parameters", "training_step"}


@pytest.mark.parametrize("seed", range(8))
def test_hw4_reference_gets_full_credit_at_every_seed(seed):
    for name, checks in judge_in_process("hw4", hw4_namespace(), seed, HW4_FAST).items():
        assert failing(checks) == [], name


def test_hw4_accumulation_bug_and_a_missing_reflected_op_are_named():
    assign = hw4_namespace(
        (
            "self.grad += other.data * out.grad  # d(ab)/da = b\n            other.grad += self.data * out.grad",
            "self.grad = other.data * out.grad\n            other.grad = self.data * out.grad",
        )
    )
    reused = judge_in_process("hw4", assign, 3, {"value_reused"})["value_reused"]
    assert score_checks(reused, 2.0) < 2.0
    assert any("`+=`" in m for m in failing(reused))
    no_rmul = judge_in_process("hw4", hw4_namespace(("def __rmul__(", "def _no_rmul(")), 3, {"value_ops"})
    assert any("__rmul__" in m for m in failing(no_rmul["value_ops"]))


def test_hw4_refuses_a_value_built_on_the_course_engine():
    from backprop_course.engine import Value as CourseValue

    ns = hw4_namespace()
    ns["Value"] = type("Value", (CourseValue,), {})
    (checks,) = judge_in_process("hw4", ns, 0, {"value_ops"}).values()
    assert score_checks(checks, 3.0) == 0.0
    assert "write your own Value" in checks[0].message
