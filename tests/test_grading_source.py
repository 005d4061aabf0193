"""The grader's reading of submissions: which statements run, and recovery from broken input."""

from __future__ import annotations

import json
import os

import pytest

from backprop_course.grading.source import (
    MAX_CODE_BYTES,
    MAX_SUBMISSION_BYTES,
    MAX_SUMMARY_ITEMS,
    Program,
    SubmissionUnreadable,
    program_from_bytes,
    program_from_notebook,
    program_from_source,
    read_submission,
)


def kept(program) -> list[str]:
    return [s.source for s in program.statements]


def notebook(*cells: tuple[str, str]) -> bytes:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": src, **({"outputs": []} if kind == "code" else {})}
                for kind, src in cells
            ],
        }
    ).encode()


def test_only_definitions_are_kept():
    src = (
        "import math\n"
        "from os import path as p\n"
        "EPS = 1e-12\n"
        "SIGN = -1\n"
        "OPS = {'add': lambda a, b: a + b}\n"
        "rng = np.random.default_rng(0)\n"
        "np.allclose = lambda *a: True\n"
        "print('hello')\n"
        "for i in range(3):\n    pass\n"
        "def f(x):\n    return x\n"
        "class C:\n    pass\n"
        "try:\n    import torch\nexcept ImportError:\n    torch = None\n"
        "while True:\n    pass\n"
    )
    program = program_from_source([("s.py", src)], "s.py")
    assert kept(program) == [
        "import math",
        "from os import path as p",
        "EPS = 1e-12",
        "SIGN = -1",
        "OPS = {'add': lambda a, b: a + b}",
        "def f(x):\n    return x",
        "class C:\n    pass",
        "try:\n    import torch\nexcept ImportError:\n    torch = None",
    ]
    ignored = [code for _, code in program.ignored]
    assert ignored == [
        "rng = np.random.default_rng(0)",
        "np.allclose = lambda *a: True",
        "print('hello')",
        "for i in range(3):",
        "while True:",
    ]
    assert "rng" in program.ignored_names


def test_statements_sharing_a_line_are_separated_and_decorators_kept():
    src = "import math; print('side effect')\n@staticmethod\ndef g():\n    return 1\n"
    program = program_from_source([("s.py", src)], "s.py")
    assert kept(program) == ["import math", "@staticmethod\ndef g():\n    return 1"]
    assert program.statements[1].lineno == 2
    assert program.ignored == [("s.py, line 1", "print('side effect')")]


def test_line_magics_and_shell_escapes_are_neutralised():
    cell = "%matplotlib inline\n!pip install foo\nfiles = !ls\nnp.tanh?\ndef f(x):\n    return 2 * x\n"
    program = program_from_source([("cell 1", cell)], "nb")
    assert kept(program) == ["files = None", "def f(x):\n    return 2 * x"]
    assert program.statements[1].lineno == 5  # line numbers are those of the cell


def test_python_cell_magic_keeps_its_body_and_other_cell_magics_drop_the_cell():
    program = program_from_source(
        [("cell 1", "%%time\ndef f():\n    return 1\n"), ("cell 2", "%%bash\necho def g():\n")], "nb"
    )
    assert [s.names for s in program.statements] == [("f",)]
    assert program.dropped_cells == ["cell 2 (%%bash cell)"]


def test_a_syntax_error_costs_only_the_broken_function():
    src = (
        "def good_one(x):\n    return x\n\n"
        "def broken(x):\n    return (x\n\n"
        "def good_two(x):\n"
        '    """A docstring with a line\nat column zero."""\n'
        "    return x\n"
    )
    program = program_from_source([("s.py", src)], "s.py")
    assert sorted(program.defined_names()) == ["good_one", "good_two"]
    (problem,) = program.syntax_problems
    assert problem.functions == ("broken",)
    assert problem.where.startswith("s.py, line ")
    assert "broken" in str(problem) and "not graded" in str(problem)


def test_notebook_cells_code_markdown_and_raw():
    raw = notebook(
        ("markdown", "# Title\n\ndef in_markdown(a):\n    return a"),
        ("code", ["def f(x):\n", "    return x\n"]),
        ("raw", "def in_raw():\n    pass"),
        ("code", "import numpy as np"),
    )
    program = program_from_notebook(raw, "nb.ipynb")
    assert [s.names for s in program.statements] == [("f",), ("np",)]
    assert [s.filename for s in program.statements] == ["cell 2", "cell 4"]
    assert program.defs_in_text_cells == {"in_markdown": "markdown cell 1", "in_raw": "raw cell 3"}


def test_nbformat_3_notebooks_are_read():
    raw = json.dumps(
        {"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "input": "def f():\n    return 3"}]}]}
    ).encode()
    assert [s.names for s in program_from_notebook(raw, "old.ipynb").statements] == [("f",)]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.ipynb", b'{"cells": [', "JSON is broken at line 1"),
        ("a.ipynb", b"[1, 2]", "not a notebook"),
        ("a.ipynb", b"\xff\xfe\x00garbage", "not a text file"),
        ("a.txt", b"def f(): pass", "reads .ipynb notebooks and .py files"),
        ("a.py", b"   \n\n", "contains no code"),
    ],
)
def test_unreadable_submissions_say_why(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SubmissionUnreadable, match=message):
        read_submission(path)


def test_a_python_file_with_a_coding_line_is_decoded(tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes("# -*- coding: latin-1 -*-\ndef f():\n    return 'caf\xe9'\n".encode("latin-1"))
    program = read_submission(path)
    assert "café" in program.statements[0].source


def test_the_summary_sent_by_the_sandbox_keeps_what_the_grader_reports():
    src = "def f(x):\n    return x\n" + "print(1)\n" * 300 + "def broken(:\n    pass\n"
    program = program_from_source([("s.py", src)], "s.py")
    back = Program.from_summary(json.loads(json.dumps(program.summary())))
    assert [(s.where, s.names) for s in back.statements] == [(s.where, s.names) for s in program.statements]
    assert back.statements[0].source == ""  # the code itself stays in the sandbox
    assert len(back.ignored) == MAX_SUMMARY_ITEMS and back.ignored_total == 300  # cut short, counted
    assert [str(p) for p in back.syntax_problems] == [str(p) for p in program.syntax_problems]


def test_program_from_bytes_refuses_too_much_code():
    raw = ("def f():\n    return 1\n" * (MAX_CODE_BYTES // 20)).encode()
    with pytest.raises(SubmissionUnreadable, match="MB of code"):
        program_from_bytes(raw, "big.py")


@pytest.mark.parametrize("kind", ["symlink", "fifo", "device", "folder", "too large", "big .py"])
def test_the_grader_reads_submission_files_defensively(tmp_path, kind):
    """No symlink is followed, a FIFO does not block, only regular files of a sane size are read."""
    from backprop_course.grading.grader import read_submission_file

    path = tmp_path / ("x.ipynb" if kind in ("fifo", "too large") else "x.py")
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET = 1\n")
    message = {
        "symlink": "is a symbolic link",
        "fifo": "is a FIFO",
        "device": "is a symbolic link",
        "folder": "is a folder",
        "too large": "more than the 50 MB",
        "big .py": "MB of code",
    }[kind]
    if kind == "symlink":
        os.symlink(secret, path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        os.symlink("/dev/zero", path)
    elif kind == "folder":
        path.mkdir()
    else:
        with open(path, "wb") as f:  # sparse: no disk used
            f.truncate(MAX_SUBMISSION_BYTES + 1 if kind == "too large" else MAX_CODE_BYTES + 1)
    with pytest.raises(SubmissionUnreadable, match=message):
        read_submission_file(path)
