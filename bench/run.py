"""Time this builder against pandoc on the same content, side by side in one run.

For each book it measures, in fresh output folders: `book build` (PDF + EPUB, cold), the
no-op rebuild, and pandoc producing the EPUB and the PDF through `--pdf-engine=weasyprint`
with the same CSS. Wall time, CPU time (user + system of the child processes) and peak
memory (max RSS) for each, then the ratios.

    python bench/run.py [--large] [--chapters N]

Needs the optional bench dependency `pypandoc-binary` (pip install '.[bench]').
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
THEME = ROOT / "book" / "theme"


@dataclass
class Run:
    label: str
    wall: float
    cpu: float
    rss_mb: float


def measure(label: str, argv: list[str], env: dict | None = None) -> Run:
    """Run one command in a child process; wall, CPU and peak RSS from wait4."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{label} failed: {' '.join(argv)}\n{proc.stderr.read().decode()}")
    return Run(label, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def pandoc_input(project: Path, work: Path) -> Path:
    """The same text as one pandoc Markdown file (the generator writes one for large books;
    for a real project, chapters are concatenated with front matter and photo slots dropped)."""
    ready = project / "pandoc.md"
    if ready.is_file():
        return ready
    import tomllib

    meta = tomllib.loads((project / "book.toml").read_text("utf-8"))
    parts = [f"---\ntitle: \"{meta['title']}\"\nlang: {meta['language']}\n---\n"]
    for chapter in meta["chapters"]:
        if not chapter.endswith(".md"):
            continue
        text = (project / chapter).read_text("utf-8")
        if text.startswith("---"):
            _, front, text = text.split("---", 2)
            title = next((l.split(":", 1)[1].strip() for l in front.splitlines()
                          if l.startswith("title:")), "")
            text = f"# {title}\n\n{text}"
        parts.append(text)
    out = work / "pandoc.md"
    out.write_text("\n\n".join(parts), "utf-8")
    return out


def bench(project: Path, label: str) -> list[tuple[str, Run, Run | None]]:
    import pypandoc

    pandoc = pypandoc.get_pandoc_path()
    book = shutil.which("book") or str(Path(sys.executable).parent / "book")
    env = {"SOURCE_DATE_EPOCH": "1700000000",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        source = pandoc_input(project, work)
        css = work / "print.css"
        css.write_text((THEME / "base.css").read_text("utf-8").replace('url("fonts/', f'url("{THEME}/fonts/')
                       + (THEME / "print.css").read_text("utf-8"), "utf-8")
        ours = measure(f"{label}: book build (PDF+EPUB, cold)",
                       [book, "build", str(project), "--out", str(work / "ours"),
                        "--format", "pdf", "--format", "epub", "--quiet"], env)
        noop = measure(f"{label}: book build (no-op rebuild)",
                       [book, "build", str(project), "--out", str(work / "ours"),
                        "--format", "pdf", "--format", "epub", "--quiet"], env)
        p_epub = measure(f"{label}: pandoc EPUB", [pandoc, str(source), "-o", str(work / "p.epub"),
                                                    "--resource-path", str(project)], env)
        p_pdf = measure(f"{label}: pandoc PDF (weasyprint)",
                        [pandoc, str(source), "-o", str(work / "p.pdf"), "--pdf-engine=weasyprint",
                         "--css", str(css), "--resource-path", str(project)], env)
        both = Run(f"{label}: pandoc PDF+EPUB", p_epub.wall + p_pdf.wall, p_epub.cpu + p_pdf.cpu,
                   max(p_epub.rss_mb, p_pdf.rss_mb))
        return [("cold build vs pandoc PDF+EPUB", ours, both),
                ("no-op rebuild vs cold build", noop, ours),
                ("pandoc EPUB", p_epub, None), ("pandoc PDF", p_pdf, None)]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(rows: list[tuple[str, Run, Run | None]]) -> str:
    lines = ["| measurement | wall s | CPU s | peak MB | ratio (wall) |", "|---|---:|---:|---:|---:|"]
    for name, run, base in rows:
        ratio = f"{run.wall / base.wall:.2f}× {base.label.split(': ')[1]}" if base else ""
        lines.append(f"| {run.label} | {run.wall:.2f} | {run.cpu:.2f} | {run.rss_mb:.0f} | {ratio} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", action="store_true", help="also run the large synthetic book")
    parser.add_argument("--chapters", type=int, default=100)
    args = parser.parse_args()
    rows = bench(ROOT, "explainer")
    if args.large:
        from make_large import generate

        large = Path(tempfile.mkdtemp(prefix="large-book-")) / "book"
        generate(large, args.chapters, args.chapters * 2000)
        rows += bench(large, f"large ({args.chapters} chapters)")
        shutil.rmtree(large.parent, ignore_errors=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
