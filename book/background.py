"""Work in a forked process while this one goes on: the book loads while WeasyPrint is
imported, the EPUB is built while the PDF is written, chunks are laid out in a pool.

Forking is safe only where the platform forks and no other thread runs (a fork copies a
lock another thread may hold: `book serve --pdf` builds from a thread). Elsewhere the work
runs here, in order, with the same results, as Sphinx's parallel builds fall back to serial
ones."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any

from .errors import BuildError

PR_SET_PDEATHSIG = 1  # prctl option (Linux): a signal for the child when its parent dies


def can_fork() -> bool:
    """Whether work may go to forked processes now."""
    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


def init_process(parent: int, scratch: str | None = None) -> None:
    """In a forked process: the parent answers Ctrl-C and SIGTERM and ends the work; a
    child just stops. A child must not outlive a killed parent either: it would hold the
    output lock. Its temporary files go in `scratch`, which the parent removes."""
    if scratch:
        tempfile.tempdir = scratch
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _run(send: Any, parent: int, function: Callable, args: tuple) -> None:
    init_process(parent)
    try:
        send.send(function(*args))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        send.send(exc)


class Background:
    """function(*args) run in a forked process while the parent goes on; the process is
    killed if the parent gives up. Where forking is not safe, the function runs when its
    result is asked for."""

    def __init__(self, function: Callable, *args: Any) -> None:
        self._call: tuple[Callable, tuple] | None = None
        self._process = None
        if not can_fork():
            self._call = (function, args)
            return
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(send, os.getpid(), function, args))
        self._process.start()
        send.close()

    def result(self) -> Any:
        if self._call is not None:
            function, args = self._call
            return function(*args)
        assert self._process is not None
        try:
            value = self._receive.recv()
        except EOFError:
            raise BuildError("a background build process died") from None
        finally:
            self._process.join()
        if isinstance(value, BaseException):
            raise value
        return value

    def stop(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join()


PARALLEL_FROM = 200_000  # characters of text from which in_parallel forks
_SHARED: list = []  # (function, shared arguments) for in_parallel's forked processes


def cores() -> int:
    """The cores this process may use: one worker process (or thread) each."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def _call_shared(item: Any) -> Any:
    function, shared = _SHARED[-1]
    return function(*shared, item)


def in_parallel(function: Callable, items: Sequence, *shared: Any, size: int) -> list:
    """[function(*shared, item) for item in items], spread over one forked process per
    core when the work is large enough to pay for the processes (`size`: characters of
    text, at least PARALLEL_FROM) and forking is safe; else here. `shared` reaches the
    processes by the fork, not pickled for each batch of items (a whole Book can be)."""
    jobs = cores()
    if jobs < 2 or size < PARALLEL_FROM or not can_fork():
        return [function(*shared, item) for item in items]
    _SHARED.append((function, shared))
    try:
        with multiprocessing.get_context("fork").Pool(
                jobs, initializer=init_process, initargs=(os.getpid(),)) as pool:
            return pool.map(_call_shared, items, chunksize=max(1, len(items) // (4 * jobs)))
    finally:
        _SHARED.pop()


class SerialPool:
    """multiprocessing.Pool's apply_async over calls made here, at once."""

    def apply_async(self, function: Callable, args: tuple,
                    callback: Callable[[Any], None] = lambda result: None,
                    error_callback: Callable[[BaseException], None] = lambda error: None,
                    ) -> None:
        try:
            result = function(*args)
        except Exception as exc:  # noqa: BLE001 - handed over, as the pool would
            error_callback(exc)
        else:
            callback(result)

    def __enter__(self) -> SerialPool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
