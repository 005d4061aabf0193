"""Self-check feedback: right answers pass, each common mistake is recognised with its hint.

Every "student" function here is written out by hand, and every expected gradient
is either a hand-derived number or a central difference, never taken from the
self-check's own tables.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_course import selfcheck
from backprop_course.engine import BACKWARD_RULES, Value, custom_backward_rules, from_local_rule
from backprop_course.gradcheck import numerical_gradient

# ----------------------------------------------------------------- correct student rules (hw1)


def add_backward(a, b, out, dout):
    return dout, dout


def mul_backward(a, b, out, dout):
    return b * dout, a * dout


def div_backward(a, b, out, dout):
    return dout / b, -out / b * dout


def pow_backward(a, n, out, dout):
    return n * a ** (n - 1) * dout


def exp_backward(a, out, dout):
    return out * dout


def log_backward(a, out, dout):
    return dout / a


def tanh_backward(a, out, dout):
    return (1 - out**2) * dout


def sigmoid_backward(a, out, dout):
    return out * (1 - out) * dout


def relu_backward(a, out, dout):
    return dout if a > 0 else 0.0


CORRECT_RULES = [
    add_backward,
    mul_backward,
    div_backward,
    pow_backward,
    exp_backward,
    log_backward,
    tanh_backward,
    sigmoid_backward,
    relu_backward,
]

# the forward of each op, written independently of the self-check's table
FORWARDS = {
    "add_backward": lambda a, b: a + b,
    "mul_backward": lambda a, b: a * b,
    "div_backward": lambda a, b: a / b,
    "pow_backward": lambda a, n: a**n,
    "exp_backward": math.exp,
    "log_backward": math.log,
    "tanh_backward": math.tanh,
    "sigmoid_backward": lambda a: 1 / (1 + math.exp(-a)),
    "relu_backward": lambda a: max(a, 0.0),
}


# ------------------------------------------------------------------------- from_local_rule


def test_from_local_rule_unary_uses_input_output_and_upstream_gradient():
    seen = []

    def rule(a, out, dout):
        seen.append((a, out, dout))
        return (1 - out**2) * dout

    x = Value(0.5)
    with custom_backward_rules({"tanh": from_local_rule(rule, 1)}):
        (x.tanh() * 3.0).backward()
    assert seen == [(0.5, math.tanh(0.5), 3.0)]
    assert x.grad == pytest.approx(3 * (1 - math.tanh(0.5) ** 2), rel=1e-15)


def test_from_local_rule_binary_adds_into_both_children_and_accumulates_fan_out():
    x, y = Value(2.0), Value(3.0)
    with custom_backward_rules({"*": from_local_rule(mul_backward, 2)}):
        (x * y).backward()
    assert (x.grad, y.grad) == (3.0, 2.0)
    z = Value(5.0)
    with custom_backward_rules({"*": from_local_rule(mul_backward, 2)}):
        (z * z).backward()
    assert z.grad == 10.0  # both uses of z contribute: d(z^2)/dz = 2z


def test_from_local_rule_passes_the_fixed_exponent_of_pow():
    seen = []

    def rule(a, n, out, dout):
        seen.append((a, n, out, dout))
        return n * a ** (n - 1) * dout

    x = Value(2.0)
    with custom_backward_rules({"**": from_local_rule(rule, 2)}):
        (x**3).backward()
    assert seen == [(2.0, 3.0, 8.0, 1.0)]
    assert x.grad == 12.0


def test_from_local_rule_rejects_bad_arity_and_bad_returns():
    with pytest.raises(ValueError, match="arity must be 1"):
        from_local_rule(add_backward, 3)
    with pytest.raises(TypeError, match="must be a function"):
        from_local_rule("add", 2)
    x = Value(0.3)
    with custom_backward_rules({"tanh": from_local_rule(add_backward, 2)}):
        with pytest.raises(TypeError, match="must return one number"):
            x.tanh().backward()
    with custom_backward_rules({"+": from_local_rule(lambda a, b, out, dout: dout, 2)}):
        with pytest.raises(TypeError, match=r"must return a pair \(da, db\)"):
            (Value(1.0) + Value(2.0)).backward()
    with custom_backward_rules({"exp": from_local_rule(lambda a, out, dout: None, 1)}):
        with pytest.raises(TypeError, match="forget to `return`"):
            Value(1.0).exp().backward()
    with custom_backward_rules({"+": from_local_rule(exp_backward, 1)}):
        with pytest.raises(ValueError, match="has 2 children"):
            (Value(1.0) + Value(2.0)).backward()


# --------------------------------------------------------------------------- hw1 local rules


@pytest.mark.parametrize("rule", CORRECT_RULES, ids=lambda f: f.__name__)
def test_correct_local_rule_passes(rule, capsys):
    feedback = selfcheck.evaluate_local_rule(rule)
    assert feedback.passed, str(feedback)
    assert feedback.mistake is None
    selfcheck.check_local_rule(rule)
    printed = capsys.readouterr().out
    assert printed.startswith(f"✅ {rule.__name__}: correct at ")


@pytest.mark.parametrize("name", sorted(FORWARDS))
def test_self_check_expected_gradients_agree_with_central_differences(name):
    spec = selfcheck.LOCAL_RULES[name]
    forward = FORWARDS[name]
    h = 1e-6
    for point in spec.points:
        inputs, dout = list(point[:-1]), point[-1]
        if name == "relu_backward" and inputs[0] == 0.0:
            # the kink: no derivative (a central difference gives dout/2); the exercise asks for 0
            assert spec.grads(0.0, 0.0, dout) == (0.0,)
            continue
        out = forward(*inputs)
        expected = spec.grads(*inputs, out, dout)
        assert len(expected) == spec.n_grads
        for i in range(spec.n_grads):
            up, down = list(inputs), list(inputs)
            up[i] += h
            down[i] -= h
            numeric = (forward(*up) - forward(*down)) / (2 * h) * dout
            assert expected[i] == pytest.approx(numeric, rel=1e-6, abs=1e-9), (name, point, i)
        # the points keep away from relu's kink and make dout != 1, so a missing dout shows
        assert dout != 1.0
        if name == "relu_backward":
            assert abs(inputs[0]) > 0.1
    if name == "relu_backward":
        assert any(p[0] == 0.0 for p in spec.points), "relu must be tested at its kink a = 0"


def _tanh_input_instead_of_output(a, out, dout):
    return (1 - a**2) * dout


MISTAKES = [
    ("tanh_backward", _tanh_input_instead_of_output, "input_instead_of_output", "1 - a²"),
    ("tanh_backward", lambda a, out, dout: 1 - out**2, "forgot_dout", "chain-rule factor dout"),
    ("tanh_backward", lambda a, out, dout: (1 - math.tanh(out) ** 2) * dout, "applied_twice", "again"),
    ("tanh_backward", lambda a, out, dout: -(1 - out**2) * dout, "sign", "sign is flipped"),
    ("tanh_backward", lambda a, out, dout: (1 - out) * dout, "forgot_square", "square"),
    ("sigmoid_backward", lambda a, out, dout: a * (1 - a) * dout, "input_instead_of_output", "input instead"),
    ("sigmoid_backward", lambda a, out, dout: out * dout, "forgot_one_minus", "(1 - out)"),
    ("exp_backward", lambda a, out, dout: a * dout, "input_instead_of_output", "not by the input"),
    ("exp_backward", lambda a, out, dout: math.exp(out) * dout, "applied_twice", "exp of it again"),
    ("log_backward", lambda a, out, dout: dout / out, "output_instead_of_input", "not by the output"),
    ("log_backward", lambda a, out, dout: out * dout, "function_not_derivative", "1/a"),
    ("relu_backward", lambda a, out, dout: dout, "forgot_mask", "only where a > 0"),
    ("relu_backward", lambda a, out, dout: dout if a >= 0 else 0.0, "kink", "a > 0, not a >= 0"),
    ("relu_backward", lambda a, out, dout: dout if a < 0 else 0.0, "inverted_mask", "inverted"),
    ("relu_backward", lambda a, out, dout: 1.0 if a > 0 else 0.0, "forgot_dout", "dout"),
    ("pow_backward", lambda a, n, out, dout: a ** (n - 1) * dout, "forgot_n", "the n is missing"),
    ("pow_backward", lambda a, n, out, dout: n * a**n * dout, "forgot_minus_one", "lowers the exponent"),
    ("add_backward", lambda a, b, out, dout: (dout / 2, dout / 2), "split", "does not split"),
    ("add_backward", lambda a, b, out, dout: (1.0, 1.0), "forgot_dout", "dout"),
    ("mul_backward", lambda a, b, out, dout: (a * dout, a * dout), "own_input", "*other* input, b"),
    ("mul_backward", lambda a, b, out, dout: (a * dout, b * dout), "swapped", "swapped order"),
    ("div_backward", lambda a, b, out, dout: (dout / b, a / b**2 * dout), "sign", "sign is flipped"),
    ("div_backward", lambda a, b, out, dout: (dout / b, -a / b * dout), "forgot_square", "not by b²"),
    ("div_backward", lambda a, b, out, dout: (dout / b, -dout / b**2), "forgot_a", "factor a is missing"),
    ("div_backward", lambda a, b, out, dout: (b * dout, -a / b**2 * dout), "multiplied", "instead of multiplying"),
]


@pytest.mark.parametrize(("function", "wrong", "mistake", "hint"), MISTAKES, ids=[f"{m[0]}-{m[2]}" for m in MISTAKES])
def test_common_mistakes_are_recognised(function, wrong, mistake, hint):
    feedback = selfcheck.evaluate_local_rule(wrong, function=function)
    assert not feedback.passed
    assert feedback.mistake == mistake, str(feedback)
    assert hint in feedback.hint
    text = str(feedback)
    assert text.startswith(f"❌ {function}: ")
    assert "expected d" in text and "got" in text and "relative error" in text


def test_feedback_names_input_point_expected_and_got():
    # tanh with the input instead of the output, at the first test point a = 0.8, dout = -1.3
    feedback = selfcheck.evaluate_local_rule(_tanh_input_instead_of_output, function="tanh_backward")
    expected = (1 - math.tanh(0.8) ** 2) * -1.3
    got = (1 - 0.8**2) * -1.3
    assert feedback.message == "wrong gradient for a."
    assert feedback.details[0] == f"at a = 0.8, out = {math.tanh(0.8):.6g}, dout = -1.3"
    assert feedback.details[1].startswith(f"expected da = {expected:.6g}, got {got:.6g} (relative error ")
    rel = abs(expected - got) / (abs(expected) + abs(got))
    assert f"relative error {rel:.1e}" in feedback.details[1]


def test_unrecognised_mistake_falls_back_to_the_derivative_reminder():
    feedback = selfcheck.evaluate_local_rule(lambda a, out, dout: 0.123, function="tanh_backward")
    assert not feedback.passed and feedback.mistake is None
    assert "1 - out²" in feedback.hint


@pytest.mark.parametrize(
    ("function", "rule", "message", "hint"),
    [
        ("add_backward", lambda a, b, out, dout: None, "returned None", "forget to `return`"),
        ("mul_backward", lambda a, b, out, dout: b * dout, "expected a pair (da, db)", "return da, db"),
        ("pow_backward", lambda a, n, out, dout: (n * a ** (n - 1) * dout, 0.0), "expected one number", "no gradient"),
        ("exp_backward", lambda a, out, dout: Value(out * dout), "is a Value", "plain floats"),
        ("log_backward", lambda a, out, dout: math.nan, "is nan", "NaN"),
        ("relu_backward", lambda a, out, dout: "0", "should be a number", "return a float"),
    ],
)
def test_wrong_return_types_are_explained(function, rule, message, hint):
    feedback = selfcheck.evaluate_local_rule(rule, function=function)
    assert not feedback.passed
    assert message in feedback.message
    assert hint in feedback.hint


def test_numpy_scalars_are_accepted():
    feedback = selfcheck.evaluate_local_rule(lambda a, out, dout: np.float64(out * dout), function="exp_backward")
    assert feedback.passed


def test_stub_raises_not_implemented_with_guidance():
    def tanh_backward(a, out, dout):
        raise NotImplementedError("tanh_backward: replace this line with your solution")

    with pytest.raises(NotImplementedError, match=r"tanh_backward: replace this line.*run that cell"):
        selfcheck.check_local_rule(tanh_backward)


def test_other_exceptions_are_announced_and_re_raised(capsys):
    def log_backward(a, out, dout):
        return dout / (a - a)

    with pytest.raises(ZeroDivisionError):
        selfcheck.check_local_rule(log_backward)
    assert capsys.readouterr().out == (
        "❌ log_backward raised ZeroDivisionError at a = 0.8, out = -0.223144, dout = -1.3; "
        "the traceback below shows where.\n"
    )


def test_unknown_rule_name_is_an_error():
    with pytest.raises(ValueError, match="no self-check for a local rule named 'sin_backward'"):
        selfcheck.evaluate_local_rule(lambda a, out, dout: 0.0, function="sin_backward")


def test_rules_in_engine_pass_and_blame_the_wrong_rule():
    rules = {
        "+": add_backward,
        "*": mul_backward,
        "/": div_backward,
        "**": pow_backward,
        "exp": exp_backward,
        "log": log_backward,
        "tanh": tanh_backward,
        "sigmoid": sigmoid_backward,
        "relu": relu_backward,
    }
    assert selfcheck.evaluate_rules_in_engine(rules).passed
    bad = dict(rules, tanh=_tanh_input_instead_of_output)
    feedback = selfcheck.evaluate_rules_in_engine(bad)
    assert not feedback.passed
    assert "tanh_backward" in feedback.hint and "div_backward" not in feedback.hint
    with pytest.raises(ValueError, match="no hw1 rule for op"):
        selfcheck.evaluate_rules_in_engine({"dot": add_backward})
    assert set(BACKWARD_RULES) >= set(rules)  # the engine's own rules are restored


# ---------------------------------------------------------------------------------- hw2


def topo_iterative(root):
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((c, False) for c in node.children if c not in visited)
    return order


def topo_recursive(root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for child in node.children:
                visit(child)
            order.append(node)

    visit(root)
    return order


def topo_with_duplicates(root):
    order = []

    def visit(node):  # no visited set: a shared node is listed once per path
        for child in node.children:
            visit(child)
        order.append(node)

    visit(root)
    return order


@pytest.mark.parametrize(
    ("fn", "passed", "mistake"),
    [
        (topo_iterative, True, None),
        (topo_recursive, False, "recursion"),
        (lambda r: topo_iterative(r)[::-1], False, "reversed"),
        (lambda r: [n for n in topo_iterative(r) if n.children], False, "missing_leaves"),
        (lambda r: topo_iterative(r)[:-1], False, "missing_root"),
        (topo_with_duplicates, False, "duplicate"),
        (lambda r: iter(topo_iterative(r)), False, "not_a_list"),
        (lambda r: [n.data for n in topo_iterative(r)], False, "not_values"),
        (lambda r: None, False, "none"),
    ],
)
def test_topological_sort_check(fn, passed, mistake):
    feedback = selfcheck.evaluate_topological_sort(fn)
    assert feedback.passed is passed, str(feedback)
    assert feedback.mistake == mistake


def test_topological_sort_order_violation_names_the_nodes():
    def parent_first_then_rest(root):
        order = topo_iterative(root)
        if len(order) > 2:  # move the root to the front
            order = [order[-1], *order[:-1]]
        return order

    feedback = selfcheck.evaluate_topological_sort(parent_first_then_rest)
    assert feedback.mistake == "order"
    assert feedback.message == "on the lecture's graph L = (a·b + c)·f: L comes before its child d."


def make_backward(*, reset_interior=True, reverse=True, skip_leaves=True, root_grad=1.0, sort=topo_iterative):
    def backward(root):
        order = sort(root)
        if reset_interior:
            for node in order:
                if node.children:
                    node.grad = 0.0
        root.grad = root_grad
        for node in reversed(order) if reverse else order:
            if node.children or not skip_leaves:
                BACKWARD_RULES[node.op](node)

    return backward


@pytest.mark.parametrize(
    ("kwargs", "passed", "mistake"),
    [
        ({}, True, None),
        ({"reset_interior": False}, False, "second_call"),
        ({"reverse": False}, False, "order"),
        ({"skip_leaves": False}, False, "leaf_rule"),
        ({"root_grad": 0.0}, False, "root"),
        ({"sort": topo_recursive}, False, "recursion"),
        ({"sort": topo_with_duplicates}, False, None),
    ],
)
def test_backward_check(kwargs, passed, mistake):
    feedback = selfcheck.evaluate_backward(make_backward(**kwargs))
    assert feedback.passed is passed, str(feedback)
    assert feedback.mistake == mistake


def test_backward_that_resets_leaves_is_told_leaves_accumulate():
    def backward(root):
        order = topo_iterative(root)
        for node in order:
            node.grad = 0.0
        root.grad = 1.0
        for node in reversed(order):
            if node.children:
                BACKWARD_RULES[node.op](node)

    feedback = selfcheck.evaluate_backward(backward)
    assert feedback.mistake == "second_call"
    assert "leaves accumulate" in feedback.hint


def test_backward_expected_gradients_match_hand_derivation():
    # the lecture graph L = (a*b + c)*f at a=2, b=-3, c=10, f=-2
    backward = make_backward()
    L, nodes = selfcheck._graph_micrograd()
    backward(L)
    grads = {n.label: n.grad for n in nodes}
    assert grads == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0, "L": 1.0}


XOR_STEPS = 30


def xor_history(seed=0, *, zero_grad=True, layers="all", lr=0.5, steps=XOR_STEPS):
    """The train_xor loop written out here (independently of the check), with or without a mistake."""
    from backprop_course import data, losses, nn

    X, y = data.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=seed)
    params = model.parameters() if layers == "all" else model.layers[-1].parameters()
    history = []
    for _ in range(steps):
        loss = losses.binary_cross_entropy([model(x) for x in X], y)
        history.append(loss.data)
        if zero_grad:
            model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
    return history


@pytest.mark.parametrize(
    ("make", "passed", "mistake", "hint"),
    [
        (lambda: xor_history(), True, None, None),
        (lambda: xor_history(zero_grad=False), False, "no_zero_grad", "never calls zero_grad()"),
        (lambda: xor_history(layers="last"), False, "last_layer_only", "only the last layer"),
        (lambda: xor_history(lr=-0.5), False, "ascent", "subtract"),
        (lambda: xor_history(lr=1.0), False, "double_lr", "twice the learning rate"),
        (lambda: [0.5] * XOR_STEPS, False, "first_loss", "nn.MLP(2, [4, 1]"),
        (lambda: None, False, "none", None),
        (lambda: tuple(xor_history()), False, "not_a_list", None),
        (lambda: xor_history()[:-1], False, "length", None),
        (lambda: [Value(0.7)] * XOR_STEPS, False, "not_a_number", None),
        (lambda: [math.nan] * XOR_STEPS, False, "not_a_number", None),
    ],
)
def test_train_xor_check_compares_the_trajectory_and_names_the_mistake(make, passed, mistake, hint):
    feedback = selfcheck.evaluate_train_xor(make(), XOR_STEPS, 0.5, 0)
    assert feedback.passed is passed, str(feedback)
    assert feedback.mistake == mistake, str(feedback)
    if hint:
        assert hint in feedback.hint


def test_train_xor_check_calls_train_xor_and_explains_an_overflow_in_one_line():
    def train_xor(steps, lr, seed):
        return [math.exp(1000.0)]

    feedback = selfcheck.evaluate_train_xor(train_xor, 3, 0.5, 0)
    assert feedback.mistake == "overflow"
    assert "grew without bound" in feedback.message
    assert "math.exp(1000.0)" in feedback.details[0]
    assert selfcheck.evaluate_train_xor(lambda steps, lr, seed: xor_history(steps=steps), XOR_STEPS).passed


def test_backward_in_parent_first_preorder_is_named():
    def preorder_backward(root):
        order, seen, stack = [], set(), [root]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                order.append(node)
                stack.extend(node.children)
        for node in order:
            node.grad = 0.0
        root.grad = 1.0
        for node in order:  # parents first: looks right, is not a topological order
            if node.children:
                BACKWARD_RULES[node.op](node)

    feedback = selfcheck.evaluate_backward(preorder_backward)
    assert not feedback.passed
    assert feedback.mistake == "preorder", str(feedback)
    assert "twice" not in feedback.hint


# ---------------------------------------------------------------------------------- hw3


def linear_backward(dout, cache):
    x, W, b = cache
    return dout @ W, dout.T @ x, dout.sum(axis=0)


@pytest.mark.parametrize(
    ("fn", "passed", "mistake", "hint"),
    [
        (linear_backward, True, None, None),
        (lambda d, c: (d @ c[1], d.T @ c[0], d), False, "known", "sums dout over the batch"),
        (lambda d, c: (d @ c[1], c[0].T @ d, d.sum(0)), False, "known", "dout.T @ x, not x.T @ dout"),
        (lambda d, c: (d @ c[1], d.T @ c[0], d.mean(0)), False, "known", "not the mean"),
        (lambda d, c: (d @ c[1], d.T @ c[0] / 4, d.sum(0)), False, "known", "do not divide by N"),
        (lambda d, c: (-(d @ c[1]), d.T @ c[0], d.sum(0)), False, "sign", "sign is flipped"),
        (lambda d, c: (d @ c[1], d.T @ c[0]), False, "structure", "return dx, dW, db"),
        (lambda d, c: None, False, "structure", "forget to `return`"),
    ],
)
def test_linear_backward_check(fn, passed, mistake, hint):
    feedback = selfcheck.evaluate_linear_backward(fn)
    assert feedback.passed is passed, str(feedback)
    assert feedback.mistake == mistake
    if hint:
        assert hint in feedback.hint


def test_linear_backward_that_writes_into_the_cache_is_caught():
    def in_place(dout, cache):
        x, W, b = cache
        x *= 2  # corrupts the forward pass's cache
        return linear_backward(dout, cache)

    assert selfcheck.evaluate_linear_backward(in_place).mistake == "in_place"


@pytest.mark.parametrize(
    ("activation", "fn", "passed", "hint"),
    [
        ("relu", lambda d, x: d * (x > 0), True, None),
        ("tanh", lambda d, y: d * (1 - y**2), True, None),
        ("sigmoid", lambda d, y: d * y * (1 - y), True, None),
        ("relu", lambda d, x: d, False, "multiply dout by the mask"),
        ("relu", lambda d, x: d * (x < 0), False, "inverted"),
        ("relu", lambda d, x: d * (d > 0), False, "not from dout"),
        ("tanh", lambda d, y: d * (1 - np.tanh(y) ** 2), False, "do not apply tanh to it again"),
        ("tanh", lambda d, y: 1 - y**2, False, "multiply it by dout"),
        ("sigmoid", lambda d, y: d * y, False, "factor (1 - y) is missing"),
        ("sigmoid", lambda d, y: d * (1 - y), False, "factor y is missing"),
        ("tanh", lambda d, y: (d * (1 - y**2))[:, :3], False, "shape"),
    ],
)
def test_activation_backward_check(activation, fn, passed, hint):
    feedback = selfcheck.evaluate_activation_backward(activation, fn)
    assert feedback.passed is passed, str(feedback)
    if hint:
        assert hint in (feedback.hint or "") + feedback.message


def softmax_ce_backward(dloss, cache):
    p, y = cache
    g = p.copy()
    g[np.arange(len(y)), y] -= 1
    return dloss * g / len(y)


@pytest.mark.parametrize(
    ("fn", "passed", "hint"),
    [
        (softmax_ce_backward, True, None),
        (lambda dl, c: softmax_ce_backward(dl, c) * len(c[1]), False, "divide by N"),
        (lambda dl, c: softmax_ce_backward(1.0, c), False, "multiply by dloss"),
        (lambda dl, c: -softmax_ce_backward(dl, c), False, "sign is flipped"),
        (lambda dl, c: dl * c[0] / len(c[1]), False, "subtract 1 at each example's true class"),
        (lambda dl, c: softmax_ce_backward(dl, c) * len(c[1]) / c[0].shape[1], False, "not by C"),
    ],
)
def test_softmax_cross_entropy_backward_check(fn, passed, hint):
    feedback = selfcheck.evaluate_softmax_cross_entropy_backward(fn)
    assert feedback.passed is passed, str(feedback)
    if hint:
        assert hint in feedback.hint


def softmax_ce_writes_cache(dloss, cache):
    p, y = cache
    p[np.arange(len(y)), y] -= 1  # modifies the cached probabilities
    return dloss * p / len(y)


def test_softmax_backward_modifying_cached_probabilities_is_caught():
    assert selfcheck.evaluate_softmax_cross_entropy_backward(softmax_ce_writes_cache).mistake == "in_place"


def two_layer(X, y, W1, b1, W2, b2, *, mask=True, mean=True):
    N = len(X)
    z1 = X @ W1.T + b1
    h = np.maximum(z1, 0)
    z2 = h @ W2.T + b2
    z2 = z2 - z2.max(axis=1, keepdims=True)
    p = np.exp(z2) / np.exp(z2).sum(axis=1, keepdims=True)
    scale = 1 / N if mean else 1.0
    loss = -np.log(p[np.arange(N), y]).sum() * scale
    d = p.copy()
    d[np.arange(N), y] -= 1
    d *= scale
    dh = d @ W2
    dz1 = dh * (z1 > 0) if mask else dh
    return loss, {"W1": dz1.T @ X, "b1": dz1.sum(0), "W2": d.T @ h, "b2": d.sum(0)}


@pytest.mark.parametrize(
    ("fn", "passed", "message", "hint"),
    [
        (two_layer, True, "all four gradients are right", None),
        (lambda *a: two_layer(*a, mask=False), False, "grads['W1']", "mask (z1 > 0)"),
        (lambda *a: two_layer(*a, mean=False), False, "wrong loss", "not the sum"),
        (lambda *a: (two_layer(*a)[0], list(two_layer(*a)[1].values())), False, "expected a dict", "return grads"),
        (lambda *a: (two_layer(*a)[0], {"W1": 0}), False, "no key(s)", "return grads"),
    ],
)
def test_two_layer_backward_check(fn, passed, message, hint):
    feedback = selfcheck.evaluate_two_layer_backward(fn)
    assert feedback.passed is passed, str(feedback)
    assert message in feedback.message
    if hint:
        assert hint in feedback.hint


def test_two_layer_backward_bug_in_a_layer_function_is_attributed_to_it():
    """two_layer_backward chains the learner's layer functions; a bug in one is blamed on it, not on the chaining."""
    from backprop_course import layers

    ns = {
        "np": np,
        "linear_forward": layers.linear_forward,
        "relu_forward": layers.relu_forward,
        "softmax_cross_entropy_forward": layers.softmax_cross_entropy_forward,
        "linear_backward": lambda dout, cache: (dout @ cache[1], cache[0].T @ dout, dout.sum(axis=0)),  # dW wrong
        "relu_backward": lambda dout, cache: dout * (cache > 0),
        "softmax_cross_entropy_backward": layers.softmax_cross_entropy_backward,
    }
    exec(
        "def two_layer_backward(X, y, W1, b1, W2, b2):\n"
        "    z1, c1 = linear_forward(X, W1, b1)\n"
        "    h, cr = relu_forward(z1)\n"
        "    logits, c2 = linear_forward(h, W2, b2)\n"
        "    loss, cl = softmax_cross_entropy_forward(logits, y)\n"
        "    dlogits = softmax_cross_entropy_backward(1.0, cl)\n"
        "    dh, dW2, db2 = linear_backward(dlogits, c2)\n"
        "    _, dW1, db1 = linear_backward(relu_backward(dh, cr), c1)\n"
        "    return loss, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}\n",
        ns,
    )
    feedback = selfcheck.evaluate_two_layer_backward(ns["two_layer_backward"])
    assert not feedback.passed
    assert feedback.mistake == "layer_function", str(feedback)
    assert "linear_backward" in feedback.hint
    assert ns["linear_backward"] is not layers.linear_backward  # the learner's function is put back


def test_two_layer_reference_matches_numerical_gradients():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 4, size=5)
    params = {
        "W1": rng.normal(size=(6, 3)),
        "b1": rng.normal(size=6),
        "W2": rng.normal(size=(4, 6)),
        "b2": rng.normal(size=4),
    }
    loss, grads = selfcheck._two_layer_reference(X, y, **params)
    for name in params:

        def f(value, name=name):
            return selfcheck._two_layer_reference(X, y, **{**params, name: value})[0]

        numeric = numerical_gradient(f, params[name].copy())
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8)


# ------------------------------------------------------------------------ generic answers


def test_evaluate_answer_scalar_and_mistakes():
    assert selfcheck.evaluate_answer("dL/da", 6.0, 6.0).passed
    fb = selfcheck.evaluate_answer("dL/da", -6.0, 6.0)
    assert fb.mistake == "sign"
    assert str(fb) == (
        "❌ dL/da: not quite.\n"
        "   expected 6, got -6 (relative error 1.0e+00)\n"
        "   hint: the sign is flipped: check each local derivative's sign, e.g. the minus in d(a - b)/db = -1."
    )
    fb = selfcheck.evaluate_answer("dy/dw", 0.5, 1.5, mistakes=[(0.5, "that is dy/dz only")])
    assert (fb.mistake, fb.hint) == ("known", "that is dy/dz only")
    assert selfcheck.evaluate_answer("x", None, 1.0).hint == "did your function forget to `return` its result?"


def test_evaluate_answer_arrays():
    expected = np.arange(6.0).reshape(2, 3) + 1
    assert selfcheck.evaluate_answer("dW", expected.copy(), expected).passed
    fb = selfcheck.evaluate_answer("dW", expected.T, expected)
    assert fb.mistake == "transposed" and "shape (3, 2), expected (2, 3)" in fb.message
    fb = selfcheck.evaluate_answer("dW", 4 * expected, expected)
    assert fb.mistake == "scaled" and "exactly 4 times" in fb.hint
    assert selfcheck.evaluate_answer("dW", np.zeros((2, 3)), expected).mistake == "zeros"
    wrong = expected.copy()
    wrong[1, 2] = 0.0
    fb = selfcheck.evaluate_answer("dW", wrong, expected)
    assert fb.details == ("expected dW[1, 2] = 6, got 0 (relative error 1.0e+00)",)
    nan = expected.copy()
    nan[0, 0] = np.nan
    assert "NaN" in selfcheck.evaluate_answer("dW", nan, expected).message


def test_evaluate_choice():
    explanations = {"a": "constant init keeps units identical", "b": "random init breaks the symmetry"}
    assert selfcheck.evaluate_choice("q1", " B ", "b", explanations).passed
    fb = selfcheck.evaluate_choice("q1", "a", "b", explanations)
    assert not fb.passed and fb.hint == "constant init keeps units identical"
    assert selfcheck.evaluate_choice("q1", "c", "b", explanations).mistake == "no_such_option"


def test_check_functions_print_and_return_none(capsys):
    assert selfcheck.check_answer("x", 1.0, 1.0) is None
    assert capsys.readouterr().out == "✅ x: correct.\n"


def test_docstring_examples_run():
    import doctest

    from backprop_course import engine

    assert doctest.testmod(selfcheck).failed == 0
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner()
    for test in finder.find(engine.from_local_rule, "from_local_rule", globs=vars(engine)):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_train_xor_blames_a_failing_backward_before_the_loop():
    """A backward running the rules children-first keeps the weights still: the hint names backward, not zero_grad."""
    ns = {"make_backward": make_backward, "topo_iterative": topo_iterative}
    exec(
        "from backprop_course import data, losses, nn\n"
        "backward = make_backward(reverse=False)\n"
        "def train_xor(steps, lr, seed):\n"
        "    X, y = data.xor()\n"
        "    model = nn.MLP(2, [4, 1], activation='tanh', seed=seed)\n"
        "    history = []\n"
        "    for _ in range(steps):\n"
        "        loss = losses.binary_cross_entropy([model(x) for x in X], y)\n"
        "        history.append(loss.data)\n"
        "        model.zero_grad()\n"
        "        backward(loss)\n"
        "        for p in model.parameters():\n"
        "            p.data -= lr * p.grad\n"
        "    return history\n",
        ns,
    )
    feedback = selfcheck.evaluate_train_xor(ns["train_xor"], XOR_STEPS, 0.5, 0)
    assert feedback.mistake == "earlier", str(feedback)
    assert "your backward fails its self-check" in feedback.hint
