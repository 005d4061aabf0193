"""Turn a submission (``.ipynb`` or ``.py``) into the definitions the grader runs.

A homework notebook is full of things a grader must not run: ``%matplotlib inline``,
``!pip install``, plots, self-check calls, a training run that takes a minute, and
sometimes ``sys.exit()`` or ``while True:``. Students also delete, reorder and
retype cells. So the grader does not execute the notebook top to bottom. It keeps
only the top-level statements that *define* things:

* ``import`` / ``from ... import``;
* ``def`` and ``class`` (with their decorators);
* assignments of a plain name to an expression that calls nothing
  (``EPS = 1e-12``, ``sigmoid = lambda x: ...``, ``OPS = {"add": add_backward}``);
* ``try:`` blocks made only of the above (``try: import torch except ImportError: ...``).

Everything else (expression statements, loops, ``if``, ``with``, assignments whose
value calls a function, assignments to attributes such as ``np.allclose = ...``) is
left out and listed in the report. Leaving out the calls makes cell order matter
little: the child process runs the kept statements in notebook order and retries
the ones that failed with ``NameError`` once the others have run, so an import at
the bottom of the notebook still works.

Recovery from broken input, cell by cell:

* IPython syntax (line magics ``%...``, shell escapes ``!...``, ``x = !ls``,
  ``obj?``) becomes ``pass`` / ``x = None`` when the cell does not parse as Python;
* a cell magic ``%%time``/``%%capture``/... keeps its body, other cell magics
  (``%%bash``, ``%%writefile``...) drop the cell;
* a cell (or ``.py`` file) with a syntax error is split at its unindented lines and
  every piece that parses is kept, so one broken function costs only that function;
* functions defined in a Markdown or raw cell (a code cell retyped by mistake) are
  remembered, to tell the student why that function is "missing".
"""

from __future__ import annotations

import ast
import json
import os
import re
import tokenize
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the sandboxed child loads this module: no pathlib import there
    from pathlib import Path

__all__ = [
    "Program",
    "Statement",
    "SubmissionUnreadable",
    "SyntaxProblem",
    "program_from_bytes",
    "program_from_source",
    "read_submission",
]

#: how many bytes of submission we accept (a notebook with big images is ~10 MB)
MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
#: how much code (the kept statements) we run; a homework is a few kilobytes
MAX_CODE_BYTES = 2 * 1024 * 1024
#: most items of each list a :meth:`Program.summary` carries
MAX_SUMMARY_ITEMS = 200
#: cell magics whose body is Python: keep the body, drop the magic line
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}
#: how many pieces ahead the syntax-error recovery tries to join (bounds its cost)
_MAX_JOIN = 40

_DEF_RE = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)", re.MULTILINE)
_MAGIC_ASSIGN_RE = re.compile(r"^([ \t]*)([A-Za-z_][\w, \t]*?)[ \t]*=[ \t]*[!%]")
_HELP_RE = re.compile(r"^[ \t]*(\?\??[\w.]+|[\w.]+\?\??)[ \t]*$")
_CONTINUATION_STARTS = (")", "]", "}", "else", "elif", "except", "finally", "#")


class SubmissionUnreadable(Exception):
    """The file is not a notebook or Python source we can read (the message says why)."""


@dataclass(frozen=True)
class Statement:
    """One kept top-level statement, with where it came from.

    Attributes:
        source: the statement's code, dedented to column 0.
        filename: the name tracebacks show, e.g. ``"cell 5"`` or ``"hw1.py"``.
        lineno: the line of ``filename`` where the statement starts (1-based).
        names: the names it binds (functions, classes, imported modules, variables).
    """

    source: str
    filename: str
    lineno: int
    names: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.filename}, line {self.lineno}"


@dataclass(frozen=True)
class SyntaxProblem:
    """A piece of a cell that is not valid Python and was left out."""

    where: str
    message: str
    functions: tuple[str, ...]  # ``def`` names found in the broken piece

    def __str__(self) -> str:
        lost = f" (it defines {', '.join(self.functions)})" if self.functions else ""
        return f"{self.where}: syntax error, {self.message}; that part was not graded{lost}"


@dataclass
class Program:
    """What the grader runs of a submission, and notes on what it left out."""

    statements: list[Statement] = field(default_factory=list)
    #: filename -> full text, so tracebacks from the child can show the student's lines
    files: dict[str, str] = field(default_factory=dict)
    #: top-level statements that were not run: (where, first line of code)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    syntax_problems: list[SyntaxProblem] = field(default_factory=list)
    #: function name -> where it sits in a Markdown/raw cell
    defs_in_text_cells: dict[str, str] = field(default_factory=dict)
    #: names bound by left-out statements (to explain a NameError)
    ignored_names: set[str] = field(default_factory=set)
    #: cells dropped whole (e.g. ``%%bash``)
    dropped_cells: list[str] = field(default_factory=list)
    #: totals when the lists above were cut short in a :meth:`summary`
    ignored_total: int = -1
    syntax_problem_total: int = -1

    def defined_names(self) -> set[str]:
        """Names bound by the kept statements."""
        return {n for s in self.statements for n in s.names}

    def summary(self) -> dict[str, Any]:
        """Plain data for the grader: everything but the code itself (see :meth:`from_summary`)."""
        n = MAX_SUMMARY_ITEMS
        return {
            "statements": [[s.filename, s.lineno, list(s.names)] for s in self.statements],
            "ignored": [list(x) for x in self.ignored[:n]],
            "ignored_count": len(self.ignored),
            "syntax_problems": [[p.where, p.message, list(p.functions)] for p in self.syntax_problems[:n]],
            "syntax_problem_count": len(self.syntax_problems),
            "defs_in_text_cells": dict(list(self.defs_in_text_cells.items())[:n]),
            "ignored_names": sorted(self.ignored_names)[: n * 5],
            "dropped_cells": self.dropped_cells[:n],
        }

    @classmethod
    def from_summary(cls, data: dict[str, Any]) -> Program:
        """The inverse of :meth:`summary` (statement sources left empty); strict about types."""

        def strs(xs: Any) -> list[str]:
            return [str(x)[:300] for x in xs] if isinstance(xs, list) else []

        program = cls()
        for item in data.get("statements", []) or []:
            filename, lineno, names = item
            program.statements.append(Statement("", str(filename)[:200], int(lineno), tuple(strs(names))))
        program.ignored = [(str(w)[:200], str(c)[:200]) for w, c in data.get("ignored", []) or []]
        program.ignored_total = int(data.get("ignored_count", len(program.ignored)))
        for where, message, functions in data.get("syntax_problems", []) or []:
            program.syntax_problems.append(SyntaxProblem(str(where)[:200], str(message)[:300], tuple(strs(functions))))
        program.syntax_problem_total = int(data.get("syntax_problem_count", len(program.syntax_problems)))
        defs = data.get("defs_in_text_cells", {})
        program.defs_in_text_cells = {str(k): str(v) for k, v in defs.items()} if isinstance(defs, dict) else {}
        program.ignored_names = set(strs(data.get("ignored_names", [])))
        program.dropped_cells = strs(data.get("dropped_cells", []))
        return program


# --------------------------------------------------------------------- reading


def read_submission(path: Path) -> Program:
    """Read a ``.ipynb`` or ``.py`` file into a :class:`Program` (tests and tools; the grader
    reads files with :func:`.grader.read_submission_file` and parses them in its sandbox).

    Raises:
        SubmissionUnreadable: unknown extension, unreadable bytes, not a notebook,
            or no code at all. The message is meant for the student.
    """
    from pathlib import Path

    path = Path(path)
    check_suffix(path.name)
    try:
        size = path.stat().st_size
        if size > MAX_SUBMISSION_BYTES:
            raise SubmissionUnreadable(too_large_message(path.name, size))
        raw = path.read_bytes()
    except OSError as err:
        raise SubmissionUnreadable(f"{path.name} could not be opened: {err.strerror or err}") from err
    return program_from_bytes(raw, path.name)


def check_suffix(name: str) -> None:
    """Raise :class:`SubmissionUnreadable` unless ``name`` ends in ``.ipynb`` or ``.py``."""
    suffix = _suffix(name)
    if suffix not in (".ipynb", ".py"):
        raise SubmissionUnreadable(
            f"{name}: the grader reads .ipynb notebooks and .py files, not {suffix or 'files without extension'}"
        )


def _suffix(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def too_large_message(name: str, size: int) -> str:
    return (
        f"{name} is {size / 1e6:.0f} MB, more than the {MAX_SUBMISSION_BYTES // 2**20} MB the grader "
        "accepts; clear the notebook's outputs (Kernel > Restart & Clear Output) and save it again"
    )


def program_from_bytes(raw: bytes, name: str) -> Program:
    """The :class:`Program` of a submission's bytes; ``name`` (its file name) says notebook or Python."""
    check_suffix(name)
    if _suffix(name) == ".py":
        if len(raw) > MAX_CODE_BYTES:  # all of a .py file is code: no need to parse it to know
            raise SubmissionUnreadable(too_much_code_message(name, len(raw)))
        program = program_from_source([(name, _decode_python(raw, name))], name)
    else:
        program = program_from_notebook(raw, name)
    code = sum(len(s.source) for s in program.statements)
    if code > MAX_CODE_BYTES:
        raise SubmissionUnreadable(too_much_code_message(name, code))
    return program


def too_much_code_message(name: str, size: int) -> str:
    return (
        f"{name} holds {size / 1e6:.1f} MB of code, more than the {MAX_CODE_BYTES // 2**20} MB the grader runs; "
        "a homework needs a few kilobytes. Submit only your notebook, with your own code."
    )


def _decode_python(raw: bytes, name: str) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(BytesIO(raw).readline)
        return raw.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        try:
            return raw.decode("utf-8", errors="replace")
        except Exception as err:  # pragma: no cover - decode with errors="replace" does not fail
            raise SubmissionUnreadable(f"{name} is not text") from err


def program_from_notebook(raw: bytes, name: str) -> Program:
    """Read the code cells of a notebook given as bytes (nbformat 3 or 4 JSON).

    We read the JSON ourselves rather than through ``nbformat.read`` so that a
    notebook with a slightly broken schema (hand-edited metadata, a missing
    ``outputs`` key) is still graded.
    """
    try:
        nb = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise SubmissionUnreadable(f"{name} is not a text file, so not a Jupyter notebook") from err
    except json.JSONDecodeError as err:
        raise SubmissionUnreadable(
            f"{name} is not a valid notebook: its JSON is broken at line {err.lineno}, column {err.colno} "
            f"({err.msg}). Open it in Jupyter, fix or re-download it, and save it again."
        ) from err
    if not isinstance(nb, dict):
        raise SubmissionUnreadable(f"{name} is JSON but not a notebook (no 'cells' list)")
    cells = nb.get("cells")
    if cells is None and isinstance(nb.get("worksheets"), list) and nb["worksheets"]:  # nbformat 3
        cells = nb["worksheets"][0].get("cells") if isinstance(nb["worksheets"][0], dict) else None
    if not isinstance(cells, list):
        raise SubmissionUnreadable(f"{name} is JSON but not a notebook (no 'cells' list)")
    code_cells: list[tuple[str, str]] = []
    text_cells: list[tuple[str, str]] = []
    for i, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            continue
        src = cell.get("source", cell.get("input", ""))
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str):
            continue
        kind = cell.get("cell_type")
        if kind == "code":
            code_cells.append((f"cell {i}", src))
        elif kind in ("markdown", "raw"):
            text_cells.append((f"{kind} cell {i}", src))
    program = program_from_source(code_cells, name)
    for where, src in text_cells:
        for fn in _DEF_RE.findall(src):
            program.defs_in_text_cells.setdefault(fn, where)
    return program


def program_from_source(cells: list[tuple[str, str]], name: str) -> Program:
    """Build a :class:`Program` from ``(filename, code)`` pairs in notebook order."""
    program = Program()
    for filename, src in cells:
        _add_cell(program, filename, src)
    if not program.statements and not program.syntax_problems and not any(src.strip() for _, src in cells):
        raise SubmissionUnreadable(f"{name} contains no code: did you upload the right file?")
    return program


# ------------------------------------------------------------------- per cell


def _add_cell(program: Program, filename: str, src: str) -> None:
    src = src.replace("\r\n", "\n").replace("\r", "\n")
    if not src.strip():
        return
    first = src.lstrip("\n").split("\n", 1)[0].strip()
    if first.startswith("%%"):
        magic = first[2:].split(None, 1)[0] if first[2:].strip() else ""
        if magic not in PYTHON_CELL_MAGICS:
            program.dropped_cells.append(f"{filename} (%%{magic} cell)")
            return
        # Blank out the magic line so line numbers stay those of the cell.
        lines = src.split("\n")
        idx = next(i for i, line in enumerate(lines) if line.strip())
        lines[idx] = ""
        src = "\n".join(lines)
    program.files[filename] = src
    tree = _parse(src)
    if tree is None:
        src = _neutralise_ipython(src)
        program.files[filename] = src
        tree = _parse(src)
    if tree is not None:
        _keep_definitions(program, tree.body, src, filename, 0)
        return
    for offset, piece, error in _recover_pieces(src):
        if error is not None:
            where = f"{filename}, line {offset + (error.lineno or 1)}"
            program.syntax_problems.append(
                SyntaxProblem(where, _syntax_message(error), tuple(dict.fromkeys(_DEF_RE.findall(piece))))
            )
            continue
        tree = _parse(piece)
        assert tree is not None  # _recover_pieces only yields pieces that parse
        _keep_definitions(program, tree.body, piece, filename, offset)


def _parse(src: str) -> ast.Module | None:
    try:
        return ast.parse(src)
    except (SyntaxError, ValueError):  # ValueError: source contains null bytes
        return None


def _syntax_message(err: SyntaxError) -> str:
    text = (err.text or "").strip()
    return f"{err.msg}" + (f" in `{text[:80]}`" if text else "")


def _neutralise_ipython(src: str) -> str:
    """Replace IPython-only lines (magics, shell escapes, help) with harmless Python."""
    out = []
    for line in src.split("\n"):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith(("%", "!")) and not stripped.startswith("!="):
            out.append(indent + "pass")
        elif m := _MAGIC_ASSIGN_RE.match(line):
            out.append(f"{m.group(1)}{m.group(2).strip()} = None")
        elif _HELP_RE.match(line) and "?" in line:
            out.append(indent + "pass")
        else:
            out.append(line)
    return "\n".join(out)


def _recover_pieces(src: str) -> list[tuple[int, str, SyntaxError | None]]:
    """Split source that does not parse into pieces that do.

    Cut points are unindented lines that can start a statement. From each cut we
    take the shortest run of pieces that parses; if none does (within
    ``_MAX_JOIN`` pieces), the first piece is reported as broken and skipped.
    Returns ``(line offset, text, None)`` for good pieces and
    ``(line offset, text, error)`` for broken ones.
    """
    lines = src.split("\n")
    cuts = [
        i
        for i, line in enumerate(lines)
        if line and not line[0].isspace() and not line.startswith(_CONTINUATION_STARTS)
    ]
    if not cuts or cuts[0] != 0:
        cuts.insert(0, 0)
    cuts.append(len(lines))
    result: list[tuple[int, str, SyntaxError | None]] = []
    k = 0
    while k < len(cuts) - 1:
        start = cuts[k]
        for j in range(k + 1, min(len(cuts), k + 1 + _MAX_JOIN)):
            piece = "\n".join(lines[start : cuts[j]])
            if _parse(piece) is not None:
                if piece.strip():
                    result.append((start, piece, None))
                k = j
                break
        else:
            piece = "\n".join(lines[start : cuts[k + 1]])
            try:
                ast.parse(piece)
                error = SyntaxError("invalid syntax")  # pragma: no cover - it did not parse above
            except SyntaxError as err:
                error = err
            except ValueError as err:
                error = SyntaxError(str(err))
            if piece.strip():
                result.append((start, piece, error))
            k += 1
    return result


# ----------------------------------------------------------- what is kept


def _keep_definitions(program: Program, body: list[ast.stmt], src: str, filename: str, offset: int) -> None:
    lines = src.split("\n")
    for node in body:
        decorators = getattr(node, "decorator_list", [])
        start_line, start_col = (decorators[0].lineno, 0) if decorators else (node.lineno, node.col_offset)
        text = _segment(lines, start_line, start_col, node.end_lineno or node.lineno, node.end_col_offset)
        where = f"{filename}, line {offset + start_line}"
        if isinstance(node, ast.Pass) or isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring, a bare constant, a neutralised magic: nothing to run or report
        if _is_definition(node):
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            program.statements.append(Statement(text, filename, offset + start_line, _bound_names(node)))
        else:
            program.ignored.append((where, text.strip().split("\n", 1)[0][:100]))
            program.ignored_names.update(_bound_names(node))


def _segment(lines: list[str], start_line: int, start_col: int, end_line: int, end_col: int | None) -> str:
    """The text of one statement, even when ``;`` puts several on one line."""
    if start_line == end_line:
        return lines[start_line - 1][start_col:end_col]
    first = lines[start_line - 1][start_col:]
    last = lines[end_line - 1][:end_col]
    return "\n".join([first, *lines[start_line : end_line - 1], last])


def _is_definition(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, ast.Assign):
        return all(_plain_target(t) for t in node.targets) and _calls_nothing(node.value)
    if isinstance(node, ast.AnnAssign):
        return _plain_target(node.target) and (node.value is None or _calls_nothing(node.value))
    if isinstance(node, ast.Try):
        inner = node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        return all(_is_definition(s) or isinstance(s, ast.Pass) for s in inner)
    return False


def _plain_target(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_plain_target(t) for t in target.elts)
    if isinstance(target, ast.Starred):
        return _plain_target(target.value)
    return False


def _calls_nothing(expr: ast.expr) -> bool:
    """True if evaluating ``expr`` calls no function (lambda bodies do not run now)."""
    stack: list[ast.AST] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults + [d for d in node.args.kw_defaults if d is not None])
            continue
        if isinstance(node, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return False  # iterating may call __iter__/__next__ of anything
        stack.extend(ast.iter_child_nodes(node))
    return True


def _bound_names(node: ast.stmt) -> tuple[str, ...]:
    names: list[str] = []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.append(node.name)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if alias.name != "*":
                names.append(alias.asname or alias.name.split(".")[0])
    else:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                names.append(sub.id)
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(sub.name)
    return tuple(dict.fromkeys(names))
