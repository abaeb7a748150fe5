"""Async template rendering: an arender() on templates, loader or shortcuts? Absent until Django grows one.

https://docs.djangoproject.com/en/stable/topics/async/
"""

from __future__ import annotations

import django
import django.shortcuts
import django.template.backends.django
import django.template.base
import django.template.loader
import pytest
from django.http import HttpRequest
from django.template import Context, engines

from harness.observers.asyncapis import Api, expect, observe
from harness.observers.work import note_work
from harness.rules import apis as rules

TEMPLATE = "{{ probe }}"  # rendering calls `probe`, which notes the rendering thread
LOCMEM_TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", {"probe.html": TEMPLATE})]},
    }
]


async def rendered(output) -> None:
    text = await output
    expect("noted" in str(getattr(text, "content", text)), f"the template rendered {text!r}")


@pytest.mark.probe("templates.async-render")
def test_async_render(probe, settings):
    settings.TEMPLATES = LOCMEM_TEMPLATES
    context = {"probe": note_work}
    apis = [
        Api(
            "template.base.Template.arender",
            django,
            lambda arender: rendered(arender(django.template.base.Template(TEMPLATE), Context(context))),
        ),
        Api(
            "template.backends.django.Template.arender",
            django,
            lambda arender: rendered(arender(engines["django"].get_template("probe.html"), context)),
        ),
        Api(
            "template.loader.arender_to_string",
            django,
            lambda arender_to_string: rendered(arender_to_string("probe.html", context)),
        ),
        Api("shortcuts.arender", django, lambda arender: rendered(arender(HttpRequest(), "probe.html", context))),
    ]
    probe.record(rules.async_apis(observe(apis)))
