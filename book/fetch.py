"""The one URL fetcher WeasyPrint gets: files inside the allowed folders, nothing else.
No network, no file outside the project, no /dev or /proc."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .errors import BookError
from .paths import OutsideProject, media_type, resolve_inside


class RefusedFetch(FatalURLFetchingError):
    """A document named a resource outside the project; rendering stops."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"refused to fetch '{url}': {reason}")
        self.url = url
        self.reason = reason


class ProjectFetcher(URLFetcher):
    """Serves `file:` URLs under the given roots from disk; refuses every other URL."""

    def __init__(self, roots: list[Path]):
        super().__init__(allowed_protocols={"file"})
        self.roots = [r.resolve() for r in roots]

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedFetch(url, "only files inside the project are allowed")
        path = Path(unquote(parts.path)).resolve()
        if not any(path == r or r in path.parents for r in self.roots) or not path.is_file():
            raise RefusedFetch(url, "not a file inside the project")
        headers = {"Content-Type": media_type(path.name) or "application/octet-stream"}
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), headers)


def refusal(book, exc: RefusedFetch) -> BookError:
    """The refused fetch as an input error, at the first chapter or stylesheet line that
    names the URL (as written, decoded, or by its file name), else at the URL itself."""
    url = exc.url
    parts = urlsplit(url)
    root_uri = book.root.resolve().as_uri() + "/"
    candidates = [url, unquote(url)]
    if url.startswith(root_uri):
        candidates.append(unquote(url[len(root_uri):]))
    name = unquote(parts.path).rstrip("/").rsplit("/", 1)[-1]
    if name:
        candidates.append(name)
    sources: list[tuple[str, str]] = []
    for css in book.extra_css:
        sources.append((css.path, css.data.decode("utf-8", "replace")))
    for chapter in book.chapters:
        try:
            sources.append((chapter.path, resolve_inside(book.root, chapter.path)
                            .read_text("utf-8", "replace")))
        except (OSError, OutsideProject):
            continue
    message = f"refused to fetch '{url}' ({exc.reason})"
    for needle in dict.fromkeys(c for c in candidates if c):
        for path, text in sources:
            for number, line in enumerate(text.splitlines(), start=1):
                if needle in line:
                    return BookError.at(path, number, message)
    return BookError.at(url, None, f"refused to fetch ({exc.reason})")
