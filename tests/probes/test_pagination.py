"""Async pagination (AsyncPaginator and AsyncPage, Django 6.0): native or threaded by the thread that ran the SQL.

https://docs.djangoproject.com/en/stable/ref/paginator/#asyncpaginator-class
"""

from __future__ import annotations

from typing import Any

import django.core.paginator
import pytest

from harness.observers.asyncapis import Api, expect, observe
from harness.observers.work import sql_work
from harness.rules import apis as rules
from project.probes.models import Author

pytestmark = pytest.mark.usefixtures("transactional_db")


def fresh_paginator() -> Any:  # AsyncPaginator does not exist on every release
    """A new paginator each time: AsyncPaginator caches its count, which would hide later queries."""
    return django.core.paginator.AsyncPaginator(Author.objects.order_by("pk"), 2)


@pytest.mark.probe("pagination.async")
def test_async_paginator(probe):
    # Rows made one by one: Django 6.0.0's bulk_create crashes on SQLite before the connection is open (6.0.1 fixed
    # it), which is not what this probe measures.
    for n in range(3):
        Author.objects.create(name=f"author {n}")

    async def acount(method) -> None:
        expect(await method(fresh_paginator()) == 3, "acount() did not count the 3 rows")

    async def aget_object_list(method) -> None:
        page = await fresh_paginator().apage(2)
        expect(len(await method(page)) == 1, "the second page did not hold the 1 remaining row")

    apis = [
        Api("AsyncPaginator.acount", django.core.paginator, acount),
        Api("AsyncPaginator.anum_pages", django.core.paginator, lambda anum_pages: anum_pages(fresh_paginator())),
        Api("AsyncPaginator.apage", django.core.paginator, lambda apage: apage(fresh_paginator(), 1)),
        Api("AsyncPaginator.aget_page", django.core.paginator, lambda aget_page: aget_page(fresh_paginator(), 9)),
        Api("AsyncPage.aget_object_list", django.core.paginator, aget_object_list),
    ]
    with sql_work():
        probe.record(rules.async_apis(observe(apis)))
