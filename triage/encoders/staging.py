"""Model folders written whole or not at all: built beside their final place, then moved there in one rename."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_folder(target: Path, marker: str) -> Iterator[Path]:
    """A fresh work folder beside `target` that becomes `target` when the block ends cleanly.

    On any error the work folder is removed, so a half-written model is never found under its final name. When
    another process finished the same folder first, its copy (one with `marker` in it) is kept and used.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield work
        try:
            work.rename(target)
        except OSError:
            # Anything else already there (a download that failed half-way) is not ours to remove.
            if not (target / marker).is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
