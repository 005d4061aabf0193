"""pytest set-up shared by the library tests and the nbval notebook runs."""

import os

# Plots render off-screen in tests; notebooks set their own inline backend.
os.environ.setdefault("MPLBACKEND", "Agg")


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
