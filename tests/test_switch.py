"""One atomic switch of every edition: a build killed at any rename leaves the PDF, the
EPUB and the web edition all as they were or all new, never a mix.

Each build below runs in a child process that SIGKILLs itself just before its Nth call
that renames or creates a name (os.replace, os.rename, os.symlink, output.exchange), for
N = 1, 2, … until a build completes: every step, not a random moment."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import MINI, REPO

EPOCH = "1700000000"
NAMES = ("tide-pools.pdf", "tide-pools.epub", "tide-pools-web")

KILL_AT_STEP = """
import os, signal, sys
import book.output, book.web.site
step, target, main_pid = 0, int(os.environ["BOOK_KILL_AT"]), os.getpid()
def counted(real):
    def call(*args, **kwargs):
        global step
        if os.getpid() == main_pid:
            step += 1
            if step == target:
                os.kill(main_pid, signal.SIGKILL)
        return real(*args, **kwargs)
    return call
os.replace, os.rename, os.symlink = map(counted, (os.replace, os.rename, os.symlink))
book.output.exchange = counted(book.output.exchange)
from book.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def build(project: Path, out: Path, kill_at: int = 0) -> int:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "BOOK_KILL_AT": str(kill_at)}
    result = subprocess.run([sys.executable, "-c", KILL_AT_STEP, "build", str(project),
                             "--out", str(out), "--quiet", "--clean"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, -signal.SIGKILL), result.stderr
    return result.returncode


def editions(out: Path) -> tuple:
    """What a reader opening the published names sees: each edition's sha256 (the web
    edition file by file), None for a name that opens nothing."""
    seen = []
    for name in NAMES:
        path = out / name
        if path.is_file():
            seen.append(hashlib.sha256(path.read_bytes()).hexdigest())
        elif path.is_dir():
            seen.append(tuple(sorted(
                (os.path.relpath(os.path.join(base, f), path),
                 hashlib.sha256(Path(base, f).read_bytes()).hexdigest())
                for base, _, files in os.walk(path) for f in files)))
        else:
            seen.append(None)
    return tuple(seen)


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> tuple[Path, Path, tuple, tuple]:
    """The old editions (mini) in an output folder, a changed copy of mini, and what a
    reader sees of the old and of the new editions."""
    root = tmp_path_factory.mktemp("switch")
    project = root / "project"
    shutil.copytree(MINI, project)
    chapter = project / "chapters" / "two.md"
    chapter.write_text(chapter.read_text("utf-8") + "\nA new closing line.\n", "utf-8")
    old_out, new_out = root / "old", root / "new"
    assert build(MINI, old_out) == 0 and build(project, new_out) == 0
    old, new = editions(old_out), editions(new_out)
    assert None not in old and all(a != b for a, b in zip(old, new)), "editions must differ"
    return project, old_out, old, new


def previous_folder(old_out: Path, target: Path, layout: str) -> None:
    """The old editions as a build leaves them (`sets`: links into .editions), or as plain
    files and folders (an older builder's output, or a copy that followed the links)."""
    if layout == "sets":
        shutil.copytree(old_out, target, symlinks=True)
    else:
        shutil.copytree(old_out, target, ignore=shutil.ignore_patterns(".editions"))


@pytest.mark.parametrize("layout", ["sets", "plain"])
def test_a_kill_at_every_rename_leaves_all_old_or_all_new(sets, tmp_path, layout):
    project, old_out, old, new = sets

    def attempt(step: int) -> tuple[int, int, tuple, tuple]:
        out = tmp_path / f"out-{step}"
        previous_folder(old_out, out, layout)
        assert editions(out) == old
        code = build(project, out, kill_at=step)
        after_kill = editions(out)
        assert build(project, out) == 0  # the next build completes
        return step, code, after_kill, editions(out)

    results, step = [], 0
    with ThreadPoolExecutor(4) as pool:
        while not results or all(code != 0 for _, code, _, _ in results):
            batch = range(step + 1, step + 9)
            results += pool.map(attempt, batch)
            step = batch[-1]
    killed = [r for r in results if r[1] != 0]
    last = min(s for s, code, _, _ in results if code == 0)
    killed = [r for r in killed if r[0] < last]  # every step before the build completes
    assert len(killed) == last - 1 >= 3
    mixed = [s for s, _, seen, _ in killed if seen not in (old, new)]
    assert not mixed, f"a kill at these steps left old and new editions mixed: {mixed}"
    assert {seen for _, _, seen, _ in killed} == {old, new}, "no kill fell on either side"
    assert all(rebuilt == new for _, _, _, rebuilt in results)


def test_the_published_names_link_through_one_switch(sets, tmp_path):
    """The promise's form: each name in dist/ is a link through `.editions/current`, one
    link to the edition set in use; a rebuild leaves one set and no temporary names."""
    project, old_out, _, new = sets
    out = tmp_path / "out"
    previous_folder(old_out, out, "sets")
    assert build(project, out) == 0
    for name in NAMES:
        assert os.readlink(out / name) == f".editions/current/{name}"
    sets_left = sorted(p.name for p in (out / ".editions").iterdir())
    assert len(sets_left) == 2 and sets_left[0] == "current", sets_left
    assert os.readlink(out / ".editions" / "current") == sets_left[1]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".book-cache", ".book.lock", ".editions", *NAMES])
    assert editions(out) == new


def test_a_build_of_one_edition_keeps_the_others(sets, tmp_path):
    """A PDF-only build carries the EPUB and web edition over into the new set."""
    project, old_out, old, new = sets
    out = tmp_path / "out"
    previous_folder(old_out, out, "sets")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    subprocess.run([sys.executable, "-m", "book.cli", "build", str(project), "--out", str(out),
                    "--format", "pdf", "--quiet"], cwd=REPO, env=env, check=True, timeout=300)
    assert editions(out) == (new[0], old[1], old[2])
