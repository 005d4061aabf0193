"""The course's home: the one repository address that Colab cells, badges and the README use.

The address is set once, as ``Homepage`` in ``[project.urls]`` of ``pyproject.toml``. It appears
in the course in two forms, both derived from it:

- the install line of each notebook's first code cell (it runs only on Colab)::

      %pip install --quiet --no-deps "backprop-course @ git+https://github.com/OWNER/REPO"

- "Open in Colab" links and badges::

      https://colab.research.google.com/github/OWNER/REPO/blob/main/notebooks/00_start_here.ipynb

``backprop-course set-home https://github.com/NEW/REPO`` rewrites every place (``pyproject.toml``,
``README.md``, ``notebooks/``, ``exercises/``, ``solutions/``) as plain text substitutions, so
nothing else in those files changes (cell ids, outputs, formatting);
``backprop-course set-home --check`` lists any place that disagrees with ``pyproject.toml``.
Colab opens notebooks only from GitHub, so the home must be a GitHub repository.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "HOME_FILES",
    "HomeError",
    "add_subcommand",
    "check_home",
    "home_references",
    "parse_github",
    "read_home",
    "set_home",
]

#: where the address may appear, relative to the course root (globs)
HOME_FILES = ("pyproject.toml", "README.md", "notebooks/*.ipynb", "exercises/*.ipynb", "solutions/*.ipynb")
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?"
_GITHUB = re.compile(rf"^https://github\.com/(?P<owner>{_NAME})/(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?/?$")
#: the two forms the course uses; group "repo" is OWNER/REPO
_INSTALL = re.compile(rf"git\+https://github\.com/(?P<repo>{_NAME}/{_NAME})(?![\w.-])")
_COLAB = re.compile(rf"colab\.research\.google\.com/github/(?P<repo>{_NAME}/{_NAME})/")
_URLS_TABLE = re.compile(r"^\[project\.urls\]\s*$(?P<body>.*?)(?=^\[|\Z)", re.MULTILINE | re.DOTALL)
_HOMEPAGE = re.compile(r'^(?P<key>Homepage\s*=\s*)"(?P<url>[^"]*)"', re.MULTILINE)


class HomeError(ValueError):
    """The home address is missing, malformed, or not a GitHub repository."""


@dataclass(frozen=True)
class Reference:
    """One place in the course that names a repository as the course's home."""

    file: str  #: relative to the course root
    line: int
    repo: str  #: OWNER/REPO as written there
    form: str  #: "install" (a git+ install line) or "colab" (a Colab link or badge)


def parse_github(url: str) -> str:
    """``OWNER/REPO`` of a GitHub repository address ``https://github.com/OWNER/REPO``.

    Raises:
        HomeError: not such an address (the message shows the form expected).
    """
    match = _GITHUB.match(url.strip())
    if not match or not re.fullmatch(_NAME, match.group("repo")):
        raise HomeError(
            f"{url!r} is not a GitHub repository address: give it as https://github.com/OWNER/REPO "
            "(Colab opens notebooks only from GitHub)"
        )
    return f"{match.group('owner')}/{match.group('repo')}"


def read_home(root: Path | str) -> str:
    """The course's home address, ``Homepage`` in ``[project.urls]`` of ``root/pyproject.toml``."""
    pyproject = Path(root) / "pyproject.toml"
    table = _URLS_TABLE.search(pyproject.read_text(encoding="utf-8"))
    homepage = _HOMEPAGE.search(table.group("body")) if table else None
    if homepage is None:
        raise HomeError(f'{pyproject} has no Homepage = "https://github.com/OWNER/REPO" in [project.urls]')
    parse_github(homepage.group("url"))
    return homepage.group("url")


def _home_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in HOME_FILES:
        found += sorted(root.glob(pattern))
    return found


def home_references(root: Path | str) -> list[Reference]:
    """Every install line and Colab link in the course files, with the repository each names."""
    root = Path(root)
    found = []
    for path in _home_files(root):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for form, pattern in (("install", _INSTALL), ("colab", _COLAB)):
                for match in pattern.finditer(line):
                    found.append(Reference(path.relative_to(root).as_posix(), number, match.group("repo"), form))
    return found


def check_home(root: Path | str) -> list[str]:
    """What disagrees with the home in ``pyproject.toml``, one line each (empty when all agree)."""
    root = Path(root)
    home = parse_github(read_home(root))
    problems = [
        f"{r.file}:{r.line}: {r.form} points to {r.repo}, not {home}" for r in home_references(root) if r.repo != home
    ]
    readme = root / "README.md"
    if readme.exists() and f"https://github.com/{home}" not in readme.read_text(encoding="utf-8"):
        problems.append(f"README.md does not name the course's home https://github.com/{home}")
    return problems


def set_home(root: Path | str, url: str) -> list[Path]:
    """Make ``url`` the course's home in every file of :data:`HOME_FILES`; return the files changed.

    Every reference to the current home (and any other repository an install line or Colab
    link names) is replaced; nothing else in the files changes.

    Raises:
        HomeError: ``url`` is not ``https://github.com/OWNER/REPO``, or ``pyproject.toml`` has no home.
    """
    root = Path(root)
    new = parse_github(url)
    new_url = f"https://github.com/{new}"
    old = parse_github(read_home(root))
    old_url = re.compile(rf"https://github\.com/{re.escape(old)}(?![\w.-])")
    changed = []
    for path in _home_files(root):
        text = path.read_text(encoding="utf-8")
        updated = old_url.sub(new_url, text)
        updated = _INSTALL.sub(f"git+{new_url}", updated)
        updated = _COLAB.sub(f"colab.research.google.com/github/{new}/", updated)
        if path.name == "pyproject.toml":
            updated = _HOMEPAGE.sub(lambda m: f'{m.group("key")}"{new_url}"', updated)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            changed.append(path)
    return changed


def _run(args: argparse.Namespace) -> int:
    root = Path(args.root)
    try:
        if args.check:
            problems = check_home(root)
            for problem in problems:
                print(problem)
            if problems:
                print("the course's home disagrees: run `backprop-course set-home URL`", file=sys.stderr)
                return 1
            print(f"every place points to {read_home(root)}")
            return 0
        if not args.url:
            print(read_home(root))
            return 0
        changed = set_home(root, args.url)
    except (HomeError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for path in changed:
        print(f"updated {path}")
    print(f"the course's home is now {read_home(root)} ({len(changed)} file(s) changed)")
    return 0


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "set-home",
        help="set the repository address used by the Colab cells, badges and README",
        description="Rewrite the course's home (https://github.com/OWNER/REPO) in pyproject.toml, README.md, "
        "and the Colab cells and links of notebooks/, exercises/ and solutions/. Without URL: print the home.",
    )
    p.add_argument("url", nargs="?", help="the new home, https://github.com/OWNER/REPO")
    p.add_argument("--root", default=".", help="the course checkout (default: the current folder)")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if some place disagrees")
    p.set_defaults(func=_run)
