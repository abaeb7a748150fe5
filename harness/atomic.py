"""Write a file so that readers see the old content or the new one, never half of either.

Plain standard library on purpose: the recorder (in every probe env, Python 3.9+) and the report (tools env)
both write through it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomically(path: Path, text: str) -> None:
    """Write to a temp file beside `path`, flush it to disk, then rename over `path` (atomic on one filesystem)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            # Without fsync a power cut after the rename could leave an empty file under the new name.
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
