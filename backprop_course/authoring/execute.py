"""Re-execute the course notebooks on a fresh kernel, so their stored outputs are real.

``backprop-course execute`` runs every notebook in ``notebooks/`` and
``solutions/`` (or the ones named) top to bottom, each on a new kernel, and
writes the outputs back. nbval then checks in CI that re-running gives the same
outputs. Needs the ``jupyter`` or ``test`` extra (nbclient, ipykernel).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat

__all__ = ["add_subcommand", "course_notebooks", "execute_notebook"]

#: folders whose notebooks are stored with outputs, in the order they are run
EXECUTED_FOLDERS = ("notebooks", "solutions")


def course_notebooks(root: Path) -> list[Path]:
    """Every stored-with-outputs notebook under ``root``, in curriculum order."""
    found: list[Path] = []
    for folder in EXECUTED_FOLDERS:
        found += sorted((root / folder).glob("*.ipynb"))
    return found


def execute_notebook(path: Path, timeout: int = 300, save: bool = True) -> float:
    """Run ``path`` top to bottom on a fresh ``python3`` kernel and (with ``save``) store its outputs in place.

    The kernel starts in the notebook's folder, as Jupyter would start it. Returns
    the seconds it took, kernel start included.
    """
    try:
        from nbclient import NotebookClient
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise SystemExit('executing notebooks needs nbclient: python -m pip install -e ".[jupyter]"') from err
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,  # timestamps would change every cell on every run
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    elapsed = time.perf_counter() - start
    if save:
        nbformat.write(nb, path)
    return elapsed


def _run(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.notebooks] or course_notebooks(Path(args.root))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:  # refuse before running anything, so no notebook is half-refreshed
        print(f"error: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 1
    total = 0.0
    for path in paths:
        seconds = execute_notebook(path, timeout=args.timeout)
        total += seconds
        print(f"{path}: {seconds:.1f} s")
    print(f"all notebooks: {total:.1f} s")
    return 0


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "execute",
        help="re-execute notebooks on a fresh kernel and store their outputs",
        description="Re-execute notebooks top to bottom, each on a fresh kernel, writing outputs in place.",
    )
    p.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/ then solutions/)")
    p.add_argument("--root", default=".", help="the course checkout (default: the current folder)")
    p.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell (default 300)")
    p.set_defaults(func=_run)
