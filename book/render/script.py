"""What a language tag says about the script a book is written in: its direction and,
for Chinese, Japanese and Korean, which regional CJK face sets it. Templates (the `dir`
attribute), the theme (fonts, rtl.css) and the EPUB spine all ask here."""

from __future__ import annotations

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
