"""ipywidgets explorers for the notebooks.

Each explorer is two parts: a plain function that draws one state (a figure, or
numbers) from the slider values, and a thin ``*_explorer()`` that wires sliders
to it with ``ipywidgets.interactive``. Tests call the plain functions directly;
notebooks call the plain function once for a static picture (so the notebook
reads well on GitHub and under nbval) and then the explorer.

ipywidgets is imported inside the explorers only, so importing this module
needs no Jupyter (it works with ipywidgets 7.7 as on Colab, and 8.x).

One module per topic; this package re-exports every public name, so
``widgets.plot_nudge`` works wherever ``from backprop_course import widgets`` does:

- :mod:`.common`: :func:`figure_explorer`, :func:`figure_output` and the helpers the topics share
- :mod:`.derivatives` (notebook 01): nudging x, finite differences and their error
- :mod:`.neurons` (notebook 03): one 2-input neuron and its decision line
- :mod:`.gradient_descent` (notebook 04): descent on a quadratic, the learning rate
- :mod:`.xor` (notebook 05): an MLP trained on XOR and its hidden units
- :mod:`.initialisation` (notebook 06): symmetry breaking and the init scale
- :mod:`.local_minima` (notebook 07): a bumpy 1-D loss, XOR runs stuck by seed
- :mod:`.training` (notebook 09): a ReLU MLP trained end to end on 2-D data
- :mod:`.backward_stepper` (notebook 02): the backward pass one rule at a time
- :mod:`.playground` (notebooks 05, 09): live training, TensorFlow-Playground style
- :mod:`.live` (all): one figure per widget, updated in place and rendered fast
"""

from __future__ import annotations

from .backward_stepper import (
    BackwardStep,
    Contribution,
    ForwardStep,
    backward_stepper,
    backward_steps,
    describe_backward_step,
    draw_backward_step,
    draw_forward_step,
    forward_steps,
)
from .common import figure_explorer, figure_output
from .derivatives import (
    NUDGE_FUNCTIONS,
    best_step,
    finite_difference_errors,
    nudge_estimates,
    nudge_explorer,
    plot_nudge,
)
from .gradient_descent import (
    learning_rate_explorer,
    learning_rate_regime,
    plot_learning_rate,
    quadratic_descent,
    quadratic_loss,
)
from .initialisation import (
    ActivationStats,
    activation_statistics,
    count_distinct_units,
    init_explorer,
    init_scale_explorer,
    plot_activation_statistics,
    plot_hidden_weights,
    symmetry_figure,
)
from .local_minima import (
    bumpy_descent,
    bumpy_descent_explorer,
    bumpy_loss,
    bumpy_loss_grad,
    plot_bumpy_descent,
    plot_xor_run,
    xor_run,
    xor_seed_explorer,
)
from .neurons import NEURON_DATASETS, decision_line, neuron_explorer, neuron_output, plot_neuron
from .playground import PLAYGROUND_DATASETS, Playground, playground, playground_data, playground_figure
from .training import TRAINING_DATASETS, plot_training_run, train_on_dataset, training_explorer
from .xor import (
    bce_and_accuracy,
    hidden_unit_outputs,
    plot_hidden_units,
    train_xor,
    xor_explorer,
    xor_hidden_units_figure,
)

__all__: list[str] = [
    # the backward-pass stepper and the live playground
    "BackwardStep",
    "Contribution",
    "ForwardStep",
    "PLAYGROUND_DATASETS",
    "Playground",
    "backward_stepper",
    "backward_steps",
    "describe_backward_step",
    "draw_backward_step",
    "draw_forward_step",
    "forward_steps",
    "playground",
    "playground_data",
    "playground_figure",
    # notebooks 01-03
    "NEURON_DATASETS",
    "NUDGE_FUNCTIONS",
    "best_step",
    "decision_line",
    "figure_explorer",
    "figure_output",
    "finite_difference_errors",
    "neuron_explorer",
    "neuron_output",
    "nudge_estimates",
    "nudge_explorer",
    "plot_neuron",
    "plot_nudge",
    # notebooks 04-06
    "ActivationStats",
    "activation_statistics",
    "bce_and_accuracy",
    "count_distinct_units",
    "hidden_unit_outputs",
    "init_explorer",
    "init_scale_explorer",
    "learning_rate_explorer",
    "learning_rate_regime",
    "plot_activation_statistics",
    "plot_hidden_units",
    "plot_hidden_weights",
    "plot_learning_rate",
    "quadratic_descent",
    "quadratic_loss",
    "symmetry_figure",
    "train_xor",
    "xor_explorer",
    "xor_hidden_units_figure",
    # notebooks 07-09
    "TRAINING_DATASETS",
    "bumpy_descent",
    "bumpy_descent_explorer",
    "bumpy_loss",
    "bumpy_loss_grad",
    "plot_bumpy_descent",
    "plot_training_run",
    "plot_xor_run",
    "train_on_dataset",
    "training_explorer",
    "xor_run",
    "xor_seed_explorer",
]
