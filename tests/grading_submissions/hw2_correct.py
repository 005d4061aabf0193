"""hw2 reference solution (correct): iterative topological sort, backward, XOR training."""

from backprop_course import losses
from backprop_course.engine import BACKWARD_RULES
from backprop_course.nn import MLP


def topological_sort(root):
    order, visited = [], {root}
    stack = [(root, iter(root.children))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if child not in visited:
                visited.add(child)
                stack.append((child, iter(child.children)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def backward(root):
    order = topological_sort(root)
    root.grad = 1.0
    for node in reversed(order):
        if node.op:
            BACKWARD_RULES[node.op](node)


def train_xor(steps, lr, seed):
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    y = [0, 1, 1, 0]
    model = MLP(2, [4, 1], activation="tanh", seed=seed)
    history = []
    for _ in range(steps):
        loss = losses.binary_cross_entropy([model(x) for x in X], y)
        history.append(loss.data)
        model.zero_grad()
        backward(loss)
        for p in model.parameters():
            p.data -= lr * p.grad
    return history
