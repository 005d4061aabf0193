"""pytest set-up shared by the library tests and the nbval notebook runs."""

import os

# Plots render off-screen in tests; notebooks set their own inline backend.
os.environ.setdefault("MPLBACKEND", "Agg")
# pytest and the notebook kernels nbval starts share two cores; OpenBLAS's own thread pool on
# top oversubscribes them (medium matmuls ran 10-25x slower under load). Kernels inherit this.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

try:  # property tests draw the same examples on every run: a red CI can be reproduced, a green one repeated
    from hypothesis import settings

    settings.register_profile("deterministic", derandomize=True, database=None)
    settings.load_profile("deterministic")
except ImportError:  # hypothesis comes with the test extra; the notebooks' nbval runs do not need it
    pass


def pytest_collectstart(collector):
    """nbval: do not compare outputs that legitimately differ between runs.

    A widget's view output carries a random model id; HTML/JS reprs are derived from
    the text outputs nbval still compares. Images are never compared by nbval.
    """
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += (
            "application/vnd.jupyter.widget-view+json",
            "text/html",
            "application/javascript",
        )
