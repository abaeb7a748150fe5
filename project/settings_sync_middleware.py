"""Settings for middleware.sync-in-chain: one sync-only middleware between two async-only ones."""

from __future__ import annotations

from project.settings import *  # noqa: F403

MIDDLEWARE = [
    "project.probes.middleware.outer_async",
    "project.probes.middleware.sync_only",
    "project.probes.middleware.inner_async",
]
