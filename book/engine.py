"""WeasyPrint, imported once per process and adjusted for the builder.

- Its import looks for each native library (Pango, HarfBuzz, fontconfig, …) under up to
  six names with ctypes.util.find_library, which on Linux runs ldconfig, gcc and ld for
  every name that is not there: 0.16 s of each cold build. On Linux the last name it
  tries is the library's soname, which dlopen finds on its own, so the search is skipped.
- Repagination: WeasyPrint reads a target-counter() again only at the end of laying out
  its page, and only because the page total it copied in the first pass has changed, so
  a contents page is laid out three times, the second time still without its numbers.
  Here, before each repagination, every reference is read with the pages the pass
  before found and the page total it counted, and the pages whose references now read
  differently are marked: two passes, not three (a fifth of the layout), and the same
  pages. (A page total that changes still costs a pass, as in WeasyPrint.)
- PNG images go into the PDF as they are (pngdata).
- The cyclic garbage collector runs every 10,000 allocations instead of 700: a layout
  makes millions of small objects that live until the page is done, and the collector
  walking them took 5 % of the layout. Memory stays bounded: it still runs."""

from __future__ import annotations

import contextlib
import gc
import io
import sys

from .pngdata import pass_through_png

_READY: list[bool] = []


def loaded() -> bool:
    """Whether this process has WeasyPrint already (book serve keeps it between builds)."""
    return bool(_READY)


def load() -> None:
    """Import WeasyPrint and adjust it, once per process (forked workers inherit it)."""
    if _READY:
        return
    _import()
    _settle_references_early()
    pass_through_png()
    gc.set_threshold(10_000, *gc.get_threshold()[1:])
    _READY.append(True)


def _import() -> None:
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint  # noqa: F401
        return
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its advice, if a library is missing
            import weasyprint  # noqa: F401
    except OSError:  # a library under another name than its soname: search after all
        for name in [name for name in sys.modules if name.split(".")[0] == "weasyprint"]:
            del sys.modules[name]
    finally:
        ctypes.util.find_library = search
    import weasyprint  # noqa: F401, F811


def _settle_references_early() -> None:
    import weasyprint.layout as wl

    make_all_pages = wl.make_all_pages

    def make_pages(context, root_box, html, pages):
        if pages:  # a repagination: the pass before placed every target
            _reparse(context, len(pages))
        return make_all_pages(context, root_box, html, pages)

    wl.make_all_pages = make_pages


def _reparse(context, total: int) -> None:
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


def _texts(box) -> list:
    return [getattr(child, "text", type(child)) for child in box.descendants()]
