"""source_date_epoch: reproducible dates from SOURCE_DATE_EPOCH, a bad value refused
(book/options.py)."""

from __future__ import annotations

import pytest

from book.errors import BookError
from book.options import LAST_SECOND, edition_from_env, source_date_epoch


@pytest.mark.parametrize("value, seconds", [
    ("1700000000", 1700000000), (" 0 ", 0), ("", None), ("   ", None),
    (str(LAST_SECOND), LAST_SECOND),
])
def test_valid_values(monkeypatch, value, seconds):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert source_date_epoch() == seconds


def test_unset_is_none(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert source_date_epoch() is None


@pytest.mark.parametrize("value", ["-1", "1.5", "1e9", "tomorrow", "１２３", "0x10",
                                   str(LAST_SECOND + 1)])
def test_malformed_values_are_refused(monkeypatch, value):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(BookError) as caught:
        source_date_epoch()
    [problem] = caught.value.problems
    assert problem.path == "SOURCE_DATE_EPOCH" and problem.line is None
    assert f"'{value.strip()}'" in problem.message
    assert problem.hint  # says what to write instead


def test_the_edition_takes_its_time_from_the_variable(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234")
    edition = edition_from_env("1.2.0")
    assert (edition.version, edition.timestamp) == ("1.2.0", 1234)
