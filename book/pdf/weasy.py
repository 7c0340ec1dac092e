"""WeasyPrint, imported once per process and adjusted for the builder: the only module that
imports WeasyPrint's internals, so that an upgrade is read in one place.

The adjustments below were written against WRITTEN_FOR. Any other WeasyPrint version is
imported as it is, without them and without the chunked layout (which leans on its margin
boxes), and `mismatch()` gives the one warning a build prints about it.

- Its import looks for each native library (Pango, HarfBuzz, fontconfig, …) under up to
  six names with ctypes.util.find_library, which on Linux runs ldconfig, gcc and ld for
  every name that is not there: 0.16 s of each cold build. On Linux the last name it
  tries is the library's soname, which dlopen finds on its own, so the search is skipped
  when every soname loads (checked first, so the import cannot fail and print its advice)
  and no other thread runs (find_library is process-wide).
- Repagination: WeasyPrint reads a target-counter() again only at the end of laying out
  its page, and only because the page total it copied in the first pass has changed, so
  a contents page is laid out three times, the second time still without its numbers.
  Here, before each repagination, every reference is read with the pages the pass
  before found and the page total it counted, and the pages whose references now read
  differently are marked: two passes, not three (a fifth of the layout), and the same
  pages. (A page total that changes still costs a pass, as in WeasyPrint.)
- Restyling in place (`relaid`): a layout keeps what it was made from (the HTML, the
  box tree, the layout context and its pages before their margins were added), so that
  the hyphenation repair can set a few paragraphs again and have WeasyPrint's own
  repagination remake each page that holds them and the pages after it until one ends
  where it ended before: the pages around keep their boxes, as in a repagination.
- PNG images go into the PDF as they are (png.idat).
- Margin boxes: in a chunk, the folios are left out and their pages noted; on a folio
  sheet only the folios are kept (see workers.py); those left out are not laid out at
  all where nothing on their side of the page is kept. Off unless a thread asks for it.
  Within `margins_last`, layouts leave them all out and `finished` adds them to the one
  layout kept: the layout rounds (floats.py) make them once, not once a round.
- HTML without foreign content is read by libxml2, not tinyhtml5: the same tree, ten
  times faster.
- Streams are deflated at zlib's default level, not pydyf's 9: a third of the time for
  a PDF 2 % larger.
- The cyclic garbage collector runs every 100,000 allocations instead of 700: a layout
  makes millions of small objects that live until the page is done, and the collector
  walking them took 5 % of the layout at 700 and, at 10,000, still 6.6 % of a worker's
  time on 30 TRPL chapters, 4.6 % at 100,000, for the same peak memory: it still runs."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import io
import logging
import re
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

from .png import idat

WRITTEN_FOR = "70.0"
SONAMES = ("libgobject-2.0.so.0", "libpango-1.0.so.0", "libharfbuzz.so.0",
           "libfontconfig.so.1", "libpangoft2-1.0.so.0")

_READY: list[bool] = []
_LOCK = threading.Lock()
_MARGINS = threading.local()  # .mode: None, "chunk" or "sheet"; .folios: pages noted
_LAID = threading.local()  # .state: (html, root box, context) of this thread's last layout


def version() -> str:
    """The installed WeasyPrint's version, read without importing it."""
    return metadata.version("weasyprint")


def compatible() -> bool:
    """Whether the installed WeasyPrint is the one the adjustments were written for."""
    return version() == WRITTEN_FOR


def mismatch() -> str | None:
    """The warning a build prints when WeasyPrint is not the version written for."""
    if compatible():
        return None
    return (f"WeasyPrint {version()} is installed, the builder was written for "
            f"{WRITTEN_FOR}: its layout optimisations and the chunked layout are off")


def loaded() -> bool:
    """Whether this process has WeasyPrint already (book serve keeps it between builds)."""
    return bool(_READY)


def load() -> None:
    """Import WeasyPrint and adjust it, once per process (forked workers inherit it)."""
    with _LOCK:
        if _READY:
            return
        _import()
        if compatible():
            _settle_references_early()
            _keep_layout_state()
            _pass_png_through()
            _filter_margin_boxes()
            _deflate_at_default_level()
            _parse_with_libxml2()
            if threading.active_count() == 1:
                gc.set_threshold(100_000, *gc.get_threshold()[1:])
        _READY.append(True)


def _sonames_load() -> bool:
    try:
        for name in SONAMES:
            ctypes.CDLL(name)
    except OSError:
        return False
    return True


def _import() -> None:
    if ("weasyprint" in sys.modules or not sys.platform.startswith("linux")
            or threading.active_count() > 1 or not compatible() or not _sonames_load()):
        import weasyprint  # noqa: F401
        return
    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        import weasyprint  # noqa: F401, F811
    finally:
        ctypes.util.find_library = search


def _settle_references_early() -> None:
    import weasyprint.layout as wl

    make_all_pages = wl.make_all_pages

    def make_pages(context: Any, root_box: Any, html: Any, pages: list) -> Any:
        resumed = getattr(context, "book_resumed", None)
        if resumed is not None and not pages:  # relaid: the pages it keeps
            pages, context.book_resumed = resumed, None
        if pages:  # a repagination: the pass before placed every target
            _reparse(context, len(pages))
        made = list(make_all_pages(context, root_box, html, pages))
        # Before layout_document adds their margin boxes (relaid takes them back off)
        context.book_made = [(page, page.children, page.children[0].children)
                             for page in made]
        return iter(made)

    wl.make_all_pages = make_pages


def _reparse(context: Any, total: int) -> None:
    """Give every page-number reference the numbers the pass before found, and mark the
    pages whose references now read differently for the coming pass."""
    page_maker = context.page_maker
    for (box, token), lookup in context.target_collector.counter_lookup_items.items():
        seen = lookup.cached_page_counter_values
        if "pages" in seen:
            seen["pages"] = [total]  # as its page now counts: no difference, no third pass
        index = lookup.page_maker_index
        if token != "content" or index is None or index >= total:
            continue
        before = _texts(box)
        lookup.parse_again(seen)
        if _texts(box) != before:
            page_maker[index][-1]["content_changed"] = True


def _keep_layout_state() -> None:
    import weasyprint.document as wd
    import weasyprint.layout as wl

    layout_document, initialize = wd.layout_document, wl.initialize_page_maker

    def layout(html: Any, root_box: Any, context: Any, max_loops: int = 8) -> Any:
        _LAID.state = (html, root_box, context)
        context.book_margins_last = getattr(_MARGINS, "last", False)
        return layout_document(html, root_box, context, max_loops)

    def initialize_page_maker(context: Any, root_box: Any) -> None:
        if getattr(context, "book_resumed", None) is None:  # not when relaid
            initialize(context, root_box)
            context.book_footnotes = list(context.footnotes)
        else:
            context.footnotes = list(context.book_footnotes)

    wd.layout_document, wl.initialize_page_maker = layout, initialize_page_maker


def _texts(box: Any) -> list:
    return [getattr(child, "text", type(child)) for child in box.descendants()]


def _pass_png_through() -> None:
    """Have WeasyPrint take suitable PNGs' data as it is (see png.py)."""
    from weasyprint.images import RasterImage

    encode = RasterImage._get_png_data

    def png_data(pillow_image: Any) -> bytes:
        getvalue = getattr(getattr(pillow_image, "fp", None), "getvalue", None)
        data = getvalue() if getvalue is not None else b""
        return idat(data, pillow_image.mode) or encode(pillow_image)

    RasterImage._get_png_data = staticmethod(png_data)


_FOREIGN = re.compile(r"<(svg|math)\b", re.I)


def _parse_with_libxml2() -> None:
    """WeasyPrint parses HTML with tinyhtml5, in Python: 0.11 s for a chapter of 80 KB,
    5 % of a layout. The builder's print HTML is valid (raw HTML is repaired to XHTML
    before it gets here), so libxml2 (lxml) reads it into the same tree in 0.01 s,
    which is then copied into the ElementTree elements WeasyPrint expects. Foreign
    content (inline SVG, MathML) is left to tinyhtml5, which puts it in its namespace and
    keeps its attributes' case (viewBox)."""
    import tinyhtml5
    import weasyprint

    parse = tinyhtml5.parse

    def parsed(document: Any, namespace_html_elements: bool = True, **kwargs: Any) -> Any:
        if isinstance(document, io.StringIO):  # how WeasyPrint hands a string over
            document = document.getvalue()
        if (not isinstance(document, str) or namespace_html_elements or kwargs
                or _FOREIGN.search(document)):
            return parse(document, namespace_html_elements=namespace_html_elements, **kwargs)
        return html_tree(document)

    weasyprint.tinyhtml5 = types.SimpleNamespace(parse=parsed)


def html_tree(document: str) -> Any:
    """An HTML document without foreign content, read by libxml2, as the ElementTree
    (no namespaces) tinyhtml5 gives."""
    import xml.etree.ElementTree as ET

    import lxml.html

    def copied(element: Any) -> Any:
        made: Any
        if isinstance(element.tag, str):
            made = ET.Element(element.tag, dict(element.attrib))
            made.text = element.text
        else:  # a comment, or what tinyhtml5 reads as one (<?…>)
            made = ET.Comment(element.text)
        made.tail = element.tail
        made.extend(copied(child) for child in element)
        return made

    return copied(lxml.html.document_fromstring(document))


def _deflate_at_default_level() -> None:
    """pydyf deflates every stream at level 9: three times zlib's default level's time
    for a PDF 2 % smaller (TRPL's chunk streams, 100 MB: 3.7 s against 1.2 s). Writing
    the PDF was a quarter of a chunk's time."""
    import zlib

    import pydyf

    if getattr(pydyf, "zlib", None) is zlib:
        pydyf.zlib = types.SimpleNamespace(
            compress=zlib.compress,
            compressobj=lambda level=zlib.Z_DEFAULT_COMPRESSION: zlib.compressobj())


def _is_folio(style: Any) -> bool:
    """Whether a margin box's style prints the page number."""
    content = style["content"]
    return not isinstance(content, str) and any(
        kind in ("counter()", "counters()") and args[0] == "page"
        for kind, args in content if isinstance(args, tuple))


def _generated(style: Any) -> bool:
    """Whether a margin box of this style is made at all (WeasyPrint's own test)."""
    return style is not None and style["content"] not in ("normal", "inhibit", "none")


# The margin boxes laid out together: the three of each side (one's width depends on the
# others'); each corner alone.
_SIDES = [tuple(f"@{side}-{end}" for end in ends) for side, ends in (
    ("top", ("left", "center", "right")), ("bottom", ("left", "center", "right")),
    ("left", ("top", "middle", "bottom")), ("right", ("top", "middle", "bottom")))] + [
    (f"@{corner}-corner",) for corner in ("top-left", "top-right", "bottom-left", "bottom-right")]
_SIDE = {name: side for side in _SIDES for name in side}


def _filter_margin_boxes() -> None:
    import weasyprint.layout as wl

    original = wl.make_margin_boxes

    def margin_boxes(context: Any, page: Any, state: Any) -> Iterator[Any]:
        if getattr(context, "book_margins_last", False):
            return  # finished() makes them
        mode = getattr(_MARGINS, "mode", None)
        if mode is None:
            yield from original(context, page, state)
            return
        style_for = context.style_for
        context.style_for = _without_unwanted(style_for, mode, context.current_page)
        try:
            for box in original(context, page, state):
                if _is_folio(box.style) == (mode == "sheet"):
                    yield box
                elif mode == "chunk":
                    _MARGINS.folios.append(context.current_page)
        finally:
            context.style_for = style_for

    wl.make_margin_boxes = margin_boxes


def _without_unwanted(style_for: Callable, mode: str, page: int) -> Callable:
    """`style_for` giving no content to the margin boxes `mode` leaves out (a chunk's
    folio, a folio sheet's running heads) whose side holds no box it keeps: WeasyPrint
    then never lays them out (a fifth of a folio sheet's time). A box that shares its side
    with one kept is laid out, as the kept one's width depends on it, and dropped after."""
    def unwanted(page_type: Any, name: str) -> bool:
        style = style_for(page_type, name)
        return not _generated(style) or _is_folio(style) != (mode == "sheet")

    def styled(page_type: Any, pseudo_type: Any = None, *args: Any) -> Any:
        style = style_for(page_type, pseudo_type, *args)
        side = _SIDE.get(pseudo_type) if isinstance(pseudo_type, str) else None
        if (side is None or not _generated(style)
                or not all(unwanted(page_type, name) for name in side)):
            return style
        if mode == "chunk":
            _MARGINS.folios.append(page)
        style = style.copy()
        style["content"] = "none"
        return style

    return styled


@contextmanager
def margins(mode: str) -> Iterator[list[int]]:
    """Within the block, this thread's layouts keep only the folios ('sheet') or leave them
    out ('chunk'), noting the pages that had one in the list it yields."""
    _MARGINS.mode, _MARGINS.folios = mode, []
    try:
        yield _MARGINS.folios
    finally:
        _MARGINS.mode = None


@contextmanager
def margins_last() -> Iterator[None]:
    """Within the block, this thread's layouts leave their margin boxes (running heads,
    folios) out, for `finished` to add to the layout that is kept."""
    _MARGINS.last = True
    try:
        yield
    finally:
        _MARGINS.last = False


# The public API, used through these names so that the builder's other modules never
# import WeasyPrint themselves.

def font_configuration() -> Any:
    load()
    from weasyprint.text.fonts import FontConfiguration
    return FontConfiguration()


def font_folder(fonts: Any) -> str | None:
    """Where a FontConfiguration copied its fonts (removed only at interpreter exit)."""
    return getattr(fonts, "_folder", None)


def stylesheet(text: str, fonts: Any, base_url: str | None = None, fetcher: Any = None) -> Any:
    load()
    from weasyprint import CSS
    return CSS(string=text, base_url=base_url, url_fetcher=fetcher, font_config=fonts)


class ErrorLog(logging.Handler):
    """Collects WeasyPrint's ERROR records while the block runs (`with ErrorLog() as log`)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> ErrorLog:
        logging.getLogger("weasyprint").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("weasyprint").removeHandler(self)


def render(html: str, stylesheets: list, fonts: Any, base_url: str | None = None,
           fetcher: Any = None, tagged: bool = True) -> Any:
    """Lay `html` out into pages: a weasyprint Document, before any PDF bytes exist."""
    load()
    from weasyprint import HTML
    if getattr(_MARGINS, "mode", None) is not None:
        # The folios noted are this layout's: floats.py lays a document out again, and a
        # page an earlier layout had may be gone (a stale one got a folio on a blank verso).
        _MARGINS.folios.clear()
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
        stylesheets=stylesheets, font_config=fonts, pdf_tags=tagged)
    document.book_laid = getattr(_LAID, "state", None) if compatible() else None
    _LAID.state = None
    return document


def relaid(document: Any, attribute: str, values: set[str], style: dict[str, Any]) -> Any:
    """`document` laid out again with `style` (computed values, as {'hyphens': 'manual'})
    given to the elements whose `attribute` is one of `values` and to what they hold; each
    page that holds one is made again, and so are the pages after it until one ends where
    it ended before; the others are kept. None when `document` cannot be laid out again so
    (another WeasyPrint, or a document relaid once more since)."""
    laid = getattr(document, "book_laid", None)
    if laid is None:
        return None
    from weasyprint.document import Document, Page
    from weasyprint.layout import layout_document

    html, root_box, context = laid
    document.book_laid = None  # its boxes are about to change
    holding = [number for number, page in enumerate(document.pages)
               if any(_outermost(page, lambda box: _marked(box, attribute, values)))]
    if not holding:
        return None
    copies: dict[int, tuple[Any, Any]] = {}  # id(style) → (style, its restyled copy)

    def restyle(box: Any, inside: bool) -> None:
        if _marked(box, attribute, values):
            inside = True
        elif inside and any(name in getattr(box.style, "cascaded", ()) for name in style):
            inside = False  # its own value, as the style attribute would leave it
        if inside:
            kept = copies.get(id(box.style))
            if kept is None:
                copy = box.style.copy()
                copy.update(style)
                kept = copies[id(box.style)] = (box.style, copy)
            box.style = kept[1]
        for child in getattr(box, "children", None) or ():
            restyle(child, inside)

    restyle(root_box, False)
    for page, children, flow in context.book_made:  # as make_all_pages left them
        page.children, page.children[0].children = children, flow
    for number in holding:  # not only the first: pages after one that ends as it did
        context.page_maker[number][-1]["content_changed"] = True  # are otherwise kept
    context.book_resumed = [page for page, _, _ in context.book_made]
    context.string_set.clear()  # layout_document collects them again from every page
    if getattr(_MARGINS, "mode", None) is not None:
        _MARGINS.folios.clear()
    pages = [Page(box) for box in layout_document(html, root_box, context)]
    again = Document(pages, document.metadata, document.url_fetcher, document.font_config,
                     document.color_profiles, document.output_intent)
    again._html, again.book_laid = html, laid
    return again


def finished(document: Any) -> Any:
    """`document` with the margin boxes a layout within `margins_last` left out, made as
    WeasyPrint makes them at the end of a layout; and without what `relaid` would need
    (the box tree and the layout context, as large as the pages themselves): it will not
    be laid out again."""
    laid, document.book_laid = getattr(document, "book_laid", None), None
    if laid is None or not laid[2].book_margins_last:
        return document
    import weasyprint.layout as wl
    from weasyprint.layout.background import layout_box_backgrounds

    context = laid[2]
    context.book_margins_last = False
    if getattr(_MARGINS, "mode", None) is not None:
        _MARGINS.folios.clear()  # noted again, for these pages
    for number, page in enumerate(document.pages, start=1):
        box = page._page_box
        context.current_page = number
        margins = tuple(wl.make_margin_boxes(context, box, context.page_maker[number][3]))
        for margin in margins:
            layout_box_backgrounds(box, margin, context.get_image_from_uri)
        box.children = (*box.children, *margins)
    return document


def _marked(box: Any, attribute: str, values: set[str]) -> bool:
    element = getattr(box, "element", None)
    return element is not None and element.get(attribute) in values


def anchor_pages(document: Any) -> dict[str, int]:
    """The page number (from 1) of every anchor of a laid-out document: where it starts."""
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for name in page.anchors:
            pages.setdefault(name, number)
    return pages


def _boxes(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _boxes(child)


def images(page: Any) -> Iterator[tuple[str, float]]:
    """(src, width in CSS px) of every image laid out on a page."""
    from weasyprint.formatting_structure.boxes import ReplacedBox

    for box in _boxes(page._page_box):
        if isinstance(box, ReplacedBox) and box.width:
            yield box.element.get("src") or "", box.width


def image_heights(page: Any) -> Iterator[tuple[Any, float]]:
    """(element, height in CSS px) of every image laid out on a page."""
    from weasyprint.formatting_structure.boxes import ReplacedBox

    for box in _boxes(page._page_box):
        if isinstance(box, ReplacedBox) and box.height:
            yield box.element, box.height


def lines(page: Any) -> list[tuple[Any, str]]:
    """(element whose text it sets, its text) of each line of a page's flow, in order,
    footnotes left out."""
    from weasyprint.formatting_structure.boxes import LineBox, TextBox

    return [(box.element, "".join(b.text for b in box.descendants() if isinstance(b, TextBox)))
            for box in _outermost(page, lambda box: isinstance(box, LineBox))]


def _outermost(page: Any, matches: Callable[[Any], bool]) -> Iterator[Any]:
    """The boxes of a page's flow (its root box: not the footnote area, not the margins)
    that `matches`, in flow order; none inside one that matched is visited."""
    def walk(box: Any) -> Iterator[Any]:
        if matches(box):
            yield box
            return
        for child in getattr(box, "children", None) or ():
            yield from walk(child)

    children = page._page_box.children
    if children:
        yield from walk(children[0])


def _first_content(box: Any, chain: list) -> tuple[Any, list] | None:
    from weasyprint.formatting_structure.boxes import ReplacedBox, TextBox

    if isinstance(box, ReplacedBox) or (isinstance(box, TextBox) and box.text.strip()):
        return box, chain
    for child in getattr(box, "children", None) or ():
        found = _first_content(child, chain + [box])
        if found:
            return found
    return None


def first_content(page: Any) -> tuple[str, list] | None:
    """The first text or image laid out on a page: (its text, the HTML elements that hold
    it, outermost first), or None for a page with no content of its own."""
    children = page._page_box.children
    found = _first_content(children[0], []) if children else None
    if found is None:
        return None
    box, chain = found
    elements = [b.element for b in chain + [box] if b.element is not None]
    return getattr(box, "text", "").strip(), list(dict.fromkeys(elements))


def text_block(page: Any) -> tuple[float, float]:
    """(top, bottom) in CSS px of the page's text block: its content area less the
    footnotes at its foot."""
    from weasyprint.formatting_structure.boxes import FootnoteAreaBox

    page_box = page._page_box
    top = page_box.content_box_y()
    bottom = top + page_box.height
    for notes in page_box.children:
        if isinstance(notes, FootnoteAreaBox) and notes.children:
            bottom = min(bottom, notes.position_y)
    return top, bottom


def marked_blocks(page: Any, attribute: str) -> list[tuple[str, float, float]]:
    """(value, top, bottom) in CSS px of the border boxes of the outermost boxes on a page
    whose element carries `attribute`, in flow order (a block that runs over pages is on
    each)."""
    def marked(box: Any) -> bool:
        element = getattr(box, "element", None)
        return (element is not None and element.get(attribute) is not None
                and getattr(box, "position_y", None) is not None)

    found: dict[str, tuple[str, float, float]] = {}
    for box in _outermost(page, marked):
        value = box.element.get(attribute)
        top = box.border_box_y()
        bottom = top + box.border_height()
        seen = found.get(value)
        found[value] = (value, min(top, seen[1]), max(bottom, seen[2])) if seen else (
            value, top, bottom)
    return list(found.values())
