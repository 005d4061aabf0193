#!/usr/bin/env python3
"""Print command N of the README's set-up section (the ```bash block after ``<!-- command N -->``).

``.ci/run`` runs command 2 through this script, so CI runs exactly what the README tells a
reader to paste; ``tests/test_readme_commands.py`` reads the commands the same way.
Standard library only: it runs before any virtual environment exists.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = r"<!-- command {n} -->\s*```bash\n(?P<command>.*?)\n\s*```"


def readme_command(n: int, text: str | None = None) -> str:
    """The one-line shell command N of the README (raises ``LookupError`` when it is missing)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    match = re.search(_BLOCK.format(n=n), text, re.DOTALL)
    if match is None:
        raise LookupError(f"README.md has no ```bash block after '<!-- command {n} -->'")
    lines = [line.strip() for line in match.group("command").splitlines() if line.strip()]
    if len(lines) != 1:
        raise LookupError(f"README.md command {n} must be one line to paste, found {len(lines)} lines")
    return lines[0]


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: readme_command.py N   (N = 1 or 2)")
    try:
        print(readme_command(int(sys.argv[1])))
    except LookupError as err:
        sys.exit(f"error: {err}")
