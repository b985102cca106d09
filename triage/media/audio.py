"""The audio track of any file, as mono float32 at 16 kHz (what Whisper and the fingerprints expect)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler

from triage.errors import InvalidSubmission, UnsupportedMedia
from triage.media.container import (
    Deadline,
    check_audio_packet,
    ffmpeg_reason,
    open_input,
    pick,
    sound_streams,
)

SAMPLE_RATE = 16_000
DECODE_SECONDS = 120.0
# A recording with a glitch is still worth hearing; one where more than this share of packets is
# broken is corrupt.
_MAX_BAD_SHARE = 0.05
_MIN_BAD_PACKETS = 3
_FULL_SCALE = {"u8": 128.0, "s16": 32768.0, "s32": 2.0**31, "s64": 2.0**63, "flt": 1.0, "dbl": 1.0}


def _resampler() -> AudioResampler:
    return AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)


def _unplaced(frame: AudioFrame) -> bool:
    """Channels without speaker positions (a plain 9- or 64-channel WAV): FFmpeg cannot mix them to mono."""
    return frame.layout.nb_channels > 2 and all(c.name == "NONE" for c in frame.layout.channels)


def _averaged(frame: AudioFrame) -> AudioFrame:
    """The mean of a frame's channels, as a mono float frame at the same rate."""
    kind = frame.format.name.removesuffix("p")
    data = frame.to_ndarray().astype(np.float32)  # planar: (channels, samples); packed: (1, samples * channels)
    if kind == "u8":
        data -= 128.0
    if not frame.format.is_planar:
        data = data.reshape(-1, frame.layout.nb_channels).T
    mono = (data.mean(axis=0) / _FULL_SCALE[kind]).astype(np.float32)
    out = AudioFrame.from_ndarray(mono.reshape(1, -1), format="flt", layout="mono")
    out.rate, out.pts, out.time_base = frame.rate, frame.pts, frame.time_base
    return out


def _head(frame: AudioFrame, count: int) -> AudioFrame:
    """The first `count` samples of a frame: one packet can hold hours of sound at a low sample rate."""
    if frame.samples <= count:
        return frame
    data: Any = frame.to_ndarray()  # planar: (channels, samples); packed: (1, samples * channels)
    keep = count if frame.format.is_planar else count * frame.layout.nb_channels
    out = AudioFrame.from_ndarray(np.ascontiguousarray(data[:, :keep]), format=frame.format.name,
                                  layout=frame.layout)
    out.rate, out.pts, out.time_base = frame.rate, frame.pts, frame.time_base
    return out


def _resample(resampler: AudioResampler, frame: AudioFrame) -> tuple[AudioResampler, list[AudioFrame]]:
    if _unplaced(frame):
        frame = _averaged(frame)
    try:
        return resampler, resampler.resample(frame)
    except (av.error.FFmpegError, ValueError):  # the layout or rate changed mid-stream: start a fresh resampler
        resampler = _resampler()
    try:
        return resampler, resampler.resample(frame)
    except (av.error.FFmpegError, ValueError) as exc:  # FFmpeg's reason names its filter graph: no help
        channels = frame.layout.nb_channels
        raise UnsupportedMedia(f"the audio ({channels} channel{'' if channels == 1 else 's'} at {frame.rate:,} Hz) "
                               "cannot be converted to 16 kHz mono") from exc


def decode_audio(path: Path, demuxer: str, label: str, max_seconds: float, max_pixels: int) -> np.ndarray | None:
    """Decode the main audio track to mono float32 16 kHz, at most max_seconds long; None without audio.

    max_pixels caps the video decoders FFmpeg opens to probe the streams (see open_input).
    Cover art and video are not touched. Raises InvalidSubmission when too much of the track is corrupt.
    """
    deadline = Deadline(DECODE_SECONDS, "decoding the audio")
    max_samples = int(max_seconds * SAMPLE_RATE) + SAMPLE_RATE
    with open_input(path, demuxer, label, max_pixels) as container:
        stream = pick(sound_streams(container))
        if stream is None:
            return None
        resampler = _resampler()
        chunks: list[np.ndarray] = []
        total = packets = bad = 0
        for packet in container.demux(stream):
            deadline.check()
            if packet.size == 0:
                continue  # end-of-stream marker
            packets += 1
            check_audio_packet(packet)  # one packet may hold minutes of sound: the cap below comes too late
            try:
                frames = packet.decode()
            except (av.error.FFmpegError, ValueError):
                bad += 1
                continue
            for frame in frames:
                # only what the cap still wants (and a second for the resampler's delay) is converted
                wanted = (max_samples - total) * frame.rate // SAMPLE_RATE + frame.rate
                resampler, out = _resample(resampler, _head(frame, max(wanted, 1)))
                for piece in out:
                    chunks.append(piece.to_ndarray().reshape(-1))
                    total += piece.samples
            if total >= max_samples:
                break
        try:
            for piece in resampler.resample(None):
                chunks.append(piece.to_ndarray().reshape(-1))
        except (av.error.FFmpegError, ValueError) as exc:
            raise InvalidSubmission(f"the audio could not be decoded: {ffmpeg_reason(exc)}") from exc
    if bad > max(_MIN_BAD_PACKETS - 1, _MAX_BAD_SHARE * packets):
        raise InvalidSubmission(f"the audio is corrupt: {bad} of {packets} packets could not be decoded")
    if not chunks:
        raise InvalidSubmission("the audio track contains no decodable sound")
    audio = np.concatenate(chunks).astype(np.float32, copy=False)
    return np.clip(audio[:max_samples], -1.0, 1.0)
