"""Pages of a query or of a list already in memory, both by ?page=.

`paginate` is Flask-SQLAlchemy's, with the page read by `inputs.page_arg` (its own reading
lets ?page=99999999999999999999 overflow the query's OFFSET). `paginate_list` is shaped
like it, for lists in memory (the load view, one row per consultant), and
`paginate_window` for a window fetched with its total (a case's timeline, paged in SQL);
the templates' pager macro takes any.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import abort, current_app
from flask_sqlalchemy.pagination import Pagination

from consultancy.extensions import db
from consultancy.web.inputs import page_arg


class _Pager:
    """What the pager macro reads, from `page`, `per_page` and `total`."""
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    # The page numbers to link, the far ones left out (None), as db.paginate's pages.
    iter_pages = Pagination.iter_pages


@dataclass(frozen=True)
class ListPage(_Pager):
    all_items: Sequence
    page: int
    per_page: int

    @property
    def total(self) -> int:
        return len(self.all_items)

    @property
    def items(self) -> Sequence:
        start = (self.page - 1) * self.per_page
        return self.all_items[start:start + self.per_page]


@dataclass(frozen=True)
class WindowPage(_Pager):
    """A page whose items were fetched as a window (OFFSET/LIMIT) with the total count."""
    items: Sequence
    total: int
    page: int
    per_page: int


def paginate_list(items: Sequence, per_page: int | None = None) -> ListPage:
    """The page of `items` that `?page=` asks for; 404 past the last page, as db.paginate."""
    per_page = per_page or current_app.config["ITEMS_PER_PAGE"]
    page = page_arg()
    result = ListPage(items, page, per_page)
    if page > result.pages:
        abort(404)
    return result


def paginate(query, per_page: int | None = None):
    """The page of `query` that ?page= asks for; 404 past the last page."""
    return db.paginate(query, page=page_arg(),
                       per_page=per_page or current_app.config["ITEMS_PER_PAGE"])


def paginate_window(fetch: Callable[[int, int], Sequence], per_page: int | None = None
                    ) -> WindowPage:
    """The page ?page= asks for of what `fetch(offset, limit)` answers: a window of items
    that knows the `total` (a case's timeline); 404 past the last page."""
    per_page = per_page or current_app.config["ITEMS_PER_PAGE"]
    page = page_arg()
    window = fetch((page - 1) * per_page, per_page)
    result = WindowPage(window, window.total, page, per_page)
    if page > result.pages:
        abort(404)
    return result
