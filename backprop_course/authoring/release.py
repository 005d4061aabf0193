"""The student release: the course without its solutions (nbgrader calls this step "release").

``backprop-course release -o DIR`` writes::

    DIR/README.md           for students: how to open the course, what is (not) in it
    DIR/notebooks/          the lectures, stored outputs kept, answer blocks handled (below)
    DIR/exercises/          the homework to fill in
    DIR/backprop_course/    the library (and the course tools it ships with)
    DIR/pyproject.toml, LICENSE, .gitignore

and leaves out ``solutions/`` (the solved homework), ``tests/`` (they run the solutions),
``benchmarks/`` and the CI files.

In the notebooks, collapsed ``<details>`` blocks are handled by their summary:

- answer blocks (a summary with "answer" in it: the "Reference answer" after each practice
  exercise's self-check, the "Answers" to "Check your understanding"): with ``answers="ask"``
  (the default) the block stays, saying the answer is not in this release and to ask the
  instructor; with ``answers="drop"`` it is removed (and its cell, if nothing else is left);
- "For instructors" blocks are always removed.

Not hidden, on purpose: the library is the course's reference implementation, which the
lectures use (``engine.py`` holds the backward rule of every scalar op, ``layers.py`` the
matrix-form backward passes). A student who reads it finds much of the homework's answers;
the release's README says so. The grader blocks those references while grading.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat

__all__ = ["ANSWER_MODES", "ReleaseError", "add_subcommand", "make_release", "release_notebook", "strip_details"]

#: how answer blocks are handled: replaced by a note to ask the instructor, or removed
ANSWER_MODES = ("ask", "drop")
#: the course folders a student gets (every file in them, not only notebooks)
RELEASED_FOLDERS = ("notebooks", "exercises")
#: single files copied from the course root when present
RELEASED_FILES = ("pyproject.toml", "LICENSE", ".gitignore")
#: written into a release so that ``--force`` only ever replaces a folder this command made
MARKER = ".backprop-course-release"
#: the note an answer block becomes with ``answers="ask"``
ASK_NOTE = "Not in this release: ask your instructor, or compare with a classmate after you have tried."

_DETAILS = re.compile(r"<details>\s*<summary>(?P<summary>.*?)</summary>.*?</details>[ \t]*\n?", re.DOTALL | re.I)
_COMMAND_1 = re.compile(r"<!-- command 1 -->\s*```bash\n(?P<command>.*?)\n\s*```", re.DOTALL)
_SKIPPED_NAMES = ("__pycache__", ".ipynb_checkpoints")


class ReleaseError(ValueError):
    """The release cannot be written (wrong course folder, an output folder in the way, bad option)."""


def _is_answer(summary: str) -> bool:
    return "answer" in summary.lower()


def _is_for_instructors(summary: str) -> bool:
    return "instructor" in summary.lower()


def strip_details(markdown: str, answers: str = "ask") -> str:
    """``markdown`` with its answer and instructor ``<details>`` blocks handled as the module says."""
    if answers not in ANSWER_MODES:
        raise ReleaseError(f"answers must be one of {', '.join(ANSWER_MODES)}, not {answers!r}")

    def replace(match: re.Match[str]) -> str:
        summary = match.group("summary").strip()
        if _is_for_instructors(summary):
            return ""
        if _is_answer(summary):
            if answers == "drop":
                return ""
            return f"<details><summary>{summary}</summary>\n\n{ASK_NOTE}\n\n</details>\n"
        return match.group(0)

    stripped = _DETAILS.sub(replace, markdown)
    if stripped == markdown:
        return markdown
    return re.sub(r"\n{3,}", "\n\n", stripped)  # no gap of blank lines where a block was


def release_notebook(nb: nbformat.NotebookNode, answers: str = "ask") -> nbformat.NotebookNode:
    """The student copy of one notebook (``nb`` itself is changed and returned)."""
    kept = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "<details" in cell.source.lower():
            cell.source = strip_details(cell.source, answers).rstrip("\n")
            if not cell.source.strip():
                continue  # the cell held nothing but a removed block
        kept.append(cell)
    nb.cells = kept
    return nb


def _student_readme(course_readme: str, home: str | None) -> str:
    match = _COMMAND_1.search(course_readme)
    command = match.group("command").strip() if match else None
    lines = [
        "# backprop-course: learn backpropagation by building it",
        "",
        "The lectures (`notebooks/`, in order from `00_start_here`) and the homework (`exercises/`).",
        "",
        "## Start",
        "",
    ]
    if command:
        lines += [
            "You need Python 3.10 or newer. In this folder, paste (it makes a virtual environment `.venv/`,",
            "installs the course into it and opens JupyterLab on the first notebook):",
            "",
            "```bash",
            command,
            "```",
            "",
            "On Windows use `py` for `python3` and `.venv\\Scripts\\python` for `.venv/bin/python`. If",
            "`python3 -m venv` says `ensurepip` is missing (Debian, Ubuntu): `sudo apt install python3-venv`.",
            "",
        ]
    lines += [
        "## What is in this release",
        "",
        "- `notebooks/`: read and run them in order; each has practice exercises with self-checks.",
        "- `exercises/`: the homework. Fill in the functions, run the self-check cells, hand in the",
        "  notebook as your instructor says.",
        "- `backprop_course/`: the library the notebooks import.",
        "",
        "Not in it: the solved homework (the notebooks mention a `solutions/` folder, which only the full",
        'course has) and the reference answers of the practice exercises and of "Check your',
        f'understanding" (each says: "{ASK_NOTE}").',
        "",
        "A word on the library: it is the course's own reference implementation, which the lectures use.",
        "`backprop_course/engine.py` holds the backward rule of every scalar operation and",
        "`backprop_course/layers.py` the matrix-form backward passes, so reading them gives away much of",
        "the homework. You learn by writing your own first; the grader does not let your code call",
        "the library's versions of what it grades.",
    ]
    if home:
        lines += ["", f"The full course: {home}"]
    return "\n".join(lines) + "\n"


def _copy_folder(source: Path, target: Path, answers: str) -> list[Path]:
    written = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or any(part in _SKIPPED_NAMES for part in relative.parts):
            continue
        copy = target / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".ipynb":
            nb = release_notebook(nbformat.read(path, as_version=4), answers)
            nbformat.write(nb, copy)
        else:
            shutil.copyfile(path, copy)
        written.append(copy)
    return written


def _prepare_output(out: Path, root: Path, force: bool) -> None:
    if out.resolve() == root.resolve() or root.resolve().is_relative_to(out.resolve()):
        raise ReleaseError(f"{out} is the course itself (or holds it); write the release to a new folder")
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise ReleaseError(f"{out} exists and is not empty; give a new folder (or an earlier release with --force)")
        if not force:
            raise ReleaseError(f"{out} holds an earlier release; pass --force to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def make_release(root: Path | str, out_dir: Path | str, answers: str = "ask", force: bool = False) -> list[Path]:
    """Write the student release of the course at ``root`` into ``out_dir``; return the files written.

    Raises:
        ReleaseError: ``root`` is not a course checkout, ``out_dir`` is in the way, or ``answers``
            is not one of :data:`ANSWER_MODES`.
    """
    if answers not in ANSWER_MODES:
        raise ReleaseError(f"--answers must be one of {', '.join(ANSWER_MODES)}, not {answers!r}")
    root, out = Path(root), Path(out_dir)
    library = root / "backprop_course"
    if not (library / "__init__.py").is_file() or not (root / "notebooks").is_dir():
        raise ReleaseError(
            f"{root.resolve()} is not the course checkout (no backprop_course/ and notebooks/); use --root"
        )
    _prepare_output(out, root, force)
    (out / MARKER).write_text("written by `backprop-course release`; --force may replace this folder\n")
    written = []
    for folder in RELEASED_FOLDERS:
        if (root / folder).is_dir():
            written += _copy_folder(root / folder, out / folder, answers)
    written += _copy_folder(library, out / "backprop_course", answers)
    for name in RELEASED_FILES:
        if (root / name).is_file():
            shutil.copyfile(root / name, out / name)
            written.append(out / name)
    from .home import HomeError, read_home

    try:
        home: str | None = read_home(root)
    except (HomeError, OSError):
        home = None
    readme = root / "README.md"
    text = _student_readme(readme.read_text(encoding="utf-8") if readme.exists() else "", home)
    (out / "README.md").write_text(text, encoding="utf-8")
    written.append(out / "README.md")
    return written


def _summary(paths: Iterable[Path], out: Path) -> str:
    tops: dict[str, int] = {}
    for path in paths:
        top = path.relative_to(out).parts[0]
        tops[top] = tops.get(top, 0) + 1
    return ", ".join(f"{name} ({count})" if count > 1 else name for name, count in sorted(tops.items()))


def _run(args: argparse.Namespace) -> int:
    try:
        written = make_release(args.root, args.output, answers=args.answers, force=args.force)
    except (ReleaseError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    out = Path(args.output)
    print(f"student release in {out}: {_summary(written, out)}")
    print("no solutions/; answer blocks " + ("say to ask the instructor" if args.answers == "ask" else "removed"))
    return 0


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "release",
        help="write the student release: the course without solutions and answer blocks",
        description="Copy notebooks/, exercises/ and the library to a new folder with a README for students; "
        "leave out solutions/ and tests/; answer <details> blocks say to ask the instructor (or are dropped), "
        "'For instructors' blocks are removed.",
    )
    p.add_argument(
        "-o", "--output", required=True, help="the folder to write (new, or an earlier release with --force)"
    )
    p.add_argument("--root", default=".", help="the course checkout (default: the current folder)")
    p.add_argument(
        "--answers",
        choices=ANSWER_MODES,
        default="ask",
        help="answer blocks: 'ask' keeps them, saying to ask the instructor (default); 'drop' removes them",
    )
    p.add_argument("--force", action="store_true", help="replace an earlier release in the output folder")
    p.set_defaults(func=_run)
