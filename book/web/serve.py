"""`book serve`: the web edition, rebuilt in memory whenever a source changes and served on
127.0.0.1. Only what is served carries the small reload script; nothing is written to disk
(except the PDF with --pdf), so dist/ never gets it. Requests can only name files of the
edition: anything else, `..` and symlinks included, is a 404."""

from __future__ import annotations

import json
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import watchfiles

from ..errors import BookError, BuildError
from ..model import Edition, media_type
from ..pipeline import build, load_book
from .site import offer, web_files

EVENTS = "/__book/events"
KEEPALIVE_SECONDS = 15
BACKLOG = 1024  # connections the kernel queues while every thread is busy
MAX_CONNECTIONS = 600  # served at once, one thread each (200 requests beside 300 idle fit)
IDLE_SECONDS = 30  # a connection that sends nothing for this long is closed
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".json": "application/json",
         ".pdf": "application/pdf", ".epub": "application/epub+zip"}
NO_ICON = '<link rel="icon" href="data:,"/>\n'  # else browsers ask for /favicon.ico: a 404
# Tells book.js the page is a preview, which no service worker may keep (it changes on save).
PREVIEW_MARK = '<meta name="book-preview" content=""/>\n'

# Reloads the page when it, its stylesheet or one of its images changed after it was
# served; shows build errors over the page (as text, never as HTML) until a good build,
# and the check's warnings (spelling, typography…) in a small box at the foot of the page
# that never blocks it: the page still reloads, and the box folds away with a click.
CLIENT = """<script>(() => {
  const loaded = %(version)d;
  const name = (url) =>
    decodeURIComponent(new URL(url, location).pathname.slice(1)) || "index.html";
  const uses = () => [location.href,
    ...Array.from(document.querySelectorAll("link[rel=stylesheet]"), (e) => e.href),
    ...Array.from(document.images, (e) => e.src)].map(name);
  let box = null;
  function show(errors) {
    if (!errors.length) { if (box) box.remove(); box = null; return; }
    if (!box) {
      box = document.createElement("aside");
      box.id = "book-serve-errors";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;top:0;z-index:9999;margin:0;" +
        "padding:1em 1.2em;background:#fff1f0;color:#7a0b0b;border-bottom:3px solid #c0392b;" +
        "font:14px/1.45 ui-monospace,monospace;white-space:pre-wrap;max-height:60vh;overflow:auto";
      document.body.prepend(box);
    }
    box.textContent = "The book does not build:\\n" + errors.map((e) => "error: " + e).join("\\n");
  }
  let notes = null;
  function note(warnings) {
    if (!warnings.length) { if (notes) notes.remove(); notes = null; return; }
    if (!notes) {
      notes = document.createElement("details");
      notes.id = "book-serve-warnings";
      notes.setAttribute("role", "status");
      notes.style.cssText = "position:fixed;right:0;bottom:0;z-index:9998;max-width:48em;" +
        "margin:0;padding:.4em .8em;background:#fffbe6;color:#5c4400;border:1px solid #d4a72c;" +
        "font:13px/1.45 ui-monospace,monospace;white-space:pre-wrap;max-height:40vh;overflow:auto";
      notes.append(document.createElement("summary"), document.createElement("div"));
      document.body.append(notes);
    }
    notes.firstChild.textContent =
      warnings.length + (warnings.length === 1 ? " warning" : " warnings");
    notes.lastChild.textContent = warnings.map((w) => "warning: " + w).join("\\n");
  }
  new EventSource("%(events)s").onmessage = (event) => {
    const state = JSON.parse(event.data);
    show(state.errors);
    note(state.warnings);
    if (!state.errors.length && uses().some((file) => (state.changed[file] || 0) > loaded)) {
      location.reload();
    }
  };
})();</script>
"""


@dataclass
class Site:
    """The web edition as last built; each file remembers the version it last changed in,
    so a page reloads only when something it shows changed."""

    files: dict[str, bytes] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    version: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the check's, for the page's foot

    def update(self, files: dict[str, bytes]) -> list[str]:
        """Swap in a new build; returns the names whose content changed."""
        self.version += 1
        names = [n for n, data in files.items() if self.files.get(n) != data]
        for name in names:
            self.changed[name] = self.version
        self.files, self.errors = files, []
        return names

    def state(self) -> str:
        return json.dumps({"version": self.version, "changed": self.changed,
                           "errors": self.errors, "warnings": self.warnings})


class Preview:
    """Rebuilds the web edition on demand and tells waiting pages about it."""

    def __init__(self, root: Path, edition: Edition, say: Callable[[str], None],
                 on_good_build: Callable[[], None] = lambda: None,
                 lint: Callable[[Path], list[str]] = lambda root: []):
        self.root = root.resolve()
        self.edition = edition
        self.say = say
        self.on_good_build = on_good_build
        self.lint = lint  # the project's warnings, as `book check` prints them
        self.site = Site()
        self.memo: dict = {}
        self.changed = threading.Condition()
        self.building = threading.Lock()

    def rebuild(self) -> None:
        """Build in memory; a broken source keeps the last good pages and reports why."""
        with self.building:
            began = time.perf_counter()
            try:
                book = load_book(self.root, self.edition, self.memo)
                files = web_files(book, offer(book, self.root / "dist"))  # its PDF/EPUB
            except BookError as exc:
                self._failed([str(p) for p in exc.problems])
                return
            except BuildError as exc:
                self._failed([f"build failed: {exc}"])
                return
            except Exception as exc:  # a bug, not bad input: keep serving, show it
                if os.environ.get("BOOK_DEBUG"):
                    traceback.print_exc()
                self._failed([f"build failed: {type(exc).__name__}: {exc}"])
                return
            self._forget_old_texts()
            with self.changed:
                recovered = bool(self.site.errors)
                names = self.site.update(files)
                self.changed.notify_all()
            pages = [n for n in names if n.endswith(".html")]
            what = (f"{len(pages)} pages" if len(pages) > 6 else ", ".join(pages) if pages
                    else f"{len(names)} files" if names else "nothing changed")
            self.say(f"{'fixed; ' if recovered else ''}built in "
                     f"{time.perf_counter() - began:.2f}s: {what}")
            self._warn()  # after the pages were told: a reload never waits for the check
        if names or recovered:
            self.on_good_build()

    def _failed(self, errors: list[str]) -> None:
        for error in errors:
            self.say(f"error: {error}")
        with self.changed:  # pages and the event stream show paths relative to the project
            self.site.errors = [self._relative(e) for e in errors]
            self.site.version += 1
            self.changed.notify_all()

    def _warn(self) -> None:
        """Check the sources and send their warnings to the pages when they changed; a check
        that fails is said on the terminal and leaves the preview as it is."""
        try:
            warnings = [self._relative(w) for w in self.lint(self.root)]
        except Exception as exc:  # noqa: BLE001 - the preview outlives a broken check
            self.say(f"error: check failed: {type(exc).__name__}: {exc}")
            return
        with self.changed:
            if warnings == self.site.warnings:
                return
            self.site.warnings = warnings
            self.site.version += 1
            self.changed.notify_all()
        self.say(f"{len(warnings)} warning{'' if len(warnings) == 1 else 's'} shown on the pages")

    def _relative(self, message: str) -> str:
        return message.replace(f"{self.root}{os.sep}", "").replace(str(self.root), ".")

    def _forget_old_texts(self) -> None:
        """Keep only the newest parse of each chapter (the memo keeps insertion order)."""
        newest = {key[0]: key for key in self.memo}
        self.memo = {key: self.memo[key] for key in newest.values()}

    def folders(self) -> list[Path]:
        """Folders to watch recursively: chapters/, assets/, styles/ and any other folder
        holding a chapter (the project root itself is watched on its own)."""
        folders = {self.root / "assets", self.root / "styles", self.root / "chapters"}
        with self.building:  # the memo changes while a rebuild runs
            folders.update((self.root / path).parent for path, *_ in self.memo)
        return sorted(f for f in folders
                      if f.is_dir() and self.root in f.resolve().parents)

    def page(self, name: str) -> tuple[HTTPStatus, bytes] | None:
        """A file of the edition; HTML pages get the reload script. Before the first good
        build every page is the error list."""
        with self.changed:
            data, version, errors = self.site.files.get(name), self.site.version, self.site.errors
            built = bool(self.site.files)
        script = CLIENT % {"version": version, "events": EVENTS}
        if not built and name.endswith(".html"):
            items = "".join(f"<li>{escape(e)}</li>" for e in errors) or "<li>building…</li>"
            body = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/><title>Build '
                    f'errors</title></head><body><h1>The book does not build</h1><ul>{items}</ul>'
                    f'{script}</body></html>')
            return HTTPStatus.SERVICE_UNAVAILABLE, body.encode("utf-8")
        if data is None:
            return None
        if name.endswith(".html"):
            text = data.decode("utf-8").replace("</head>", NO_ICON + PREVIEW_MARK + "</head>", 1)
            at = text.rfind("</body>")
            data = (text[:at] + script + text[at:] if at >= 0 else text + script).encode("utf-8")
        return HTTPStatus.OK, data

    def wait(self, seen: int, timeout: float) -> tuple[int, str] | None:
        """(version, state as JSON) once the version differs from `seen`, or None after
        `timeout`."""
        with self.changed:
            if self.changed.wait_for(lambda: self.site.version != seen, timeout):
                return self.site.version, self.site.state()
        return None


def file_name(raw_path: str) -> str | None:
    """The edition file a request path names, or None for anything that tries to leave the
    folder (`..`, encoded or not), is absolute on Windows, or holds a NUL."""
    path = unquote(urlsplit(raw_path).path)
    if not path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    parts = path[1:].split("/")
    if any(part in ("", ".", "..") for part in parts[:-1]) or parts[-1] in (".", ".."):
        return None
    name = "/".join(parts)
    return name if name and not name.endswith("/") else name + "index.html"


def _handler(preview: Preview) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "book-serve"

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            """Requests are not logged: the terminal is for build errors."""

        timeout = IDLE_SECONDS

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if not self._for_us():
                self.send_error(HTTPStatus.MISDIRECTED_REQUEST)
                return
            if urlsplit(self.path).path == EVENTS:
                self._events()
                return
            name = file_name(self.path)
            found = preview.page(name) if name else None
            if found is None or name is None:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            status, data = found
            suffix = Path(name).suffix.lower()
            self.send_response(status)
            self.send_header("Content-Type", TYPES.get(suffix) or media_type(name)
                             or "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _for_us(self) -> bool:
            """Only requests naming this server's own address: a page on another site whose
            name a DNS rebinding points at 127.0.0.1 sends its own name, and is refused."""
            port = cast(tuple, self.server.server_address)[1]
            host = (self.headers.get("Host") or "").lower()
            return host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}")

        def _events(self) -> None:
            """Server-sent events: the current state at once, then every change."""
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = -1
            try:
                while True:
                    news = preview.wait(seen, KEEPALIVE_SECONDS)
                    if news is None:
                        self.wfile.write(b": keepalive\n\n")
                    else:
                        seen, state = news
                        self.wfile.write(f"data: {state}\n\n".encode())
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return

    return Handler


class Watcher:
    """Rebuilds on every change in the root (book.toml and friends, not recursively) and
    in the chapter, asset and style folders (recursively), until stopped."""

    def __init__(self, preview: Preview, since: float):
        self.preview = preview
        self.since: float | None = since  # when the first build started reading the sources
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._watch_root, daemon=True),
                        threading.Thread(target=self._watch_folders, daemon=True)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _watch_root(self) -> None:
        for _ in watchfiles.watch(self.preview.root, recursive=False, stop_event=self.stop,
                                  step=30, yield_on_timeout=False):
            self.preview.rebuild()

    def _watch_folders(self) -> None:
        """Watch the folders; start over when the set changes (a chapter in a new folder,
        styles/ created) or a watched folder goes away."""
        while not self.stop.is_set():
            folders = self.preview.folders()
            if not folders:
                self.stop.wait(1)
                continue
            try:
                for changes in watchfiles.watch(*folders, stop_event=self.stop, step=30,
                                                rust_timeout=1000, yield_on_timeout=True):
                    if self.stop.is_set() or self.preview.folders() != folders:
                        break
                    if changes or self._missed(folders):
                        self.preview.rebuild()
            except (OSError, RuntimeError):  # a folder vanished mid-watch: look again
                self.stop.wait(1)


    def _missed(self, folders: list[Path]) -> bool:
        """Whether a source was saved after the first build started but before the watchers
        were watching (no watcher saw it); asked once, when the folder watch first waits."""
        if self.since is None:
            return False
        since, self.since = self.since, None
        files = [p for p in self.preview.root.iterdir() if p.is_file()]
        files += [Path(base) / name for folder in folders for base, _, names in os.walk(folder)
                  for name in names]
        return any(_mtime(p) >= since - 0.02 for p in files)  # file times lag the clock


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # gone meanwhile
        return 0.0


class PdfBuilder:
    """Keeps the PDF up to date in the background: one build at a time, and one more
    after it if sources changed meanwhile."""

    def __init__(self, root: Path, out_dir: Path, edition: Edition, say: Callable[[str], None]):
        self.root, self.out_dir, self.edition, self.say = root, out_dir, edition, say
        self.wanted = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def request(self) -> None:
        self.wanted.set()

    def _run(self) -> None:
        while True:
            self.wanted.wait()
            self.wanted.clear()
            began = time.perf_counter()
            try:
                report = build(self.root, self.out_dir, ("pdf",), self.edition)
            except Exception as exc:  # whatever it is, say so and keep the preview running
                self.say(f"error: PDF not rebuilt: {type(exc).__name__}: {exc}")
                continue
            for warning in report.warnings:
                self.say(f"warning: {warning}")
            for item in report.written:
                self.say(f"wrote {item.path} ({item.pages} pages) in "
                          f"{time.perf_counter() - began:.1f}s")


class _Server(ThreadingHTTPServer):
    """A thread per connection, at most MAX_CONNECTIONS at once; beyond that, connections
    wait in a listen queue of BACKLOG (http.server's default is 5: the 6th waits or fails)."""

    request_queue_size = BACKLOG
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.slots.acquire()  # the accept loop waits here, new connections in the backlog
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def serve(root: Path, port: int, edition: Edition, say: Callable[[str], None],
          pdf_out: Path | None = None,
          lint: Callable[[Path], list[str]] = lambda root: []) -> None:
    """Serve until interrupted; `say` prints one line to the terminal; `lint` gives the
    project's warnings for the pages' foot (the CLI passes `book check`'s)."""
    pdf = PdfBuilder(root, pdf_out, edition, say) if pdf_out else None
    preview = Preview(root, edition, say, pdf.request if pdf else lambda: None, lint)
    server = _Server(("127.0.0.1", port), _handler(preview))  # fails when taken
    since = time.time()
    preview.rebuild()
    watcher = Watcher(preview, since)
    watcher.start()
    say(f"serving http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        watcher.stop.set()
        server.server_close()
