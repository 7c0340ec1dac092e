"""Time a real large book, The Rust Programming Language, against pandoc through the same
WeasyPrint: cold PDF, wall time and peak memory, side by side in one run.

The book is rust-lang/book at a pinned commit. The script downloads that commit's archive
from GitHub into bench/.cache/ the first time (about 20 MB), or takes a checkout of the same
commit with --source. `book import mdbook` makes the project from its SUMMARY.md, Markdown
untouched; pandoc gets the same chapters in the same order as one Markdown file, with the
{{#include}} and {{#rustdoc_include}} listings expanded by the builder's own expansion (so
both print the same code) and image paths made absolute. Targets: our cold PDF in at most
0.6× pandoc's time and 0.5× its peak memory (summed RSS of the process tree).

    .venv/bin/python bench/real_book.py                       # download, then measure
    .venv/bin/python bench/real_book.py --source ~/src/book   # a checkout of COMMIT
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.request
from pathlib import Path

from run import ROOT, Row, Run, measure, pandoc_css, table

REPO = "rust-lang/book"
COMMIT = "917544888a55e4da7109bdba8c88c893c0da70f4"
ARCHIVE = f"https://codeload.github.com/{REPO}/tar.gz/{COMMIT}"
CACHE = ROOT / "bench" / ".cache"
_IMAGE = re.compile(r'(!\[[^\]]*\]\(|<img [^>]*src=")([^)"\s]+)')


def obtain(source: Path | None) -> Path:
    """The book's source tree: `source` when given, else the pinned archive, downloaded
    once and unpacked into bench/.cache/."""
    if source is not None:
        return source.resolve()
    tree = CACHE / f"book-{COMMIT}"
    if not tree.is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        archive = CACHE / f"book-{COMMIT}.tar.gz"
        if not archive.is_file():
            print(f"downloading {ARCHIVE}", file=sys.stderr)
            with urllib.request.urlopen(ARCHIVE, timeout=120) as response:
                archive.write_bytes(response.read())
        with tarfile.open(archive) as tar:
            tar.extractall(CACHE, filter="data")
    return tree


def pandoc_markdown(project: Path, out: Path) -> Path:
    """The project's chapters in book.toml's order as one file, includes expanded."""
    from book.source.includes import expand

    chapters = tomllib.loads((project / "book.toml").read_text("utf-8"))["chapters"]
    parts = []
    for rel in chapters:
        text = expand(project, rel, (project / rel).read_text("utf-8-sig")).text
        folder = (project / rel).parent

        def absolute(match: re.Match, folder: Path = folder) -> str:
            target = match.group(2)
            if "://" in target or target.startswith(("#", "/")):
                return match.group(0)
            return match.group(1) + str((folder / target).resolve())

        parts.append(_IMAGE.sub(absolute, text))
    out.write_text("\n\n".join(parts), "utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, help=f"a checkout of {REPO} at {COMMIT[:12]}")
    parser.add_argument("--layout", action="append", choices=("auto", "single", "chunked"),
                        help="our layouts to time (repeatable; default: auto and single)")
    args = parser.parse_args()
    import pypandoc

    pandoc = pypandoc.get_pandoc_path()
    book = str(Path(sys.executable).parent / "book")
    env = {"SOURCE_DATE_EPOCH": "1700000000",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    print(f"cores: {os.cpu_count()} (usable by this process: {len(os.sched_getaffinity(0))})\n")
    work = Path(tempfile.mkdtemp(prefix="bench-real-"))
    try:
        project = work / "trpl"
        subprocess.run([book, "import", "mdbook", str(obtain(args.source)), str(project)],
                       check=True, stdout=subprocess.DEVNULL)
        source, css = pandoc_markdown(project, work / "pandoc.md"), pandoc_css(work)
        label = f"TRPL ({REPO} {COMMIT[:12]})"
        theirs = measure(f"{label}: pandoc PDF (weasyprint)",
                         [pandoc, str(source), "-o", str(work / "p.pdf"),
                          "--pdf-engine=weasyprint", "--toc", "--css", str(css)], env)
        rows: list[Row] = [Row(theirs)]
        for layout in args.layout or ("auto", "single"):
            out = work / f"out-{layout}"
            ours: Run = measure(f"{label}: ours PDF, {layout} layout, cold",
                                [book, "build", str(project), "--out", str(out), "--format",
                                 "pdf", "--layout", layout, "--clean", "--quiet"], env, 1, out)
            memory = ours.tree_mb / theirs.tree_mb if theirs.tree_mb else 0.0
            note = "" if ours.error else f"{_pages(out)} pages; peak {memory:.2f}× pandoc's"
            rows.append(Row(ours, theirs, note))
        rows[0].note = f"{_pages_of(work / 'p.pdf')} pages"
        print(table(rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _pages(out: Path) -> str:
    found = sorted(out.glob("*.pdf"))
    return _pages_of(found[0]) if found else "?"


def _pages_of(pdf: Path) -> str:
    if not pdf.is_file():
        return "?"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    return next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")),
                "?")


if __name__ == "__main__":
    sys.exit(main())
