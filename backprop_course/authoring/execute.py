"""Re-execute the course notebooks on a fresh kernel, so their stored outputs are real.

``backprop-course execute`` runs every notebook in ``notebooks/`` and
``solutions/`` (or the ones named) top to bottom, each on a new kernel, and
writes the outputs back. nbval then checks in CI that re-running gives the same
outputs. Needs the ``jupyter`` or ``test`` extra (nbclient, ipykernel).

Two things keep a re-run quiet and its diff empty when nothing real changed:

- the kernel talks to us over local IPC sockets (POSIX), not TCP on localhost, so ipykernel
  has no reason to warn that the connection is unencrypted (on Windows, which has no IPC
  transport, it stays TCP);
- ipywidgets gives every widget model a random id on each run; :func:`renumber_widget_ids`
  replaces them by ids derived from where each widget is shown (its cell's id and its place
  there), so the stored widget state and view outputs are the same from run to run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat

__all__ = ["add_subcommand", "course_notebooks", "execute_notebook", "renumber_widget_ids"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: a reference from one widget model's state to another's
_MODEL_REFERENCE = re.compile(r"IPY_MODEL_([0-9A-Za-z_-]+)")

#: folders whose notebooks are stored with outputs, in the order they are run
EXECUTED_FOLDERS = ("notebooks", "solutions")


def course_notebooks(root: Path) -> list[Path]:
    """Every stored-with-outputs notebook under ``root``, in curriculum order."""
    found: list[Path] = []
    for folder in EXECUTED_FOLDERS:
        found += sorted((root / folder).glob("*.ipynb"))
    return found


def _referenced_models(state: Any) -> list[str]:
    """The model ids a widget's state refers to (``"IPY_MODEL_<id>"`` strings), in the order they appear."""
    return _MODEL_REFERENCE.findall(json.dumps(state, sort_keys=True))


def renumber_widget_ids(nb: nbformat.NotebookNode) -> int:
    """Replace the random widget model ids of ``nb`` by stable ones; return how many were renamed.

    The new id of a widget is a hash of where it first appears: the id of the cell whose
    output shows it (or a widget that contains it), the index of that output, and its place
    in a depth-first walk of the widget tree from there. Models that no output reaches are
    numbered after them, ordered by their own state. Both the view outputs
    (``model_id``) and the notebook's ``metadata.widgets`` state are rewritten; the static
    fallback outputs next to each view are left as they are.
    """
    widgets = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    state: dict[str, Any] = widgets.get("state", {})
    order: list[tuple[str, str]] = []  # (old id, the key its new id is hashed from)
    seen: set[str] = set()

    def visit(model_id: str, where: str) -> None:
        stack = [model_id]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            order.append((current, f"{where}/{len(order)}"))
            children = _referenced_models(state.get(current, {}).get("state", {}))
            stack.extend(reversed(children))

    for index, cell in enumerate(nb.cells):
        for number, output in enumerate(cell.get("outputs", [])):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view and view.get("model_id"):
                visit(view["model_id"], f"{cell.get('id', index)}:{number}")
    orphans = sorted((m for m in state if m not in seen), key=lambda m: json.dumps(state[m], sort_keys=True))
    for model_id in orphans:
        visit(model_id, "unshown")
    new_ids = {old: hashlib.sha256(key.encode()).hexdigest()[:32] for old, key in order}
    if not new_ids:
        return 0

    def rename(text: str) -> str:
        return _MODEL_REFERENCE.sub(lambda m: "IPY_MODEL_" + new_ids.get(m.group(1), m.group(1)), text)

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view and view.get("model_id") in new_ids:
                view["model_id"] = new_ids[view["model_id"]]
    if state:
        widgets["state"] = {
            new_ids.get(old, old): json.loads(rename(json.dumps(model))) for old, model in sorted(state.items())
        }
    return sum(1 for old, new in new_ids.items() if old != new)


def _kernel_manager_class() -> type:
    """A jupyter_client ``KernelManager`` that talks to its kernel over IPC sockets in a private folder.

    Over TCP (even on localhost) ipykernel warns at every start that the traffic is not
    encrypted; Unix sockets in a folder only we can read need no encryption. Windows has
    no IPC transport: there the default (TCP) manager is returned.
    """
    from jupyter_client.manager import KernelManager

    if os.name == "nt":  # pragma: no cover - no IPC transport on Windows
        return KernelManager
    from traitlets import default

    class IpcKernelManager(KernelManager):
        _ipc_dir: str | None = None

        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _ip_default(self) -> str:
            self._ipc_dir = tempfile.mkdtemp(prefix="backprop-course-kernel-")
            return os.path.join(self._ipc_dir, "kernel")

        def cleanup_resources(self, restart: bool = False) -> None:
            super().cleanup_resources(restart=restart)
            if not restart and self._ipc_dir:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)

    return IpcKernelManager


def execute_notebook(path: Path, timeout: int = 300, save: bool = True) -> float:
    """Run ``path`` top to bottom on a fresh ``python3`` kernel and (with ``save``) store its outputs in place.

    The kernel starts in the notebook's folder, as Jupyter would start it. Returns
    the seconds it took, kernel start included. Widget model ids are made stable
    (:func:`renumber_widget_ids`), so re-running an unchanged notebook leaves no diff.
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
        kernel_manager_class=_kernel_manager_class(),
        record_timing=False,  # timestamps would change every cell on every run
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    elapsed = time.perf_counter() - start
    renumber_widget_ids(nb)
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
