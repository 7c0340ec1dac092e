"""What `book build` tells a person or a script while it works and when it is done: a bar
redrawn in place on an interactive terminal, plain lines otherwise, and a closing table (or
one JSON document for scripts)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TextIO


class Progress:
    """Called once per finished step with a message; `total` steps make the bar."""

    WIDTH = 24

    def __init__(self, stream: TextIO, total: int, mode: str):
        self.stream, self.total, self.mode, self.step = stream, total, mode, 0

    @classmethod
    def for_stream(cls, stream: TextIO, total: int, quiet: bool) -> Progress:
        interactive = stream.isatty() and os.environ.get("TERM") != "dumb"
        return cls(stream, total, "off" if quiet else "bar" if interactive else "lines")

    def __call__(self, message: str) -> None:
        self.step += 1
        if self.mode == "lines":
            print(message, file=self.stream, flush=True)
        elif self.mode == "bar":
            done = min(self.step, self.total)
            filled = self.WIDTH * done // max(self.total, 1)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            print(f"\r\x1b[K[{bar}] {done}/{self.total} {message}", end="", file=self.stream,
                  flush=True)

    def finish(self) -> None:
        if self.mode == "bar" and self.step:
            print(file=self.stream, flush=True)


def size_text(n: int) -> str:
    """A file size as a person reads it."""
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def table(written, seconds: float) -> str:
    """The closing table: file, size, pages, time, one row per edition written."""
    rows = [("file", "size", "pages", "time")]
    rows += [(_shown(w.path), size_text(w.size), str(w.pages or ""), f"{w.seconds:.2f}s")
             for w in written]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join([r[0].ljust(widths[0])]
                       + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)])
             for r in rows]
    return "\n".join(lines + [f"built in {seconds:.2f}s"])


def summary(written, warnings: list[str], seconds: float, up_to_date: bool) -> str:
    """The same facts as one JSON document, for scripts (`--json`)."""
    return json.dumps({
        "up_to_date": up_to_date,
        "seconds": round(seconds, 3),
        "files": [{"format": w.format, "path": str(w.path), "size": w.size, "pages": w.pages,
                   "seconds": round(w.seconds, 3)} for w in written],
        "warnings": warnings,
    }, indent=2)
