"""Opening audio/video files with PyAV safely: forced demuxer, silent FFmpeg, readable errors, deadlines."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import av
import av.logging
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.packet import Packet
from av.stream import Disposition, Stream
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from triage.domain import MediaLimits
from triage.errors import InvalidSubmission, TooLarge
from triage.media.limits import check_not_too_large, human_bytes

# FFmpeg messages go to Python (so errors carry FFmpeg's reason) and stop there: never to the terminal.
av.logging.set_level(av.logging.ERROR)
av.logging.set_skip_repeated(False)  # a repeated refusal must reach refusals_as_too_large() each time
_libav_log = logging.getLogger("libav")
_libav_log.addHandler(logging.NullHandler())
_libav_log.propagate = False

OPEN_TIMEOUT_S = 10.0
# FFmpeg opens a decoder, and decodes a few frames, for every stream while opening a file: 999 tiny video
# streams cost 850 MB. A submission needs one video and one audio track; cameras write up to about 20.
MAX_STREAMS = 32
# An audio packet decodes to many times its size (PCM to float, then resampling): a Matroska block holding
# ten minutes of PCM (58 MB) took 740 MB. Encoders and demuxers write packets of a few MB at most, and WAV
# packets (sized by FFmpeg from the sample rate, 64 MB at 500 MHz) are cut to _WAV_PACKET_BYTES.
MAX_AUDIO_PACKET_BYTES = 16 * 1024**2
_WAV_PACKET_BYTES = 1024**2
# Decoders pad their pictures (MPEG-4 part 2 allocates 448x280 for 320x240) and FFmpeg's cap counts the
# padding, so the cap handed to FFmpeg sits above max_pixels: it bounds memory, while every frame that does
# decode is held to max_pixels exactly.
_DECODER_CAP_FACTOR = 2
_REFUSED = re.compile(r"(\d+)x(\d+) exceeds")  # FFmpeg's and dav1d's words for a picture over the cap


def ffmpeg_reason(exc: BaseException) -> str:
    """FFmpeg's own explanation of a failure (e.g. 'moov atom not found'), else the error text."""
    log = getattr(exc, "log", None)
    if log and len(log) >= 3 and str(log[2]).strip():
        return str(log[2]).strip()
    return str(getattr(exc, "strerror", None) or exc)


def short_label(label: str) -> str:
    """'an MP4 video' -> 'MP4', for messages like 'truncated or corrupt MP4: ...'."""
    words = label.split()
    return words[1] if len(words) > 1 and words[0] in ("a", "an") else label


def _too_many_streams() -> TooLarge:
    return TooLarge(f"the file has more than {MAX_STREAMS} tracks (video, audio, subtitles, attachments); "
                    f"at most {MAX_STREAMS} are accepted")


def _check_stream_count(messages: list[str], exc: Exception) -> None:
    if any("max_streams" in message for message in messages):  # FFmpeg refused to add one more stream
        raise _too_many_streams() from exc


@contextmanager
def open_input(path: Path, demuxer: str, label: str, max_pixels: int) -> Iterator[InputContainer]:
    """Open a media file with exactly the demuxer its content was sniffed as.

    Forcing the demuxer keeps FFmpeg from auto-detecting playlist or concat formats that could make it
    read other files. A file with more than MAX_STREAMS streams is refused (TooLarge) before FFmpeg opens
    decoders for the rest. Every video decoder, those FFmpeg opens to probe the streams included, refuses a
    picture far over max_pixels before allocating it: a stream may switch to a larger size at any keyframe,
    whatever its header says. Failures to open or to read on become InvalidSubmission.
    """
    cap = {"max_pixels": str(_DECODER_CAP_FACTOR * max_pixels)}
    options = {**cap, "max_streams": str(MAX_STREAMS + 1)}
    if demuxer == "wav":
        options["max_size"] = str(_WAV_PACKET_BYTES)
    try:
        with av.logging.Capture() as logs:
            container = av.open(str(path), mode="r", format=demuxer, timeout=OPEN_TIMEOUT_S,
                                metadata_errors="replace", options=options)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        _check_stream_count([message for _level, _name, message in logs], exc)
        raise InvalidSubmission(f"truncated or corrupt {short_label(label)}: {ffmpeg_reason(exc)}") from exc
    if len(container.streams) > MAX_STREAMS:  # Matroska keeps the first ones and stops reading at the others
        container.close()
        raise _too_many_streams()
    for stream in container.streams.video:
        if stream.codec_context is not None:
            stream.codec_context.options = {**stream.codec_context.options, **cap}
    try:
        yield container
    except av.error.FFmpegError as exc:
        # The demuxer can fail mid-file (a broken page or packet header, a stream beyond MAX_STREAMS
        # appearing in MPEG-TS), past the per-packet checks.
        _check_stream_count([ffmpeg_reason(exc)], exc)
        raise InvalidSubmission(f"truncated or corrupt {short_label(label)}: {ffmpeg_reason(exc)}") from exc
    finally:
        container.close()


@contextmanager
def refusals_as_too_large(limits: MediaLimits) -> Iterator[None]:
    """Turn a decoder's refusal of a picture over its cap (see open_input) into TooLarge naming the size.

    Only FFmpeg's log says why: some decoders raise an error for the refused picture, others return nothing.
    """
    with av.logging.Capture() as logs:
        try:
            yield
        finally:
            for _level, _name, message in logs:
                found = _REFUSED.search(message)
                if found:
                    check_not_too_large(int(found[1]), int(found[2]), limits)


def check_audio_packet(packet: Packet) -> None:
    """Refuse an audio packet too big to decode safely (see MAX_AUDIO_PACKET_BYTES)."""
    if packet.size > MAX_AUDIO_PACKET_BYTES and packet.stream.type == "audio":
        raise InvalidSubmission(
            f"the audio track has a {human_bytes(packet.size)} packet, more than the "
            f"{human_bytes(MAX_AUDIO_PACKET_BYTES)} decoded at once; the file may be crafted to exhaust memory"
        )


def decode_checked(packet: Packet, limits: MediaLimits) -> list:
    """packet.decode(), with every video frame held to the pixel limits (raises TooLarge) and audio packets
    to MAX_AUDIO_PACKET_BYTES (raises InvalidSubmission)."""
    check_audio_packet(packet)
    with refusals_as_too_large(limits):
        frames = packet.decode()
    for frame in frames:
        if isinstance(frame, VideoFrame):
            check_not_too_large(frame.width, frame.height, limits)
    return frames


def is_cover_art(stream: Stream) -> bool:
    """A video stream that is really a still picture attached to audio (album cover)."""
    return bool(stream.disposition & Disposition.attached_pic)


def picture_streams(container: InputContainer) -> list[VideoStream]:
    """Video streams that are moving pictures (not cover art) and have a decoder."""
    return [s for s in container.streams.video if not is_cover_art(s) and s.codec_context is not None]


def sound_streams(container: InputContainer) -> list[AudioStream]:
    """Audio streams that have a decoder."""
    return [s for s in container.streams.audio if s.codec_context is not None]


S = TypeVar("S", bound=Stream)


def pick(streams: list[S]) -> S | None:
    """The stream marked default, else the first."""
    for stream in streams:
        if stream.disposition & Disposition.default:
            return stream
    return streams[0] if streams else None


class Deadline:
    """Wall-clock budget for one operation, so hostile input cannot keep a worker busy forever."""

    def __init__(self, seconds: float, what: str) -> None:
        self.end = time.monotonic() + seconds
        self.what = what

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise InvalidSubmission(f"{self.what} took too long; the file may be corrupt or hostile")
