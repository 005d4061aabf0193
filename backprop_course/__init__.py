"""backprop-course: learn backpropagation by building it.

The pieces, one module each:

- :mod:`~backprop_course.engine`: ``Value``, a scalar autograd engine
- :mod:`~backprop_course.nn`: ``Neuron``, ``Layer``, ``MLP``
- :mod:`~backprop_course.losses`: MSE, hinge, binary and softmax cross-entropy
- :mod:`~backprop_course.optim`: ``SGD`` and ``train()``
- :mod:`~backprop_course.data`: synthetic data sets (XOR, moons, spirals, ...)
- :mod:`~backprop_course.gradcheck`: finite-difference gradient checking
- :mod:`~backprop_course.plots`: graphs, decision boundaries, loss curves and landscapes
"""

from .engine import TrainingDivergedError, Value
from .nn import MLP, Layer, Module, Neuron

__version__ = "0.1.0"

__all__ = ["MLP", "Layer", "Module", "Neuron", "TrainingDivergedError", "Value", "__version__"]
