"""Reference training runs, right and with the classic mistakes, for the hw2 and hw4 trajectory checks.

A training loop that "makes the loss fall" can still be wrong: without ``zero_grad``
the gradients of all past steps pile up (a running sum that acts like momentum
without friction), an update of only the last layer still lowers the loss, a wrong
learning rate changes the speed. So the checks compare the learner's loss history
step by step with the course engine's own run from the *same initial weights*, and,
where they part, with runs that make each known mistake; the first one that matches
names the cause.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ..engine import Value
from ..nn import MLP

#: relative error under which two losses are the same number
SAME_LOSS = 1e-6

#: the mistakes a reference run can make, with what to tell the learner
VARIANT_HINTS: dict[str, str] = {
    "no_zero_grad": "your losses match a run that never calls zero_grad(): the gradients of all past steps pile "
    "up in p.grad (a running sum that acts like momentum without friction). Call model.zero_grad() before "
    "each backward().",
    "last_layer_only": "your losses match a run that updates only the last layer's parameters: update every "
    "parameter, `for p in model.parameters(): p.data -= lr * p.grad`.",
    "ascent": "your losses match a run that steps *up* the gradient: subtract, p.data -= lr * p.grad.",
    "double_lr": "your losses match a run with twice the learning rate: is lr applied twice, or the gradient doubled?",
    "half_lr": "your losses match a run with half the learning rate.",
    "zero_grad_after_backward": "your losses never change: the parameters' gradients are 0 when you update them. "
    "Either backward() does not reach them (if a backward or Value check fails, fix that first) or zero_grad() "
    "runs between backward() and the update (it belongs before backward()).",
}


def set_parameters(model: MLP, weights: Sequence[float]) -> MLP:
    """Give ``model``'s parameters the values ``weights``, in ``parameters()`` order; returns ``model``."""
    params = model.parameters()
    if len(params) != len(weights):
        raise ValueError(f"{len(weights)} weights for a model with {len(params)} parameters")
    for p, w in zip(params, weights):
        p.data = float(w)
        p.grad = 0.0
    return model


def reference_history(
    model: MLP,
    loss_of: Callable[[MLP], Value],
    steps: int,
    lr: float,
    variant: str = "right",
) -> list[float]:
    """The loss before each of ``steps`` gradient-descent steps of ``model`` (changed in place).

    ``variant`` is ``"right"`` or a key of :data:`VARIANT_HINTS`: the same loop with that
    mistake. A run that overflows stops early (its history is shorter).
    """
    if variant != "right" and variant not in VARIANT_HINTS:
        raise ValueError(f"unknown variant {variant!r}; choose 'right' or one of {sorted(VARIANT_HINTS)}")
    params = model.parameters()
    updated = model.layers[-1].parameters() if variant == "last_layer_only" else params
    rate = {"ascent": -lr, "double_lr": 2 * lr, "half_lr": lr / 2}.get(variant, lr)
    history: list[float] = []
    for _ in range(steps):
        try:
            loss = loss_of(model)
        except (OverflowError, ValueError):
            break
        if not math.isfinite(loss.data):
            break
        history.append(loss.data)
        if variant not in ("no_zero_grad", "zero_grad_after_backward"):
            model.zero_grad()
        loss.backward()
        if variant == "zero_grad_after_backward":
            model.zero_grad()
        for p in updated:
            p.data -= rate * p.grad
    return history


def first_difference(got: Sequence[float], want: Sequence[float], tol: float = SAME_LOSS) -> int | None:
    """The first step where two loss histories differ (relative error above ``tol``), or None."""
    for k, (g, w) in enumerate(zip(got, want)):
        if not (math.isfinite(g) and abs(g - w) <= tol * max(1e-8, abs(g) + abs(w))):
            return k
    return None


def diagnose_history(
    got: Sequence[float],
    make_model: Callable[[], MLP],
    loss_of: Callable[[MLP], Value],
    lr: float,
    steps_compared: int = 8,
) -> tuple[str, str | None]:
    """``(hint, mistake id)`` for a history that left the right trajectory.

    Runs each variant of :data:`VARIANT_HINTS` for ``steps_compared`` steps from
    ``make_model()`` (a fresh model with the same initial weights each time) and names
    the first one the learner's history matches.
    """
    n = min(steps_compared, len(got))
    for variant, hint in VARIANT_HINTS.items():
        want = reference_history(make_model(), loss_of, n, lr, variant)
        if len(want) == n and first_difference(got[:n], want) is None:
            return hint, variant
    return (
        "the update differs from gradient descent on this loss: per step, zero_grad(), backward(), then "
        "p.data -= lr * p.grad for every parameter (check lr, the sign, and that the loss is the one asked for).",
        None,
    )


def describe_split(got: Sequence[float], want: Sequence[float], k: int) -> str:
    """One line: where the histories part and by how much."""
    g: Any = got[k] if k < len(got) else "nothing"
    shown = f"{g:.6g}" if isinstance(g, float) else str(g)
    return f"your loss at step {k} is {shown}, the reference run from the same initial weights has {want[k]:.6g}"
