"""How many stored pieces have vectors from another encoder than the configured one, per vector space.

Scoring keeps only the configured encoders' vectors (`load_pool`): after a model change, the pieces that
`triage reprocess` has not re-embedded yet are ranked without that modality. This counts them, cheaply enough
for every health check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.pipeline import encoder_of
from triage.store.schema import Vector


@dataclass(frozen=True)
class SpaceDrift:
    """One vector space: its configured encoder, and the stored contents another encoder embedded."""

    space: str
    configured: str
    contents: int  # contents with vectors in this space
    stale_contents: int  # of those, the ones whose vectors another encoder made
    stored_by: tuple[str, ...]  # those other encoders

    def to_dict(self) -> dict[str, Any]:
        return {"configured": self.configured, "contents": self.contents, "stale_contents": self.stale_contents,
                "stored_by": list(self.stored_by)}


def model_drift(session: Session, configured: Mapping[str, str]) -> dict[str, SpaceDrift]:
    """{space: its drift} for each space of `configured` ({space: encoder name}, see `runtime.encoder_names`).

    One grouped query, over the pooled vectors only: one per content and source, so about one row per content,
    and the index `ix_vectors_pooled_model` answers it without reading the table. A content's vectors of one
    space are always replaced together (`replace_vectors`), so each content counts under one model per space
    and the per-model counts add up.
    """
    rows = session.execute(
        select(Vector.space, Vector.model, func.count(Vector.sha256.distinct()))
        .where(Vector.kind == "pooled", Vector.space.in_(list(configured)))
        .group_by(Vector.space, Vector.model)
    ).all()
    out = {}
    for space, encoder in configured.items():
        counts = [(encoder_of(model), int(n)) for s, model, n in rows if s == space]
        others = [(name, n) for name, n in counts if name != encoder]
        out[space] = SpaceDrift(space, encoder, contents=sum(n for _, n in counts),
                                stale_contents=sum(n for _, n in others),
                                stored_by=tuple(sorted({name for name, _ in others})))
    return out
