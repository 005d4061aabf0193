"""The threat model (DESIGN.md section 4): one hostile or broken submission per attack.

Every hw1 submission in tests/grading_submissions is graded in ONE batch, two at a
time, as a TA would grade a class, with short limits (1 s per test) to keep this
fast. For each attack we assert the exact outcome: the attacked test scores zero
with a message that says what happened, and every other test of that submission,
and every other student of the batch, keeps full marks.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from backprop_course.grading import GradingOptions, SandboxOptions, find_submissions, grade_batch, grade_submission
from backprop_course.grading.sandbox import resolve_isolation
from backprop_course.grading.specs import get_assignment

SUBMISSIONS = Path(__file__).parent / "grading_submissions"
HW1_TESTS = [t.name for t in get_assignment("hw1").tests]

FAST = GradingOptions(
    seed=20240601,
    jobs=2,
    time_limit=1.0,
    memory_mb=512,
    sandbox=SandboxOptions(grace=0.5, statement_time_limit=3.0),
)
#: hw2 and hw3 keep their own time limits (train_xor needs seconds on a busy machine)
DEFAULT_LIMITS = GradingOptions(seed=20240601, sandbox=SandboxOptions(grace=0.5))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """student -> SubmissionResult for the whole hw1 folder, graded as one batch."""
    folder = tmp_path_factory.mktemp("hw1-class")
    fake_target = tmp_path_factory.mktemp("results") / "results.json"
    fake_target.write_text('{"score": 0}')
    fake_target.chmod(0o666)
    pidfile = tmp_path_factory.mktemp("pids") / "forked.txt"
    for path in SUBMISSIONS.glob("hw1_*"):
        text = path.read_text()
        if path.name == "hw1_fake_output.py":
            text = text.replace("@RESULTS@", str(fake_target))
        if path.name == "hw1_fork.py":
            text = text.replace("@PIDFILE@", str(pidfile))
        (folder / path.name).write_text(text)
    (folder / "hw1_broken_json.ipynb").write_text('{"cells": [ {"cell_type": "code", "source": "def add_ba')
    entries = find_submissions(folder, get_assignment("hw1"))
    results = {r.student: r for r in grade_batch("hw1", entries, options=FAST)}
    results["fake target"] = fake_target  # type: ignore[assignment]
    results["pidfile"] = pidfile  # type: ignore[assignment]
    return results


def assert_outcome(result, expected: dict[str, tuple[str, str]]) -> None:
    """Tests in ``expected`` score zero with that status and message; all others full marks."""
    by_name = {t.name: t for t in result.tests}
    assert set(by_name) == set(HW1_TESTS)
    for name, test in by_name.items():
        if name in expected:
            status, fragment = expected[name]
            assert test.score == 0.0, (name, test.output)
            assert test.status == status, (name, test.status, test.output)
            assert fragment in test.output, (name, test.output)
        else:
            assert test.score == test.max_score, (name, test.status, test.output)
    assert result.score == pytest.approx(len(HW1_TESTS) - len(expected))


def test_the_correct_submission_keeps_full_marks_in_a_hostile_batch(batch):
    result = batch["hw1_correct"]
    assert result.status == "graded"
    assert_outcome(result, {})


def test_infinite_loop_that_swallows_the_alarm_is_killed(batch):
    result = batch["hw1_infinite_loop"]
    assert_outcome(result, {"exp_backward": ("timed out", "did not finish within the time limit of 1 s")})
    # One test timed out, the others were graded: the submission as a whole was graded, and says so.
    assert result.status == "graded" and "Timed out: exp_backward" in result.message


def test_slow_code_times_out(batch):
    result = batch["hw1_slow"]
    assert_outcome(result, {"log_backward": ("timed out", "did not finish within the time limit of 1 s")})
    assert result.status == "graded" and "Timed out: log_backward" in result.message


def test_memory_bomb_hits_the_memory_limit(batch):
    result = batch["hw1_memory_bomb"]
    assert_outcome(result, {"tanh_backward": ("crashed", "ran out of memory: the limit is 512 MB")})
    assert result.status == "graded" and "Crashed: tanh_backward" in result.message


def test_sys_exit_is_an_error_of_that_test_only(batch):
    result = batch["hw1_sys_exit"]
    assert_outcome(result, {"sigmoid_backward": ("failed", "called sys.exit()")})
    assert result.status == "graded"


def test_os_exit_ends_only_that_test(batch):
    result = batch["hw1_os_exit"]
    assert_outcome(result, {"relu_backward": ("crashed", "the process exited with status 0")})
    assert result.status == "graded" and "Crashed: relu_backward" in result.message


def test_killing_its_own_process_ends_only_that_test(batch):
    result = batch["hw1_kill_self"]
    assert_outcome(result, {"add_backward": ("crashed", "the process ended with SIGKILL")})
    assert result.status == "graded"


def test_printed_fake_results_and_written_fake_files_change_nothing(batch):
    result = batch["hw1_fake_output"]
    assert_outcome(result, {"mul_backward": ("failed", "da = 0, expected")})
    mul = next(t for t in result.tests if t.name == "mul_backward")
    assert "All tests passed! Score: 9 / 9" in mul.output  # shown to the student as printed output, nothing more
    written = json.loads(batch["fake target"].read_text())["score"]
    isolation = resolve_isolation()
    if isolation.engine == "bubblewrap" or isolation.user == "nobody":
        assert written == 0  # the file is not in its view (bubblewrap), or not writable by 'nobody'
    else:
        assert written == 1000  # the attack did run, and it changed nothing above


def test_processes_forked_by_a_submission_do_not_outlive_it(batch):
    assert_outcome(batch["hw1_fork"], {})
    pidfile = batch["pidfile"]
    pids = [int(p) for p in pidfile.read_text().split()] if pidfile.exists() else []
    for pid in pids:  # none when the child may not fork at all (RLIMIT_NPROC as a non-root user)
        assert _gone(pid), f"process {pid} forked by the submission is still running"


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")  # a zombie waiting for init to reap it is dead


def test_monkeypatching_numpy_math_and_the_checker_in_the_child_changes_nothing(batch):
    assert_outcome(batch["hw1_monkeypatch"], {"div_backward": ("failed", "da = 123, expected")})


def test_lying_return_values_score_zero(batch):
    assert_outcome(
        batch["hw1_lying_values"],
        {
            "mul_backward": ("failed", "returned an object of type AlwaysEqual"),
            "div_backward": ("failed", "da = nan"),
            "exp_backward": ("failed", "da = inf"),
            "log_backward": ("failed", "returned a str"),
            "pow_backward": ("failed", "LyingFloat (a subclass of float)"),
            "sigmoid_backward": ("failed", "returned a tuple of 2 items"),
            "relu_backward": ("failed", "forget `return`"),
        },
    )


def test_exceptions_stubs_and_missing_functions(batch):
    assert_outcome(
        batch["hw1_exceptions"],
        {
            "add_backward": ("failed", "raised ValueError: I give up"),
            "mul_backward": ("failed", "still raises NotImplementedError"),
            "div_backward": ("missing", "`div_backward` is not defined in your submission"),
        },
    )


def test_a_syntax_error_loses_only_that_function(batch):
    result = batch["hw1_syntax_error"]
    assert_outcome(result, {"exp_backward": ("missing", "Its definition has a syntax error")})
    assert any("syntax error" in note and "exp_backward" in note for note in result.notes)


def test_enormous_output_fails_that_test(batch):
    assert_outcome(batch["hw1_enormous_output"], {"log_backward": ("failed", "printed more than the 1 MB allowed")})


def test_code_run_at_definition_time_is_skipped(batch):
    result = batch["hw1_load_time_attack"]
    assert_outcome(
        result,
        {
            "add_backward": ("missing", "ended the grader's process (exit status 3)"),
            "mul_backward": ("missing", "did not finish within the time limit"),
        },
    )


def test_a_messy_notebook_is_graded_on_its_definitions(batch):
    result = batch["hw1_messy_notebook"]
    assert_outcome(
        result,
        {
            "sigmoid_backward": ("missing", "It appears in markdown cell 11: change that cell's type back to Code"),
            "relu_backward": ("missing", "`relu_backward` is not defined"),
        },
    )
    # One line in the report, the list itself in result.json only.
    assert [note for note in result.notes if "not run" in note] == [
        "7 top-level statement(s) were not run (the grader runs only imports, functions, classes and assignments "
        "that call nothing); the list is in result.json"
    ]
    assert any("not run" in d and "plt.plot" in d for d in result.details)


def test_an_unreadable_notebook_gets_a_result_too(batch):
    result = batch["hw1_broken_json"]
    assert result.status == "could not be read"
    assert result.score == 0.0
    assert "JSON is broken" in result.message
    assert all(t.status == "missing" for t in result.tests)
    # Said once, in the message, not repeated under every test.
    assert all("JSON is broken" not in t.output for t in result.tests)


def test_partly_wrong_submission_gets_partial_credit(batch):
    result = batch["hw1_partly_wrong"]
    scores = {t.name: t.score for t in result.tests}
    assert scores == {
        "add_backward": 1.0,
        "mul_backward": 0.0,
        "div_backward": 0.5,
        "pow_backward": 0.0,
        "exp_backward": 1.0,
        "log_backward": 1.0,
        "tanh_backward": 0.0,
        "sigmoid_backward": 1.0,
        "relu_backward": 1.0,
    }


def test_every_submission_in_the_folder_got_a_result(batch):
    names = {p.stem for p in SUBMISSIONS.glob("hw1_*")} | {"hw1_broken_json"}
    assert names <= set(batch)


# --------------------------------------------------------------- hw2 and hw3


def test_hw2_recursive_topological_sort_fails_only_the_deep_tests():
    result = grade_submission("hw2", SUBMISSIONS / "hw2_recursive.py", options=DEFAULT_LIMITS)
    scores = {t.name: (t.score, t.max_score) for t in result.tests}
    deep = {"topological_sort_deep", "backward_deep"}
    for t in result.tests:
        if t.name in deep:
            assert t.score == 0.0 and "RecursionError" in t.output and "make it iterative" in t.output
        elif t.name != "train_xor":
            assert scores[t.name][0] == scores[t.name][1], (t.name, t.output)


def test_hw2_common_mistakes_are_explained():
    result = grade_submission("hw2", SUBMISSIONS / "hw2_partly_wrong.py", options=DEFAULT_LIMITS)
    by_name = {t.name: t for t in result.tests}
    assert by_name["topological_sort_shared"].score == 0.0
    assert "appears more than once" in by_name["topological_sort_shared"].output
    assert by_name["topological_sort_deep"].score == 1.0  # a chain has no shared node
    assert by_name["backward"].score < by_name["backward"].max_score
    assert "reverse* topological order" in by_name["backward"].output
    xor = by_name["train_xor"]
    # The library's own backward is the reference answer of hw2: while grading it is not available.
    assert xor.score == 0.0
    assert "Value.backward is not available while grading: write your own" in xor.output
    assert "hw2_partly_wrong.py, line 39, in train_xor" in xor.output


def test_hw3_lying_arrays_and_wrong_shapes():
    result = grade_submission("hw3", SUBMISSIONS / "hw3_lying_arrays.py", options=DEFAULT_LIMITS)
    by_name = {t.name: t for t in result.tests}
    assert by_name["linear_backward"].score == pytest.approx(2.0)  # dx lies, dW and db are right
    assert "LyingArray (a subclass of numpy.ndarray)" in by_name["linear_backward"].output
    assert by_name["relu_backward"].score == 0.0 and "has shape" in by_name["relu_backward"].output
    assert by_name["tanh_backward"].score == 0.0 and "contains NaN" in by_name["tanh_backward"].output
    assert by_name["sigmoid_backward"].score == 0.0 and "but is a list" in by_name["sigmoid_backward"].output
    softmax = by_name["softmax_cross_entropy_backward"]
    assert softmax.score == 0.0 and "divide by N" in softmax.output
    two_layer = by_name["two_layer_backward"]
    assert two_layer.score == pytest.approx(4.0 * 8 / 10) and "no key 'b2'" in two_layer.output


def test_one_process_per_test_gives_the_same_grades():
    options = GradingOptions(seed=7, sandbox=SandboxOptions(isolation="test"))
    result = grade_submission("hw1", SUBMISSIONS / "hw1_os_exit.py", options=options)
    assert [t.score for t in result.tests] == [1.0] * 8 + [0.0]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not Path("/usr/bin/python3").exists(),
    reason="switching submissions to the 'nobody' user needs root and a Python that 'nobody' can read",
)
def test_as_root_submissions_run_as_nobody(tmp_path):
    """With privileges dropped, student code cannot signal the grader or write its files."""
    protected = tmp_path / "protected"
    protected.mkdir(mode=0o755)
    target = protected / "stolen.json"
    submission = tmp_path / "sneaky.py"
    sneaky_add = f"""import os


def add_backward(a, b, out, dout):
    try:
        os.kill(os.getppid(), 0)  # signal 0 only asks whether we may signal the grader
        return 0.0, 0.0
    except PermissionError:
        pass
    try:
        open({str(target)!r}, "w").write("{{}}")
        return 0.0, 0.0
    except PermissionError:
        return dout, dout
"""
    correct_add = "def add_backward(a, b, out, dout):\n    return dout, dout"
    source = (SUBMISSIONS / "hw1_correct.py").read_text().replace(correct_add, sneaky_add)
    assert "os.getppid" in source
    submission.write_text(source)
    sandbox = SandboxOptions(python="/usr/bin/python3", user="nobody", engine="process")
    options = GradingOptions(seed=1, sandbox=sandbox)
    result = grade_submission("hw1", submission, options=options)
    assert result.score == 9.0, [t.output for t in result.tests if t.score < t.max_score]
    assert not target.exists()


def test_the_child_starts_without_the_grader_loaded(tmp_path):
    """The child is a script run by path: the grader's judges and checks are not in its interpreter."""
    result = grade_submission(
        "hw1",
        _write(
            tmp_path / "probe.py",
            "import sys\n\ndef add_backward(a, b, out, dout):\n"
            "    return float('backprop_course.grading.hw1_local_gradients' in sys.modules), "
            "float('backprop_course.grading.checks' in sys.modules)\n",
        ),
        options=GradingOptions(seed=1, time_limit=5.0),
    )
    add = next(t for t in result.tests if t.name == "add_backward")
    assert "da = 0, expected" in add.output and "db = 0, expected" in add.output


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_grader_uses_this_interpreter_by_default():
    assert SandboxOptions().python == sys.executable
    assert shutil.which(SandboxOptions().python) or Path(SandboxOptions().python).exists()


# ------------------------------------------------------- feedback said once, at the learner's line


def test_an_error_in_the_learners_code_is_shown_at_their_line_once(tmp_path):
    source = (
        "import math\n\n"
        "def exp_backward(a, out, dout):\n"
        "    return math.exp(a * 1e6) * dout\n\n"
        "def tanh_backward(a, out, dout):\n"
        "    return helper(a) * dout\n\n"
        "def helper(a):\n"
        "    import numpy as np\n"
        "    return np.zeros(3)[5]\n"
    )
    result = grade_submission("hw1", _write(tmp_path / "errors.py", source), options=FAST)
    by_name = {t.name: t for t in result.tests}
    exp = by_name["exp_backward"].output
    assert "raised OverflowError" in exp and "errors.py, line 4, in exp_backward" in exp
    assert "Likely cause: the numbers grew without bound: a wrong rule or a too-large learning rate." in exp
    assert exp.count("raised OverflowError") == 1 and "the same error for" in exp  # said once, then counted
    tanh = by_name["tanh_backward"].output
    assert "errors.py, line 11, in helper" in tanh and "(raised inside numpy" not in tanh
    assert "numpy/" not in tanh and "site-packages" not in tanh  # never the library's own traceback


def test_several_tests_failing_for_one_reason_say_it_once(tmp_path):
    source = "def backward(root):\n    order = topological_sort(root)\n    return order\n"
    result = grade_submission("hw2", _write(tmp_path / "hw2.py", source), options=DEFAULT_LIMITS)
    by_name = {t.name: t for t in result.tests}
    assert "`topological_sort` is not defined" in by_name["topological_sort"].output
    assert by_name["topological_sort_shared"].output == "Zero: the same problem as in topological_sort above."
    for name in ("backward", "backward_shared", "backward_deep"):
        assert by_name[name].output == (
            "Zero: your code calls `topological_sort`, which is missing (see topological_sort above)."
        )


def test_a_stub_raising_in_several_tests_is_explained_in_the_first():
    notebook = Path(__file__).resolve().parents[1] / "exercises" / "hw2_backward_pass.ipynb"
    result = grade_submission("hw2", notebook, options=DEFAULT_LIMITS)
    by_name = {t.name: t for t in result.tests}
    assert "cell " in by_name["topological_sort"].output and "the same error for" in by_name["topological_sort"].output
    assert by_name["topological_sort_deep"].output == (
        "Zero: your code still raises NotImplementedError, as in topological_sort above."
    )


def test_a_judge_can_keep_its_probe_in_its_own_module(tmp_path):
    """``probe="module:function"`` runs ``backprop_course.grading.module.function`` in the child."""
    import dataclasses

    from backprop_course.grading.sandbox import TestRun, run_submission

    source = b"def add_backward(a, b, out, dout):\n    return dout, dout\n"
    runs = [
        TestRun("ok", "_child:probe_call", {"function": "add_backward", "calls": [[1.0, 2.0, 3.0, 0.5]]}, 2.0, 512),
        TestRun("bad", "no_such_module:probe", {}, 2.0, 512),
    ]
    report, outcomes = run_submission(source, "x.py", runs, dataclasses.replace(FAST.sandbox))
    assert outcomes[0].result == {"answers": [{"value": {"__tuple__": [0.5, 0.5]}}]}
    assert "No module named 'backprop_course.grading.no_such_module'" in outcomes[1].result["probe_error"]["message"]
