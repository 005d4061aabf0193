"""ipywidgets explorers for the notebooks.

Each explorer is two parts: a plain function that draws one state (a figure, or
numbers) from the slider values, and a thin ``*_explorer()`` that wires sliders
to it with ``ipywidgets.interactive``. Tests call the plain functions directly;
notebooks call the plain function once for a static picture (so the notebook
reads well on GitHub and under nbval) and then the explorer.

ipywidgets is imported inside the explorers only, so importing this module
needs no Jupyter (it works with ipywidgets 7.7 as on Colab, and 8.x).
"""

from __future__ import annotations

__all__: list[str] = []

# ----------------------------------------------------------------------------
# Notebooks 01-03 (chain rule, graphs, neurons)

# ----------------------------------------------------------------------------
# Notebooks 04-06 (gradient descent, XOR, symmetry breaking)

# ----------------------------------------------------------------------------
# Notebooks 07-09 (local minima, matrix form, training end to end)
