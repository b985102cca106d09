"""The submission page lists the words printed in a video's pictures, each a button that plays from its moment."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import Service
from tests.ingest.test_ocr_ingest import CAPTION_WORDS, captioned_video
from tests.web.test_pages import sign_in


def test_the_submission_page_shows_the_words_in_the_pictures(service: Service, tmp_path: Path) -> None:
    done = service.upload("curator", captioned_video(tmp_path), title="Kettle")
    assert done.status_code == 202, done.text
    sid = done.json()["submission"]["submission_id"]
    assert service.wait_ready(sid)["status"] == "ready"
    sign_in(service)
    page = service.client.get(f"/submissions/{sid}").text
    section = page[page.index("Words in the pictures"):]
    section = section[:section.index("</ol>")]
    assert CAPTION_WORDS in section
    assert 'class="play-from link" data-start="2.' in section or 'class="play-from link" data-start="3.' in section
