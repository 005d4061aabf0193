#!/usr/bin/env bash
# The README's two set-up commands, pasted as a new student would: a normal (non-root) user,
# only the system's python3 on PATH=/usr/bin:/bin (on Debian: externally managed, PEP 668),
# in a fresh clone in that user's home. Command 1 must serve JupyterLab with the repository as its
# root (notebooks/00_start_here.ipynb and exercises/hw1_local_gradients.ipynb both reachable
# through the REST API); command 2 must install the test extra and pass.
#
# Needs root (to add the user) and the network to the package index pip is configured with.
# Opt-in from .ci/run with BACKPROP_COURSE_README_AS_STUDENT=1, or run by hand:
#     sudo bash .ci/readme_as_student.sh
# Environment:
#     BACKPROP_COURSE_STUDENT            user name (default backprop-student; created if missing)
#     BACKPROP_COURSE_README_PYTEST_ARGS extra pytest arguments for command 2 (e.g. "-k slides"),
#                                        appended to the README's command; default none (everything)
#     BACKPROP_COURSE_README_SKIP        "1" or "2" to skip that command
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
STUDENT="${BACKPROP_COURSE_STUDENT:-backprop-student}"
if [ "$(id -u)" -ne 0 ]; then
    echo "error: run as root (it adds the user $STUDENT and runs the commands as that user)" >&2
    exit 2
fi
if ! /usr/bin/python3 -c "import ensurepip, venv" 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv  # the one line the README tells students
fi
id -u "$STUDENT" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$STUDENT"
STUDENT_HOME="$(getent passwd "$STUDENT" | cut -d: -f6)"
CLONE="$STUDENT_HOME/backprop-course"
rm -rf "$CLONE"
git clone --quiet --no-local "$REPO" "$CLONE"  # what is committed, as a reader's clone would be
chown -R "$STUDENT:" "$CLONE"
COMMAND_1="$(python3 "$REPO/.ci/readme_command.py" 1)"
COMMAND_2="$(python3 "$REPO/.ci/readme_command.py" 2)"

as_student() {  # a login-like, minimal environment: no variables of this shell leak in
    runuser -u "$STUDENT" -- env -i HOME="$STUDENT_HOME" USER="$STUDENT" LOGNAME="$STUDENT" \
        PATH=/usr/bin:/bin LANG=C.UTF-8 TERM=dumb "$@"
}

echo "student: $STUDENT, clone: $CLONE, python3: $(as_student python3 --version)"
if ls /usr/lib/python3*/EXTERNALLY-MANAGED >/dev/null 2>&1; then
    echo "the system python3 is externally managed (PEP 668): plain pip install would be refused"
fi

if [ "${BACKPROP_COURSE_README_SKIP:-}" != "1" ]; then
    echo "+ $COMMAND_1"
    PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    TOKEN="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    LOG="$STUDENT_HOME/readme-command-1.log"
    # JUPYTER_PORT/JUPYTER_TOKEN only fix where to knock; the command itself is the README's.
    # setsid: a process group of its own (led by $SERVER), so stopping it stops JupyterLab too
    setsid runuser -u "$STUDENT" -- env -i HOME="$STUDENT_HOME" USER="$STUDENT" LOGNAME="$STUDENT" \
        PATH=/usr/bin:/bin LANG=C.UTF-8 TERM=dumb JUPYTER_PORT="$PORT" JUPYTER_TOKEN="$TOKEN" \
        bash -c "cd '$CLONE' && $COMMAND_1" >"$LOG" 2>&1 &
    SERVER=$!
    stop_server() { kill -TERM -- "-$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
    trap stop_server EXIT
    python3 - "$PORT" "$TOKEN" "$LOG" <<'PY'
import json, sys, time, urllib.request
port, token, log = sys.argv[1:]
base = f"http://127.0.0.1:{port}"
deadline = time.monotonic() + 900  # the install comes first
while True:
    try:
        with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
            break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("JupyterLab did not answer within 15 minutes; log:\n" + open(log).read()[-3000:])
        time.sleep(2)
for path in ("notebooks/00_start_here.ipynb", "exercises/hw1_local_gradients.ipynb"):
    url = f"{base}/api/contents/{path}?content=0&token={token}"
    with urllib.request.urlopen(url, timeout=10) as response:
        model = json.load(response)
    assert model["type"] == "notebook" and model["path"] == path, model
    print(f"command 1: JupyterLab serves {path}")
PY
    stop_server
    trap - EXIT
    echo "command 1: OK"
fi

if [ "${BACKPROP_COURSE_README_SKIP:-}" != "2" ]; then
    EXTRA="${BACKPROP_COURSE_README_PYTEST_ARGS:-}"
    echo "+ $COMMAND_2 $EXTRA"
    as_student bash -c "cd '$CLONE' && $COMMAND_2 $EXTRA"
    echo "command 2: OK"
fi
