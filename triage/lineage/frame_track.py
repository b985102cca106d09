"""A dense track of 64-bit perceptual hashes of a video (a few per second), for finding reused segments.

Each sampled frame is decoded straight to a small grey picture (FFmpeg scales it, so a 720p frame never exists as
RGB here), its letterbox or pillarbox bars are trimmed, and six hashes are kept: the picture's pHash, the pHash of
its mirror image (a flipped copy hashes to it), the pHash of its central part (a zoomed or cropped copy's whole
picture hashes near it), the pHash of its upper part and that part's mirror image (a copy with a caption burned
into the bottom hashes near its source there), and the pHash of the central part's upper part (a cropped copy with
a caption burned in). Blank frames (black, fades, slates) are flagged: they are never evidence.
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
from triage.media.container import Deadline, decode_checked, open_input, pick, picture_streams
from triage.media.frames import is_blank

PER_SECOND = 4.0  # a 2 s segment gives 8 frames: enough to tell a moving match from a still look-alike
_GREY_WIDTH = 160  # enough lines to find bars, and more than the 32x32 the hash looks at
# Central part for the zoom/crop view: a copy cropped by up to ~10% on each side shows about this much of the
# original, so its whole picture hashes near the original's centre.
_CENTRE = 0.8
# Upper part for the caption view: captions and subtitles are burned into the bottom of the picture by convention
# (the bottom of the title-safe area); on a small frame their box changes the whole picture's pHash by 15-30 bits,
# since it is a large share of a 32x32 thumbnail. Above the bottom quarter the picture is the source's.
_UPPER = 0.75
DECODE_SECONDS = 300.0
# Bars: lines flatter than this (grey levels' standard deviation, as fingerprints.frames) and darker than
# _BAR_LEVEL (video black is 16, and coding noise lifts it a little), at most _MAX_BAR of the height or width.
_BAR_STD = 6.0
_BAR_LEVEL = 40.0
_MAX_BAR = 0.35


@dataclass(frozen=True)
class FrameTrack:
    """Hashes of frames sampled PER_SECOND: times (float32 s), plain, mirrored, centre, upper, mirrored upper and
    centre upper pHashes (uint64), and whether each frame is blank (bool). duration is the video's length in seconds
    as decoded."""

    times: np.ndarray
    plain: np.ndarray
    mirrored: np.ndarray
    centre: np.ndarray
    blank: np.ndarray
    duration: float
    upper: np.ndarray
    upper_mirrored: np.ndarray
    centre_upper: np.ndarray

    def to_bytes(self) -> bytes:
        """The track as .npz bytes, to store as an artifact."""
        out = io.BytesIO()
        np.savez_compressed(out, times=self.times, plain=self.plain, mirrored=self.mirrored, centre=self.centre,
                            blank=self.blank, duration=np.float64(self.duration), upper=self.upper,
                            upper_mirrored=self.upper_mirrored, centre_upper=self.centre_upper)
        return out.getvalue()

    @staticmethod
    def from_bytes(data: bytes) -> FrameTrack:
        with np.load(io.BytesIO(data)) as z:
            # a track stored before the upper view stands in with its whole picture (no caption view), one stored
            # before the centre's upper view with its upper view (the index skips a view that repeats another)
            upper = z["upper"] if "upper" in z else z["plain"]
            upper_mirrored = z["upper_mirrored"] if "upper_mirrored" in z else z["mirrored"]
            centre_upper = z.get("centre_upper", upper)
            return FrameTrack(z["times"], z["plain"], z["mirrored"], z["centre"], z["blank"], float(z["duration"]),
                              upper, upper_mirrored, centre_upper)


def phash(grey: np.ndarray) -> int:
    """64-bit pHash of a grey uint8 picture, in imagehash's layout (8x8 lowest DCT frequencies of a 32x32
    thumbnail against their median, row-major, most significant bit first), so fingerprints.frames.MIRROR
    applies. Computed here in numpy, which costs a fraction of a millisecond."""
    small = np.asarray(Image.fromarray(np.ascontiguousarray(grey)).resize((32, 32), Image.Resampling.LANCZOS),
                       dtype=np.float64)
    low = dct(dct(small, axis=0), axis=1)[:8, :8]
    bits = (low > np.median(low)).reshape(-1)
    return int(np.packbits(bits).view(">u8")[0])


def trim_bars(grey: np.ndarray) -> np.ndarray:
    """The picture inside black letterbox or pillarbox bars (a view): flat lines that are also dark.

    fingerprints.frames.trim_borders takes any flat line of any level for a border, which suits a whole copy but
    not a segment: a plain sky or wall at a frame's edge is trimmed in the source and not in a copy where a caption
    box, a logo or a moving shape reaches that edge (or the other way round), so the two crops differ by a fifth of
    the picture and their hashes by 20-30 bits. Bars that a letterbox or pillarbox adds are black (pad's default,
    and what players and platforms draw), so only dark flat lines are taken for them here.
    """
    top, bottom = _dark_runs(grey)
    left, right = _dark_runs(grey.T)
    h, w = grey.shape
    return grey[top:h - bottom, left:w - right]


def _dark_runs(grey: np.ndarray) -> tuple[int, int]:
    """How many lines at the start and at the end are bar: flat, and darker than _BAR_LEVEL."""
    lines = grey.astype(np.float32)
    bar = (lines.std(axis=1) < _BAR_STD) & (lines.mean(axis=1) < _BAR_LEVEL)
    limit = int(_MAX_BAR * len(bar))

    def run(flags: np.ndarray) -> int:
        return min(limit, len(flags) if flags.all() else int(np.argmin(flags)))

    # Bars are centred (pad, players): where one is shorter, something was drawn over it (a caption box over the
    # bottom bar), and trimming only what shows would leave a crop that its source's does not match.
    both = max(run(bar), run(bar[::-1]))
    return both, both


def frame_hashes(grey: np.ndarray) -> tuple[int, int, int, bool, int, int, int]:
    """(plain, mirrored, centre, blank, upper, mirrored upper, centre upper) for one grey frame."""
    blank = is_blank(np.repeat(grey[:, :, None], 3, axis=2))
    picture = trim_bars(grey)
    h, w = picture.shape
    dh, dw = int(h * (1 - _CENTRE) / 2), int(w * (1 - _CENTRE) / 2)
    centre = picture[dh:h - dh, dw:w - dw]
    upper = picture[:max(1, round(h * _UPPER))]
    centre_upper = centre[:max(1, round(centre.shape[0] * _UPPER))]
    return (phash(picture), phash(np.ascontiguousarray(picture[:, ::-1])), phash(centre), blank, phash(upper),
            phash(np.ascontiguousarray(upper[:, ::-1])), phash(np.ascontiguousarray(centre_upper)))


def track_from_frames(times: list[float], greys: list[np.ndarray], duration: float) -> FrameTrack:
    """The track of already decoded grey frames (pure; `frame_track` decodes)."""
    rows = [frame_hashes(g) for g in greys]
    return FrameTrack(np.array(times, dtype=np.float32),
                      np.array([r[0] for r in rows], dtype=np.uint64),
                      np.array([r[1] for r in rows], dtype=np.uint64),
                      np.array([r[2] for r in rows], dtype=np.uint64),
                      np.array([r[3] for r in rows], dtype=bool), duration,
                      np.array([r[4] for r in rows], dtype=np.uint64),
                      np.array([r[5] for r in rows], dtype=np.uint64),
                      np.array([r[6] for r in rows], dtype=np.uint64))


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
