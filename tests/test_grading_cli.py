"""``backprop-course grade`` and ``autograder``: files written, gradebook, Gradescope format, bundle."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from backprop_course.cli import main
from backprop_course.grading import find_submissions, get_assignment
from backprop_course.grading.grader import SubmissionResult, TestResult
from backprop_course.grading.reports import gradebook_csv, gradescope_results, safe_name, text_report

SUBMISSIONS = Path(__file__).parent / "grading_submissions"
FAST = ["--seed", "11", "--time-limit", "2"]


def test_grade_one_file_writes_report_json_and_gradescope(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["grade", "hw1", str(SUBMISSIONS / "hw1_partly_wrong.py"), "-o", str(out), "--gradescope", *FAST])
    assert code == 0
    printed = capsys.readouterr().out
    assert "score: 5.5 / 9" in printed and "[FAIL] tanh_backward" in printed and "you used the input a" in printed
    folder = out / "students" / "hw1_partly_wrong"
    result = json.loads((folder / "result.json").read_text())
    assert result["score"] == 5.5 and result["max_score"] == 9.0 and result["seed"] == 11
    assert result["status"] == "graded" and len(result["tests"]) == 9
    assert (folder / "report.txt").read_text().startswith("hw1: grading report for hw1_partly_wrong")
    gs = json.loads((folder / "results.json").read_text())
    assert gs["score"] == 5.5
    assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(gs["tests"][0])
    assert sum(t["score"] for t in gs["tests"]) == pytest.approx(gs["score"])
    assert [t["status"] for t in gs["tests"]].count("passed") == 5


def test_grade_a_folder_writes_a_gradebook(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(SUBMISSIONS / "hw1_correct.py", folder / "alice.py")
    shutil.copy(SUBMISSIONS / "hw1_infinite_loop.py", folder / "bob.py")
    shutil.copy(SUBMISSIONS / "hw1_kill_self.py", folder / "carol.py")
    (folder / "dave.ipynb").write_text("this is not a notebook")
    (folder / "erin").mkdir()  # a Gradescope-style folder per student
    shutil.copy(SUBMISSIONS / "hw1_messy_notebook.ipynb", folder / "erin" / "hw1_local_gradients.ipynb")
    (folder / "erin" / "helpers.py").write_text("X = 1\n")
    (folder / "frank").mkdir()  # uploaded nothing gradable
    (folder / "frank" / "answers.pdf").write_bytes(b"%PDF")
    out = tmp_path / "graded"
    assert main(["grade", "hw1", str(folder), "-o", str(out), "--jobs", "2", "--quiet", *FAST]) == 0
    summary = capsys.readouterr().out
    assert "graded 6 submissions of hw1" in summary
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    by_student = {r["student"]: r for r in rows}
    assert list(by_student) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    assert list(rows[0])[:4] == ["student", "status", "score", "max_score"]
    assert {"add_backward", "relu_backward", "seconds", "message"} <= set(rows[0])
    # A test that timed out or crashed costs that test only: the submission was graded, the message says which.
    assert [by_student[s]["status"] for s in by_student] == [
        "graded",
        "graded",
        "graded",
        "could not be read",
        "graded",
        "could not be read",
    ]
    assert [by_student[s]["score"] for s in by_student] == ["9", "8", "8", "0", "7", "0"]
    assert by_student["bob"]["exp_backward"] == "0" and by_student["bob"]["log_backward"] == "1"
    assert by_student["bob"]["message"].startswith("Timed out: exp_backward")
    assert by_student["carol"]["message"].startswith("Crashed: add_backward")
    assert "no .ipynb or .py file" in by_student["frank"]["message"]
    for student in by_student:
        folder = out / "students" / student
        assert (folder / "report.txt").exists() and (folder / "result.json").exists()
    assert {p.name for p in out.iterdir()} == {"students", "gradebook.csv", "batch.json"}


def test_single_mode_picks_the_notebook_in_an_upload_folder(tmp_path):
    upload = tmp_path / "submission"
    upload.mkdir()
    shutil.copy(SUBMISSIONS / "hw1_correct.py", upload / "hw1_local_gradients.py")
    (upload / "scratch.py").write_text("def add_backward(a, b, out, dout):\n    return 0.0, 0.0\n")
    results = tmp_path / "results.json"
    argv = ["grade", "hw1", str(upload), "--single", "--gradescope-output", str(results), "-o", str(tmp_path / "o")]
    assert main([*argv, "--quiet", *FAST]) == 0
    assert json.loads(results.read_text())["score"] == 9.0


def test_single_mode_with_an_empty_upload_still_writes_results(tmp_path):
    upload = tmp_path / "submission"
    upload.mkdir()
    results = tmp_path / "results.json"
    argv = ["grade", "hw2", str(upload), "--gradescope-output", str(results), "-o", str(tmp_path / "o"), "--quiet"]
    assert main(argv) == 0
    data = json.loads(results.read_text())
    assert data["score"] == 0 and "could not be read" in data["output"] and "hw2_backward_pass.ipynb" in data["output"]
    assert len(data["tests"]) == 7


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["grade", "hw9", "x.py"], "unknown assignment 'hw9'"),
        (["grade", "hw1", "/no/such/folder"], "no such file or folder"),
        (["grade", "hw1", ".", "--jobs", "0"], "--jobs must be at least 1"),
        (["grade", "hw1", ".", "--time-limit", "-1"], "--time-limit must be a positive number"),
        (["autograder", "hw0"], "unknown assignment 'hw0'"),
    ],
)
def test_bad_arguments_say_what_is_wrong(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_autograder_bundle_runs_like_gradescope(tmp_path):
    bundle = tmp_path / "autograder.zip"
    assert main(["autograder", "hw1", "-o", str(bundle)]) == 0
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in zf.infolist()}
        zf.extractall(tmp_path / "source")
    assert {"setup.sh", "run_autograder", "backprop-course/pyproject.toml"} <= set(names)
    assert "backprop-course/backprop_course/grading/_child.py" in names
    assert not any("__pycache__" in n for n in names)
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    source = tmp_path / "source"
    assert subprocess.run(["bash", "-n", str(source / "setup.sh")]).returncode == 0
    pyproject = (source / "backprop-course" / "pyproject.toml").read_text()
    assert '"numpy' in pyproject and "pytest" not in pyproject

    # A folder laid out like /autograder, graded by the bundle's own copy of the package.
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    fake = (SUBMISSIONS / "hw1_fake_output.py").read_text()
    (root / "submission" / "hw1_local_gradients.py").write_text(
        fake.replace("@RESULTS@", str(root / "results" / "results.json"))
    )
    os.chmod(root / "results", 0o777)  # so that the attack's write succeeds when the child is unprivileged
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "AUTOGRADER_PYTHON": sys.executable,
        "PYTHONPATH": str(source / "backprop-course"),
    }
    done = subprocess.run(
        ["bash", str(source / "run_autograder")], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 8.0  # the fake file (score 1000) was overwritten with the real grade
    mul = next(t for t in results["tests"] if t["name"].startswith("mul_backward"))
    assert mul["score"] == 0.0 and mul["status"] == "failed"
    assert str(source / "backprop-course") in done.stdout + done.stderr or (root / "results" / "feedback").exists()


def test_run_autograder_writes_results_even_when_python_is_missing(tmp_path):
    bundle = tmp_path / "autograder.zip"
    main(["autograder", "hw3", "-o", str(bundle)])
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path / "source")
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": str(tmp_path / "no-python")}
    subprocess.run(["bash", str(tmp_path / "source" / "run_autograder")], env=env, capture_output=True, timeout=60)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "tell the course staff" in results["output"]


def _result(**changes) -> SubmissionResult:
    tests = [
        TestResult("a", "a: first", 1.0, 1.0, "passed", ""),
        TestResult("b", "b: second", 0.5, 2.0, "partial", "1 of 2 checks right.\n- b wrong"),
    ]
    base = dict(
        student="../../etc/x y",
        assignment="hw1",
        submission="x.py",
        seed=3,
        status="graded",
        score=1.5,
        max_score=3.0,
        tests=tests,
        notes=["a note\nsecond line"],
    )
    base.update(changes)
    return SubmissionResult(**base)  # type: ignore[arg-type]


def test_report_formats():
    result = _result()
    text = text_report(result)
    assert "score: 1.5 / 3    status: graded" in text
    assert "[PASS] a" in text and "[PART] b" in text and "       - b wrong" in text
    assert "  - a note\n    second line" in text
    gs = gradescope_results(result)
    assert gs["tests"][1] == {
        "name": "b: second",
        "score": 0.5,
        "max_score": 2.0,
        "status": "failed",
        "output": "1 of 2 checks right.\n- b wrong",
        "visibility": "visible",
    }
    assert gs["tests"][0]["output"] == "All checks right."
    rows = list(csv.reader(io.StringIO(gradebook_csv([result, _result(student="amy", score=3.0)]))))
    assert rows[0] == ["student", "status", "score", "max_score", "a", "b", "seconds", "isolation", "message"]
    assert rows[1][:6] == ["../../etc/x y", "graded", "1.5", "3", "1", "0.5"]
    assert [r[0] for r in rows[1:]] == ["../../etc/x y", "amy"]


def test_students_get_unique_names_and_folders(tmp_path):
    for name in ("alice.py", "alice.ipynb", "a b.py", "a_b.py", "Bob.py", "bob.ipynb", "carl~x.py"):
        (tmp_path / name).write_text("x = 1\n")
    (tmp_path / "alice").mkdir()
    long = "y" * 130
    (tmp_path / f"{long}1.py").write_text("x = 1\n")
    (tmp_path / f"{long}2.py").write_text("x = 1\n")
    entries = find_submissions(tmp_path, get_assignment("hw1"))
    names = [e.student for e in entries]
    # A name is its stem unless two stems clash (ignoring case): then the full file name.
    assert names == [
        *("Bob.py", "a b", "a_b", "alice", "alice.ipynb", "alice.py", "bob.ipynb", "carl~x"),
        *(f"{long}1", f"{long}2"),
    ]
    folders = [e.folder for e in entries]
    assert len({f.lower() for f in folders}) == len(folders)
    assert folders[3:7] == ["alice", "alice.ipynb", "alice.py", "bob.ipynb"]  # safe and unique names are kept
    # Names that are unsafe, or whose safe forms clash, get a hash of the full name after "~".
    assert folders[1].startswith("a_b~") and folders[2].startswith("a_b~") and folders[7].startswith("carl_x~")
    assert all("/" not in f and not f.startswith(".") and len(f) <= 113 for f in folders)


def test_hostile_entries_are_students_that_could_not_be_read(tmp_path):
    os.symlink("/", tmp_path / "rootdir")
    os.symlink("/dev/zero", tmp_path / "zero.py")
    os.mkfifo(tmp_path / "pipe.ipynb")
    (tmp_path / "dora").mkdir()
    (tmp_path / "dora" / "gradebook.csv").write_text("student,score\n")
    (tmp_path / "dora" / "hw1.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("not a submission")
    entries = {e.student: e for e in find_submissions(tmp_path, get_assignment("hw1"))}
    assert sorted(entries) == ["dora", "pipe", "rootdir", "zero"]
    assert entries["dora"].path == tmp_path / "dora" / "hw1.py"  # a gradebook.csv does not hide a student
    assert "symbolic link" in entries["rootdir"].problem and entries["rootdir"].path is None
    assert "symbolic link" in entries["zero"].problem
    assert entries["pipe"].path == tmp_path / "pipe.ipynb"  # reading it says it is a FIFO, without blocking


def test_student_names_become_safe_folder_names():
    assert safe_name("../../etc/x y") == "_.._etc_x_y"
    assert safe_name("..") == "student"
    assert "/" not in safe_name("a/b") and safe_name("alice.smith@uni.edu") == "alice.smith@uni.edu"


def test_setup_sh_honours_the_same_root_override_as_run_autograder(tmp_path):
    """setup.sh with AUTOGRADER_ROOT installs into that folder, never /autograder (apt-get and python3 faked)."""
    bundle = tmp_path / "autograder.zip"
    assert main(["autograder", "hw1", "-o", str(bundle)]) == 0
    root = tmp_path / "ag"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    recorder = f'#!/bin/sh\necho "$(basename "$0") $*" >> {log}\n'
    (bin_dir / "apt-get").write_text(recorder)
    # python3 -m venv DIR makes DIR/bin/python, itself a recorder.
    (bin_dir / "python3").write_text(
        recorder + 'if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin"; '
        'cp "$0" "$3/bin/python"; chmod 700 "$3/bin/python"; fi\n'
    )
    for tool in ("apt-get", "python3"):
        (bin_dir / tool).chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "AUTOGRADER_ROOT": str(root)}
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    calls = log.read_text()
    assert "/autograder" not in calls.replace(str(root), "ROOT")
    assert f"python3 -m venv {root}/venv" in calls
    assert f"python -m pip install {root}/source/backprop-course" in calls
    assert "bubblewrap" in calls  # installed where it can run: the grader falls back where it cannot
    assert (root / "venv" / "bin" / "python").stat().st_mode & 0o005 == 0o005  # made 0700, then chmod a+rX on ROOT


def test_a_file_name_that_is_not_utf8_is_a_student_too(tmp_path):
    batch = tmp_path / "class"
    batch.mkdir()
    shutil.copy(SUBMISSIONS / "hw1_correct.py", os.path.join(os.fsencode(batch), b"caf\xe9.py"))
    shutil.copy(SUBMISSIONS / "hw1_correct.py", batch / "ok.py")
    out = tmp_path / "out"
    assert main(["grade", "hw1", str(batch), "-o", str(out), "--quiet", *FAST]) == 0
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert sorted(r["student"] for r in rows) == ["caf\ufffd", "ok"]
    assert {r["score"] for r in rows} == {"9"}
