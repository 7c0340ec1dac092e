"""Same input + same SOURCE_DATE_EPOCH → byte-identical editions."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pikepdf

from conftest import MINI, cli


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def first_difference(a, b, path: str = "") -> str | None:
    """Path and values of the first difference between two direct PDF objects."""
    if isinstance(a, pikepdf.Dictionary) and isinstance(b, pikepdf.Dictionary):
        keys_a, keys_b = set(a.keys()), set(b.keys())
        if keys_a != keys_b:
            return f"{path}: keys {sorted(keys_a ^ keys_b)} in only one of them"
        for key in sorted(keys_a):
            va, vb = a[key], b[key]
            if getattr(va, "is_indirect", False) and getattr(vb, "is_indirect", False):
                if va.objgen != vb.objgen:
                    return f"{path}{key}: refs {va.objgen} vs {vb.objgen}"
                continue
            found = first_difference(va, vb, f"{path}{key}")
            if found:
                return found
        return None
    if isinstance(a, pikepdf.Array) and isinstance(b, pikepdf.Array):
        if len(a) != len(b):
            return f"{path}: lengths {len(a)} vs {len(b)}"
        for i, (va, vb) in enumerate(zip(a, b, strict=True)):
            if getattr(va, "is_indirect", False) and getattr(vb, "is_indirect", False):
                continue
            found = first_difference(va, vb, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if repr(a) == repr(b) else f"{path}: {repr(a)[:120]} vs {repr(b)[:120]}"


def pdf_differences(a: Path, b: Path, limit: int = 6) -> str:
    """The first few objects that differ between two PDFs, for the failure message."""
    out = []
    with pikepdf.open(a) as pa, pikepdf.open(b) as pb:
        if len(pa.objects) != len(pb.objects):
            out.append(f"object counts differ: {len(pa.objects)} vs {len(pb.objects)}")
        for oa, ob in zip(pa.objects, pb.objects, strict=False):
            if isinstance(oa, pikepdf.Stream) and isinstance(ob, pikepdf.Stream):
                where = first_difference(oa.stream_dict, ob.stream_dict)
                if where is None and oa.read_bytes() != ob.read_bytes():
                    where = "stream data"
            else:
                where = first_difference(oa, ob)
            if where:
                out.append(f"object {oa.objgen}{where}")
            if len(out) >= limit:
                break
    return "PDFs differ:\n" + "\n".join(out)


def epub_differences(a: Path, b: Path) -> str:
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        if za.namelist() != zb.namelist():
            return f"entries differ: {za.namelist()} vs {zb.namelist()}"
        return "differing entries: " + ", ".join(
            n for n in za.namelist()
            if za.read(n) != zb.read(n) or za.getinfo(n).date_time != zb.getinfo(n).date_time)


def assert_identical(first, second) -> None:
    assert first.epub.name == second.epub.name and first.pdf.name == second.pdf.name
    assert sha(first.epub) == sha(second.epub), epub_differences(first.epub, second.epub)
    assert sha(first.pdf) == sha(second.pdf), pdf_differences(first.pdf, second.pdf)


def test_two_builds_into_different_folders_are_identical(session_builds):
    first, second = session_builds.mini, session_builds.mini_again
    assert first.out != second.out
    assert_identical(first, second)


def test_build_does_not_depend_on_project_location(session_builds, tmp_path):
    """The same project copied elsewhere and built from inside (`book build .`) gives the
    same bytes: no absolute path of the checkout leaks into an edition."""
    project = tmp_path / "elsewhere" / "tide-pools-book"
    shutil.copytree(MINI, project)
    out = tmp_path / "out"
    result = cli(["build", ".", "--out", str(out), "--format", "pdf", "--format", "epub",
                  "--quiet"], cwd=project)
    assert result.returncode == 0, result.stderr

    class Copy:
        pdf = out / session_builds.mini.pdf.name
        epub = out / session_builds.mini.epub.name

    assert_identical(session_builds.mini, Copy)


def test_another_epoch_gives_another_epub(session_builds, tmp_path):
    """A different SOURCE_DATE_EPOCH gives a different EPUB (dates are stamped), so the
    identical-bytes check above is not vacuous."""
    out = tmp_path / "out"
    result = cli(["build", str(MINI), "--out", str(out), "--format", "epub", "--quiet"],
                 epoch=1600000000)
    assert result.returncode == 0, result.stderr
    assert sha(out / session_builds.mini.epub.name) != sha(session_builds.mini.epub)
