"""HTTP observations the rule tests build inline: a view that answered, one that failed, an entry point missing."""

from __future__ import annotations

import functools

from harness.rules.response import HttpObservation

LOOP, WORKER = 1, 2
NO_ASGI = "ModuleNotFoundError: No module named 'django.core.asgi'"
ok = functools.partial(HttpObservation, None, 200)
failed = functools.partial(HttpObservation, None, 500, server_exception="AttributeError: 'coroutine' object ...")
