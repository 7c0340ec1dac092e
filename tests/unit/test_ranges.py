"""Page ranges (book/pdf/ranges.py): a list of page references set as the pages its targets
are on, each page once, runs merged with an en dash, each run kept whole, each page linked
to the first target on it; set again only when the pages change."""

from __future__ import annotations

from book import fragments
from book.model import PAGE_DIGITS, PAGE_RANGES, PAGE_REF
from book.pdf import ranges

# As the templates write a list: one page reference per target, in reading order.
LIST = (f'<p>Pages <span {PAGE_RANGES}="a b c d e f">'
        + ", ".join(f'<a href="#{name}" {PAGE_REF}=""></a>' for name in "abcdef")
        + '</span>.</p>')


def shown(root) -> str:
    """What print shows of the list: each link's page (its ::after) and the text between."""
    def text(element) -> str:
        return (element.get("data-page") or "") + "".join(text(c) + (c.tail or "")
                                                          for c in element)
    [element] = root.xpath(f"//*[@{PAGE_RANGES}]")
    return text(element)


def test_runs_merge_adjacent_pages_once_each():
    assert ranges.runs([9, 3, 4, 5, 3, 12, 11]) == [(3, 5), (9, 9), (11, 12)]
    assert ranges.runs([]) == []


def test_a_list_is_set_from_the_pages_of_its_targets():
    root = fragments.parse(LIST)
    assert ranges.fill(root, {"a": 3, "b": 4, "c": 5, "d": 9, "e": 3, "f": 11})
    assert shown(root) == "3\u20135, 9, 11"
    runs = root.xpath(f"//span[@class='{ranges.RUN_CLASS}']")
    assert [[a.get("href") for a in run.iter("a")] for run in runs] == [
        ["#a", "#c"], ["#d"], ["#f"]]  # the first target on each page a run shows
    assert all(a.get(PAGE_REF) == "" for a in root.iter("a"))
    assert root.text_content() == "Pages \u2013, , ."  # the numbers are the links' ::after


def test_a_list_is_set_again_only_when_its_pages_change():
    root = fragments.parse(LIST)
    pages = {"a": 3, "b": 4, "c": 5, "d": 9, "e": 3, "f": 11}
    assert ranges.fill(root, pages)
    assert not ranges.fill(root, pages)
    assert not ranges.fill(root, {**pages, "e": 4})  # a page already shown
    assert ranges.fill(root, {**pages, "d": 6})
    assert shown(root) == "3\u20136, 11"
    assert ranges.targets(root) == {"a", "b", "c", "d", "e", "f"}
    ranges.settle(root)
    assert not root.xpath(f"//*[@{PAGE_RANGES}]") and ranges.targets(root) == set()


def test_a_list_target_counter_already_prints_right_is_left_as_it_is():
    """Pages all distinct, in order, none adjacent: the layout needs no second pass."""
    root = fragments.parse(LIST)
    before = fragments.inner(root)
    assert not ranges.fill(root, {"a": 3, "b": 5, "c": 9, "d": 12, "e": 20, "f": 31})
    assert fragments.inner(root) == before
    assert ranges.fill(root, {"a": 3, "b": 5, "c": 9, "d": 12, "e": 20, "f": 21})


def test_a_list_is_written_in_the_digits_it_names():
    """A Persian book's list: its pages in Persian digits, read back as the same pages."""
    root = fragments.parse(LIST.replace(f"{PAGE_RANGES}=", f'{PAGE_DIGITS}="۰۱۲۳۴۵۶۷۸۹" '
                                                          f"{PAGE_RANGES}="))
    pages = {"a": 3, "b": 4, "c": 5, "d": 9, "e": 3, "f": 11}
    assert ranges.fill(root, pages)
    assert shown(root) == "۳\u2013۵, ۹, ۱۱"
    assert not ranges.fill(root, pages)
    ranges.settle(root)
    assert not root.xpath(f"//*[@{PAGE_DIGITS}]")
