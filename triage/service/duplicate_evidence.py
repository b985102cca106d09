"""The evidence the duplicate grouping weighs for every pair of pieces, with the bar each kind must clear: for
studying the bars on a labelled corpus (the evaluation notebook), not for a big archive (all pairs)."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from triage.domain import MediaType
from triage.fingerprints import audio_match, minhash_similarity
from triage.scoring.dedup import DedupParams
from triage.scoring.types import Fingerprint
from triage.service.pool import load_pool
from triage.store.store import Store


def pair_evidence(store: Store, callout_id: str | None = None) -> list[dict[str, Any]]:
    """Every pair of pieces (one submission per external id) that the grouping compares on one kind of
    evidence, with that evidence's similarity and the bar it must clear (`DedupParams`): the words' MinHash for two
    texts ("minhash"), the sound for pieces that speak: Chromaprint when both are long enough ("chromaprint"),
    else the band hash of their first seconds ("band"). Silent pictures (compared on frames) are left out."""
    with store.db.session() as session:
        pool = load_pool(session, callout_id)
    bar = DedupParams()
    one_each: dict[str, str] = {}  # a piece filed under several call-outs is one piece
    for sid in sorted(pool.fingerprints):
        one_each.setdefault(pool.external(sid), sid)
    out = []
    for (ea, a), (eb, b) in combinations(sorted(one_each.items()), 2):
        found = _evidence(pool.fingerprints[a], pool.fingerprints[b], bar)
        if found is not None:
            out.append({"a": ea, "b": eb, "kind": found[0], "similarity": found[1], "bar": found[2]})
    return out


def _evidence(x: Fingerprint, y: Fingerprint, bar: DedupParams) -> tuple[str, float, float] | None:
    if MediaType.TEXT in (x.media_type, y.media_type):
        if x.media_type == y.media_type and x.minhash is not None and y.minhash is not None:
            return "minhash", minhash_similarity(x.minhash, y.minhash), bar.text_min
        return None
    if x.audio is not None and y.audio is not None and min(len(x.audio), len(y.audio)) >= bar.chromaprint_min_items:
        return "chromaprint", audio_match(x.audio, y.audio).score, bar.audio_min
    if x.audio_bands is not None and y.audio_bands is not None and len(x.audio_bands) and len(y.audio_bands):
        return "band", audio_match(x.audio_bands, y.audio_bands).score, bar.band_min
    return None
