"""Representative frames of a video without decoding all of it.

One demux pass decodes only keyframes (encoders put them at shot changes and at regular intervals),
spaced so at most two candidates per wanted frame are decoded. When keyframes are too few to cover the
video, the largest gaps are filled by seeking, within a fixed budget of decoded frames.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from triage.domain import Frame, MediaLimits
from triage.errors import InvalidSubmission
from triage.media.container import (
    Deadline,
    decode_checked,
    open_input,
    pick,
    picture_streams,
    refusals_as_too_large,
)
from triage.media.frames import MAX_FRAME_SIDE, fit_size, is_blank
from triage.media.limits import check_not_too_large

DECODE_SECONDS = 120.0
_CANDIDATES_PER_FRAME = 2
_BUDGET_PER_FRAME = 12  # frames decoded between keyframes, per wanted frame, at most
_MIN_BUDGET = 250  # one default x264 keyframe interval: short clips are always covered evenly
_SAME_PICTURE = 1.0  # mean absolute difference (0..255) of small grey thumbnails: below it, a still repeat


@dataclass
class _Scan:
    keyframes: list[float] = field(default_factory=list)  # seconds from the start
    candidates: list[Frame] = field(default_factory=list)
    last_time: float = 0.0
    failures: int = 0


def _time_base(stream: VideoStream) -> Fraction:
    return stream.time_base or Fraction(1, 1_000_000)


def to_frame(frame: VideoFrame, start: float) -> Frame:
    """Convert a decoded frame to an upright RGB Frame, long side at most MAX_FRAME_SIDE."""
    width, height = fit_size(frame.width, frame.height, MAX_FRAME_SIDE)
    rgb: np.ndarray = frame.to_ndarray(width=width, height=height, format="rgb24")
    turns = round((frame.rotation or 0) / 90) % 4  # phone videos store a display rotation
    if turns:
        rgb = np.ascontiguousarray(np.rot90(rgb, k=turns))
    return Frame(time=max(0.0, float(frame.time or 0.0) - start), rgb=rgb)


def _scan_keyframes(container: InputContainer, stream: VideoStream, start: float, spacing: float, keep: int,
                    limits: MediaLimits, deadline: Deadline) -> _Scan:
    """Decode keyframes at least `spacing` seconds apart, keeping at most `keep` of them as candidates."""
    scan = _Scan()
    ctx = stream.codec_context
    ctx.skip_frame = "NONKEY"
    last_decoded = -np.inf
    for packet in container.demux(stream):
        deadline.check()
        flush = packet.size == 0
        if not flush and packet.pts is not None and packet.time_base is not None:
            scan.last_time = max(scan.last_time, float(packet.pts * packet.time_base) - start)
        if not flush and not packet.is_keyframe:
            continue
        if not flush:
            scan.keyframes.append(float(packet.pts * packet.time_base) - start if packet.pts is not None else 0.0)
            if scan.keyframes[-1] - last_decoded < spacing:
                continue
            last_decoded = scan.keyframes[-1]
        try:
            scan.candidates.extend(to_frame(f, start) for f in decode_checked(packet, limits))
        except (av.error.FFmpegError, ValueError):
            scan.failures += 1
        if len(scan.candidates) > keep:
            # The file runs far past its stated duration (or states none): every keyframe was far enough
            # apart. Keep every other candidate and widen the spacing, so memory stays bounded.
            scan.candidates = scan.candidates[::2]
            spacing = max(2 * spacing, scan.last_time / keep)
    ctx.skip_frame = "DEFAULT"
    scan.keyframes.sort()
    return scan


def _thumb(rgb: np.ndarray) -> np.ndarray:
    step_y, step_x = max(1, rgb.shape[0] // 32), max(1, rgb.shape[1] // 32)
    return rgb[::step_y, ::step_x].astype(np.float32).mean(axis=2)


def _same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    # A stream can change size mid-way (damaged, or re-negotiated by the recorder): frames of another size
    # are another picture, and their thumbnails could not be compared anyway.
    if a.shape != b.shape:
        return False
    return float(np.abs(_thumb(a) - _thumb(b)).mean()) < _SAME_PICTURE


def _drop_repeats(frames: list[Frame]) -> list[Frame]:
    kept: list[Frame] = []
    for frame in frames:
        if kept and _same_picture(kept[-1].rgb, frame.rgb):
            continue
        kept.append(frame)
    return kept


def plan_gap_targets(times: list[float], keyframes: list[float], duration: float, fps: float,
                     want: int, budget: int) -> list[float]:
    """Times to seek to so sampled frames cover the duration, costing at most `budget` decoded frames.

    Evenly spaced targets when they are affordable; otherwise repeatedly splits the widest gap between sampled
    times; no gap may take more than an even share of the remaining budget, so the budget is not spent on one
    end of the video. Targets after the same keyframe are decoded in one run, so a target costs only the frames
    between it and the furthest target already planned after its keyframe.
    """
    points = sorted({0.0, duration, *times})
    gaps = [(b - a, a, b) for a, b in zip(points, points[1:], strict=False)]
    reach: dict[float, float] = {}  # keyframe -> furthest planned target after it
    targets: list[float] = []
    min_gap = duration / max(want, 1)

    def keyframe_before(t: float) -> float:
        index = bisect.bisect_right(keyframes, t) - 1
        return keyframes[index] if index >= 0 else 0.0

    def cost(t: float) -> float:
        key = keyframe_before(t)
        return max(0.0, t - reach.get(key, key)) * fps

    # Cheapest good answer first: evenly spaced targets, when decoding up to them fits the budget.
    even = [(i + 0.5) * duration / want for i in range(want)]
    even = [t for t in even if all(abs(t - seen) > min_gap / 2 for seen in times)]
    furthest: dict[float, float] = {}
    for t in even:
        key = keyframe_before(t)
        furthest[key] = max(t, furthest.get(key, key))
    if sum(end - key for key, end in furthest.items()) * fps <= budget:
        return even

    while len(times) + len(targets) < want:
        wide = sorted((gap for gap in gaps if gap[0] > min_gap), reverse=True)
        share = budget / max(len(wide), 1)
        chosen = next((gap for gap in wide if cost((gap[1] + gap[2]) / 2) <= share), None)
        if chosen is None:
            break
        _, a, b = chosen
        target = (a + b) / 2
        budget -= int(cost(target))
        key = keyframe_before(target)
        reach[key] = max(target, reach.get(key, key))
        targets.append(target)
        gaps.remove(chosen)
        gaps += [(target - a, a, target), (b - target, target, b)]
    return sorted(targets)


def _decode_targets(container: InputContainer, stream: VideoStream, start: float, targets: list[float],
                    keyframes: list[float], budget: int, limits: MediaLimits, deadline: Deadline) -> list[Frame]:
    frames: list[Frame] = []
    stream.codec_context.skip_frame = "NONREF"  # frames nothing depends on are not worth decoding here
    decoder = None
    current_key: float | None = None
    position = np.inf
    decoded = 0
    for target in targets:
        index = bisect.bisect_right(keyframes, target) - 1
        key = keyframes[index] if index >= 0 else 0.0
        if decoder is None or key != current_key or position > target:
            container.seek(int((target + start) / _time_base(stream)), stream=stream, backward=True)
            decoder, current_key = container.decode(stream), key
        try:
            with refusals_as_too_large(limits):
                for frame in decoder:
                    deadline.check()
                    check_not_too_large(frame.width, frame.height, limits)
                    decoded += 1
                    position = float(frame.time or 0.0) - start
                    if position >= target or decoded > 2 * budget:
                        frames.append(to_frame(frame, start))
                        break
        except (av.error.FFmpegError, ValueError):
            decoder = None
        if decoded > 2 * budget:  # the index lied about keyframe spacing; stop spending
            break
    stream.codec_context.skip_frame = "DEFAULT"
    return frames


def _evenly(frames: list[Frame], count: int) -> list[Frame]:
    if len(frames) <= count:
        return frames
    picks = np.unique(np.linspace(0, len(frames) - 1, count).round().astype(int))
    return [frames[i] for i in picks]


def sample_frames(path: Path, demuxer: str, label: str, duration: float | None, max_frames: int,
                  limits: MediaLimits) -> tuple[list[Frame], list[Frame]]:
    """Up to max_frames good (non-blank) frames covering the video, in time order, plus every blank one seen.

    Raises InvalidSubmission when no frame at all decodes or the data stops well before the stated end, and
    TooLarge when a frame anywhere in the video is over the pixel limits.
    """
    deadline = Deadline(DECODE_SECONDS, "decoding the video")
    with open_input(path, demuxer, label, limits.max_pixels) as container:
        stream = pick(picture_streams(container))
        if stream is None:
            return [], []
        start = float((stream.start_time or 0) * _time_base(stream))
        length = duration or 0.0
        scan = _scan_keyframes(container, stream, start, length / (max_frames * _CANDIDATES_PER_FRAME),
                               2 * max_frames * _CANDIDATES_PER_FRAME, limits, deadline)
        frames = [f for f in scan.candidates if not is_blank(f.rgb)]
        blanks = [f for f in scan.candidates if is_blank(f.rgb)]
        if len(frames) < max_frames and length > 0:
            fps = float(stream.average_rate or stream.guessed_rate or 25)
            budget = max(_BUDGET_PER_FRAME * max_frames, _MIN_BUDGET)
            targets = plan_gap_targets([f.time for f in scan.candidates], scan.keyframes or [0.0], length, fps,
                                       max_frames + len(blanks), budget)
            extra = _decode_targets(container, stream, start, targets, scan.keyframes, budget, limits,
                                   deadline)
            frames += [f for f in extra if not is_blank(f.rgb)]
            blanks += [f for f in extra if is_blank(f.rgb)]
    if not frames and not blanks:
        raise InvalidSubmission(f"the video in this {label.split()[-1]} has no frame that decodes")
    frames = _evenly(_drop_repeats(sorted(frames, key=lambda f: f.time)), max_frames)
    return frames, sorted(blanks, key=lambda f: f.time)
