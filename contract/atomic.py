"""Write a file so that readers see the old content or the new one, never half of either.

Plain standard library on purpose: the recorder (in every probe env, Python 3.9+) and the report (tools env)
both write through it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_text_atomically(path: Path, text: str) -> None:
    """Write to a temp file beside `path`, flush it to disk, then rename over `path` (atomic on one filesystem)."""
    write_all_atomically({path: text})


def write_all_atomically(files: Mapping[Path, str | bytes]) -> None:
    """Write every file or none: all temp files first, then the renames (a failure leaves every old file as it was).

    Text is written as UTF-8 (surrogateescape), bytes as they are (the report's PNGs).

    A target that is a folder, or a folder we cannot write to, fails before any file is replaced.
    """
    temps: dict[Path, str] = {}
    try:
        for path, text in files.items():
            if path.is_dir():
                raise IsADirectoryError(21, "is a folder, not a file", str(path))
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            temps[path] = temp
            # surrogateescape: bytes that were read with it (a history line that is not UTF-8) go back unchanged.
            data = text if isinstance(text, bytes) else text.encode("utf-8", errors="surrogateescape")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                # Without fsync a power cut after the rename could leave an empty file under the new name.
                os.fsync(handle.fileno())
            os.chmod(temp, 0o644)
        for path, temp in temps.items():
            os.replace(temp, path)
    except BaseException:
        for temp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        raise
