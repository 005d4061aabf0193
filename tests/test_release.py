"""``backprop-course release``: the course without its solutions, and nothing of them leaking in.

The release of this course is built once; no file of it may hold the text of a solution
region of ``solutions/`` (the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION``),
the code of a lecture's reference answer, or the text of an answer block. A small course
made here checks each rule of the transformation case by case.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from backprop_course import cli
from backprop_course.authoring import release

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)\n[ \t]*### END SOLUTION", re.DOTALL)
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
DETAILS = re.compile(r"<details>\s*<summary>(.*?)</summary>(.*?)</details>", re.DOTALL | re.IGNORECASE)


def normalised(text: str) -> str:
    """Code with indentation, blank lines and comment lines removed, so re-indented copies still match."""
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("#"))


def solution_regions(root: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted((root / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                found += [(path.name, normalised(m.group(1))) for m in SOLUTION_REGION.finditer(cell.source)]
    return found


def answer_blocks(root: Path) -> list[tuple[str, str, str]]:
    """(notebook, summary, body) of every answer <details> block in notebooks/ and exercises/."""
    found = []
    for path in sorted((root / "notebooks").glob("*.ipynb")) + sorted((root / "exercises").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                for summary, body in DETAILS.findall(cell.source):
                    if "answer" in summary.lower():
                        found.append((path.name, summary.strip(), body))
    return found


def release_texts(out: Path) -> dict[str, str]:
    """Every notebook (all its cells' sources) and text file of a release, by relative path."""
    texts = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.suffix in {".ipynb", ".md", ".toml", ".txt"}:
            if path.suffix == ".ipynb":
                text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
            else:
                text = path.read_text(encoding="utf-8")
            texts[path.relative_to(out).as_posix()] = text
    return texts


def public_lines(root: Path) -> set[str]:
    """Every normalised line a student may see: notebooks/ and exercises/ without their answer blocks."""
    seen: set[str] = set()
    for path in sorted((root / "notebooks").glob("*.ipynb")) + sorted((root / "exercises").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            seen.update(
                normalised(
                    DETAILS.sub(lambda m: "" if "answer" in m.group(1).lower() else m.group(0), cell.source)
                ).splitlines()
            )
    return seen


def secret_lines(root: Path) -> list[tuple[str, str]]:
    """(where, line) for each line that only the solutions or the answer blocks hold.

    A line a student sees anyway (the stub's ``def`` line and docstring, which the reference
    answer repeats; a helper the lecture also shows) is not a secret.
    """
    public = public_lines(root)
    secrets: list[tuple[str, str]] = []
    for notebook, region in solution_regions(root):
        secrets += [(f"a solution region of solutions/{notebook}", line) for line in region.splitlines()]
    for notebook, summary, body in answer_blocks(root):
        secrets += [(f"a {summary!r} block of {notebook}", line) for line in normalised(body).splitlines()]
    return [(where, line) for where, line in secrets if line not in public and len(line) >= 8 and "```" not in line]


def leaks(out: Path, root: Path) -> list[str]:
    """What of the solutions and answers of the course at ``root`` is found in the release ``out``."""
    released = {name: set(normalised(text).splitlines()) for name, text in release_texts(out).items()}
    return [
        f"{name} holds a line of {where}: {line[:60]!r}"
        for where, line in secret_lines(root)
        for name, lines in released.items()
        if line in lines
    ]


@pytest.fixture(scope="module")
def course_release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "course"
    assert cli.main(["release", "--root", str(ROOT), "-o", str(out)]) == 0
    return out


def test_release_has_the_course_for_students_and_no_solutions(course_release):
    out = course_release
    assert not (out / "solutions").exists() and not (out / "tests").exists()
    lectures = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in (out / "notebooks").glob("*.ipynb")) == lectures
    homework = sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))
    assert sorted(p.name for p in (out / "exercises").glob("*.ipynb")) == homework
    assert (out / "backprop_course" / "engine.py").read_bytes() == (ROOT / "backprop_course" / "engine.py").read_bytes()
    assert not list(out.rglob("__pycache__"))
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "python3 -m venv .venv" in readme and "solutions/" in readme and "engine.py" in readme
    assert (out / "pyproject.toml").is_file() and (out / "LICENSE").is_file()
    solved = {p.name: p.read_bytes() for p in (ROOT / "solutions").glob("*.ipynb")}
    for path in out.rglob("*.ipynb"):
        assert path.read_bytes() != solved.get(path.name), f"{path} is a solved notebook"
        code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        assert not any("### BEGIN SOLUTION" in source for source in code), f"{path}: a solution region"


def test_nothing_of_the_solutions_or_answers_leaks_into_the_release(course_release):
    secrets = secret_lines(ROOT)
    assert any("solution region" in where for where, _ in secrets), "no secret lines: the check would prove nothing"
    assert any("block of" in where for where, _ in secrets)
    assert leaks(course_release, ROOT) == []


def test_the_leak_check_finds_a_solution_pasted_into_a_release(course_release, tmp_path):
    # the check above can fail: paste one solution region into a copy of the release
    copy = tmp_path / "copy"
    shutil.copytree(course_release, copy)
    secret = {line for where, line in secret_lines(ROOT) if "solution region" in where}
    _, region = next((n, r) for n, r in solution_regions(ROOT) if secret & set(r.splitlines()))
    path = copy / "exercises" / "hw1_local_gradients.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("def cheat():\n    " + region.replace("\n", "\n    ")))
    nbformat.write(nb, path)
    assert any("solution region" in leak for leak in leaks(copy, ROOT))


def test_answer_blocks_say_ask_your_instructor(course_release):
    before = answer_blocks(ROOT)
    after = answer_blocks(course_release)
    assert len(after) == len(before) > 0
    assert all(body.strip() == release.ASK_NOTE for _, _, body in after)


def small_course(root: Path) -> Path:
    """A course with one lecture holding each kind of <details> block, and one solved homework."""
    v4 = nbformat.v4
    (root / "backprop_course").mkdir(parents=True)
    (root / "backprop_course" / "__init__.py").write_text('"""library"""\n')
    (root / "notebooks").mkdir()
    (root / "notebooks" / "figure.txt").write_text("data a lecture links to\n")
    lecture = v4.new_notebook()
    lecture.cells = [
        v4.new_markdown_cell("# Lecture", id="title"),
        v4.new_code_cell("def double(x):\n    raise NotImplementedError('double')", id="ex"),
        v4.new_markdown_cell(
            "<details><summary>Reference answer</summary>\n\n```python\ndef double(x):\n"
            "    return x + x  # SECRET-REF\n```\n\n</details>",
            id="ref",
        ),
        v4.new_markdown_cell(
            "Intro text stays.\n\n<details><summary>For instructors</summary>\nSECRET-NOTE\n</details>\n\nOutro stays.",
            id="mixed",
        ),
        v4.new_markdown_cell("<details><summary>Hint</summary>\nA hint stays.\n</details>", id="hint"),
        v4.new_markdown_cell("<details><summary>Answers</summary>\n\n1. SECRET-UNDERSTANDING\n</details>", id="ans"),
    ]
    nbformat.write(lecture, root / "notebooks" / "01_lecture.ipynb")
    (root / "solutions").mkdir()
    solved = v4.new_notebook()
    solved.cells = [
        v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 42  # SECRET-SOL\n    ### END SOLUTION")
    ]
    nbformat.write(solved, root / "solutions" / "hw1.ipynb")
    (root / "README.md").write_text("<!-- command 1 -->\n```bash\npython3 -m venv .venv && echo hi\n```\n")
    return root


@pytest.mark.parametrize("answers", release.ANSWER_MODES)
def test_small_course_release_rules(tmp_path, answers):
    root = small_course(tmp_path / "course")
    out = tmp_path / "out"
    release.make_release(root, out, answers=answers)
    everything = "\n".join(release_texts(out).values())
    for secret in ("SECRET-REF", "SECRET-NOTE", "SECRET-UNDERSTANDING", "SECRET-SOL"):
        assert secret not in everything
    assert (out / "notebooks" / "figure.txt").read_text() == "data a lecture links to\n"
    cells = {c.id: c.source for c in nbformat.read(out / "notebooks" / "01_lecture.ipynb", as_version=4).cells}
    assert cells["title"] == "# Lecture" and "NotImplementedError" in cells["ex"]
    assert cells["mixed"] == "Intro text stays.\n\nOutro stays."
    assert cells["hint"] == "<details><summary>Hint</summary>\nA hint stays.\n</details>"
    if answers == "ask":
        for key, summary in (("ref", "Reference answer"), ("ans", "Answers")):
            assert cells[key] == f"<details><summary>{summary}</summary>\n\n{release.ASK_NOTE}\n\n</details>"
    else:
        assert "ref" not in cells and "ans" not in cells
    assert "python3 -m venv .venv && echo hi" in (out / "README.md").read_text()


def test_release_refuses_to_overwrite_what_it_did_not_write(tmp_path, capsys):
    root = small_course(tmp_path / "course")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "thesis.tex").write_text("precious")
    assert cli.main(["release", "--root", str(root), "-o", str(taken), "--force"]) == 1
    assert "not empty" in capsys.readouterr().err and (taken / "thesis.tex").read_text() == "precious"
    out = tmp_path / "out"
    assert cli.main(["release", "--root", str(root), "-o", str(out)]) == 0
    assert cli.main(["release", "--root", str(root), "-o", str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert cli.main(["release", "--root", str(root), "-o", str(out), "--force", "--answers", "drop"]) == 0
    assert cli.main(["release", "--root", str(root), "-o", str(root)]) == 1
    assert cli.main(["release", "--root", str(tmp_path / "nowhere"), "-o", str(tmp_path / "o2")]) == 1
    assert "not the course checkout" in capsys.readouterr().err


def test_release_installs_and_imports(tmp_path, course_release):
    # the student's copy is a working package: pip can read its metadata and the library imports from it
    code = "import backprop_course, sys; print(backprop_course.__file__)"
    result = subprocess.run([sys.executable, "-c", code], cwd=course_release, capture_output=True, text=True)
    assert result.returncode == 0 and str(course_release) in result.stdout
