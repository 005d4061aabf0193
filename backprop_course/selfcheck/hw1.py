"""Self-checks of hw1, local gradients: each op's backward rule alone, then all of them inside the engine.

:data:`LOCAL_RULES` holds, per rule, the right gradients, the test points and the
mistakes it recognises; :func:`check_local_rule` checks one rule,
:func:`check_rules_in_engine` runs ``backward()`` with the student's rules plugged in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..engine import Value, custom_backward_rules, from_local_rule
from .feedback import TOL, Feedback, _as_float, _call, _fmt, _number_problem, _rel

LocalRule = Callable[..., object]


@dataclass(frozen=True)
class _WrongRule:
    """A wrong way to compute the gradient w.r.t. input ``index``, and what to say about it."""

    mistake: str
    index: int
    rule: Callable[..., float]
    hint: str


@dataclass(frozen=True)
class LocalRuleSpec:
    """What a hw1 local rule computes, where it is tested and which mistakes it recognises.

    Attributes:
        function: the student's function name, e.g. ``"mul_backward"``.
        op: the engine op it is the rule of (a key of ``engine.BACKWARD_RULES``).
        inputs: the names of the op's inputs, the arguments before ``out, dout``.
        n_grads: how many gradients it returns (``pow``: 1, its exponent is a fixed number).
        forward: the op on floats.
        grads: the right gradients, ``grads(*inputs, out, dout)``.
        derivative: a reminder of the local derivative, shown as the default hint.
        points: test points, each the inputs followed by ``dout``.
        wrong: recognised mistakes.
    """

    function: str
    op: str
    inputs: tuple[str, ...]
    n_grads: int
    forward: Callable[..., float]
    grads: Callable[..., tuple[float, ...]]
    derivative: str
    points: tuple[tuple[float, ...], ...]
    wrong: tuple[_WrongRule, ...] = field(default=())


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _safe(f: Callable[..., float]) -> Callable[..., float]:
    """A wrong rule that may be undefined at some point (log of a negative): NaN there."""

    def g(*args: float) -> float:
        try:
            return float(f(*args))
        except (ValueError, ZeroDivisionError, OverflowError):
            return math.nan

    return g


_USED_INPUT = "input_instead_of_output"


_USED_OUTPUT = "output_instead_of_input"


#: the hw1 rules, by function name
LOCAL_RULES: dict[str, LocalRuleSpec] = {
    spec.function: spec
    for spec in [
        LocalRuleSpec(
            "add_backward",
            "+",
            ("a", "b"),
            2,
            lambda a, b: a + b,
            lambda a, b, out, dout: (dout, dout),
            "∂(a+b)/∂a = 1 and ∂(a+b)/∂b = 1, so both inputs receive dout unchanged.",
            ((1.5, -2.0, 0.7), (-0.4, 3.0, -1.3), (2.5, 0.5, 2.2)),
            (
                _WrongRule(
                    "split",
                    0,
                    lambda a, b, out, dout: dout / 2,
                    "+ does not split the gradient between its inputs: each input gets all of dout.",
                ),
                _WrongRule(
                    _USED_OUTPUT,
                    0,
                    lambda a, b, out, dout: out * dout,
                    "the local derivative of a + b w.r.t. a is 1, not a + b: da = dout.",
                ),
                _WrongRule(
                    "used_input",
                    0,
                    lambda a, b, out, dout: a * dout,
                    "∂(a+b)/∂a = 1, not a: + passes dout through unchanged.",
                ),
            ),
        ),
        LocalRuleSpec(
            "mul_backward",
            "*",
            ("a", "b"),
            2,
            lambda a, b: a * b,
            lambda a, b, out, dout: (b * dout, a * dout),
            "∂(a·b)/∂a = b and ∂(a·b)/∂b = a: each input gets dout times the *other* input.",
            ((1.5, -2.0, 0.7), (-0.4, 3.0, -1.3), (2.5, 0.5, 2.2)),
            (
                _WrongRule(
                    "own_input",
                    0,
                    lambda a, b, out, dout: a * dout,
                    "∂(a·b)/∂a is the *other* input, b: you multiplied dout by a itself.",
                ),
                _WrongRule(
                    "own_input",
                    1,
                    lambda a, b, out, dout: b * dout,
                    "∂(a·b)/∂b is the *other* input, a: you multiplied dout by b itself.",
                ),
                _WrongRule(
                    _USED_OUTPUT,
                    0,
                    lambda a, b, out, dout: out * dout,
                    "you multiplied dout by out = a·b; the local derivative w.r.t. a is b.",
                ),
                _WrongRule(
                    _USED_OUTPUT,
                    1,
                    lambda a, b, out, dout: out * dout,
                    "you multiplied dout by out = a·b; the local derivative w.r.t. b is a.",
                ),
            ),
        ),
        LocalRuleSpec(
            "div_backward",
            "/",
            ("a", "b"),
            2,
            lambda a, b: a / b,
            lambda a, b, out, dout: (dout / b, -a / b**2 * dout),
            "a/b = a·b⁻¹, so ∂(a/b)/∂a = 1/b and ∂(a/b)/∂b = -a/b² (= -out/b).",
            ((1.5, -2.0, 0.7), (-0.9, 0.4, -1.6), (2.5, 1.25, 1.1)),
            (
                _WrongRule(
                    "multiplied",
                    0,
                    lambda a, b, out, dout: b * dout,
                    "∂(a/b)/∂a = 1/b: divide dout by b instead of multiplying.",
                ),
                _WrongRule(
                    "forgot_a",
                    1,
                    lambda a, b, out, dout: -dout / b**2,
                    "∂(a/b)/∂b = -a/b²: the factor a is missing.",
                ),
                _WrongRule(
                    "forgot_square",
                    1,
                    lambda a, b, out, dout: -a / b * dout,
                    "∂(a/b)/∂b = -a/b² (power rule on b⁻¹): you divided by b, not by b².",
                ),
                _WrongRule(
                    "same_as_a",
                    1,
                    lambda a, b, out, dout: dout / b,
                    "you gave b the same gradient as a; b is in the denominator: ∂(a/b)/∂b = -a/b².",
                ),
            ),
        ),
        LocalRuleSpec(
            "pow_backward",
            "**",
            ("a", "n"),
            1,
            lambda a, n: a**n,
            lambda a, n, out, dout: (n * a ** (n - 1) * dout,),
            "the power rule: ∂(aⁿ)/∂a = n·aⁿ⁻¹ (n is a fixed number, it gets no gradient).",
            ((1.5, 3.0, -0.8), (-0.7, 2.0, 1.3), (2.0, -1.0, 0.5), (0.6, 0.5, -1.1)),
            (
                _WrongRule(
                    "forgot_minus_one",
                    0,
                    lambda a, n, out, dout: n * a**n * dout,
                    "the power rule lowers the exponent by one: n·aⁿ⁻¹, not n·aⁿ.",
                ),
                _WrongRule(
                    "forgot_n",
                    0,
                    lambda a, n, out, dout: a ** (n - 1) * dout,
                    "the power rule brings the exponent down as a factor: n·aⁿ⁻¹, the n is missing.",
                ),
                _WrongRule(
                    "exponent_gradient",
                    0,
                    _safe(lambda a, n, out, dout: out * math.log(a) * dout),
                    "aⁿ·log(a) is the derivative w.r.t. the exponent n; you need the one w.r.t. a: n·aⁿ⁻¹.",
                ),
            ),
        ),
        LocalRuleSpec(
            "exp_backward",
            "exp",
            ("a",),
            1,
            math.exp,
            lambda a, out, dout: (out * dout,),
            "∂(eᵃ)/∂a = eᵃ, which is the output: da = out · dout.",
            ((0.8, -1.3), (-1.7, 0.4), (0.3, 2.1)),
            (
                _WrongRule(
                    _USED_INPUT,
                    0,
                    lambda a, out, dout: a * dout,
                    "∂(eᵃ)/∂a = eᵃ = out: multiply dout by the output, not by the input a.",
                ),
                _WrongRule(
                    "applied_twice",
                    0,
                    lambda a, out, dout: math.exp(out) * dout,
                    "out is already eᵃ: multiply dout by out, do not take exp of it again.",
                ),
            ),
        ),
        LocalRuleSpec(
            "log_backward",
            "log",
            ("a",),
            1,
            math.log,
            lambda a, out, dout: (dout / a,),
            "∂log(a)/∂a = 1/a: da = dout / a.",
            ((0.8, -1.3), (2.7, 0.4), (0.3, 2.1)),
            (
                _WrongRule(
                    _USED_OUTPUT,
                    0,
                    _safe(lambda a, out, dout: dout / out),
                    "∂log(a)/∂a = 1/a: divide by the input a, not by the output log(a).",
                ),
                _WrongRule(
                    "function_not_derivative",
                    0,
                    lambda a, out, dout: out * dout,
                    "log(a) is the function itself; its derivative is 1/a.",
                ),
                _WrongRule(
                    "multiplied",
                    0,
                    lambda a, out, dout: a * dout,
                    "multiply dout by 1/a, not by a.",
                ),
            ),
        ),
        LocalRuleSpec(
            "tanh_backward",
            "tanh",
            ("a",),
            1,
            math.tanh,
            lambda a, out, dout: ((1.0 - out**2) * dout,),
            "∂tanh(a)/∂a = 1 - tanh(a)² = 1 - out²: da = (1 - out²) · dout.",
            ((0.8, -1.3), (-1.7, 0.4), (0.3, 2.1)),
            (
                _WrongRule(
                    _USED_INPUT,
                    0,
                    lambda a, out, dout: (1.0 - a**2) * dout,
                    "you used the input instead of the output: the derivative is 1 - tanh(a)² = 1 - out², not 1 - a².",
                ),
                _WrongRule(
                    "forgot_square",
                    0,
                    lambda a, out, dout: (1.0 - out) * dout,
                    "the derivative is 1 - out²: the square is missing.",
                ),
                _WrongRule(
                    "applied_twice",
                    0,
                    lambda a, out, dout: (1.0 - math.tanh(out) ** 2) * dout,
                    "out is already tanh(a): use 1 - out², do not apply tanh to it again.",
                ),
                _WrongRule(
                    "plus_instead_of_minus",
                    0,
                    lambda a, out, dout: (1.0 + out**2) * dout,
                    "the derivative is 1 - out² (minus, not plus).",
                ),
            ),
        ),
        LocalRuleSpec(
            "sigmoid_backward",
            "sigmoid",
            ("a",),
            1,
            _sigmoid,
            lambda a, out, dout: (out * (1.0 - out) * dout,),
            "∂σ(a)/∂a = σ(a)(1 - σ(a)) = out·(1 - out): da = out · (1 - out) · dout.",
            ((0.8, -1.3), (-1.7, 0.4), (0.3, 2.1)),
            (
                _WrongRule(
                    _USED_INPUT,
                    0,
                    lambda a, out, dout: a * (1.0 - a) * dout,
                    "you used the input instead of the output: the derivative is out·(1 - out), not a·(1 - a).",
                ),
                _WrongRule(
                    "applied_twice",
                    0,
                    lambda a, out, dout: _sigmoid(out) * (1.0 - _sigmoid(out)) * dout,
                    "out is already σ(a): use out·(1 - out), do not apply the sigmoid to it again.",
                ),
                _WrongRule(
                    "forgot_one_minus",
                    0,
                    lambda a, out, dout: out * dout,
                    "the derivative is out·(1 - out): the factor (1 - out) is missing.",
                ),
                _WrongRule(
                    "forgot_out",
                    0,
                    lambda a, out, dout: (1.0 - out) * dout,
                    "the derivative is out·(1 - out): the factor out is missing.",
                ),
            ),
        ),
        LocalRuleSpec(
            "relu_backward",
            "relu",
            ("a",),
            1,
            lambda a: max(a, 0.0),
            lambda a, out, dout: (dout if a > 0 else 0.0,),
            "relu(a) = max(0, a) has slope 1 where a > 0 and 0 where a < 0: da = dout if a > 0 else 0.",
            ((1.3, -0.7), (-0.8, 1.9), (2.2, 0.6), (-1.5, -0.4), (0.0, 0.9)),
            (
                _WrongRule(
                    "kink",
                    0,
                    lambda a, out, dout: dout if a >= 0 else 0.0,
                    "at the kink a = 0 relu has no slope; the exercise (like the engine and PyTorch) takes 0 there: "
                    "use a > 0, not a >= 0.",
                ),
                _WrongRule(
                    "forgot_mask",
                    0,
                    lambda a, out, dout: dout,
                    "relu lets the gradient through only where a > 0; where a ≤ 0 the gradient is 0.",
                ),
                _WrongRule(
                    "inverted_mask",
                    0,
                    lambda a, out, dout: dout if a < 0 else 0.0,
                    "the mask is inverted: the gradient flows where a > 0 and is 0 where a < 0.",
                ),
                _WrongRule(
                    _USED_OUTPUT,
                    0,
                    lambda a, out, dout: out * dout,
                    "multiply dout by the slope (1 if a > 0 else 0), not by out = max(0, a).",
                ),
            ),
        ),
    ]
}


#: engine op -> hw1 function name
LOCAL_RULE_FOR_OP: dict[str, str] = {spec.op: name for name, spec in LOCAL_RULES.items()}


def _generic_wrong(spec: LocalRuleSpec, index: int) -> list[_WrongRule]:
    """Mistakes any rule can make: no chain-rule factor, flipped sign, dout passed through, zero."""

    def expected(*args: float) -> float:
        return spec.grads(*args)[index]

    return [
        _WrongRule(
            "sign",
            index,
            lambda *args: -expected(*args),
            "the sign is flipped. " + spec.derivative,
        ),
        _WrongRule(
            "forgot_dout",
            index,
            _safe(lambda *args: expected(*args) / args[-1]),
            "you returned the local derivative but forgot the chain-rule factor dout: "
            "gradient = (local derivative) × dout.",
        ),
        _WrongRule(
            "returned_dout",
            index,
            lambda *args: args[-1],
            "you passed dout through unchanged, which only + does. " + spec.derivative,
        ),
        _WrongRule("zero", index, lambda *args: 0.0, "you returned 0: is the gradient ever computed?"),
    ]


def _spec_for(fn: LocalRule, function: str | None) -> LocalRuleSpec:
    name = function or getattr(fn, "__name__", "")
    if name not in LOCAL_RULES:
        raise ValueError(f"no self-check for a local rule named {name!r}; pass function= one of {sorted(LOCAL_RULES)}")
    return LOCAL_RULES[name]


def _where(spec: LocalRuleSpec, point: tuple[float, ...], out: float) -> str:
    args = [f"{n} = {_fmt(v)}" for n, v in zip(spec.inputs, point)]
    return "at " + ", ".join([*args, f"out = {_fmt(out)}", f"dout = {_fmt(point[-1])}"])


def evaluate_local_rule(fn: LocalRule, function: str | None = None, tol: float = TOL) -> Feedback:
    """Check a hw1 local rule ``fn(*inputs, out, dout)`` at a few points; see :func:`check_local_rule`."""
    spec = _spec_for(fn, function)
    name = spec.function
    grad_names = [f"d{n}" for n in spec.inputs[: spec.n_grads]]
    answers: list[tuple[float, ...]] = []
    expected: list[tuple[float, ...]] = []
    calls: list[tuple[float, ...]] = []
    for point in spec.points:
        inputs, dout = point[:-1], point[-1]
        out = spec.forward(*inputs)
        args = (*inputs, out, dout)
        calls.append(args)
        where = _where(spec, point, out)
        got = _call(fn, name, where, *args)
        if spec.n_grads == 1:
            if isinstance(got, (tuple, list)):
                extra = " (n is a fixed number: it gets no gradient)" if spec.op == "**" else ""
                return Feedback(
                    name,
                    False,
                    f"returned a {type(got).__name__} of length {len(got)}; expected one number, {grad_names[0]}.",
                    (where,),
                    f"return just {grad_names[0]}{extra}.",
                    "structure",
                )
            got = (got,)
        elif got is None or not isinstance(got, (tuple, list)) or len(got) != spec.n_grads:
            what = "None" if got is None else f"{type(got).__name__} {got!r}"
            return Feedback(
                name,
                False,
                f"returned {what}; expected a pair ({', '.join(grad_names)}).",
                (where,),
                "did your function forget to `return`?" if got is None else f"return {', '.join(grad_names)}",
                "structure",
            )
        for g, gname in zip(got, grad_names):
            problem = _number_problem(g, gname)
            if problem:
                return Feedback(name, False, problem[0], (where,), problem[1], "not_a_number")
        answers.append(tuple(_as_float(g) for g in got))
        expected.append(tuple(float(e) for e in spec.grads(*args)))

    bad = [
        (p, i)
        for p in range(len(spec.points))
        for i in range(spec.n_grads)
        if _rel(answers[p][i], expected[p][i]) > tol
    ]
    if not bad:
        return Feedback(
            name,
            True,
            f"correct at {len(spec.points)} test points (relative error below {tol:.0e} everywhere).",
        )
    p, i = bad[0]
    point = spec.points[p]
    details = (
        _where(spec, point, spec.forward(*point[:-1])),
        f"expected {grad_names[i]} = {_fmt(expected[p][i])}, got {_fmt(answers[p][i])} "
        f"(relative error {_rel(answers[p][i], expected[p][i]):.1e})",
    )
    if spec.n_grads == 2 and all(
        _rel(answers[q][0], expected[q][1]) <= tol and _rel(answers[q][1], expected[q][0]) <= tol
        for q in range(len(spec.points))
    ):
        hint = f"you returned the two gradients in swapped order: return ({', '.join(grad_names)}). "
        return Feedback(name, False, "the gradients are swapped.", details, hint + spec.derivative, "swapped")
    for wrong in [*(w for w in spec.wrong if w.index == i), *_generic_wrong(spec, i)]:
        predicted = [wrong.rule(*calls[q]) for q in range(len(spec.points))]
        if _rel(answers[p][i], predicted[p]) > tol:
            continue
        if all(math.isnan(w) or _rel(answers[q][i], w) <= tol for q, w in enumerate(predicted)):
            return Feedback(name, False, f"wrong gradient for {spec.inputs[i]}.", details, wrong.hint, wrong.mistake)
    return Feedback(name, False, f"wrong gradient for {spec.inputs[i]}.", details, spec.derivative, None)


def check_local_rule(fn: LocalRule, function: str | None = None, tol: float = TOL) -> None:
    """Check a hw1 local rule and print the feedback.

    The rule is called as ``fn(*inputs, out, dout)`` at a few test points (``dout`` never
    1, so a forgotten chain-rule factor shows) and compared with the right gradient.
    On a wrong answer the feedback names the input, shows expected vs got and, if it
    recognises the mistake, says what it is.

    Args:
        fn: the student's rule, e.g. ``mul_backward``.
        function: which rule it is (default: ``fn.__name__``), a key of :data:`LOCAL_RULES`.
        tol: largest accepted relative error.
    """
    print(evaluate_local_rule(fn, function, tol))


def _engine_expression(a: Value, b: Value) -> Value:
    """Uses each hw1 op at least once, and a, b and e more than once (fan-out)."""
    c = a * b + a / b
    d = (c**2).tanh()
    e = (b.exp() + 1.0).log()
    return (d * e).sigmoid() + (a + e).relu()


def evaluate_rules_in_engine(rules: Mapping[str, LocalRule], point: tuple[float, float] = (0.6, -1.3)) -> Feedback:
    """Run the engine with the given local rules plugged in and compare with its own rules.

    Args:
        rules: engine op (``"+"``, ``"*"``, ``"/"``, ``"**"``, ``"exp"``, ``"log"``, ``"tanh"``,
            ``"sigmoid"``, ``"relu"``) -> the student's local rule for it.
        point: the inputs ``(a, b)`` of the test expression.
    """
    unknown = sorted(set(rules) - set(LOCAL_RULE_FOR_OP))
    if unknown:
        raise ValueError(f"no hw1 rule for op(s) {unknown}; use keys from {sorted(LOCAL_RULE_FOR_OP)}")
    exercise = "your rules inside the engine"

    def grads(node_rules: Mapping[str, Callable[[Value], None]]) -> tuple[float, float]:
        a, b = Value(point[0]), Value(point[1])
        with custom_backward_rules(node_rules):
            _engine_expression(a, b).backward()
        return a.grad, b.grad

    node_rules = {op: from_local_rule(fn, len(LOCAL_RULES[LOCAL_RULE_FOR_OP[op]].inputs)) for op, fn in rules.items()}
    reference = grads({})
    try:
        yours = grads(node_rules)
    except NotImplementedError as err:
        raise NotImplementedError(f"{err} (raised while running your rules inside the engine)") from None
    except (TypeError, ValueError) as err:
        return Feedback(
            exercise, False, f"the engine could not use one of your rules: {err}", hint="run each rule's own check."
        )
    where = f"f(a, b) = sigmoid(tanh((a·b + a/b)²)·e) + relu(a + e), e = log(eᵇ + 1), at a = {point[0]}, b = {point[1]}"
    if _rel(yours[0], reference[0]) <= TOL and _rel(yours[1], reference[1]) <= TOL:
        ops = ", ".join(sorted(rules))
        return Feedback(
            exercise,
            True,
            f"with your rules for {ops}, backward() gives the same gradients as the built-in rules: "
            f"∂f/∂a = {_fmt(yours[0])}, ∂f/∂b = {_fmt(yours[1])}.",
            (where,),
        )
    culprits = []
    for op, rule in node_rules.items():
        try:
            alone = grads({op: rule})
        except (TypeError, ValueError):
            alone = (math.nan, math.nan)
        if _rel(alone[0], reference[0]) > TOL or _rel(alone[1], reference[1]) > TOL:
            culprits.append(LOCAL_RULE_FOR_OP[op])
    details = (
        where,
        f"expected ∂f/∂a = {_fmt(reference[0])}, ∂f/∂b = {_fmt(reference[1])}; got {_fmt(yours[0])}, {_fmt(yours[1])}",
    )
    hint = (
        f"these rules change the result: {', '.join(culprits)}; run check_local_rule on each."
        if culprits
        else "each rule alone is fine, but together they disagree: run check_local_rule on each."
    )
    return Feedback(exercise, False, "the gradients differ from the built-in rules.", details, hint, "rules")


def check_rules_in_engine(rules: Mapping[str, LocalRule], point: tuple[float, float] = (0.6, -1.3)) -> None:
    """Print :func:`evaluate_rules_in_engine`'s feedback."""
    print(evaluate_rules_in_engine(rules, point))
