"""The `book` command. Exit codes: 0 ok, 1 build failed, 2 bad input or usage, 130 interrupted."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import __version__
from .errors import BookError, BuildError
from .pipeline import FORMATS, build, edition_from_env

EXIT_OK, EXIT_BUILD, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


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
    return parser


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def _out_dir(project: Path, out: Path | None) -> Path:
    out_dir = (out or project / "dist").resolve()
    if out_dir == project.resolve() or (out_dir / ".git").exists():
        raise BookError.at(str(out_dir), None, "refusing to write editions into a project root "
                           "or a git checkout", "pass --out with a dedicated folder")
    return out_dir


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    say = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    started = time.perf_counter()
    try:
        out_dir = _out_dir(args.project, args.out)
        report = build(args.project, out_dir, tuple(dict.fromkeys(args.formats or FORMATS)),
                       edition_from_env(args.edition), progress=say,
                       pdf_variant="pdf/a-3b" if args.archival else "pdf/ua-1")
    except BookError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    except BuildError as exc:
        print(f"error: build failed: {exc}", file=sys.stderr)
        return EXIT_BUILD
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        print(f"error: build failed: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BUILD
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not args.quiet:
        for item in report.written:
            pages = f"{item.pages} pages" if item.pages else ""
            print(f"{item.path}  {_size(item.size):>8}  {pages:>10}  {item.seconds:5.2f}s")
        print(f"built in {time.perf_counter() - started:.2f}s")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
