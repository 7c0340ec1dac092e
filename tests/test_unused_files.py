"""The build reads the files the book uses and nothing else: a 2 GB file beside the
chapters is never opened (the kernel's count of bytes read and the peak memory of the
build are those of a build without it, and the build succeeds with the file unreadable);
an input the build needs and cannot read is a located error, exit 2.

Files are made unreadable with chmod 000. Root reads them anyway, so the build runs under
a wrapper that refuses, as the kernel does for other users, to open a file no one may read
(Python-level opens: every read of a project file in the builder goes through open())."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINI, REPO

RUN = """
import builtins, io, json, os, resource, stat, sys
real = io.open
def guarded(file, *args, **kwargs):
    if isinstance(file, (str, bytes, os.PathLike)):
        try:
            mode = os.stat(file).st_mode
        except OSError:
            mode = 0o444
        if stat.S_ISREG(mode) and not mode & 0o444:
            raise PermissionError(13, "Permission denied", os.fsdecode(file))
    return real(file, *args, **kwargs)
builtins.open = io.open = guarded
from book.cli.main import main
code = main(sys.argv[1:])
read = dict(line.split(": ") for line in open("/proc/self/io").read().splitlines())
print(json.dumps({"code": code, "rchar": int(read["rchar"]),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
sys.exit(code)
"""
BIG = 2 << 30


def build(project: Path, out: Path) -> subprocess.CompletedProcess:
    """An EPUB build (with the print layout its page-list needs) in one process, so that
    its bytes read and peak memory are the process's own."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    return subprocess.run([sys.executable, "-c", RUN, "build", str(project), "--out",
                           str(out), "--format", "epub", "--layout", "single", "--quiet"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def measured(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_a_2gb_unused_file_is_never_read(tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(MINI, plain)
    beside = tmp_path / "beside"
    shutil.copytree(MINI, beside)
    for name in ("raw-footage.mov", "chapters/draft.md"):  # unlisted, even in chapters/
        with open(beside / name, "wb") as handle:
            handle.truncate(BIG)  # sparse: 2 GB to read, no disk used
        (beside / name).chmod(0)
    without = measured(build(plain, tmp_path / "out-plain"))
    with_file = measured(build(beside, tmp_path / "out-beside"))
    assert with_file["rchar"] - without["rchar"] < 64 << 20, (without, with_file)
    assert with_file["maxrss_kb"] - without["maxrss_kb"] < 30 << 10, (without, with_file)
    again = measured(build(beside, tmp_path / "out-beside"))  # the no-op check hashes inputs
    assert again["rchar"] < 64 << 20, again


@pytest.mark.parametrize("name, where", [
    ("chapters/two.md", "chapters/two.md: "),
    ("assets/photos/anemone.png", "assets/photos.toml:3: "),
    ("assets/photos.toml", "assets/photos.toml: "),
    ("book.toml", "book.toml: "),
])
def test_an_unreadable_input_is_a_located_error(tmp_path, name, where):
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    (project / name).chmod(0)
    result = build(project, tmp_path / "out")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {where}"), result.stderr
    assert "Permission denied" in lines[0] and str(tmp_path) not in lines[0]
