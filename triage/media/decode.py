"""decode(): everything the models need from a probed file, in plain arrays and strings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from triage.domain import Decoded, Frame, MediaLimits, MediaType, Probe
from triage.errors import InvalidSubmission
from triage.media.audio import decode_audio
from triage.media.frames import detail_score
from triage.media.image import decode_image
from triage.media.sniff import HEAD_BYTES, Sniffed, sniff
from triage.media.text import decode_text
from triage.media.video import sample_frames


def _resniff(path: Path) -> Sniffed:
    # The Probe stores a short format name only; the demuxer is re-derived from the content itself.
    with path.open("rb") as f:
        found = sniff(f.read(HEAD_BYTES))
    if not isinstance(found, Sniffed):
        raise InvalidSubmission("the file changed since it was probed: its content is no longer media")
    return found


def _poster(frames: list[Frame]) -> Frame | None:
    return max(frames, key=lambda f: detail_score(f.rgb)) if frames else None


def _decode_video(path: Path, probe: Probe, limits: MediaLimits, max_frames: int) -> Decoded:
    found = _resniff(path)
    assert found.demuxer is not None
    frames, blanks = sample_frames(path, found.demuxer, found.label, probe.duration, max_frames, limits)
    audio = None
    if probe.has_audio:
        audio = decode_audio(path, found.demuxer, found.label, min(probe.duration or limits.max_duration_s,
                                                                  limits.max_duration_s), limits.max_pixels)
    if not frames:
        # a video that is black throughout still gets a poster, and the curator a note
        probe = replace(probe, notes=(*probe.notes, "every sampled frame is black or blank"))
        return Decoded(probe=probe, frames=[], poster=blanks[len(blanks) // 2], audio=audio)
    return Decoded(probe=probe, frames=frames, poster=_poster(frames), audio=audio)


def _decode_audio_file(path: Path, probe: Probe, limits: MediaLimits) -> Decoded:
    found = _resniff(path)
    assert found.demuxer is not None
    audio = decode_audio(path, found.demuxer, found.label,
                         min(probe.duration or limits.max_duration_s, limits.max_duration_s), limits.max_pixels)
    return Decoded(probe=probe, audio=audio)


def decode(path: Path, probe: Probe, limits: MediaLimits, *, max_frames: int = 16) -> Decoded:
    """Decode a probed file.

    Video: up to max_frames representative non-blank frames over the whole duration (RGB uint8, long side
    at most 512 px), the most detailed one as poster, and mono float32 16 kHz audio when there is a track.
    Audio: mono float32 16 kHz. Image: the upright RGB picture as the only frame and the poster.
    Text: NFC text with \\n newlines. Corrupt data found while decoding raises InvalidSubmission.
    """
    path = Path(path)
    if probe.media_type is MediaType.VIDEO:
        return _decode_video(path, probe, limits, max_frames)
    if probe.media_type is MediaType.AUDIO:
        return _decode_audio_file(path, probe, limits)
    if probe.media_type is MediaType.IMAGE:
        frame = Frame(time=0.0, rgb=decode_image(path, probe))
        return Decoded(probe=probe, frames=[frame], poster=frame)
    return Decoded(probe=probe, text=decode_text(path, probe))
