"""The practice exercises of the lecture notebooks: the learner writes them, a self-check answers.

The convention, in every lecture 01-09:

- an ``exercise`` code cell defines a function whose body raises ``NotImplementedError``
  until the learner fills it in (so Run All never stops at it);
- within the next three cells a ``selfcheck`` code cell calls a ``check_*`` function, which
  says "not attempted yet" while the stub is untouched;
- after the check (within three cells) a markdown cell holds the reference answer, a
  ```python block inside a collapsed ``<details>`` block.

The stored notebooks are the untouched ones: every self-check's stored output says "not
attempted yet", and nbval re-executes each notebook and requires the same outputs. The
second test substitutes each reference answer for its exercise cell, runs the notebook on
a fresh kernel and requires every self-check to pass.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LECTURES = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("00"))
REFERENCE_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
PASS, FAIL, NOT_ATTEMPTED = "✅", "❌", "not attempted yet"


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def exercises(nb: nbformat.NotebookNode) -> list[tuple[int, int, int, str]]:
    """(exercise cell, self-check cell, answer cell, reference code) for every exercise of ``nb``."""
    found = []
    cells = nb.cells
    for i, cell in enumerate(cells):
        if cell.cell_type != "code" or "exercise" not in _tags(cell):
            continue
        check = next((j for j in range(i + 1, min(i + 4, len(cells))) if "selfcheck" in _tags(cells[j])), None)
        assert check is not None, f"exercise cell {i} has no `selfcheck` cell within the next three cells"
        answer = next(
            (
                j
                for j in range(check + 1, min(check + 4, len(cells)))
                if cells[j].cell_type == "markdown" and "<details>" in cells[j].source
            ),
            None,
        )
        assert answer is not None, f"self-check cell {check} has no <details> reference answer within three cells"
        code = REFERENCE_BLOCK.search(cells[answer].source)
        assert code, f"the reference answer in cell {answer} has no ```python block"
        found.append((i, check, answer, code.group(1)))
    return found


def _stream_text(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def test_every_lecture_is_found():
    assert len(LECTURES) >= 9, [p.name for p in LECTURES]


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_stored_lecture_has_untouched_exercises(path: Path):
    nb = nbformat.read(path, as_version=4)
    found = exercises(nb)
    assert len(found) >= 2, f"{path.name}: {len(found)} practice exercise(s); every lecture needs at least two"
    for ex, check, _, reference in found:
        assert "raise NotImplementedError" in nb.cells[ex].source, f"{path.name} cell {ex}: not a stub"
        assert "raise NotImplementedError" not in reference, f"{path.name} cell {ex}: the reference is a stub"
        assert "outputs" not in nb.cells[ex] or not any(
            o.get("output_type") == "error" for o in nb.cells[ex].outputs
        ), f"{path.name} cell {ex}: the stub raised when defined; only calling it may raise"
        said = _stream_text(nb.cells[check])
        assert NOT_ATTEMPTED in said, f"{path.name} cell {check}: an untouched exercise's check said {said!r}"
        assert FAIL not in said and "Traceback" not in said


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_reference_answers_pass_every_selfcheck(path: Path):
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    found = exercises(nb)
    for ex, _, _, reference in found:
        nb.cells[ex].source = reference
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    for ex, check, _, _ in found:
        said = _stream_text(nb.cells[check])
        assert PASS in said, f"{path.name}: with the reference answer of cell {ex}, the check said {said!r}"
        assert FAIL not in said and NOT_ATTEMPTED not in said, f"{path.name} cell {check}: {said!r}"
