"""Call-outs and prompts become query rows through the text model's query side (asymmetric models differ there)."""

from __future__ import annotations

import numpy as np
import pytest

from triage import runtime
from triage.config import Settings
from triage.encoders.base import Encoders
from triage.encoders.fake import FakeTextEncoder
from triage.errors import BadRequest
from triage.scoring.query import callout_texts
from triage.service.queries import callout_query, prompt_query
from triage.store.callouts import upsert_callout


class _Asymmetric(FakeTextEncoder):
    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode([f"query {t}" for t in texts])


def test_briefs_prompts_and_other_callouts_are_embedded_as_queries(settings: Settings) -> None:
    text = _Asymmetric()
    models = Encoders(transcriber=None, text=text)
    store = runtime.open_store(settings)
    with store.db.session() as session:
        mine, _ = upsert_callout(session, "dogs", title="Dogs", brief="dogs in the park")
        upsert_callout(session, "taxes", title="Taxes", brief="taxes due in april")
        query = callout_query(session, models, mine)
        assert np.allclose(query.text, text.encode_queries(callout_texts("Dogs", "dogs in the park")))
        assert np.allclose(query.others_text[0], text.encode_queries(callout_texts("Taxes", "taxes due in april")))
        searched = prompt_query(session, models, "a dog running")
        assert np.allclose(searched.text, text.encode_queries(["a dog running"]))
        with pytest.raises(BadRequest):
            prompt_query(session, models, "  ")
