"""Write what the grader found: a text report and a JSON result per student, Gradescope's
``results.json``, and a CSV gradebook for a batch.

Files are written atomically (to a temporary name, then renamed), so a reader never
sees half a file, and a batch writes each student's files as soon as that student is
graded (under ``OUTDIR/students/<folder>/``: no student name can collide with the
grader's own files), then rebuilds the gradebook from them; a batch that is
interrupted keeps every grade already written (``grade --resume`` finishes it).
No sandboxed child can write to the output folder: it is not in its view (bubblewrap),
or not writable by ``nobody`` (the process sandbox as root).

Gradescope's format (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
a top-level ``score`` and ``tests``, each test with ``name``, ``score``,
``max_score``, ``status`` (``passed``/``failed``), ``output`` and ``visibility``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .grader import SubmissionResult, TestResult, safe_name

__all__ = [
    "gradebook_csv",
    "gradescope_results",
    "load_result",
    "student_folder",
    "safe_name",
    "text_report",
    "write_gradebook",
    "write_json",
    "write_student_files",
]

_MARKS = {
    "passed": "PASS",
    "partial": "PART",
    "failed": "FAIL",
    "missing": "MISS",
    "timed out": "TIME",
    "crashed": "CRSH",
    "not run": "SKIP",
}


def _points(x: float) -> str:
    return f"{round(float(x), 4):g}"


def text_report(result: SubmissionResult) -> str:
    """The report a student reads: total, then each test with its feedback."""
    lines = [
        f"{result.assignment}: grading report for {result.student}",
        f"submission: {Path(result.submission).name if result.submission else '(none)'}",
        f"score: {_points(result.score)} / {_points(result.max_score)}    status: {result.status}",
        f"seed: {result.seed} (rerun with --seed {result.seed} to get the same inputs)",
    ]
    if result.isolation:
        lines.append(f"sandbox: {result.isolation}")
    if result.message:
        lines += ["", result.message]
    lines.append("")
    width = max([len(t.name) for t in result.tests] + [10])
    for t in result.tests:
        lines.append(f"[{_MARKS.get(t.status, '????')}] {t.name:<{width}}  {_points(t.score)} / {_points(t.max_score)}")
        if t.status != "passed" and t.output:
            lines += ["       " + line for line in t.output.splitlines()]
    if result.notes:
        lines += ["", "Notes on your submission:"]
        for note in result.notes:
            first, *rest = note.splitlines()
            lines.append(f"  - {first}")
            lines += [f"    {line}" for line in rest]
    return "\n".join(lines) + "\n"


def gradescope_results(result: SubmissionResult) -> dict[str, Any]:
    """Gradescope's ``results.json`` for one submission."""
    summary = [f"Status: {result.status}. Score {_points(result.score)} / {_points(result.max_score)}."]
    if result.message:
        summary.append(result.message)
    if result.notes:
        summary.append("Notes on your submission:\n" + "\n".join(f"- {n}" for n in result.notes))
    summary.append(f"Grading seed {result.seed}.")
    return {
        "score": round(result.score, 4),
        "execution_time": max(1, round(result.seconds)),
        "output": "\n\n".join(summary),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "status": result.status,
            "seed": result.seed,
            "grader_version": result.grader_version,
            "isolation": result.isolation,
        },
        "tests": [
            {
                "name": t.title,
                "score": round(t.score, 4),
                "max_score": t.max_score,
                "status": "passed" if t.score >= t.max_score else "failed",
                "output": t.output or "All checks right.",
                "visibility": t.visibility,
            }
            for t in result.tests
        ],
    }


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as f:
            f.write(text)
        os.replace(tmp, path)  # replaces a symlink itself, never the file it points to
        os.chmod(path, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    _atomic_write(Path(path), json.dumps(data, indent=2, allow_nan=False, default=str) + "\n")


def student_folder(result: SubmissionResult, outdir: Path) -> Path:
    """``outdir/students/<folder>``: the student's own folder, apart from the grader's files."""
    return Path(outdir) / "students" / (result.folder or safe_name(result.student))


def write_student_files(result: SubmissionResult, outdir: Path, *, gradescope: bool = False) -> Path:
    """``report.txt``, ``result.json`` and (``gradescope``) ``results.json`` in :func:`student_folder`."""
    folder = student_folder(result, outdir)
    _atomic_write(folder / "report.txt", text_report(result))
    if gradescope:
        write_json(folder / "results.json", gradescope_results(result))
    write_json(folder / "result.json", _finite(result.to_dict()))  # last: its presence means "done"
    return folder


def load_result(path: Path) -> SubmissionResult | None:
    """The :class:`SubmissionResult` in a ``result.json`` (None if missing or not one of ours)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            data = json.loads(f.read(16 << 20))
        tests = [TestResult(**t) for t in data.pop("tests")]
        fields = set(SubmissionResult.__dataclass_fields__)
        return SubmissionResult(tests=tests, **{k: v for k, v in data.items() if k in fields})
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _finite(data: Any) -> Any:
    """JSON has no NaN/inf: write them as strings."""
    if isinstance(data, float) and not math.isfinite(data):
        return str(data)
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_finite(v) for v in data]
    return data


def gradebook_csv(results: Sequence[SubmissionResult]) -> str:
    """One row per student: name, status, total, maximum, one column per test, seconds, message."""
    test_names: list[str] = []
    for r in results:
        for t in r.tests:
            if t.name not in test_names:
                test_names.append(t.name)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["student", "status", "score", "max_score", *test_names, "seconds", "isolation", "message"])
    for r in sorted(results, key=lambda r: r.student):
        scores = {t.name: t.score for t in r.tests}
        writer.writerow(
            [
                r.student,
                r.status,
                _points(r.score),
                _points(r.max_score),
                *(_points(scores[n]) if n in scores else "" for n in test_names),
                f"{r.seconds:.2f}",
                r.isolation,
                r.message.splitlines()[0][:200] if r.message else "",
            ]
        )
    return buf.getvalue()


def write_gradebook(results: Sequence[SubmissionResult], path: Path) -> Path:
    """Write the gradebook to ``path``; if something that is not a file sits there, beside it. Returns where."""
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        path = path.with_name(f"{path.stem}-{os.getpid()}{path.suffix}")
    _atomic_write(path, gradebook_csv(results))
    return path
