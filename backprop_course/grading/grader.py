"""Grade one submission or a batch: read, prepare the tests, run them sandboxed, judge.

:func:`grade_submission` never raises because of what a submission contains or
does: every outcome, including "could not be read" and internal errors, becomes a
:class:`SubmissionResult` with a status and a message. :func:`grade_batch` grades a
folder in parallel threads, each driving its own child process, so one student's
infinite loop only occupies one worker for its time limit.

Statuses of a submission (the gradebook's ``status`` column) say what happened to the
submission as a whole; each test has its own status (passed, partial, failed, missing,
timed out, crashed, not run), and the message lists the tests that timed out or crashed:

* ``graded``: every test was run and judged (a test that timed out or crashed
  scores zero on its own; the others are graded);
* ``timed out``: the submission used up its total time budget (loading and all
  tests) before every test ran;
* ``crashed``: the submission could not be loaded or run at all (or the grader
  failed on it);
* ``could not be read``: not a notebook/Python file, broken JSON, no code, a
  symlink, FIFO or device, too large, or no submission file found.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .checks import Check, JudgeContext, first_lines, score_checks
from .sandbox import (
    Isolation,
    LoadReport,
    RunOutcome,
    SandboxOptions,
    TestRun,
    resolve_isolation,
    run_submission,
)
from .source import (
    MAX_CODE_BYTES,
    MAX_SUBMISSION_BYTES,
    Program,
    SubmissionUnreadable,
    check_suffix,
    too_large_message,
    too_much_code_message,
)
from .specs import Assignment, Prepared, TestSpec, get_assignment, test_rng

__all__ = [
    "GradingOptions",
    "SubmissionResult",
    "TestResult",
    "find_submissions",
    "grade_batch",
    "grade_submission",
    "pick_submission_file",
    "read_submission_file",
    "safe_name",
]

STATUSES = ("graded", "timed out", "crashed", "could not be read")
#: failing checks shown in detail per test (the rest are counted)
MAX_DETAILS = 3


@dataclass
class GradingOptions:
    """Knobs for a grading run.

    Attributes:
        seed: the grading seed (inputs are drawn from it); ``None`` draws a fresh
            one, recorded in every result so the run can be reproduced.
        jobs: submissions graded at the same time (default: the number of CPUs).
        time_limit: if set, replaces every test's time limit (seconds).
        memory_mb: if set, replaces every test's memory limit.
        sandbox: how child processes run (see :class:`.sandbox.SandboxOptions`).
    """

    seed: int | None = None
    jobs: int | None = None
    time_limit: float | None = None
    memory_mb: int | None = None
    sandbox: SandboxOptions = field(default_factory=SandboxOptions)


@dataclass
class TestResult:
    """One test of one submission, as reported to the student."""

    name: str
    title: str
    score: float
    max_score: float
    status: str  # passed, partial, failed, missing, timed out, crashed, not run
    output: str
    visibility: str = "visible"

    __test__ = False


@dataclass
class SubmissionResult:
    """Everything the grader says about one submission."""

    student: str
    assignment: str
    submission: str
    seed: int
    status: str
    score: float
    max_score: float
    tests: list[TestResult]
    notes: list[str] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    grader_version: str = ""
    #: ``bubblewrap`` or ``process``: the sandbox this submission ran in
    isolation: str = ""
    #: the long lists behind the notes (every statement not run...): result.json only
    details: list[str] = field(default_factory=list)
    #: sha256 of the submission's bytes ("" if none), so a resumed batch regrades a changed file
    sha256: str = ""
    #: the student's folder under ``OUTDIR/students/`` (a batch sets it)
    folder: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _version() -> str:
    from backprop_course import __version__

    return __version__


# ------------------------------------------------------------------ one submission


def grade_submission(
    assignment: str | Assignment,
    path: str | Path | None,
    *,
    student: str | None = None,
    options: GradingOptions | None = None,
    unreadable: str = "",
    isolation: Isolation | None = None,
) -> SubmissionResult:
    """Grade the submission at ``path`` (a ``.ipynb`` or ``.py`` file).

    Args:
        assignment: ``"hw1"``... or an :class:`~.specs.Assignment`.
        path: the file; ``None`` together with ``unreadable`` records a student whose
            submission could not be found.
        student: the name in reports (default: the file name without extension).
        options: seed, limits, sandbox settings.
        unreadable: a message saying why there is no file to grade.
        isolation: the sandbox to use (default: :func:`.sandbox.resolve_isolation`).

    Raises:
        SandboxUnavailable: only when ``options.sandbox.required`` and bubblewrap cannot run.
    """
    started = time.monotonic()
    spec = assignment if isinstance(assignment, Assignment) else get_assignment(assignment)
    options = options or GradingOptions()
    isolation = isolation or resolve_isolation(options.sandbox)
    seed = options.seed if options.seed is not None else secrets.randbelow(2**31)
    name = student or (Path(path).stem if path is not None else "unknown")
    base = SubmissionResult(
        student=name,
        assignment=spec.name,
        submission=str(path) if path is not None else "",
        seed=seed,
        status="graded",
        score=0.0,
        max_score=spec.max_score,
        tests=[],
        grader_version=_version(),
        isolation=isolation.label,
    )
    try:
        if path is None:
            raise SubmissionUnreadable(unreadable or "no submission file")
        raw = read_submission_file(Path(path))
        base.sha256 = hashlib.sha256(raw).hexdigest()
    except SubmissionUnreadable as err:
        result = _unreadable(base, spec, str(err))
    else:
        try:
            result = _grade_program(base, spec, raw, Path(path).name, options, seed, isolation)
        except Exception as err:  # a bug in the grader must not lose the student's result
            result = _internal_error(base, spec, err)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def read_submission_file(path: Path) -> bytes:
    """The bytes of a submission file, read defensively.

    The file is opened without following a symlink (``O_NOFOLLOW``) and without
    blocking (a FIFO cannot hang the grader); only a regular file is read, its size is
    checked on the opened file (not on the name), and at most the cap is read.

    Raises:
        SubmissionUnreadable: a symlink, FIFO, device or folder; too large; unreadable.
    """
    check_suffix(path.name)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno in (getattr(os, "ELOOP", -1), getattr(os, "EMLINK", -1)) or os.path.islink(path):
            raise SubmissionUnreadable(
                f"{path.name} is a symbolic link, not a file; submit the notebook itself"
            ) from err
        raise SubmissionUnreadable(f"{path.name} could not be opened: {err.strerror or err}") from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a folder"
                if stat.S_ISDIR(info.st_mode)
                else "a FIFO (named pipe)"
                if stat.S_ISFIFO(info.st_mode)
                else "a device"
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "not a regular file"
            )
            raise SubmissionUnreadable(f"{path.name} is {kind}, not a file; submit the notebook itself")
        if info.st_size > MAX_SUBMISSION_BYTES:
            raise SubmissionUnreadable(too_large_message(path.name, info.st_size))
        if path.suffix.lower() == ".py" and info.st_size > MAX_CODE_BYTES:  # a .py file is all code
            raise SubmissionUnreadable(too_much_code_message(path.name, info.st_size))
        chunks = []
        left = MAX_SUBMISSION_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        raw = b"".join(chunks)
        if len(raw) > MAX_SUBMISSION_BYTES:  # it grew after the check
            raise SubmissionUnreadable(too_large_message(path.name, len(raw)))
        return raw
    except OSError as err:
        raise SubmissionUnreadable(f"{path.name} could not be read: {err.strerror or err}") from err
    finally:
        os.close(fd)


def _unreadable(base: SubmissionResult, spec: Assignment, message: str) -> SubmissionResult:
    text = f"Your submission could not be read: {message}"
    base.status = "could not be read"
    base.message = text
    # Said once, in the message; each test only points there.
    note = "Not graded: the submission could not be read."
    base.tests = [TestResult(t.name, t.title, 0.0, t.max_score, "missing", note, t.visibility) for t in spec.tests]
    return base


def _internal_error(base: SubmissionResult, spec: Assignment, err: Exception) -> SubmissionResult:
    detail = "".join(traceback.format_exception_only(type(err), err)).strip()
    text = f"The grader itself failed on this submission ({detail}); tell the course staff."
    base.status = "crashed"
    base.message = text
    base.details.append("internal grader error:\n" + traceback.format_exc(limit=8))
    note = "Not graded: the grader failed (see above)."
    base.tests = [TestResult(t.name, t.title, 0.0, t.max_score, "crashed", note, t.visibility) for t in spec.tests]
    return base


def _grade_program(
    base: SubmissionResult,
    spec: Assignment,
    raw: bytes,
    filename: str,
    options: GradingOptions,
    seed: int,
    isolation: Isolation,
) -> SubmissionResult:
    tests = [_with_limits(t, options) for t in spec.tests]
    prepared: list[Prepared] = [t.prepare(test_rng(seed, t.name)) for t in tests]
    runs = [TestRun(t.name, p.probe, p.payload, t.time_limit, t.memory_mb) for t, p in zip(tests, prepared)]
    report, outcomes = run_submission(
        raw, filename, runs, options.sandbox, unavailable=spec.unavailable_while_grading, isolation=isolation
    )
    if report.unreadable:
        return _unreadable(base, spec, report.unreadable)
    program = Program.from_summary(report.program or {})
    base.notes, base.details = _program_notes(program, report)
    if report.unblocked:
        base.details.append("grader: these names could not be made unavailable: " + ", ".join(report.unblocked))
    results = []
    for test, prep, outcome in zip(tests, prepared, outcomes):
        ctx = JudgeContext(time_limit=test.time_limit, memory_mb=test.memory_mb, ignored_names=program.ignored_names)
        results.append(_test_result(test, prep, outcome, ctx, program, report, options.sandbox.output_limit_bytes))
    _say_once(results)
    base.tests = results
    base.score = round(sum(r.score for r in results), 6)
    not_run = [r.name for r in results if r.status == "not run"]
    timed_out = [r.name for r in results if r.status == "timed out"]
    crashed = [r.name for r in results if r.status == "crashed"]
    if not report.started and not any(o.kind in ("answer", "timeout", "died") for o in outcomes):
        base.status = "timed out" if report.budget_exceeded else "crashed"
    elif not_run:
        base.status = "timed out"
    else:
        base.status = "graded"
    parts = []
    if not report.started and report.detail:
        parts.append(report.detail[0].upper() + report.detail[1:] + ".")
    if not_run:
        parts.append(f"The submission used up its total time budget; not run: {', '.join(not_run)}.")
    if timed_out:
        parts.append(f"Timed out: {', '.join(timed_out)} (zero for those tests only).")
    if crashed and base.status == "graded":
        parts.append(f"Crashed: {', '.join(crashed)} (zero for those tests only).")
    base.message = " ".join(p for p in parts if p)
    return base


def _say_once(results: list[TestResult]) -> None:
    """When several tests fail for the same reason (a missing function, a failed load), explain it once."""
    missing: dict[str, str] = {}  # function -> the first test that said it is missing
    for r in results:
        if r.status == "missing":
            for name in re.findall(r"`(\w+)` is not defined in your submission", r.output):
                missing.setdefault(name, r.name)
    for r in results:
        names = set(_NAME_ERROR.findall(r.output))
        if r.score == 0 and r.status == "failed" and len(names) == 1 and next(iter(names)) in missing:
            name = next(iter(names))
            r.output = f"Zero: your code calls `{name}`, which is missing (see {missing[name]} above)."
    first_seen: dict[str, str] = {}
    first_error: dict[str, str] = {}
    for r in results:
        if r.status in ("passed", "partial") or not r.output:
            continue
        if r.status == "failed":
            # A test whose every check failed with one and the same exception as an earlier test's.
            sole = _sole_error(r.output) if r.score == 0 else None
            if sole is None:
                continue
            key, what = sole
            if key in first_error:
                r.output = f"Zero: {what}, as in {first_error[key]} above."
            else:
                first_error[key] = r.name
            continue
        key = r.output.split("\n\nYour code printed", 1)[0]
        if key in first_seen:
            r.output = f"Zero: the same problem as in {first_seen[key]} above."
        else:
            first_seen[key] = r.name


def _sole_error(output: str) -> tuple[str, str] | None:
    """(a key, a short description) if every failing check of a test report raised the same exception."""
    text = output.split("\n\nYour code printed", 1)[0]
    lines = text.split("\n")
    if not lines or not re.fullmatch(r"0 of \d+ checks right\.", lines[0]):
        return None
    block = [line for line in lines[1:] if not line.startswith("- ... the same error")]
    problems = [line for line in block if line.startswith("- ")]
    if len(problems) != 1 or _error_key(problems[0][2:]) is None:
        return None
    first = problems[0]
    at = max(first.find(" raised "), first.find(" still raises "))
    what = first[at + 1 :].split(":", 1)[0].strip() if at >= 0 else "the same error"
    return _NUMBER.sub("#", "\n".join(block[block.index(first) :])), f"your code {what}"


def _with_limits(test: TestSpec, options: GradingOptions) -> TestSpec:
    changes: dict[str, Any] = {}
    if options.time_limit is not None:
        changes["time_limit"] = float(options.time_limit)
    if options.memory_mb is not None:
        changes["memory_mb"] = int(options.memory_mb)
    return replace(test, **changes) if changes else test


def _program_notes(program: Program, report: LoadReport) -> tuple[list[str], list[str]]:
    """Short notes for the report, and the long lists behind them for result.json only."""
    notes: list[str] = []
    details: list[str] = []
    problems = program.syntax_problems
    for problem in problems[:5]:
        notes.append(str(problem))
    total_problems = max(program.syntax_problem_total, len(problems))
    if total_problems > 5:
        notes.append(f"... and {total_problems - 5} more syntax errors (all listed in result.json)")
        details += [str(p) for p in problems[5:]]
    for cell in program.dropped_cells[:5]:
        notes.append(f"{cell}: not Python, not run")
    statements = program.statements
    for i, reason in sorted(report.skipped.items()):
        if 0 <= i < len(statements):
            notes.append(f"{statements[i].where}: skipped, it {reason}")
    quiet = _failures_from_ignored_code(program, report)
    for i, err in sorted(report.failures.items()):
        if i in report.skipped or i in quiet or not 0 <= i < len(statements):
            continue
        notes.append(f"{statements[i].where}: running this definition failed: {_short_error(err)}")
    total_ignored = max(program.ignored_total, len(program.ignored))
    if total_ignored:
        notes.append(
            f"{total_ignored} top-level statement(s) were not run (the grader runs only imports, functions, "
            "classes and assignments that call nothing); the list is in result.json"
        )
        details += [f"not run: {where}: `{code}`" for where, code in program.ignored]
    return notes, details


def _failures_from_ignored_code(program: Program, report: LoadReport) -> set[int]:
    """Statements that failed only because they use names set by code we do not run.

    E.g. ``L = d * f`` after ``d = Value(2.0)``: the grader does not run the call, so
    ``L`` fails with NameError; that says nothing about the student's work.
    """
    unavailable = set(program.ignored_names)
    quiet: set[int] = set()
    changed = True
    while changed:
        changed = False
        for i, err in report.failures.items():
            message = str(err.get("message", ""))
            if i in quiet or err.get("type") != "NameError" or message.count("'") < 2:
                continue
            if message.split("'")[1] in unavailable:
                quiet.add(i)
                unavailable.update(program.statements[i].names)
                changed = True
    return quiet


def _short_error(err: dict[str, Any]) -> str:
    if err.get("type") == "GraderTimeout":
        return "it did not finish within the time limit"
    msg = str(err.get("message", ""))
    return f"{err.get('type', 'Exception')}: {msg}" if msg else str(err.get("type", "Exception"))


def _missing_message(fn: str, program: Program, report: LoadReport) -> str:
    text = f"`{fn}` is not defined in your submission, so this test could not run."
    kind = report.names.get(fn)
    if kind is not None and kind != "callable":
        return f"`{fn}` is a {kind} in your submission, not a function, so this test could not run."
    if fn in program.defs_in_text_cells:
        text += (
            f" It appears in {program.defs_in_text_cells[fn]}: change that cell's type back to Code"
            " (in Jupyter: select it and press Y)."
        )
    for problem in program.syntax_problems:
        if fn in problem.functions:
            text += f" Its definition has a syntax error ({problem.where}: {problem.message})."
    for i, st in enumerate(program.statements):
        if fn in st.names:
            if i in report.skipped:
                text += f" Its definition ({st.where}) was skipped: it {report.skipped[i]}."
            elif i in report.failures:
                text += f" Running its definition ({st.where}) failed: {_short_error(report.failures[i])}."
    if fn in program.ignored_names:
        text += " It is assigned by top-level code the grader does not run; define it with `def`."
    return text


def _test_result(
    test: TestSpec,
    prep: Prepared,
    outcome: RunOutcome,
    ctx: JudgeContext,
    program: Program,
    report: LoadReport,
    output_limit_bytes: int,
) -> TestResult:
    def result(score: float, status: str, text: str) -> TestResult:
        if outcome.output and status != "passed":
            text += "\n\nYour code printed (first lines):\n" + first_lines(outcome.output, 10)
        return TestResult(test.name, test.title, score, test.max_score, status, text.strip(), test.visibility)

    if outcome.kind == "budget":
        return result(0.0, "not run", f"Not run: your submission had used up {outcome.detail}.")
    if outcome.kind == "timeout":
        return result(0.0, "timed out", f"Zero: your code {outcome.detail} (an infinite loop, or very slow code?).")
    if outcome.kind == "died":
        return result(0.0, "crashed", f"Zero: {outcome.detail}.")
    if outcome.kind == "broken":
        detail = outcome.detail or report.detail or "it could not be loaded"
        return result(0.0, "crashed", f"Zero: the grader could not run your code: {detail}.")
    answer = outcome.result or {}
    if "missing" in answer or any(report.names.get(fn) != "callable" for fn in test.functions if report.names):
        missing = [fn for fn in test.functions if report.names.get(fn) != "callable"] or [answer.get("missing", "")]
        return result(0.0, "missing", "Zero: " + " ".join(_missing_message(fn, program, report) for fn in missing))
    if answer.get("timeout"):
        return result(
            0.0, "timed out", f"Zero: your code did not finish within the time limit of {test.time_limit:g} s."
        )
    if "probe_error" in answer:
        err = answer["probe_error"]
        return result(0.0, "failed", f"Zero: the test could not run with your code: {_short_error(err)}.")
    if outcome.output_limit:
        return result(
            0.0,
            "failed",
            f"Zero: your code printed more than the {_size(output_limit_bytes)} allowed while this test ran. "
            "Remove the prints (especially inside loops) and submit again.",
        )
    try:
        checks = prep.judge(answer, ctx)
    except Exception:  # only a malformed answer (forged on the pipe?) gets here
        return result(0.0, "failed", "Zero: the grader could not read the answer your code sent back.")
    score = score_checks(checks, test.max_score)
    text = _summarise(checks)
    if answer.get("memory_error"):
        status = "crashed"  # a resource limit, like a killed process: flag it for the staff
    elif answer.get("timed_out"):
        text = f"Stopped at the time limit of {test.time_limit:g} s: the calls that did not finish score zero.\n" + text
        status = "timed out"
    elif score >= test.max_score:
        status = "passed"
    elif score > 0:
        status = "partial"
    else:
        status = "failed"
    return result(score, status, text)


def _size(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n / 2**10:g} KB"


def _summarise(checks: list[Check]) -> str:
    """How many checks are right, then the first few distinct problems.

    The same exception raised for several inputs is shown once, with its traceback,
    followed by how many other inputs raised it.
    """
    if not checks:
        return "No checks ran."
    right = sum(c.credit >= 1.0 for c in checks)
    half = sum(0.0 < c.credit < 1.0 for c in checks)
    head = f"{right} of {len(checks)} checks right" + (f", {half} half credit" if half else "") + "."
    bad = [c for c in checks if c.credit < 1.0 and c.message]
    seen: set[str] = set()
    same_error: dict[str, int] = {}
    details: list[str] = []
    for c in bad:
        if c.message in seen:
            continue
        seen.add(c.message)
        key = _error_key(c.message)
        if key is not None and key in same_error:
            same_error[key] += 1
            continue
        if key is not None:
            same_error[key] = 0
        details.append(c.message)
    lines = [head]
    for text in details[:MAX_DETAILS]:
        key = _error_key(text)
        more = same_error.get(key, 0) if key is not None else 0
        lines.append(f"- {text}")
        if more:
            lines.append(f"- ... the same error for {more} more input(s).")
    if len(details) > MAX_DETAILS:
        lines.append(f"- ... and {len(details) - MAX_DETAILS} more problem(s) like these.")
    return "\n".join(lines)


_NUMBER = re.compile(r"[-+]?\d[\d.]*(?:e[-+]?\d+)?")


def _error_key(message: str) -> str | None:
    """An exception's message without the inputs that raised it (its numbers), or None if it is not one."""
    first, _, rest = message.partition("\n")
    if " raised " not in first and " still raises " not in first:
        return None
    return _NUMBER.sub("#", first) + "\n" + rest


_NAME_ERROR = re.compile(r"raised NameError: name '(\w+)' is not defined")


# ----------------------------------------------------------------------- batches


#: a student's upload folder is searched this deep, and this many entries at most
MAX_UPLOAD_DEPTH = 4
MAX_UPLOAD_ENTRIES = 2000


def pick_submission_file(folder: Path, assignment: Assignment) -> Path:
    """The file to grade in a student's folder (Gradescope puts uploads in one).

    Preference: a file named like the assignment's notebook, then one whose name
    contains the assignment name (``hw1``), then the only notebook, then the only
    ``.py`` file. Symbolic links to folders are not followed (a link to a file may be
    picked; reading it then says it is a link).

    Raises:
        SubmissionUnreadable: no candidate, or several and none preferred.
    """
    skip_dirs = {"__pycache__", ".ipynb_checkpoints", "__MACOSX"}
    found: list[Path] = []
    seen = 0
    root_depth = len(Path(folder).parts)
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        depth = len(Path(dirpath).parts) - root_depth
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in skip_dirs)
        if depth >= MAX_UPLOAD_DEPTH:
            dirnames[:] = []
        seen += len(dirnames) + len(filenames)
        for name in filenames:
            if not name.startswith(".") and Path(name).suffix.lower() in (".ipynb", ".py"):
                found.append(Path(dirpath) / name)
        if seen > MAX_UPLOAD_ENTRIES:
            break
    files = sorted(found)
    stem = Path(assignment.notebook).stem
    for rule in (
        lambda p: p.stem == stem,
        lambda p: stem in p.stem,
        lambda p: p.stem.lower().startswith(assignment.name),
    ):
        hits = [p for p in files if rule(p)]
        if hits:
            return sorted(hits, key=lambda p: (p.suffix != ".ipynb", len(p.parts), str(p)))[0]
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    if len(notebooks) == 1:
        return notebooks[0]
    if not notebooks and len(files) == 1:
        return files[0]
    if not files:
        raise SubmissionUnreadable(f"no .ipynb or .py file was found in the submission; upload {assignment.notebook}")
    names = ", ".join(str(p.relative_to(folder)) for p in files[:6])
    raise SubmissionUnreadable(f"several files could be the submission ({names}); name yours {assignment.notebook}")


@dataclass(frozen=True)
class Entry:
    """One student in a batch: a file to grade, or the reason there is none.

    ``folder`` is the student's own folder name under ``OUTDIR/students/``.
    """

    student: str
    path: Path | None
    problem: str = ""
    folder: str = ""


def safe_name(student: str) -> str:
    """A file-system-safe folder name for a student (no path separators, no leading dot, no ``~``)."""
    name = re.sub(r"[^A-Za-z0-9._@+-]", "_", student).lstrip(".") or "student"
    return name[:120]


def unique_folders(names: list[str]) -> list[str]:
    """One folder name per student name, all different (also ignoring case), computed without loops over guesses.

    A name that is already safe and unique keeps its name. Any other gets its safe
    form followed by ``~`` and a hash of the full name: ``~`` never appears in a kept
    name, so the two kinds cannot collide, and different names have different hashes.
    """
    safe = [safe_name(n) for n in names]
    counts: dict[str, int] = {}
    for s in safe:
        counts[s.lower()] = counts.get(s.lower(), 0) + 1
    out = []
    for name, s in zip(names, safe):
        if s == name and counts[s.lower()] == 1:
            out.append(s)
        else:
            out.append(f"{s[:100]}~{hashlib.sha256(name.encode('utf-8', 'surrogateescape')).hexdigest()[:12]}")
    return out


def _printable(name: str) -> str:
    """A file name that is not valid UTF-8 (undecodable bytes) with those bytes shown as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def find_submissions(folder: Path, assignment: Assignment, *, exclude: Iterable[Path] = ()) -> list[Entry]:
    """The students in ``folder``: each ``.ipynb``/``.py`` file is one, and so is each subfolder.

    Nothing is followed or opened here: a symbolic link (to a file or a folder) is a
    student whose submission cannot be read, and so is a FIFO or a device named like
    a notebook (reading it later says so). Hidden entries, ``__MACOSX`` and the folders
    in ``exclude`` (the output folder) are skipped. Each student has a unique name
    (the file's stem, or its full name when two stems clash) and a unique output
    folder (:func:`unique_folders`).
    """
    excluded = set()
    for p in exclude:
        try:
            st = os.stat(p)
            excluded.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    raw: list[tuple[str, str, Path | None, str]] = []  # (stem, full name, path, problem)
    with os.scandir(folder) as it:
        items = sorted(it, key=lambda e: e.name)
    for e in items:
        if e.name.startswith((".", "__")):
            continue
        try:
            st = e.stat(follow_symlinks=False)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in excluded:
            continue
        path = Path(e.path)
        suffix = path.suffix.lower()
        if stat.S_ISLNK(st.st_mode):
            if suffix in (".ipynb", ".py") or os.path.isdir(path):
                stem = path.stem if suffix in (".ipynb", ".py") else e.name
                raw.append((stem, e.name, None, f"{e.name} is a symbolic link; submit the file or folder itself"))
        elif stat.S_ISDIR(st.st_mode):
            try:
                raw.append((e.name, e.name, pick_submission_file(path, assignment), ""))
            except SubmissionUnreadable as err:
                raw.append((e.name, e.name, None, str(err)))
        elif suffix in (".ipynb", ".py"):
            raw.append((path.stem, e.name, path, ""))
    stems: dict[str, int] = {}
    for stem, _, _, _ in raw:
        stems[stem.lower()] = stems.get(stem.lower(), 0) + 1
    students = [_printable(stem if stems[stem.lower()] == 1 else full) for stem, full, _, _ in raw]
    # Folder names from the raw names: two names that print alike still get different folders.
    folders = unique_folders([stem if stems[stem.lower()] == 1 else full for stem, full, _, _ in raw])
    return [
        Entry(student, path, problem, folder) for student, folder, (_, _, path, problem) in zip(students, folders, raw)
    ]


def grade_batch(
    assignment: str | Assignment,
    entries: Iterable[Entry],
    *,
    options: GradingOptions | None = None,
    progress: Callable[[SubmissionResult], None] | None = None,
) -> list[SubmissionResult]:
    """Grade many submissions, ``options.jobs`` at a time; results in the order of ``entries``.

    One seed serves the whole batch (drawn once if ``options.seed`` is None), so every
    student is graded on the same inputs. ``progress`` is called with each result as
    soon as it is known (from a worker thread): the CLI writes it to disk there.

    Raises:
        SandboxUnavailable: only when ``options.sandbox.required`` and bubblewrap cannot run.
    """
    spec = assignment if isinstance(assignment, Assignment) else get_assignment(assignment)
    options = options or GradingOptions()
    if options.seed is None:
        options = replace(options, seed=secrets.randbelow(2**31))
    jobs = options.jobs or default_jobs()
    entries = list(entries)
    isolation = resolve_isolation(options.sandbox)

    def one(entry: Entry) -> SubmissionResult:
        result = grade_submission(
            spec, entry.path, student=entry.student, options=options, unreadable=entry.problem, isolation=isolation
        )
        result.folder = entry.folder
        if progress is not None:
            progress(result)
        return result

    if jobs <= 1 or len(entries) <= 1:
        return [one(e) for e in entries]
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
    try:
        results = list(pool.map(one, entries))
    except BaseException:
        # Ctrl-C or a failure: the submissions being graded finish (and are written), no new one starts.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
