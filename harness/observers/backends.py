"""The async APIs of Django's session stores and cache backends, called the same way on every backend.

tests/probes/test_sessions.py and test_cache.py build one backend each (its I/O slowed by harness/observers/delays.py where
it has any), and `observe_sessions` / `observe_cache` call every async method the release has (harness/observers/asyncapis.py
observes threads and loop stalls; harness/rules/apis.py decides). What exists per release is an observation: a
method a release lacks is `missing`, a backend class it lacks makes the probe absent (harness/rules/cache.py).

Threading contract: call from the probe's thread (pytest's main thread), outside any event loop; `observe` runs
its own loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.module_loading import import_string

from harness.observers.asyncapis import Api, expect, observe
from harness.rules.apis import ApiObservation


def importable(dotted: str) -> Any | None:
    """The class or function at `dotted`, or None when this release has no such module or attribute."""
    try:
        return import_string(dotted)
    except ImportError:
        return None


def observe_sessions(store_class: Any, delay: float, context: Mapping[str, Any] | None = None) -> ApiObservation:
    """Save a session with the sync API, then call each async session method on stores bound to it."""
    saved = store_class()
    saved["colour"] = "red"
    saved.save()
    key = saved.session_key

    def stored() -> Any:
        """A store bound to the saved session but not loaded yet, so its first use reads the backend."""
        return store_class(session_key=key)

    async def aget(method: Any) -> None:
        expect(await method("colour") == "red", "aget() did not return the saved value")

    apis = [
        # no expectation: the signed-cookies backend answers False by design (the session lives in the cookie)
        Api("aexists", stored(), lambda aexists: aexists(key)),
        Api("aload", stored(), lambda aload: aload()),
        Api("aget", stored(), aget),
        Api("aset", stored(), lambda aset: aset("size", 2)),
        Api("ahas_key", stored(), lambda ahas_key: ahas_key("colour")),
        Api("apop", stored(), lambda apop: apop("colour")),
        Api("aitems", stored(), lambda aitems: aitems()),
        Api("acreate", store_class(), lambda acreate: acreate()),
        Api("asave", stored(), lambda asave: asave()),
        Api("acycle_key", stored(), lambda acycle_key: acycle_key()),
        Api("aflush", stored(), lambda aflush: aflush()),
        Api("adelete", store_class(), lambda adelete: adelete(key)),
        Api("aclear_expired", store_class, lambda aclear_expired: aclear_expired()),
    ]
    return observe(apis, {"backend": store_class.__module__, **(context or {})}, delay)


def observe_cache(cache: Any, delay: float) -> ApiObservation:
    """Store a counter with the sync API, then call each async cache method on `cache`."""
    cache.set("counter", 1)

    async def aget(method: Any) -> None:
        expect(await method("counter") == 1, "aget() did not return the stored value")

    async def aget_many(method: Any) -> None:
        expect(await method(["a", "b"]) == {"a": 1, "b": 2}, "aget_many() did not return what aset_many() stored")

    apis = [
        Api("aget", cache, aget),
        Api("aset", cache, lambda aset: aset("key", "value")),
        Api("aadd", cache, lambda aadd: aadd("added", 1)),
        Api("atouch", cache, lambda atouch: atouch("key")),
        Api("ahas_key", cache, lambda ahas_key: ahas_key("key")),
        Api("aget_or_set", cache, lambda aget_or_set: aget_or_set("other", 2)),
        Api("aincr", cache, lambda aincr: aincr("counter")),
        Api("adecr", cache, lambda adecr: adecr("counter")),
        Api("aset_many", cache, lambda aset_many: aset_many({"a": 1, "b": 2})),
        Api("aget_many", cache, aget_many),
        Api("adelete_many", cache, lambda adelete_many: adelete_many(["a", "b"])),
        Api("aincr_version", cache, lambda aincr_version: aincr_version("key")),
        Api("adelete", cache, lambda adelete: adelete("added")),
        Api("aclear", cache, lambda aclear: aclear()),
    ]
    backend = type(cache)
    return observe(apis, {"backend": f"{backend.__module__}.{backend.__name__}"}, delay)
