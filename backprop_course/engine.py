"""A scalar reverse-mode autograd engine: ``Value``.

Every ``Value`` holds one float (``data``), the derivative of the final output
with respect to it (``grad``), the nodes it was computed from (``_prev``) and
the name of the operation that made it (``_op``). Calling ``loss.backward()``
walks the graph from ``loss`` back to the leaves and applies the chain rule:

.. math::

    \\frac{\\partial L}{\\partial x} = \\sum_{\\text{parents } p \\text{ of } x}
        \\frac{\\partial L}{\\partial p}\\,\\frac{\\partial p}{\\partial x}

The names follow micrograd (``Value``, ``.data``, ``.grad``, ``.backward()``,
``.relu()``) so its lecture carries over. Three things differ on purpose:

* each op's forward is followed by its *backward rule* (the local derivative
  times the upstream gradient), registered in one table, ``BACKWARD_RULES``, so a
  student's own rule can be swapped in with :func:`custom_backward_rules`;
* the topological sort is iterative, so a chain of a million nodes works;
* ``backward()`` is well defined when called twice: interior gradients are
  recomputed from scratch, leaf gradients *accumulate* (as in PyTorch). That is
  why a training loop must call ``zero_grad()`` before each backward pass.

float64 throughout: ``data`` is always a Python ``float``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import cast

__all__ = [
    "BACKWARD_RULES",
    "TrainingDivergedError",
    "Value",
    "custom_backward_rules",
    "from_local_rule",
    "topological_order",
]


class TrainingDivergedError(FloatingPointError):
    """Raised by ``backward()`` when the value it starts from is NaN or infinite."""


BackwardRule = Callable[["Value"], None]

#: op name -> function that, given the output node ``out``, adds
#: ``d out / d child * out.grad`` to each child's ``grad``. Filled in below,
#: each rule right after the forward of its op.
BACKWARD_RULES: dict[str, BackwardRule] = {}


def _rule(op: str) -> Callable[[BackwardRule], BackwardRule]:
    """Register ``fn`` as the backward rule of ``op`` (used as a decorator)."""

    def register(fn: BackwardRule) -> BackwardRule:
        BACKWARD_RULES[op] = fn
        return fn

    return register


def _check_number(x: object, what: str) -> float:
    """Return ``x`` as a float, or raise a TypeError that says what was wrong."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        hint = ""
        if isinstance(x, str):
            hint = " Convert it first, e.g. Value(float(text))."
        elif x is None:
            hint = " Did a function forget to `return` its result?"
        elif isinstance(x, Value):
            hint = " It is already a Value: use it directly."
        else:
            hint = " Use an int or a float (a 1-element numpy array: use arr.item())."
        raise TypeError(f"{what} must be a real number, got {type(x).__name__} {x!r}.{hint}")
    return float(x)


def _too_large(expression: str) -> str:
    return (
        f"{expression} is too large for a float64. Numbers this large usually mean training "
        "diverged: try a smaller learning rate."
    )


def _as_value(x: Value | float, op: str) -> Value:
    if isinstance(x, Value):
        return x
    return Value(_check_number(x, f"the other operand of {op!r}"))


class Value:
    """A scalar in a computation graph, with the gradient of the output w.r.t. it.

    Args:
        data: the number this node holds (stored as a float64 Python ``float``).
        label: an optional name, shown by :func:`backprop_course.plots.draw_graph`.

    Example:
        >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
        >>> L = a * b + a            # L = ab + a
        >>> L.backward()
        >>> a.grad, b.grad           # dL/da = b + 1, dL/db = a
        (-2.0, 2.0)
    """

    __slots__ = ("data", "grad", "_prev", "_op", "_aux", "label")

    data: float
    grad: float
    _prev: tuple[Value, ...]
    _op: str
    _aux: float
    label: str

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _check_number(data, "Value(data)")
        self.grad = 0.0
        self._prev = ()
        self._op = ""
        self._aux = 0.0
        self.label = label

    # ------------------------------------------------------------------ ops
    # Each op: the forward (a method), then its backward rule. In every rule,
    # `out` is the node the op produced and out.grad is dL/d(out).

    def __add__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = _as_value(other, "+")
        return _node(self.data + other.data, (self, other), "+")

    @staticmethod
    @_rule("+")
    def _add_backward(out: Value) -> None:
        # d(a+b)/da = 1, d(a+b)/db = 1
        a, b = out._prev
        a.grad += out.grad
        b.grad += out.grad

    def __mul__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = _as_value(other, "*")
        return _node(self.data * other.data, (self, other), "*")

    @staticmethod
    @_rule("*")
    def _mul_backward(out: Value) -> None:
        # d(ab)/da = b, d(ab)/db = a
        a, b = out._prev
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    def __truediv__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = _as_value(other, "/")
        if other.data == 0.0:
            raise ZeroDivisionError(
                f"division by a Value that is zero: {self.data!r} / 0.0. "
                "If this is a mean over an empty list, check the list is not empty; "
                "if it is a normaliser, add a small epsilon."
            )
        return _node(self.data / other.data, (self, other), "/")

    @staticmethod
    @_rule("/")
    def _div_backward(out: Value) -> None:
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -out/b
        a, b = out._prev
        a.grad += out.grad / b.data
        b.grad -= out.data / b.data * out.grad

    def __pow__(self, exponent: Value | float) -> Value:
        if isinstance(exponent, Value):
            if self.data <= 0.0:
                raise ValueError(
                    f"a ** b with a Value exponent needs a positive base, got base {self.data!r}: "
                    "its derivative d/db = a**b * log(a) is not real for a <= 0. "
                    "If the exponent is a fixed number, pass a float instead of a Value."
                )
            try:
                return _node(self.data**exponent.data, (self, exponent), "pow")
            except OverflowError:
                raise OverflowError(_too_large(f"{self.data!r} ** {exponent.data!r}")) from None
        n = _check_number(exponent, "the exponent of '**'")
        if self.data == 0.0 and n < 0:
            raise ZeroDivisionError(f"0.0 ** {n!r}: a negative power of zero is undefined.")
        if self.data < 0.0 and not n.is_integer():
            raise ValueError(
                f"{self.data!r} ** {n!r}: a negative base with a fractional exponent is "
                "not a real number. Use an integer exponent, or make the base positive."
            )
        try:
            out = _node(self.data**n, (self,), "**")
        except OverflowError:
            raise OverflowError(_too_large(f"{self.data!r} ** {n!r}")) from None
        out._aux = n
        return out

    @staticmethod
    @_rule("**")
    def _pow_backward(out: Value) -> None:
        # d(a^n)/da = n a^(n-1), n a fixed number kept in out._aux
        (a,) = out._prev
        n = out._aux
        a.grad += n * a.data ** (n - 1.0) * out.grad

    @staticmethod
    @_rule("pow")
    def _pow_value_backward(out: Value) -> None:
        # d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log(a)   (a > 0, checked in forward)
        a, b = out._prev
        a.grad += b.data * a.data ** (b.data - 1.0) * out.grad
        b.grad += out.data * math.log(a.data) * out.grad

    def exp(self) -> Value:
        try:
            return _node(math.exp(self.data), (self,), "exp")
        except OverflowError:
            raise OverflowError(_too_large(f"exp({self.data!r})")) from None

    @staticmethod
    @_rule("exp")
    def _exp_backward(out: Value) -> None:
        # d(e^a)/da = e^a = out
        (a,) = out._prev
        a.grad += out.data * out.grad

    def log(self) -> Value:
        if self.data <= 0.0:
            raise ValueError(
                f"log is defined only for positive numbers, got log({self.data!r}). "
                "For a probability p that can reach 0, compute the loss from logits "
                "(e.g. losses.binary_cross_entropy) or use log(p + 1e-12)."
            )
        return _node(math.log(self.data), (self,), "log")

    @staticmethod
    @_rule("log")
    def _log_backward(out: Value) -> None:
        # d(log a)/da = 1/a
        (a,) = out._prev
        a.grad += out.grad / a.data

    def tanh(self) -> Value:
        return _node(math.tanh(self.data), (self,), "tanh")

    @staticmethod
    @_rule("tanh")
    def _tanh_backward(out: Value) -> None:
        # d(tanh a)/da = 1 - tanh(a)^2 = 1 - out^2
        (a,) = out._prev
        a.grad += (1.0 - out.data * out.data) * out.grad

    def sigmoid(self) -> Value:
        x = self.data
        # Two forms of 1/(1+e^-x), each exp() of a non-positive number: never overflows.
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, (self,), "sigmoid")

    @staticmethod
    @_rule("sigmoid")
    def _sigmoid_backward(out: Value) -> None:
        # d(sigma(a))/da = sigma(a)(1 - sigma(a)) = out(1 - out)
        (a,) = out._prev
        a.grad += out.data * (1.0 - out.data) * out.grad

    def relu(self) -> Value:
        return _node(self.data if self.data > 0.0 else 0.0, (self,), "relu")

    @staticmethod
    @_rule("relu")
    def _relu_backward(out: Value) -> None:
        # d(relu a)/da = 1 if a > 0 else 0  (we take 0 at the kink a = 0)
        (a,) = out._prev
        if out.data > 0.0:
            a.grad += out.grad

    @staticmethod
    def sum(values: Iterable[Value | float]) -> Value:
        """n-ary sum: one node for ``v_1 + ... + v_n`` instead of n-1 binary ``+`` nodes."""
        prev = tuple(_as_value(v, "sum") for v in values)
        if not prev:
            raise ValueError("Value.sum() needs at least one value, got an empty sequence.")
        return _node(math.fsum(v.data for v in prev), prev, "sum")

    @staticmethod
    @_rule("sum")
    def _sum_backward(out: Value) -> None:
        # d(sum v_i)/dv_i = 1
        g = out.grad
        for v in out._prev:
            v.grad += g

    @staticmethod
    def dot(weights: Sequence[Value], inputs: Sequence[Value | float], bias: Value | None = None) -> Value:
        """n-ary ``w . x (+ b)`` in one node: a neuron's pre-activation.

        ``weights`` must be Values; plain numbers in ``inputs`` are wrapped.
        """
        n = len(weights)
        if len(inputs) != n:
            raise ValueError(f"Value.dot needs as many weights as inputs, got {n} weights and {len(inputs)} inputs.")
        ws = tuple(weights)
        # Fast path: inputs are Values already (a Layer wraps them once); checked by the except below.
        xs = cast(tuple[Value, ...], tuple(inputs))
        total = 0.0 if bias is None else bias.data
        try:
            for w, x in zip(ws, xs):
                total += w.data * x.data
        except (AttributeError, TypeError):  # rare path: plain numbers among the inputs, or non-Value weights
            if not all(isinstance(w, Value) for w in ws):
                raise TypeError("Value.dot needs weights that are Values (the parameters to train)") from None
            xs = tuple(_as_value(x, "dot") for x in xs)
            total = 0.0 if bias is None else bias.data
            for w, x in zip(ws, xs):
                total += w.data * x.data
        prev = ws + xs if bias is None else ws + xs + (bias,)
        return _node(total, prev, "dot")

    @staticmethod
    @_rule("dot")
    def _dot_backward(out: Value) -> None:
        # d(w.x + b)/dw_i = x_i, d/dx_i = w_i, d/db = 1. _prev = (w_1..w_n, x_1..x_n[, b])
        prev = out._prev
        g = out.grad
        n = len(prev) // 2
        for w, x in zip(prev[:n], prev[n : 2 * n]):
            w.grad += x.data * g
            x.grad += w.data * g
        if len(prev) % 2:
            prev[-1].grad += g

    # ------------------------------------------- ops built from the ones above

    def __neg__(self) -> Value:
        return self * -1.0

    def __radd__(self, other: float) -> Value:
        return _as_value(other, "+") + self

    def __sub__(self, other: Value | float) -> Value:
        return self + (-_as_value(other, "-"))

    def __rsub__(self, other: float) -> Value:
        return _as_value(other, "-") + (-self)

    def __rmul__(self, other: float) -> Value:
        return _as_value(other, "*") * self

    def __rtruediv__(self, other: float) -> Value:
        return _as_value(other, "/") / self

    def __rpow__(self, base: float) -> Value:
        return _as_value(base, "**") ** self

    # ------------------------------------------------------------ backward

    def backward(self) -> None:
        """Fill in ``grad`` of every node this one depends on, by the chain rule.

        ``self.grad`` is set to 1 (dL/dL). Interior nodes are reset to 0 first and
        get exactly ``dL/d(node)``; leaves (inputs, parameters) *accumulate*:
        a second ``backward()`` without ``zero_grad()`` adds the gradient again.

        Raises:
            TrainingDivergedError: if ``self.data`` is NaN or infinite.
        """
        if not math.isfinite(self.data):
            raise TrainingDivergedError(
                f"backward() from a value that is {self.data!r}: the computation produced "
                "NaN or infinity, so its gradients are meaningless. In training this "
                "usually means it diverged: try a smaller learning rate."
            )
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        rules = BACKWARD_RULES
        for node in reversed(order):
            rules[node._op](node)

    # ------------------------------------------------------------- display

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"

    @property
    def op(self) -> str:
        """The name of the op that produced this node ('' for a leaf)."""
        return self._op

    @property
    def children(self) -> tuple[Value, ...]:
        """The nodes this one was computed from (empty for a leaf)."""
        return self._prev


_new = object.__new__


def _node(data: float, prev: tuple[Value, ...], op: str) -> Value:
    """Make an interior node. Skips __init__'s checks: ``data`` is a float an op computed."""
    out: Value = _new(Value)
    out.data = data
    out.grad = 0.0
    out._prev = prev
    out._op = op
    out._aux = 0.0
    out.label = ""
    return out


def topological_order(root: Value) -> list[Value]:
    """The interior (non-leaf) nodes reachable from ``root``, children before parents.

    Iterative depth-first search: a node is appended after all its children,
    so walking the list backwards visits every node after all the nodes that use
    it. That is the order in which backward rules may run. Leaves are left out:
    they have no rule to run, they only receive gradient.
    """
    if not root._prev:
        return []
    order: list[Value] = []
    visited = {root}
    stack: list[tuple[Value, Iterator[Value]]] = [(root, iter(root._prev))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if child._prev and child not in visited:
                visited.add(child)
                stack.append((child, iter(child._prev)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


@contextmanager
def custom_backward_rules(rules: Mapping[str, BackwardRule]) -> Iterator[None]:
    """Temporarily replace the backward rule of some ops, e.g. with a student's own.

    Args:
        rules: op name (a key of ``BACKWARD_RULES``) -> rule taking the output node.

    Example:
        >>> def my_tanh_backward(out):
        ...     (a,) = out._prev
        ...     a.grad += (1 - out.data**2) * out.grad
        >>> with custom_backward_rules({"tanh": my_tanh_backward}):
        ...     Value(0.5).tanh().backward()
    """
    unknown = sorted(set(rules) - set(BACKWARD_RULES))
    if unknown:
        raise KeyError(f"no op named {unknown}; ops with backward rules: {sorted(BACKWARD_RULES)}")
    saved = {op: BACKWARD_RULES[op] for op in rules}
    BACKWARD_RULES.update(rules)
    try:
        yield
    finally:
        BACKWARD_RULES.update(saved)


def from_local_rule(local_rule: Callable[..., object], arity: int) -> BackwardRule:
    """Turn a float-level local rule into a node-level rule for :func:`custom_backward_rules`.

    A *local rule* works on plain floats, ``local_rule(*inputs, out, dout)``, and
    returns the gradient w.r.t. each input: a float for a unary op, ``(da, db)`` for
    a binary one (hw1's ``mul_backward(a, b, out, dout) -> (a_grad, b_grad)``). The
    node-level rule reads the inputs from ``out``'s children, calls the local rule
    and *adds* each gradient to the child's ``grad`` (``+=``: a node used twice
    receives gradient along both paths).

    ``a ** n`` with a fixed number ``n`` is the one binary op whose second input is
    not a node: ``n`` sits in ``out._aux``. Its local rule takes ``(a, n, out, dout)``
    (``arity=2``) and returns only ``da``.

    Args:
        local_rule: the float-level rule.
        arity: how many inputs it takes before ``out, dout`` (1 or 2).

    Example:
        >>> def mul_backward(a, b, out, dout):
        ...     return b * dout, a * dout
        >>> x, y = Value(2.0), Value(3.0)
        >>> with custom_backward_rules({"*": from_local_rule(mul_backward, 2)}):
        ...     (x * y).backward()
        >>> x.grad, y.grad
        (3.0, 2.0)
    """
    if isinstance(arity, bool) or arity not in (1, 2):
        raise ValueError(f"arity must be 1 (unary op) or 2 (binary op), got {arity!r}")
    if not callable(local_rule):
        raise TypeError(f"local_rule must be a function, got {type(local_rule).__name__} {local_rule!r}")
    name = getattr(local_rule, "__name__", repr(local_rule))

    def rule(out: Value) -> None:
        children = out._prev
        inputs = [c.data for c in children]
        if len(children) == 1 and arity == 2:
            inputs.append(out._aux)  # a ** n: the fixed exponent n is no node, it gets no gradient
        elif len(children) != arity:
            raise ValueError(
                f"{name} takes {arity} input(s) but the {out._op!r} node has {len(children)} children; "
                "plug it in for an op with that many inputs"
            )
        grads = local_rule(*inputs, out.data, out.grad)
        if len(children) == 1:
            if isinstance(grads, (tuple, list)):
                raise TypeError(
                    f"{name} must return one number (the gradient w.r.t. its input a), got a "
                    f"{type(grads).__name__} of length {len(grads)}"
                )
            grads = (grads,)
        elif not isinstance(grads, (tuple, list)) or len(grads) != 2:
            raise TypeError(f"{name} must return a pair (da, db), got {type(grads).__name__} {grads!r}")
        for child, g in zip(children, grads):
            child.grad += _check_number(g, f"the gradient returned by {name}")

    rule.__name__ = f"node_rule_{name}"
    rule.__doc__ = f"Node-level backward rule applying the local rule {name}."
    return rule
