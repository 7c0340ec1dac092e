"""The one URL fetcher WeasyPrint gets: the Book's own assets (read at load time, checked
there) and the theme's files (theme_file's, read once a process), nothing else. No network,
no file outside the project, and no file read a second time: the frozen Book and the theme
are the layout's only inputs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from ..errors import BookError
from ..model import Asset, media_type
from ..render.theme import theme_file


class RefusedFetch(FatalURLFetchingError):
    """A document named a resource outside the project; rendering stops."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"refused to fetch '{url}': {reason}")
        self.url = url
        self.reason = reason


class ProjectFetcher(URLFetcher):
    """Serves the book's assets under `project_url` and the theme's files at their own
    file URLs; refuses every other URL."""

    def __init__(self, project_url: str, assets: tuple[Asset, ...]):
        super().__init__(allowed_protocols={"file"})
        self.project_url = project_url
        self.assets = {asset.path: asset for asset in assets}

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedFetch(url, "only files inside the project are allowed")
        if url.startswith(self.project_url):
            asset = self.assets.get(unquote(url[len(self.project_url):].split("#")[0]))
            if asset is None:
                raise RefusedFetch(url, "not a file of the book")
            return URLFetcherResponse(url, asset.data, {"Content-Type": asset.media_type})
        path = Path(unquote(parts.path)).resolve()
        try:
            data = theme_file(path)
        except FileNotFoundError:
            raise RefusedFetch(url, "not a file inside the project") from None
        return URLFetcherResponse(path.as_uri(), data, {"Content-Type": media_type(path.name)
                                                        or "application/octet-stream"})


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
    message = f"refused to fetch '{url}' ({exc.reason})"
    needles = list(dict.fromkeys(c for c in candidates if c))
    for needle in needles:  # the project's stylesheets, as loaded
        for css in book.extra_css:
            text = css.data.decode("utf-8", "replace")
            for number, line in enumerate(text.splitlines(), start=1):
                if needle in line:
                    return BookError.at(css.path, number, message)
        for chapter in book.chapters:  # the images and links the chapters name, with lines
            named = [*chapter.image_paths, *((link.raw, link.line) for link in chapter.links)]
            for target, number in named:
                if needle in target:
                    return BookError.at(chapter.path, number, message)
    return BookError.at(url, None, f"refused to fetch ({exc.reason})")
