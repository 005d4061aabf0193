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
            "Student code runs isolated by bubblewrap when it is installed (else in a process sandbox, which "
            "is said in every report), with time and memory limits. Writes per student a report.txt and "
            "result.json (and results.json with --gradescope) under OUTDIR/students/<student>/ as soon as that "
            "student is graded, and for a folder OUTDIR/gradebook.csv at the end."
        ),
    )
    g.add_argument("assignment", help="hw1, hw2, hw3 or hw4")
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
        "--load-time-limit",
        type=float,
        default=20.0,
        help="seconds for reading and loading one submission in total (default 20)",
    )
    g.add_argument(
        "--isolation",
        choices=("submission", "test"),
        default="submission",
        help="one sandbox process per submission (default) or a fresh one per test",
    )
    g.add_argument(
        "--sandbox",
        choices=("auto", "bubblewrap", "process"),
        default="auto",
        help="isolation engine: bubblewrap if it works (default), or force one",
    )
    g.add_argument(
        "--isolation-required",
        action="store_true",
        help="fail instead of falling back to the process sandbox when bubblewrap cannot run",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted batch in OUTDIR: same seed, students already graded are not graded again",
    )
    g.add_argument("--quiet", action="store_true", help="print only the summary")
    g.set_defaults(func=_grade)

    a = subparsers.add_parser(
        "autograder",
        help="build a Gradescope autograder zip for an assignment",
        description="Build a Gradescope autograder bundle (setup.sh, run_autograder, this package) for an assignment.",
    )
    a.add_argument("assignment", help="hw1, hw2, hw3 or hw4")
    a.add_argument("-o", "--output", default=None, help="the zip to write (default: ASSIGNMENT-autograder.zip)")
    a.set_defaults(func=_autograder)


def _fail(message: str) -> int:
    print(f"backprop-course: error: {message}", file=sys.stderr)
    return 2


def _grade(args: argparse.Namespace) -> int:
    import json
    import threading
    import warnings

    from .grader import (
        GradingOptions,
        SubmissionResult,
        find_submissions,
        grade_batch,
        grade_submission,
        pick_submission_file,
    )
    from .reports import (
        gradescope_results,
        load_result,
        text_report,
        write_gradebook,
        write_json,
        write_student_files,
    )
    from .sandbox import SandboxOptions, SandboxUnavailable, resolve_isolation
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
    # The path given on the command line is the staff's own: a link there is followed (links *inside* a
    # folder of submissions never are).
    path = Path(args.path).resolve() if Path(args.path).is_symlink() else Path(args.path)
    single = path.is_file() or args.single or args.gradescope_output is not None
    if not path.exists() and not single:
        return _fail(f"no such file or folder: {path}")
    outdir = Path(args.outdir) if args.outdir else Path(f"grades-{spec.name}")
    if not args.load_time_limit > 0:
        return _fail(f"--load-time-limit must be a positive number of seconds, got {args.load_time_limit}")
    sandbox = SandboxOptions(
        isolation=args.isolation,
        engine=args.sandbox,
        required=args.isolation_required,
        load_time_limit=args.load_time_limit,
        statement_time_limit=min(5.0, args.load_time_limit),
    )
    try:
        isolation = resolve_isolation(sandbox)
    except SandboxUnavailable as err:
        return _fail(str(err))
    print(isolation.summary(), file=sys.stderr if args.quiet else sys.stdout, flush=True)
    seed = args.seed
    batch_file = outdir / "batch.json"
    if args.resume and not single:
        try:
            state = json.loads(batch_file.read_text())
            if state.get("assignment") != spec.name:
                return _fail(f"{outdir} holds a batch of {state.get('assignment')}, not {spec.name}")
        except (OSError, ValueError):
            return _fail(f"--resume: {batch_file} is missing or unreadable; grade without --resume to start a batch")
        if seed is not None and seed != state.get("seed"):
            return _fail(f"--resume: the batch in {outdir} uses seed {state.get('seed')}, not {seed}")
        seed = int(state["seed"])
    options = GradingOptions(
        seed=seed,
        jobs=args.jobs,
        time_limit=args.time_limit,
        memory_mb=args.memory_mb,
        sandbox=sandbox,
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

    if not path.is_dir():
        return _fail(f"{path} is not a folder of submissions")
    entries = find_submissions(path, spec, exclude=[outdir])
    if not entries:
        return _fail(f"no submissions (.ipynb or .py files, or folders) in {path}")
    import secrets

    if options.seed is None:
        from dataclasses import replace

        options = replace(options, seed=secrets.randbelow(2**31))
    outdir.mkdir(parents=True, exist_ok=True)
    write_json(batch_file, {"assignment": spec.name, "seed": options.seed, "isolation": isolation.label})

    finished: dict[str, SubmissionResult] = {}
    if args.resume:
        from .grader import read_submission_file

        for entry in entries:
            old = load_result(outdir / "students" / entry.folder / "result.json")
            if old is None or old.student != entry.student or old.seed != options.seed:
                continue
            try:
                digest = "" if entry.path is None else _sha256(read_submission_file(entry.path))
            except SubmissionUnreadable:
                digest = ""
            if old.sha256 == digest:
                finished[entry.student] = old
    todo = [e for e in entries if e.student not in finished]
    total = len(entries)
    done = len(finished)
    lock = threading.Lock()
    failed_writes: list[str] = []
    if finished and not args.quiet:
        print(f"resuming: {len(finished)} of {total} students already graded, {len(todo)} to go")

    def progress(r: SubmissionResult) -> None:
        nonlocal done
        try:  # written now: an interrupted batch keeps every grade already known
            write_student_files(r, outdir, gradescope=args.gradescope)
        except (OSError, ValueError) as err:  # one unwritable folder must not cost the others their results
            with lock:
                failed_writes.append(r.student)
            print(f"backprop-course: could not write the results of {r.student}: {err}", file=sys.stderr)
        with lock:
            done += 1
            if not args.quiet:
                print(
                    f"[{done:>{len(str(total))}}/{total}] {r.student}: {r.score:g} / {r.max_score:g}  {r.status}",
                    flush=True,
                )

    try:
        new = {r.student: r for r in grade_batch(spec, todo, options=options, progress=progress)}
    except SandboxUnavailable as err:
        return _fail(str(err))
    # Every student of the input, from this run or (resumed) from the result.json of an earlier one.
    results = [new.get(entry.student) or finished[entry.student] for entry in entries]
    gradebook = write_gradebook(results, outdir / "gradebook.csv")
    counts = Counter(r.status for r in results)
    mean = sum(r.score for r in results) / len(results)
    print(
        f"graded {len(results)} submissions of {spec.name}: "
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        + f"; mean score {mean:.2f} / {spec.max_score:g}"
    )
    print(f"wrote {gradebook} and one folder per student in {outdir / 'students'}/")
    return 1 if failed_writes else 0


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


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
