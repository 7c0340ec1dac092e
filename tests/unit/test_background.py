"""background: work forks only when that is safe, and otherwise runs here, in order, with
the same results (book/background.py)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from book.background import PARALLEL_FROM, Background, SerialPool, can_fork, in_parallel
from book.errors import BuildError


def pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value * 2


def fail(message: str) -> None:
    raise ValueError(message)


@contextmanager
def another_thread() -> Iterator[None]:
    """A second thread alive for the duration, as in `book serve --pdf`."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def test_no_fork_while_another_thread_runs():
    with another_thread():
        assert not can_fork()


def test_background_runs_here_when_a_thread_runs():
    calls: list[int] = []
    with another_thread():
        work = Background(lambda n: calls.append(n) or pid_and(n), 21)
        assert calls == []  # nothing runs until the result is asked for
        assert work.result() == (os.getpid(), 42)
        assert calls == [21]
        work.stop()  # nothing to stop


def test_background_raises_the_work_s_error_here_when_a_thread_runs():
    with another_thread():
        work = Background(fail, "broken")
        with pytest.raises(ValueError, match="broken"):
            work.result()


def test_background_forks_when_it_is_safe():
    """With no other thread, on Linux, the work runs in a child process; its errors, and
    its death, come back to the parent."""
    forks = can_fork()
    assert forks == (sys.platform.startswith("linux") and threading.active_count() == 1)
    pid, value = Background(pid_and, 5).result()
    assert value == 10 and (pid != os.getpid()) is forks
    with pytest.raises(ValueError, match="in a child"):
        Background(fail, "in a child").result()
    if forks:
        with pytest.raises(BuildError, match="died"):
            Background(os._exit, 3).result()


def test_serial_pool_has_the_pool_s_face():
    got: list = []
    with SerialPool() as pool:
        pool.apply_async(pid_and, (7,), callback=got.append, error_callback=got.append)
        assert got == [(os.getpid(), 14)]  # run here, at once
        pool.apply_async(pid_and, ("x", "y"), callback=got.append, error_callback=got.append)
        assert isinstance(got[-1], TypeError)


def test_in_parallel_keeps_the_order_and_forks_when_it_is_safe():
    results = in_parallel(pid_and, list(range(8)), size=PARALLEL_FROM)
    assert [value for _, value in results] == [n * 2 for n in range(8)]
    cores = len(os.sched_getaffinity(0))
    assert ({pid for pid, _ in results} != {os.getpid()}) is (can_fork() and cores > 1)
    assert {pid for pid, _ in in_parallel(pid_and, [1, 2], size=PARALLEL_FROM - 1)} == {
        os.getpid()}  # too little work to pay for the processes
