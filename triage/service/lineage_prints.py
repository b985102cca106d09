"""The remix matchers' fingerprints of stored contents (`prints_of`), made from what ingest already stored (the
16 kHz audio, the original video, the text, transcript and printed words) and kept as artifacts the first time, so a
rebuild or a restart never decodes twice.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from triage.domain import MediaLimits, Transcript
from triage.lineage import words
from triage.lineage.frame_track import FrameTrack, frame_track, track_from_frames
from triage.lineage.landmarks import Peaks, find_peaks
from triage.media.encode import read_wav
from triage.media.ocr import OcrLine
from triage.media.sniff import HEAD_BYTES, Sniffed, sniff
from triage.store.artifacts import artifacts_by_sha, put_artifact
from triage.store.schema import Artifact, Content
from triage.store.store import Store

PEAKS = "lineage_peaks"  # artifact kind: the sound's spectral peaks (.npz file)
PEAKS_FILE = "lineage_peaks.npz"
FRAMES = "lineage_frames"  # artifact kind: the video's dense frame hashes (.npz file)
FRAMES_FILE = "lineage_frames.npz"
# The version of each fingerprint's recipe, kept on its artifact: one made by another recipe is made again (frames 2:
# bars found by darkness only, and a caption-free view; frames 3: the centre's caption-free view).
MADE_BY = {PEAKS: "peaks-1", FRAMES: "frames-3"}
_WORD_KINDS = ("text", "transcript", "ocr")


@dataclass(frozen=True)
class Prints:
    """What the matchers need of one content."""

    sha: str
    peaks: Peaks | None
    track: FrameTrack | None
    written: str | None  # a text piece's words: indexed as a source
    heard: list[words.PieceWords]  # every form the piece's words take, matched against written sources


def prints_of(store: Store, shas: list[str], peaks_known: Container[str] = (),
              tracks_known: Container[str] = ()) -> dict[str, Prints]:
    """The contents' fingerprints, made from their stored files now where a content has none yet; without the
    peaks of those in `peaks_known` and the frame tracks of those in `tracks_known` (a sound or picture index loaded
    from a snapshot holds their postings already)."""
    sound_wanted = any(sha not in peaks_known for sha in shas)
    with store.db.session() as session:
        arts = artifacts_by_sha(session, shas, (FRAMES, *_WORD_KINDS) + ((PEAKS, "audio16k") if sound_wanted else ()))
        facts = {sha: (media_type, probe or {}) for sha, media_type, probe in session.execute(
            select(Content.sha256, Content.media_type, Content.probe).where(Content.sha256.in_(shas)))}
    made: dict[str, tuple[str, str, bytes]] = {}
    found = {}
    for sha in shas:
        kinds = arts.get(sha, {})
        media_type, probe = facts.get(sha, (None, {}))
        known = sha in peaks_known
        peaks = None if known else _stored(store, kinds.get(PEAKS), Peaks.from_bytes)
        if peaks is None and not known and "audio16k" in kinds and kinds["audio16k"].path:
            peaks = find_peaks(read_wav(store.files.resolve(str(kinds["audio16k"].path))))
            made[f"{sha}:{PEAKS}"] = (sha, PEAKS, peaks.to_bytes())
        track = None if sha in tracks_known else _stored(store, kinds.get(FRAMES), FrameTrack.from_bytes)
        if track is None and media_type == "video" and sha not in tracks_known:
            track = _video_track(store, sha)
            made[f"{sha}:{FRAMES}"] = (sha, FRAMES, track.to_bytes())
        duration = float(probe.get("duration") or 0.0) or None
        found[sha] = _prints(sha, peaks, track, kinds, duration)
    if made:
        _save(store, list(made.values()))
    return found


def _stored(store: Store, art: Artifact | None, load: Callable[[bytes], Any]) -> Any:
    """A stored fingerprint, or None when there is none or another recipe made it."""
    if art is None or not art.path or art.model != MADE_BY[art.kind]:
        return None
    path = store.files.resolve(str(art.path))
    return load(path.read_bytes()) if path.is_file() else None


def stored_track(store: Store, sha: str) -> FrameTrack | None:
    """The frame track `prints_of` stored for a video (None when there is none, or it is unreadable: the content was
    erased since). For the picture index, which reads a merged video's track again only when a match checks it."""
    try:
        return FrameTrack.from_bytes((store.files.derived_dir(sha) / FRAMES_FILE).read_bytes())
    except (OSError, ValueError, KeyError):
        return None


def _video_track(store: Store, sha: str) -> FrameTrack:
    path = store.files.original_path(sha)
    with path.open("rb") as f:
        found = sniff(f.read(HEAD_BYTES))
    if not isinstance(found, Sniffed) or found.demuxer is None:
        return track_from_frames([], [], 0.0)
    # The original passed the limits when it came in; these only bound the decoder the same way again.
    return frame_track(path, found.demuxer, found.label, MediaLimits())


def _save(store: Store, made: list[tuple[str, str, bytes]]) -> None:
    names = {PEAKS: PEAKS_FILE, FRAMES: FRAMES_FILE}
    written = []
    for sha, kind, data in made:
        path = store.files.derived_dir(sha) / names[kind]
        path.parent.mkdir(parents=True, exist_ok=True)
        written.append((sha, kind, store.files.relative(store.files.write_atomic(path, data))))
    with store.db.session() as session:
        for sha, kind, relative in written:
            if session.get(Content, sha) is not None:  # erased meanwhile: its folder goes with it
                put_artifact(session, sha, kind, model=MADE_BY[kind], path=relative)


def _prints(sha: str, peaks: Peaks | None, track: FrameTrack | None, kinds: dict[str, Artifact],
            duration: float | None) -> Prints:
    written = (kinds["text"].data or {}).get("text") if "text" in kinds else None
    heard = [words.text_words(written)] if written else []
    said = kinds.get("transcript")
    if said is not None and said.data:
        heard.append(words.speech_words(Transcript.from_dict(said.data)))
    printed = kinds.get("ocr")
    if printed is not None and printed.data and printed.data.get("lines"):
        lines = [OcrLine.from_dict(line) for line in printed.data["lines"]]
        heard.append(words.picture_words(lines, duration))
    return Prints(sha, peaks, track, written or None, [h for h in heard if h.words])
