"""Settings of the project under test: as small as startproject's, and loadable on Django 2.2-6.1."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "probe-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "project.probes",
]

# Empty on purpose: each middleware probe serves its own chain (see project/settings_*.py).
MIDDLEWARE: list[str] = []

ROOT_URLCONF = "project.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("PROBE_DB", str(BASE_DIR / "db.sqlite3")),
        "TEST": {"NAME": os.environ.get("PROBE_DB", str(BASE_DIR / "db.sqlite3")) + ".test"},
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True

# Errors and warnings go to stderr, which the harness captures from the server as evidence.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["stderr"], "level": "WARNING"}},
}
