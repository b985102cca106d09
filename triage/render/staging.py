"""Writing an output folder all at once: build it beside its place, rename it in at the end, delete it on failure."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged(dest: Path) -> Iterator[Path]:
    """Yield a fresh hidden folder beside `dest` (same filesystem, so the final rename is atomic); on normal exit
    it becomes `dest`, replacing an older `dest` folder; on any exception it is deleted and the error re-raised, so a
    failed render never leaves a half-written output."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        yield partial
        if dest.exists():
            # renamed aside first, so `dest` is never missing a finished render for longer than two renames
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            os.replace(dest, old / "old")
            os.replace(partial, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(partial, dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
