"""Write what the grader found: a text report and a JSON result per student, Gradescope's
``results.json``, and a CSV gradebook for a batch.

Files are written atomically (to a temporary name, then renamed), so a reader never
sees half a file. A batch writes every student's files once all children have
ended, so nothing a submission does while it runs can overwrite another result.

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

from .grader import SubmissionResult, safe_name

__all__ = [
    "gradebook_csv",
    "gradescope_results",
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
        "extra_data": {"status": result.status, "seed": result.seed, "grader_version": result.grader_version},
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
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)  # replaces a symlink itself, never the file it points to
        os.chmod(path, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    _atomic_write(Path(path), json.dumps(data, indent=2, allow_nan=False, default=str) + "\n")


def write_student_files(result: SubmissionResult, outdir: Path, *, gradescope: bool = False) -> Path:
    """``outdir/<student>/report.txt``, ``result.json`` and (``gradescope``) ``results.json``."""
    folder = Path(outdir) / safe_name(result.student)
    _atomic_write(folder / "report.txt", text_report(result))
    write_json(folder / "result.json", _finite(result.to_dict()))
    if gradescope:
        write_json(folder / "results.json", gradescope_results(result))
    return folder


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
    writer.writerow(["student", "status", "score", "max_score", *test_names, "seconds", "message"])
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
                r.message.splitlines()[0][:200] if r.message else "",
            ]
        )
    return buf.getvalue()


def write_gradebook(results: Sequence[SubmissionResult], path: Path) -> None:
    _atomic_write(Path(path), gradebook_csv(results))
