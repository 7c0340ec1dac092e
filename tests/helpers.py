"""Helpers shared by the test modules: running `book` in-process or in a child process
whose network is blocked, building broken copies of the mini project, and reading what a
build left behind. Fixtures live in conftest.py; tests import these from here."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from book.cli import main as book_cli

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "projects" / "mini"
BOOKKEEPING = (".book.lock", ".book-cache")  # the build lock, the no-op rebuild's record


# --------------------------------------------------------------------------- running book

def run_main(args: list[str]) -> tuple[int, str, str]:
    """`book …` in-process (for faults injected with monkeypatch): (exit code, stdout,
    stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = book_cli.main(args)
    return code, out.getvalue(), err.getvalue()


NO_NETWORK = """
import socket, sys
def blocked(*args, **kwargs):
    sys.stderr.write("NETWORK ATTEMPT %r\\n" % (args,))
    raise OSError("network blocked")
socket.socket.connect = socket.socket.connect_ex = blocked
socket.getaddrinfo = socket.create_connection = blocked
from book.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def run_blocked(args: list[str], wait: bool = True):
    """The real `book` command in a child process whose sockets cannot connect, not even
    to 127.0.0.1 (the attempt is reported on stderr)."""
    command = [sys.executable, "-c", NO_NETWORK, *args]
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    if not wait:
        return subprocess.Popen(command, cwd=REPO, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(command, cwd=REPO, env=env, text=True, capture_output=True,
                          timeout=300)


# --------------------------------------------------------------------------- reading errors

def one_error(stderr: str) -> str:
    """The only line on stderr, which must be a located error."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, "expected exactly one error line:\n" + stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def error_lines(stderr: str) -> list[str]:
    """The `error: …` lines on stderr (no traceback among them)."""
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def line_of(path: Path, needle: str) -> int:
    """1-based number of the only line of `path` containing `needle`."""
    found = [n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found} of {path}"
    return found[0]


# --------------------------------------------------------------------------- projects

def project_with(tmp_path: Path, files: dict[str, str], chapters: list[str]) -> Path:
    """A copy of the mini project with extra files and book.toml listing `chapters`."""
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, "utf-8")
    manifest = project / "book.toml"
    listed = "chapters = [\n" + "".join(f'  "{c}",\n' for c in chapters) + "]"
    manifest.write_text(re.sub(r"^chapters = .*$", lambda _: listed,
                               manifest.read_text("utf-8"), flags=re.M), "utf-8")
    return project


# --------------------------------------------------------------------------- output folders

# The build's own records, and the edition sets the published names link into (what a
# reader gets is reached through those links, so it is listed under the names).
UNPUBLISHED = (*BOOKKEEPING, ".editions")


def _published(folder: Path) -> list[Path]:
    """Every file and folder a reader reaches under `folder`, following the published
    names' links (os.walk with followlinks; a link to nothing is listed, as a name)."""
    found = []
    for base, folders, files in os.walk(folder, followlinks=True):
        if Path(base) == folder:
            folders[:] = [f for f in folders if f not in UNPUBLISHED]
            files = [f for f in files if f not in UNPUBLISHED]
        found += [Path(base, name) for name in folders + files]
    return sorted(found)


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file a reader opens under `folder`, by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in _published(folder) if p.is_file()}


def entries(folder: Path) -> set[str]:
    """Every published file and folder under `folder` (links followed)."""
    return {p.relative_to(folder).as_posix() for p in _published(folder)}
