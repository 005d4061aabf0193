"""Importing the library never needs Jupyter itself (Colab, a plain Python, the grader's child).

Every submodule of ``backprop_course`` is imported in a fresh interpreter; afterwards
none of the Jupyter application / conversion packages may be in ``sys.modules``. They
are imported lazily, only by the commands that need them (``execute``, ``slides``,
``site``). ``ipywidgets`` and ``IPython`` are allowed: they are what a notebook runs in.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

JUPYTER_ITSELF = ("jupyter_server", "notebook", "jupyterlab", "nbconvert", "nbclient", "jupyter_client")

SCRIPT = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    import backprop_course
    names = sorted(
        m.name for m in pkgutil.walk_packages(backprop_course.__path__, "backprop_course.")
        if m.name.rsplit(".", 1)[-1] != "__main__"  # running it would start the command line
    )
    for name in names:
        importlib.import_module(name)
    print(json.dumps({"imported": names, "loaded": sorted(m.split(".")[0] for m in sys.modules)}))
    """
)


def test_no_submodule_imports_jupyter():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # the walk really found the modules (so the check below is not vacuous)
    for expected in ("backprop_course.engine", "backprop_course.widgets", "backprop_course.authoring.slides"):
        assert expected in result["imported"]
    loaded = set(result["loaded"])
    assert "numpy" in loaded
    offenders = sorted(loaded.intersection(JUPYTER_ITSELF))
    assert not offenders, f"importing backprop_course loaded {offenders}; import them inside the function using them"
