"""Grader isolation (issue 9): every attack class graded in ONE batch beside honest students.

The batch holds honest students (the hw1 solution's code as a .py file, in a folder
beside a file named ``gradebook.csv``, as a notebook named ``gradebook.csv.ipynb``,
under two names sharing their first 130 characters), an untouched exercise, and
one submission or file per attack class:

* harm to classmates and the grader (``attack_classmates.py``): SIGSTOP/SIGKILL of
  other children and of the grader, overwriting classmates' files, FIFOs in work
  folders, fake answers written into every pipe, a ``setsid`` daemon editing the
  gradebook later, symlinks planted where the grader once wrote, writes into the
  library, the virtual environment, the solutions and the output folder;
* harm to the batch: a loader kept alive by fake "statement" messages, 30 slow
  statements, 20 MB of ``def f(): pass``, 12k broken lines, a FIFO named
  ``x.ipynb``, ``x.py`` linked to ``/dev/zero``, a student folder linked to ``/``;
* unearned marks (``attack_reference.py``): the library's reference rules and
  ``numerical_derivative``; a submission linked to the solution;
* reading what it must not (``attack_secrets.py``): the solutions, classmates,
  ``/proc/*/cmdline`` and ``environ`` (the seed, the grader's environment), a
  root-only file, directly and through a symlinked submission.

For each: the attacker gains nothing, honest students keep exactly their scores,
the gradebook lists everyone, nothing outside the sandbox is read or changed, and
the batch finishes. These need bubblewrap (CI installs it); the process fallback is
tested at the end of this file.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backprop_course.cli import main
from backprop_course.grading import grader
from backprop_course.grading.sandbox import ENGINE_ENV, SandboxOptions, resolve_isolation

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = Path(__file__).parent / "grading_submissions"
PACKAGE = ROOT / "backprop_course"
SEED = "424242"
TOKEN = "env-token-5f1c9a"
SECRET_TEXT = "TOP-SECRET-7731"
LONG = "x" * 130

#: set in CI so that a missing bubblewrap fails these tests instead of skipping them
REQUIRE_ENV = "BACKPROP_COURSE_REQUIRE_BWRAP"
needs_bubblewrap = pytest.mark.skipif(
    not os.environ.get(REQUIRE_ENV)
    and (
        resolve_isolation(SandboxOptions(engine="auto")).engine != "bubblewrap"
        or os.environ.get(ENGINE_ENV) == "process"
    ),
    reason="bubblewrap is not installed or not allowed here (CI installs it: apt-get install bubblewrap)",
)


def _site_packages() -> str:
    import numpy

    return str(Path(numpy.__file__).resolve().parents[1])


def _snapshot(folder: Path) -> dict[str, str]:
    """Hash of every regular file under ``folder``, not following symlinks."""
    out = {}
    for dirpath, _, files in os.walk(folder):
        for name in files:
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _grade(argv: list[str]) -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        code = main(argv)
    return code, buf.getvalue()


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text()))}


def _everything_written(out: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.fixture(scope="module")
def attack_batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("isolation")
    batch, out, solutions = root / "class", root / "grades", root / "solutions"
    for d in (batch, solutions):
        d.mkdir()
    correct = (SUBMISSIONS / "hw1_correct.py").read_text()
    secret = root / "secret.txt"
    secret.write_text(SECRET_TEXT)
    secret.chmod(0o600)
    (solutions / "hw1_local_gradients.py").write_text(correct)

    # Honest students, and one who did nothing.
    (batch / "alice.py").write_text(correct)
    (batch / "carol").mkdir()
    (batch / "carol" / "hw1_local_gradients.py").write_text(correct)
    (batch / "carol" / "gradebook.csv").write_text("student,score\ncarol,1000\n")
    shutil.copy(ROOT / "solutions" / "hw1_local_gradients.ipynb", batch / "gradebook.csv.ipynb")
    (batch / f"{LONG}1.py").write_text(correct)
    (batch / f"{LONG}2.py").write_text(correct)
    shutil.copy(ROOT / "exercises" / "hw1_local_gradients.ipynb", batch / "bob.ipynb")

    # Hostile code.
    paths = {
        "@BATCH@": str(batch),
        "@OUT@": str(out),
        "@SECRET@": str(secret),
        "@SOLUTIONS@": str(solutions),
        "@PKG@": str(PACKAGE),
        "@SITE@": _site_packages(),
    }
    for src in SUBMISSIONS.glob("attack_*.py"):
        text = src.read_text()
        for key, value in paths.items():
            text = text.replace(key, value)
        (batch / src.name).write_text(text)
    # Hostile files.
    os.mkfifo(batch / "fifo.ipynb")
    os.symlink("/dev/zero", batch / "zero.py")
    os.symlink("/", batch / "rootdir")
    os.symlink(solutions / "hw1_local_gradients.py", batch / "solution_link.py")
    os.symlink(secret, batch / "shadow.py")
    (batch / "huge.py").write_text("def f(): pass\n" * (20 * 2**20 // 14))
    (batch / "broken.py").write_text("def f(:\n    return (\n" * 6000)

    before = {
        "batch": _snapshot(batch),
        "solutions": _snapshot(solutions),
        "secret": (secret.read_text(), secret.stat().st_mtime_ns),
        "package": sorted(p.name for p in PACKAGE.iterdir()),
    }
    # The grader runs as its own process, the seed on its command line and a token in its environment:
    # both must stay out of reach of every child.
    env = {**os.environ, "BPC_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "backprop_course",
            "grade",
            "hw1",
            str(batch),
            "-o",
            str(out),
            "--jobs",
            "2",
            "--seed",
            SEED,
            "--time-limit",
            "1",
            "--memory-mb",
            "512",
            "--load-time-limit",
            "4",
            "--isolation-required",
            "--quiet",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    code, printed = done.returncode, done.stdout + done.stderr
    gradebook_text = (out / "gradebook.csv").read_text()
    time.sleep(1.5)  # long enough for the daemon the attacker tried to leave behind
    return {
        "root": root,
        "batch": batch,
        "out": out,
        "solutions": solutions,
        "secret": secret,
        "code": code,
        "printed": printed,
        "before": before,
        "gradebook_text": gradebook_text,
        "rows": _gradebook(out),
    }


HONEST = ["alice", "carol", "gradebook.csv", f"{LONG}1", f"{LONG}2"]


@needs_bubblewrap
def test_the_batch_finishes_and_says_it_was_isolated(attack_batch):
    assert attack_batch["code"] == 0, attack_batch["printed"]
    assert "isolation: bubblewrap" in attack_batch["printed"]
    assert {r["isolation"] for r in attack_batch["rows"].values()} == {"bubblewrap"}


@needs_bubblewrap
def test_honest_students_keep_exactly_their_scores(attack_batch):
    rows = attack_batch["rows"]
    for student in HONEST:
        assert rows[student]["score"] == "9", (student, rows[student])
        assert rows[student]["status"] == "graded"
    assert rows["bob"]["score"] == "0" and rows["bob"]["status"] == "graded"  # the untouched exercise
    bob = json.loads((attack_batch["out"] / "students" / "bob" / "result.json").read_text())
    assert all("NotImplementedError" in t["output"] for t in bob["tests"])


@needs_bubblewrap
def test_the_gradebook_lists_everyone_with_a_status(attack_batch):
    rows = attack_batch["rows"]
    expected = {
        *HONEST,
        "bob",
        "attack_classmates",
        "attack_reference",
        "attack_secrets",
        "attack_loader_flood",
        "attack_slow_statements",
        "fifo",
        "zero",
        "rootdir",
        "solution_link",
        "shadow",
        "huge",
        "broken",
    }
    assert set(rows) == expected
    assert all(r["status"] in grader.STATUSES for r in rows.values())
    # The gradebook is the grader's own, untouched by the daemon the attacker tried to leave behind.
    assert (attack_batch["out"] / "gradebook.csv").read_text() == attack_batch["gradebook_text"]
    assert attack_batch["gradebook_text"].startswith("student,status,score,max_score,")
    # Every student has a folder under students/, none of them the grader's own files.
    folders = {p.name for p in (attack_batch["out"] / "students").iterdir()}
    assert len(folders) == len(expected)
    assert "gradebook.csv" in folders and (attack_batch["out"] / "students" / "gradebook.csv" / "result.json").is_file()
    assert {p.name for p in attack_batch["out"].iterdir()} == {"students", "gradebook.csv", "batch.json"}


@needs_bubblewrap
def test_harming_classmates_and_the_grader_gains_nothing(attack_batch):
    rows = attack_batch["rows"]
    assert attack_batch["code"] == 0  # the grader was neither killed nor stopped
    assert float(rows["attack_classmates"]["score"]) == 0.0
    # Its victims kept full marks: none was stopped, killed, overwritten or fed fake answers.
    assert all(rows[student]["score"] == "9" for student in HONEST)
    out = attack_batch["out"]
    assert (out / "gradebook.csv").is_file() and (out / "batch.json").is_file()  # not blocked by folders
    result = json.loads((out / "students" / "attack_classmates" / "result.json").read_text())
    assert result["isolation"] == "bubblewrap" and result["status"] == "graded"


@needs_bubblewrap
def test_the_library_reference_answers_are_not_available_while_grading(attack_batch):
    result = json.loads((attack_batch["out"] / "students" / "attack_reference" / "result.json").read_text())
    assert result["score"] == 0
    by_name = {t["name"]: t for t in result["tests"]}
    for name in ("add_backward", "mul_backward", "div_backward", "exp_backward", "log_backward", "tanh_backward"):
        assert "not available while grading: write your own" in by_name[name]["output"], by_name[name]["output"]
    assert "backprop_course.engine.BACKWARD_RULES" in by_name["add_backward"]["output"]
    assert "backprop_course.gradcheck.numerical_derivative" in by_name["exp_backward"]["output"]


@needs_bubblewrap
def test_reading_solutions_classmates_seed_and_environment_gains_nothing(attack_batch):
    result = json.loads((attack_batch["out"] / "students" / "attack_secrets" / "result.json").read_text())
    assert result["score"] == 0
    add = next(t for t in result["tests"] if t["name"] == "add_backward")
    assert "STOLEN" in add["output"]  # it ran and printed what it found: nothing of ours
    written = _everything_written(attack_batch["out"])
    assert SECRET_TEXT not in written and TOKEN not in written
    for t in result["tests"]:
        assert SEED not in t["output"], t["output"]
        assert str(attack_batch["batch"]) not in t["output"] and str(attack_batch["solutions"]) not in t["output"]


@needs_bubblewrap
def test_loader_attacks_end_within_the_load_budget(attack_batch):
    rows = attack_batch["rows"]
    for student in ("attack_loader_flood", "attack_slow_statements"):
        assert rows[student]["score"] == "0"
        assert rows[student]["status"] == "timed out", rows[student]
        assert "4 s allowed in total" in rows[student]["message"]


@needs_bubblewrap
def test_hostile_files_are_not_followed_or_trusted(attack_batch):
    rows = attack_batch["rows"]
    expect = {
        "fifo": "is a FIFO",
        "zero": "is a symbolic link",
        "rootdir": "is a symbolic link",
        "solution_link": "is a symbolic link",
        "shadow": "is a symbolic link",
        "huge": "MB of code",
        "broken": "",
    }
    for student, fragment in expect.items():
        row = rows[student]
        assert row["score"] == "0", (student, row)
        if fragment:
            assert row["status"] == "could not be read" and fragment in row["message"], (student, row)
    assert rows["broken"]["status"] in ("graded", "could not be read", "timed out")


@needs_bubblewrap
def test_nothing_outside_the_sandbox_is_read_or_changed(attack_batch):
    before = attack_batch["before"]
    assert _snapshot(attack_batch["batch"]) == before["batch"]
    assert _snapshot(attack_batch["solutions"]) == before["solutions"]
    secret = attack_batch["secret"]
    assert (secret.read_text(), secret.stat().st_mtime_ns) == before["secret"]
    assert sorted(p.name for p in PACKAGE.iterdir()) == before["package"]
    for folder in (PACKAGE, Path(_site_packages()), attack_batch["solutions"], attack_batch["out"]):
        assert not (folder / "pwned.txt").exists()
    assert not list(attack_batch["batch"].rglob("*.txt")) or all(
        p.name == "gradebook.csv" for p in attack_batch["batch"].rglob("*") if p.suffix == ".txt"
    )


@needs_bubblewrap
@pytest.mark.parametrize(
    ("assignment", "source", "fragment"),
    [
        (
            "hw2",
            "from backprop_course.engine import topological_order\n\n"
            "def topological_sort(root):\n    return topological_order(root)\n",
            "backprop_course.engine.topological_order is not available while grading",
        ),
        (
            "hw3",
            "from backprop_course.layers import linear_backward as lb\n\n"
            "def linear_backward(dout, cache):\n    return lb(dout, cache)\n",
            "backprop_course.layers.linear_backward is not available while grading",
        ),
    ],
)
def test_reference_answers_of_hw2_and_hw3_are_unavailable(tmp_path, assignment, source, fragment):
    path = tmp_path / "copy.py"
    path.write_text(source)
    result = grader.grade_submission(assignment, path, options=grader.GradingOptions(seed=3))
    graded = result.tests[0]
    assert graded.score == 0.0 and fragment in graded.output, graded.output


def test_reference_answer_names_exist_in_the_library():
    """Every name an assignment makes unavailable is a real object (a typo would block nothing)."""
    import importlib

    from backprop_course.grading.specs import ASSIGNMENT_NAMES, get_assignment

    for name in ASSIGNMENT_NAMES:
        names = get_assignment(name).unavailable_while_grading
        assert names, name
        for dotted in names:
            parts = dotted.split(".")
            for i in range(len(parts) - 1, 0, -1):
                try:
                    obj = importlib.import_module(".".join(parts[:i]))
                except ImportError:
                    continue
                for attr in parts[i:]:
                    obj = getattr(obj, attr)
                break


# ------------------------------------------------------------------ resume


def test_an_interrupted_batch_keeps_its_grades_and_resume_finishes_it(tmp_path, monkeypatch):
    batch, out = tmp_path / "class", tmp_path / "grades"
    batch.mkdir()
    correct = (SUBMISSIONS / "hw1_correct.py").read_text()
    for name in ("ann", "ben", "cat", "dan"):
        (batch / f"{name}.py").write_text(correct)
    real = grader.grade_submission
    calls: list[str] = []

    def interrupted(*args, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt  # the batch is stopped after two students
        calls.append(kwargs["student"])
        return real(*args, **kwargs)

    monkeypatch.setattr(grader, "grade_submission", interrupted)
    argv = ["grade", "hw1", str(batch), "-o", str(out), "--jobs", "1", "--time-limit", "2", "--quiet"]
    with pytest.raises(KeyboardInterrupt):
        _grade(argv)
    assert calls == ["ann", "ben"]
    done = {s: (out / "students" / s / "result.json").stat() for s in calls}
    assert not (out / "gradebook.csv").exists()
    seed = json.loads((out / "batch.json").read_text())["seed"]

    calls.clear()
    monkeypatch.setattr(grader, "grade_submission", lambda *a, **k: calls.append(k["student"]) or real(*a, **k))
    code, printed = _grade([*argv, "--resume"])
    assert code == 0, printed
    assert calls == ["cat", "dan"]  # the finished students were not graded again
    for student, st in done.items():
        now = (out / "students" / student / "result.json").stat()
        assert (now.st_ino, now.st_mtime_ns) == (st.st_ino, st.st_mtime_ns)
    rows = _gradebook(out)
    assert sorted(rows) == ["ann", "ben", "cat", "dan"] and {r["score"] for r in rows.values()} == {"9"}
    results = [json.loads((out / "students" / s / "result.json").read_text()) for s in rows]
    assert {r["seed"] for r in results} == {seed}


def test_resume_regrades_a_submission_that_changed(tmp_path):
    batch, out = tmp_path / "class", tmp_path / "grades"
    batch.mkdir()
    (batch / "ann.py").write_text("def add_backward(a, b, out, dout):\n    return 0.0, 0.0\n")
    argv = ["grade", "hw1", str(batch), "-o", str(out), "--time-limit", "2", "--quiet"]
    assert _grade(argv)[0] == 0
    assert _gradebook(out)["ann"]["score"] == "0"
    (batch / "ann.py").write_text((SUBMISSIONS / "hw1_correct.py").read_text())
    assert _grade([*argv, "--resume"])[0] == 0
    assert _gradebook(out)["ann"]["score"] == "9"


def test_resume_without_a_batch_says_what_to_do(tmp_path):
    (tmp_path / "ann.py").write_text("x = 1\n")
    code, printed = _grade(["grade", "hw1", str(tmp_path), "-o", str(tmp_path / "none"), "--resume"])
    assert code == 2 and "grade without --resume to start a batch" in printed


# ------------------------------------------------------------ the fallback


def test_the_process_fallback_is_said_everywhere_and_still_grades(tmp_path, monkeypatch):
    monkeypatch.setenv(ENGINE_ENV, "process")
    batch, out = tmp_path / "class", tmp_path / "grades"
    batch.mkdir()
    correct = (SUBMISSIONS / "hw1_correct.py").read_text()
    (batch / "alice.py").write_text(correct)
    shutil.copy(ROOT / "exercises" / "hw1_local_gradients.ipynb", batch / "bob.ipynb")
    shutil.copy(SUBMISSIONS / "hw1_os_exit.py", batch / "dave.py")
    shutil.copy(SUBMISSIONS / "hw1_infinite_loop.py", batch / "erin.py")
    os.mkfifo(batch / "fifo.ipynb")
    os.symlink(batch / "alice.py", batch / "link.py")
    code, printed = _grade(["grade", "hw1", str(batch), "-o", str(out), "--jobs", "2", "--time-limit", "1"])
    assert code == 0, printed
    line = next(line for line in printed.splitlines() if line.startswith("isolation:"))
    assert "process only" in line and "apt-get install bubblewrap" in line and "can read any file" in line
    rows = _gradebook(out)
    assert {s: rows[s]["score"] for s in rows} == {
        "alice": "9",
        "bob": "0",
        "dave": "8",
        "erin": "8",
        "fifo": "0",
        "link": "0",
    }
    assert {r["isolation"] for r in rows.values()} == {"process"}
    assert "sandbox: process" in (out / "students" / "alice" / "report.txt").read_text()
    assert json.loads((out / "students" / "alice" / "result.json").read_text())["isolation"] == "process"


def test_isolation_required_refuses_the_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv(ENGINE_ENV, "process")
    (tmp_path / "alice.py").write_text("x = 1\n")
    code, printed = _grade(["grade", "hw1", str(tmp_path), "-o", str(tmp_path / "o"), "--isolation-required"])
    assert code == 2
    assert "bubblewrap isolation is required but not available" in printed and "apt-get install bubblewrap" in printed
    assert not (tmp_path / "o").exists()


@needs_bubblewrap
def test_a_whole_class_can_be_made_unavailable_and_the_rest_of_the_library_works(tmp_path):
    """The mechanism hw4 uses: whole classes (Value, MLP) blocked wherever the library exports them."""
    import dataclasses

    from backprop_course.grading.specs import get_assignment

    spec = dataclasses.replace(
        get_assignment("hw1"),
        unavailable_while_grading=("backprop_course.engine.Value", "backprop_course.nn.MLP"),
    )
    source = (SUBMISSIONS / "hw1_correct.py").read_text()
    source = source.replace(
        "def add_backward(a, b, out, dout):\n    return dout, dout",
        "def add_backward(a, b, out, dout):\n    from backprop_course.engine import Value\n"
        "    return Value(a).data * 0 + dout, dout",
    )
    source = source.replace(
        "def mul_backward(a, b, out, dout):\n    return b * dout, a * dout",
        "def mul_backward(a, b, out, dout):\n    import backprop_course\n"
        "    backprop_course.MLP(2, [1])\n    return b * dout, a * dout",
    )
    source = source.replace(
        "def div_backward(a, b, out, dout):\n    return dout / b, -a / b**2 * dout",
        "def div_backward(a, b, out, dout):\n    from backprop_course.layers import softmax\n"
        "    import numpy as np\n    one = float(softmax(np.zeros((1, 1)))[0, 0])\n"
        "    return one * dout / b, -a / b**2 * dout",
    )
    path = tmp_path / "uses_library.py"
    path.write_text(source)
    result = grader.grade_submission(spec, path, options=grader.GradingOptions(seed=5))
    by_name = {t.name: t for t in result.tests}
    assert "backprop_course.engine.Value is not available while grading" in by_name["add_backward"].output
    assert "backprop_course.nn.MLP is not available while grading" in by_name["mul_backward"].output
    assert by_name["div_backward"].score == 1.0, by_name["div_backward"].output  # the rest of the library works
    assert result.score == 7.0


@needs_bubblewrap
def test_no_host_path_or_stray_descriptor_reaches_the_child(tmp_path):
    """The sandbox's process 1 is bwrap: its command line must not show the bind mounts (host paths)."""
    path = tmp_path / "look.py"
    path.write_text(
        "import os\n\n"
        "def add_backward(a, b, out, dout):\n"
        "    seen = open('/proc/1/cmdline', 'rb').read().decode() + open('/proc/self/cmdline', 'rb').read().decode()\n"
        "    print(seen.replace(chr(0), ' '))\n"
        "    print('descriptors:', len(os.listdir('/proc/self/fd')))\n"
        "    return 0.0, 0.0\n"
    )
    result = grader.grade_submission("hw1", path, options=grader.GradingOptions(seed=1))
    add = result.tests[0]
    assert "bwrap --args" in add.output  # it did read them
    # The interpreter runs by its own path, and the child sees the environment it lives in (read
    # only); with the README's .venv inside the checkout that one path names the checkout. Nothing
    # else of the grader's paths may show: not the library's, not the checkout's.
    shown = add.output.replace(sys.executable, "<python>")
    assert str(PACKAGE) not in shown and str(ROOT) not in shown, shown
    # stdin, stdout and stderr (the output file), the result pipe, the submission, and listdir's own
    assert "descriptors: 6" in add.output


def test_a_submission_has_a_total_time_budget_for_all_its_tests(tmp_path):
    """Each call just under its test's limit cannot stretch a submission's grading beyond its budget."""
    slow = "import time\n\n" + "\n\n".join(
        f"def {name}(*args):\n    time.sleep(0.9)\n    return 0.0"
        for name in ("add_backward", "mul_backward", "div_backward", "pow_backward", "exp_backward")
    )
    path = tmp_path / "slow.py"
    path.write_text(slow)
    options = grader.GradingOptions(
        seed=1, time_limit=5.0, sandbox=SandboxOptions(wall_time_limit=4.0, load_time_limit=2.0, grace=0.5)
    )
    result = grader.grade_submission("hw1", path, options=options)
    statuses = [t.status for t in result.tests]
    assert "not run" in statuses and statuses[-1] == "not run"
    assert result.status == "timed out" and "total time budget" in result.message
    assert all(t.score == 0 for t in result.tests)
