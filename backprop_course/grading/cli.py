"""The ``grade`` and ``autograder`` subcommands of ``backprop-course``.

Examples::

    backprop-course grade hw1 alice.ipynb                 # one student, report on screen
    backprop-course grade hw2 submissions/ --jobs 4 -o graded-hw2 --gradescope
    backprop-course autograder hw3 -o hw3-autograder.zip   # upload this to Gradescope
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

__all__ = ["add_subcommand"]


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    g = subparsers.add_parser(
        "grade",
        help="grade homework submissions (.ipynb or .py), one file or a folder",
        description=(
            "Grade one submission or a folder of them (each .ipynb/.py file, or each subfolder, is one student). "
            "Student code runs in separate processes with time and memory limits. Writes per student a "
            "report.txt and result.json (and results.json with --gradescope) under OUTDIR/<student>/, and for a "
            "folder OUTDIR/gradebook.csv."
        ),
    )
    g.add_argument("assignment", help="hw1, hw2 or hw3")
    g.add_argument("path", help="a submission file, or a folder of submissions")
    g.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: the number of CPUs)")
    g.add_argument("--seed", type=int, default=None, help="grading seed (default: a fresh one, shown in the reports)")
    g.add_argument("-o", "--outdir", default=None, help="where to write results (default: ./grades-ASSIGNMENT)")
    g.add_argument("--gradescope", action="store_true", help="also write Gradescope's results.json per student")
    g.add_argument(
        "--single", action="store_true", help="PATH is a folder holding ONE student's upload (as on Gradescope)"
    )
    g.add_argument(
        "--gradescope-output", metavar="FILE", help="write the Gradescope results.json of a single submission to FILE"
    )
    g.add_argument("--time-limit", type=float, default=None, help="seconds per test, replacing each test's own limit")
    g.add_argument("--memory-mb", type=int, default=None, help="memory limit per test in MB, replacing each test's own")
    g.add_argument(
        "--isolation",
        choices=("submission", "test"),
        default="submission",
        help="one sandbox process per submission (default) or a fresh one per test",
    )
    g.add_argument("--quiet", action="store_true", help="print only the summary")
    g.set_defaults(func=_grade)

    a = subparsers.add_parser(
        "autograder",
        help="build a Gradescope autograder zip for an assignment",
        description="Build a Gradescope autograder bundle (setup.sh, run_autograder, this package) for an assignment.",
    )
    a.add_argument("assignment", help="hw1, hw2 or hw3")
    a.add_argument("-o", "--output", default=None, help="the zip to write (default: ASSIGNMENT-autograder.zip)")
    a.set_defaults(func=_autograder)


def _fail(message: str) -> int:
    print(f"backprop-course: error: {message}", file=sys.stderr)
    return 2


def _grade(args: argparse.Namespace) -> int:
    import warnings

    from .grader import (
        GradingOptions,
        SubmissionResult,
        find_submissions,
        grade_batch,
        grade_submission,
        pick_submission_file,
    )
    from .reports import gradescope_results, text_report, write_gradebook, write_json, write_student_files
    from .sandbox import SandboxOptions
    from .source import SubmissionUnreadable
    from .specs import get_assignment

    try:
        spec = get_assignment(args.assignment)
    except ValueError as err:
        return _fail(str(err))
    if args.jobs is not None and args.jobs < 1:
        return _fail(f"--jobs must be at least 1, got {args.jobs}")
    if args.time_limit is not None and not args.time_limit > 0:
        return _fail(f"--time-limit must be a positive number of seconds, got {args.time_limit}")
    if args.memory_mb is not None and args.memory_mb < 64:
        return _fail(f"--memory-mb must be at least 64 (Python itself needs that much), got {args.memory_mb}")
    path = Path(args.path)
    single = path.is_file() or args.single or args.gradescope_output is not None
    if not path.exists() and not single:
        return _fail(f"no such file or folder: {path}")
    outdir = Path(args.outdir) if args.outdir else Path(f"grades-{spec.name}")
    options = GradingOptions(
        seed=args.seed,
        jobs=args.jobs,
        time_limit=args.time_limit,
        memory_mb=args.memory_mb,
        sandbox=SandboxOptions(isolation=args.isolation),
    )
    warnings.simplefilter("default", RuntimeWarning)

    if single:
        student, problem, target = None, "", None
        if path.is_dir():
            student = path.resolve().name
            try:
                target = pick_submission_file(path, spec)
            except SubmissionUnreadable as err:
                problem = str(err)
        elif path.exists():
            target = path
        else:
            problem = f"{path} does not exist"
        result = grade_submission(spec, target, student=student, options=options, unreadable=problem)
        folder = write_student_files(result, outdir, gradescope=args.gradescope)
        if args.gradescope_output:
            write_json(Path(args.gradescope_output), gradescope_results(result))
        if not args.quiet:
            print(text_report(result))
        print(f"wrote {folder}/")
        return 0

    entries = find_submissions(path, spec)
    if not entries:
        return _fail(f"no submissions (.ipynb or .py files, or folders) in {path}")
    total = len(entries)
    done = 0

    def progress(r: SubmissionResult) -> None:
        nonlocal done
        done += 1
        if not args.quiet:
            print(
                f"[{done:>{len(str(total))}}/{total}] {r.student}: {r.score:g} / {r.max_score:g}  {r.status}",
                flush=True,
            )

    results = grade_batch(spec, entries, options=options, progress=progress)
    # Written only now, once every child process has ended (see reports.py).
    failed_writes = 0
    for result in results:
        try:
            write_student_files(result, outdir, gradescope=args.gradescope)
        except OSError as err:  # one unwritable folder must not cost the others their results
            failed_writes += 1
            print(f"backprop-course: could not write the results of {result.student}: {err}", file=sys.stderr)
    write_gradebook(results, outdir / "gradebook.csv")
    counts = Counter(r.status for r in results)
    mean = sum(r.score for r in results) / len(results)
    print(
        f"graded {len(results)} submissions of {spec.name}: "
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        + f"; mean score {mean:.2f} / {spec.max_score:g}"
    )
    print(f"wrote {outdir / 'gradebook.csv'} and one folder per student in {outdir}/")
    return 1 if failed_writes else 0


def _autograder(args: argparse.Namespace) -> int:
    from .autograder import build_bundle
    from .specs import get_assignment

    try:
        spec = get_assignment(args.assignment)
    except ValueError as err:
        return _fail(str(err))
    output = Path(args.output) if args.output else Path(f"{spec.name}-autograder.zip")
    build_bundle(spec.name, output)
    print(f"wrote {output}: upload it as the autograder of {spec.title} on Gradescope")
    return 0
