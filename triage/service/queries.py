"""Call-outs and free-text prompts embedded as scoring queries, with the archive's other call-outs for contrast."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from triage.encoders.base import Encoders
from triage.errors import BadRequest
from triage.scoring.query import callout_texts
from triage.scoring.types import CalloutQuery
from triage.service.memo import Embeddings
from triage.store.callouts import list_callouts
from triage.store.schema import Callout

Embedded = tuple[np.ndarray, np.ndarray | None]


def _embed(models: Encoders, texts: list[str], cache: Embeddings | None = None) -> Embedded:
    """The texts in each space. With a `cache`, texts embedded before (as one batch) are not embedded again: a
    call-out's words give contrast to every search, and they change only when the call-out does."""
    def embed() -> Embedded:
        text = models.text.encode_queries(texts)
        clip = models.clip.encode_texts(texts) if models.clip is not None else None
        for kept in (text, clip) if cache is not None else ():
            if kept is not None:
                kept.flags.writeable = False  # shared by every query that uses these words
        return text, clip
    if cache is None:
        return embed()
    return cache.get((models.text.name, models.clip.name if models.clip is not None else None, tuple(texts)), embed)


def _others(models: Encoders, others: list[Callout],
            cache: Embeddings | None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    text, clip = [], []
    for other in others:
        t, c = _embed(models, callout_texts(other.title, other.brief, other.prompts), cache)
        text.append(t)
        if c is not None:
            clip.append(c)
    return text, clip


def callout_query(session: Session, models: Encoders, callout: Callout,
                  cache: Embeddings | None = None) -> CalloutQuery:
    """The call-out's title, brief and prompts in each space; negatives and exemplars; the others for contrast."""
    text, clip = _embed(models, callout_texts(callout.title, callout.brief, callout.prompts), cache)
    negatives = list(callout.negative_prompts or [])
    neg_text, neg_clip = _embed(models, negatives, cache) if negatives else (None, None)
    others_text, others_clip = _others(models, [c for c in list_callouts(session) if c.id != callout.id], cache)
    return CalloutQuery(text=text, clip=clip, negative_text=neg_text, negative_clip=neg_clip,
                        exemplar_ids=tuple(callout.exemplars or ()), others_text=others_text, others_clip=others_clip)


def prompt_query(session: Session, models: Encoders, prompt: str, cache: Embeddings | None = None) -> CalloutQuery:
    """A free-text prompt as a query; every call-out whose words differ from the prompt gives contrast."""
    if not prompt.strip():  # it would match nothing and list the whole pool at score 0
        raise BadRequest("the search prompt is empty; say what to look for")
    # callout_texts drops fragments under 3 characters (noise in a brief), but "tv" or an emoji is a prompt
    texts = callout_texts("", prompt) or [prompt.strip()]
    text, clip = _embed(models, texts, cache)
    key = " ".join(prompt.lower().split())
    others = [c for c in list_callouts(session) if key not in {" ".join(c.brief.lower().split()),
                                                               " ".join(c.title.lower().split())}]
    others_text, others_clip = _others(models, others, cache)
    return CalloutQuery(text=text, clip=clip, others_text=others_text, others_clip=others_clip)
