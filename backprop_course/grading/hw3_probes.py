"""hw3's probe: ``two_layer_backward`` judged on its own, with right layer functions substituted.

Run only inside the grader's child process (looked up as ``"module:function"`` by
:mod:`._child`). ``two_layer_backward`` calls the learner's ``linear_backward``,
``relu_backward`` and ``softmax_cross_entropy_backward``; a bug in one of those is
already charged in that function's own test. So each call runs twice: as written, and
with those three names pointing at correct versions defined inside the probe (local
functions: nothing a submission could import). The judge then grades the chaining by
the second answer and says when the first was wrong only because of a layer function.
"""

from __future__ import annotations

from typing import Any

from . import _child

#: the learner's layer functions that two_layer_backward calls
SUBSTITUTED = ("linear_backward", "relu_backward", "softmax_cross_entropy_backward")


def probe_two_layer(ns: dict[str, Any], payload: dict[str, Any], guard: Any) -> dict[str, Any]:
    """Call ``two_layer_backward`` on each argument list, as written and with right layer functions."""
    import numpy as np

    fn = ns.get("two_layer_backward")
    if not callable(fn):
        return {"missing": "two_layer_backward"}

    def linear_backward(dout: Any, cache: Any) -> Any:
        x, W, _ = cache
        return dout @ W, dout.T @ x, dout.sum(axis=0)

    def relu_backward(dout: Any, cache: Any) -> Any:
        return dout * (cache > 0)

    def softmax_cross_entropy_backward(dloss: Any, cache: Any) -> Any:
        probs, y = cache
        d = np.array(probs, dtype=np.float64)
        d[np.arange(len(y)), y] -= 1.0
        return dloss * d / len(y)

    right = {
        "linear_backward": linear_backward,
        "relu_backward": relu_backward,
        "softmax_cross_entropy_backward": softmax_cross_entropy_backward,
    }
    answers = []
    for args in payload["calls"]:
        ok, value = guard.call(fn, *_child.decode(args))
        answer: dict[str, Any] = {"value": _child.encode(value)} if ok else {"error": value}
        saved = {name: ns[name] for name in SUBSTITUTED if name in ns}
        try:
            ns.update(right)
            ok, value = guard.call(fn, *_child.decode(args))
        finally:
            for name in SUBSTITUTED:
                ns.pop(name, None)
            ns.update(saved)
        answer["substituted"] = {"value": _child.encode(value)} if ok else {"error": value}
        answers.append(answer)
    return {"answers": answers}
