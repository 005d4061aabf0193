"""hw4's self-checks: the reference answer passes, each classic mistake gets its own hint.

The learner's code is the solution notebook's exercise cells, run here with one piece
of text replaced for each mistake.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from backprop_course import selfcheck
from backprop_course.selfcheck import hw4

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "hw4_micrograd_from_scratch.ipynb"
SHORT = 6  # training steps for the trajectory mistakes: they show at step 1 or 2


def learner(*replacements: tuple[str, str]) -> dict:
    """The namespace of the solution's exercise cells, each ``(old, new)`` applied (old must occur)."""
    cells = [c.source for c in nbformat.read(SOLUTION, as_version=4).cells if "exercise" in c.metadata.get("tags", [])]
    code = "\n\n".join(cells)
    for old, new in replacements:
        assert old in code, old
        code = code.replace(old, new)
    ns: dict = {"__name__": "learner"}
    exec("import math\nimport random\nfrom backprop_course.selfcheck.hw4 import moons_data\n" + code, ns)
    return ns


def test_the_reference_answer_passes_every_check():
    ns = learner()
    assert selfcheck.evaluate_value_ops(ns["Value"]).passed
    assert selfcheck.evaluate_value_reuse(ns["Value"]).passed
    assert selfcheck.evaluate_value_backward(ns["Value"]).passed
    assert selfcheck.evaluate_mlp(ns["MLP"]).passed
    feedback = selfcheck.evaluate_train_moons(ns["train_moons"], ns["MLP"])
    assert feedback.passed, str(feedback)
    assert "100% training accuracy" in feedback.message


ASSIGN_ADD = (
    "self.grad += out.grad  # d(a+b)/da = 1; += because a may feed other nodes too\n            other.grad += out.grad",
    "self.grad = out.grad\n            other.grad = out.grad",
)
ASSIGN_MUL = (
    "self.grad += other.data * out.grad  # d(ab)/da = b\n            other.grad += self.data * out.grad",
    "self.grad = other.data * out.grad\n            other.grad = self.data * out.grad",
)
RECURSIVE_SORT = (
    """        topo: list[Value] = []
        visited: set[Value] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                topo.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev if child not in visited)""",
    """        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)

        build(self)""",
)


@pytest.mark.parametrize(
    ("check", "replacements", "mistake", "hint"),
    [
        ("reuse", [ASSIGN_ADD], "assigned", "`+=`, never `=`"),
        ("reuse", [ASSIGN_MUL], "assigned", "both inputs of __mul__"),
        ("ops", [("def __rmul__(", "def _no_rmul(")], "missing_operator", "__rmul__"),
        ("ops", [("def __radd__(", "def _no_radd(")], "missing_operator", "__radd__"),
        ("ops", [("return (-self) + other", "return self - other")], "forward", "__rsub__"),
        ("ops", [("return self**-1 * other", "return self / other")], "forward", "__rtruediv__"),
        ("ops", [("(1.0 - t * t) * out.grad", "(1.0 - self.data**2) * out.grad")], "rule", "not 1 - a²"),
        ("ops", [("self.grad += e * out.grad", "self.grad += self.data * out.grad")], "rule", "the output"),
        ("ops", [("n * self.data ** (n - 1) * out.grad", "n * self.data**n * out.grad")], "rule", "lowers"),
        (
            "ops",
            [("(1.0 if self.data > 0 else 0.0) * out.grad", "(1.0 if self.data >= 0 else 0.0) * out.grad")],
            "rule",
            "not `>= 0`",
        ),
        ("ops", [("(1.0 if self.data > 0 else 0.0) * out.grad", "1.0 * out.grad")], "rule", "flat"),
        (
            "ops",
            [("        self.grad = 1.0\n        for node in reversed(topo):", "        for node in reversed(topo):")],
            "root_not_seeded",
            "self.grad = 1.0",
        ),
        ("backward", [("for node in reversed(topo):", "for node in topo:")], "order", "backwards"),
        ("backward", [ASSIGN_MUL], "assigned", "+="),
        ("backward", [RECURSIVE_SORT], "recursion", "recursion"),
        ("mlp", [("return self.w + [self.b]", "return [self.b] + self.w")], "order", "weights first, then its bias"),
        ("mlp", [("return self.w + [self.b]", "return self.w")], "count", "biases are missing"),
        ("mlp", [("i < len(nouts) - 1, rng", "True, rng")], "output_relu", "last layer must be linear"),
        (
            "mlp",
            [("        for p in self.parameters():\n            p.grad = 0.0", "        pass")],
            "zero_grad",
            "p.grad = 0.0",
        ),
    ],
)
def test_each_mistake_gets_its_hint(check, replacements, mistake, hint):
    ns = learner(*replacements)
    evaluate = {
        "ops": lambda: selfcheck.evaluate_value_ops(ns["Value"]),
        "reuse": lambda: selfcheck.evaluate_value_reuse(ns["Value"]),
        "backward": lambda: selfcheck.evaluate_value_backward(ns["Value"]),
        "mlp": lambda: selfcheck.evaluate_mlp(ns["MLP"]),
    }[check]
    feedback = evaluate()
    assert not feedback.passed
    assert feedback.mistake == mistake, str(feedback)
    assert hint in (feedback.hint or "") + feedback.message, str(feedback)


@pytest.mark.parametrize(
    ("replacements", "mistake", "hint"),
    [
        (
            [("        model.zero_grad()\n        loss.backward()", "        loss.backward()")],
            "no_zero_grad",
            "never calls zero_grad()",
        ),
        (
            [
                (
                    "        for p in model.parameters():\n            p.data -= lr",
                    "        for p in model.layers[-1].parameters():\n            p.data -= lr",
                )
            ],
            "last_layer_only",
            "only the last layer",
        ),
        ([("p.data -= lr * p.grad", "p.data += lr * p.grad")], "ascent", "subtract"),
        ([ASSIGN_ADD], "earlier", "fails its self-check above"),
        ([("zip(y, scores)) / len(X)", "zip(y, scores))")], "loss", "mean hinge loss"),
    ],
)
def test_training_mistakes_are_named_from_the_trajectory(replacements, mistake, hint):
    ns = learner(*replacements)
    feedback = hw4.evaluate_train_moons(ns["train_moons"], ns["MLP"], steps=SHORT)
    assert not feedback.passed
    assert feedback.mistake == mistake, str(feedback)
    assert hint in feedback.hint


def test_untouched_stubs_raise_not_implemented_with_guidance():
    nb = nbformat.read(ROOT / "exercises" / "hw4_micrograd_from_scratch.ipynb", as_version=4)
    code = "\n\n".join(c.source for c in nb.cells if "exercise" in c.metadata.get("tags", []))
    ns: dict = {"__name__": "learner"}
    exec("import math\nimport random\nfrom backprop_course.selfcheck.hw4 import moons_data\n" + code, ns)
    for evaluate in (
        lambda: selfcheck.evaluate_value_ops(ns["Value"]),
        lambda: selfcheck.evaluate_value_reuse(ns["Value"]),
        lambda: selfcheck.evaluate_value_backward(ns["Value"]),
        lambda: selfcheck.evaluate_mlp(ns["MLP"]),
        lambda: selfcheck.evaluate_train_moons(ns["train_moons"], ns["MLP"]),
    ):
        with pytest.raises(NotImplementedError, match="replace this line with your solution"):
            evaluate()
