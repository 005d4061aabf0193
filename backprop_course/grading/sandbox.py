"""Run a submission's code in an isolated child process, one test at a time, and survive it.

Isolation comes from an existing sandbox engine, **bubblewrap** (``bwrap``, what
Flatpak uses), when it is installed and allowed to run:

* its own pid namespace (the child sees and can signal only its own processes, and
  all of them die with it: ``--die-with-parent``, ``--new-session``), network, ipc
  and uts namespaces (no network at all);
* its own mount namespace holding exactly: ``/usr`` (system libraries), the Python
  installation and virtual environment read-only, this library read-only (under
  ``/opt/bpc``), a fresh ``/proc`` and a minimal ``/dev``, and a small private
  ``/tmp`` (a size-limited tmpfs) as its work folder. No ``solutions/``, no other
  submission, no output folder, no home folder, nothing of the grader's ``/proc``;
* no capabilities, and an unprivileged user: as root the child switches to
  ``nobody`` (the only capabilities bubblewrap leaves it are the two needed for that
  switch, gone once it is made); otherwise a user namespace keeps the grader's own
  unprivileged user id.

Where bubblewrap is missing or refused (macOS, Windows, many containers), the child
is a plain process with the same limits (``isolation="process"``; as root it still
switches to ``nobody`` when that user can read Python). :func:`resolve_isolation`
says which one is used and why; every report records it.

Either way the child limits itself (see :func:`._child._secure`): address space, CPU
seconds, size of any file it writes (this caps printed output), no core dumps, no
new processes; and the grader enforces a **total wall budget per submission**
(loading and every test), whatever the child says.

Nothing secret reaches the child: its command line holds no seed and no path but
the Python and library ones; its environment is fixed. It reads its configuration
and the submission over pipes: requests in, one JSON object per line, answers out on
a second pipe. Its stdout and stderr go to an anonymous file the grader reads at a
fixed offset (never a path in a folder the child can write). The submission itself
is *parsed* in the child too (:mod:`.source`), under its limits, before any student
code runs.

When the child dies or hangs in a test (``os._exit``, ``os.kill(os.getpid(), 9)``, a
memory bomb, an infinite loop that ignores the alarm), that test gets the death as
its outcome and a new child is started for the next test. When it dies while
*loading*, the statement it was running is remembered and skipped in the next child.

One child per submission (not per test) is the default: starting Python and
importing numpy is the cost of isolation (``benchmarks/grading.py`` measures it).
``isolation="test"`` starts a fresh child for each test.
"""

from __future__ import annotations

import errno
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = [
    "Isolation",
    "LoadReport",
    "RunOutcome",
    "SandboxOptions",
    "SandboxUnavailable",
    "TestRun",
    "resolve_isolation",
    "run_submission",
]

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PACKAGE_ROOT = str(PACKAGE_DIR.parent)
CHILD_SCRIPT = Path(__file__).resolve().with_name("_child.py")
#: where the library appears inside a bubblewrap sandbox
SANDBOX_LIBRARY = "/opt/bpc"
#: bytes of a test's printed output kept for the report
OUTPUT_EXCERPT_BYTES = 4096
#: environment variable that forces an isolation engine: ``bubblewrap``, ``process`` or ``auto``
ENGINE_ENV = "BACKPROP_COURSE_SANDBOX"
ENGINES = ("auto", "bubblewrap", "process")
NOBODY = 65534


class SandboxUnavailable(RuntimeError):
    """Bubblewrap was required (``required=True`` / ``--isolation-required``) but cannot run."""


@dataclass
class SandboxOptions:
    """How the child runs. Defaults suit a course; tests shorten the times.

    Attributes:
        python: the interpreter for the child (the grader's own by default).
        output_limit_bytes: most a test may print (stdout + stderr); more fails the test.
        statement_time_limit: seconds for each top-level statement while loading.
        load_time_limit: seconds for reading and loading the whole submission, restarts included.
        startup_timeout: seconds for the child to start and say it is ready.
        grace: extra seconds after a test's time limit before the child is killed.
        wall_time_limit: total seconds for one submission (loading and every test);
            ``None``: the load limit plus every test's limit and grace, plus the startup timeout.
        user: ``"auto"`` (``nobody`` when the grader is root, else no change), a user
            name, or ``None`` to never switch user (the process fallback only).
        max_restarts: children started while loading one submission, at most.
        isolation: ``"submission"`` (one child for all tests) or ``"test"``.
        engine: ``"auto"`` (bubblewrap if it works, else the process sandbox),
            ``"bubblewrap"`` or ``"process"``. The environment variable
            ``BACKPROP_COURSE_SANDBOX`` overrides ``"auto"``.
        required: raise :class:`SandboxUnavailable` rather than fall back to a process.
        tmpfs_bytes: size of the child's private ``/tmp`` under bubblewrap.
    """

    python: str = sys.executable
    output_limit_bytes: int = 1 << 20
    statement_time_limit: float = 5.0
    load_time_limit: float = 20.0
    startup_timeout: float = 30.0
    grace: float = 1.0
    wall_time_limit: float | None = None
    user: str | None = "auto"
    max_restarts: int = 8
    isolation: str = "submission"
    max_message_bytes: int = 16 << 20
    engine: str = "auto"
    required: bool = False
    tmpfs_bytes: int = 64 << 20


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
    ``"budget"`` (not run: the submission's total time budget was used up), or
    ``"broken"`` (the child could not be started, or loading failed).
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
    """How reading and loading the submission went.

    ``program`` is the child's reading of the submission (see
    :meth:`.source.Program.summary`), made before any student code ran;
    ``unreadable`` is set instead when the file is not a submission we can read.
    """

    failures: dict[int, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    output: str = ""
    started: bool = True
    detail: str = ""
    program: dict[str, Any] | None = None
    unreadable: str = ""
    budget_exceeded: bool = False
    unblocked: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Isolation:
    """The isolation a grading run uses.

    Attributes:
        engine: ``"bubblewrap"`` or ``"process"``.
        user: who the child runs as (``"nobody"``, ``"the grader's user"``...).
        reason: for the process sandbox, why bubblewrap is not used.
    """

    engine: str
    user: str
    reason: str = ""
    bwrap: str = ""
    argv: tuple[str, ...] = ()
    switch_user: tuple[int, int] | None = None
    sys_path: tuple[str, ...] = ()
    package_root: str = PACKAGE_ROOT
    #: matplotlib's font cache (file name, contents) copied into each sandbox: it saves building it
    font_cache: tuple[str, bytes] | None = None

    @property
    def label(self) -> str:
        """The short name recorded in every result and the gradebook."""
        return self.engine

    def summary(self) -> str:
        """One line for course staff: what is and is not protected, and how to get full isolation."""
        if self.engine == "bubblewrap":
            return (
                f"isolation: bubblewrap (each submission in its own pid, mount and network namespaces, "
                f"as {self.user}, seeing only Python and the library; no solutions, classmates or outputs)"
            )
        return (
            f"isolation: process only ({self.reason}): time and memory limits, as {self.user}, but a "
            "submission can read any file that user can read (solutions, classmates), use the network and "
            "signal that user's processes. For full isolation install bubblewrap (apt-get install bubblewrap) "
            "or grade in a container."
        )


class _ChildGone(Exception):
    pass


class _Timeout(Exception):
    pass


# ---------------------------------------------------------------- choosing the engine

_ISOLATION_CACHE: dict[tuple[Any, ...], Isolation] = {}
_ISOLATION_LOCK = threading.Lock()

_LAYOUT_PROBE = (
    "import sys, json; print(json.dumps({'prefixes': [sys.prefix, sys.base_prefix, sys.exec_prefix, "
    "sys.base_exec_prefix], 'path': sys.path, 'executable': sys.executable}))"
)


def resolve_isolation(options: SandboxOptions | None = None) -> Isolation:
    """The isolation the child will get with ``options`` (checked once per interpreter, then cached).

    Raises:
        SandboxUnavailable: bubblewrap was asked for (``engine="bubblewrap"`` or
            ``required=True``) and cannot run here; the message says why and how to fix it.
        ValueError: an unknown engine name.
    """
    options = options or SandboxOptions()
    engine = options.engine
    if engine == "auto":
        engine = os.environ.get(ENGINE_ENV, "auto").strip().lower() or "auto"
    if engine not in ENGINES:
        raise ValueError(f"unknown sandbox engine {engine!r}; choose one of {', '.join(ENGINES)}")
    key = (engine, options.python, options.user, options.tmpfs_bytes)
    with _ISOLATION_LOCK:
        if key not in _ISOLATION_CACHE:
            _ISOLATION_CACHE[key] = _resolve(engine, options)
        isolation = _ISOLATION_CACHE[key]
    if isolation.engine != "bubblewrap" and (options.required or engine == "bubblewrap"):
        raise SandboxUnavailable(
            f"bubblewrap isolation is required but not available: {isolation.reason}. "
            "Install it (apt-get install bubblewrap), or drop --isolation-required to grade with the "
            "process sandbox only."
        )
    return isolation


def _resolve(engine: str, options: SandboxOptions) -> Isolation:
    layout = _python_layout(options.python)
    if layout is None:
        return _process_isolation(options, f"{options.python} could not be started", ())
    sys_path = tuple(p for p in layout["path"] if p and _inside(p, layout["roots"]))
    reason = "the sandbox was set to the process engine" if engine == "process" else ""
    if engine != "process":
        bwrap = shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else "")
        if not bwrap:
            reason = "bubblewrap (bwrap) is not installed"
        else:
            root = hasattr(os, "geteuid") and os.geteuid() == 0
            variants: list[tuple[str, list[str], tuple[int, int] | None]] = []
            if root:
                variants.append(("nobody", _bwrap_argv(bwrap, layout, options, privileged=True), (NOBODY, NOBODY)))
            variants.append(
                (
                    "nobody (user namespace)" if root else "the grader's user (user namespace)",
                    _bwrap_argv(bwrap, layout, options, privileged=False),
                    None,
                )
            )
            errors = []
            for user, argv, ids in variants:
                args_fd = _bwrap_args_fd(argv)
                try:
                    command = [argv[0], "--args", str(args_fd), options.python, "-I", "-S", _inside_child_script()]
                    ok, error = _selftest(command, ids, sys_path, pass_fds=(args_fd,))
                finally:
                    os.close(args_fd)
                if ok:
                    return Isolation(
                        "bubblewrap", user, "", bwrap, tuple(argv), ids, sys_path, SANDBOX_LIBRARY, _font_cache()
                    )
                errors.append(error)
            reason = "bubblewrap is installed but refused to run here" + (f" ({errors[-1]})" if errors[-1] else "")
    return _process_isolation(options, reason, sys_path)


def _font_cache() -> tuple[str, bytes] | None:
    """The grader's own matplotlib font cache, if there is one (it lists fonts by path: the same inside)."""
    folders = [os.environ.get("MPLCONFIGDIR", "")]
    folders.append(os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "matplotlib"))
    for folder in folders:
        try:
            names = sorted(n for n in os.listdir(folder) if n.startswith("fontlist-v") and n.endswith(".json"))
        except OSError:
            continue
        if names:
            path = os.path.join(folder, names[-1])
            try:
                if os.path.getsize(path) < 4 << 20:
                    with open(path, "rb") as f:
                        return names[-1], f.read()
            except OSError:
                continue
    return None


def _process_isolation(options: SandboxOptions, reason: str, sys_path: tuple[str, ...]) -> Isolation:
    ids = _process_user(options.user, options.python, sys_path)
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    user = "nobody" if ids else ("root" if root else "the grader's user")
    return Isolation("process", user, reason, switch_user=ids, sys_path=sys_path, package_root=PACKAGE_ROOT)


def _python_layout(python: str) -> dict[str, Any] | None:
    """Where ``python`` lives: its prefixes (real paths, to bind read-only) and its ``sys.path``."""
    try:
        done = subprocess.run(
            [python, "-I", "-c", _LAYOUT_PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
            stdin=subprocess.DEVNULL,
        )
        info = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    roots: list[str] = []
    for p in info["prefixes"]:
        for q in (os.path.abspath(p), os.path.realpath(p)):
            if os.path.isdir(q) and q not in roots:
                roots.append(q)
    exe = os.path.realpath(python)
    if not any(_inside(exe, [r]) for r in roots):
        roots.append(os.path.dirname(os.path.dirname(exe)))
    # /usr is bound whole anyway; keep the others, outermost first, without nesting.
    roots = sorted({r for r in roots if not _inside(r, ["/usr"])}, key=len)
    kept: list[str] = []
    for r in roots:
        if not _inside(r, kept):
            kept.append(r)
    return {"roots": kept + ["/usr"], "bind": kept, "path": [os.path.abspath(p) for p in info["path"]]}


def _inside(path: str, roots: list[str]) -> bool:
    path = os.path.abspath(path)
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _inside_child_script() -> str:
    return f"{SANDBOX_LIBRARY}/backprop_course/grading/_child.py"


def _bwrap_argv(bwrap: str, layout: dict[str, Any], options: SandboxOptions, *, privileged: bool) -> list[str]:
    """The ``bwrap`` command line (without the Python command): only install paths, nothing secret."""
    argv = [
        bwrap,
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
    ]
    if privileged:
        # Root without a user namespace: the child keeps only the right to become nobody, and does so at once.
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-user", "--disable-userns"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            argv += ["--uid", str(NOBODY), "--gid", str(NOBODY)]
    argv += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = f"/{name}"
        if os.path.islink(host):
            argv += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            argv += ["--ro-bind", host, host]
    for name in ("/etc/ld.so.cache", "/etc/localtime"):
        if os.path.exists(name):
            argv += ["--ro-bind", name, name]
    # The private work folder first: a Python installed under /tmp is then bound on top of it, not hidden.
    argv += ["--size", str(int(options.tmpfs_bytes)), "--perms", "1777", "--tmpfs", "/tmp"]
    made = {"/", "/usr", "/tmp", "/proc", "/dev"}
    for root in layout["bind"] + [SANDBOX_LIBRARY]:
        parents = []
        parent = os.path.dirname(root)
        while parent not in made and parent != "/":
            parents.append(parent)
            parent = os.path.dirname(parent)
        for p in reversed(parents):
            argv += ["--perms", "0755", "--dir", p]
            made.add(p)
        if root == SANDBOX_LIBRARY:
            argv += ["--perms", "0755", "--dir", root]
        else:
            argv += ["--ro-bind", root, root]
        made.add(root)
    argv += ["--ro-bind", str(PACKAGE_DIR), f"{SANDBOX_LIBRARY}/backprop_course"]
    argv += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(1 << 20),
        "--tmpfs",
        "/dev/shm",
        "--remount-ro",
        "/dev",
        "--remount-ro",
        "/",
        "--chdir",
        "/tmp",
        "--clearenv",
    ]
    for key, value in _child_env("/tmp").items():
        argv += ["--setenv", key, value]
    return argv


def _bwrap_args_fd(argv: list[str] | tuple[str, ...]) -> int:
    """A file descriptor holding bwrap's options, NUL-separated (``bwrap --args FD``).

    Passed this way, the bind mounts (host paths) are not on any command line: the
    sandbox's process 1 is bwrap itself, and its ``/proc/1/cmdline`` is visible
    inside. The child closes this descriptor first thing.
    """
    data = b"".join(a.encode() + b"\0" for a in argv[1:])
    return _anonymous_copy(data)


def _child_env(workdir: str) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(workdir, ".matplotlib"),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }


def _selftest(
    command: list[str],
    ids: tuple[int, int] | None,
    sys_path: tuple[str, ...],
    package_root: str = SANDBOX_LIBRARY,
    cwd: str | None = None,
    pass_fds: tuple[int, ...] = (),
) -> tuple[bool, str]:
    """Start the child's self-test in ``command``: True if it imports what submissions use."""
    config = _config(-1, ids, sys_path, package_root, memory_bytes=1 << 30, cpu_seconds=60, output_bytes=1 << 20)
    config["selftest"] = True
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            input=json.dumps(config) + "\n",
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
            pass_fds=pass_fds,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, str(err)
    lines = (done.stderr or done.stdout).strip().splitlines()
    return done.returncode == 0, lines[-1][:200] if lines else f"exit status {done.returncode}"


def _process_user(user: str | None, python: str, sys_path: tuple[str, ...]) -> tuple[int, int] | None:
    """(uid, gid) for the process sandbox to switch to, or None to keep the grader's user.

    Only root can switch. With ``"auto"`` we switch to ``nobody`` if a trial child
    running as ``nobody`` can import Python's standard library, numpy and this package.
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
    with tempfile.TemporaryDirectory(prefix="bpc-usercheck-") as tmp:
        os.chown(tmp, *ids)
        ok, _ = _selftest([python, "-I", "-S", str(CHILD_SCRIPT)], ids, sys_path, PACKAGE_ROOT, cwd=tmp)
    if ok:
        return ids
    if user != "auto":
        raise ValueError(f"the user {name!r} cannot run {python} (its files are not readable by that user)")
    return None


def _config(
    res_fd: int,
    ids: tuple[int, int] | None,
    sys_path: tuple[str, ...],
    package_root: str,
    *,
    memory_bytes: int,
    cpu_seconds: float,
    output_bytes: int,
) -> dict[str, Any]:
    return {
        "res_fd": res_fd,
        "uid": ids[0] if ids else None,
        "gid": ids[1] if ids else None,
        "sys_path": [package_root, *sys_path],
        "memory_bytes": int(memory_bytes),
        "cpu_seconds": int(cpu_seconds) + 1,
        "output_bytes": int(output_bytes),
    }


# ------------------------------------------------------------------- one child


class _Child:
    """One live child process, its two pipes and its output file."""

    def __init__(
        self,
        isolation: Isolation,
        workdir: Path | None,
        options: SandboxOptions,
        memory_mb: int,
        cpu_seconds: float,
        submission_fd: int,
        unavailable: tuple[str, ...],
    ) -> None:
        self.options = options
        self.isolation = isolation
        self.buffer = b""
        self.output: IO[bytes] = tempfile.TemporaryFile(prefix="bpc-out-")
        req_r, self.req_w = os.pipe()
        self.res_r, res_w = os.pipe()
        config = _config(
            res_w,
            isolation.switch_user,
            isolation.sys_path,
            isolation.package_root,
            memory_bytes=int(memory_mb) << 20,
            cpu_seconds=cpu_seconds,
            output_bytes=options.output_limit_bytes,
        )
        config["submission_fd"] = submission_fd
        config["unavailable"] = list(unavailable)
        config["in_namespace"] = isolation.engine == "bubblewrap"
        extra_fds: tuple[int, ...] = ()
        if isolation.engine == "bubblewrap":
            argv = list(isolation.argv)
            if isolation.font_cache is not None:
                name, data = isolation.font_cache
                font_fd = _anonymous_copy(data)
                extra_fds += (font_fd,)
                argv += ["--perms", "0777", "--dir", "/tmp/.matplotlib"]
                argv += ["--perms", "0666", "--file", str(font_fd), f"/tmp/.matplotlib/{name}"]
            args_fd = _bwrap_args_fd(argv)
            extra_fds += (args_fd,)
            command = [isolation.argv[0], "--args", str(args_fd), options.python, "-I", "-S", _inside_child_script()]
            env = {"PATH": "/usr/bin:/bin"}
            cwd = "/"
        else:
            assert workdir is not None
            command = [options.python, "-I", "-S", str(CHILD_SCRIPT)]
            env = _child_env(str(workdir))
            cwd = str(workdir)
        try:
            self.proc = subprocess.Popen(
                command,
                stdin=req_r,
                stdout=self.output,
                stderr=self.output,
                cwd=cwd,
                env=env,
                pass_fds=(res_w, submission_fd, *extra_fds),
                start_new_session=True,
            )
        except BaseException:
            os.close(self.req_w)
            os.close(self.res_r)
            self.output.close()
            raise
        finally:
            os.close(req_r)
            os.close(res_w)
            for fd in extra_fds:
                os.close(fd)
        os.set_blocking(self.req_w, False)
        self.config_line = json.dumps(config)

    # -------------------------------------------------------------- plumbing
    def send(self, message: dict[str, Any] | str, deadline: float) -> None:
        text = message if isinstance(message, str) else json.dumps(message, separators=(",", ":"))
        data = memoryview((text + "\n").encode())
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

    def wait_ready(self, deadline: float) -> None:
        self.send(self.config_line, deadline)
        while self.receive(deadline).get("event") != "ready":
            pass

    def read_output(self) -> tuple[str, int]:
        """The first bytes the child printed since it last cleared its output, and their size."""
        try:
            fd = self.output.fileno()
            size = os.fstat(fd).st_size
            data = os.pread(fd, OUTPUT_EXCERPT_BYTES, 0)
        except (OSError, ValueError):
            return "", 0
        return data.decode("utf-8", errors="replace"), size

    def exit_status(self, timeout: float) -> int | None:
        """The child's exit status once it has ended (``-signal`` if killed), else None.

        Does not reap the child: while it is a zombie its pid, which is also its
        process group's id, cannot be reused, so :meth:`kill` can always signal the
        group safely. Under bubblewrap a status above 128 is the child's signal.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
            except ChildProcessError:  # already reaped
                code = self.proc.returncode
                break
            if info is not None and info.si_pid == self.proc.pid:
                code = info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
                break
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.005)
        if code is not None and self.isolation.engine == "bubblewrap" and 128 < code < 128 + 65:
            code = -(code - 128)
        return code

    def kill(self) -> None:
        """Kill the child and everything it started, then reap it.

        Under bubblewrap, killing bwrap ends its pid namespace and so every process
        in it; for the process sandbox, its whole process group.
        """
        if self.proc.returncode is None:  # not reaped yet, so the group id is still ours
            try:
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
        try:
            self.output.close()
        except OSError:
            pass

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


# ---------------------------------------------------------------- a submission


class _Session:
    def __init__(
        self,
        submission: bytes,
        name: str,
        runs: list[TestRun],
        options: SandboxOptions,
        isolation: Isolation,
        unavailable: tuple[str, ...],
    ) -> None:
        self.runs = runs
        self.options = options
        self.isolation = isolation
        self.unavailable = unavailable
        self.name = name
        self.memory_mb = max([r.memory_mb for r in runs] + [256])
        budget = options.wall_time_limit
        if budget is None:
            budget = options.load_time_limit + sum(r.time_limit + options.grace for r in runs) + options.startup_timeout
        self.budget = float(budget)
        self.deadline = time.monotonic() + self.budget
        self.cpu_seconds = self.budget + 5
        self.submission_fd = _anonymous_copy(submission)
        self.workdir: Path | None = None
        if isolation.engine == "process":
            self.workdir = Path(tempfile.mkdtemp(prefix="bpc-grade-"))
            if isolation.switch_user:
                os.chown(self.workdir, *isolation.switch_user)
        self.skipped: dict[int, str] = {}
        self.program: dict[str, Any] | None = None
        self.load_deadline: float | None = None  # set when the first child is ready: startup has its own limit
        self.seq = 0

    def _child(self) -> _Child:
        return _Child(
            self.isolation,
            self.workdir,
            self.options,
            self.memory_mb,
            self.cpu_seconds,
            self.submission_fd,
            self.unavailable,
        )

    def start(self) -> tuple[_Child | None, LoadReport]:
        """A child with the submission parsed and loaded, skipping statements that kill or hang it."""
        report = LoadReport()
        for _ in range(self.options.max_restarts):
            if self.load_deadline is not None and time.monotonic() >= min(self.load_deadline, self.deadline):
                return None, self._load_budget_report()
            try:
                child = self._child()
            except OSError as err:
                return None, LoadReport(started=False, detail=f"the grader could not start Python: {err}")
            try:
                child.wait_ready(min(time.monotonic() + self.options.startup_timeout, self.deadline))
            except (_ChildGone, _Timeout):
                detail = "it exited" if child.exit_status(0.5) is not None else "it did not start in time"
                log = child.read_output()[0].strip().splitlines()[-3:]
                child.kill()
                detail += (": " + " | ".join(log)) if log else ""
                return None, LoadReport(started=False, detail=f"the sandbox process did not start ({detail})")
            if self.load_deadline is None:
                self.load_deadline = time.monotonic() + self.options.load_time_limit
            load_deadline = min(self.load_deadline, self.deadline)
            current: int | None = None
            limit = self.options.statement_time_limit + self.options.grace
            reason = ""
            try:
                child.send(
                    {
                        "cmd": "load",
                        "name": self.name,
                        "skip": sorted(self.skipped),
                        "statement_time_limit": self.options.statement_time_limit,
                    },
                    load_deadline,
                )
                deadline = min(time.monotonic() + limit, load_deadline)
                while True:
                    msg = child.receive(deadline)
                    event = msg["event"]
                    if event == "parsed" and self.program is None:
                        # Made before any student code ran in this child: the parser's own reading.
                        self.program = msg.get("program") if isinstance(msg.get("program"), dict) else None
                    elif event == "unreadable":
                        child.kill()
                        return None, LoadReport(started=False, unreadable=str(msg.get("message", ""))[:1000])
                    elif event == "statement":
                        current = int(msg["index"])
                        deadline = min(time.monotonic() + limit, load_deadline)
                    elif event == "loaded":
                        report.failures = {int(k): v for k, v in dict(msg.get("failures", {})).items()}
                        report.names = {str(k): str(v) for k, v in dict(msg.get("names", {})).items()}
                        report.unblocked = [str(x)[:200] for x in list(msg.get("unblocked", []))[:50]]
                        report.skipped = dict(self.skipped)
                        report.output = child.read_output()[0]
                        report.program = self.program
                        return child, report
            except _Timeout:
                if time.monotonic() >= load_deadline - 1e-3:
                    child.kill()
                    if self.program is None:
                        return None, LoadReport(
                            started=False,
                            unreadable=f"reading it took longer than the {self.options.load_time_limit:g} s allowed "
                            "(is it enormous?)",
                        )
                    out = self._load_budget_report()
                    out.program = self.program
                    return None, out
                reason = f"did not finish within {self.options.statement_time_limit:g} s"
                child.kill()
            except (_ChildGone, ValueError, KeyError, TypeError):
                reason = f"ended the grader's process ({short_exit(child.exit_status(2.0))})"
                child.kill()
            if self.program is None:
                return None, LoadReport(started=False, unreadable=f"the grader's reader of your file {reason}")
            if current is None or current in self.skipped:
                return None, LoadReport(
                    started=False, detail=f"loading the submission failed: {reason}", program=self.program
                )
            self.skipped[current] = reason
        return None, LoadReport(
            started=False, detail="loading the submission failed: too many restarts", program=self.program
        )

    def _load_budget_report(self) -> LoadReport:
        return LoadReport(
            started=False,
            detail=f"loading the submission took longer than the {self.options.load_time_limit:g} s allowed "
            "in total (slow code at the top level of the notebook?)",
            program=self.program,
            budget_exceeded=True,
        )

    def run(self, child: _Child, run: TestRun) -> RunOutcome:
        self.seq += 1
        seq = self.seq
        started = time.monotonic()
        outcome = RunOutcome(kind="answer")
        deadline = min(started + run.time_limit + self.options.grace, self.deadline)
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
                deadline,
            )
            while True:
                msg = child.receive(deadline)
                if msg.get("event") == "result" and msg.get("seq") == seq and isinstance(msg.get("result"), dict):
                    outcome.result = msg["result"]
                    break
        except _Timeout:
            outcome.output, outcome.output_bytes = child.read_output()
            child.kill()
            outcome.kind = "timeout"
            if time.monotonic() >= self.deadline - 1e-3 and deadline == self.deadline:
                outcome.detail = f"used up the submission's total time budget of {self.budget:g} s"
            else:
                outcome.detail = f"did not finish within the time limit of {run.time_limit:g} s; the grader stopped it"
        except _ChildGone as err:
            outcome.output, outcome.output_bytes = child.read_output()
            outcome.kind = "died"
            outcome.detail = str(err) if err.args else child.death()
            child.kill()
        else:
            outcome.output, outcome.output_bytes = child.read_output()
        outcome.seconds = time.monotonic() - started
        outcome.output_limit = outcome.output_bytes >= self.options.output_limit_bytes
        return outcome

    def cleanup(self) -> None:
        try:
            os.close(self.submission_fd)
        except OSError:
            pass
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _anonymous_copy(data: bytes) -> int:
    """A read-only-for-the-child file descriptor holding ``data``, with no name anywhere."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("submission", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    else:  # pragma: no cover - not Linux
        with tempfile.TemporaryFile() as f:
            fd = os.dup(f.fileno())
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    if hasattr(os, "memfd_create"):
        import fcntl

        # Sealed: nobody, the child included, can change or grow it from now on.
        fcntl.fcntl(
            fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL
        )
    os.lseek(fd, 0, os.SEEK_SET)  # for a reader that reads rather than preads (bwrap --args)
    return fd


def run_submission(
    submission: bytes,
    name: str,
    runs: list[TestRun],
    options: SandboxOptions | None = None,
    *,
    unavailable: tuple[str, ...] = (),
    isolation: Isolation | None = None,
) -> tuple[LoadReport, list[RunOutcome]]:
    """Parse and load the submission (its bytes, and its file name) in a child, then run each test.

    ``unavailable`` names library objects that raise "not available while grading"
    in the child (see :attr:`.specs.Assignment.unavailable_while_grading`).

    Returns the load report and one :class:`RunOutcome` per run, in order. Never
    raises because of what the submission does.

    Raises:
        SandboxUnavailable: bubblewrap is required by ``options`` and cannot run.
    """
    options = options or SandboxOptions()
    isolation = isolation or resolve_isolation(options)
    session = _Session(submission, name, runs, options, isolation, tuple(unavailable))
    outcomes: list[RunOutcome] = []
    child: _Child | None = None
    report = LoadReport(started=False, detail="no test was run")
    first = True
    try:
        for run in runs:
            if time.monotonic() >= session.deadline:
                outcomes.append(
                    RunOutcome(kind="budget", detail=f"the submission's total time budget of {session.budget:g} s")
                )
                continue
            if child is None:
                child, report_now = session.start()
                if first or report.started is False:
                    report = report_now
                first = False
                if child is None:
                    if report_now.unreadable:
                        report = report_now
                        outcomes.extend(RunOutcome(kind="broken", detail="") for _ in runs[len(outcomes) :])
                        break
                    outcomes.append(RunOutcome(kind="broken", detail=report_now.detail))
                    continue
            outcome = session.run(child, run)
            outcomes.append(outcome)
            restart = outcome.kind != "answer" or options.isolation == "test"
            if outcome.result and outcome.result.get("memory_error"):
                restart = True  # the bomb may still hold memory that later tests would need
            if restart:
                child.kill()
                child = None
    finally:
        if child is not None:
            child.close()
        session.cleanup()
    if report.program is None:
        report.program = session.program
    return report, outcomes
