"""A recursive topological sort: right on small graphs, RecursionError on a chain 5000 deep."""

from backprop_course import data, losses, nn
from backprop_course.engine import BACKWARD_RULES


def topological_sort(root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for child in node.children:
                visit(child)
            order.append(node)

    visit(root)
    return order


def backward(root):
    root.grad = 1.0
    for node in reversed(topological_sort(root)):
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
        backward(loss)
        for p in model.parameters():
            p.data -= lr * p.grad
    return history
