"""The homework notebooks: the exercise generator, exercises/ in sync, the stubs keep the contract.

The solution notebooks themselves run under nbval (pytest collects solutions/);
exercises/ has no outputs to compare, so here each exercise notebook is executed
and every error it raises must be the stubs' NotImplementedError.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from backprop_course import cli
from backprop_course.authoring import exercises
from backprop_course.authoring.exercises import SolutionMarkerError, make_exercise, stale_exercises, strip_solutions

ROOT = Path(__file__).resolve().parents[1]

#: the functions the grader calls, with their parameters (the contract with backprop_course.grading)
CONTRACT = {
    "hw1_local_gradients.ipynb": {
        "add_backward": ["a", "b", "out", "dout"],
        "mul_backward": ["a", "b", "out", "dout"],
        "div_backward": ["a", "b", "out", "dout"],
        "pow_backward": ["a", "n", "out", "dout"],
        "exp_backward": ["a", "out", "dout"],
        "log_backward": ["a", "out", "dout"],
        "tanh_backward": ["a", "out", "dout"],
        "sigmoid_backward": ["a", "out", "dout"],
        "relu_backward": ["a", "out", "dout"],
    },
    "hw2_backward_pass.ipynb": {
        "topological_sort": ["root"],
        "backward": ["root"],
        "train_xor": ["steps", "lr", "seed"],
    },
    "hw4_micrograd_from_scratch.ipynb": {
        "train_moons": ["steps", "lr", "seed"],
    },
    "hw3_matrix_backprop.ipynb": {
        "linear_backward": ["dout", "cache"],
        "relu_backward": ["dout", "cache"],
        "tanh_backward": ["dout", "cache"],
        "sigmoid_backward": ["dout", "cache"],
        "softmax_cross_entropy_backward": ["dloss", "cache"],
        "two_layer_backward": ["X", "y", "W1", "b1", "W2", "b2"],
    },
}


def read(folder: str, name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / folder / name, as_version=4)


def without_magics(source: str) -> str:
    """``source`` with each IPython magic or shell line replaced by ``pass`` at the same indentation."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        lines.append(line[: len(line) - len(stripped)] + "pass" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


def functions(nb: nbformat.NotebookNode) -> dict[str, ast.FunctionDef]:
    """Top-level functions defined in the notebook's code cells (magics skipped)."""
    found = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(without_magics(cell.source)).body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = node
    return found


def raises_not_implemented(fn: ast.FunctionDef) -> bool:
    return any(
        isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and getattr(node.exc.func, "id", None) == "NotImplementedError"
        for node in ast.walk(fn)
    )


# ------------------------------------------------------------------------- strip_solutions


def test_region_becomes_stub_at_its_indentation_naming_the_function():
    source = (
        "def f(x):\n"
        '    """Doc."""\n'
        "    y = 2\n"
        "    ### BEGIN SOLUTION\n"
        "    z = x * y\n"
        "    ### END SOLUTION\n"
        "    return z\n"
        "\n"
        "\n"
        "def g():\n"
        "    for i in range(3):\n"
        "        ### BEGIN SOLUTION\n"
        "        print(i)\n"
        "        ### END SOLUTION\n"
        "\n"
        "\n"
        "### BEGIN SOLUTION\n"
        "answer = 42\n"
        "### END SOLUTION\n"
    )
    stubbed, regions = strip_solutions(source)
    assert regions == 3
    assert stubbed == (
        "def f(x):\n"
        '    """Doc."""\n'
        "    y = 2\n"
        '    raise NotImplementedError("f: replace this line with your solution")\n'
        "    return z\n"
        "\n"
        "\n"
        "def g():\n"
        "    for i in range(3):\n"
        '        raise NotImplementedError("g: replace this line with your solution")\n'
        "\n"
        "\n"
        'raise NotImplementedError("Replace this line with your solution")\n'
    )


def test_region_in_a_method_names_the_innermost_function():
    source = "class A:\n    def m(self):\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n"
    stubbed, _ = strip_solutions(source)
    assert 'raise NotImplementedError("m: replace' in stubbed


def test_source_without_regions_is_unchanged():
    source = "x = 1\n# ### BEGIN SOLUTION in a comment is not a marker line\n"
    assert strip_solutions(source) == (source, 0)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("### BEGIN SOLUTION\nx = 1\n", "line 1: '### BEGIN SOLUTION' is never closed"),
        ("x = 1\n### END SOLUTION\n", "line 2: '### END SOLUTION' without a '### BEGIN SOLUTION'"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "line 2: '### BEGIN SOLUTION' inside the region opened at line 1"),
        ("def f():\n    ### BEGIN SOLUTION\n    pass\n### END SOLUTION\n", "line 4: '### END SOLUTION' is indented"),
    ],
)
def test_malformed_regions_are_reported_with_their_line(source, message):
    with pytest.raises(SolutionMarkerError, match="^cell 3, " + message.replace("(", r"\(").replace(")", r"\)")):
        strip_solutions(source, where="cell 3")


# ---------------------------------------------------------------------------- make_exercise


def tiny_solution() -> nbformat.NotebookNode:
    code = new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION")
    code.execution_count = 3
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    code.metadata = {"tags": ["exercise"], "execution": {"iopub.execute_input": "2026-01-01T00:00:00Z"}}
    check = new_code_cell("selfcheck.check_answer('f(2)', f(2), 4)", metadata={"tags": ["selfcheck"]})
    nb = new_notebook(cells=[new_markdown_cell("# T"), code, check])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def test_make_exercise_clears_outputs_keeps_tags_and_leaves_the_solution_alone():
    solution = tiny_solution()
    before = nbformat.writes(solution)
    exercise = make_exercise(solution, "tiny.ipynb")
    assert nbformat.writes(solution) == before
    code, check = exercise.cells[1], exercise.cells[2]
    assert code.source == 'def f(x):\n    raise NotImplementedError("f: replace this line with your solution")'
    assert code.outputs == [] and code.execution_count is None
    assert code.metadata == {"tags": ["exercise"]}  # run-time timestamps dropped
    assert check.metadata == {"tags": ["selfcheck"]}
    assert [c.id for c in exercise.cells] == [c.id for c in solution.cells]
    assert exercise.metadata == solution.metadata


def test_make_exercise_refuses_markdown_markers_and_notebooks_without_regions():
    nb = tiny_solution()
    nb.cells[0].source = "### BEGIN SOLUTION\nthe answer\n### END SOLUTION"
    with pytest.raises(SolutionMarkerError, match="tiny.ipynb, cell 0: solution markers in a markdown cell"):
        make_exercise(nb, "tiny.ipynb")
    nb = tiny_solution()
    nb.cells[1].source = "def f(x):\n    return 2 * x"
    with pytest.raises(SolutionMarkerError, match="no '### BEGIN SOLUTION' region"):
        make_exercise(nb, "tiny.ipynb")


def test_cli_writes_checks_and_reports_stale_exercises(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    nbformat.write(tiny_solution(), tmp_path / "solutions" / "hw9_tiny.ipynb")
    root = ["--root", str(tmp_path)]
    assert cli.main(["make-exercises", "--check", *root]) == 1
    assert "exercises/hw9_tiny.ipynb is missing" in capsys.readouterr().out
    assert cli.main(["make-exercises", *root]) == 0
    assert "wrote" in capsys.readouterr().out
    assert cli.main(["make-exercises", "--check", *root]) == 0
    assert cli.main(["make-exercises", *root]) == 0
    assert "already up to date" in capsys.readouterr().out
    # edit the solution without regenerating: the check notices
    nb = nbformat.read(tmp_path / "solutions" / "hw9_tiny.ipynb", as_version=4)
    nb.cells[0].source = "# Tiny, edited"
    nbformat.write(nb, tmp_path / "solutions" / "hw9_tiny.ipynb")
    assert cli.main(["make-exercises", "--check", *root]) == 1
    out = capsys.readouterr().out
    assert "exercises/hw9_tiny.ipynb differs from what solutions/hw9_tiny.ipynb generates" in out
    assert "run `backprop-course make-exercises`" in out
    # an exercise without a solution is reported too
    shutil.copy(tmp_path / "exercises" / "hw9_tiny.ipynb", tmp_path / "exercises" / "hw8_orphan.ipynb")
    assert "exercises/hw8_orphan.ipynb has no solutions/hw8_orphan.ipynb" in stale_exercises(tmp_path)


def test_cli_reports_a_malformed_solution_without_a_traceback(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    nb = tiny_solution()
    nb.cells[1].source = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x"
    nbformat.write(nb, tmp_path / "solutions" / "hw9_tiny.ipynb")
    assert exercises._run(cli.build_parser().parse_args(["make-exercises", "--root", str(tmp_path)])) == 1
    assert "error: hw9_tiny.ipynb, cell 1, line 2: '### BEGIN SOLUTION' is never closed" in capsys.readouterr().out


# ------------------------------------------------------------------- the course's homework


def test_exercises_are_up_to_date():
    assert stale_exercises(ROOT) == [], "run `backprop-course make-exercises` and commit exercises/"


def test_every_solution_has_an_exercise_and_the_contract_covers_them():
    solutions = sorted(p.name for p in (ROOT / "solutions").glob("hw*.ipynb"))
    assert solutions == sorted(CONTRACT)
    assert sorted(p.name for p in (ROOT / "exercises").glob("hw*.ipynb")) == solutions


def test_hw4_classes_are_stubs_with_their_docstring_in_the_exercise():
    """hw4's learner writes whole classes: the exercise keeps each class, its docstring and one stub method."""
    stubbed = {"Value": "__init__", "Module": "zero_grad", "Neuron": "__init__", "Layer": "__init__", "MLP": "__init__"}
    for folder in ("exercises", "solutions"):
        classes = {}
        for cell in read(folder, "hw4_micrograd_from_scratch.ipynb").cells:
            if cell.cell_type == "code":
                classes.update(
                    {n.name: n for n in ast.parse(without_magics(cell.source)).body if isinstance(n, ast.ClassDef)}
                )
        assert set(stubbed) <= set(classes), folder
        for name, method in stubbed.items():
            assert ast.get_docstring(classes[name]), f"{folder} {name} lost its docstring"
            methods = {m.name: m for m in classes[name].body if isinstance(m, ast.FunctionDef)}
            assert raises_not_implemented(methods[method]) is (folder == "exercises"), (folder, name, method)
        if folder == "exercises":
            assert set(methods_of(classes["Value"])) == {"__init__"}, "the exercise must not give away Value's methods"


def methods_of(cls: ast.ClassDef) -> list[str]:
    return [m.name for m in cls.body if isinstance(m, ast.FunctionDef)]


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_stubs_keep_every_contract_function_and_signature(name):
    exercise, solution = functions(read("exercises", name)), functions(read("solutions", name))
    for function, params in CONTRACT[name].items():
        for version, defs in (("exercise", exercise), ("solution", solution)):
            assert function in defs, f"{version} {name} lost {function}"
            assert [a.arg for a in defs[function].args.args] == params, f"{version} {function} changed its signature"
            assert ast.get_docstring(defs[function]), f"{version} {function} lost its docstring"
        assert raises_not_implemented(exercise[function]), f"exercise {function} is not a stub"
        assert not raises_not_implemented(solution[function]), f"solution {function} is still a stub"
    text = (ROOT / "exercises" / name).read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_each_exercise_is_followed_by_a_tagged_selfcheck_that_passes_in_the_solution(name):
    cells = [c for c in read("solutions", name).cells if c.cell_type == "code"]
    exercise_cells = [i for i, c in enumerate(cells) if "### BEGIN SOLUTION" in c.source]
    assert exercise_cells
    for i in exercise_cells:
        check = cells[i + 1]
        assert "selfcheck" in check.metadata.get("tags", []), f"no tagged self-check after:\n{cells[i].source[:200]}"
        assert "selfcheck.check_" in check.source
    for cell in cells:
        if "selfcheck" in cell.metadata.get("tags", []):
            text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            assert "✅" in text and "❌" not in text, f"stored self-check output is not a pass:\n{text}"


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_untouched_exercise_fails_only_with_not_implemented_error(name):
    from nbclient import NotebookClient

    nb = read("exercises", name)
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(ROOT / "exercises")}},
    )
    client.execute(env={**os.environ, "MPLBACKEND": "Agg"})
    errors = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                errors.append((index, output.ename, output.evalue))
    unexpected = [e for e in errors if e[1] != "NotImplementedError"]
    assert not unexpected, f"errors other than NotImplementedError: {unexpected}"
    selfchecks = [i for i, c in enumerate(nb.cells) if "selfcheck" in c.metadata.get("tags", [])]
    assert selfchecks
    failed = {i for i, _, _ in errors}
    assert set(selfchecks) <= failed, "a self-check cell ran without hitting a stub"
    for i, _, message in errors:
        if i in selfchecks:
            assert "replace this line with your solution" in message


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_solution_runs_as_a_plain_script_without_ipython_or_display(name, tmp_path):
    """What a grader importing the notebook does: run the code cells (magics dropped) in a fresh python."""
    cells = [c.source for c in read("solutions", name).cells if c.cell_type == "code"]
    script = "\n\n".join(without_magics(source) for source in cells)
    path = tmp_path / "solution.py"
    path.write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "❌" not in done.stdout
