"""The chunked layout's feed (pdf/workers.py): work found on the way goes before the work
waiting, and results come back as they finish."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from book.background import SerialPool
from book.pdf.workers import _Feed


def started(name: str) -> tuple[str, float]:
    return name, time.monotonic()


def failed(name: str) -> BaseException:
    return ValueError(name)  # as a worker hands an error back


@pytest.mark.parametrize("pool", ["fork", "serial"])
def test_work_found_on_the_way_goes_before_the_work_waiting(pool: str) -> None:
    with (multiprocessing.get_context("fork").Pool(1) if pool == "fork" else SerialPool()) as p:
        feed = _Feed(p, 1)
        soon: list[tuple[str, float]] = []
        got = []
        for result in feed.map(started, ["a", "b", "c", "d"]):
            got.append(result)
            if len(got) == 1:
                feed.soon(started, "sheet", soon.append)
        feed.wait()
    order = [name for name, _ in sorted(got + soon, key=lambda row: row[1])]
    # one worker: "b" was handed out when "a" finished, the sheet goes before "c"
    assert order == ["a", "b", "sheet", "c", "d"]
    assert [name for name, _ in got] == ["a", "b", "c", "d"]


def test_an_error_handed_back_is_raised() -> None:
    feed = _Feed(SerialPool(), 2)
    with pytest.raises(ValueError, match="b"):
        list(feed.map(failed, ["b"]))
