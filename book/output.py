"""Atomic writes and one atomic switch of every edition.

The editions a build writes go into a new edition set, `OUT/.editions/<id>/`; the names
readers use (`OUT/<slug>.pdf`, `.epub`, `-web/`) are symbolic links through
`OUT/.editions/current`, itself a link to the set in use. Publishing a build is one rename
of that one link, so a build killed at any instant leaves every edition old or every
edition new, never a mix. Every other step (writing the set, carrying the editions this
build did not make over from the old set, creating the names) changes nothing a reader
sees."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path

from .errors import BuildError

EDITIONS = ".editions"  # the edition sets, and `current`, the link to the one in use
CURRENT = "current"
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # atomic_write's and the links'


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where
    the system or file system cannot."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _current_set(out_dir: Path) -> Path | None:
    """The edition set readers see now (a folder), or None before the first build."""
    current = out_dir / EDITIONS / CURRENT
    return current.resolve() if current.is_dir() else None


def clean_stale(out_dir: Path) -> None:
    """Remove what a killed build (SIGKILL leaves no chance to clean up) left: temporary
    files and links, and edition sets no reader can reach. Only called under the output
    lock."""
    for entry in out_dir.iterdir():
        if _TEMPORARY.match(entry.name):
            _remove(entry)
    sets = out_dir / EDITIONS
    if sets.is_dir():
        in_use = _current_set(out_dir)
        for entry in sets.iterdir():
            if entry.name != CURRENT and entry.resolve() != in_use:
                _remove(entry)


_BUILDING: ContextVar[tuple[Path, Path] | None] = ContextVar("book_edition_set", default=None)


def destination(path: Path) -> Path:
    """Where the edition published as `path` is written: inside the set being built when
    `path` is a name in all_or_nothing()'s output folder, else `path` itself."""
    building = _BUILDING.get()
    if building is not None and path.parent.resolve() == building[0]:
        return building[1] / path.name
    return path


@contextmanager
def all_or_nothing(out_dir: Path) -> Iterator[Path]:
    """The editions written inside (atomic_write, or anything written at destination())
    appear together when the block ends, or none does: they go into a new edition set,
    switched in by one rename. Yields the set's folder. Call under output_lock()."""
    out_dir = out_dir.resolve()
    sets = out_dir / EDITIONS
    sets.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix="set-", dir=sets))
    new.chmod(0o755)
    token = _BUILDING.set((out_dir, new))
    try:
        yield new
        _carry_over(_current_set(out_dir), new)
        for entry in sorted(new.iterdir()):
            _publish_name(out_dir, entry.name)
        _fsync_dir(new)
        old = _current_set(out_dir)
        _point(sets / CURRENT, new.name)  # the switch: every edition at once
        if old is not None and old != new:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    finally:
        _BUILDING.reset(token)


def _copy_entry(source: Path, target: Path) -> None:
    """A hard-linked copy (no bytes copied; the sets never write into a file after it is
    made), or a plain copy where the file system has no hard links."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:
            shutil.copy2(src, dst, follow_symlinks=False)

    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True, copy_function=link)
    else:
        link(str(source), str(target))


def _carry_over(old: Path | None, new: Path) -> None:
    """Editions of the set in use that this build did not write (a PDF-only build keeps
    the EPUB and web edition, a release keeps the build's editions) join the new set."""
    if old is None or old == new:
        return
    for entry in old.iterdir():
        if not (new / entry.name).exists() and not _TEMPORARY.match(entry.name):
            _copy_entry(entry, new / entry.name)


def _temporary_name(folder: Path, name: str) -> Path:
    return folder / f".{name}.{os.urandom(6).hex()[:8]}.tmp"


def _point(link: Path, target: str) -> None:
    """Make `link` a symbolic link to `target` in one rename (an exchange when a copied
    output folder holds a real folder there)."""
    if link.is_symlink() and os.readlink(link) == target:
        return
    staged = _temporary_name(link.parent, link.name)
    os.symlink(target, staged)
    try:
        if link.is_dir() and not link.is_symlink():
            if not exchange(staged, link):  # no atomic swap here: a short gap instead
                aside = _temporary_name(link.parent, link.name)
                link.rename(aside)
                staged.rename(link)
                staged = aside
            _remove(staged)
        else:
            os.replace(staged, link)
    except BaseException:
        _remove(staged)
        raise
    _fsync_dir(link.parent)


def _publish_name(out_dir: Path, name: str) -> None:
    """Make OUT/name the link through `current` that readers open, before the switch and
    without changing what they see: a name the old set lacks starts as a link to nothing
    (no edition, as before); a plain file or folder left by an older builder or a copy is
    first added to the set in use, then replaced by the link to it."""
    published = out_dir / name
    through = f"{EDITIONS}/{CURRENT}/{name}"
    if published.is_symlink() and os.readlink(published) == through:
        return
    if published.exists():  # (a link to nothing is no edition: it is simply replaced)
        in_use = _current_set(out_dir)
        if in_use is None:
            in_use = Path(tempfile.mkdtemp(prefix="set-", dir=out_dir / EDITIONS))
            in_use.chmod(0o755)
            _point(out_dir / EDITIONS / CURRENT, in_use.name)
        if (in_use / name).exists() or (in_use / name).is_symlink():
            _remove(in_use / name)
        _copy_entry(published.resolve() if published.is_symlink() else published, in_use / name)
    _point(published, through)


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
    """Write to a temporary file in the same folder, flush it to disk, then rename (into
    the new edition set when called inside all_or_nothing())."""
    path = destination(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


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
