"""What `book build` prints: progress per stage and edition (a bar on a terminal, plain
lines otherwise), a closing table, one JSON document with --json, nothing with --quiet."""

from __future__ import annotations

import io
import json
import shutil

import pypdf

from book.cli.progress import Progress
from conftest import MINI, cli


def test_plain_progress_lines_and_closing_table(tmp_path):
    out = tmp_path / "out"
    proc = cli(["build", str(MINI), "--out", str(out)])
    assert proc.returncode == 0, proc.stderr
    steps = proc.stderr.splitlines()
    assert steps[0].startswith("loaded 2 chapters") and steps[1].startswith("laid out")
    assert [s for s in steps if s.startswith("wrote")] == [
        "wrote tide-pools.pdf", "wrote tide-pools.epub", "wrote tide-pools-web"]
    assert "\r" not in proc.stderr, "no bar when stderr is not a terminal"
    table = proc.stdout.splitlines()
    assert table[0].split() == ["file", "size", "pages", "time"]
    rows = {line.split()[0]: line.split() for line in table[1:4]}
    pages = len(pypdf.PdfReader(str(out / "tide-pools.pdf")).pages)
    assert rows[str(out / "tide-pools.pdf")][3] == str(pages)
    assert str(out / "tide-pools.epub") in rows and str(out / "tide-pools-web") in rows
    assert table[-1].startswith("built in ")


def test_json_summary_for_scripts(tmp_path):
    out = tmp_path / "out"
    proc = cli(["build", str(MINI), "--out", str(out), "--format", "pdf", "--format", "epub",
                "--json"])
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["up_to_date"] is False and summary["warnings"] == []
    files = {f["format"]: f for f in summary["files"]}
    assert set(files) == {"pdf", "epub"}
    for entry in files.values():
        assert entry["size"] == (out / entry["path"].rsplit("/", 1)[1]).stat().st_size
    assert files["pdf"]["pages"] == len(pypdf.PdfReader(files["pdf"]["path"]).pages)
    again = json.loads(cli(["build", str(MINI), "--out", str(out), "--format", "pdf",
                            "--format", "epub", "--json"]).stdout)
    assert again["up_to_date"] is True


def test_quiet_prints_nothing(tmp_path):
    project = tmp_path / "book"
    shutil.copytree(MINI, project)
    proc = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "epub",
                "--quiet"])
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(monkeypatch):
    monkeypatch.delenv("TERM", raising=False)
    stream = _Terminal()
    progress = Progress.for_stream(stream, 4, quiet=False)
    for step in ("loaded", "laid out", "wrote a.pdf", "wrote a.epub"):
        progress(step)
    progress.finish()
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n")
    assert "[" + "#" * Progress.WIDTH + "] 4/4 wrote a.epub" in text
    assert "[" + "#" * (Progress.WIDTH // 4) + "-" * (Progress.WIDTH * 3 // 4) + "] 1/4" in text
