"""The built-in theme: its CSS, and the open-licensed fonts every edition embeds. Script
faces (Armenian, Georgian, Arabic), the code font and the fallbacks for symbols, box
drawing and emoji go into an edition only when its text needs them, so a book pays for
the faces it uses. Every stage takes the theme's files from theme_file, never from the
disk itself."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pyphen
from babel.core import get_global

from ...model import Book
from ..code import stylesheet as code_stylesheet
from ..html import chapter_content
from ..i18n import counter_style, numbering_system
from ..script import cjk_region, has_rtl_text, is_rtl, languages

THEME = Path(str(resources.files("book.render") / "theme"))
FONTS = THEME / "fonts"


def theme_file(name: str | Path) -> bytes:
    """A file of the theme (CSS, script, font) by its name under theme/ ("fonts/…") or its
    path. Read once a process: the editions of a build, and the layout workers and the
    EPUB process forked after the first use, share the bytes (the theme is part of the
    builder, as fixed for a process as its code). FileNotFoundError outside the theme."""
    path = (THEME / name).resolve()
    if THEME.resolve() not in path.parents or not path.is_file():
        raise FileNotFoundError(f"{name}: not a file of the theme")
    return _read_once(path)


@functools.cache
def _read_once(path: Path) -> bytes:
    return path.read_bytes()


def theme_text(name: str) -> str:
    """A text file of the theme (CSS, script), as theme_file reads it."""
    return theme_file(name).decode("utf-8")


def font_blob(path: Path) -> Any:
    """HarfBuzz's blob of a font file: a theme font's bytes from theme_file, an installed
    Noto CJK collection mapped from the disk (20–27 MB each: never held whole)."""
    import uharfbuzz as hb  # type: ignore[import-untyped]  # ships no types

    if path.is_relative_to(FONTS):
        return hb.Blob(theme_file(path))
    return hb.Blob.from_file_path(str(path))


@functools.lru_cache(maxsize=32)
def cmap(path: Path, index: int = 0) -> frozenset[int]:
    """The code points a face (a file, or one face of a collection) has glyphs for, read
    by HarfBuzz (fontTools takes seconds over a CJK face's cmap, HarfBuzz under 1 ms)."""
    import uharfbuzz as hb

    return frozenset(hb.Face(font_blob(path), index).unicodes)

A5 = (148.0, 210.0)


@dataclass(frozen=True)
class Geometry:
    """The print page for one trim, in millimetres. print.css sets A5's (18 mm top, 16 mm
    outer, 20 mm bottom, 18 mm inner margins, photos at most 95 mm tall); another trim
    scales them, side margins with its width and the rest with its height, and page_css
    writes them after print.css. `book check` estimates print resolution from the same
    numbers before any layout."""

    width: float
    height: float

    def _across(self, mm: float) -> float:
        return round(mm * self.width / A5[0], 2)

    def _down(self, mm: float) -> float:
        return round(mm * self.height / A5[1], 2)

    @property
    def margins(self) -> tuple[float, float, float, float]:
        """(top, outer, bottom, inner)."""
        return self._down(18), self._across(16), self._down(20), self._across(18)

    @property
    def column(self) -> float:
        """The text block's width."""
        _, outer, _, inner = self.margins
        return round(self.width - outer - inner, 2)

    @property
    def max_photo_height(self) -> float:
        return self._down(95)


DEFAULT_GEOMETRY = Geometry(*A5)
COLUMN_MM = DEFAULT_GEOMETRY.column  # A5 width less both side margins
MAX_HEIGHT_MM = DEFAULT_GEOMETRY.max_photo_height
MIN_DPI = 150  # images printed under this resolution get a warning
PRESS_DPI = 300  # the print-ready interior's and cover's: under it, a warning


def page_css(geometry: Geometry) -> str:
    """The @page size and margins of `geometry`, written after print.css (which sets A5's):
    right pages have the inner margin on the left, left pages on the right."""
    top, outer, bottom, inner = geometry.margins
    return (f"@page {{ size: {geometry.width}mm {geometry.height}mm; "
            f"margin: {top}mm {outer}mm {bottom}mm {inner}mm; }}\n"
            f"@page :left {{ margin-left: {outer}mm; margin-right: {inner}mm; }}\n"
            f"@page :right {{ margin-left: {inner}mm; margin-right: {outer}mm; }}\n"
            f"figure.photo img {{ max-height: {geometry.max_photo_height}mm; }}")


@dataclass(frozen=True)
class Face:
    family: str
    weight: int
    style: str
    file: str
    # "" always; "code" with code; "code fallback" when the book's code has a character
    # the code font and script faces lack and this face has; "fallback" the same for any
    # text (after the script and CJK faces); else a regex character class of the script.
    needs: str = ""

    @property
    def path(self) -> Path:
        return FONTS / self.file


_ARMENIAN = r"[\u0530-\u058f\ufb13-\ufb17]"
_GEORGIAN = r"[\u10a0-\u10ff\u2d00-\u2d2f]"
_ARABIC = r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"

FACES = (
    Face("Source Serif Pro", 400, "normal", "SourceSerifPro-Regular.ttf"),
    Face("Source Serif Pro", 400, "italic", "SourceSerifPro-It.ttf"),
    Face("Source Serif Pro", 600, "normal", "SourceSerifPro-Semibold.ttf"),
    Face("Source Serif Pro", 600, "italic", "SourceSerifPro-SemiboldIt.ttf"),
    Face("Source Serif Pro", 700, "normal", "SourceSerifPro-Bold.ttf"),
    Face("Source Sans Pro", 400, "normal", "SourceSansPro-Regular.ttf"),
    Face("Source Sans Pro", 400, "italic", "SourceSansPro-It.ttf"),
    Face("Source Sans Pro", 600, "normal", "SourceSansPro-Semibold.ttf"),
    Face("Noto Mono", 400, "normal", "NotoMono-Regular.ttf", "code"),
    Face("Noto Serif Armenian", 400, "normal", "NotoSerifArmenian-Regular.ttf", _ARMENIAN),
    Face("Noto Serif Georgian", 400, "normal", "NotoSerifGeorgian-Regular.ttf", _GEORGIAN),
    Face("Noto Naskh Arabic", 400, "normal", "NotoNaskhArabic-Regular.ttf", _ARABIC),
    # Fallbacks, in stack order: box drawing and block elements at the code's advance;
    # arrows, math operators, technical symbols (⌘), shapes, dingbats; pictographs (🛈);
    # emoji, monochrome as print wants them.
    Face("DejaVu Sans Mono", 400, "normal", "DejaVuSansMono.ttf", "code fallback"),
    Face("DejaVu Sans", 400, "normal", "DejaVuSans.ttf", "fallback"),
    Face("Noto Sans Symbols 2", 400, "normal", "NotoSansSymbols2-Regular.ttf", "fallback"),
    Face("Noto Emoji", 400, "normal", "NotoEmoji-Regular.ttf", "fallback"),
)
_CODE = re.compile(r"<(pre|code)\b[^>]*>(.*?)</\1>", re.S)
_TAG = re.compile(r"<[^>]*>")


# Noto Serif/Sans CJK (SIL OFL 1.1, licence in /usr/share/doc/fonts-noto-cjk/copyright),
# from Debian's fonts-noto-cjk, which scripts/install-fonts installs: its collections weigh
# 20–27 MB each, too much to ship; PDFs embed subsets, found by family name through
# fontconfig (each face of a collection has its own family, so the right one is chosen).
CJK_DIR = Path("/usr/share/fonts/opentype/noto")
CJK_FILES = ("NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc",
             "NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")
_CJK = (r"[\u1100-\u11ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u318f\u31a0-\u31ff"
        r"\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
        r"\U00020000-\U0003134f]")
# Face index of each region in Debian's collections (the same in Serif and Sans).
CJK_INDEX = {"JP": 0, "KR": 1, "SC": 2, "TC": 3}
_TEXT: list[tuple[Book, str]] = []  # the last Book asked for, with its text


def book_text(book: Book) -> str:
    """Every piece of text of `book` the editions set in the theme's fonts (as HTML).
    Asked for several times a build (faces, CJK region, coverage): kept for the last Book."""
    if not (_TEXT and _TEXT[0][0] is book):
        _TEXT[:] = [(book, "\n".join(
            [book.meta.title, book.meta.subtitle] +
            [c.title + chapter_content(c) + "".join(f.html for f in c.footnotes)
             for c in book.chapters]))]
    return _TEXT[0][1]


def drawn_text(markup: str) -> str:
    """The characters `markup` (HTML) prints: its text without tags, entities resolved."""
    return html.unescape(_TAG.sub("", markup))


def drawn(char: str) -> bool:
    """Whether a character needs a glyph: spaces, controls and format characters (joiners,
    direction marks) do not."""
    return not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf", "Zs")


def _drawn_code_points(markup: str) -> set[int]:
    return {ord(c) for c in set(drawn_text(markup)) if drawn(c)}


def book_cjk_region(book: Book | None) -> str | None:
    """The CJK face a book uses: its language's, else SC when its text has CJK
    characters at all, else None (no CJK font)."""
    if book is None:
        return None
    region = cjk_region(book.meta.language) or next(
        filter(None, map(cjk_region, languages(book))), None)  # a chapter's, e.g. `lang: ja`
    if region is None and re.search(_CJK, book_text(book)):
        region = "SC"
    return region


def cjk_files() -> list[Path]:
    """The installed Noto CJK collections (empty when fonts-noto-cjk is missing)."""
    return [CJK_DIR / name for name in CJK_FILES if (CJK_DIR / name).is_file()]


def cjk_file_faces(book: Book | None, edition: str) -> tuple[Face, ...]:
    """The Noto CJK faces an EPUB or web edition carries as files, subset to the book's
    characters (subset): body serif and heading sans. The print edition needs none:
    WeasyPrint embeds what it draws from the installed collections."""
    region = book_cjk_region(book)
    if region is None or edition == "print" or not cjk_files():
        return ()
    return (Face(f"Noto Serif CJK {region}", 400, "normal", f"NotoSerifCJK{region}-Regular.otf"),
            Face(f"Noto Sans CJK {region}", 600, "normal", f"NotoSansCJK{region}-Bold.otf"))


def font_files(book: Book, edition: str) -> dict[str, bytes]:
    """The font files an EPUB or web edition of `book` carries, by file name: the theme's
    faces its text uses (the fallbacks cut to its characters: a book with one ⌘ does not
    carry DejaVu Sans whole), then the Noto CJK faces cut to its characters."""
    files = {face.file: subset(face.path, 0, book) if face.needs.endswith("fallback")
             else theme_file(face.path) for face in faces_for(book)}
    for face in cjk_file_faces(book, edition):
        region = face.family.rsplit(" ", 1)[-1]
        source = CJK_DIR / ("NotoSerifCJK-Regular.ttc" if "Serif" in face.family
                            else "NotoSansCJK-Bold.ttc")
        files[face.file] = subset(source, CJK_INDEX[region], book)
    return files


def subset(path: Path, index: int, book: Book) -> bytes:
    """A face (a file, or one face of a collection) cut down by HarfBuzz to the characters
    of the book's text: a whole CJK collection weighs 20–27 MB, a symbol font most of a
    megabyte, a book's characters far less."""
    import uharfbuzz as hb

    wanted = hb.SubsetInput()
    for char in set(drawn_text(book_text(book))):
        wanted.unicode_set.add(ord(char))
    return bytes(hb.subset(hb.Face(font_blob(path), index), wanted).blob.data)


_STACK = re.compile(r'(font-family:[^;{}]*?"(?:Source (?:Serif|Sans) Pro|Noto Mono)"[^;{}]*?)'
                    r'((?:,\s*(?:serif|sans-serif|monospace))?\s*(?:!important\s*)?[;}])')


def with_script_fonts(css: str, region: str | None, faces: tuple[Face, ...] = FACES) -> str:
    """`css` with the region's Noto CJK family after each Source Serif/Sans in its font
    stacks (Latin text keeps the theme's faces, CJK characters get the right ones), the
    script faces (and the code fallback) after the code font, and the text fallbacks of
    `faces` at the end of every stack of the theme's faces (before its generic family),
    so no character falls to a machine font."""
    scripts = '"Noto Serif Armenian", "Noto Serif Georgian", "Noto Naskh Arabic"'
    if region is not None:
        css = re.sub(r'"Source (Serif|Sans) Pro"', rf'\g<0>, "Noto \1 CJK {region}"', css)
        scripts += f', "Noto Sans Mono CJK {region}"'
    scripts += "".join(f', "{f.family}"' for f in faces if f.needs == "code fallback")
    css = css.replace('"Noto Mono"', f'"Noto Mono", {scripts}')
    fallbacks = "".join(f', "{f.family}"' for f in faces if f.needs == "fallback")
    return _STACK.sub(rf"\1{fallbacks}\2", css) if fallbacks else css


_COUNTER = re.compile(r"\b(target-counters?|counters?)\(((?:[^()]|\([^()]*\))*)\)")
_ARGUMENTS = {"counter": 1, "counters": 2, "target-counter": 2, "target-counters": 3}


def with_numerals(css: str, style: str) -> str:
    """`css` with every counter it prints that names no counter style (folios, page
    references, the contents' page numbers, chapter numbers) counted in `style`, the
    book's numerals (`persian`: ۱۲۳); as it is for `decimal`."""
    if style == "decimal":
        return css

    def styled(found: re.Match) -> str:
        arguments = re.findall(r"(?:\"[^\"]*\"|'[^']*'|\([^()]*\)|[^,])+", found[2])
        if len(arguments) != _ARGUMENTS[found[1]]:
            return found[0]
        return f"{found[1]}({found[2]}, {style})"
    return _COUNTER.sub(styled, css)


def numeral_css(book: Book) -> str:
    """List numbers in the book's numerals, and in a chapter's own where its front
    matter gives another language (a Persian chapter of an English book counts ۱, ۲, ۳)."""
    ours = counter_style(numbering_system(book.meta.language, book.meta.numerals))
    rules = [f"ol {{ list-style-type: {ours}; }}"] if ours != "decimal" else []
    for tag in languages(book):
        style = counter_style(numbering_system(tag, book.meta.numerals))
        if style != ours:
            rules.append(f'[lang="{tag}"] ol {{ list-style-type: {style}; }}')
    return "\n".join(rules)


def faces_for(book: Book | None) -> tuple[Face, ...]:
    """The faces an edition of `book` uses (all of them when `book` is None): a fallback
    only when a character of the text has no face before it in its stack and the
    fallback has it (the code's stack: code font, script faces, code fallback)."""
    if book is None:
        return FACES
    text = book_text(book)
    has_code = bool(re.search(r"<(code|pre)\b", text))
    code = _drawn_code_points("".join(m[2] for m in _CODE.finditer(text)))
    prose = _drawn_code_points(_CODE.sub("", text))
    region = book_cjk_region(book)
    for covered in [cmap(path, CJK_INDEX[region]) for path in cjk_files()] if region else []:
        prose -= covered
        code -= covered
    chosen = []
    for face in FACES:
        if face.needs == "code fallback":
            wanted = bool(code & cmap(face.path))
        elif face.needs == "fallback":
            wanted = bool((code | prose) & cmap(face.path))
        elif face.needs == "code":
            wanted = has_code
        else:
            wanted = not face.needs or bool(re.search(face.needs, text))
        if wanted:
            chosen.append(face)
            if face.needs not in ("code", "code fallback"):  # in the text stacks
                prose -= cmap(face.path)
            if face.needs:  # in the code stack
                code -= cmap(face.path)
    return tuple(chosen)


def font_faces(faces: tuple[Face, ...], prefix: str = "fonts/") -> str:
    """@font-face rules for `faces`, with URLs relative to the stylesheet."""
    return "\n".join(f'@font-face {{ font-family: "{f.family}"; font-weight: {f.weight}; '
                     f'font-style: {f.style}; src: url("{prefix}{f.file}"); }}' for f in faces)


def hyphenation_language(tag: str) -> str | None:
    """The pyphen dictionary for a BCP 47 tag: the tag's own (en-GB → en_GB); for a bare
    language, the one of the region CLDR names as its likely one (en → en_US, pt → pt_BR)
    when pyphen has it, else the language's (de → de); None where pyphen has none."""
    language, *rest = tag.replace("_", "-").split("-")
    language = language.lower()
    regions = [part.upper() for part in rest if len(part) == 2 and part.isalpha()]
    if not regions:
        likely = get_global("likely_subtags").get(language, "")
        regions = [likely.rsplit("_", 1)[-1]] if likely.count("_") == 2 else []
    for candidate in [f"{language}_{region}" for region in regions[:1]] + [language]:
        if candidate in pyphen.LANGUAGES:
            return candidate
    return None


def hyphenation(tag: str, chapter: bool = False) -> str:
    """CSS that has WeasyPrint hyphenate text in `tag` with hyphenation_language's patterns
    (it would take pyphen's bare 'en', British patterns, for 'en'), or not at all: the
    book's text, or (`chapter`) the sections of chapters whose front matter gives `lang`
    (an English chapter of a Persian book is hyphenated, a Persian one of an English book
    is not)."""
    chosen = hyphenation_language(tag)
    scope = f'[lang="{tag}"]' if chapter else f':root, [lang="{tag}"]'
    if chosen is None:
        return f"{scope.split(',')[0]} {{ hyphens: manual; }}"
    if chosen == pyphen.language_fallback(tag.replace("-", "_")) and not chapter:
        return ""
    # A lang attribute outranks author rules on its own element, so !important.
    return (f'{scope} {{ -weasy-lang: "{chosen}" !important; '
            + ("hyphens: auto; }" if chapter else "}"))


def stylesheet(edition: str, book: Book | None) -> str:
    """The theme's CSS for one edition ('print', 'epub' or 'web'), fonts first."""
    faces = faces_for(book)
    css = [font_faces(faces + cjk_file_faces(book, edition))]
    css += [theme_text(name) for name in ("base.css", f"{edition}.css")]
    css.append(code_stylesheet(edition))
    if edition == "print" and book is not None:
        css.append(hyphenation(book.meta.language))
        css += [hyphenation(tag, chapter=True) for tag in languages(book)]
        css.append(page_css(Geometry(*book.meta.press.trim)))
        if is_rtl(book.meta.language):
            css.append(theme_text("rtl-pages.css"))
    region = book_cjk_region(book)
    if region is not None:
        css.append(theme_text("cjk.css"))
    if book is not None and has_rtl_text(book):
        css.append(theme_text("rtl.css"))
    # The stacks gain the script families; the @font-face rules (first) keep their names.
    if book is not None:
        css.append(numeral_css(book))
    return css[0] + "\n" + with_numerals(with_script_fonts("\n".join(css[1:]), region, faces),
                                          counter_style(numbering_system(
                                              book.meta.language, book.meta.numerals))
                                          if book is not None else "decimal")
