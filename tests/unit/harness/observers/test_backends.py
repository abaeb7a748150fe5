"""The session and cache probes' calls: every async method a release has, on data saved with the sync API first.

The tools env has no Django (the probe envs have it), so harness/observers/backends.py is imported against a stand-in of the
one Django function it uses, import_string (Django's own code, without its cache), and driven with small in-memory
session stores and caches that keep the API of Django's: what is tested is which methods are called, how, on
what, and what a wrong answer or a missing method becomes. Which backends Django has, the probes show per release.
"""

from __future__ import annotations

from importlib import import_module

import pytest

from harness.observers import asyncapis
from harness.observers.asyncapis import Api
from tests.unit.harness.stubs import fresh_import, install

SESSION_APIS = [
    "aexists",
    "aload",
    "aget",
    "aset",
    "ahas_key",
    "apop",
    "aitems",
    "acreate",
    "asave",
    "acycle_key",
    "aflush",
    "adelete",
    "aclear_expired",
]
CACHE_APIS = [
    "aget",
    "aset",
    "aadd",
    "atouch",
    "ahas_key",
    "aget_or_set",
    "aincr",
    "adecr",
    "aset_many",
    "aget_many",
    "adelete_many",
    "aincr_version",
    "adelete",
    "aclear",
]


def import_string(dotted_path):
    """django.utils.module_loading.import_string: ImportError for a missing module or attribute alike."""
    try:
        module_path, class_name = dotted_path.rsplit(".", 1)
    except ValueError as err:
        raise ImportError(f"{dotted_path} doesn't look like a module path") from err
    module = import_module(module_path)
    try:
        return getattr(module, class_name)
    except AttributeError as err:
        raise ImportError(f'Module "{module_path}" does not define a "{class_name}" attribute/class') from err


@pytest.fixture
def backends(monkeypatch):
    """harness/observers/backends.py on the stand-in, its observations with 10 ms of idle noise measured, not 100."""
    install(monkeypatch, "django.utils.module_loading", import_string=import_string)
    monkeypatch.setattr(asyncapis, "NOISE_WINDOW", 0.01)
    return fresh_import("harness.observers.backends")


class Store:
    """A session store with SessionBase's API over a class-wide dict of saved sessions; it records each call."""

    saved: dict[str, dict[str, object]] = {}
    calls: list[tuple[str, object, tuple[object, ...]]] = []  # (method, the store's key when called, arguments)
    made: list[str | None] = []

    def __init__(self, session_key=None):
        self.session_key = session_key
        self.data = None  # loaded on first use
        self.made.append(session_key)

    def _loaded(self):
        if self.data is None:
            self.data = dict(self.saved.get(self.session_key or "", {}))
        return self.data

    def _call(self, name, *args):
        self.calls.append((name, self.session_key, args))

    def __setitem__(self, key, value):
        self._loaded()[key] = value

    def save(self):
        self.session_key = self.session_key or f"key{len(self.saved)}"
        self.saved[self.session_key] = dict(self._loaded())

    async def aexists(self, session_key):
        self._call("aexists", session_key)
        return session_key in self.saved

    async def aload(self):
        self._call("aload")
        return self._loaded()

    async def aget(self, key, default=None):
        self._call("aget")
        return self._loaded().get(key, default)

    async def aset(self, key, value):
        self._call("aset")
        self._loaded()[key] = value

    async def ahas_key(self, key):
        self._call("ahas_key")
        return key in self._loaded()

    async def apop(self, key, default=None):
        self._call("apop")
        return self._loaded().pop(key, default)

    async def aitems(self):
        self._call("aitems")
        return self._loaded().items()

    async def acreate(self):
        self._call("acreate")
        self.session_key = "created"
        self.saved["created"] = {}

    async def asave(self, must_create=False):
        self._call("asave")
        self.save()

    async def acycle_key(self):
        self._call("acycle_key")
        data = self._loaded()
        self.saved.pop(self.session_key, None)
        self.session_key = "cycled"
        self.saved["cycled"] = data

    async def aflush(self):
        self._call("aflush")
        self.data = {}
        self.session_key = None

    async def adelete(self, session_key=None):
        self._call("adelete", session_key)
        self.saved.pop(session_key or self.session_key, None)

    @classmethod
    async def aclear_expired(cls):
        cls.calls.append(("aclear_expired", cls, ()))


@pytest.fixture
def store():
    """A fresh Store class per test: no saved session, no call yet."""
    return type("Store", (Store,), {"saved": {}, "calls": [], "made": []})


def _calls(observation):
    return {call.name: call for call in observation.calls}


def test_every_session_method_is_called_in_order_and_works_on_a_store_like_djangos(backends, store):
    observation = backends.observe_sessions(store, 0.1, {"engine": "db"})
    assert [call.name for call in observation.calls] == SESSION_APIS
    assert {name: (call.found, call.error) for name, call in _calls(observation).items()} == dict.fromkeys(
        SESSION_APIS, (True, None)
    )
    assert [name for name, _, _ in store.calls] == SESSION_APIS
    assert observation.context == {"backend": __name__, "engine": "db"}  # the store's module, then the probe's
    assert observation.delay_ms == 100.0


def test_the_calls_use_a_session_saved_first_with_the_sync_api(backends, store):
    backends.observe_sessions(store, 0.0)
    assert store.made[0] is None  # a new store saved the session, which gave it its key
    bound = {name: (key, args) for name, key, args in store.calls}
    # Stores bound to the saved session (not loaded yet, so their first use reads the backend) ...
    reading = ["aload", "aget", "aset", "ahas_key", "apop", "aitems", "asave", "acycle_key", "aflush"]
    assert {name: bound[name][0] for name in reading} == dict.fromkeys(reading, "key0")
    assert bound["aexists"] == ("key0", ("key0",))
    # ... a new store creates, another deletes the saved session by its key, and the class clears expired ones.
    assert bound["acreate"] == (None, ())
    assert bound["adelete"] == (None, ("key0",))
    assert bound["aclear_expired"] == (store, ())  # Django's is a classmethod


def test_a_session_store_that_loses_the_saved_value_fails_aget(backends, store):
    async def aget(self, key, default=None):
        return "blue"

    store.aget = aget
    calls = _calls(backends.observe_sessions(store, 0.0))
    assert calls["aget"].error == "AssertionError: aget() did not return the saved value"
    assert calls["aset"].error is None  # the others still ran


def test_a_session_method_a_release_lacks_is_missing(backends, store):
    store.acreate = None  # as on a release whose SessionBase has neither
    store.aclear_expired = None
    calls = _calls(backends.observe_sessions(store, 0.0))
    assert (calls["acreate"].found, calls["aclear_expired"].found) == (False, False)
    assert calls["aload"].found


class Cache:
    """A cache with BaseCache's API over a dict (versions left out); it records each call."""

    def __init__(self):
        self.data = {}
        self.calls = []

    def set(self, key, value):
        self.data[key] = value

    def _call(self, name):
        self.calls.append(name)

    async def aget(self, key, default=None):
        self._call("aget")
        return self.data.get(key, default)

    async def aset(self, key, value):
        self._call("aset")
        self.data[key] = value

    async def aadd(self, key, value):
        self._call("aadd")
        return self.data.setdefault(key, value) == value

    async def atouch(self, key):
        self._call("atouch")
        return key in self.data

    async def ahas_key(self, key):
        self._call("ahas_key")
        return key in self.data

    async def aget_or_set(self, key, default):
        self._call("aget_or_set")
        return self.data.setdefault(key, default)

    async def aincr(self, key, delta=1):
        self._call("aincr")
        self.data[key] += delta

    async def adecr(self, key, delta=1):
        self._call("adecr")
        self.data[key] -= delta

    async def aset_many(self, mapping):
        self._call("aset_many")
        self.data.update(mapping)

    async def aget_many(self, keys):
        self._call("aget_many")
        return {key: self.data[key] for key in keys if key in self.data}

    async def adelete_many(self, keys):
        self._call("adelete_many")
        for key in keys:
            self.data.pop(key, None)

    async def aincr_version(self, key):
        self._call("aincr_version")

    async def adelete(self, key):
        self._call("adelete")
        return self.data.pop(key, None) is not None

    async def aclear(self):
        self._call("aclear")
        self.data.clear()


def test_every_cache_method_is_called_in_order_on_data_stored_first(backends):
    cache = Cache()
    observation = backends.observe_cache(cache, 0.05)
    assert [call.name for call in observation.calls] == CACHE_APIS
    assert all(call.found and call.error is None for call in observation.calls)
    assert cache.calls == CACHE_APIS
    assert cache.data == {}  # aclear came last
    assert observation.context == {"backend": f"{__name__}.Cache"}
    assert observation.delay_ms == 50.0


def test_a_cache_that_does_not_keep_the_counter_fails_aget(backends):
    cache = Cache()
    cache.set = lambda key, value: None  # a cache that drops what the sync API stored
    calls = _calls(backends.observe_cache(cache, 0.0))
    assert calls["aget"].error == "AssertionError: aget() did not return the stored value"
    assert calls["aincr"].error == "KeyError: 'counter'"  # no counter to increment: what it raised is its error


def test_a_cache_whose_aget_many_misses_what_aset_many_stored_fails_it(backends):
    class Forgetful(Cache):
        async def aset_many(self, mapping):
            self._call("aset_many")

    calls = _calls(backends.observe_cache(Forgetful(), 0.0))
    assert calls["aget_many"].error == "AssertionError: aget_many() did not return what aset_many() stored"


def test_a_cache_method_a_release_lacks_is_missing(backends):
    class Older(Cache):
        aincr_version = None  # type: ignore[assignment]

    calls = _calls(backends.observe_cache(Older(), 0.0))
    assert calls["aincr_version"].found is False
    assert calls["aclear"].found


def test_importable_gives_what_a_dotted_path_names(backends):
    assert backends.importable("harness.observers.asyncapis.Api") is Api


@pytest.mark.parametrize(
    "dotted", ["harness.no_such_module.Cache", "harness.observers.asyncapis.NoSuchCache", "nodots"]
)
def test_importable_is_none_for_a_module_or_attribute_this_release_lacks(backends, dotted):
    assert backends.importable(dotted) is None
