"""Settings for middleware.default-stack and views.async-decorators: startproject's middleware.

The stack sits between two async-only tracers, which add no hop of their own: every hop in the
trace is the default stack's.
"""

from __future__ import annotations

from project.settings import *  # noqa: F403
from project.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.messages", "django.contrib.staticfiles"]
STATIC_URL = "/static/"

MIDDLEWARE = [
    "project.probes.middleware.outer_async",
    # startproject's MIDDLEWARE, unchanged since Django 2.0
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "project.probes.middleware.inner_async",
]
