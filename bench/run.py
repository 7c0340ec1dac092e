"""Time this builder against pandoc on the same content, side by side in one run.

For each book (the explainer at the repo root and, with --large, a generated large book) it
measures pandoc (EPUB; PDF through `--pdf-engine=weasyprint` with the same CSS), then
`book build` cold (--clean, fresh output folder) with `--layout single` and `chunked`, the
no-op rebuild, and rebuilds after editing one chapter in the middle of the book. Each row
gives wall time, CPU time (user + system of the whole process tree, from wait4), the max RSS
of the biggest single process (wait4) and the peak of the tree's summed RSS (sampled from
/proc every 20 ms), and the ratio to a baseline row. The pandoc and cold rows of the
explainer, a few seconds each, are run --repeat times (default 5, a fresh output folder
each time) and give the run of median wall time: on this kind of machine one short run
varies by ±15 %.

    python bench/run.py [--large] [--chapters N] [--repeat N]

Needs the optional bench dependency `pypandoc-binary` (pip install '.[bench]').
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
THEME = ROOT / "book" / "render" / "theme"
SAMPLE_EVERY = 0.02  # seconds between samples of the process tree's RSS
PROGRESS = re.compile(r"laid out (\d+) of (\d+) chunks \(round (\d+)\)")


@dataclass
class Run:
    label: str
    wall: float
    cpu: float
    rss_mb: float  # max RSS of the biggest single process (wait4)
    tree_mb: float  # peak of the summed VmRSS of the process and all its descendants
    stderr: str = ""
    error: str = ""  # set when the command failed: its exit code and last stderr line


@dataclass
class Row:
    run: Run
    base: Run | None = None
    note: str = ""


def tree_rss_kb(pid: int) -> int:
    """Summed VmRSS (kB) of `pid` and all its descendants; processes that vanish count 0."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def measure(label: str, argv: list[str], env: dict | None = None, repeat: int = 1,
            fresh: Path | None = None) -> Run:
    """Run one command `repeat` times (removing `fresh` before each) and give the run of
    median wall time."""
    runs = []
    for _ in range(repeat):
        if fresh is not None:
            shutil.rmtree(fresh, ignore_errors=True)
        runs.append(measure_once(label, argv, env))
        if runs[-1].error:
            return runs[-1]
    return sorted(runs, key=lambda run: run.wall)[len(runs) // 2]


def measure_once(label: str, argv: list[str], env: dict | None = None) -> Run:
    """Run one command; wall, CPU and max RSS from wait4, the tree's peak RSS by sampling."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err,
                                env={**os.environ, **(env or {})})
        peak, done = [0], threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss_kb(proc.pid))
                done.wait(SAMPLE_EVERY)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    error = ""
    if proc.returncode != 0:  # reported in the table, so one failure does not hide the rest
        print(f"{label} failed: {' '.join(argv)}\n{stderr}", file=sys.stderr)
        last = (stderr.strip().splitlines() or [""])[-1].replace("|", "\\|")
        error = f"FAILED (exit {proc.returncode}): {last}"
    return Run(label, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
               peak[0] / 1024, stderr, error)


def chunks_laid_out(stderr: str) -> str:
    """'3+1 of 8' from the progress lines: chunks laid out in each round, of the total."""
    rounds = PROGRESS.findall(stderr)
    if not rounds:
        return "none"
    return f"{'+'.join(n for n, _, _ in rounds)} of {rounds[-1][1]}"


def pandoc_input(project: Path, work: Path) -> Path:
    """The same content as one pandoc Markdown file (the generator writes one for large
    books). For a real project: the title block and colophon, every chapter with its
    photographs and figures (the same image files, captions and credits), the key-figure
    boxes as tables, the data pages (timeline, glossary) as lists, and the back matter
    (picture credits, contributors, revision history); pandoc adds the contents (--toc)."""
    ready = project / "pandoc.md"
    if ready.is_file():
        return ready
    import tomllib

    meta = tomllib.loads((project / "book.toml").read_text("utf-8"))
    photos_file = project / "assets" / "photos.toml"
    photos = tomllib.loads(photos_file.read_text("utf-8")) if photos_file.is_file() else {}

    def photo(match: re.Match) -> str:
        entry = photos.get(match.group(1), {})
        caption = f"{entry.get('caption', '')} ({entry.get('credit', '')})"
        return f"![{caption}](assets/{entry.get('file', '')}){{alt=\"{entry.get('alt', '')}\"}}"

    def key_figures(match: re.Match) -> str:
        rows = [line.split("|", 1) for line in match.group(2).strip().splitlines()]
        return (f"**{match.group(1).strip()}**\n\n| | |\n|---|---|\n"
                + "\n".join(f"| {a.strip()} | {b.strip()} |" for a, b in rows) + "\n")

    parts = [f"---\ntitle: \"{meta['title']}\"\nsubtitle: \"{meta.get('subtitle', '')}\"\n"
             f"author: \"{meta.get('publisher', '')}\"\ndate: \"{meta.get('date', '')}\"\n"
             f"lang: {meta['language']}\n---\n",
             f"{meta.get('rights', '')}\n\n{meta.get('based_on', '')}\n"]
    for chapter in meta["chapters"]:
        path = project / chapter
        if chapter.endswith(".toml"):
            page = tomllib.loads(path.read_text("utf-8"))
            lines = [f"# {page['title']}", "", page.get("intro", ""), ""]
            for event in page.get("events", []):
                lines.append(f"- **{event['date']}**: {event['title']}. {event.get('note', '')}")
            for term in page.get("terms", []):
                lines += [term["term"], f":   {term['definition']}", ""]
            parts.append("\n".join(lines))
            continue
        text = path.read_text("utf-8")
        if text.startswith("---"):
            _, front, text = text.split("---", 2)
            title = next((line.split(":", 1)[1].strip() for line in front.splitlines()
                          if line.startswith("title:")), "")
            text = f"# {title}\n\n{text}"
        text = re.sub(r"!\[[^\]]*\]\(photo:([\w-]+)\)", photo, text)
        text = re.sub(r"```key-figures([^\n]*)\n(.*?)```", key_figures, text, flags=re.S)
        parts.append(text)
    if photos:
        parts.append("# Picture credits\n\n" + "\n".join(
            f"- {entry.get('subject') or entry.get('caption', '')}: {entry.get('credit', '')}"
            for entry in photos.values()))
    if meta.get("contributors"):
        parts.append("# Contributors\n\n" + "\n".join(
            f"- {c['name']}, {c['role']}" + (f" ({c['note']})" if c.get("note") else "")
            for c in meta["contributors"]))
    changelog = project / "CHANGELOG.md"
    if changelog.is_file():
        history = changelog.read_text("utf-8").split("\n## ", 1)[-1]
        parts.append("# Revision history\n\n## " + history.replace("\n### ", "\n#### ")
                     .replace("\n## ", "\n### "))
    out = work / "pandoc.md"
    out.write_text("\n\n".join(parts), "utf-8")
    return out


def middle_chapter(project: Path) -> Path:
    """The Markdown chapter in the middle of the book."""
    import tomllib

    chapters = [c for c in tomllib.loads((project / "book.toml").read_text("utf-8"))["chapters"]
                if c.endswith(".md")]
    return project / chapters[len(chapters) // 2]


def edit_words(chapter: Path) -> None:
    """Swap two pairs of plain words in the paragraph nearest the middle: same length, same
    characters, different text."""
    blocks = chapter.read_text("utf-8").split("\n\n")
    prose = [i for i, b in enumerate(blocks) if b[:1].isalpha()]
    i = min(prose, key=lambda j: abs(j - len(blocks) // 2))
    words = blocks[i].split(" ")
    plain = [k for k, w in enumerate(words) if w.isalpha() and len(w) > 3]
    mid = len(plain) // 2
    for a, b in ((plain[mid - 2], plain[mid - 1]), (plain[mid], plain[mid + 1])):
        words[a], words[b] = words[b], words[a]
    blocks[i] = " ".join(words)
    chapter.write_text("\n\n".join(blocks), "utf-8")


def add_paragraphs(chapter: Path, count: int = 8) -> None:
    """Add `count` paragraphs of about 120 words each in the middle of the chapter."""
    from make_large import paragraph

    rng = random.Random(1)
    blocks = chapter.read_text("utf-8").split("\n\n")
    middle = len(blocks) // 2
    blocks[middle:middle] = [paragraph(rng, 120) for _ in range(count)]
    chapter.write_text("\n\n".join(blocks), "utf-8")


def pandoc_css(work: Path) -> Path:
    """The theme's print CSS as one file, with font URLs made absolute."""
    css = work / "print.css"
    base = (THEME / "base.css").read_text("utf-8").replace('url("fonts/', f'url("{THEME}/fonts/')
    css.write_text(base + (THEME / "print.css").read_text("utf-8"), "utf-8")
    return css


def bench(project: Path, label: str, repeat: int = 1) -> list[Row]:
    """Every measurement for one book, in temporary folders (the project is copied first);
    pandoc's and the cold builds `repeat` times each."""
    import pypandoc

    pandoc = pypandoc.get_pandoc_path()
    book = shutil.which("book") or str(Path(sys.executable).parent / "book")
    env = {"SOURCE_DATE_EPOCH": "1700000000",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        source, css = pandoc_input(project, work), pandoc_css(work)
        src = work / "project"
        shutil.copytree(project, src, ignore=shutil.ignore_patterns(
            ".*", "dist", "book", "bench", "tests", "scripts", "*.egg-info", "__pycache__"))

        def ours(name: str, out: str, *options: str) -> Run:
            cold = "--clean" in options  # and in a fresh folder: no page map to guess from
            return measure(f"{label}: ours {name}",
                           [book, "build", str(src), "--out", str(work / out), *options], env,
                           repeat if cold else 1, work / out if cold else None)

        pdf, epub = ("--format", "pdf"), ("--format", "epub")
        both = (*pdf, *epub)
        p_epub = measure(f"{label}: pandoc EPUB", [pandoc, str(source), "-o", str(work / "p.epub"),
                                                    "--toc", "--resource-path", str(project)],
                         env, repeat)
        p_pdf = measure(f"{label}: pandoc PDF (weasyprint)",
                        [pandoc, str(source), "-o", str(work / "p.pdf"), "--pdf-engine=weasyprint",
                         "--toc", "--css", str(css), "--resource-path", str(project)], env, repeat)
        p_both = Run(f"{label}: pandoc PDF+EPUB (sum)", p_epub.wall + p_pdf.wall,
                     p_epub.cpu + p_pdf.cpu, max(p_epub.rss_mb, p_pdf.rss_mb),
                     max(p_epub.tree_mb, p_pdf.tree_mb), error=p_epub.error or p_pdf.error)
        rows = [Row(p_epub), Row(p_pdf), Row(p_both)]

        single = ours("PDF+EPUB, single, cold", "single", *both, "--layout", "single", "--clean")
        chunked = ours("PDF+EPUB, chunked, cold", "chunked", *both, "--layout", "chunked",
                       "--clean")
        rows += [Row(single, p_both), Row(chunked, p_both, chunks_laid_out(chunked.stderr))]
        for layout in ("single", "chunked"):
            run = ours(f"PDF, {layout}, cold", f"pdf-{layout}", *pdf, "--layout", layout, "--clean")
            rows.append(Row(run, p_pdf, chunks_laid_out(run.stderr) if layout == "chunked" else ""))
        rows.append(Row(ours("EPUB, cold", "epub", *epub, "--clean"), p_epub))

        # Warm builds into the cold chunked build's output folder, as an author would.
        noop = ours("PDF+EPUB, chunked, no-op rebuild", "chunked", *both, "--layout", "chunked")
        rows.append(Row(noop, chunked, chunks_laid_out(noop.stderr)))
        # The EPUB's page-list comes from the print layout: with the chunks cached, an EPUB
        # alone costs loading, the EPUB itself and reading the layout back.
        warm = ours("EPUB, chunked, layout cached", "chunked", *epub, "--layout", "chunked")
        rows.append(Row(warm, p_epub, chunks_laid_out(warm.stderr)))
        chapter = middle_chapter(src)
        edit_words(chapter)
        words = ours(f"PDF+EPUB, chunked, {chapter.name}: words changed", "chunked", *both,
                     "--layout", "chunked")
        rows.append(Row(words, chunked, chunks_laid_out(words.stderr)))
        add_paragraphs(chapter)
        grown = ours(f"PDF+EPUB, chunked, {chapter.name}: paragraphs added", "chunked", *both,
                     "--layout", "chunked")
        rows.append(Row(grown, chunked, chunks_laid_out(grown.stderr)))
        # A book whose EPUB maps no print pages (as pandoc's does not) builds it alone.
        manifest = src / "book.toml"
        manifest.write_text(manifest.read_text("utf-8") + "\n[epub]\npage-list = false\n",
                            "utf-8")
        rows.append(Row(ours("EPUB, cold, [epub] page-list = false", "epub-no-pages", *epub,
                             "--clean"), p_epub))
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(rows: list[Row]) -> str:
    lines = ["| measurement | wall s | CPU s (tree) | max RSS MB (largest process) "
             "| peak MB (tree, summed RSS) | wall ratio | CPU ratio | vs "
             "| chunks laid out (per round) |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for row in rows:
        r, b = row.run, row.base
        ratios = (f"{r.wall / b.wall:.2f}× | {r.cpu / b.cpu:.2f}× | {b.label.split(': ', 1)[1]}"
                  if b and not (r.error or b.error) else " | | ")
        note = r.error or row.note
        lines.append(f"| {r.label} | {r.wall:.2f} | {r.cpu:.2f} | {r.rss_mb:.0f} "
                     f"| {r.tree_mb:.0f} | {ratios} | {note} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", action="store_true", help="also run the large synthetic book")
    parser.add_argument("--chapters", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of each cold explainer build and pandoc run "
                             "(the median is kept)")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()} (usable by this process: {len(os.sched_getaffinity(0))})\n")
    rows = bench(ROOT, f"explainer (median of {args.repeat})", max(1, args.repeat))
    if args.large:
        from make_large import generate

        large = Path(tempfile.mkdtemp(prefix="large-book-")) / "book"
        try:
            generate(large, args.chapters, args.chapters * 2000)
            rows += bench(large, f"large ({args.chapters} chapters)")
        finally:
            shutil.rmtree(large.parent, ignore_errors=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
