"""Settings for middleware.async-native: only async-only middleware around the views."""

from __future__ import annotations

from project.settings import *  # noqa: F403

MIDDLEWARE = ["project.probes.middleware.outer_async", "project.probes.middleware.inner_async"]
