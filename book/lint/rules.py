"""The catalogue of `book check` rules. Errors are the problems `book build` refuses (the
builder tags each BookError problem with one of these ids), so check and build agree;
warnings are style and completeness rules that only `book check` applies, or problems the build
works around and reports (a stale link fragment, a link that leaves the book); only they can
be silenced in book.toml's [check] table."""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    summary: str


def _rules(severity: str, entries: dict[str, str]) -> dict[str, Rule]:
    return {rule_id: Rule(rule_id, severity, summary) for rule_id, summary in entries.items()}


RULES: dict[str, Rule] = {
    **_rules(ERROR, {
        "build-input": "Any other input the builder refuses.",
        "check-config": "The [check] table of book.toml names an unknown rule, a rule that "
                        "cannot be silenced, or a file that does not exist.",
        "toml-syntax": "book.toml, assets/photos.toml or a data page is not valid TOML.",
        "file-unreadable": "A source file cannot be read.",
        "file-not-utf8": "A source file is not UTF-8 text.",
        "manifest-not-found": "The folder has no book.toml.",
        "manifest-unknown-key": "book.toml has a key the builder does not know.",
        "manifest-missing-key": "book.toml lacks a required key.",
        "manifest-bad-value": "A book.toml value has the wrong type or form (e.g. a date "
                              "that is not a real date, an identifier that is no UUID or "
                              "ISBN URN or http(s) URL).",
        "manifest-chapter-twice": "A chapter is listed twice in book.toml.",
        "manifest-chapter-missing": "A chapter listed in book.toml does not exist.",
        "manifest-chapter-outside": "A chapter listed in book.toml is outside the project.",
        "manifest-chapter-id": "A chapter's file name gives the same id as another chapter's, "
                               "or one the builder uses for its own pages.",
        "contributor-missing-name": "A [[contributors]] entry has no name.",
        "contributor-missing-role": "A [[contributors]] entry has no role.",
        "contributor-unknown-role": "A contributor's role is not one the builder knows.",
        "contributor-no-author": "No contributor has the role 'author'.",
        "front-matter-unclosed": "A chapter's front matter is never closed with '---'.",
        "front-matter-syntax": "A chapter's front matter is not valid YAML.",
        "front-matter-unknown-key": "A chapter's front matter has an unknown key.",
        "front-matter-type": "A front matter value is not non-empty text.",
        "data-page-unknown-key": "A data page (timeline, glossary) or one of its entries has "
                                 "a key the builder does not know.",
        "data-page-bad-value": "A data page value has the wrong type or form.",
        "data-page-missing-key": "A data page or one of its entries lacks a required key.",
        "data-page-no-entries": "A timeline has no [[events]], a glossary no [[terms]], or "
                                "an index neither [[entries]] nor places marked in the text.",
        "chapter-no-title": "A chapter has neither a front matter title nor a heading.",
        "photo-unknown": "A chapter places a photo id that is not in the manifest.",
        "photo-placed-twice": "A photo is placed more than once.",
        "photo-not-alone": "A photo does not stand alone in its paragraph.",
        "photo-unknown-key": "A photo manifest entry has an unknown key.",
        "photo-bad-value": "A photo manifest entry or value has the wrong form.",
        "photo-missing-file": "A photo manifest entry has no 'file'.",
        "photo-missing-caption": "A photo has no caption.",
        "photo-missing-credit": "A photo has no credit line.",
        "photo-missing-alt": "A photo has no alt text.",
        "photo-missing-licence": "A photo has no licence status.",
        "photo-licence": "A photo's licence status is not one the builder knows.",
        "photo-alt-is-caption": "A photo's alt text repeats its caption.",
        "photo-file-missing": "A placed photo's image file does not exist.",
        "link-chapter-missing": "A link points at a file that is not a chapter of the book.",
        "xref-unknown": "A cross-reference (`[](#tbl-x)`) names a label no table, section, "
                        "equation or figure of the book has.",
        "label-duplicate": "Two tables, sections, equations or figures have the same label.",
        "index-duplicate": "index.toml lists an entry, a sub-entry or a form twice.",
        "index-see-combined": "An index entry says 'see' and also lists pages.",
        "index-see-unknown": "An index entry's 'see' or 'see-also' names no entry of the "
                             "index.",
        "index-mark-invalid": "An index mark (`[text]{.index}`) names no entry, or files its "
                              "text under a 'see' entry.",
        "citation-unknown": "A citation names a key the bibliography does not hold, or the "
                            "book cites without naming a bibliography.",
        "bibliography-unreadable": "The bibliography or CSL style book.toml names is "
                                   "missing, outside the project or unreadable.",
        "bibliography-invalid": "The bibliography is not valid BibTeX or CSL-JSON, or the "
                                "style is not CSL.",
        "math-invalid": "A formula's TeX cannot be read (unbalanced braces, an unknown "
                        "command).",
        "link-photo-unplaced": "A link points at a photo that is not placed in the book.",
        "include-missing": "An mdBook {{#include}} names a file, line range or anchor that "
                           "does not exist, or a file outside the project.",
        "link-scheme": "A link uses a URL scheme the book does not allow.",
        "link-not-chapter": "A local link does not point at a chapter file.",
        "image-missing": "An image file does not exist.",
        "image-outside-project": "An image path leads outside the project.",
        "image-type": "An image is not PNG, JPEG, GIF, WebP or SVG.",
        "image-too-large": "An image file is too large.",
        "image-unsafe-svg": "An SVG has scripts, entities or external references.",
        "limit-nesting": "Lists and quotes, or raw HTML elements, nest deeper than the editions "
                         "lay out (README, Limits).",
        "footnote-unreferenced": "A footnote is defined but never referred to (it would be left "
                                 "out).",
        "limit-footnotes": "A chapter has more footnotes than the builder's limit.",
        "limit-chapter-size": "A chapter's source is larger than the builder's limit.",
        "limit-glossary-terms": "A glossary has more terms than the builder's limit.",
        "limit-keywords": "book.toml lists more keywords than the builder's limit.",
        "image-unreadable": "An image file cannot be decoded.",
    }),
    **_rules(WARNING, {
        "manifest-chapter-unlisted": "A Markdown file in chapters/ is not listed in book.toml.",
        "index-no-page": "The text marks places for the index, but the book has no index "
                         "page.",
        "index-unused": "An index entry the text never uses, or an index that lists "
                        "nothing (left out of every edition).",
        "photo-unused": "A photo in the manifest is never placed in a chapter.",
        "photo-low-resolution": "A photo would print under 150 dpi across the text column.",
        "link-fragment-missing": "A link points at a heading that does not exist (the build "
                                 "links to the chapter's start; `--strict` and `book release` "
                                 "refuse it).",
        "strings-untranslated": "The builder's own words (contents, captions, credits…) have no "
                                "translation for the book's language: they are in English.",
        "image-remote": "An image is on the web (http, https): a build never fetches it, so "
                        "the editions show its alt text instead.",
        "link-outside-book": "A link leaves the book (`../std/index.html`, `/about/`, a file "
                             "that is not a chapter) and book.toml has no [links] base: the "
                             "editions print its text without the link.",
        "heading-skip": "A heading skips a level (e.g. '####' after '##').",
        "typo-straight-quote": "A straight quote or apostrophe instead of a typographic one.",
        "typo-double-hyphen": "'--' or '---' written for a dash.",
        "typo-spaced-hyphen": "A hyphen with spaces around it used as a dash.",
        "typo-double-space": "Two or more spaces between words.",
        "typo-ellipsis": "'...' written for an ellipsis.",
        "typo-unbalanced-quote": "An opening or closing quote without its partner.",
        "typo-unbalanced-bracket": "An opening or closing bracket without its partner.",
        "photo-todo": "A line of the photo manifest still says TODO (book import docx "
                      "leaves credit, licence and missing alt text so).",
        "spelling-unknown": "A word of the prose is in neither the dictionary of the book's "
                            "language nor words.txt, the glossary, contributors or photo credits "
                            "(or no dictionary is installed for the language).",
    }),
}
