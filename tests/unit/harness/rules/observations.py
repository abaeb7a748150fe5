"""HTTP observations the rule tests build inline: a view that answered, one that failed, an entry point missing.

The *_UNOFFERED strings are real server exceptions from the committed run: a release that never offered what the
probe asked for (Django 3.0 handed an async view, 3.1-4.0 a View with async get, 3.1-4.1 an async iterator).
"""

from __future__ import annotations

import functools

from harness.rules.response import HttpObservation

LOOP, WORKER = 1, 2
NO_ASGI = "ModuleNotFoundError: No module named 'django.core.asgi'"
FAILURE = "RuntimeError: the view failed"
ASYNC_VIEW_UNOFFERED = "AttributeError: 'coroutine' object has no attribute '_resource_closers'"
# The same on 3.0.0-3.0.3, whose responses kept their closers under another name (as shipped).
ASYNC_VIEW_UNOFFERED_BEFORE_304 = "AttributeError: 'coroutine' object has no attribute '_closable_objects'"
ASYNC_VIEW_UNOFFERED_IN_MIDDLEWARE = "TypeError: 'coroutine' object does not support item assignment"
ASYNC_CLASS_VIEW_UNOFFERED = (
    "ValueError: The view project.probes.views.AsyncClassView didn't return an HttpResponse object. It returned an"
    " unawaited coroutine instead. You may need to add an 'await' into your view."
)
ASYNC_ITERATOR_UNOFFERED = "TypeError: 'async_generator' object is not iterable"
ok = functools.partial(HttpObservation, None, 200)
failed = functools.partial(HttpObservation, None, 500, server_exception=FAILURE)
