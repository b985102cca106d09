"""A programme as an album: one track per sound (audio pieces, and the sound of videos), trimmed to its in and out
points, loudness-matched by two-pass loudnorm, a gap of silence after every track but the last; FLAC (24-bit) and
MP3 (LAME V2) of each, tagged with mutagen, and a tracklist. Written staged, probed before it is moved in."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from triage.errors import BadRequest, ProcessingFailed
from triage.programmes.plan import Placed, Rendered, RenderPlan, RenderSettings
from triage.render import ffmpeg, loudness, staging, tracklist
from triage.render.book import picture
from triage.render.tracklist import Tags, TrackRow, tag_flac, tag_mp3

SILENT_LUFS = -70.0  # ebur128's absolute gate: quieter than this there is nothing to bring up to loudness
LOUDNESS_TOLERANCE_LU = 1.0
PEAK_TOLERANCE_DB = 0.2  # the true-peak meter's own error at 48 kHz
LOUDNORM_MIN_S = 3.0  # loudnorm's window: shorter takes get a measured gain
SHORT_DECODE_S = 0.25  # a decode this much shorter than asked means the file is damaged, not rounded
COVER_SIDE = 1000  # pixels: players show covers small, and every track carries a copy
_MP3_RATES = (32000, 44100, 48000)

Progress = Callable[[float, str], None]


def _mp3_rate(rate: int) -> int:
    return rate if rate in _MP3_RATES else 48000  # MPEG-1 layer III has only these rates


def mp3_slack_s(rate: int) -> float:
    """How much longer an MP3's container says it is than its sound: LAME's delay (1105 samples) and its last
    frame's padding (up to 1152), which decoders drop; 47 ms at 48 kHz."""
    return (1105 + 1152) / rate + 0.002


@dataclass(frozen=True)
class Take:
    """A piece chosen as a track: the span of its sound to use."""

    piece: Placed
    start: float
    length: float


def _what(piece: Placed) -> str:
    return f"'{piece.title}'"


def _take(piece: Placed) -> Take:
    """The piece's span, checked: BadRequest for an in point past its end or an out point before its in point."""
    end = min(piece.end, piece.duration) if piece.duration > 0 else piece.end
    if piece.start < 0:
        raise BadRequest(f"{_what(piece)}: its in point ({piece.start:.2f} s) is before its start")
    if piece.duration > 0 and piece.start >= piece.duration:
        raise BadRequest(f"{_what(piece)}: its in point ({piece.start:.2f} s) is past its end ({piece.duration:.2f} s)")
    if end <= piece.start:
        raise BadRequest(f"{_what(piece)}: its out point ({piece.end:.2f} s) is not after its in point "
                         f"({piece.start:.2f} s)")
    return Take(piece, piece.start, end - piece.start)


def _has_sound(piece: Placed) -> bool:
    if piece.path is None:
        return False
    try:
        return ffmpeg.has_stream(piece.path, "audio")
    except ProcessingFailed as e:
        raise ProcessingFailed(f"{_what(piece)}: {e}") from e


def choose(plan: RenderPlan) -> tuple[list[Take], list[str]]:
    """The pieces that become tracks, in order, and a warning for each piece left out."""
    takes, warnings = [], []
    for piece in plan.pieces:
        if piece.media_type == "image" and piece.path is not None and piece.path == plan.cover:
            continue  # the album's cover
        if piece.media_type not in ("audio", "video"):
            warnings.append(f"{_what(piece)} is {'an' if piece.media_type[:1] in 'aeiou' else 'a'} "
                            f"{piece.media_type} piece: an album has no place for it")
            continue
        take = _take(piece)
        if not _has_sound(piece):
            warnings.append(f"{_what(piece)} has no sound: an album has no place for it")
            continue
        heard = _within_sound(take, warnings)
        if heard is not None:
            takes.append(heard)
    if not takes:
        raise BadRequest(f"the programme '{plan.name}' has no pieces with sound to make an album of")
    return takes, warnings


def _within_sound(take: Take, warnings: list[str]) -> Take | None:
    """The take cut where the file's sound ends (a video's sound may stop before its picture): a track is sound."""
    assert take.piece.path is not None
    heard = ffmpeg.sound_length(take.piece.path)
    if heard is None or take.start + take.length <= heard + SHORT_DECODE_S:
        return take
    if take.start >= heard - SHORT_DECODE_S:
        warnings.append(f"{_what(take.piece)}: its sound ends at {heard:.2f} s, before its in point: left out")
        return None
    warnings.append(f"{_what(take.piece)}: its sound ends at {heard:.2f} s, before its out point: the track ends there")
    return Take(take.piece, take.start, heard - take.start)


def decode(take: Take, wav: Path, rate: int) -> float:
    """The take's sound as 32-bit float stereo WAV at `rate`; its length. ProcessingFailed names the piece."""
    assert take.piece.path is not None  # choose() keeps only pieces with a file
    ffmpeg.run(["-ss", f"{take.start:.6f}", "-t", f"{take.length:.6f}", "-i", str(take.piece.path), "-map", "0:a:0",
                "-vn", "-ac", "2", "-ar", str(rate), "-c:a", "pcm_f32le", str(wav)], _what(take.piece))
    got = ffmpeg.duration(wav) if wav.exists() else 0.0
    if got < take.length - SHORT_DECODE_S:  # FFmpeg stops quietly at damaged data: the length shows it
        raise ProcessingFailed(f"{_what(take.piece)}: only {got:.2f} s of its {take.length:.2f} s could be decoded")
    return got


def level_filter(wav: Path, length: float, level: loudness.Loudness, settings: RenderSettings) -> str:
    """The filter that brings the take to the target loudness without passing the true-peak limit."""
    if length >= LOUDNORM_MIN_S:
        return loudness.loudnorm_filter(wav, settings.loudness_lufs, settings.true_peak_db)
    # loudnorm works in 3 s windows and mis-sets its gain on shorter input (FFmpeg 5.1 left a 2.5 s take 15 LU
    # quiet): a plain gain instead, as much as the true peak allows
    gain = min(settings.loudness_lufs - level.integrated_lufs, settings.true_peak_db - level.true_peak_db)
    return f"volume={gain:.2f}dB"


def master(wav: Path, level: str, out: tuple[Path, Path], gap: float, settings: RenderSettings, what: str) -> None:
    """Bring to loudness with the `level` filter, pad the gap, write the FLAC and then the MP3 from it."""
    rate = settings.sample_rate
    flac, mp3 = out
    chain = f"{level},aresample={rate},aformat=sample_fmts=s32:channel_layouts=stereo"
    if gap > 0:
        chain += f",apad=pad_dur={gap:.6f}"
    ffmpeg.run(["-i", str(wav), "-map", "0:a:0", "-af", chain, "-ar", str(rate), "-c:a", "flac",
                "-bits_per_raw_sample", "24", "-map_metadata", "-1", str(flac)], what)
    ffmpeg.run(["-i", str(flac), "-map", "0:a:0", "-ar", str(_mp3_rate(rate)), "-c:a", "libmp3lame", "-q:a", "2",
                "-map_metadata", "-1", "-id3v2_version", "0", str(mp3)], what)  # mutagen writes the tags


def probe(row: TrackRow, folder: Path, settings: RenderSettings) -> tuple[loudness.Loudness, list[str]]:
    """Check the written track: both files last the take plus its gap (ProcessingFailed if not); its loudness and
    true peak are on target (a warning if not: the track is usable, just off)."""
    what = f"track {row.number} {row.title!r}"
    mp3_slack = mp3_slack_s(_mp3_rate(settings.sample_rate))
    for name, tolerance in ((f"{row.stem}.flac", 0.002), (f"{row.stem}.mp3", mp3_slack)):
        lasts = ffmpeg.duration(folder / name)
        if not -0.002 <= lasts - row.file_s <= tolerance:
            raise ProcessingFailed(f"{what}: {name} lasts {lasts:.3f} s, not {row.file_s:.3f} s")
    measured = loudness.measure(folder / f"{row.stem}.flac")
    warnings = []
    if abs(measured.integrated_lufs - settings.loudness_lufs) > LOUDNESS_TOLERANCE_LU:
        warnings.append(f"{what} measures {measured.integrated_lufs:.1f} LUFS, not {settings.loudness_lufs:.1f}")
    if measured.true_peak_db > settings.true_peak_db + PEAK_TOLERANCE_DB:
        warnings.append(f"{what} peaks at {measured.true_peak_db:.1f} dBTP, above {settings.true_peak_db:.1f}")
    return measured, warnings


def render_album(plan: RenderPlan, dest: Path, progress: Progress | None = None) -> Rendered:
    """Write the album's tracks (FLAC and MP3), tracklist.txt and tracklist.csv into `dest`; all or nothing."""
    report = progress or (lambda _fraction, _message: None)
    settings = plan.settings
    takes, warnings = choose(plan)
    cover = picture(plan.cover, "cover", "the album cover", COVER_SIDE) if plan.cover is not None else None
    with staging.staged(Path(dest)) as folder:
        work = folder / ".work"
        work.mkdir()
        decoded: list[tuple[Take, Path, float, loudness.Loudness]] = []
        for i, take in enumerate(takes):
            report(i / (2 * len(takes)), f"decoding {_what(take.piece)}")
            wav = work / f"{i:03d}.wav"
            length = decode(take, wav, settings.sample_rate)
            level = loudness.measure(wav)
            if level.integrated_lufs < SILENT_LUFS:
                warnings.append(f"{_what(take.piece)} is silent: an album has no place for it")
                continue
            decoded.append((take, wav, length, level))
        if not decoded:
            raise BadRequest(f"the programme '{plan.name}' has only silent pieces: no album to make")
        total = len(decoded)
        artists = {take.piece.contributor for take, *_ in decoded}
        album_artist = artists.pop() if len(artists) == 1 else "Various Artists"
        rows, levels = [], []
        for number, (take, wav, length, level) in enumerate(decoded, start=1):
            report((total + number - 1) / (2 * total), f"mastering track {number}: {_what(take.piece)}")
            title = tracklist.plain(take.piece.title) or f"Track {number}"
            gap = settings.album_gap_s if number < total else 0.0
            row = TrackRow(number, title, tracklist.plain(take.piece.contributor), take.piece.submission_id,
                           take.start, length, length + gap, tracklist.stem(number, total, title))
            flac, mp3 = folder / f"{row.stem}.flac", folder / f"{row.stem}.mp3"
            master(wav, level_filter(wav, length, level, settings), (flac, mp3), gap, settings, _what(take.piece))
            tags = Tags(title, row.contributor, tracklist.plain(plan.name), album_artist, number, total,
                        take.piece.submission_id, plan.programme_id)
            tag_flac(flac, tags, cover)
            tag_mp3(mp3, tags, cover)
            measured, off = probe(row, folder, settings)
            rows.append(row)
            levels.append(measured)
            warnings += off
        names = tracklist.write(folder, tracklist.plain(plan.name), rows)
        shutil.rmtree(work)
    report(1.0, "album written")
    files = tuple(f"{row.stem}.{ext}" for row in rows for ext in ("flac", "mp3")) + names
    return Rendered(folder=Path(dest), files=files, duration_s=sum(row.file_s for row in rows),
                    loudness_lufs=sum(m.integrated_lufs for m in levels) / len(levels),
                    true_peak_db=max(m.true_peak_db for m in levels), warnings=tuple(warnings))
