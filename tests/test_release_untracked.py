"""`book release` with an input git does not track: a chapter the book lists but .gitignore
hides from `git status` is not in the commit, so the tree is dirty (exit 6, the file named)
and a release allowed to go on is stamped `<sha>-dirty`. Ignored files the build does not
read change nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import MINI

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
           "GIT_AUTHOR_DATE": "2024-05-01T10:00:00+00:00",
           "GIT_COMMITTER_DATE": "2024-05-01T10:00:00+00:00"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True,
                          capture_output=True, text=True).stdout.strip()


def release(project: Path, *args: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.run([sys.executable, "-m", "book.cli", "release", *args], cwd=project,
                          env=environ, capture_output=True, text=True, timeout=300)


def repo_with_an_ignored_chapter(target: Path) -> Path:
    """mini in a tagged one-commit repository whose book.toml lists chapters/three.md, a
    file .gitignore hides (as it hides scratch.log, which the book never reads)."""
    shutil.copytree(MINI, target)
    (target / ".gitignore").write_text("dist/\nchapters/three.md\nscratch.log\n", "utf-8")
    manifest = target / "book.toml"
    manifest.write_text(manifest.read_text("utf-8").replace(
        '"chapters/two.md"]', '"chapters/two.md", "chapters/three.md"]'), "utf-8")
    (target / "chapters" / "three.md").write_text(
        "# Not in the commit\n\nWords the commit does not hold.\n", "utf-8")
    (target / "scratch.log").write_text("a file the book never reads\n", "utf-8")
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "the book")
    git(target, "tag", "v1.2.0")
    assert git(target, "status", "--porcelain") == "", "git status must see nothing"
    return target


def test_an_ignored_input_makes_the_tree_dirty(tmp_path):
    project = repo_with_an_ignored_chapter(tmp_path / "book")
    refused = release(project)
    assert refused.returncode == 6, refused.stderr
    assert "Traceback" not in refused.stderr
    assert "chapters/three.md" in refused.stderr and "--allow-dirty" in refused.stderr
    assert "scratch.log" not in refused.stderr
    assert not (project / "dist" / "release.json").exists()

    allowed = release(project, "--allow-dirty", "--allow-stand-ins")
    assert allowed.returncode == 0, allowed.stderr
    record = json.loads((project / "dist" / "release.json").read_text("utf-8"))
    head = git(project, "rev-parse", "HEAD")
    assert record["dirty"] is True
    assert record["commit"] in (head, f"{head}-dirty")
    stamp = f"{head[:12]}-dirty"
    import pypdf

    pdf = pypdf.PdfReader(str(project / "dist" / "tide-pools-1.2.0.pdf"))
    assert pdf.metadata["/Commit"] == stamp, pdf.metadata
