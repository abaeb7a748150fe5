"""The async session API (Django 5.1) on the database backend: native or threaded by the thread that ran the SQL.

https://docs.djangoproject.com/en/stable/releases/5.1/#django-contrib-sessions
"""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore

from harness.asyncapis import Api, expect, observe
from harness.rules import apis as rules
from harness.work import sql_work

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.mark.probe("sessions.async-api")
def test_session_async_api(probe):
    saved = SessionStore()
    saved["colour"] = "red"
    saved.save()

    def stored() -> SessionStore:
        """A store bound to the saved session but not loaded yet, so its first use reads the database."""
        return SessionStore(session_key=saved.session_key)

    async def aget(method) -> None:
        expect(await method("colour") == "red", "aget() did not return the saved value")

    apis = [
        Api("aget", stored(), aget),
        Api("aset", stored(), lambda aset: aset("size", 2)),
        Api("ahas_key", stored(), lambda ahas_key: ahas_key("colour")),
        Api("apop", stored(), lambda apop: apop("colour")),
        Api("aitems", stored(), lambda aitems: aitems()),
        Api("aload", stored(), lambda aload: aload()),
        Api("aexists", stored(), lambda aexists: aexists(saved.session_key)),
        Api("acreate", SessionStore(), lambda acreate: acreate()),
        Api("asave", stored(), lambda asave: asave()),
        Api("acycle_key", stored(), lambda acycle_key: acycle_key()),
        Api("aflush", stored(), lambda aflush: aflush()),
        Api("adelete", SessionStore(), lambda adelete: adelete(saved.session_key)),
        Api("aclear_expired", SessionStore, lambda aclear_expired: aclear_expired()),
    ]
    with sql_work():
        probe.record(rules.async_apis(observe(apis)))
