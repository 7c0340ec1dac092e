"""A web image (as real books carry: `![](https://i.imgur.com/…)`) builds: the build never
fetches it nor sends readers to its address; every edition keeps its alt text, and a
located warning names the address."""

from __future__ import annotations

import shutil
import zipfile

from conftest import MINI
from helpers import line_of, run_blocked


def test_web_image_becomes_its_alt_text_with_a_located_warning(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    chapter = project / "chapters" / "one.md"
    chapter.write_text(chapter.read_text("utf-8") + "\nSee ![a remote crab]"
                       "(https://images.example/crab.png) here.\n", "utf-8")
    line = line_of(chapter, "images.example")
    out = tmp_path / "out"
    result = run_blocked(["build", str(project), "--out", str(out), "--quiet"])
    assert result.returncode == 0, result.stderr
    assert "NETWORK ATTEMPT" not in result.stderr
    warnings = [w for w in result.stderr.splitlines() if "images.example" in w]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: chapters/one.md:{line}: ")
    web = "".join(p.read_text("utf-8") for p in (out / "tide-pools-web").rglob("*.html"))
    with zipfile.ZipFile(out / "tide-pools.epub") as epub:
        xhtml = "".join(epub.read(n).decode("utf-8") for n in epub.namelist()
                        if n.endswith(".xhtml"))
    pdf = (out / "tide-pools.pdf").read_bytes()
    for text in (web, xhtml):
        assert "See [a remote crab] here." in text
        assert "images.example" not in text
    assert b"images.example" not in pdf
