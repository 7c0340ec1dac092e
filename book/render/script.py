"""What a language tag says about the script a book, or one of its chapters, is written
in: its direction and, for Chinese, Japanese and Korean, which regional CJK face sets it.
Templates (the `dir` and `lang` attributes), the theme (fonts, rtl.css, hyphenation) and
the EPUB spine and documents all ask here."""

from __future__ import annotations

from ..model import Book, Chapter

_RTL_LANGUAGES = {"ar", "fa", "he", "ur", "yi", "ps", "sd", "ckb", "dv", "ug"}


def cjk_region(tag: str) -> str | None:
    """The Noto CJK region face for a BCP 47 tag: zh-Hant, zh-TW, zh-HK, zh-MO → TC, other
    Chinese → SC, ja → JP, ko → KR; None for any other language."""
    language, *rest = tag.replace("_", "-").lower().split("-")
    if language in ("ja", "ko"):
        return {"ja": "JP", "ko": "KR"}[language]
    if language != "zh":
        return None
    return "TC" if {"hant", "tw", "hk", "mo"} & set(rest) else "SC"


def is_rtl(tag: str) -> bool:
    """Whether text in language `tag` is written right to left (Arabic, Persian, Hebrew,
    Urdu…), or in an Arabic or Hebrew script subtag."""
    language, *rest = tag.replace("_", "-").lower().split("-")
    return language in _RTL_LANGUAGES or bool({"arab", "hebr"} & set(rest))


def chapter_script(book_language: str, chapter: Chapter) -> tuple[str, str]:
    """(language, direction) of a chapter's text: its front matter `lang`, else the book's;
    its `dir`, else its language's ('rtl' or 'ltr'). A chapter in Persian in an English
    book is set right to left in its own pages, hyphenated and numbered as Persian; its
    pages still turn, and its running heads and folios still stand, as the book's do."""
    language = chapter.language or book_language
    return language, chapter.direction or ("rtl" if is_rtl(language) else "ltr")


def script_attributes(book_language: str, chapter: Chapter) -> str:
    """The `lang` and `dir` attributes a chapter's section carries where they are not the
    book's ('' when neither differs)."""
    language, direction = chapter_script(book_language, chapter)
    attributes = f' lang="{language}"' if language != book_language else ""
    if direction != ("rtl" if is_rtl(book_language) else "ltr"):
        attributes += f' dir="{direction}"'
    return attributes


def has_rtl_text(book: Book) -> bool:
    """Whether any of `book` is set right to left: the whole book, or a chapter."""
    return is_rtl(book.meta.language) or any(
        chapter_script(book.meta.language, c)[1] == "rtl" for c in book.chapters)


def languages(book: Book) -> tuple[str, ...]:
    """The languages of `book`'s chapters that are not the book's, in reading order."""
    found = dict.fromkeys(c.language for c in book.chapters)
    return tuple(tag for tag in found if tag and tag != book.meta.language)
