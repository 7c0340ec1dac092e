"""`book changes OLD NEW`: what changed in the text between two commits (or tags), per
chapter and paragraph, word by word — as Markdown for CHANGELOG.md, and as the
reader-facing "Corrections" page a release can carry. Each change names the page of the
earlier print edition where the earlier text stood: the earlier commit is taken out of git
into a temporary folder, its PDF is built there by the builder, and the text is found in
the PDF's pages (so the page is the one a reader of that edition holds)."""

from __future__ import annotations

import bisect
import contextlib
import difflib
import io
import re
import subprocess
import tarfile
import tempfile
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from .. import fragments
from ..errors import BookError
from ..model import Book, Chapter, Edition, Metadata
from ..pipeline import build, load_book
from ..render import i18n

CONTEXT = 5  # words of unchanged text shown on each side of a change
SIMILAR = 0.5  # paragraphs whose words match at least this much are one paragraph edited
MIN_NEEDLE = 12  # characters a searched phrase needs to stand for one place in the PDF
PROSE = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "td", "th",
         "figcaption", "blockquote"}
CODE = {"pre", "code", "script", "style"}
NOTE_CALL = "\ue000"  # (private use) joins a footnote call's number to the word it follows
VERSION_TAG = re.compile(r"^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$")
CORRECTIONS_ID = "book-corrections"
# The page's markup is render's template, in the book's words (render's catalogues); it
# is filled here, where the page is made.
_TEMPLATES = Environment(loader=PackageLoader("book.render", "templates"), autoescape=True,
                         undefined=StrictUndefined, keep_trailing_newline=True,
                         extensions=["jinja2.ext.i18n"])
_TEMPLATES.install_gettext_callables(**i18n.TEMPLATE_CALLABLES, newstyle=True)  # type: ignore[attr-defined]
_TEMPLATES.globals["number"] = i18n.template_number

Runs = tuple[tuple[str, bool], ...]  # (text, changed) pieces of an excerpt


@dataclass(frozen=True)
class Hunk:
    """One change inside a paragraph, with a few words around it: `diff` holds (op, text)
    pieces, op '=' kept, '-' only in the earlier text, '+' only in the later one."""

    kind: str  # changed | added | removed (a whole paragraph)
    diff: tuple[tuple[str, str], ...]
    page: str  # page of the earlier print edition; "" when the text was not found there

    @property
    def was(self) -> Runs:
        return _runs([(op == "-", text) for op, text in self.diff if op != "+"])

    @property
    def now(self) -> Runs:
        return _runs([(op == "+", text) for op, text in self.diff if op != "-"])


@dataclass(frozen=True)
class ChapterChanges:
    """The changed paragraphs of one chapter (by its file), each a tuple of hunks."""

    path: str
    title: str
    status: str  # changed | added | removed (the whole chapter)
    paragraphs: tuple[tuple[Hunk, ...], ...] = ()


@dataclass(frozen=True)
class Changes:
    old: str  # the labels the two versions were asked for by
    new: str
    chapters: tuple[ChapterChanges, ...]
    meta: Metadata | None = None  # the later version's book.toml: the page's language


@dataclass(frozen=True)
class Token:
    """A word as shown, and as searched for in the PDF's text (with a footnote call's
    number, which the PDF prints beside it)."""

    shown: str
    match: str


def _runs(pieces: list[tuple[bool, str]]) -> Runs:
    """Adjacent pieces of one kind merged, with the spaces between them."""
    out: list[tuple[str, bool]] = []
    for changed, text in pieces:
        if not text:
            continue
        if out and out[-1][1] == changed:
            out[-1] = (f"{out[-1][0]} {text}", changed)
        else:
            out.extend([(" ", False)] * bool(out) + [(text, changed)])
    return tuple(out)


# --- reading the versions ---------------------------------------------------------------

def _git(cwd: Path, *args: str, binary: bool = False) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=120)
    except FileNotFoundError:
        raise BookError.at("git", None, "git is not installed", "book changes reads git") from None
    if done.returncode:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitFailed(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


class GitFailed(Exception):
    """A git command refused (unknown revision, not a repository)."""


def _checkout_root(project: Path) -> tuple[Path, str]:
    """The top of the git checkout holding `project`, and the project's path inside it."""
    try:
        top = Path(_git(project, "rev-parse", "--show-toplevel").decode().strip())
    except GitFailed:
        raise BookError.at(str(project), None, "not in a git checkout",
                           "book changes compares two commits of the project") from None
    inside = project.resolve().relative_to(top.resolve()).as_posix()
    return top, "" if inside == "." else inside


def _extract(project: Path, revision: str, folder: Path) -> Edition:
    """The project as `revision` holds it, written into `folder` (git archive); returns
    the edition it was: the revision's name, its commit time and short hash."""
    top, inside = _checkout_root(project)
    try:
        commit, when = _git(top, "log", "-1", "--format=%H %ct", f"{revision}^{{commit}}",
                            "--").decode().split()
        data = _git(top, "archive", "--format=tar", f"{commit}:{inside}")
    except GitFailed as exc:
        raise BookError.at(revision, None, f"no such commit or tag in {top.name} ({exc})",
                           "name a tag (v1.0.0), a branch or a commit hash") from None
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(folder, filter="data")
    label = revision.removeprefix("v") if VERSION_TAG.match(revision) else commit[:12]
    return Edition(label, int(when), commit[:12])


def previous_version_tag(project: Path) -> str | None:
    """The newest version tag (v1.2.0) reachable from HEAD but not on it: the edition a
    release's corrections are counted from; None for a first edition."""
    top, _ = _checkout_root(project)
    head = _git(top, "rev-parse", "HEAD").decode().strip()
    tags = [t for t in _git(top, "tag", "--merged", "HEAD", "--sort=-v:refname").decode().split()
            if VERSION_TAG.match(t)]
    for tag in tags:
        if _git(top, "rev-parse", f"{tag}^{{commit}}").decode().strip() != head:
            return tag
    return None


def _print_pages(root: Path, edition: Edition, out: Path) -> list[str]:
    """The text of each page of the project's print edition, built by the builder."""
    import pypdfium2

    with warnings.catch_warnings():  # libraries' Python warnings are not the editor's
        warnings.simplefilter("ignore")
        report = build(root, out, ("pdf",), edition)
    pdf = pypdfium2.PdfDocument(report.written[0].path.resolve())
    try:
        return [page.get_textpage().get_text_range() for page in pdf]
    finally:
        pdf.close()


# --- paragraphs and words ----------------------------------------------------------------

def _normal(text: str) -> str:
    """What survives of text in any PDF's text layer: letters and digits, case-folded
    (line-end hyphens, ligatures, spacing and small capitals all vanish)."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


def _tokens(element) -> list[Token]:
    """The words of one block of prose; a footnote call's number goes with its word."""
    for call in element.iter("a"):
        if "noteref" in (call.get("class") or "").split():
            call.text = NOTE_CALL + (call.text or "")
    for br in element.iter("br"):  # the one inline element that parts words
        br.tail = " " + (br.tail or "")
    words: list[Token] = []
    for word in "".join(element.itertext()).split():  # "<a>response</a>." is one word
        shown = word.split(NOTE_CALL)[0]
        if shown or not words:
            words.append(Token(shown, _normal(word)))
        else:  # a call standing apart belongs to the word before it
            words[-1] = Token(words[-1].shown, words[-1].match + _normal(word))
    return [w for w in words if w.shown]


def _blocks(root) -> Iterator:
    """Innermost prose blocks (a list item's paragraphs, not the item), code left out."""
    def prose(element) -> bool:
        return isinstance(element.tag, str) and element.tag in PROSE

    for element in root.iter():
        if (prose(element) and not any(map(prose, element.iterdescendants()))
                and not any(a.tag in CODE for a in element.iterancestors())):
            yield element


def _paragraphs(chapter: Chapter) -> list[list[Token]]:
    """A chapter's prose as paragraphs of words: its title, body and footnotes."""
    found = [[Token(w, _normal(w)) for w in chapter.title.split()]]
    for markup in [chapter.body, *(note.html for note in chapter.footnotes)]:
        found += [t for t in map(_tokens, _blocks(fragments.parse(markup))) if t]
    return found


def _words(paragraph: list[Token]) -> list[str]:
    return [t.shown for t in paragraph]


def _similar(a: list[Token], b: list[Token]) -> bool:
    return difflib.SequenceMatcher(None, _words(a), _words(b), autojunk=False).ratio() >= SIMILAR


Pair = tuple[int | None, int | None, int]  # old, new, the old paragraph before (-1 none)


def _pairs(old: list[list[Token]], new: list[list[Token]]) -> Iterator[Pair]:
    """Old and new paragraphs side by side (None: no counterpart), with the old paragraph
    each stands after: equal ones skipped, an edited paragraph paired with its new text,
    the rest added or removed."""
    matcher = difflib.SequenceMatcher(None, [" ".join(_words(p)) for p in old],
                                      [" ".join(_words(p)) for p in new], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        i, j = i1, j1
        while i < i2 and j < j2:
            if _similar(old[i], new[j]):
                yield i, j, i - 1
                i, j = i + 1, j + 1
            elif any(_similar(old[i], later) for later in new[j + 1:j2]):
                yield None, j, i - 1
                j += 1
            else:
                yield i, None, i - 1
                i += 1
        yield from ((k, None, k - 1) for k in range(i, i2))
        yield from ((None, k, i2 - 1) for k in range(j, j2))


def _hunks(old: list[Token], new: list[Token]) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """The word changes of an edited paragraph, changes fewer than 2×CONTEXT words apart
    kept together: (first old word changed, pieces)."""
    a, b = _words(old), _words(new)
    codes = [c for c in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()]
    changed = [k for k, c in enumerate(codes) if c[0] != "equal"]
    groups: list[list[int]] = []
    for k in changed:
        if groups and codes[k][1] - codes[groups[-1][-1]][2] <= 2 * CONTEXT:
            groups[-1].append(k)
        else:
            groups.append([k])
    for group in groups:
        first, last = codes[group[0]], codes[group[-1]]
        lo, hi = max(0, first[1] - CONTEXT), min(len(a), last[2] + CONTEXT)
        new_lo, new_hi = max(0, first[3] - CONTEXT), min(len(b), last[4] + CONTEXT)
        pieces = [("=", "…")] if lo or new_lo else []
        pieces.append(("=", " ".join(a[lo:first[1]])))
        for op, i1, i2, j1, j2 in codes[group[0]:group[-1] + 1]:
            if op == "equal":
                pieces.append(("=", " ".join(a[i1:i2])))
            else:
                pieces += [("-", " ".join(a[i1:i2])), ("+", " ".join(b[j1:j2]))]
        pieces.append(("=", " ".join(a[last[2]:hi])))
        if hi < len(a) or new_hi < len(b):
            pieces.append(("=", "…"))
        yield first[1], [(op, text) for op, text in pieces if text]


# --- pages of the earlier edition --------------------------------------------------------

class PageFinder:
    """Finds a paragraph's words in the earlier print edition's pages. The search runs on
    from the last place found (a book's text is read in order; a heading also stands in
    the contents), and falls back to the whole book."""

    def __init__(self, pages: list[str]):
        texts = [_normal(page) for page in pages]
        self.starts = [0]
        for text in texts:
            self.starts.append(self.starts[-1] + len(text))
        self.text = "".join(texts)
        self.cursor = 0

    def page(self, words: list[Token], at: int) -> str:
        """The page holding word `at` of a paragraph (at == len: its end), or ""."""
        end = min(at + 1, len(words))
        for before, after in ((6, 6), (6, 0), (0, 6), (3, 3), (len(words), 0),
                              (0, len(words))):
            lo, hi = max(0, at - before), min(len(words), end + after)
            needle = "".join(w.match for w in words[lo:hi])
            if len(needle) < MIN_NEEDLE and hi - lo < len(words):
                continue
            found = self.text.find(needle, self.cursor)
            if found < 0:
                found = self.text.find(needle)
            if needle and found >= 0:
                self.cursor = found
                offset = len("".join(w.match for w in words[lo:min(at, hi)]))
                at_char = found + min(offset, len(needle) - 1)  # at the end: its last letter
                return str(bisect.bisect_right(self.starts, at_char))
        return ""


# --- comparing ---------------------------------------------------------------------------

def compare(old: Book, new: Book, old_pages: list[str], old_label: str,
            new_label: str) -> Changes:
    """The changes from `old` to `new`, chapter by chapter in the new reading order (then
    the chapters removed), pages found in `old_pages` (the earlier print edition)."""
    finder = PageFinder(old_pages)
    earlier = {c.path: c for c in old.chapters if c.kind == "chapter"}
    later = {c.path: c for c in new.chapters if c.kind == "chapter"}
    order = {c.path: k for k, c in enumerate(old.chapters)}
    found: dict[str, ChapterChanges] = {}
    for path in sorted(earlier.keys() & later.keys(), key=order.__getitem__):  # pages in order
        paragraphs = _compare_chapter(_paragraphs(earlier[path]), _paragraphs(later[path]),
                                      finder)
        if paragraphs:
            found[path] = ChapterChanges(path, later[path].title, "changed", paragraphs)
    chapters = [found[c.path] if c.path in earlier else ChapterChanges(c.path, c.title, "added")
                for c in new.chapters if c.path in found or c.path in later.keys() - earlier.keys()]
    chapters += [ChapterChanges(c.path, c.title, "removed") for c in old.chapters
                 if c.path in earlier.keys() - later.keys()]
    return Changes(old_label, new_label, tuple(chapters), new.meta)


def _compare_chapter(old: list[list[Token]], new: list[list[Token]],
                     finder: PageFinder) -> tuple[tuple[Hunk, ...], ...]:
    out: list[tuple[Hunk, ...]] = []
    for i, j, before in _pairs(old, new):
        if i is not None and j is not None:
            out.append(tuple(Hunk("changed", tuple(pieces), finder.page(old[i], at))
                             for at, pieces in _hunks(old[i], new[j])))
        elif i is not None:
            out.append((Hunk("removed", (("-", " ".join(_words(old[i]))),),
                             finder.page(old[i], 0)),))
        elif j is not None:  # where the paragraph before it ended
            anchor = finder.page(old[before], len(old[before])) if before >= 0 else ""
            out.append((Hunk("added", (("+", " ".join(_words(new[j]))),), anchor),))
    return tuple(sorted((p for p in out if p), key=_first_page))  # footnotes among the text


def _first_page(paragraph: tuple[Hunk, ...]) -> float:
    """Where a changed paragraph's first change stood (unknown pages last)."""
    return int(paragraph[0].page) if paragraph[0].page.isdigit() else float("inf")


def changes(project: Path, old: str, new: str) -> Changes:
    """Compare the project at two revisions; builds the earlier one's PDF for its pages."""
    with tempfile.TemporaryDirectory(prefix="book-changes-") as scratch:
        folders = [Path(scratch) / name for name in ("old", "new")]
        editions = [_extract(project, rev, folder) for rev, folder in zip((old, new), folders,
                                                                         strict=True)]
        books = [load_book(folder, edition) for folder, edition in zip(folders, editions,
                                                                       strict=True)]
        pages = _print_pages(folders[0], editions[0], Path(scratch) / "out")
    return compare(books[0], books[1], pages, old, new)


def with_corrections(book: Book, project: Path, say=lambda message: None) -> Book:
    """The book with a Corrections page at its end, counted from the previous version tag;
    unchanged (and said so) for a first edition."""
    previous = previous_version_tag(project)
    if previous is None:
        say("corrections: no earlier version tag, so no Corrections page")
        return book
    with tempfile.TemporaryDirectory(prefix="book-corrections-") as scratch:
        folder = Path(scratch) / "old"
        edition = _extract(project, previous, folder)
        old = load_book(folder, edition)
        pages = _print_pages(folder, edition, Path(scratch) / "out")
    found = compare(old, book, pages, previous, book.edition.version or "HEAD")
    say(f"corrections: {sum(len(c.paragraphs) for c in found.chapters)} paragraphs "
        f"changed since {previous}")
    return replace(book, chapters=(*book.chapters, corrections_chapter(found, edition.version)))


# --- what is written ---------------------------------------------------------------------

def _escape_markdown(text: str) -> str:
    return re.sub(r"([\\`*_~\[\]<>#|])", r"\\\1", text)


def _markdown_piece(op: str, text: str) -> str:
    text = _escape_markdown(text)
    return {"=": text, "-": f"~~{text}~~", "+": f"**{text}**"}[op]


def markdown(found: Changes) -> str:
    """The changes as a CHANGELOG.md section: a bullet per changed paragraph, deleted words
    struck through, new words in bold, each with its page in the earlier print edition."""
    lines = [f"## Text changes from {found.old} to {found.new}", ""]
    if not found.chapters:
        lines.append("No changes to the text.")
    for chapter in found.chapters:
        lines.append(f"### {_escape_markdown(chapter.title)} ({chapter.path})")
        lines.append("")
        if chapter.status != "changed":
            lines += [f"Chapter {chapter.status}.", ""]
            continue
        for paragraph in chapter.paragraphs:
            parts = []
            for hunk in paragraph:
                where = f"p. {hunk.page}: " if hunk.page else ""
                label = "" if hunk.kind == "changed" else f"{hunk.kind}: "
                text = " ".join(_markdown_piece(op, t) for op, t in hunk.diff)
                parts.append(f"{where}{label}{text}")
            lines.append("- " + "; ".join(parts))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def corrections_html(found: Changes, since: str) -> str:
    """The body of the reader-facing Corrections page (render's corrections template)."""
    chapters = [{"title": c.title,
                 "entries": [{"page": h.page, "kind": h.kind, "was": h.was, "now": h.now}
                             for paragraph in c.paragraphs for h in paragraph]}
                for c in found.chapters if c.status == "changed"]
    with _book_words(found):
        macros = _TEMPLATES.get_template("corrections.html.j2").module
        return str(macros.corrections(since, chapters))  # type: ignore[attr-defined]


def _book_words(found: Changes) -> contextlib.AbstractContextManager:
    """The later version's language, or English when the changes know no book."""
    return i18n.speaking(found.meta) if found.meta else contextlib.nullcontext()


def corrections_chapter(found: Changes, since: str) -> Chapter:
    """The Corrections page as a chapter every edition shows after the book's own."""
    with _book_words(found):
        title = i18n.current().pgettext("corrections", "Corrections")
    return Chapter(id=CORRECTIONS_ID, path=CORRECTIONS_ID, title=title, short_title=title,
                   body=corrections_html(found, since), headings=(), footnotes=(),
                   photo_ids=(), image_paths=(), links=())
