"""The async auth API (Django 5.0 functions, 5.2 manager and permission methods): native or threaded by the thread
that ran the SQL.

https://docs.djangoproject.com/en/stable/releases/5.0/#django-contrib-auth
"""

from __future__ import annotations

import pytest
from django.contrib import auth
from django.contrib.auth import models
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse

from harness.asyncapis import Api, expect, observe
from harness.rules import apis as rules
from harness.work import sql_work

pytestmark = pytest.mark.usefixtures("transactional_db")


def request_with_session() -> HttpRequest:
    """A request as SessionMiddleware and AuthenticationMiddleware leave it (request.user, and request.auser if any)."""
    request = HttpRequest()
    request.session = SessionStore()
    AuthenticationMiddleware(lambda request: HttpResponse()).process_request(request)
    return request


@pytest.mark.probe("auth.async-api")
def test_auth_async_api(probe, settings):
    settings.PASSWORD_HASHERS = ["harness.work.NotingPasswordHasher"]
    user = User.objects.create_user("probe", password="secret")
    request = request_with_session()

    async def aauthenticate(method) -> None:
        expect(await method(request, username="probe", password="secret") == user, "aauthenticate() refused")

    async def aget_user(method) -> None:
        expect(await method(request) == user, "aget_user() did not return the logged-in user")

    async def alogout(method) -> None:
        await method(request)
        expect(isinstance(await auth.aget_user(request), AnonymousUser), "alogout() left the user logged in")

    async def auser(method) -> None:
        expect(await method() == user, "request.auser() did not return the logged-in user")

    async def ahas_perm(method) -> None:
        expect(not await method(user, "probes.add_author"), "ahas_perm() granted a permission nobody gave")

    apis = [
        Api("aauthenticate", auth, aauthenticate),
        Api("alogin", auth, lambda alogin: alogin(request, user)),
        Api("aget_user", auth, aget_user),
        Api("auser", request, auser),
        Api("aupdate_session_auth_hash", auth, lambda method: method(request, user)),
        Api("alogout", auth, alogout),
        Api("User.objects.acreate_user", models, lambda acreate_user: acreate_user("created")),
        Api("User.ahas_perm", models, ahas_perm),
        Api("User.acheck_password", models, lambda acheck_password: acheck_password(user, "secret")),
    ]
    with sql_work():
        probe.record(rules.async_apis(observe(apis)))
