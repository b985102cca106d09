"""Probing audio and video: streams, duration, frame size, and proof that the data really decodes."""

from __future__ import annotations

import contextlib
from pathlib import Path

import av
from av.container import InputContainer

from triage.domain import MediaLimits, MediaType, Probe
from triage.errors import InvalidSubmission, UnsupportedMedia
from triage.media.container import (
    Deadline,
    decode_checked,
    ffmpeg_reason,
    is_cover_art,
    open_input,
    pick,
    picture_streams,
    short_label,
    sound_streams,
)
from triage.media.limits import check_duration, check_picture, hms
from triage.media.mp4_index import check_index
from triage.media.sniff import Sniffed

PROBE_SECONDS = 30.0
_START_PACKETS = 400  # packets read from the start while looking for the first decodable frames
_END_MARGIN_S = 1.0
# Containers whose stated duration is exact (an index or a sample count), so a shortfall means a cut-off
# file; MP3/AAC durations are estimates from the bitrate and are not held to it.
_SEEKABLE_END = ("mov", "matroska", "flac", "avi", "asf")

_MIME = {
    "mp4": ("video/mp4", "audio/mp4"), "m4a": ("video/mp4", "audio/mp4"), "mov": ("video/quicktime", "audio/mp4"),
    "webm": ("video/webm", "audio/webm"), "mkv": ("video/x-matroska", "audio/x-matroska"),
    "ogg": ("video/ogg", "audio/ogg"), "avi": ("video/x-msvideo", "audio/x-msvideo"),
    "asf": ("video/x-ms-asf", "audio/x-ms-wma"), "flv": ("video/x-flv", "audio/x-flv"),
    "mpeg": ("video/mpeg", "audio/mpeg"), "mpegts": ("video/mp2t", "audio/mp2t"),
    "mp3": ("video/mpeg", "audio/mpeg"), "wav": ("video/x-wav", "audio/wav"), "flac": ("video/flac", "audio/flac"),
    "aac": ("video/aac", "audio/aac"), "aiff": ("video/aiff", "audio/aiff"),
}


def _scan_duration(container: InputContainer, stream, deadline: Deadline) -> float | None:
    """Duration from the last packet's timestamp, for containers that do not state one."""
    end = None
    for packet in container.demux(stream):
        deadline.check()
        if packet.pts is not None and packet.time_base is not None:
            stop = (packet.pts + (packet.duration or 0)) * packet.time_base
            end = stop if end is None else max(end, stop)
    container.seek(0)
    if end is None:
        return None
    start = (stream.start_time or 0) * stream.time_base
    return float(end - start)


def _duration(container: InputContainer, stream, deadline: Deadline) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    return _scan_duration(container, stream, deadline)


def _check_index(container: InputContainer, size: int, label: str) -> None:
    """MP4/MOV list every sample's byte position up front; samples beyond the end mean a cut-off file."""
    for stream in container.streams:
        entries = stream.index_entries
        if entries is not None and len(entries) > 1:
            needed = max(e.pos + e.size for e in entries)
            if needed > size:
                raise InvalidSubmission(
                    f"truncated or corrupt {short_label(label)}: the file ends at {size:,} bytes but its "
                    f"index points to data up to {needed:,} bytes ({100 * size // needed}% present)"
                )


def _decodes(container: InputContainer, streams: list, max_packets: int, limits: MediaLimits,
             deadline: Deadline) -> dict:
    """Decode up to max_packets from the current position; return the first frame decoded per stream."""
    first: dict = {}
    wanted = {s.index for s in streams}
    for count, packet in enumerate(container.demux(streams)):
        deadline.check()
        if count >= max_packets or wanted <= first.keys():
            break
        try:
            frames = decode_checked(packet, limits)
        except (av.error.FFmpegError, ValueError):
            continue  # one bad packet is not yet a bad file; the caller judges by what did decode
        if frames and packet.stream.index not in first:
            first[packet.stream.index] = frames[0]
    return first


def _check_end(container: InputContainer, stream, duration: float, label: str, limits: MediaLimits,
               deadline: Deadline) -> None:
    """Read up to the stated end, so a file cut short cannot pass on a good first second.

    Seeking lands on the keyframe before the target; from there packets are only demuxed (cheap) until
    one reaches the target, and the first of them is decoded to prove the data is real.
    """
    start = float((stream.start_time or 0) * stream.time_base)
    target = start + max(0.0, duration - _END_MARGIN_S)
    try:
        container.seek(int(target / stream.time_base), stream=stream, backward=True)
    except (av.error.FFmpegError, OSError) as exc:
        raise InvalidSubmission(
            f"truncated or corrupt {short_label(label)}: cannot reach its end ({ffmpeg_reason(exc)})"
        ) from exc
    decoded = reached = False
    for packet in container.demux(stream):
        deadline.check()
        if packet.pts is not None and float(packet.pts * stream.time_base) >= target - _END_MARGIN_S:
            reached = True
        if not decoded:
            with contextlib.suppress(av.error.FFmpegError, ValueError):
                decoded = bool(decode_checked(packet, limits))
        if decoded and reached:
            return
    raise InvalidSubmission(
        f"truncated or corrupt {short_label(label)}: the data stops before its stated end ({hms(duration)})"
    )


def probe_av(path: Path, size: int, sniffed: Sniffed, limits: MediaLimits) -> Probe:
    """Probe an audio/video file whose container was identified by sniffing."""
    assert sniffed.demuxer is not None
    label, notes = sniffed.label, []
    deadline = Deadline(PROBE_SECONDS, "reading the file")
    if sniffed.demuxer == "mov":  # FFmpeg builds the whole sample index while opening: count it first
        check_index(path, limits.max_duration_s)
    with open_input(path, sniffed.demuxer, label, limits.max_pixels) as container:
        video, audio = pick(picture_streams(container)), pick(sound_streams(container))
        if video is None and audio is None:
            raise UnsupportedMedia(f"the file is {label} but has no audio or video track that can be decoded")
        if video is not None and video.codec_context.width and video.codec_context.height:
            check_picture(video.codec_context.width, video.codec_context.height, limits, "video frame")
        duration = _duration(container, video or audio, deadline)
        check_duration(duration, limits)
        _check_index(container, size, label)

        first = _decodes(container, [s for s in (video, audio) if s is not None], _START_PACKETS, limits,
                         deadline)
        if video is not None and video.index not in first:
            notes.append("the video track could not be decoded and is ignored")
            video = None
        if audio is not None and audio.index not in first:
            notes.append("the audio track could not be decoded and is ignored")
            audio = None
        if video is None and audio is None:
            raise InvalidSubmission(f"truncated or corrupt {short_label(label)}: no audio or video frame decodes")
        if video is not None:
            frame = first[video.index]
            check_picture(frame.width, frame.height, limits, "video frame")
        if duration and sniffed.demuxer in _SEEKABLE_END:
            _check_end(container, video or audio, duration, label, limits, deadline)

        if any(is_cover_art(s) for s in container.streams.video):
            notes.append("cover art is ignored")
        if len(container.streams.audio) > 1:
            notes.append(f"{len(container.streams.audio)} audio tracks: only one is used")
        width = height = None
        if video is not None:
            frame = first[video.index]
            width, height = frame.width, frame.height
            if round((frame.rotation or 0) / 90) % 2:  # shown turned a quarter: report what a viewer sees
                width, height = height, width
        media_type = MediaType.VIDEO if video is not None else MediaType.AUDIO
        mimes = _MIME.get(sniffed.format_name, ("video/octet-stream", "audio/octet-stream"))
        vctx = video.codec_context if video is not None else None
        actx = audio.codec_context if audio is not None else None
        return Probe(
            media_type=media_type,
            format_name=sniffed.format_name,
            mime=mimes[0] if media_type is MediaType.VIDEO else mimes[1],
            duration=duration,
            width=width,
            height=height,
            fps=float(video.average_rate) if video is not None and video.average_rate else None,
            video_codec=vctx.name if vctx is not None else None,
            audio_codec=actx.name if actx is not None else None,
            sample_rate=actx.sample_rate if actx is not None else None,
            channels=actx.channels if actx is not None else None,
            has_audio=audio is not None,
            has_video=video is not None,
            notes=tuple(notes),
        )
