"""A selects timeline for the editors: each exported video or recording, cut to the moment that made it rank,
one after another, as an OpenTimelineIO file (DaVinci Resolve imports it; OpenTimelineIO's own tools convert
it to an EDL or other editors' formats)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opentimelineio as otio

FILE = "selects.otio"
RATE = 25.0  # the timeline's frame rate; the PAL rate every editor opens, and 40 ms is finer than any moment here
HANDLE = 2.0  # seconds kept either side of a moment: an editor needs room to cut in and out


@dataclass(frozen=True)
class Select:
    """One exported piece on the timeline: its file (relative to the timeline), what it holds, and its moment."""

    file: str
    duration: float
    has_video: bool
    has_audio: bool
    moment: tuple[float, float] | None = None  # (start, end) seconds; None: the whole piece
    metadata: dict[str, Any] = field(default_factory=dict)


def cut(select: Select, handle: float = HANDLE) -> tuple[float, float]:
    """The span of the piece to use: its moment with `handle` seconds either side, inside the piece; the whole piece
    when it has no moment, or one that lies past its end (scores older than a re-encode of the file)."""
    if select.moment is None or select.moment[0] >= select.duration:
        return 0.0, select.duration
    start, end = select.moment
    lo = min(max(0.0, start - handle), select.duration)
    return lo, max(lo, min(select.duration, max(end, start) + handle))


def timeline(name: str, selects: list[Select]) -> otio.schema.Timeline:
    """The selects in order on one video and one audio track, each piece's picture and sound side by side; a gap
    stands in for what a piece lacks (a recording's picture, a silent video's sound)."""
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for select in selects:
        if not (select.has_video or select.has_audio) or select.duration <= 0:
            continue
        start, end = cut(select)
        used = otio.opentime.TimeRange(_time(start), _time(end) - _time(start))
        if used.duration.value <= 0:
            continue
        for track, present in ((video, select.has_video), (audio, select.has_audio)):
            if present:
                track.append(otio.schema.Clip(name=select.file, media_reference=_reference(select),
                                              source_range=used, metadata={"triage": select.metadata}))
            else:
                track.append(otio.schema.Gap(duration=used.duration))
    line = otio.schema.Timeline(name=name, global_start_time=otio.opentime.RationalTime(0, RATE))
    line.tracks.extend([video, audio])
    return line


def write(folder: Path, name: str, selects: list[Select]) -> int:
    """Write the timeline into `folder`; the number of pieces on it (none: no file is written)."""
    line = timeline(name, selects)
    count = len({clip.name for clip in line.find_clips()})  # a piece's picture and sound are one piece
    if count:
        otio.adapters.write_to_file(line, str(folder / FILE))
    return count


def _reference(select: Select) -> otio.schema.ExternalReference:
    """The file beside the timeline, by a relative URL, so the export folder can move as a whole."""
    whole = otio.opentime.TimeRange(_time(0.0), _time(select.duration))
    return otio.schema.ExternalReference(target_url=select.file, available_range=whole)


def _time(seconds: float) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(round(seconds * RATE), RATE)
