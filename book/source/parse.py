"""parse: one chapter's source text → a Chapter (validated front matter, sanitized HTML
body, headings, footnotes, and every photo, image and internal link with its line)."""

from __future__ import annotations

import html
import posixpath
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs

from .. import fragments
from ..errors import BookError, Collector, Problem
from ..model import (
    BLOCK_SLOT,
    XREF_CLASS,
    Chapter,
    Citation,
    CrossRef,
    Footnote,
    Heading,
    KeyFigures,
    Label,
    Link,
    chapter_id,
    figure_id,
)
from . import citations, references
from .frontmatter import split_front_matter, validate_front_matter
from .index import mark_spans as mark_index_spans
from .limits import MAX_CHAPTER_BYTES, MAX_FOOTNOTES, nesting_problem
from .markdown import clean_html, markdown_engine, slugify
from .math import formulas, math_plugin, problem

PHOTO_SCHEME = "photo:"


def _engine(math: bool) -> MarkdownIt:
    md = markdown_engine()
    md.use(citations.citation_plugin)  # `[@key]` read before links
    if math:
        md.use(math_plugin)  # `$…$`, `$$…$$`, GitHub's forms: never Markdown inside
    md.use(attrs_plugin, after=(), spans=True)  # bracketed spans: `[text]{.index}` (index.py)
    return md


_MD = _engine(math=True)
_MD_TEXT = _engine(math=False)  # [markdown] math = false: dollars are text (mdBook's)
_PLAIN = MarkdownIt("commonmark")  # heading ids come from the text as written (no typographer)
_HEADING_ATTRS = re.compile(r"\s*(\{[^{}]*\})\s*$")  # `## Options {#options .class}`
_BOX_LABEL = re.compile(r"\{#(box-[\w.:-]+)\}\s*$")  # a key-figures box's, after its title
# An opening tag and, inside it, an id or name attribute: raw HTML anchors become the
# chapter's link targets (`<a id="x">`, `<a name="x">` → id `<chapter>--x`).
_RAW_TAG = re.compile(r"<([A-Za-z][\w-]*)(\s[^<>]*)?>")
_RAW_ID = re.compile(r"(\s)(id|name)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)
LINK_SLOT = "_link-"  # href `#_link-N`: the chapter's Nth link, which assemble resolves


def _remote(src: str) -> bool:
    """An image address on the web (http or https)."""
    parts = urlsplit(src.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _inline(text: str) -> str:
    return _MD.renderInline(text)


def _heading_text(inline: Token) -> str:
    """A heading's text as rendered (typographic quotes, no Markdown marks): the chapter
    title comes from the first heading's."""
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))


def _heading_slug(inline: Token) -> str:
    """A heading's GitHub id, from its text as written (no typographic quotes or dashes:
    `a -- b` gives `a----b` there), without Markdown marks or raw HTML tags."""
    children = _PLAIN.parseInline(inline.content)[0].children or []
    return slugify("".join(c.content for c in children if c.type in ("text", "code_inline")))


def _heading_attributes(tokens: list[Token]) -> None:
    """Honour a heading's trailing attribute block (`## Options {#options}`, as mdBook and
    Pandoc read it; mdit-py-plugins' attribute parser reads the braces): its id replaces
    the slug, its classes are kept, and the braces leave the heading's text."""
    for index, tok in enumerate(tokens[:-1]):
        inline = tokens[index + 1]
        found = _HEADING_ATTRS.search(inline.content) if tok.type == "heading_open" else None
        last = inline.children[-1] if inline.children else None
        if (not found or last is None or last.type != "text"
                or not last.content.rstrip().endswith("}")):
            continue
        try:
            _, attrs = parse_attrs(found.group(1))
        except ParseError:
            continue
        inline.content = inline.content[:found.start()]
        last.content = _HEADING_ATTRS.sub("", last.content)
        if attrs.get("id"):
            tok.meta["id"] = attrs["id"]
        if attrs.get("class"):
            tok.attrSet("class", attrs["class"])


def _hide_rust_lines(tokens: list[Token]) -> None:
    """Drop the lines a Rust code block hides (`# ` or a lone `#`, as rustdoc and mdBook
    do: they make the example compile, not read); `##` at a line's start stands for `#`."""
    for tok in tokens:
        if tok.type != "fence" or re.split(r"[\s,]", tok.info.strip(), maxsplit=1)[0] != "rust":
            continue
        kept = []
        for line in tok.content.splitlines(keepends=True):
            stripped = line.lstrip()
            if stripped.rstrip("\n") == "#" or stripped.startswith("# "):
                continue
            kept.append(line.replace("##", "#", 1) if stripped.startswith("##") else line)
        tok.content = "".join(kept)


class _ChapterParser:
    """Walks one chapter's tokens, rewriting what the book needs and recording references."""

    def __init__(self, path: str, offset: int, cid: str):
        self.path = path
        self.offset = offset
        self.cid = cid
        self.problems = Collector()
        self.headings: list[Heading] = []
        self.photos: list[tuple[str, int]] = []
        self.images: list[tuple[str, int]] = []
        self.links: list[Link] = []
        self.blocks: list[KeyFigures] = []
        self.used_ids: set[str] = set()
        self.anchors: list[str] = []  # raw HTML anchors' ids
        self.xrefs: list[CrossRef] = []  # links to labels (`[](#tbl-x)`)
        self.src_lines: dict[str, int] = {}
        self.source: list[str] = []  # the chapter's lines, to place a reference exactly
        self.refused = False  # an image was refused before sanitizing (nh3 may blank its src)
        self.warnings: list[Problem] = []  # located problems the editions work around

    def where(self, needle: str, start: int, end: int) -> int:
        """The first line in start..end holding `needle` (as written or decoded), else start."""
        for number in range(start, min(end, len(self.source)) + 1):
            text = self.source[number - 1]
            if needle and (needle in text or unquote(needle) in text):
                return number
        return start

    def where_in(self, needle: str, block: Token) -> int:
        """The line of `needle` within the block `block` (a token with a map)."""
        start = self.line_of(block)
        return self.where(needle, start, (block.map or [0, 0])[1] + self.offset)

    def refuse_outside(self, src: str, line: int, what: str = "image") -> bool:
        """Refuse a reference with a scheme, an absolute path or nothing at all; a web
        image (http, https) is not refused: local_images shows it as a link."""
        if src and not urlsplit(src).scheme and not src.startswith(("/", "\\")):
            return False
        if what == "image" and _remote(src):
            return False
        self.refused = True
        shown = src if len(src) <= 80 else src[:77] + "..."
        self.problems.add(self.path, line, f"{what} '{shown}' is not a file inside the project",
                          "copy the image into the project and use a relative path",
                          rule="image-outside-project")
        return True

    def line_of(self, token: Token | None, fallback: int = 0) -> int:
        if token is not None and token.map:
            return token.map[0] + 1 + self.offset
        return fallback

    def unique_id(self, base: str) -> str:
        """`<chapter>--<base>`, numbered -1, -2… after the first, as GitHub numbers repeats."""
        candidate, n = f"{self.cid}--{base}", 0
        while candidate in self.used_ids:
            n += 1
            candidate = f"{self.cid}--{base}-{n}"
        self.used_ids.add(candidate)
        return candidate

    def raw_anchors(self, markup: str) -> str:
        """Raw HTML with each id (and each <a name>) made the chapter's own
        `<chapter>--<id>`, recorded as a link target."""
        def tag(match: re.Match) -> str:
            element = match.group(1).lower()

            def attribute(found: re.Match) -> str:
                if found.group(2).lower() == "name" and element != "a":
                    return found.group(0)
                anchor = f"{self.cid}--{html.unescape(found.group(3).strip(chr(34) + chr(39)))}"
                self.anchors.append(anchor)
                self.used_ids.add(anchor)
                return f'{found.group(1)}id="{html.escape(anchor)}"'
            return _RAW_ID.sub(attribute, match.group(0))
        return _RAW_TAG.sub(tag, markup)

    def resolve_local(self, target: str) -> str:
        """A link or image path relative to this chapter → project-relative POSIX path,
        percent-decoded here and only here (paths.resolve_inside takes it as it is)."""
        base = posixpath.dirname(self.path)
        return posixpath.normpath(posixpath.join(base, unquote(target)))

    def photo_paragraphs(self, tokens: list[Token]) -> list[Token]:
        """Turn a paragraph holding only `![](photo:ID)` into a figure slot."""
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if (tok.type == "paragraph_open" and i + 2 < len(tokens)
                    and tokens[i + 1].type == "inline" and tokens[i + 2].type == "paragraph_close"):
                children = [c for c in tokens[i + 1].children or []
                            if not (c.type == "text" and not c.content.strip())]
                if (len(children) == 1 and children[0].type == "image"
                        and str(children[0].attrGet("src") or "").startswith(PHOTO_SCHEME)):
                    photo = str(children[0].attrGet("src"))[len(PHOTO_SCHEME):]
                    line = self.line_of(tok)
                    self.photos.append((photo, line))
                    slot = Token("html_block", "", 0)
                    slot.content = (f'<figure class="photo" id="{html.escape(figure_id(photo))}">'
                                    '</figure>\n')
                    slot.meta["builder"] = True  # not the author's raw HTML: its id stays
                    out.append(slot)
                    i += 3
                    continue
            out.append(tok)
            i += 1
        return out

    def key_figures(self, tokens: list[Token]) -> list[Label]:
        """A fenced block with info `key-figures [Title] [{#box-label}]` and lines
        `value | label` becomes a KeyFigures block, and an empty slot in the body where
        render puts its box; the labels of labelled boxes, numbered as tables are. Runs
        after `walk`, so that only an author's raw HTML meets its check for slots."""
        labels: list[Label] = []
        for tok in tokens:
            info = tok.info.strip().split(maxsplit=1) if tok.type == "fence" else []
            if not info or info[0] != "key-figures":
                continue
            rest = info[1] if len(info) > 1 else ""
            labelled = _BOX_LABEL.search(rest)
            rest = rest[:labelled.start()].strip() if labelled else rest
            title = rest or "By the numbers"
            anchor = ""
            if labelled:
                anchor = self.unique_id(labelled.group(1))
                labels.append(Label(labelled.group(1), "box", anchor, self.line_of(tok)))
            rows = []
            for number, line in enumerate(tok.content.splitlines(), start=self.line_of(tok) + 1):
                if not line.strip():
                    continue
                value, bar, label = line.partition("|")
                if not bar or not value.strip() or not label.strip():
                    self.problems.add(self.path, number,
                                      "a key-figures line must read 'value | label'")
                    continue
                rows.append((self.cell(value.strip(), number), self.cell(label.strip(), number)))
            slot_id = f' id="{anchor}"' if anchor else ""
            tok.type, tok.content = ("html_block",
                                     f'<div {BLOCK_SLOT}="{len(self.blocks)}"{slot_id}></div>\n')
            self.blocks.append(KeyFigures(title, tuple(rows)))
        return labels

    def cell(self, text: str, line: int) -> str:
        """One value or label of a key-figures box as sanitized inline HTML, its images and
        links checked as the body's are."""
        markup = _inline(text)
        self.raw_html(markup, line)
        return self.local_images(clean_html(markup))

    def walk(self, tokens: list[Token]) -> None:
        block_line = block_end = self.offset + 1
        for index, tok in enumerate(tokens):
            if tok.map:
                block_line, block_end = self.line_of(tok), tok.map[1] + self.offset
            if tok.type == "heading_open":
                text = _heading_text(tokens[index + 1])
                anchor = self.unique_id(tok.meta.get("id") or _heading_slug(tokens[index + 1]))
                tok.attrSet("id", anchor)
                self.headings.append(Heading(int(tok.tag[1]), text, anchor))
            for child in tok.children or []:
                if child.type == "image":
                    src = str(child.attrGet("src") or "")
                    self.image(child, self.where(src, block_line, block_end))
                elif child.type == "link_open":
                    href = str(child.attrGet("href") or "")
                    self.link(child, self.where(href, block_line, block_end))
                elif child.type == "html_inline":
                    self.raw_html(child.content, block_line, block_end)
                    child.content = self.raw_anchors(child.content)
            if tok.type == "html_block" and not tok.meta.get("builder"):
                self.raw_html(tok.content, block_line, block_end)
                tok.content = self.raw_anchors(tok.content)

    def image(self, tok: Token, line: int) -> None:
        src = str(tok.attrGet("src") or "")
        if src.startswith(PHOTO_SCHEME):
            self.problems.add(self.path, line, "a photo must stand alone in its own paragraph",
                              f"put '![]({src})' on a line of its own with blank lines around it",
                              rule="photo-not-alone")
            self.refused = True  # sanitizing blanks the photo: scheme; reported here
            return
        if not self.refuse_outside(src, line):
            self.src_lines.setdefault(src, line)

    def raw_html(self, markup: str, line: int, end: int | None = None) -> None:
        """Record where raw <img src> are written; refuse those that are not project files,
        raw <a href> that would reach an edition pointing at a file (links to chapters
        are Markdown links; nh3 drops the href of disallowed schemes) and the attribute
        that marks the builder's own block slots."""
        end = line if end is None else end
        root = fragments.parse(markup)
        if any(isinstance(e.tag, str) and e.get(BLOCK_SLOT) is not None for e in root.iter()):
            self.problems.add(self.path, self.where(BLOCK_SLOT, line, end),
                              f"raw HTML may not carry the '{BLOCK_SLOT}' attribute",
                              "the builder marks where key-figures boxes go with it; remove it")
        for element in root.iter("img", "a"):
            attr = "src" if element.tag == "img" else "href"
            value = element.get(attr)
            if value is None and element.tag == "a":
                continue
            value = value or ""
            at = self.where(value or f"<{str(element.tag)}", line, end)
            if element.tag == "img":
                if not self.refuse_outside(value.strip(), at):
                    self.src_lines.setdefault(value, at)
                continue
            parts = urlsplit(value.strip())
            if not parts.scheme and (parts.path or parts.netloc):
                self.problems.add(self.path, at, f"raw HTML link '{value}' points at a file",
                                  "link to chapters with Markdown links: [text](chapter.md#id)",
                                  rule="link-not-chapter")

    def local_images(self, body: str) -> str:
        """Check every image the sanitized body shows (Markdown or raw HTML) and point its
        src at the project-relative path."""
        root = fragments.parse(body)
        fragments.unwrap_misnested(root)
        for img in list(root.iter("img")):
            src = img.get("src") or ""
            line = self.src_lines.get(src, self.offset + 1)
            if _remote(src):
                self.remote_image(img, src, line)
                continue
            if urlsplit(src).scheme or src.startswith(("/", "\\")) or not src:
                if not self.refused:  # else already reported where it was written
                    self.problems.add(self.path, line,
                                      f"image '{src}' is not a file inside the project",
                                      "copy the image into the project and use a relative path",
                                      rule="image-outside-project")
                continue
            target = self.resolve_local(src)
            self.images.append((target, line))
            img.set("src", target)
        return fragments.inner(root)

    def remote_image(self, img: Any, src: str, line: int) -> None:
        """A build never fetches anything, nor sends a reader to an address an image named
        (a tracking pixel, a cloud metadata endpoint): a web image is replaced by its alt
        text, and a located warning names the address so the author can bring it in."""
        alt = (img.get("alt") or "").strip()
        text = (f"[{alt}]" if alt else "") + (img.tail or "")
        parent, before = img.getparent(), img.getprevious()
        if before is not None:
            before.tail = (before.tail or "") + text
        else:
            parent.text = (parent.text or "") + text
        parent.remove(img)
        shown = src if len(src) <= 80 else src[:77] + "..."
        self.warnings.append(Problem(
            self.path, line, f"image '{shown}' is on the web, and a build never fetches "
            "anything: the editions show its alt text instead", "download it into the "
            "project and use a relative path", "image-remote"))

    def link(self, tok: Token, line: int) -> None:
        href = str(tok.attrGet("href") or "")
        if references.is_reference(href):
            self.xrefs.append(references.reference(line, href, len(self.xrefs)))
            tok.attrSet("href", f"#{self.xrefs[-1].slot}")
            tok.attrSet("class", XREF_CLASS)
            return
        if href.startswith(PHOTO_SCHEME):
            photo = href[len(PHOTO_SCHEME):]
            anchor = figure_id(photo)
            self.links.append(Link(line, "", anchor, href))
            tok.attrSet("href", f"#{anchor}")
            return
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto"):
            return
        if parts.scheme or parts.netloc:
            self.problems.add(self.path, line,
                              f"link '{href}' uses a scheme the book does not allow",
                              "use http(s), mailto, or a chapter file", rule="link-scheme")
            return
        if parts.path.startswith("/") or parts.query:
            target = href  # site-relative: it leaves the book (assemble says what becomes of it)
        elif parts.path:
            target = self.resolve_local(parts.path)
            stem, html_page = posixpath.splitext(target)[0], target.endswith(".html")
            if html_page:  # mdBook's links: `x.html` is chapter `x.md`, `index.html` README.md
                target = (posixpath.join(posixpath.dirname(target), "README.md")
                          if posixpath.basename(stem) == "index" else f"{stem}.md")
        else:
            target = self.path
        frag = unquote(parts.fragment)
        target_cid = chapter_id(target)
        anchor = f"{target_cid}--{frag}" if frag else target_cid
        slot = f"{LINK_SLOT}{len(self.links)}"
        self.links.append(Link(line, target, anchor, href, slot))
        tok.attrSet("href", f"#{slot}")


def _split_footnotes(tokens: list[Token]) -> tuple[list[Token], list[list[Token]]]:
    """Separate the body tokens from each footnote's content tokens."""
    if not any(t.type == "footnote_block_open" for t in tokens):
        return tokens, []
    start = next(i for i, t in enumerate(tokens) if t.type == "footnote_block_open")
    notes: list[list[Token]] = []
    for tok in tokens[start + 1:]:
        if tok.type == "footnote_open":
            notes.append([])
        elif tok.type in ("footnote_close", "footnote_block_close", "footnote_anchor"):
            continue
        elif notes:
            notes[-1].append(tok)
    return tokens[:start], notes


def parse_chapter(path: str, text: str, math: bool = True) -> Chapter:
    """Parse one chapter file; every problem in it is raised together with its line.
    Without `math`, dollars are text."""
    md = _MD if math else _MD_TEXT
    fm = split_front_matter(path, text)
    validate_front_matter(path, fm)
    cid = chapter_id(path)
    parser = _ChapterParser(path, fm.body_offset, cid)
    parser.source = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    env: dict = {}
    if len(text) > MAX_CHAPTER_BYTES and len(text.encode("utf-8")) > MAX_CHAPTER_BYTES:
        raise BookError.at(path, None, f"chapter is {len(text.encode('utf-8')):,} bytes; at "
                           f"most {MAX_CHAPTER_BYTES:,}", "split it into several chapters",
                           rule="limit-chapter-size")
    tokens = md.parse(fm.body, env)
    too_deep = nesting_problem(tokens, parser.line_of)
    if too_deep:  # markdown-it would drop what lies deeper: refuse rather than lose it
        raise BookError.at(path, too_deep[0], too_deep[1], "flatten the structure",
                           rule="limit-nesting")
    _heading_attributes(tokens)
    _hide_rust_lines(tokens)
    title = str(fm.data.get("title", "")).strip()
    title_id = ""
    if not title:
        first = next((i for i, t in enumerate(tokens) if t.type == "heading_open"), None)
        if first is None:
            raise BookError.at(path, 1, "chapter has no title",
                               "add 'title:' to the front matter or start with a '# Heading'",
                               rule="chapter-no-title")
        title = _heading_text(tokens[first + 1]).strip()
        title_id = parser.unique_id(tokens[first].meta.get("id")
                                    or _heading_slug(tokens[first + 1]))
        tokens = tokens[:first] + tokens[first + 3:]
    tokens = parser.photo_paragraphs(tokens)
    tokens = references.table_captions(tokens, parser.unique_id)
    references.label_equations(tokens, parser.unique_id)
    body_tokens, note_tokens = _split_footnotes(tokens)
    parser.walk(body_tokens)  # each footnote apart: a link in one is not walked twice
    marks = mark_index_spans(body_tokens, cid, parser.where_in, 0)
    labels = references.collect_labels(body_tokens, parser.line_of)
    for tex, block in formulas(body_tokens):
        why = problem(tex)
        if why:
            parser.problems.add(path, parser.where_in(tex.strip().split("\n")[0], block),
                                f"formula '{tex.strip()[:60]}' cannot be typeset: {why}",
                                "balance its braces, \\left and \\right, \\begin and "
                                "\\end", rule="math-invalid")
    cited: list[Citation] = []
    citations.collect(body_tokens, cid, cited, parser.where_in)
    labels += parser.key_figures(body_tokens)

    for label, ref in env.get("footnotes", {}).get("refs", {}).items():
        if ref == -1:  # markdown-it leaves out a note nothing refers to: refuse, not lose it
            line = parser.where(f"[^{label[1:]}]:", parser.offset + 1, len(parser.source))
            parser.problems.add(path, line, f"footnote '{label[1:]}' is never referred to",
                                f"add [^{label[1:]}] where the note belongs, on a line of "
                                "Markdown (not raw HTML)", rule="footnote-unreferenced")
    if len(note_tokens) > MAX_FOOTNOTES:
        first_over = next((t for t in note_tokens[MAX_FOOTNOTES] if t.map), None)
        raise BookError.at(path, parser.line_of(first_over, parser.offset + 1),
                           f"chapter has {len(note_tokens):,} footnotes; at most "
                           f"{MAX_FOOTNOTES:,}", "split it into several chapters",
                           rule="limit-footnotes")
    footnotes: list[Footnote] = []
    for number, note in enumerate(note_tokens, start=1):
        parser.walk(note)
        marks += mark_index_spans(note, cid, parser.where_in, len(marks))
        citations.collect(note, cid, cited, parser.where_in)
        note_html = md.renderer.render(note, md.options, env)
        footnotes.append(Footnote(number, f"{cid}--fn{number}", f"{cid}--fnref{number}",
                                  parser.local_images(clean_html(note_html))))
    for tok in body_tokens:
        for child in tok.children or []:
            if child.type == "footnote_ref":
                n = child.meta["id"] + 1
                sub = child.meta.get("subId", 0)
                ref_id = f"{cid}--fnref{n}" + (f"-{sub + 1}" if sub else "")
                child.type, child.content = "html_inline", (
                    f'<a class="noteref" href="#{cid}--fn{n}" id="{ref_id}" '
                    f'role="doc-noteref">{n}</a>')
    body = parser.local_images(clean_html(md.renderer.render(body_tokens, md.options, env)))
    parser.problems.raise_if_any()
    return Chapter(
        id=cid,
        path=path,
        title=title,
        short_title=str(fm.data.get("short_title", "")).strip() or title,
        body=body,
        headings=tuple(parser.headings),
        footnotes=tuple(footnotes),
        photo_ids=tuple(parser.photos),
        image_paths=tuple(parser.images),
        links=tuple(parser.links),
        blocks=tuple(parser.blocks),
        anchors=tuple(parser.anchors),
        title_id=title_id,
        labels=tuple(labels),
        xrefs=tuple(parser.xrefs),
        citations=tuple(cited),
        warnings=tuple(parser.warnings),
        index_marks=tuple(marks),
        language=str(fm.data.get("lang", "")),
        direction=str(fm.data.get("dir", "")),
    )
