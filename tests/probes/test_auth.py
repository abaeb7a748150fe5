"""The async auth API (Django 5.0 functions, 5.2 manager and permission methods): native or threaded by the thread
that ran the SQL; and checking a password with the release's default hasher: where the hashing ran, and how long it
stalled the loop.

https://docs.djangoproject.com/en/stable/releases/5.0/#django-contrib-auth
https://docs.djangoproject.com/en/stable/topics/auth/passwords/#how-django-stores-passwords
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import global_settings
from django.contrib import auth
from django.contrib.auth import hashers, models
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse

from harness.observers.asyncapis import Api, expect, observe
from harness.observers.work import note_work, sql_work
from harness.rules import apis as rules

pytestmark = pytest.mark.usefixtures("transactional_db")


def request_with_session() -> HttpRequest:
    """A request as SessionMiddleware and AuthenticationMiddleware leave it (request.user, and request.auser if any)."""
    request = HttpRequest()
    request.session = SessionStore()
    AuthenticationMiddleware(lambda request: HttpResponse()).process_request(request)
    return request


@pytest.mark.probe("auth.async-api")
def test_auth_async_api(probe, settings):
    settings.PASSWORD_HASHERS = ["harness.observers.work.NotingPasswordHasher"]
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


@pytest.mark.probe("auth.password-check")
def test_password_check(probe, settings):
    """acheck_password, User.acheck_password and aauthenticate (a known and an unknown user) with the default hasher
    at its default work factor (the project's settings may use a fast one: this probe restores the default)."""
    settings.PASSWORD_HASHERS = list(global_settings.PASSWORD_HASHERS)
    default = hashers.get_hasher("default")
    user = User.objects.create_user("hashed", password="secret")
    encoded = user.password
    request = HttpRequest()

    def noting_encode(self, *args, **kwargs):  # every check of a password hashes it again: that is the work
        note_work()
        return original(self, *args, **kwargs)

    async def acheck_password(method) -> None:
        expect(await method("secret", encoded), "acheck_password() refused the right password")

    async def user_acheck_password(method) -> None:
        expect(await method(user, "secret"), "User.acheck_password() refused the right password")

    async def known(method) -> None:
        expect(await method(request, username="hashed", password="secret") == user, "aauthenticate() refused")

    async def unknown(method) -> None:
        expect(await method(request, username="nobody", password="secret") is None, "aauthenticate() let in nobody")

    apis = [
        Api("acheck_password", hashers, acheck_password),
        Api("User.acheck_password", models, user_acheck_password),
        Api("aauthenticate", auth, known, "aauthenticate (known user)"),
        Api("aauthenticate", auth, unknown, "aauthenticate (unknown user)"),
    ]
    original = type(default).encode
    context = {"hasher": default.algorithm, "iterations": getattr(default, "iterations", None)}
    with mock.patch.object(type(default), "encode", noting_encode):
        probe.record(rules.async_apis(observe(apis, context)))
