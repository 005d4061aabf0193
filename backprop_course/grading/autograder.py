"""Build a Gradescope autograder bundle: ``backprop-course autograder hw1 -o autograder.zip``.

The zip holds, at its root (Gradescope unpacks it into ``/autograder/source``):

* ``setup.sh``: installs Python and this package (copied into the zip, so the
  bundle grades with exactly the grader that built it) into ``/autograder/venv``;
* ``run_autograder``: grades ``/autograder/submission`` as one student's upload and
  writes ``/autograder/results/results.json``; if the grader itself cannot run, it
  still writes a results file that says so;
* ``backprop-course/``: the package source and a minimal ``pyproject.toml``.

``setup.sh`` and ``run_autograder`` read the same environment variable so they can run
outside Gradescope: ``AUTOGRADER_ROOT`` (default ``/autograder``); ``run_autograder``
also reads ``AUTOGRADER_PYTHON`` (default ``$AUTOGRADER_ROOT/venv/bin/python``).

On Gradescope each submission already runs in its own container. ``setup.sh`` also
installs bubblewrap: where the container lets it run, each submission is isolated
further; where it does not, the grader falls back to its process sandbox and says so
in the results.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from .specs import get_assignment

__all__ = ["build_bundle", "run_autograder_script", "setup_script"]

RUNTIME_DEPENDENCIES = ["numpy>=1.23", "matplotlib>=3.6", "ipywidgets>=7.7", "nbformat>=5.7"]


def setup_script() -> str:
    return """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# AUTOGRADER_ROOT (default /autograder) moves everything, as in run_autograder.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# bubblewrap isolates each submission where the container allows it (else the grader says it fell back).
apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --upgrade pip
"$ROOT/venv/bin/python" -m pip install "$ROOT/source/backprop-course"
# Submissions run as the unprivileged user 'nobody', which must be able to read Python.
chmod -R a+rX "$ROOT/venv" "$ROOT/source"
"""


def run_autograder_script(assignment: str) -> str:
    return f"""#!/usr/bin/env bash
# Gradescope runs this for every submission, as root, in /autograder.
# To try it locally, lay out a folder like /autograder (submission/, results/) and set
# AUTOGRADER_ROOT to it, and AUTOGRADER_PYTHON to a Python with backprop-course installed.
set -u
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
"$PYTHON" -m backprop_course grade {assignment} "$ROOT/submission" --single \\
    --gradescope-output "$RESULTS" -o "$ROOT/results/feedback"
if [ ! -s "$RESULTS" ]; then
    cat > "$RESULTS" <<'JSON'
{{"score": 0, "tests": [],
 "output": "The autograder failed before it could grade this submission. Please tell the course staff."}}
JSON
fi
exit 0
"""


def _pyproject(version: str) -> str:
    deps = ",\n".join(f'    "{d}"' for d in _runtime_dependencies())
    return f"""[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "backprop-course"
version = "{version}"
requires-python = ">=3.10"
dependencies = [
{deps},
]

[project.scripts]
backprop-course = "backprop_course.cli:main"

[tool.setuptools.packages.find]
include = ["backprop_course*"]
"""


def _runtime_dependencies() -> list[str]:
    try:
        from importlib.metadata import PackageNotFoundError, requires

        reqs = requires("backprop-course") or []
    except PackageNotFoundError:
        return RUNTIME_DEPENDENCIES
    runtime = [r for r in reqs if "extra ==" not in r]
    return runtime or RUNTIME_DEPENDENCIES


def _add(zf: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def build_bundle(assignment: str, output: Path) -> Path:
    """Write the Gradescope autograder zip for ``assignment`` to ``output``; return its path.

    Raises:
        ValueError: for an unknown assignment.
    """
    from backprop_course import __version__

    spec = get_assignment(assignment)
    package = Path(__file__).resolve().parents[1]
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w") as zf:
        _add(zf, "setup.sh", setup_script(), executable=True)
        _add(zf, "run_autograder", run_autograder_script(spec.name), executable=True)
        _add(zf, "backprop-course/pyproject.toml", _pyproject(__version__))
        _add(
            zf,
            "backprop-course/README.md",
            f"backprop-course {__version__}: the grader for {spec.title}, packed by `backprop-course autograder`.\n",
        )
        for path in sorted(package.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file() or path.suffix in (".pyc", ".pyo"):
                continue
            info = zipfile.ZipInfo(
                f"backprop-course/{path.relative_to(package.parent).as_posix()}", (2024, 1, 1, 0, 0, 0)
            )
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return output
