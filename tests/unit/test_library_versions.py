"""fingerprint.library_versions: the versions of the libraries that shape the output, read
from dist-info folder names as importlib.metadata would find them (book/fingerprint.py)."""

from __future__ import annotations

import importlib.metadata
import sys

import pytest

from book.fingerprint import LIBRARIES, library_versions


@pytest.fixture
def fresh(monkeypatch):
    """library_versions computed again under a patched sys.path, and forgotten after."""
    library_versions.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    library_versions.cache_clear()


def test_the_installed_versions_are_importlib_metadata_s():
    versions = library_versions()
    assert set(versions) == set(LIBRARIES)
    for name in LIBRARIES:
        assert versions[name] == importlib.metadata.version(name), name


def test_the_first_folder_on_the_path_wins(fresh, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, entries in ((first, ["weasyprint-99.0.dist-info", "Markdown_It_Py-4.2.dist-info",
                                     "pydyf-1.0-extra.dist-info", "pillow-1.0.egg-info"]),
                            (second, ["weasyprint-1.0.dist-info", "pillow-2.0.dist-info",
                                      "pikepdf-3.0.dist-info"])):
        for entry in entries:
            (folder / entry).mkdir(parents=True)
    fresh.setattr(sys, "path", [str(tmp_path / "missing"), str(first), str(second)])
    versions = library_versions()
    assert versions["weasyprint"] == "99.0"  # not the second folder's
    assert versions["markdown-it-py"] == "4.2"  # the name normalized
    assert versions["pillow"] == "2.0"  # an egg-info is not a dist-info
    assert versions["pikepdf"] == "3.0"
    assert versions["pydyf"] == ""  # a name with a dash in its version is not read
    assert versions["lxml"] == ""  # not installed anywhere on this path
    assert list(versions) == list(LIBRARIES)


def test_the_answer_is_kept_for_the_process(fresh, tmp_path):
    library_versions()
    fresh.setattr(sys, "path", [str(tmp_path)])
    assert library_versions()["weasyprint"]  # still the installed one, not re-read
