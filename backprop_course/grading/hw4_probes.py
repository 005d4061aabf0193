"""hw4's probes: what the grader's child process does with a learner's own ``Value`` and ``MLP``.

Run only inside the child (see :mod:`._child`, which looks a probe ``"module:function"``
up here); the judge in the parent never imports this module. Every probe builds
what the judge described as plain data on the *learner's* classes, never on the
course's engine (unavailable while grading), and answers with plain numbers.
"""

from __future__ import annotations

import ast
from typing import Any

from .graphs import build_on

#: the course's classes a submission must not use for hw4
COURSE_CLASSES = ("Value", "MLP", "Neuron", "Layer", "Module")
_COURSE_MODULES = ("backprop_course.engine", "backprop_course.nn")

REFUSAL = (
    "hw4 asks you to write your own Value (and MLP); {what}. Importing or subclassing the course's "
    "engine is not allowed here: remove that import and use the classes you wrote."
)


def _num(x: Any) -> Any:
    """A plain float for a number, else a tag naming what it is."""
    if type(x) in (int, float):
        return float(x)
    module = type(x).__module__
    if module == "numpy" and hasattr(x, "dtype") and getattr(x, "shape", None) == ():
        try:
            return float(x)
        except (TypeError, ValueError):
            pass
    return {"__object__": type(x).__name__}


def refusal(ns: dict[str, Any], files: dict[str, str]) -> str:
    """Why this submission uses the course's engine instead of its own, or ``""``."""
    for name in ("Value", "MLP", "Neuron", "Layer"):
        obj = ns.get(name)
        if type(obj).__name__ == "Unavailable":
            return REFUSAL.format(what=f"your `{name}` is the course's (imported from the library)")
        if isinstance(obj, type):
            for base in obj.__mro__:
                if str(getattr(base, "__module__", "")).startswith("backprop_course"):
                    what = f"your `{name}` is, or subclasses, the course's {base.__module__}.{base.__qualname__}"
                    return REFUSAL.format(what=what)
    for text in files.values():
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {a.name for a in node.names}
                if node.module in _COURSE_MODULES or (
                    node.module == "backprop_course" and names & {"engine", "nn", *COURSE_CLASSES}
                ):
                    return REFUSAL.format(what=f"your code imports from {node.module} (line {node.lineno})")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in _COURSE_MODULES:
                        return REFUSAL.format(what=f"your code imports {alias.name} (line {node.lineno})")
    return ""


def _class(ns: dict[str, Any], name: str) -> type | None:
    obj = ns.get(name)
    return obj if isinstance(obj, type) else None


def probe_graphs(ns: dict[str, Any], payload: dict[str, Any], guard: Any) -> dict[str, Any]:
    """Build each graph with the learner's ``Value``, call ``root.backward()``, report every node's data and grad."""
    refused = refusal(ns, guard.files)
    if refused:
        return {"refused": refused}
    value_class = _class(ns, "Value")
    if value_class is None:
        return {"missing": "Value"}
    answers = []
    for desc in payload["graphs"]:
        ok, nodes = guard.call(build_on, value_class, desc)
        if not ok:
            answers.append({"error": nodes, "stage": "build"})
            continue
        data = [_num(getattr(n, "data", None)) for n in nodes]
        ok, err = guard.call(_backward, nodes[-1])
        if not ok:
            answers.append({"error": err, "stage": "backward", "data": data})
            continue
        answers.append({"data": data, "grads": [_num(getattr(n, "grad", None)) for n in nodes]})
    return {"answers": answers}


def _scalar(out: Any) -> Any:
    return out[0] if isinstance(out, list) and len(out) == 1 else out


def probe_mlp(ns: dict[str, Any], payload: dict[str, Any], guard: Any) -> dict[str, Any]:
    """``MLP(nin, nouts)``: parameter count, outputs with the judge's weights, zero_grad, one hinge-loss step."""
    refused = refusal(ns, guard.files)
    if refused:
        return {"refused": refused}
    mlp = _class(ns, "MLP")
    if mlp is None:
        return {"missing": "MLP"}
    partial: dict[str, Any] = {}
    # the answer is filled step by step, so an exception keeps what came before it
    ok, value = guard.call(_mlp_answers_into, mlp, payload, partial)
    if ok:
        return {"answer": value}
    return {"answer": partial, "error": value}


def _mlp_answers_into(mlp: type, payload: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """Everything the MLP tests need; ``answer["stage"]`` says how far it got."""
    answer["stage"] = "build"
    model = mlp(payload["nin"], list(payload["nouts"]))
    answer["stage"] = "parameters"
    params = model.parameters()
    if not isinstance(params, (list, tuple)):
        answer["parameters_type"] = type(params).__name__
        return answer
    answer["count"] = len(params)
    if len(params) != len(payload["weights"]):
        return answer
    answer["stage"] = "forward"
    for p, w in zip(params, payload["weights"]):
        p.data = w
    answer["outputs"] = [_num(getattr(_scalar(model(list(x))), "data", None)) for x in payload["inputs"]]
    answer["stage"] = "zero_grad"
    for p in params:
        p.grad = payload["stale"]
    model.zero_grad()
    answer["after_zero_grad"] = [_num(getattr(p, "grad", None)) for p in params]
    answer["stage"] = "step"
    scores = [_scalar(model(list(x))) for x in payload["inputs"]]
    # the mean hinge loss, with the learner's own operators (a number on the left of - and *)
    loss = sum((1 - y * s).relu() for y, s in zip(payload["labels"], scores)) / len(scores)
    answer["loss"] = _num(getattr(loss, "data", None))
    loss.backward()
    answer["grads"] = [_num(getattr(p, "grad", None)) for p in params]
    for p in params:
        p.data -= payload["lr"] * p.grad
    answer["updated"] = [_num(getattr(p, "data", None)) for p in params]
    answer["stage"] = "done"
    return answer


def probe_train(ns: dict[str, Any], payload: dict[str, Any], guard: Any) -> dict[str, Any]:
    """The initial weights of ``MLP(2, sizes, seed)``, then ``train_moons(steps, lr, seed)``: losses and scores."""
    refused = refusal(ns, guard.files)
    if refused:
        return {"refused": refused}
    mlp = _class(ns, "MLP")
    train = ns.get("train_moons")
    if mlp is None:
        return {"missing": "MLP"}
    if not callable(train):
        return {"missing": "train_moons"}
    sanity = probe_graphs(ns, {"graphs": payload.get("graphs", [])}, guard).get("answers", [])
    seed = payload["seed"]
    ok, start = guard.call(
        lambda: [_num(getattr(p, "data", None)) for p in mlp(2, list(payload["sizes"]), seed=seed).parameters()]
    )
    if not ok:
        return {"error": start, "stage": "build"}
    ok, result = guard.call(train, payload["steps"], payload["lr"], seed)
    if not ok:
        return {"weights": start, "error": result, "stage": "train"}
    if not (type(result) is tuple and len(result) == 2):
        return {"weights": start, "wrong_type": type(result).__name__}
    model, history = result
    losses = [_num(h) for h in history] if type(history) is list else {"__object__": type(history).__name__}
    ok, scores = guard.call(lambda: [_num(getattr(_scalar(model(list(x))), "data", None)) for x in payload["X"]])
    answer: dict[str, Any] = {"weights": start, "history": losses, "sanity": sanity}
    if ok:
        answer["scores"] = scores
    else:
        answer["scores_error"] = scores
    return answer


def _backward(root: Any) -> None:
    root.backward()
