"""Operations shared by the CLI, the API and batch jobs: load a pool from the store, run the pure scoring.

`Store` (and its `Database`) are the handles the operations here take: the layers above hold one and hand it back,
and never open its tables themselves."""

from triage.store.db import Database
from triage.store.store import Store

__all__ = ["Database", "Store"]
