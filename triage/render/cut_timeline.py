"""The cut's running order written out: `cut.json` (each segment and its place) and an OpenTimelineIO timeline
of the same cut, each piece referring to its original file with the span used, so an editor can refine it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import opentimelineio as otio

OTIO_FILE = "rough-cut.otio"
JSON_FILE = "cut.json"

SegmentKind = Literal["piece", "card", "section", "credits"]


@dataclass(frozen=True)
class Segment:
    """One stretch of the cut: a piece's own picture (`piece`), a sound or text piece under its card (`card`),
    a section title or a credits card. `frames` is its exact length at the cut's frame rate."""

    kind: SegmentKind
    name: str
    frames: int
    submission_id: str | None = None
    media_type: str | None = None  # of the piece, for piece and card segments
    source: Path | None = None  # the piece's original file, where it has one
    source_start: float = 0.0
    source_duration: float = 0.0  # of the whole original file (0: unknown, a still image)
    has_sound: bool = False  # the source's own sound is heard (a video with an audio stream, a sound piece)

    def seconds(self, fps: int) -> float:
        return self.frames / fps


def starts(segments: list[Segment]) -> list[int]:
    """Each segment's first frame in the cut."""
    out, at = [], 0
    for segment in segments:
        out.append(at)
        at += segment.frames
    return out


def write_json(folder: Path, programme_id: str, name: str, fps: int, segments: list[Segment]) -> str:
    rows = []
    for index, (segment, first) in enumerate(zip(segments, starts(segments), strict=True)):
        rows.append({"index": index, "kind": segment.kind, "name": segment.name,
                     "submission_id": segment.submission_id, "media_type": segment.media_type,
                     "start": round(first / fps, 3), "end": round((first + segment.frames) / fps, 3),
                     "source": str(segment.source) if segment.source else None,
                     "source_start": round(segment.source_start, 3) if segment.source else None})
    total = sum(s.frames for s in segments) / fps
    body = {"programme_id": programme_id, "name": name, "fps": fps, "duration_s": round(total, 3), "segments": rows}
    (folder / JSON_FILE).write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return JSON_FILE


def timeline(name: str, fps: int, segments: list[Segment]) -> otio.schema.Timeline:
    """V1 and A1 side by side: a piece's picture and sound as clips of its file, cards and titles as named gaps (a
    sound piece's card is a gap over its sound's clip)."""
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for segment in segments:
        length = otio.opentime.RationalTime(segment.frames, fps)
        meta = {"triage": {"kind": segment.kind, "submission_id": segment.submission_id,
                           "media_type": segment.media_type}}
        picture = segment.kind == "piece"  # a video's or an image's own picture
        sound = segment.source is not None and segment.has_sound
        for track, present in ((video, picture), (audio, sound)):
            if present and segment.source is not None:
                track.append(_clip(segment, fps, length, meta))
            else:
                label = segment.name if segment.kind != "piece" else f"{segment.name} (no sound)"
                track.append(otio.schema.Gap(name=label, source_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, fps), length), metadata=meta))
    line = otio.schema.Timeline(name=name, global_start_time=otio.opentime.RationalTime(0, fps))
    line.tracks.extend([video, audio])
    return line


def _clip(segment: Segment, fps: int, length: otio.opentime.RationalTime, meta: dict) -> otio.schema.Clip:
    assert segment.source is not None
    available = None
    if segment.source_duration > 0:
        available = otio.opentime.TimeRange(otio.opentime.RationalTime(0, fps),
                                            otio.opentime.RationalTime(round(segment.source_duration * fps), fps))
    reference = otio.schema.ExternalReference(target_url=segment.source.resolve().as_uri(),
                                              available_range=available)
    used = otio.opentime.TimeRange(otio.opentime.RationalTime(round(segment.source_start * fps), fps), length)
    return otio.schema.Clip(name=segment.name, media_reference=reference, source_range=used, metadata=meta)


def write_otio(folder: Path, name: str, fps: int, segments: list[Segment]) -> str:
    otio.adapters.write_to_file(timeline(name, fps, segments), str(folder / OTIO_FILE))
    return OTIO_FILE
