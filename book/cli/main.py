"""The `book` command. Exit codes: 0 ok, 1 build failed, 2 bad input or usage, 3 warnings
under --strict, 4 release or verify checks failed, 5 no edition to release, 6 dirty working
tree, 7 stand-in photos, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
import warnings
from pathlib import Path

from .. import __version__, fingerprint
from ..errors import BookError, BuildError
from ..options import DEFAULT_FORMATS, FORMATS, edition_from_env
from .progress import Progress, size_text, summary, table

EXIT_OK, EXIT_BUILD, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_WARNINGS, EXIT_TERMINATED = 3, 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the build is so that it unwinds like Ctrl-C: temporary files
    are removed and the previous editions stay as they were."""


def _on_sigterm(signum, frame):
    raise Terminated()


def _failure(exc: BaseException, command: str = "build") -> tuple[str, int]:
    """An unexpected exception as one error line (never a traceback; BOOK_DEBUG=1 shows
    it): a refused fetch is bad input; a template error names the template and line."""
    if type(exc).__name__ == "RefusedFetch":  # weasyprint's fatal fetch error, unlocated
        return f"{getattr(exc, 'url', '')}: {exc}", EXIT_INPUT
    where = ""
    filename, lineno = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if type(exc).__module__.startswith("jinja2") and filename and lineno:
        where = f"{filename}:{lineno}: "
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
        if frames:
            where = f"{frames[-1].filename}:{frames[-1].lineno}: "
    if "/book/templates/" in where:
        where = "book/templates/" + where.split("/book/templates/", 1)[1]
    return f"{command} failed: {where}{type(exc).__name__}: {exc}", EXIT_BUILD


def _unexpected(exc: BaseException, command: str) -> int:
    """Print what _failure makes of an exception no handler expected; return its exit code."""
    message, code = _failure(exc, command)
    print(f"error: {message}", file=sys.stderr)
    if os.environ.get("BOOK_DEBUG"):
        traceback.print_exception(exc)
    return code


def _guarded(command: str, run) -> int:
    """Run `check`, `serve` or `verify` so that no exception ends in a traceback."""
    try:
        return run()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - one line, never a traceback
        return _unexpected(exc, command)


def _port(text: str) -> int:
    """A TCP port number, so that `--port 70000` is a usage error (exit 2), not an
    OverflowError from the socket."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (0 to 65535; "
                                         "0 picks a free one)")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="book", description=__doc__)
    parser.add_argument("--version", action="version", version=f"book {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="build the editions into dist/")
    b.add_argument("project", nargs="?", default=".", type=Path, help="project folder (default: .)")
    b.add_argument("--out", type=Path, help="output folder (default: PROJECT/dist)")
    b.add_argument("--format", action="append", choices=FORMATS, dest="formats",
                   help="edition to build; repeat for several (default: all)")
    b.add_argument("--edition", default="", help="edition label stamped in the colophon")
    b.add_argument("--archival", action="store_true",
                   help="write the PDF as PDF/A-3b instead of tagged PDF/UA-1")
    b.add_argument("--quiet", action="store_true", help="print nothing but errors")
    b.add_argument("--json", action="store_true",
                   help="print one JSON summary on stdout (files, sizes, pages, times, warnings)")
    b.add_argument("--clean", action="store_true",
                   help="rebuild everything, ignoring what earlier builds left in the cache")
    b.add_argument("--layout", choices=("auto", "single", "chunked"), default="auto",
                   help="lay the PDF out as one document, or chapter by chapter in parallel "
                        "worker processes with a cache (default: auto: chunked from 8,000 "
                        "words, unless the project's CSS needs the whole book at once)")
    b.add_argument("--jobs", type=int, default=0,
                   help="worker processes for the chunked layout (default: one per core)")
    b.add_argument("--strict", action="store_true",
                   help="exit 3 when the build gives warnings (the editions are still written)")
    c = commands.add_parser("check", help="lint the sources without building")
    c.add_argument("project", nargs="?", default=".", type=Path, help="project folder (default: .)")
    c.add_argument("--strict", action="store_true", help="fail on warnings too")
    c.add_argument("--format", choices=("text", "json"), default="text", dest="output",
                   help="output format (default: text)")
    s = commands.add_parser("serve", help="preview the web edition, rebuilt on every save")
    s.add_argument("project", nargs="?", default=".", type=Path, help="project folder (default: .)")
    s.add_argument("--port", type=_port, default=8000, help="port on 127.0.0.1 (default: 8000; "
                   "0 picks a free one)")
    s.add_argument("--pdf", action="store_true", help="also keep PROJECT/dist/<slug>.pdf rebuilt")
    r = commands.add_parser("release", help="build, verify and publish a tagged edition "
                            "(exit 4 checks failed, 5 no edition, 6 dirty tree, 7 stand-ins)")
    r.add_argument("project", nargs="?", default=".", type=Path, help="project folder (default: .)")
    r.add_argument("--out", type=Path, help="output folder (default: PROJECT/dist)")
    r.add_argument("--edition", default="", help="edition (default: the vX.Y.Z tag on HEAD)")
    r.add_argument("--allow-dirty", action="store_true", help="release uncommitted changes")
    r.add_argument("--allow-stand-ins", action="store_true", help="release with stand-in photos")
    r.add_argument("--json", action="store_true", help="print release.json on stdout")
    r.add_argument("--quiet", action="store_true", help="print nothing but errors")
    i = commands.add_parser("import", help="write a book project from another tool's book")
    i.add_argument("kind", choices=("mdbook", "docx"), help="the tool that made the book "
                   "(docx: a Word chapter, added to the project)")
    i.add_argument("source", type=Path, help="the book's folder (mdBook: holds book.toml, src/), "
                   "or the .docx file")
    i.add_argument("dest", type=Path, nargs="?", help="the new project's folder (new or empty); "
                   "for docx the project (default: .)")
    i.add_argument("--chapter", help="docx: the chapter file to write (default: "
                   "chapters/<file name>.md)")
    n = commands.add_parser("new", help="start a book: a small project that builds at once")
    n.add_argument("dest", type=Path, help="the new project's folder (new or empty)")
    n.add_argument("--title", default="Untitled Book", help="the book's title")
    n.add_argument("--language", default="en", help="BCP 47 language tag (default: en)")
    n.add_argument("--author", default="Your Name", help="the author's name")
    d = commands.add_parser("changes", help="what changed in the text between two commits or "
                            "tags, with the earlier print edition's pages")
    d.add_argument("old", help="the earlier commit or tag (e.g. v1.0.0)")
    d.add_argument("new", help="the later commit or tag (e.g. v1.1.0, HEAD)")
    d.add_argument("project", nargs="?", default=".", type=Path, help="project folder (default: .)")
    d.add_argument("--format", choices=("markdown", "html"), default="markdown", dest="output",
                   help="markdown: a CHANGELOG.md section (default); html: the Corrections "
                        "page's body")
    v = commands.add_parser("verify", help="run the release checks on PDFs and EPUBs (exit 4 "
                            "when one fails)")
    v.add_argument("files", nargs="+", type=Path, help="PDF or EPUB files")
    return parser


def _out_dir(project: Path, out: Path | None) -> Path:
    if out is None and (project / "dist").is_symlink():
        raise BookError.at(str(project / "dist"), None, "the output folder is a symbolic link",
                           "remove it, or pass --out with a dedicated folder")
    out_dir = (out or project / "dist").resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise BookError.at(str(out_dir), None, "the output folder is a file",
                           "pass --out with a folder")
    if out_dir == project.resolve() or (out_dir / ".git").exists():
        raise BookError.at(str(out_dir), None, "refusing to write editions into a project root "
                           "or a git checkout", "pass --out with a dedicated folder")
    return out_dir


def _check(args: argparse.Namespace) -> int:
    from ..lint.check import check_project

    try:
        report = check_project(args.project)
    except BookError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    if args.output == "json":
        print(report.as_json())
    else:
        for line in report.lines():
            print(line)
        print(report.summary(), file=sys.stderr)
    if report.errors:
        return EXIT_INPUT
    return EXIT_WARNINGS if args.strict and report.warnings else EXIT_OK


def _warnings(project: Path) -> list[str]:
    """`book check`'s warnings, as it prints them (serve shows them on its pages)."""
    from ..lint.check import Report, check_project
    from ..lint.rules import WARNING

    report = check_project(project)
    return Report(tuple(f for f in report.findings if f.severity == WARNING),
                  report.files).lines()


def _serve(args: argparse.Namespace) -> int:
    from ..web.serve import serve

    say = lambda message: print(message, flush=True)  # noqa: E731
    try:
        pdf_out = _out_dir(args.project, None) if args.pdf else None
        serve(args.project, args.port, edition_from_env(), say, pdf_out, _warnings)
    except BookError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:
        print(f"error: cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from ..release.release import EXIT_GATE
    from ..release.verify import verify

    results = verify(args.files)
    for result in results:
        for problem in result.problems:
            print(f"{result.path}: {problem}", file=sys.stderr)
        for warning in result.warnings:
            print(f"{result.path}: warning: {warning}", file=sys.stderr)
        if result.passed:
            version = f" {result.version}" if result.version else ""
            print(f"{result.path}: ok ({result.tool}{version})")
    return EXIT_OK if all(r.passed for r in results) else EXIT_GATE


def _release(args: argparse.Namespace, out_dir: Path, say) -> int:
    """Refusals and failed checks have their own exit codes; build errors are _build's."""
    import json

    from ..release.release import EXIT_GATE, GateFailed, Options, Refused, release

    try:
        summary = release(args.project, out_dir, Options(args.edition, args.allow_dirty,
                                                         args.allow_stand_ins), say)
    except Refused as exc:
        for _, message in exc.reasons:
            print(f"error: refused: {message}", file=sys.stderr)
        return exc.code
    except GateFailed as exc:
        for result in exc.results:
            for problem in result.problems:
                print(f"error: {result.path.name}: {problem}", file=sys.stderr)
        print(f"error: checks failed; nothing was written to {out_dir}", file=sys.stderr)
        return EXIT_GATE
    if args.json:
        print(json.dumps(summary, indent=2))
    elif not args.quiet:
        for item in summary["files"]:
            print(f"{out_dir / item['name']}  {size_text(item['size']):>8}  {item['sha256']}")
        print(f"released edition {summary['edition']} of commit {summary['commit'][:12]}")
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from ..desk.docx import import_docx
    from ..source.mdbook import import_mdbook

    try:
        if args.kind == "docx":
            print(import_docx(args.dest or Path("."), args.source, args.chapter))
        elif args.dest is None:
            raise BookError.at(str(args.source), None, "no destination folder",
                               "book import mdbook SOURCE DEST")
        else:
            print(import_mdbook(args.source, args.dest))
    except BookError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    from ..desk.new import new_project

    try:
        written = new_project(args.dest, args.title, args.language, args.author)
    except BookError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    print(f"wrote {len(written)} files into {args.dest}; next: book build {args.dest}")
    return EXIT_OK


def _changes(args: argparse.Namespace) -> int:
    from ..desk.changes import changes, corrections_html, markdown

    try:
        found = changes(args.project, args.old, args.new)
    except BookError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    print(markdown(found) if args.output == "markdown" else corrections_html(found, args.old),
          end="")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("check", "serve", "verify", "import", "new", "changes"):
        run = {"check": _check, "serve": _serve, "verify": _verify, "import": _import,
               "new": _new, "changes": _changes}[args.command]
        return _guarded(args.command, lambda: run(args))
    say = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    started = time.perf_counter()
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        with warnings.catch_warnings():
            if not os.environ.get("BOOK_DEBUG"):  # libraries' Python warnings (EbookLib
                warnings.simplefilter("ignore")  # warns before it raises) are not problems
            return _build(args, say, started)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _build(args: argparse.Namespace, say, started: float) -> int:
    try:
        out_dir = _out_dir(args.project, args.out)
        if args.command == "release":
            return _release(args, out_dir, say)
        edition = edition_from_env(args.edition)  # a malformed SOURCE_DATE_EPOCH stops here
        formats = tuple(dict.fromkeys(args.formats or DEFAULT_FORMATS))
        options = {"formats": formats, "edition": args.edition, "archival": args.archival,
                   "layout": args.layout}
        record = None if args.clean else fingerprint.still_built(args.project, out_dir, options)
        if record is not None:
            for warning in record["warnings"]:
                print(f"warning: {warning}", file=sys.stderr)
            if args.json:
                print(summary([], record["warnings"], time.perf_counter() - started, True))
            elif not args.quiet:
                print(f"up to date: nothing changed since the last build "
                      f"({time.perf_counter() - started:.2f}s)")
            return EXIT_WARNINGS if args.strict and record["warnings"] else EXIT_OK
        from ..pipeline import LayoutOptions, build

        began = time.time()  # inputs changed after this are not recorded as built
        fingerprint.builder_digest()  # the builder as it builds, for the record

        steps = 1 + len(formats) + (1 if {"pdf", "epub"} & set(formats) else 0)
        progress = Progress.for_stream(sys.stderr, steps, args.quiet or args.json)
        try:
            layout = LayoutOptions(args.layout, args.jobs, not args.clean,
                                   "pdf/a-3b" if args.archival else "pdf/ua-1")
            report = build(args.project, out_dir, formats, edition, progress=progress,
                           layout=layout)
        finally:
            progress.finish()
        fingerprint.remember(args.project, out_dir, options, report.book,
                             [w.path for w in report.written], report.warnings, began)
    except BookError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    except BuildError as exc:
        print(f"error: build failed: {exc}", file=sys.stderr)
        return EXIT_BUILD
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        print("terminated" if terminated else "interrupted", file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: build failed: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_BUILD
    except (SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - one line, never a traceback
        return _unexpected(exc, "build")
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(summary(report.written, report.warnings, time.perf_counter() - started, False))
    elif not args.quiet:
        print(table(report.written, time.perf_counter() - started))
    return EXIT_WARNINGS if args.strict and report.warnings else EXIT_OK


def run() -> None:
    """The console script: main(), then the process ends at once. Tearing the interpreter
    down (WeasyPrint's fonts and layout, some 600 modules) would add a tenth of a second to
    every build, after every edition is written and closed and every worker has ended."""
    code = main()
    if "book.pdf.layout" in sys.modules:
        sys.modules["book.pdf.layout"].release_styles()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
