"""Common mistakes: no visited set (shared nodes listed twice), rules run children-first,
and train_xor calling the library's loss.backward() instead of the student's backward."""

from backprop_course import data, losses, nn
from backprop_course.engine import BACKWARD_RULES


def topological_sort(root):
    order, stack = [], [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in node.children)
    return order


def backward(root):
    root.grad = 1.0
    order = []
    for node in topological_sort(root):
        if node not in order:
            order.append(node)
    for node in order:  # should be reversed(order)
        if node.op:
            BACKWARD_RULES[node.op](node)


def train_xor(steps, lr, seed):
    X, y = data.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=seed)
    history = []
    for _ in range(steps):
        loss = losses.binary_cross_entropy([model(x) for x in X], y)
        history.append(loss.data)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
    return history
