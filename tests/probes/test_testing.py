"""The async test client and request factory (Django 3.1) driving an async view: does the view run on the loop?

https://docs.djangoproject.com/en/stable/topics/testing/tools/#testing-asynchronous-code
"""

from __future__ import annotations

import json

import django.test
import pytest

from harness.observers.asyncapis import Api, expect, observe
from harness.observers.worklog import WORK
from harness.rules import apis as rules
from project.probes.async_urls import thread_view


async def through_client(client_class) -> None:
    response = await client_class().get("/thread/")
    expect(response.status_code == 200, f"AsyncClient().get() answered HTTP {response.status_code}")
    WORK.note(response.json()["thread"])


async def through_factory(factory_class) -> None:
    # Called directly, the view's response has no test-client .json() helper.
    response = await thread_view(factory_class().get("/thread/"))
    WORK.note(json.loads(response.content)["thread"])


@pytest.mark.probe("testing.async-client")
def test_async_client(probe, settings):
    settings.ROOT_URLCONF = "project.probes.async_urls"
    apis = [Api("AsyncClient", django.test, through_client), Api("AsyncRequestFactory", django.test, through_factory)]
    probe.record(rules.async_apis(observe(apis)))
