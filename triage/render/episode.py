"""The episode's rough cut: every piece as one normalised segment (cards for sound and text, section titles, end
credits), joined, loudness-normalised once, with its timeline and running order, all written at once or not at all.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from PIL import Image

from triage.errors import BadRequest, ProcessingFailed
from triage.programmes.budget import text_card_s
from triage.programmes.plan import Placed, Rendered, RenderPlan, RenderSettings
from triage.render import cards, cut_timeline, ffmpeg, loudness, staging
from triage.render.cut_timeline import Segment

CUT = "rough-cut.mp4"
# AAC's encoder lifts true peaks by up to about a decibel: loudnorm aims this far under the ceiling, so the encoded
# cut still keeps it (measured on the encoded file afterwards).
CODEC_HEADROOM_DB = 1.0
CRF = "21"  # visually clean at 720p; the cut is a rough cut for review, not a master
LOUDNESS_SLACK_LU = 1.0
MEDIA = ("video", "audio", "image", "text")

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Step:
    """A segment and how to make it: its card (drawn when encoded, so none is held in memory) and its sound."""

    segment: Segment
    label: str
    card: Callable[[], Image.Image] | None = None
    sound: Path | None = None  # a sound piece under its card


def render_episode(plan: RenderPlan, dest: Path, progress: Progress | None = None) -> Rendered:
    """Render `plan` as `<dest>/rough-cut.mp4` with `rough-cut.otio` and `cut.json`, then probe what was written."""
    s = plan.settings
    warnings: list[str] = []
    steps = _steps(plan, warnings)
    cards.font_path(s)  # a missing font fails before any work
    segments = [step.segment for step in steps]
    expected = sum(seg.frames for seg in segments) / s.fps
    total = len(steps) + 2
    with staging.staged(Path(dest)) as folder:
        work = folder / ".segments"
        work.mkdir()
        listing = []
        for number, step in enumerate(steps):
            out = work / f"{number:04d}.mkv"
            _encode(step, out, s)
            listing.append(f"file '{out.name}'")
            if progress:
                progress((number + 1) / total, step.label)
        (work / "list.txt").write_text("\n".join(listing) + "\n", encoding="utf-8")
        joined = work / "joined.mkv"
        ffmpeg.run(["-f", "concat", "-safe", "0", "-i", str(work / "list.txt"), "-map", "0", "-c", "copy",
                    str(joined)], "joining the segments")
        if progress:
            progress((total - 1) / total, "normalising loudness")
        _normalise(joined, folder / CUT, s)
        shutil.rmtree(work)
        files = (CUT, cut_timeline.write_otio(folder, plan.name, s.fps, segments),
                 cut_timeline.write_json(folder, plan.programme_id, plan.name, s.fps, segments))
        measured = _check(folder / CUT, expected, s, warnings)
    if progress:
        progress(1.0, "done")
    return Rendered(folder=Path(dest), files=files, duration_s=measured[0], loudness_lufs=measured[1].integrated_lufs,
                    true_peak_db=measured[1].true_peak_db, warnings=tuple(warnings))


def _steps(plan: RenderPlan, warnings: list[str]) -> list[Step]:
    """The cut's running order, each piece checked first: a plan problem is a BadRequest before anything is written."""
    s = plan.settings
    if not plan.pieces:
        raise BadRequest(f"programme {plan.name!r} has no pieces to render")
    steps: list[Step] = []
    count = len(plan.pieces)
    for number, piece in enumerate(plan.pieces, 1):
        if piece.heading:
            heading = piece.heading
            steps.append(Step(Segment("section", heading, _frames(s.section_card_s, s)), f"section {heading}",
                              card=partial(cards.section_card, s, heading)))
        steps.append(_piece_step(piece, s, warnings, f"piece {number} of {count}"))
    pages = cards.credits_cards(s, plan.credits)  # drawn here to count them; a few cards at most
    for page_no, page in enumerate(pages, 1):
        steps.append(Step(Segment("credits", f"credits {page_no} of {len(pages)}", _frames(s.credits_s, s)),
                          f"credits {page_no} of {len(pages)}", card=page.copy))
    return steps


def _piece_step(piece: Placed, s: RenderSettings, warnings: list[str], label: str) -> Step:
    name = piece.title or piece.submission_id
    if piece.media_type not in MEDIA:
        raise BadRequest(f"piece {name!r}: unknown media type {piece.media_type!r}")
    if piece.media_type == "text":
        words = piece.words.split()
        start, end = int(piece.start), min(int(piece.end), len(words))
        if start < 0 or start >= len(words) or end <= start:
            raise BadRequest(f"piece {name!r}: its words {int(piece.start)} to {int(piece.end)} are outside its "
                             f"{len(words)} words")
        shown = " ".join(words[start:end])
        seconds = text_card_s(replace(piece, start=start, end=end), s)  # the running total's own length
        return Step(Segment("card", name, _frames(seconds, s), piece.submission_id, "text"), label,
                    card=lambda: cards.piece_card(s, name, piece.contributor, shown))
    if piece.path is None or not Path(piece.path).is_file():
        raise BadRequest(f"piece {name!r}: its file is missing ({piece.path})")
    path = Path(piece.path)
    if piece.media_type == "image":
        return Step(Segment("piece", name, _frames(s.image_s, s), piece.submission_id, "image", path), label)
    length = piece.duration if piece.duration > 0 else ffmpeg.duration(path)
    if piece.start < 0 or piece.start >= length:
        raise BadRequest(f"piece {name!r}: its in point {piece.start:.2f} s is past its end {length:.2f} s")
    if piece.end <= piece.start:
        raise BadRequest(f"piece {name!r}: its out point {piece.end:.2f} s is not after its in point "
                         f"{piece.start:.2f} s")
    stop = min(piece.end, length)
    if piece.end - stop > 1 / s.fps:
        warnings.append(f"piece {name!r}: out point {piece.end:.2f} s is past its end; cut at {length:.2f} s")
    sound = piece.media_type == "audio" or _has_sound(path, name)
    segment = Segment("piece" if piece.media_type == "video" else "card", name, _frames(stop - piece.start, s),
                      piece.submission_id, piece.media_type, path, piece.start, length, sound)
    if piece.media_type == "video":
        return Step(segment, label)
    return Step(segment, label, card=lambda: cards.piece_card(s, name, piece.contributor, piece.words), sound=path)


def _has_sound(path: Path, name: str) -> bool:
    try:
        return ffmpeg.has_stream(path, "audio")
    except ProcessingFailed as e:
        raise ProcessingFailed(f"piece {name!r} cannot be read: {e}") from e


def _frames(seconds: float, s: RenderSettings) -> int:
    return max(1, round(seconds * s.fps))


def _video_args(s: RenderSettings) -> list[str]:
    """The same encoder settings for every segment, so their streams join without re-encoding."""
    frame = (f"scale={s.width}:{s.height}:force_original_aspect_ratio=decrease,"
             f"pad={s.width}:{s.height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={s.fps},format=yuv420p")
    return ["-vf", frame, "-c:v", "libx264", "-preset", "veryfast", "-crf", CRF, "-profile:v", "high",
            "-g", str(2 * s.fps), "-af", f"aresample={s.sample_rate},aformat=sample_fmts=s16:channel_layouts=stereo,"
            "apad", "-c:a", "pcm_s16le"]  # sound stays PCM until the one AAC encode at the end


def _encode(step: Step, out: Path, s: RenderSettings) -> None:
    """One segment, exactly `frames` long: picture fitted and letterboxed, sound stereo PCM padded with silence."""
    seg = step.segment
    seconds = f"{seg.frames / s.fps:.6f}"
    silence = ["-f", "lavfi", "-i", f"anullsrc=r={s.sample_rate}:cl=stereo"]
    what = f"piece {seg.name!r}" if seg.submission_id else seg.name
    if seg.media_type == "video" and seg.source is not None:
        inputs = ["-ss", f"{seg.source_start:.6f}", "-i", str(seg.source)] + ([] if seg.has_sound else silence)
        maps = ["-map", "0:v:0", "-map", "0:a:0" if seg.has_sound else "1:a:0"]
    else:
        if step.card is not None:
            picture = out.with_suffix(".png")
            step.card().save(picture)
        else:
            assert seg.source is not None  # an image piece
            picture = seg.source
        inputs = ["-loop", "1", "-framerate", str(s.fps), "-i", str(picture)]
        sound = ["-ss", f"{seg.source_start:.6f}", "-i", str(step.sound)] if step.sound else silence
        inputs += sound
        maps = ["-map", "0:v:0", "-map", "1:a:0"]
    ffmpeg.run([*inputs, *maps, "-t", seconds, *_video_args(s), str(out)], f"rendering {what}")
    out.with_suffix(".png").unlink(missing_ok=True)


def _normalise(joined: Path, out: Path, s: RenderSettings) -> None:
    """The whole cut's sound to the target loudness in one two-pass loudnorm; the picture is copied, not re-encoded."""
    norm = loudness.loudnorm_filter(joined, s.loudness_lufs, s.true_peak_db - CODEC_HEADROOM_DB)
    ffmpeg.run(["-i", str(joined), "-map", "0:v:0", "-map", "0:a:0", "-c:v", "copy",
                "-af", f"{norm},aresample={s.sample_rate},aformat=channel_layouts=stereo",
                "-c:a", "aac", "-b:a", "192k", "-ar", str(s.sample_rate), "-movflags", "+faststart", str(out)],
               "normalising the cut's loudness")


def _check(cut: Path, expected: float, s: RenderSettings, warnings: list[str]) -> tuple[float, loudness.Loudness]:
    """Probe what was written: its length must be the segments' within a frame; its loudness is reported."""
    length = ffmpeg.duration(cut)
    if abs(length - expected) > 1 / s.fps + 1e-6:
        raise ProcessingFailed(f"the rough cut is {length:.3f} s long, not the {expected:.3f} s of its segments")
    measured = loudness.measure(cut)
    if abs(measured.integrated_lufs - s.loudness_lufs) > LOUDNESS_SLACK_LU:
        warnings.append(f"the cut's loudness is {measured.integrated_lufs:.1f} LUFS, not {s.loudness_lufs:.1f} "
                        "(near-silent or very quiet material)")
    if measured.true_peak_db > s.true_peak_db:
        warnings.append(f"the cut's true peak is {measured.true_peak_db:.1f} dBTP, over {s.true_peak_db:.1f}")
    return length, measured
