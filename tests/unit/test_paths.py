"""resolve_inside: the one rule for files named by content (book/source/paths.py)."""

from __future__ import annotations

import os

import pytest

from book.source.paths import OutsideProject, resolve_inside


@pytest.fixture
def root(tmp_path):
    project = tmp_path / "project"
    (project / "assets").mkdir(parents=True)
    (project / "assets" / "a.png").write_bytes(b"png")
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", project / "assets" / "link.txt")
    os.symlink(project / "assets" / "a.png", project / "inner-link.png")
    return project


@pytest.mark.parametrize("relative, expected", [
    ("assets/a.png", "assets/a.png"),
    ("./assets/../assets/a.png", "assets/a.png"),
    ("assets/missing.png", "assets/missing.png"),  # need not exist yet
    ("inner-link.png", "assets/a.png"),  # a symlink that stays inside is followed
    (".", ""),
])
def test_paths_inside_resolve(root, relative, expected):
    assert resolve_inside(root, relative) == (root / expected).resolve()


@pytest.mark.parametrize("relative", [
    "../secret.txt",
    "/etc/passwd",
    "assets\\..\\..\\secret.txt",  # a backslash is never a separator here
    "assets/a.png\x00.txt",
    "assets/link.txt",  # a symlink pointing out
    "../project/assets/a.png",  # comes back in by name, still refused
    "assets/../../secret.txt",
])
def test_paths_outside_are_refused(root, relative):
    with pytest.raises(OutsideProject) as caught:
        resolve_inside(root, relative)
    assert str(caught.value) == relative
