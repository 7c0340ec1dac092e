"""The one URL fetcher WeasyPrint gets: files inside the allowed folders, nothing else.
No network, no file outside the project, no /dev or /proc."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .paths import media_type


class RefusedFetch(FatalURLFetchingError):
    """A document named a resource outside the project; rendering stops."""


class ProjectFetcher(URLFetcher):
    """Serves `file:` URLs under the given roots from disk; refuses every other URL."""

    def __init__(self, roots: list[Path]):
        super().__init__(allowed_protocols={"file"})
        self.roots = [r.resolve() for r in roots]

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedFetch(f"refused to fetch '{url}': only files inside the project are allowed")
        path = Path(unquote(parts.path)).resolve()
        if not any(path == r or r in path.parents for r in self.roots) or not path.is_file():
            raise RefusedFetch(f"refused to fetch '{url}': not a file inside the project")
        headers = {"Content-Type": media_type(path.name) or "application/octet-stream"}
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), headers)
