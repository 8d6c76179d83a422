"""Pages of a query or of a list already in memory, both by ?page=.

`paginate` is Flask-SQLAlchemy's, with the page read by `inputs.page_arg` (its own reading
lets ?page=99999999999999999999 overflow the query's OFFSET). `paginate_list` is shaped
like it, for lists composed in Python (a case's timeline) or aggregated per row (the load
view); the templates' pager macro takes either.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from flask import abort, current_app

from consultancy.extensions import db
from consultancy.web.inputs import page_arg


@dataclass(frozen=True)
class ListPage:
    all_items: Sequence
    page: int
    per_page: int

    @property
    def total(self) -> int:
        return len(self.all_items)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def items(self) -> Sequence:
        start = (self.page - 1) * self.per_page
        return self.all_items[start:start + self.per_page]

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

    def iter_pages(self) -> Iterator[int]:
        return iter(range(1, self.pages + 1))


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
