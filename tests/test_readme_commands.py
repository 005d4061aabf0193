"""The README's two set-up commands: what they say, that CI runs command 2 verbatim, and that
command 1's JupyterLab serves the whole repository.

A new reader pastes these on a fresh machine where the only Python is the system's ``python3``
(no ``python`` command) and pip refuses to install outside a virtual environment (PEP 668).
So each command must create ``.venv`` itself and call ``.venv/bin/python``, never a bare
``python``/``pip``/``jupyter``. The full paste as a non-root user is
``.ci/readme_as_student.sh`` (opt-in: it adds a user and installs everything).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
sys.path.insert(0, str(ROOT / ".ci"))
from readme_command import readme_command  # noqa: E402

sys.path.pop(0)

COMMAND_1 = readme_command(1)
COMMAND_2 = readme_command(2)
VENV_PYTHON = ".venv/bin/python"


def steps(command: str) -> list[list[str]]:
    """The ``&&``-separated steps of a one-line command, each split as the shell would."""
    return [shlex.split(step) for step in command.split("&&")]


@pytest.mark.parametrize("command", [COMMAND_1, COMMAND_2], ids=["command 1", "command 2"])
def test_command_creates_its_own_venv_and_uses_only_its_python(command):
    first, *rest = steps(command)
    assert first == ["python3", "-m", "venv", ".venv"], "creates .venv with python3 (there may be no `python`)"
    assert rest, "the command must go on to use the environment it made"
    for step in rest:
        assert step[0] == VENV_PYTHON and step[1] == "-m", f"{step}: run tools as {VENV_PYTHON} -m ..."
    programs = [step[0] for step in steps(command)]
    for bare in ("python", "pip", "pip3", "jupyter", "pytest"):
        assert bare not in programs, f"a bare `{bare}` may not exist (or be the system's): use {VENV_PYTHON} -m"


def test_command_1_installs_jupyter_and_opens_00_with_the_repository_as_root():
    _, install, lab = steps(COMMAND_1)
    assert install == [VENV_PYTHON, "-m", "pip", "install", "-e", ".[jupyter]"]
    assert lab[:4] == [VENV_PYTHON, "-m", "jupyter", "lab"]
    # a notebook path alone would make its folder (notebooks/) the root, hiding exercises/
    assert "--notebook-dir=." in lab[4:], "the server's root must be the clone, so exercises/ is reachable"
    opened = [a for a in lab[4:] if not a.startswith("-")]
    assert opened == ["notebooks/00_start_here.ipynb"]
    assert (ROOT / opened[0]).is_file()


def test_command_2_installs_the_test_extra_and_runs_pytest():
    _, install, run = steps(COMMAND_2)
    assert install == [VENV_PYTHON, "-m", "pip", "install", "-e", ".[test]"]
    assert run == [VENV_PYTHON, "-m", "pytest"]


def test_windows_commands_are_the_same_with_py_and_scripts():
    for command in (COMMAND_1, COMMAND_2):
        windows = command.replace("python3 -m venv", "py -m venv").replace(VENV_PYTHON, r".venv\Scripts\python")
        assert windows in README, f"the README's Windows line for {command!r} is missing or differs:\n{windows}"


def test_readme_says_what_to_do_without_venv():
    assert "apt install python3-venv" in README


def test_ci_runs_command_2_verbatim_from_the_readme():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    live = [line.strip() for line in ci.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert 'README_COMMAND_2="$(python3 .ci/readme_command.py 2)"' in live
    assert 'eval "$README_COMMAND_2"' in live
    # nothing else installs the test extra or runs the whole suite behind the README's back
    assert not any('".[test]"' in line for line in live), "CI must not install the test extra its own way"
    assert live.index('eval "$README_COMMAND_2"') < min(i for i, line in enumerate(live) if "ruff check" in line)


def test_readme_command_reader_rejects_a_missing_or_multi_line_block():
    with pytest.raises(LookupError, match="no ```bash block"):
        readme_command(3)
    with pytest.raises(LookupError, match="must be one line"):
        readme_command(1, "<!-- command 1 -->\n```bash\npython3 -m venv .venv &&\n  more\n```\n")


def _ignored(path: str) -> bool:
    result = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT, check=False)
    return result.returncode == 0


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_gitignore_covers_every_folder_the_readme_tells_people_to_create():
    outputs = re.findall(r"backprop-course \S+(?: [^`\n#]*?)? -o (\S+)", README)
    outputs += ["_build/site/index.html", ".venv/bin/python", ".ci-venv/bin/python"]
    assert len(outputs) >= 5, outputs
    for output in outputs:
        target = output.rstrip("/") + ("/x" if not output.endswith((".zip", ".html", "python")) else "")
        assert _ignored(target), f"{output} (which the README writes) is not covered by .gitignore"
    assert not _ignored("notebooks/00_start_here.ipynb") and not _ignored("backprop_course/engine.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_command_1_serves_the_lectures_and_the_homework(tmp_path):
    """Command 1's last step, with this interpreter instead of .venv's: both folders are reachable."""
    pytest.importorskip("jupyterlab", reason="command 1 needs JupyterLab (the jupyter and test extras)")
    lab = steps(COMMAND_1)[-1]
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, *lab[1:], "--no-browser", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # as the README says for root
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(
        JUPYTER_PORT=str(port),
        JUPYTER_TOKEN=token,
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
    )
    log_path = tmp_path / "lab.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not answer within 60 s:\n" + log_path.read_text(errors="replace"))
                time.sleep(0.5)
        for path in ("notebooks/00_start_here.ipynb", "exercises/hw1_local_gradients.ipynb"):
            with urllib.request.urlopen(f"{base}/api/contents/{path}?content=0&token={token}", timeout=10) as r:
                model = json.load(r)
            assert (model["type"], model["path"]) == ("notebook", path)
        with urllib.request.urlopen(f"{base}/api/contents?content=1&token={token}", timeout=10) as r:
            top = {item["name"] for item in json.load(r)["content"]}
        assert {"notebooks", "exercises", "README.md"} <= top, "the server's root is the clone"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_licence_metadata_is_pep_639():
    project = _pyproject()["project"]
    assert project["license"] == "MIT", "an SPDX expression, not the deprecated {text = ...} table"
    assert project["license-files"] == ["LICENSE"] and (ROOT / "LICENSE").is_file()
    requires = _pyproject()["build-system"]["requires"]
    assert requires == ["setuptools>=77"], "setuptools understands PEP 639 licence metadata from 77.0"


def test_offline_extra_is_installed_with_the_test_extra():
    extras = _pyproject()["project"]["optional-dependencies"]
    assert extras["offline"] and set(extras["offline"]) <= set(extras["test"])


def test_building_the_package_prints_no_deprecation_warning(tmp_path):
    """What command 1 and 2 do first: pip builds the package (in isolation, with setuptools>=77)."""
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-w", str(tmp_path), str(ROOT)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    if result.returncode != 0 and re.search(
        r"No matching distribution|Could not find a version|connection", output, re.I
    ):
        pytest.skip("pip could not fetch setuptools>=77 for the isolated build (no package index reachable)")
    assert result.returncode == 0, output
    assert not re.search(r"deprecat", output, re.IGNORECASE), output
    (wheel,) = tmp_path.glob("backprop_course-*.whl")
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata and "License-File: LICENSE" in metadata
