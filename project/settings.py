"""Settings of the project under test: as small as startproject's, and loadable on Django 2.2-6.1."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "probe-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    # what startproject's default middleware stack (below) needs
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "project.probes",
]
STATIC_URL = "/static/"

# Empty on purpose: the views run bare unless a request picks one of PROBE_MIDDLEWARE_STACKS.
MIDDLEWARE: list[str] = []

# Middleware chains one server serves side by side: project/asgi.py builds one Django handler per stack, and a
# request picks one with the PROBE_STACK_HEADER header. The async-only tracers (project/probes/middleware.py)
# add no hop of their own: every hop in a trace is the layers' between them.
PROBE_STACK_HEADER = "x-probe-stack"
# startproject's MIDDLEWARE, unchanged since Django 2.0.
STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
PROBE_MIDDLEWARE_STACKS = {
    # middleware.async-native: only async-only middleware around the views
    "async-only": ["project.probes.middleware.outer_async", "project.probes.middleware.inner_async"],
    # middleware.sync-in-chain: one sync-only middleware between two async-only ones
    "sync-in-chain": [
        "project.probes.middleware.outer_async",
        "project.probes.middleware.sync_only",
        "project.probes.middleware.inner_async",
    ],
    # middleware.default-stack and views.async-decorators: startproject's MIDDLEWARE between two async-only tracers
    "default": [
        "project.probes.middleware.outer_async",
        *STARTPROJECT_MIDDLEWARE,
        "project.probes.middleware.inner_async",
    ],
    # middleware.sync-concurrency: ONE sync-only middleware, nothing else, around an async view
    "one-sync": ["project.probes.middleware.sync_only"],
    # asgi.request-stack: startproject's MIDDLEWARE between two tracers built like Django's own (MiddlewareMixin)
    "request-stack": [
        "project.probes.middleware.outer_mixin",
        *STARTPROJECT_MIDDLEWARE,
        "project.probes.middleware.inner_mixin",
    ],
    # middleware.not-used: one sync-only middleware that raises MiddlewareNotUsed, around an async view
    "not-used": ["project.probes.patchfixes.NotUsedMiddleware"],
    # middleware.mixin-threads: two MiddlewareMixin tracers around a sync view (do their hooks run on its thread?) ...
    "mixin-threads": ["project.probes.middleware.outer_mixin", "project.probes.middleware.inner_mixin"],
    # ... and two of Django's own MiddlewareMixin subclasses around an async view (does each see that the layer below
    # is async? SecurityMiddleware, then FetchFromCacheMiddleware, which only reads the default local-memory cache)
    "mixin-builtin": [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.cache.FetchFromCacheMiddleware",
    ],
}

ROOT_URLCONF = "project.urls"


def _run_database() -> str:
    """PROBE_DB if given, else a SQLite file in a folder of this run's own, removed when the run ends.

    Two runs of one env at once must not share a database (one deletes the test database the other writes).
    The path goes into the environment, so the servers the run starts use the same database. A run killed
    before its exit handlers leaves its folder; the folder names the run's PID, so the next run removes it.
    """
    if "PROBE_DB" not in os.environ:
        _remove_orphans(Path(tempfile.gettempdir()))
        folder = tempfile.mkdtemp(prefix=f"probe-db-{os.getpid()}-")
        atexit.register(shutil.rmtree, folder, True)
        os.environ["PROBE_DB"] = os.path.join(folder, "db.sqlite3")
    return os.environ["PROBE_DB"]


def _remove_orphans(parent: Path) -> None:
    """Remove the database folders of runs whose process is gone (killed: no exit handler ran)."""
    for folder in parent.glob("probe-db-*-*"):
        pid = folder.name.split("-")[2]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(str(folder), ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _run_database(),
        "TEST": {"NAME": _run_database() + ".test"},
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
