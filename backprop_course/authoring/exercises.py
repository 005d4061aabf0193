"""Generate the student notebooks (``exercises/``) from the solved ones (``solutions/``).

The solved notebook is the single source. In its code cells each solution sits
between two marker lines (the nbgrader convention)::

    def mul_backward(a, b, out, dout):
        \"\"\"...docstring kept...\"\"\"
        ### BEGIN SOLUTION
        return b * dout, a * dout
        ### END SOLUTION

and the student version replaces the region by one line, at the marker's indentation::

        raise NotImplementedError("mul_backward: replace this line with your solution")

Outputs and execution counts are cleared; cell ids and metadata (the ``selfcheck``
tags) are kept, except the run-time ``execution`` timestamps. So an untouched exercise
notebook fails only with ``NotImplementedError``, the first time a self-check calls a
stub.

``backprop-course make-exercises`` writes ``exercises/``; ``--check`` only reports
which files are out of date (the test suite does the same, so a solution edited
without regenerating fails CI).
"""

from __future__ import annotations

import argparse
import copy
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

__all__ = [
    "BEGIN",
    "END",
    "SolutionMarkerError",
    "add_subcommand",
    "make_exercise",
    "make_exercises",
    "render_exercise",
    "stale_exercises",
    "strip_solutions",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SOLUTIONS = "solutions"
EXERCISES = "exercises"

_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")
#: cell metadata written by the notebook runner, meaningless in a student copy
_RUNTIME_METADATA = ("execution", "collapsed", "scrolled")


class SolutionMarkerError(ValueError):
    """A solution region is malformed: unclosed, nested, or an END without BEGIN."""


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def stub_line(indent: str, function: str | None) -> str:
    """The line that replaces a solution region."""
    what = f"{function}: replace" if function else "Replace"
    return f'{indent}raise NotImplementedError("{what} this line with your solution")'


def strip_solutions(source: str, where: str = "<cell>") -> tuple[str, int]:
    """Replace every solution region of ``source`` by a ``raise NotImplementedError`` stub.

    Args:
        source: a code cell's text.
        where: how to name the cell in error messages, e.g. ``"hw1_local_gradients.ipynb, cell 5"``.

    Returns:
        ``(stubbed source, number of regions replaced)``.

    Raises:
        SolutionMarkerError: for a BEGIN without END, an END without BEGIN, nested
            regions, or BEGIN and END at different indentations.
    """
    out: list[str] = []
    defs: list[tuple[int, str]] = []  # (indentation, name) of the enclosing functions
    begin: tuple[int, str] | None = None  # (line number, indentation) of the open region
    regions = 0
    for number, line in enumerate(source.split("\n"), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise SolutionMarkerError(
                    f"{where}, line {number}: {BEGIN!r} inside the region opened at line {begin[0]}; "
                    f"close it with {END!r} first"
                )
            begin = (number, _indent(line))
            continue
        if marker == END:
            if begin is None:
                raise SolutionMarkerError(f"{where}, line {number}: {END!r} without a {BEGIN!r} before it")
            if _indent(line) != begin[1]:
                raise SolutionMarkerError(
                    f"{where}, line {number}: {END!r} is indented differently from the {BEGIN!r} "
                    f"at line {begin[0]}; indent both markers like the code between them"
                )
            width = len(begin[1].expandtabs())
            while defs and defs[-1][0] >= width:
                defs.pop()
            out.append(stub_line(begin[1], defs[-1][1] if defs else None))
            regions += 1
            begin = None
            continue
        if begin is not None:
            continue
        match = _DEF.match(line)
        if match:
            width = len(match.group(1).expandtabs())
            while defs and defs[-1][0] >= width:
                defs.pop()
            defs.append((width, match.group(2)))
        out.append(line)
    if begin is not None:
        raise SolutionMarkerError(f"{where}, line {begin[0]}: {BEGIN!r} is never closed with {END!r}")
    return "\n".join(out), regions


def make_exercise(solution: NotebookNode, name: str = "<notebook>") -> NotebookNode:
    """The student version of a solved notebook (a new notebook; ``solution`` is unchanged).

    Raises:
        SolutionMarkerError: on a malformed region, a marker in a markdown cell, or a
            notebook without any solution region.
    """
    nb = copy.deepcopy(solution)
    regions = 0
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        for key in _RUNTIME_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            if BEGIN in cell.source or END in cell.source:
                raise SolutionMarkerError(
                    f"{where}: solution markers in a {cell.cell_type} cell; only code cells may hold solutions"
                )
            continue
        cell.source, found = strip_solutions(cell.source, where)
        regions += found
        cell.outputs = []
        cell.execution_count = None
    if regions == 0:
        raise SolutionMarkerError(f"{name}: no {BEGIN!r} region found; is this a solution notebook?")
    nbformat.validate(nb)
    return nb


def render_exercise(solution_path: Path) -> str:
    """The exact text ``make-exercises`` writes for ``solution_path``."""
    solution = nbformat.read(solution_path, as_version=4)
    text = nbformat.writes(make_exercise(solution, solution_path.name))
    return text if text.endswith("\n") else text + "\n"


def _pairs(root: Path) -> list[tuple[Path, Path]]:
    solutions = sorted((root / SOLUTIONS).glob("hw*.ipynb"))
    return [(s, root / EXERCISES / s.name) for s in solutions]


def make_exercises(root: Path) -> list[Path]:
    """Write ``exercises/hwN_*.ipynb`` for every ``solutions/hwN_*.ipynb``; return the files written."""
    pairs = _pairs(root)
    if not pairs:
        raise FileNotFoundError(f"no solutions/hw*.ipynb under {root.resolve()}; run from the course checkout")
    (root / EXERCISES).mkdir(exist_ok=True)
    written = []
    for solution, exercise in pairs:
        text = render_exercise(solution)
        if not exercise.exists() or exercise.read_text(encoding="utf-8") != text:
            exercise.write_text(text, encoding="utf-8")
            written.append(exercise)
    return written


def stale_exercises(root: Path) -> list[str]:
    """What is out of date in ``exercises/``, one line each (empty when in sync)."""
    problems = []
    pairs = _pairs(root)
    for solution, exercise in pairs:
        if not exercise.exists():
            problems.append(f"{exercise.relative_to(root)} is missing")
        elif exercise.read_text(encoding="utf-8") != render_exercise(solution):
            problems.append(f"{exercise.relative_to(root)} differs from what {solution.relative_to(root)} generates")
    known = {e.name for _, e in pairs}
    for orphan in sorted((root / EXERCISES).glob("hw*.ipynb")):
        if orphan.name not in known:
            problems.append(f"{orphan.relative_to(root)} has no solutions/{orphan.name}")
    return problems


def _run(args: argparse.Namespace) -> int:
    root = Path(args.root)
    try:
        if args.check:
            problems = stale_exercises(root)
            for p in problems:
                print(p)
            if problems:
                print("exercises/ is out of date: run `backprop-course make-exercises`")
                return 1
            print("exercises/ is up to date")
            return 0
        written = make_exercises(root)
    except (SolutionMarkerError, FileNotFoundError) as err:
        print(f"error: {err}")
        return 1
    for path in written:
        print(f"wrote {path}")
    if not written:
        print("exercises/ was already up to date")
    return 0


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "make-exercises",
        help="generate the student notebooks exercises/ from solutions/",
        description="Write exercises/hwN_*.ipynb from solutions/hwN_*.ipynb: each region between "
        f"'{BEGIN}' and '{END}' becomes `raise NotImplementedError`, outputs are cleared.",
    )
    p.add_argument("--root", default=".", help="the course checkout (default: the current folder)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if exercises/ is out of date")
    p.set_defaults(func=_run)
