"""What a release needs to know from git: the commit, its time, its version tag and whether
the working tree matches it. Every question is one `git` command run in the project."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

VERSION_TAG = re.compile(r"^v?(?P<version>\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?)$")


class GitError(Exception):
    """git is missing, or the project is not inside a git checkout with a commit."""


@dataclass(frozen=True)
class Checkout:
    """The commit a release is built from."""

    root: Path  # top of the working tree
    commit: str  # full sha of HEAD
    timestamp: int  # committer time of HEAD, seconds since the epoch
    versions: tuple[str, ...]  # versions named by tags on HEAD (`v1.2.0` → `1.2.0`)

    @property
    def short(self) -> str:
        """Fixed length, so the stamp does not depend on how many objects a clone holds."""
        return self.commit[:12]


def _git(cwd: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                                timeout=60)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    if result.returncode:
        raise GitError(result.stderr.strip().splitlines()[-1] if result.stderr.strip()
                       else f"git {' '.join(args)} failed")
    return result.stdout


def checkout(project: Path) -> Checkout:
    """HEAD of the checkout holding `project`; raises GitError when there is none."""
    try:
        root = Path(_git(project, "rev-parse", "--show-toplevel").strip())
        commit, timestamp = _git(project, "log", "-1", "--format=%H %ct", "HEAD").split()
    except GitError:
        raise GitError(f"{project} is not in a git checkout with a commit") from None
    tags = _git(project, "tag", "--points-at", "HEAD").split()
    versions = tuple(sorted({m["version"] for m in map(VERSION_TAG.match, tags) if m}))
    return Checkout(root, commit, int(timestamp), versions)


def dirty_paths(root: Path, ignore: Path | None = None) -> tuple[str, ...]:
    """Changed, staged or untracked files (git's ignore rules apply); files under `ignore`
    (the release's own output folder) do not count."""
    out = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    entries = out.split("\0")
    paths, index = [], 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        if entry[0] in "RC":  # a rename is followed by its source path
            index += 1
        paths.append(entry[3:])
    if ignore is not None:
        try:
            prefix = ignore.resolve().relative_to(root.resolve()).as_posix() + "/"
        except ValueError:
            prefix = None
        if prefix:
            paths = [p for p in paths if not (p + "/").startswith(prefix)]
    return tuple(paths)


def untracked_inputs(root: Path, project: Path, inputs: list[str]) -> tuple[str, ...]:
    """The files among `inputs` (project-relative, as the build read them) that git does
    not track, ignored ones included: a release built from them is not built from the
    commit. Paths are relative to the checkout's top, as dirty_paths gives them."""
    base = project.resolve().relative_to(root.resolve())
    files = [(base / rel).as_posix() for rel in inputs if (project / rel).is_file()]
    if not files:
        return ()
    tracked = set(_git(root, "ls-files", "-z", "--full-name", "--",
                       *(f":(literal){f}" for f in files)).split("\0"))
    return tuple(f for f in files if f not in tracked)
