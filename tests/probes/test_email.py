"""Async email: an asend_mail(), EmailMessage.asend() or backend asend_messages()? Absent until Django grows one.

https://docs.djangoproject.com/en/stable/topics/email/
"""

from __future__ import annotations

import django
import django.core.mail
import django.core.mail.backends.base
import pytest

from harness.observers.asyncapis import Api, observe
from harness.rules import apis as rules

SENDER, RECIPIENTS = "probe@example.com", ["someone@example.com"]


def message() -> django.core.mail.EmailMessage:
    return django.core.mail.EmailMessage("subject", "body", SENDER, RECIPIENTS)


@pytest.mark.probe("email.async")
def test_async_email(probe, settings):
    settings.EMAIL_BACKEND = "harness.observers.work.NotingEmailBackend"
    settings.ADMINS = settings.MANAGERS = RECIPIENTS
    apis = [
        Api("core.mail.asend_mail", django, lambda asend_mail: asend_mail("subject", "body", SENDER, RECIPIENTS)),
        Api(
            "core.mail.asend_mass_mail",
            django,
            lambda asend_mass_mail: asend_mass_mail([("subject", "body", SENDER, RECIPIENTS)]),
        ),
        Api("core.mail.amail_admins", django, lambda amail_admins: amail_admins("subject", "body")),
        Api("core.mail.amail_managers", django, lambda amail_managers: amail_managers("subject", "body")),
        Api("core.mail.EmailMessage.asend", django, lambda asend: asend(message())),
        Api(
            "core.mail.backends.base.BaseEmailBackend.asend_messages",
            django,
            lambda asend_messages: asend_messages(django.core.mail.get_connection(), [message()]),
        ),
    ]
    probe.record(rules.async_apis(observe(apis)))
