"""A dense track of 64-bit perceptual hashes of a video (a few per second), for finding reused segments.

Each sampled frame is decoded straight to a small grey picture (FFmpeg scales it, so a 720p frame never exists as
RGB here), its letterbox or pillarbox bars are trimmed, and three hashes are kept: the picture's pHash, the pHash of
its mirror image (a flipped copy hashes to it) and the pHash of its central part (a zoomed or cropped copy's whole
picture hashes near it). Blank frames (black, fades, slates) are flagged: they are never evidence.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.video.frame import VideoFrame
from PIL import Image
from scipy.fft import dct

from triage.domain import MediaLimits
from triage.fingerprints.frames import trim_borders
from triage.media.container import Deadline, decode_checked, open_input, pick, picture_streams
from triage.media.frames import is_blank

PER_SECOND = 4.0  # a 2 s segment gives 8 frames: enough to tell a moving match from a still look-alike
_GREY_WIDTH = 160  # enough lines to find bars, and more than the 32x32 the hash looks at
# Central part for the zoom/crop view: a copy cropped by up to ~10% on each side shows about this much of the
# original, so its whole picture hashes near the original's centre.
_CENTRE = 0.8
DECODE_SECONDS = 300.0


@dataclass(frozen=True)
class FrameTrack:
    """Hashes of frames sampled PER_SECOND: times (float32 s), plain, mirrored and centre pHashes (uint64), and
    whether each frame is blank (bool). duration is the video's length in seconds as decoded."""

    times: np.ndarray
    plain: np.ndarray
    mirrored: np.ndarray
    centre: np.ndarray
    blank: np.ndarray
    duration: float

    def to_bytes(self) -> bytes:
        """The track as .npz bytes, to store as an artifact."""
        out = io.BytesIO()
        np.savez_compressed(out, times=self.times, plain=self.plain, mirrored=self.mirrored, centre=self.centre,
                            blank=self.blank, duration=np.float64(self.duration))
        return out.getvalue()

    @staticmethod
    def from_bytes(data: bytes) -> FrameTrack:
        with np.load(io.BytesIO(data)) as z:
            return FrameTrack(z["times"], z["plain"], z["mirrored"], z["centre"], z["blank"], float(z["duration"]))


def phash(grey: np.ndarray) -> int:
    """64-bit pHash of a grey uint8 picture, in imagehash's layout (8x8 lowest DCT frequencies of a 32x32
    thumbnail against their median, row-major, most significant bit first), so fingerprints.frames.MIRROR
    applies. Computed here in numpy, which costs a fraction of a millisecond."""
    small = np.asarray(Image.fromarray(np.ascontiguousarray(grey)).resize((32, 32), Image.Resampling.LANCZOS),
                       dtype=np.float64)
    low = dct(dct(small, axis=0), axis=1)[:8, :8]
    bits = (low > np.median(low)).reshape(-1)
    return int(np.packbits(bits).view(">u8")[0])


def frame_hashes(grey: np.ndarray) -> tuple[int, int, int, bool]:
    """(plain, mirrored, centre, blank) for one grey frame."""
    blank = is_blank(np.repeat(grey[:, :, None], 3, axis=2))
    picture = trim_borders(grey)
    h, w = picture.shape
    dh, dw = int(h * (1 - _CENTRE) / 2), int(w * (1 - _CENTRE) / 2)
    centre = picture[dh:h - dh, dw:w - dw]
    return phash(picture), phash(np.ascontiguousarray(picture[:, ::-1])), phash(centre), blank


def track_from_frames(times: list[float], greys: list[np.ndarray], duration: float) -> FrameTrack:
    """The track of already decoded grey frames (pure; `frame_track` decodes)."""
    rows = [frame_hashes(g) for g in greys]
    return FrameTrack(np.array(times, dtype=np.float32),
                      np.array([r[0] for r in rows], dtype=np.uint64),
                      np.array([r[1] for r in rows], dtype=np.uint64),
                      np.array([r[2] for r in rows], dtype=np.uint64),
                      np.array([r[3] for r in rows], dtype=bool), duration)


def frame_track(path: Path, demuxer: str, label: str, limits: MediaLimits,
                per_second: float = PER_SECOND) -> FrameTrack:
    """Decode a video file (with the demuxer it was sniffed as) into its frame track; empty without video.

    Frames that no other frame refers to are skipped by the decoder (most B-frames), which roughly halves the
    work; the first frame decoded at or after each sampling time stands for it. A stream where that leaves
    nothing (a decoder that flags every frame so) is decoded again in full.
    """
    track = _decode(path, demuxer, label, limits, per_second, skip=True)
    if not len(track.times):
        track = _decode(path, demuxer, label, limits, per_second, skip=False)
    return track


def _upright(frame: VideoFrame, grey: np.ndarray) -> np.ndarray:
    turns = round((frame.rotation or 0) / 90) % 4  # phone videos store a display rotation
    return np.ascontiguousarray(np.rot90(grey, k=turns)) if turns else grey


def _decode(path: Path, demuxer: str, label: str, limits: MediaLimits, per_second: float,
            skip: bool) -> FrameTrack:
    deadline = Deadline(DECODE_SECONDS, "decoding the frames for lineage")
    times: list[float] = []
    greys: list[np.ndarray] = []
    last = 0.0
    with open_input(path, demuxer, label, limits.max_pixels) as container:
        stream = pick(picture_streams(container))
        if stream is None:
            return track_from_frames([], [], 0.0)
        stream.thread_type = "AUTO"
        if skip:
            stream.codec_context.skip_frame = "NONREF"
        start = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
        due = 0.0
        for packet in container.demux(stream):
            deadline.check()
            try:
                frames = decode_checked(packet, limits)
            except (av.error.FFmpegError, ValueError):
                continue  # a damaged frame: the next sample time takes the next good one
            for frame in frames:
                t = float(frame.time or 0.0) - start
                last = max(last, t)
                if t + 1e-3 < due or not isinstance(frame, VideoFrame):
                    continue
                height = max(2, round(frame.height * _GREY_WIDTH / max(frame.width, 1) / 2) * 2)
                greys.append(_upright(frame, frame.to_ndarray(format="gray", width=_GREY_WIDTH, height=height)))
                times.append(t)
                due = (int(t * per_second + 1e-6) + 1) / per_second
    return track_from_frames(times, greys, last + 1.0 / per_second if times else 0.0)
