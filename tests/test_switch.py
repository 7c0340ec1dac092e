"""One atomic switch of every edition: a build killed at any rename leaves the PDF, the
EPUB and the web edition all as they were or all new, never a mix.

Each killed build is a fork of the test process (the libraries already loaded, the chunk
layouts already in the copied cache, so a build takes a fraction of a second) that ends
with os._exit, which like SIGKILL runs no cleanup, just before its Nth call that renames
or creates a name (os.replace, os.rename, os.symlink, output.exchange), for N = 1, 2, …
until a build completes: every step, not a random moment."""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import book.output
from conftest import MINI
from helpers import run_main

EPOCH = "1700000000"
NAMES = ("tide-pools.pdf", "tide-pools.epub", "tide-pools-web")
KILLED = 137  # the exit status a forked build ends with at its step (128 + SIGKILL)


def build_args(project: Path, out: Path, *extra: str) -> list[str]:
    # Chunked, one worker: the layouts of the unchanged chunks come from the copied cache,
    # and every rename happens in the process the kill counts in.
    return ["build", str(project), "--out", str(out), "--quiet", "--layout", "chunked",
            "--jobs", "1", *extra]


def build_killed_at(project: Path, out: Path, step: int) -> int:
    """Build in a fork that exits at once, as if SIGKILLed, before its `step`th rename;
    its exit code (KILLED, or the build's own when it has fewer renames)."""
    pid = os.fork()
    if pid == 0:  # the child: count, die at the step, never return into pytest
        code = 1
        try:
            counter = itertools.count(1)

            def counted(real):
                def call(*args, **kwargs):
                    if next(counter) == step:
                        os._exit(KILLED)
                    return real(*args, **kwargs)
                return call

            os.replace, os.rename, os.symlink = map(counted, (os.replace, os.rename,
                                                              os.symlink))
            book.output.exchange = counted(book.output.exchange)
            code, _, _ = run_main(build_args(project, out))
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


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
def sets(tmp_path_factory) -> Iterator[tuple[Path, Path, Path, tuple, tuple]]:
    """The old editions (mini) in an output folder, a changed copy of mini, a folder
    holding the new editions (its cache has every chunk layout of the change), and what a
    reader sees of the old and of the new editions."""
    with pytest.MonkeyPatch.context() as patch:  # the module's builds run in this process
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        yield make_sets(tmp_path_factory.mktemp("switch"))


def make_sets(root: Path) -> tuple[Path, Path, Path, tuple, tuple]:
    project = root / "project"
    shutil.copytree(MINI, project)
    chapter = project / "chapters" / "two.md"
    chapter.write_text(chapter.read_text("utf-8") + "\nA new closing line.\n", "utf-8")
    old_out, new_out = root / "old", root / "new"
    assert run_main(build_args(MINI, old_out))[0] == 0
    assert run_main(build_args(project, new_out))[0] == 0
    old, new = editions(old_out), editions(new_out)
    assert None not in old and all(a != b for a, b in zip(old, new, strict=True)), \
        "editions must differ"
    return project, old_out, new_out, old, new


def previous_folder(old_out: Path, new_out: Path, target: Path, layout: str) -> None:
    """The old editions as a build leaves them (`sets`: links into .editions), or as plain
    files and folders (an older builder's output, or a copy that followed the links); with
    the chunk layouts the new build needs already cached."""
    if layout == "sets":
        shutil.copytree(old_out, target, symlinks=True)
    else:
        shutil.copytree(old_out, target, ignore=shutil.ignore_patterns(".editions"))
    shutil.rmtree(target / ".book-cache")
    shutil.copytree(new_out / ".book-cache", target / ".book-cache")
    for record in (target / ".book-cache").glob("build-*.json"):  # the no-op check's
        record.unlink()  # (the editions differ from it anyway: this keeps the test honest)


def attempt(sets: tuple, out: Path, layout: str, step: int) -> tuple:
    """Kill a build at `step` in a fresh copy of the old editions, then build again: (exit
    code of the killed build, what a reader sees after the kill, after the next build, and
    the edition sets left then)."""
    project, old_out, new_out, old, _ = sets
    previous_folder(old_out, new_out, out, layout)
    assert editions(out) == old
    code = build_killed_at(project, out, step)
    if code != KILLED:
        return code, None, None, None
    after_kill = editions(out)
    rebuilt = run_main(build_args(project, out))[0]
    return code, after_kill, (rebuilt, editions(out)), sorted(
        p.name for p in (out / ".editions").iterdir())


def in_forks(calls: list[tuple]) -> list:
    """Run each (function, *args) in its own forked child, all at once (the steps are
    independent: each has its own output folder); their results, in order."""
    children = []
    for function, *args in calls:
        result = args[1].with_name(f"{args[1].name}.result")
        pid = os.fork()
        if pid == 0:
            try:
                result.write_bytes(pickle.dumps(function(*args)))
            finally:
                os._exit(0)
        children.append((pid, result))
    for pid, _ in children:
        os.waitpid(pid, 0)
    return [pickle.loads(result.read_bytes()) for _, result in children]


@pytest.mark.parametrize("layout", ["sets", "plain"])
def test_a_kill_at_every_rename_leaves_all_old_or_all_new(sets, tmp_path, layout):
    _, _, _, old, new = sets
    results: list[tuple] = []
    while not results or results[-1][0] == KILLED:  # two steps at a time, one per core
        first = len(results) + 1
        results += in_forks([(attempt, sets, tmp_path / f"out-{s}", layout, s)
                             for s in (first, first + 1)])
    last = next(n for n, (code, *_) in enumerate(results, 1) if code != KILLED)
    assert results[last - 1][0] == 0, f"the build failed before step {last}"
    killed = results[:last - 1]
    assert len(killed) >= 5, killed  # three editions written, three names, one switch
    mixed = [n for n, (_, seen, _, _) in enumerate(killed, 1) if seen not in (old, new)]
    assert not mixed, f"a kill at these steps left old and new editions mixed: {mixed}"
    assert {seen for _, seen, _, _ in killed} == {old, new}, "no kill fell on either side"
    for step, (_, _, rebuilt, left) in enumerate(killed, 1):
        assert rebuilt == (0, new), f"step {step}: the build after the kill"
        assert len(left) == 2 and left[0] == "current", f"step {step}: sets left {left}"


def test_the_published_names_link_through_one_switch(sets, tmp_path):
    """The promise's form: each name in dist/ is a link through `.editions/current`, one
    link to the edition set in use; a rebuild leaves one set and no temporary names."""
    project, old_out, new_out, _, new = sets
    out = tmp_path / "out"
    previous_folder(old_out, new_out, out, "sets")
    assert run_main(build_args(project, out))[0] == 0
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
    project, old_out, new_out, old, new = sets
    out = tmp_path / "out"
    previous_folder(old_out, new_out, out, "sets")
    assert run_main(build_args(project, out, "--format", "pdf"))[0] == 0
    assert editions(out) == (new[0], old[1], old[2])
