"""Write one Analysis durably: derived files first (atomically), then every row in one transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from triage.domain import MediaType, Status
from triage.media.ocr_frames import ocr_text
from triage.pipeline import FINGERPRINTS_MODEL, Analysis
from triage.store.artifacts import put_artifact, replace_vectors
from triage.store.schema import Content, utcnow
from triage.store.store import Store
from triage.store.submissions import set_status, settle_from_content


def write_files(store: Store, sha256: str, analysis: Analysis) -> dict[str, str]:
    """Derived files beside the original; returns name -> path relative to the data dir."""
    folder = store.files.derived_dir(sha256)
    written = {}
    for name, data in analysis.files.items():
        written[name] = store.files.relative(store.files.write_atomic(folder / name, data))
    return written


def save_rows(session: Session, content: Content, analysis: Analysis, files: dict[str, str], *,
              allow_mislabelled: bool = False) -> None:
    """Replace the derived rows of the stages that ran, mark the content ready, settle its submissions."""
    sha = content.sha256
    probe = analysis.probe
    content.media_type, content.probe = probe.media_type.value, probe.to_dict()
    if "poster.jpg" in files:
        put_artifact(session, sha, "poster", path=files["poster.jpg"])
    if "audio16k.wav" in files:
        put_artifact(session, sha, "audio16k", path=files["audio16k.wav"])
    if analysis.thumbs:
        put_artifact(session, sha, "thumbs", data={"frames": [
            {"time": t["time"], "path": files[t["file"]]} for t in analysis.thumbs]})
    if analysis.waveform:
        put_artifact(session, sha, "waveform", data={"peaks": analysis.waveform})
    if analysis.text is not None:
        put_artifact(session, sha, "text", data={"text": analysis.text})
    stages = analysis.stages
    if "transcripts" in stages:
        t = analysis.transcript
        put_artifact(session, sha, "transcript", model=t.model if t else "",
                     data=t.to_dict() if t else None)
    if "text" in stages:
        text_vectors = [e for e in analysis.embeddings if e.space == "text"]
        replace_vectors(session, sha, "text", text_vectors)
    if "visual" in stages and probe.media_type in (MediaType.VIDEO, MediaType.IMAGE):
        replace_vectors(session, sha, "clip", [e for e in analysis.embeddings if e.space == "clip"])
        # Without weights the frames wait: a later `triage reprocess --only visual` fills them in.
        state = "ready" if analysis.visual_model else "pending"
        put_artifact(session, sha, "visual", model=analysis.visual_model or "", data={"state": state})
    if analysis.ocr is not None:
        put_artifact(session, sha, "ocr", model=analysis.ocr_model, data={
            "text": ocr_text(analysis.ocr), "lines": [line.to_dict() for line in analysis.ocr]})
    if "fingerprints" in stages:
        put_artifact(session, sha, "fingerprints", model=FINGERPRINTS_MODEL, data=analysis.fingerprints)
    set_status(content, Status.READY)
    # Stamped even when nothing on the row itself changed (a reprocess of a ready piece): the pools' signature and
    # the programmes ("analysed again since it was placed") read this stamp to tell that its derived rows changed.
    content.updated_at = utcnow()
    settle_from_content(session, content, allow_mislabelled=allow_mislabelled)


def save_analysis(store: Store, sha256: str, analysis: Analysis, *, allow_mislabelled: bool = False) -> None:
    files = write_files(store, sha256, analysis)
    with store.db.session() as session:
        content = session.get(Content, sha256)
        assert content is not None, "content row is created before processing"
        save_rows(session, content, analysis, files, allow_mislabelled=allow_mislabelled)
