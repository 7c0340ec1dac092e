"""The no-op rebuild: nothing changed → nothing rebuilt, without importing WeasyPrint; any
change to a source, an option or an output → a real build."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys

from conftest import MINI, cli


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_noop_rebuild_skips_the_build_and_weasyprint(tmp_path):
    project = tmp_path / "book"
    shutil.copytree(MINI, project)
    out = tmp_path / "out"
    first = cli(["build", str(project), "--out", str(out), "--format", "pdf", "--format", "epub"])
    assert first.returncode == 0, first.stderr
    pdf = out / "tide-pools.pdf"
    before = digest(pdf)
    again = subprocess.run([sys.executable, "-X", "importtime", "-m", "book.cli", "build",
                            str(project), "--out", str(out), "--format", "pdf", "--format", "epub"],
                           capture_output=True, text=True, timeout=120,
                           env={"SOURCE_DATE_EPOCH": "1700000000", "PATH": "/usr/bin:/bin"})
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout
    imported = [line for line in again.stderr.splitlines() if "import time:" in line]
    assert imported, "importtime printed nothing"
    assert not any("weasyprint" in line or "ebooklib" in line for line in imported)
    assert digest(pdf) == before


def test_any_change_rebuilds(tmp_path):
    project = tmp_path / "book"
    shutil.copytree(MINI, project)
    out = tmp_path / "out"
    args = ["build", str(project), "--out", str(out), "--format", "epub"]
    assert cli(args).returncode == 0
    epub = out / "tide-pools.epub"

    chapter = project / "chapters" / "one.md"
    text = chapter.read_text("utf-8")
    chapter.write_text(text.replace("Life between the tides", "Life between tides", 1), "utf-8")
    edited = cli(args)
    assert edited.returncode == 0 and "up to date" not in edited.stdout

    assert "up to date" in cli(args).stdout
    epub.write_bytes(b"damaged")
    repaired = cli(args)
    assert "up to date" not in repaired.stdout and epub.read_bytes()[:2] == b"PK"

    assert "up to date" not in cli(args, epoch=1700000001).stdout
    assert "up to date" not in cli([*args, "--edition", "2"]).stdout
    assert "up to date" not in cli([*args, "--edition", "2", "--clean"]).stdout
