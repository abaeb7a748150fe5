"""The installed version of a distribution, on every Python the probe envs use (3.7 has no importlib.metadata).

Pure lookups of installed metadata; safe from any thread.
"""

from __future__ import annotations

try:
    from importlib import metadata
except ImportError:  # Python 3.7, the as-shipped envs of Django 2.2-3.1: the backport pytest brings there
    import importlib_metadata as metadata  # type: ignore[no-redef]


def installed(name: str) -> str | None:
    """The version of distribution `name`, or None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
