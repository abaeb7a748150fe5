"""What the ORM probes observe, as plain functions returning a verdict: run by test_orm.py on SQLite and by
test_postgresql.py with every query routed to PostgreSQL. Each needs a test database (the caller's django_db mark).

https://docs.djangoproject.com/en/stable/topics/async/#queries-the-orm
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django.core.exceptions
import pytest
from django.db import router, transaction
from django.db.models import Count

from contract.evidence import describe
from contract.states import Verdict
from harness.observers.asyncapis import Api, expect, observe, run
from harness.observers.work import sql_work
from harness.rules import apis as rules
from project.probes.models import Author, Book, Chapter, Tag


def sync_guard(monkeypatch: pytest.MonkeyPatch) -> Verdict:
    """A sync ORM call from inside a running event loop: does the sync-only guard refuse it?"""
    # The documented escape hatch would silence the guard; make sure it is off.
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)

    async def count_synchronously() -> str | None:
        try:
            Author.objects.count()
        except Exception as exc:  # the guard's exception (or another one) is what this probe observes
            return describe(exc)
        return None

    raised, _ = run(count_synchronously)
    return rules.sync_guard(hasattr(django.core.exceptions, rules.GUARD), raised)


def queryset_async() -> Verdict:
    """Every async QuerySet and manager method, each called on one event loop; on which thread did its SQL run?"""
    first = Author.objects.create(name="first")
    Author.objects.create(name="last")
    authors = Author.objects.all()
    apis = [
        Api("acreate", Author.objects, lambda acreate: acreate(name="created")),
        Api("aget_or_create", Author.objects, lambda aget_or_create: aget_or_create(name="got")),
        Api("aupdate_or_create", Author.objects, lambda aupdate_or_create: aupdate_or_create(name="updated")),
        Api("abulk_create", Author.objects, lambda abulk_create: abulk_create([Author(name="bulk")])),
        Api("abulk_update", Author.objects, lambda abulk_update: abulk_update([first], ["name"])),
        Api("aget", Author.objects, lambda aget: aget(pk=first.pk)),
        Api("acount", authors, lambda acount: acount()),
        Api("aexists", authors, lambda aexists: aexists()),
        Api("afirst", authors, lambda afirst: afirst()),
        Api("alast", authors, lambda alast: alast()),
        Api("aearliest", authors, lambda aearliest: aearliest("pk")),
        Api("alatest", authors, lambda alatest: alatest("pk")),
        Api("ain_bulk", authors, lambda ain_bulk: ain_bulk([first.pk])),
        Api("acontains", authors, lambda acontains: acontains(first)),
        Api("aaggregate", authors, lambda aaggregate: aaggregate(Count("pk"))),
        Api("aexplain", authors, lambda aexplain: aexplain()),
        Api("aupdate", Author.objects.filter(name="bulk"), lambda aupdate: aupdate(name="bulk2")),
        Api("adelete", Author.objects.filter(name="bulk2"), lambda adelete: adelete()),
    ]
    with sql_work():
        return rules.async_apis(observe(apis))


def async_iteration() -> Verdict:
    """`async for` over a QuerySet and `aiterator()`: on which thread did the SQL run?"""
    Author.objects.create(name="only")

    async def async_for(_: object) -> None:
        expect([a.name async for a in Author.objects.all()] == ["only"], "async for did not yield the one row")

    async def aiterator(method: Callable[[], Any]) -> None:
        expect([a.name async for a in method()] == ["only"], "aiterator() did not yield the one row")

    apis = [Api("__aiter__", Author.objects.all(), async_for), Api("aiterator", Author.objects.all(), aiterator)]
    with sql_work():
        return rules.async_apis(observe(apis))


def model_methods() -> Verdict:
    """The async model instance methods (asave, arefresh_from_db, adelete, afull_clean)."""
    saved, deleted = Author.objects.create(name="saved"), Author.objects.create(name="deleted")
    # Tag.name is unique, so full_clean() queries the database to validate it.
    tag = Tag(name="new")
    apis = [
        Api("asave", saved, lambda asave: asave()),
        Api("arefresh_from_db", saved, lambda arefresh_from_db: arefresh_from_db()),
        Api("adelete", deleted, lambda adelete: adelete()),
        Api("afull_clean", tag, lambda afull_clean: afull_clean()),
    ]
    with sql_work():
        return rules.async_apis(observe(apis))


def related_managers() -> Verdict:
    """The async methods of a reverse foreign key and a many-to-many manager."""
    book = Book.objects.create(title="book", author=Author.objects.create(name="author"))
    loose = Chapter.objects.create(title="loose")
    red, blue = Tag.objects.create(name="red"), Tag.objects.create(name="blue")

    apis = [
        _created_in(book, "chapters.acreate", title="created"),
        _created_in(book, "chapters.aget_or_create", title="got"),
        _created_in(book, "chapters.aupdate_or_create", title="updated"),
        Api("chapters.aadd", book, lambda aadd: aadd(loose)),
        Api("chapters.aremove", book, lambda aremove: aremove(loose)),
        Api("chapters.aset", book, lambda aset: aset([loose])),
        Api("chapters.aclear", book, lambda aclear: aclear()),
        _created_in(book, "tags.acreate", name="created"),
        _created_in(book, "tags.aget_or_create", name="got"),
        _created_in(book, "tags.aupdate_or_create", name="updated"),
        Api("tags.aadd", book, lambda aadd: aadd(red)),
        Api("tags.aremove", book, lambda aremove: aremove(red)),
        Api("tags.aset", book, lambda aset: aset([red, blue])),
        Api("tags.aclear", book, lambda aclear: aclear()),
    ]
    with sql_work():
        return rules.async_apis(observe(apis))


def _created_in(book: Book, dotted: str, **fields: object) -> Api:
    """`book.<relation>.<method>(**fields)`, checked to have created its object inside the relation."""
    manager = getattr(book, dotted.split(".")[0])

    async def use(create: Callable[..., Any]) -> None:
        result = await create(**fields)
        obj = result[0] if isinstance(result, tuple) else result
        expect(await manager.filter(pk=obj.pk).aexists(), f"{dotted}() created {obj!r} outside the relation")

    return Api(dotted, book, use)


def transactions() -> Verdict:
    """An async transaction API: `async with transaction.atomic()` and `transaction.aatomic`."""
    # The database Author's writes go to: "default" here, PostgreSQL when test_postgresql.py routes them there.
    using = router.db_for_write(Author)

    async def async_with_atomic(_: object) -> None:
        async with transaction.atomic(using=using):
            await Author.objects.acreate(name="in atomic")

    async def aatomic(method: Callable[..., Any]) -> None:
        async with method(using=using):
            await Author.objects.acreate(name="in aatomic")

    apis = [Api("__aenter__", transaction.atomic(), async_with_atomic), Api("aatomic", transaction, aatomic)]
    with sql_work():
        return rules.async_apis(observe(apis))
