"""Run a submission's code in a child process, one test at a time, and survive it.

The grader (parent) starts ``python -I _child.py`` in a fresh temporary folder, in a
new session, with a clean environment (``MPLBACKEND=Agg``, one BLAS thread). When
the grader runs as root (as on Gradescope) the child switches to the ``nobody``
user before reading any student code, so it cannot signal the grader, write the
results folder or read other students' files. The child then limits itself (see
:func:`._child._secure`): address space, CPU seconds, size of any file it writes
(this caps printed output), no core dumps, no new processes (for a non-root user).

Two pipes connect them, one per direction, carrying one JSON object per line; the
child's stdout and stderr go to a file per test. Per test the grader sends the
probe and the inputs, waits at most the test's time limit plus a grace second, and
reads back plain data. The child has its own gentler alarm at the time limit, so a
slow call usually comes back as a ``GraderTimeout`` with the answers of the calls
that did finish; the grader's kill of the whole process group is the backstop.

When the child dies or hangs in a test (``os._exit``, ``os.kill(os.getpid(), 9)``,
a memory bomb, an infinite loop that ignores the alarm), that test gets the death
as its outcome and a new child is started for the next test, so every other test
is still graded. When it dies while *loading* the submission, the statement it was
running is remembered and skipped in the next child.

One child per submission (not per test) is the default: starting Python and
importing numpy is the cost of isolation, and paying it once per submission
instead of once per test is what keeps a 300-student batch fast
(``benchmarks/grading.py`` measures both: with 2 workers on 2 cores, 0.7-1.1x the
cost of a bare ``python -c "import numpy"`` per submission, against 3.5-9x with one
child per test, depending on the machine's load). State a submission leaves behind in one test (a patched
module, a global) can only change its own later answers, which the judge checks
anyway. ``isolation="test"`` starts a fresh child for each test.

Limits of this sandbox (it is a process, not a container): as a non-root user the
child runs with the grader's user id, so it could signal the grader or write files
that user can write; run batches as root (submissions then run as ``nobody``) or
in a container. Network access is not blocked. A process the child forks is killed
with the child's process group; as root without the switch to ``nobody``, one
that calls ``setsid()`` could escape that.
"""

from __future__ import annotations

import errno
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LoadReport", "RunOutcome", "SandboxOptions", "TestRun", "run_submission"]

CHILD_SCRIPT = Path(__file__).with_name("_child.py")
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
#: bytes of a test's printed output kept for the report
OUTPUT_EXCERPT_BYTES = 4096


@dataclass
class SandboxOptions:
    """How the child runs. Defaults suit a course; tests shorten the times.

    Attributes:
        python: the interpreter for the child (the grader's own by default).
        output_limit_bytes: most a test may print (stdout + stderr); more fails the test.
        statement_time_limit: seconds for each top-level statement while loading.
        startup_timeout: seconds for the child to start and say it is ready.
        grace: extra seconds after a test's time limit before the child is killed.
        user: ``"auto"`` (``nobody`` when the grader is root, else no change), a user
            name, or ``None`` to never switch user.
        max_restarts: children started while loading one submission, at most.
        isolation: ``"submission"`` (one child for all tests) or ``"test"``.
    """

    python: str = sys.executable
    output_limit_bytes: int = 1 << 20
    statement_time_limit: float = 5.0
    startup_timeout: float = 30.0
    grace: float = 1.0
    user: str | None = "auto"
    max_restarts: int = 8
    isolation: str = "submission"
    max_message_bytes: int = 16 << 20


@dataclass(frozen=True)
class TestRun:
    """One test for the child: the probe to run, its plain-data payload, its limits."""

    name: str
    probe: str
    payload: dict[str, Any]
    time_limit: float
    memory_mb: int

    __test__ = False


@dataclass
class RunOutcome:
    """What happened when the child ran one test.

    ``kind`` is ``"answer"`` (``result`` holds the probe's plain data), ``"timeout"``
    (killed at the time limit), ``"died"`` (the process ended; ``detail`` says how),
    or ``"broken"`` (the child could not be started, or sent something unreadable).
    ``output_limit`` is set when the test printed more than allowed.
    """

    kind: str
    result: dict[str, Any] | None = None
    detail: str = ""
    output: str = ""
    output_bytes: int = 0
    output_limit: bool = False
    seconds: float = 0.0


@dataclass
class LoadReport:
    """How loading the submission went: statements that failed, were skipped, names defined."""

    failures: dict[int, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    output: str = ""
    started: bool = True
    detail: str = ""


class _ChildGone(Exception):
    pass


class _Timeout(Exception):
    pass


class _Child:
    """One live child process and its two pipes."""

    def __init__(self, workdir: Path, options: SandboxOptions, memory_mb: int, cpu_seconds: float) -> None:
        self.workdir = workdir
        self.options = options
        self.buffer = b""
        uid_gid = _sandbox_user(options.user, options.python)
        req_r, self.req_w = os.pipe()
        self.res_r, res_w = os.pipe()
        config = {
            "req_fd": req_r,
            "res_fd": res_w,
            "package_root": PACKAGE_ROOT,
            "uid": uid_gid[0] if uid_gid else None,
            "gid": uid_gid[1] if uid_gid else None,
            "memory_bytes": int(memory_mb) << 20,
            "cpu_seconds": int(cpu_seconds) + 1,
            "output_bytes": int(options.output_limit_bytes),
        }
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(workdir),
            "TMPDIR": str(workdir),
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": str(workdir / ".matplotlib"),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "NUMEXPR_NUM_THREADS": "1",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }
        # Until the child redirects them per test, its stdout/stderr go to a file:
        # if Python itself fails to start, the reason is there.
        self.startup_log = workdir / "out_start.txt"
        log_fd = os.open(self.startup_log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            self.proc = subprocess.Popen(
                [options.python, "-I", str(CHILD_SCRIPT), json.dumps(config)],
                stdin=subprocess.DEVNULL,
                stdout=log_fd,
                stderr=log_fd,
                cwd=workdir,
                env=env,
                pass_fds=(req_r, res_w),
                start_new_session=True,
            )
        except BaseException:
            os.close(self.req_w)
            os.close(self.res_r)
            raise
        finally:
            os.close(req_r)
            os.close(res_w)
            os.close(log_fd)
        os.set_blocking(self.req_w, False)

    # -------------------------------------------------------------- plumbing
    def send(self, message: dict[str, Any], deadline: float) -> None:
        data = memoryview((json.dumps(message, separators=(",", ":")) + "\n").encode())
        while data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Timeout()
            _, writable, _ = select.select([], [self.req_w], [], left)
            if not writable:
                continue
            try:
                n = os.write(self.req_w, data)
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError) as err:
                if isinstance(err, BrokenPipeError) or err.errno == errno.EPIPE:
                    raise _ChildGone() from err
                raise
            data = data[n:]

    def receive(self, deadline: float) -> dict[str, Any]:
        """The next well-formed message; lines that are not JSON objects are skipped."""
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                try:
                    msg = json.loads(line)
                except (ValueError, RecursionError):
                    continue
                if isinstance(msg, dict) and isinstance(msg.get("event"), str):
                    return msg
            if len(self.buffer) > self.options.max_message_bytes:
                raise _ChildGone(f"your code sent back more than {self.options.max_message_bytes >> 20} MB of answers")
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Timeout()
            readable, _, _ = select.select([self.res_r], [], [], left)
            if not readable:
                continue
            chunk = os.read(self.res_r, 1 << 20)
            if not chunk:
                raise _ChildGone()
            self.buffer += chunk

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.options.startup_timeout
        while self.receive(deadline).get("event") != "ready":
            pass

    def exit_status(self, timeout: float) -> int | None:
        """The child's exit status once it has ended (``-signal`` if killed), else None.

        Does not reap the child: while it is a zombie its pid, which is also its
        process group's id, cannot be reused, so :meth:`kill` can always signal the
        group safely.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
            except ChildProcessError:  # already reaped
                return self.proc.returncode
            if info is not None and info.si_pid == self.proc.pid:
                return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.005)

    def kill(self) -> None:
        """Kill the child and anything it forked (its whole process group), then reap it."""
        if self.proc.returncode is None:  # not reaped yet, so the group id is still ours
            try:
                # Even if the child itself has exited: a process it forked may still be in its group.
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
            pass
        self.close_fds()

    def close(self) -> None:
        """End the child once its tests are done: nothing is left in it to flush or save."""
        self.kill()

    def close_fds(self) -> None:
        for fd in (self.req_w, self.res_r):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.req_w = self.res_r = -1

    def death(self) -> str:
        """How the child ended, for a student to read."""
        code = self.exit_status(2.0)
        if code is None:
            return "the process stopped answering (it closed the grader's pipe?)"
        return describe_exit(code)


def describe_exit(code: int) -> str:
    """A process's exit status in words, with the usual reason for it."""
    if code < 0:
        sig = -code
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        reasons = {
            "SIGKILL": "it was killed (by itself, e.g. os.kill(os.getpid(), 9), or for using too much memory)",
            "SIGSEGV": "it crashed (segmentation fault): often very deep recursion after raising the recursion limit",
            "SIGXCPU": "it used up its CPU time",
            "SIGABRT": "it aborted",
            "SIGTERM": "it was terminated (by itself?)",
        }
        return f"the process ended with {name}: {reasons.get(name, 'it received a signal')}"
    return (
        f"the process exited with status {code} in the middle of the test (os._exit(), or a crash); "
        "a graded function must return its answer, never end the process"
    )


_USER_CHECKS: dict[tuple[str, str], tuple[int, int] | None] = {}
_USER_CHECKS_LOCK = threading.Lock()


def short_exit(code: int | None) -> str:
    """``exit status 3``, ``signal SIGKILL``..."""
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def _sandbox_user(user: str | None, python: str) -> tuple[int, int] | None:
    """(uid, gid) to switch the child to, or None to keep the grader's user.

    Only root can switch. With ``"auto"`` we switch to ``nobody`` if a trial child
    running as ``nobody`` can import Python's standard library, numpy and this
    package; an interpreter installed under ``/root`` (e.g. pyenv) cannot, and then
    submissions run as the grader's user, with a warning.
    """
    if user is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    name = "nobody" if user == "auto" else user
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        if user == "auto":
            return None
        raise ValueError(f"no user {name!r} to run submissions as; use user='auto' or create it") from None
    ids = (entry.pw_uid, entry.pw_gid)
    with _USER_CHECKS_LOCK:
        key = (python, name)
        if key not in _USER_CHECKS:
            _USER_CHECKS[key] = ids if _user_can_run_python(python, ids) else None
            if _USER_CHECKS[key] is None:
                message = (
                    f"submissions run as root: the user {name!r} cannot run {python} (its files are not "
                    "readable by that user); install Python where every user can read it for a safer sandbox"
                )
                if user != "auto":
                    raise ValueError(message)
                warnings.warn(message, RuntimeWarning, stacklevel=3)
        return _USER_CHECKS[key]


def _user_can_run_python(python: str, ids: tuple[int, int]) -> bool:
    config = {
        "package_root": PACKAGE_ROOT,
        "uid": ids[0],
        "gid": ids[1],
        "memory_bytes": 1 << 30,
        "cpu_seconds": 60,
        "output_bytes": 1 << 20,
    }
    with tempfile.TemporaryDirectory(prefix="bpc-usercheck-") as tmp:
        os.chown(tmp, *ids)
        try:
            done = subprocess.run(
                [python, "-I", str(CHILD_SCRIPT), "--selftest", json.dumps(config)],
                cwd=tmp,
                env={"PATH": "/usr/bin:/bin", "HOME": tmp, "OPENBLAS_NUM_THREADS": "1"},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
    return done.returncode == 0


def _read_output(path: Path) -> tuple[str, int]:
    """The first bytes of a file the child wrote, and its size; never follows a symlink."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return "", 0
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return "", 0
        data = os.read(fd, OUTPUT_EXCERPT_BYTES)
        return data.decode("utf-8", errors="replace"), info.st_size
    finally:
        os.close(fd)


# ---------------------------------------------------------------- a submission


class _Session:
    def __init__(self, program: dict[str, Any], runs: list[TestRun], options: SandboxOptions) -> None:
        self.program = program
        self.runs = runs
        self.options = options
        self.memory_mb = max([r.memory_mb for r in runs] + [256])
        n = len(program.get("statements", []))
        self.cpu_seconds = (
            sum(r.time_limit for r in runs) + n * options.statement_time_limit / 4 + options.startup_timeout + 30
        )
        uid_gid = _sandbox_user(options.user, options.python)  # may raise: before making the folder
        self.workdir = Path(tempfile.mkdtemp(prefix="bpc-grade-"))
        if uid_gid:
            os.chown(self.workdir, *uid_gid)
        self.skipped: dict[int, str] = {}
        self.seq = 0

    def start(self) -> tuple[_Child | None, LoadReport]:
        """A child with the submission loaded, skipping statements that kill or hang it."""
        report = LoadReport()
        for _ in range(self.options.max_restarts):
            try:
                child = _Child(self.workdir, self.options, self.memory_mb, self.cpu_seconds)
            except OSError as err:
                return None, LoadReport(started=False, detail=f"the grader could not start Python: {err}")
            try:
                child.wait_ready()
            except (_ChildGone, _Timeout):
                detail = "it exited" if child.exit_status(0.5) is not None else "it did not start in time"
                child.kill()
                log = _read_output(child.startup_log)[0].strip().splitlines()[-3:]
                detail += (": " + " | ".join(log)) if log else ""
                return None, LoadReport(started=False, detail=f"the sandbox process did not start ({detail})")
            current: int | None = None
            limit = self.options.statement_time_limit + self.options.grace
            try:
                child.send(
                    {
                        "cmd": "load",
                        "statements": self.program["statements"],
                        "files": self.program["files"],
                        "skip": sorted(self.skipped),
                        "statement_time_limit": self.options.statement_time_limit,
                    },
                    time.monotonic() + self.options.startup_timeout,
                )
                deadline = time.monotonic() + limit
                while True:
                    msg = child.receive(deadline)
                    if msg["event"] == "statement":
                        current = int(msg["index"])
                        deadline = time.monotonic() + limit
                    elif msg["event"] == "loaded":
                        report.failures = {int(k): v for k, v in dict(msg.get("failures", {})).items()}
                        report.names = {str(k): str(v) for k, v in dict(msg.get("names", {})).items()}
                        report.skipped = dict(self.skipped)
                        report.output = _read_output(self.workdir / "out_load.txt")[0]
                        return child, report
            except _Timeout:
                reason = f"did not finish within {self.options.statement_time_limit:g} s"
                child.kill()
            except (_ChildGone, ValueError, KeyError, TypeError):
                reason = f"ended the grader's process ({short_exit(child.exit_status(2.0))})"
                child.kill()
            if current is None or current in self.skipped:
                return None, LoadReport(started=False, detail=f"loading the submission failed: {reason}")
            self.skipped[current] = reason
        return None, LoadReport(started=False, detail="loading the submission failed: too many restarts")

    def run(self, child: _Child, run: TestRun) -> RunOutcome:
        self.seq += 1
        seq = self.seq
        started = time.monotonic()
        outcome = RunOutcome(kind="answer")
        try:
            child.send(
                {
                    "cmd": "run",
                    "seq": seq,
                    "probe": run.probe,
                    "payload": run.payload,
                    "time_limit": run.time_limit,
                    "memory_bytes": int(run.memory_mb) << 20,
                },
                started + run.time_limit + self.options.grace,
            )
            deadline = started + run.time_limit + self.options.grace
            while True:
                msg = child.receive(deadline)
                if msg.get("event") == "result" and msg.get("seq") == seq and isinstance(msg.get("result"), dict):
                    outcome.result = msg["result"]
                    break
        except _Timeout:
            child.kill()
            outcome.kind = "timeout"
            outcome.detail = f"did not finish within the time limit of {run.time_limit:g} s; the grader stopped it"
        except _ChildGone as err:
            outcome.kind = "died"
            outcome.detail = str(err) if err.args else child.death()
            child.kill()
        outcome.seconds = time.monotonic() - started
        outcome.output, outcome.output_bytes = _read_output(self.workdir / f"out_{seq}.txt")
        outcome.output_limit = outcome.output_bytes >= self.options.output_limit_bytes
        return outcome

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def run_submission(
    program: dict[str, Any], runs: list[TestRun], options: SandboxOptions | None = None
) -> tuple[LoadReport, list[RunOutcome]]:
    """Load ``program`` (see :meth:`.source.Program.to_payload`) in a child and run each test.

    Returns the load report and one :class:`RunOutcome` per run, in order. Never
    raises because of what the submission does.
    """
    options = options or SandboxOptions()
    session = _Session(program, runs, options)
    outcomes: list[RunOutcome] = []
    child: _Child | None = None
    report = LoadReport(started=False, detail="no test was run")
    try:
        for run in runs:
            if child is None:
                child, report_now = session.start()
                if report.started is False or options.isolation != "test":
                    report = report_now
                if child is None:
                    outcomes.append(RunOutcome(kind="broken", detail=report_now.detail))
                    continue
            outcome = session.run(child, run)
            outcomes.append(outcome)
            restart = outcome.kind != "answer" or options.isolation == "test"
            if outcome.result and outcome.result.get("memory_error"):
                restart = True  # the bomb may still hold memory that later tests would need
            if restart:
                if outcome.kind == "answer":
                    child.close()
                else:
                    child.kill()
                child = None
    finally:
        if child is not None:
            child.close()
        session.cleanup()
    return report, outcomes
