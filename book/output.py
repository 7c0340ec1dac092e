"""Atomic writes: an edition appears under its final name whole, or not at all."""

from __future__ import annotations

import ctypes
import fcntl
import os
import re
import shutil
import tempfile
import time
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import Callable, Iterator

from .errors import BuildError


_STALE_FILE = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # atomic_write's temporary files
_STALE_DIR = re.compile(r"^\..+-web\.[A-Za-z0-9_]{8}$")  # web edition staging folders
_OLD_DIR = re.compile(r"^\.(.+-web)\.old$")  # a web edition being replaced


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where
    the system or file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def clean_stale(out_dir: Path) -> None:
    """Remove what a killed build (SIGKILL leaves no chance to clean up) left in the output
    folder: temporary files, staging folders; and give a web edition caught between its
    two renames its previous folder back. Only called under the output lock."""
    for entry in out_dir.iterdir():
        if entry.is_symlink():
            continue
        if _STALE_FILE.match(entry.name) and entry.is_file():
            entry.unlink(missing_ok=True)
        elif _STALE_DIR.match(entry.name) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif (old := _OLD_DIR.match(entry.name)) and entry.is_dir():
            final = out_dir / old.group(1)
            if final.exists():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.rename(final)


_STAGED: ContextVar[list | None] = ContextVar("book_staged_outputs", default=None)


def stage(commit: Callable[[], None], discard: Callable[[], None]) -> None:
    """Put a finished output in place: now, or inside all_or_nothing() once every edition
    of the build is ready (and never, discarded, if the build fails first)."""
    staged = _STAGED.get()
    if staged is not None:
        staged.append((commit, discard))
        return
    try:
        commit()
    except BaseException:
        discard()
        raise


@contextmanager
def all_or_nothing() -> Iterator[None]:
    """The editions written inside appear together when the block ends, or none does: a
    build that fails on its last edition leaves the earlier ones as they were too."""
    staged: list[tuple[Callable[[], None], Callable[[], None]]] = []
    token = _STAGED.set(staged)
    try:
        yield
    except BaseException:
        for _, discard in staged:
            discard()
        raise
    finally:
        _STAGED.reset(token)
    for index, (commit, _) in enumerate(staged):
        try:
            commit()
        except BaseException:
            for _, discard in staged[index:]:
                discard()
            raise


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable. Best effort: some filesystems cannot open or sync a folder,
    and the rename itself is already atomic there."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    with suppress(OSError):
        os.fsync(descriptor)
    os.close(descriptor)


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename (at
    once, or with the other editions at the end of all_or_nothing())."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

    def commit() -> None:
        os.replace(tmp, path)
        _fsync_dir(path.parent)

    stage(commit, lambda: Path(tmp).unlink(missing_ok=True))


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output folder so two builds never interleave writes;
    the second build stops with a message naming the first one's pid."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lock_path = out_dir / ".book.lock"
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    with os.fdopen(descriptor, "r+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = ""
            for _ in range(20):  # the holder may be between truncating and writing its pid
                handle.seek(0)
                owner = handle.read().strip()
                if owner:
                    break
                time.sleep(0.05)
            owner = owner or "unknown"
            raise BuildError(f"another build (pid {owner}) is writing to {out_dir}; "
                             "wait for it to finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        clean_stale(out_dir)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
