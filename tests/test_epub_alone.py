"""[epub] page-list = false: the EPUB maps no print pages, so an EPUB built alone skips the
print layout, and it is the same file as the one built with the PDF; it is still valid."""

from __future__ import annotations

import shutil
import zipfile

from conftest import MINI, EpubCheckRun, cli, epubcheck_summary


def test_epub_without_page_list_builds_alone_and_validates(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    manifest = project / "book.toml"
    manifest.write_text(manifest.read_text("utf-8") + "\n[epub]\npage-list = false\n", "utf-8")
    alone = cli(["build", str(project), "--out", str(tmp_path / "alone"), "--format", "epub"])
    assert alone.returncode == 0, alone.stderr
    assert "laid out" not in alone.stderr  # no print layout at all
    both = cli(["build", str(project), "--out", str(tmp_path / "both"), "--format", "pdf",
                "--format", "epub"])
    assert both.returncode == 0, both.stderr
    epub = tmp_path / "alone" / "tide-pools.epub"
    assert epub.read_bytes() == (tmp_path / "both" / "tide-pools.epub").read_bytes()
    with zipfile.ZipFile(epub) as book:
        text = b"".join(book.read(name) for name in book.namelist() if name.endswith(
            (".xhtml", ".opf")))
    assert b"page-list" not in text and b"pagebreak" not in text
    assert b"pageNavigation" not in text and b"pageBreakMarkers" not in text
    report = EpubCheckRun({"alone": epub}, tmp_path / "epubcheck").reports()["alone"]
    counts, messages = epubcheck_summary(report)
    assert counts == (0, 0, 0), messages
