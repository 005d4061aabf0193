"""How long each course notebook takes to run top to bottom on a fresh kernel.

    python -m pip install -e ".[test]"
    python benchmarks/notebooks.py

Nothing is written back. The reference, measured in the same run, is a notebook
with one empty cell: the cost of starting a kernel, which every notebook pays.
Targets (issue 3): each notebook under 30 s, the whole sequence under 3 minutes,
on a 2-core machine.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat

from backprop_course.authoring.execute import course_notebooks, execute_notebook

ROOT = Path(__file__).resolve().parents[1]


def kernel_start_seconds() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "empty.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")]), path)
        return min(execute_notebook(path, save=False) for _ in range(3))


def main() -> None:
    floor = kernel_start_seconds()
    print(f"reference: a one-cell notebook (kernel start) takes {floor:.2f} s\n")
    print(f"{'notebook':48}{'seconds':>9}{'x kernel start':>16}")
    lecture_total = 0.0
    slowest = 0.0
    for path in course_notebooks(ROOT):
        seconds = execute_notebook(path, save=False)
        slowest = max(slowest, seconds)
        if path.parent.name == "notebooks":
            lecture_total += seconds
        print(f"{path.relative_to(ROOT).as_posix():48}{seconds:9.1f}{seconds / floor:16.1f}")
    print(f"\nthe lecture sequence (notebooks/): {lecture_total:.1f} s; slowest notebook: {slowest:.1f} s")
    met = slowest < 30 and lecture_total < 180
    print(f"  {'met ' if slowest < 30 else 'MISSED'}  every notebook under 30 s")
    print(f"  {'met ' if lecture_total < 180 else 'MISSED'}  the sequence under 3 minutes")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
