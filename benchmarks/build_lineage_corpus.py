"""Build a pool of small pieces for one remix call-out, with planted partial reuses and look-alikes (issue 19).

Every kind the issue names is planted, each with both ranges in the answer key:
  sound     a 3-8 s excerpt of A's audio inside B, mixed under B's speech or music, level-changed, faded,
            up to 10% faster or slower (atempo, or a resample like asetrate), re-encoded (mp3, aac);
  pictures  a 2-6 s segment of A's video inside B, re-encoded, scaled, cropped or letterboxed, mirrored,
            recoloured, with a caption or a logo burned in;
  words     A's text quoted in B's text, read aloud in B's audio, or drawn into B's picture or video.
Look-alikes that must give no edge: the platform's theme song and intro under several pieces (listed as
assets), two people reading the same text that is not in the pool, countdown beeps and applause, silent and
black uploads, talking heads of the same layout, texts on the same theme. All words come from made-up word lists.

    python3 benchmarks/build_lineage_corpus.py --out /tmp/lineage-corpus [--seed 19] [--pieces 40]

Writes media/, submissions.jsonl (ingest in this order: sources before users), callouts.json and truth.json:
"edges" [{user, source, kind, source_range, range, source_unit, unit, share, how}], "tolerated" edges that are not
wrong (a spoken excerpt's words, a video segment's own sound shorter than 3 s), "platform_assets", and "files"
[{external_id, path, contributor, title, media, role, order, wave}]. Ranges are seconds ("s") or character offsets
("chars") into the file's text; a still picture's range is null.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import subprocess
import textwrap
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SR = 16000
FFMPEG = ["ffmpeg", "-y", "-v", "error"]
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"]  # same bytes every build
FPS = 12
# A reused passage of words is at least this many characters (about 28 words): the words matcher reports passages
# of 25 words and up, below which unrelated texts share stock lines and proverbs (triage/lineage/words.py).
MIN_PASSAGE = 170
MIN_SOUND_S = 3.0  # issue 19: lineage finds sound excerpts of 3 s or more (pictures: 2 s or more)
FONTS = Path("/usr/share/fonts/truetype/dejavu")
FONT_NAMES = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"]
# Each contributor speaks in one voice of their own (accent, variant, pitch, pace), never another's: espeak-ng says a
# phrase the same way every time, and two people's recordings never share sound just because they share words.
ACCENTS = ["en-us", "en-gb", "en-029", "en-gb-x-rp", "en-gb-scotland", "en-us-nyc", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]
VARIANTS = ["m1", "f1", "m2", "f2", "m3", "f3", "m4", "f4", "m5", "f5", "m6", "klatt", "m7", "klatt2", "edward",
            "linda"]
CONTRIBUTORS = ["ama", "bryn", "cato", "dove", "esko", "fenna", "gil", "hana", "ivo", "juno", "kit", "lior",
                "mori", "nell", "oska", "pim"]
AUDIO_CODECS = {".mp3": ["-c:a", "libmp3lame", "-b:a", "64k"], ".m4a": ["-c:a", "aac", "-b:a", "64k"],
                ".ogg": ["-c:a", "libvorbis", "-q:a", "3"], ".wav": [], ".flac": []}
# Made-up word lists: one shared theme (the harbour at night) and other things, for stories and poems.
THEME_NOUNS = ["lantern", "harbour", "gull", "tide", "rope", "boat", "moon", "fog", "net", "shell", "pier", "wave",
               "anchor", "lighthouse", "oar", "sail", "buoy", "dock", "current", "starfish", "mast", "foghorn"]
OTHER_NOUNS = ["kettle", "garden", "bicycle", "attic", "violin", "orchard", "blanket", "window", "ladder", "teapot",
               "chimney", "pocket", "button", "staircase", "map", "clock", "feather", "marble", "tram", "umbrella"]
ADJECTIVES = ["silver", "quiet", "crooked", "patient", "restless", "salty", "tiny", "golden", "weathered", "hollow",
              "sleepy", "brave", "green", "frozen", "humming", "borrowed", "forgotten", "bright", "heavy", "gentle"]
VERBS = ["carried", "whispered to", "followed", "painted", "mended", "counted", "hid", "chased", "lifted",
         "remembered", "traded", "polished", "waited for", "sang about", "folded", "guarded", "found", "lost"]
VERBS_NOW = ["drift", "hum", "sway", "glow", "wander", "tremble", "gather", "circle", "linger", "shimmer", "rest"]
PLACES = ["by the pier", "under the lighthouse", "past the dock", "behind the boathouse", "at the edge of the tide",
          "in the old market", "on the roof", "beside the canal", "near the fish stalls", "across the bay"]
TIMES = ["Before dawn", "Every evening", "Long ago", "On the coldest night", "After the storm", "At low tide",
         "One windy morning", "When the bell rang", "Just after supper", "Later that week"]
NAMES = ["Tavi", "Orlen", "Mirro", "Quillan", "Sabeth", "Udo", "Wenna", "Yarrow", "Zelie", "Corvin", "Ilsa", "Berro"]
TITLES = ["my entry", "untitled", "for the call-out", "take one", "a little something", "first try", "new piece",
          "night sketch", "harbour thing", "draft", "remix attempt", "voice memo", "final cut", "for fun"]

# How many of each piece a 40-piece pool holds; other sizes scale it (each at least one).
PLAN = {"music": 4, "speech": 2, "video": 4, "head": 3, "text": 5, "image": 1, "reader": 2, "blank": 1,
        "sound": 4, "pictures": 3, "both": 1, "quoted": 2, "spoken": 3, "written": 2, "chain": 1}
BASE_ASSETS = 2
AT_LEAST = {"reader": 2, "sound": 3, "spoken": 2, "written": 2}  # every variant of these shows at least once


@dataclass
class Piece:
    """One file of the pool and what later reuses may take from it."""

    ext_id: str
    path: Path
    media: str
    contributor: str
    title: str
    wave: int
    length: float = 0.0  # seconds, or characters for a text
    content: tuple[float, float] = (0.0, 0.0)  # the span a reuse may take from (no black or silent ends)
    units: list[tuple[int, int]] = field(default_factory=list)  # a text's sentences or lines as char spans
    text: str = ""
    taken: list[tuple[float, float]] = field(default_factory=list)  # ranges already reused by someone
    speech: bool = False  # the sound is someone speaking (its words may match a transcript)
    source_ok: bool = False  # later pieces may reuse it (not an asset, a blank or a reading)
    role: str = ""


# --- processes ---------------------------------------------------------------------------------------------

def run(cmd: list[str], data: bytes | None = None) -> bytes:
    """Run a tool; raise with its stderr on failure."""
    done = subprocess.run(cmd, input=data, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:8])} ...\n{done.stderr.decode(errors='replace')[-1500:]}")
    return done.stdout


def speak(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """espeak-ng reading `text`, as float32 samples at SR."""
    wav = run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text])
    raw = run(["ffmpeg", "-v", "error", "-i", "pipe:0", "-f", "f32le", "-ac", "1", "-ar", str(SR), "pipe:1"], wav)
    return np.frombuffer(raw, dtype=np.float32).copy()


def decode_audio(path: Path, start: float = 0.0, seconds: float | None = None) -> np.ndarray:
    """A file's sound (or part of it) as mono float32 at SR."""
    span = ["-ss", f"{start:.3f}"] + (["-t", f"{seconds:.3f}"] if seconds else [])
    raw = run(["ffmpeg", "-v", "error", "-i", str(path), *span, "-vn", "-f", "f32le", "-ac", "1", "-ar", str(SR),
               "pipe:1"])
    return np.frombuffer(raw, dtype=np.float32).copy()


def decode_frames(path: Path, start: float, count: int, size: tuple[int, int], vf: str = "") -> np.ndarray:
    """`count` frames from `start`, at FPS and `size` after the filters `vf`, as uint8 (count, h, w, 3)."""
    w, h = size
    chain = ",".join(f for f in [f"fps={FPS}", vf, f"scale={w}:{h}"] if f)
    raw = run(["ffmpeg", "-v", "error", "-i", str(path), "-ss", f"{start:.3f}", "-vf", chain, "-frames:v",
               str(count), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
    frames = np.frombuffer(raw, dtype=np.uint8).reshape(-1, h, w, 3)
    if len(frames) < count:  # a short tail: hold the last frame
        frames = np.concatenate([frames, np.repeat(frames[-1:], count - len(frames), axis=0)])
    return frames


def write_wav(samples: np.ndarray, path: Path) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def write_audio(samples: np.ndarray, out: Path, tmp: Path) -> None:
    """Encode samples to `out` by its suffix (mp3, m4a, ogg, wav, flac)."""
    wav = tmp / "mix.wav"
    write_wav(samples, wav)
    run([*FFMPEG, "-i", str(wav), *AUDIO_CODECS[out.suffix], *BITEXACT, str(out)])


def write_video(frames: np.ndarray, samples: np.ndarray, out: Path, tmp: Path, vf: str = "") -> None:
    """H.264 + AAC mp4 from frames at FPS and a sound track of the same length."""
    wav = tmp / "track.wav"
    write_wav(fit(samples, len(frames) / FPS), wav)
    _, h, w, _ = frames.shape
    run([*FFMPEG, "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(FPS),
         "-i", "pipe:0", "-i", str(wav), *(["-vf", vf] if vf else []), "-c:v", "libx264", "-preset", "veryfast",
         "-crf", "28", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-shortest", *BITEXACT, str(out)],
        frames.tobytes())


def text_filter(textfile: Path, font: str, size: int, y: str, colour: str = "white", when: str = "") -> str:
    """An ffmpeg drawtext filter for the lines in `textfile`, centred, on a dim box."""
    parts = [f"fontfile={FONTS / font}", f"textfile={textfile}", f"fontsize={size}", f"fontcolor={colour}",
             "x=(w-text_w)/2", f"y={y}", "box=1", "boxcolor=black@0.55", "boxborderw=4", "line_spacing=3"]
    if when:
        parts.append(f"enable='{when}'")
    return "drawtext=" + ":".join(parts)


# --- sound -------------------------------------------------------------------------------------------------

def fit(samples: np.ndarray, seconds: float) -> np.ndarray:
    """Cut or pad with silence to exactly `seconds`."""
    n = int(round(seconds * SR))
    return samples[:n] if len(samples) >= n else np.concatenate([samples, np.zeros(n - len(samples), np.float32)])


def at_level(samples: np.ndarray, rms: float) -> np.ndarray:
    now = float(np.sqrt(np.mean(samples ** 2))) or 1.0
    return (samples * (rms / now)).astype(np.float32)


def faded(samples: np.ndarray, fade_in: float, fade_out: float) -> np.ndarray:
    out = samples.copy()
    a, b = int(fade_in * SR), int(fade_out * SR)
    if a:
        out[:a] *= np.linspace(0, 1, a, dtype=np.float32)
    if b:
        out[-b:] *= np.linspace(1, 0, b, dtype=np.float32)
    return out


def retimed(samples: np.ndarray, factor: float, how: str, tmp: Path) -> np.ndarray:
    """Played `factor` times as fast: 'atempo' keeps the pitch (ffmpeg), 'rate' resamples (like asetrate)."""
    if abs(factor - 1.0) < 1e-6:
        return samples
    if how == "rate":
        n = int(round(len(samples) / factor))
        return np.interp(np.arange(n) * factor, np.arange(len(samples)), samples).astype(np.float32)
    write_wav(samples, tmp / "tempo.wav")
    raw = run(["ffmpeg", "-v", "error", "-i", str(tmp / "tempo.wav"), "-af", f"atempo={factor:.4f}",
               "-f", "f32le", "-ac", "1", "-ar", str(SR), "pipe:1"])
    return np.frombuffer(raw, dtype=np.float32).copy()


def voiced(samples: np.ndarray) -> tuple[float, float]:
    """First and last moment (s) louder than a tenth of the loudest 20 ms."""
    hop = SR // 50
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop)
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    loud = np.flatnonzero(rms > 0.1 * rms.max())
    return float(loud[0] * hop / SR), float((loud[-1] + 1) * hop / SR)


def trimmed_speech(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """Speech with espeak's silent ends cut off, at a common level."""
    s = speak(text, voice, speed, pitch)
    a, b = voiced(s)
    return at_level(s[int(a * SR): int(b * SR)], 0.08)


def music(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """A seeded little tune: melody with harmonics over a bass line, kick and hat."""
    n = int(seconds * SR)
    out = np.zeros(n + SR, np.float32)
    beat = 60.0 / rng.uniform(84, 140)
    root = rng.uniform(110, 220)
    steps = [[0, 2, 4, 5, 7, 9, 11], [0, 2, 3, 5, 7, 8, 10], [0, 3, 5, 7, 10]][rng.integers(3)]
    t = 0.0
    while t < seconds:
        length = beat * rng.choice([0.5, 0.5, 1.0, 1.5])
        pitch = root * 2 ** ((steps[rng.integers(len(steps))] + 12 * rng.integers(1, 3)) / 12)
        _add_note(out, t, length, pitch, 0.25, rng.uniform(2, 6))
        t += length
    for i in range(int(seconds / beat)):
        bass = root / 2 * 2 ** (steps[[0, 3, 4, 0][(i // 4) % 4] % len(steps)] / 12)
        _add_note(out, i * beat, beat, bass, 0.3, 3.0)
        _add_drum(out, i * beat, rng, kick=i % 2 == 0)
    return at_level(out[:n], 0.1)


def _add_note(out: np.ndarray, start: float, length: float, pitch: float, gain: float, decay: float) -> None:
    a = int(start * SR)
    t = np.arange(int(length * SR)) / SR
    tone = sum(np.sin(2 * np.pi * pitch * k * t) / k ** 1.5 for k in (1, 2, 3, 4))
    seg = (gain * tone * np.exp(-decay * t) * np.minimum(1.0, t * 200)).astype(np.float32)
    out[a: a + len(seg)] += seg[: len(out) - a]


def _add_drum(out: np.ndarray, start: float, rng: np.random.Generator, kick: bool) -> None:
    a = int(start * SR)
    t = np.arange(int(0.15 * SR)) / SR
    if kick:
        seg = np.sin(2 * np.pi * (90 - 200 * t) * t) * np.exp(-25 * t)
    else:
        seg = rng.standard_normal(len(t)) * np.exp(-40 * t) * 0.3
    out[a: a + len(seg)] += seg[: len(out) - a].astype(np.float32)


def countdown() -> np.ndarray:
    """Three 1 kHz beeps a second apart, as recorders put before a take (a tone: never evidence)."""
    t = np.arange(int(0.2 * SR)) / SR
    beep = (0.1 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    return np.concatenate([np.concatenate([beep, np.zeros(SR - len(beep), np.float32)]) for _ in range(3)])


def applause(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Many hands clapping: short noise bursts at random moments, swelling and fading."""
    out = np.zeros(int(seconds * SR) + SR // 10, np.float32)
    clap = (rng.standard_normal(SR // 100) * np.exp(-np.arange(SR // 100) / 40)).astype(np.float32)
    for at in rng.uniform(0, seconds, int(seconds * 40)):
        a = int(at * SR)
        out[a: a + len(clap)] += clap * rng.uniform(0.2, 1.0)
    return faded(at_level(np.diff(out[: int(seconds * SR) + 1]), 0.08), 0.5, 1.0)


# --- pictures ----------------------------------------------------------------------------------------------

def grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    return np.mgrid[0:h, 0:w].astype(np.float32)


def backdrop(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth random texture in two random colours, (h, w, 3) float."""
    coarse = rng.random((4, 5))
    yy, xx = grid(h, w)
    field_ = coarse[(yy * 4 / h).astype(int), (xx * 5 / w).astype(int)]
    field_ = (field_ + np.roll(field_, w // 10, axis=1) + np.roll(field_, h // 8, axis=0)) / 3
    c1, c2 = rng.integers(20, 235, 3), rng.integers(20, 235, 3)
    return c1 * field_[..., None] + c2 * (1 - field_[..., None])


def animation(rng: np.random.Generator, seconds: float, size: tuple[int, int]) -> np.ndarray:
    """Scenes of coloured shapes drifting over textures, 2-5 s a scene."""
    w, h = size
    frames: list[np.ndarray] = []
    yy, xx = grid(h, w)
    total = int(round(seconds * FPS))
    while len(frames) < total:
        back = backdrop(rng, h, w)
        shapes = [(rng.random(2) * [w, h], rng.normal(0, w / 12, 2), rng.uniform(h / 14, h / 5),
                   rng.integers(0, 256, 3), rng.integers(2)) for _ in range(rng.integers(3, 7))]
        for k in range(min(total - len(frames), int(rng.uniform(2, 5) * FPS))):
            img = np.roll(back, k, axis=1).copy()
            for pos, vel, r, colour, square in shapes:
                cx, cy = (pos + vel * k / FPS) % [w, h]
                mask = (np.maximum(abs(xx - cx), abs(yy - cy)) < r) if square else ((xx - cx) ** 2 + (yy - cy) ** 2
                                                                                    < r * r)
                img[mask] = colour
            frames.append(img.astype(np.uint8))
    return np.stack(frames)


def talking_head(rng: np.random.Generator, samples: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A person talking to the camera in their own room: the same kind of shot for everyone (a head and shoulders
    in front of a wall), but each person's room, place in the frame, build, hair, colours and sway are their own."""
    w, h = size
    yy, xx = grid(h, w)
    room = backdrop(rng, h, w)
    for _ in range(rng.integers(1, 4)):  # a window, a shelf, a picture on the wall
        x0, y0 = rng.integers(0, w - w // 5), rng.integers(0, h // 2)
        room[y0: y0 + rng.integers(h // 8, h // 3), x0: x0 + rng.integers(w // 8, w // 3)] = rng.integers(0, 256, 3)
    skin, shirt, hair = rng.integers(90, 250, 3), rng.integers(0, 200, 3), rng.integers(0, 120, 3)
    x0, y0 = rng.uniform(0.3, 0.7) * w, rng.uniform(0.32, 0.45) * h
    rx, ry = rng.uniform(0.11, 0.19) * w, rng.uniform(0.18, 0.28) * h
    round_head, hair_drop = bool(rng.integers(2)), rng.uniform(0.2, 0.6)
    sway, period, shoulders = rng.uniform(1, 5), rng.uniform(4, 12), rng.uniform(0.2, 0.4) * w
    hop = SR // FPS
    level = np.sqrt(np.mean(samples[: len(samples) // hop * hop].reshape(-1, hop) ** 2, axis=1))
    level = level / (level.max() or 1.0)
    frames = []
    for k, loud in enumerate(level):
        img = room.copy()
        cx, cy = x0 + sway * math.sin(k / period), y0 + sway / 2 * math.sin(k / (period * 1.7))
        head = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1 if round_head else (
            (abs(xx - cx) < rx) & (abs(yy - cy) < ry))
        img[(yy > cy + ry * 1.2) & (abs(xx - cx) < shoulders)] = shirt
        img[head] = skin
        img[head & (yy < cy - ry * (1 - hair_drop))] = hair
        if k % 40 > 2:  # eyes open except a blink
            for ex in (cx - rx * 0.4, cx + rx * 0.4):
                img[(xx - ex) ** 2 + (yy - (cy - ry * 0.2)) ** 2 < (w / 60) ** 2] = 20
        img[(abs(xx - cx) < rx * 0.4) & (abs(yy - (cy + ry * 0.45)) < 1 + loud * ry * 0.2)] = (90, 20, 30)
        frames.append(img.astype(np.uint8))
    return np.stack(frames)


def black(seconds: float, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    return np.zeros((int(round(seconds * FPS)), h, w, 3), np.uint8)


# --- words -------------------------------------------------------------------------------------------------

def sentence(rng: random.Random, theme: bool = True) -> str:
    nouns = THEME_NOUNS if theme else OTHER_NOUNS
    n1, n2 = rng.sample(nouns, 2)
    forms = [
        f"{rng.choice(TIMES)}, {rng.choice(NAMES)} {rng.choice(VERBS)} a {rng.choice(ADJECTIVES)} {n1} "
        f"{rng.choice(PLACES)}.",
        f"The {rng.choice(ADJECTIVES)} {n1} {rng.choice(VERBS)} the {n2} while {rng.choice(NAMES)} watched.",
        f"Nobody knew why the {n1} {rng.choice(VERBS)} every {rng.choice(ADJECTIVES)} {n2}.",
        f"{rng.choice(NAMES)} kept a {rng.choice(ADJECTIVES)} {n1} in a {rng.choice(OTHER_NOUNS)} "
        f"and {rng.choice(VERBS)} it {rng.choice(PLACES)}.",
        f"{rng.choice(TIMES)} the {n1} and the {n2} {rng.choice(VERBS)} {rng.choice(NAMES)} home.",
        f"In the {rng.choice(ADJECTIVES)} light, {rng.choice(NAMES)} {rng.choice(VERBS)} the {n1} and said nothing "
        f"about the {n2}.",
        f"{rng.choice(NAMES)} swore the {n1} had {rng.choice(VERBS)} a {rng.choice(ADJECTIVES)} {n2}.",
        f"Some say the {n1} still {rng.choice(VERBS_NOW)}s {rng.choice(PLACES)}, {rng.choice(ADJECTIVES)} as ever.",
        f"There was once a {rng.choice(ADJECTIVES)} {n1} that only {rng.choice(NAMES)} could hear.",
        f"{rng.choice(TIMES)}, a {n1} fell into the {n2} and nobody minded.",
    ]
    return rng.choice(forms)


def poem_line(rng: random.Random) -> str:
    n1, n2 = rng.sample(THEME_NOUNS + OTHER_NOUNS, 2)
    forms = [f"{rng.choice(ADJECTIVES)} {n1}s {rng.choice(VERBS_NOW)} {rng.choice(PLACES)}",
             f"where the {n1} {rng.choice(VERBS_NOW)}s and the {n2} is {rng.choice(ADJECTIVES)}",
             f"I {rng.choice(VERBS)} the {rng.choice(ADJECTIVES)} {n1}",
             f"{rng.choice(TIMES).lower()} the {n1} will {rng.choice(VERBS_NOW)} again",
             f"a {rng.choice(ADJECTIVES)} {n1} for every {n2}",
             f"{rng.choice(NAMES)}, do you see the {n1}",
             f"nothing {rng.choice(VERBS_NOW)}s like a {rng.choice(ADJECTIVES)} {n1}"]
    line = rng.choice(forms)
    return line[0].upper() + line[1:]


def compose(units: list[str], sep: str) -> tuple[str, list[tuple[int, int]]]:
    """Join units with `sep`; return the text and each unit's char span."""
    spans, pos = [], 0
    for u in units:
        spans.append((pos, pos + len(u)))
        pos += len(u) + len(sep)
    return sep.join(units), spans


def story(rng: random.Random, n: int, theme: bool = True) -> list[str]:
    return [sentence(rng, theme) for _ in range(n)]


# --- the pool ----------------------------------------------------------------------------------------------

class Pool:
    """Makes the pieces, remembers the planted edges, writes the corpus."""

    def __init__(self, out: Path, seed: int, pieces: int):
        self.out, self.media, self.tmp = out, out / "media", out / ".tmp"
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.counts = plan(pieces)
        self.pieces: list[Piece] = []
        self.edges: list[dict] = []
        self.tolerated: list[dict] = []
        self.assets: list[Piece] = []
        self.spoken: dict[str, str] = {}
        self.quoters: list[Piece] = []
        self.role = ""

    # -- bookkeeping
    def new(self, suffix: str, media: str, wave_: int, avoid: tuple[str, ...] = (), title: str = "",
            who: str = "") -> Piece:
        ext_id = f"lin-{self.rng.randrange(16 ** 6):06x}"
        who = who or self.who(avoid)
        piece = Piece(ext_id, self.media / f"{ext_id}{suffix}", media, who, title or self.rng.choice(TITLES), wave_,
                      role=self.role)
        self.pieces.append(piece)
        return piece

    def edge(self, user: Piece, source: Piece, kind: str, source_range: tuple[float, float] | None,
             range_: tuple[float, float] | None, how: str, source_unit: str = "s", unit: str = "s") -> None:
        self.edges.append({"user": user.ext_id, "source": source.ext_id, "kind": kind,
                           "source_range": _round(source_range), "range": _round(range_),
                           "source_unit": source_unit, "unit": unit, "how": how})
        if source.speech and kind == "audio":  # its words are in the user's transcript too: not wrong to find
            self.tolerated.append({"user": user.ext_id, "source": source.ext_id, "kind": "text"})

    def claim(self, source: Piece, length: float) -> float:
        """A start in the source's content span for `length` that overlaps no earlier reuse of it."""
        lo, hi = source.content
        for _ in range(200):
            start = self.rng.uniform(lo, max(lo, hi - length))
            if all(start + length <= a or start >= b for a, b in source.taken):
                source.taken.append((start, start + length))
                return start
        raise RuntimeError(f"no free {length:.1f} s left in {source.ext_id}")

    def claim_units(self, source: Piece, lo_chars: int, hi_chars: int) -> tuple[int, int]:
        """Consecutive sentences (or lines) of a text, `lo_chars`-`hi_chars` long, not reused before."""
        spans = source.units
        options = [(i, j) for i in range(len(spans)) for j in range(i, len(spans))
                   if lo_chars <= spans[j][1] - spans[i][0] <= hi_chars]
        self.rng.shuffle(options)
        for i, j in options:
            start, end = spans[i][0], spans[j][1]
            if all(end <= a or start >= b for a, b in source.taken):
                source.taken.append((start, end))
                return start, end
        raise RuntimeError(f"no free passage left in {source.ext_id}")

    def who(self, avoid: tuple[str, ...] = ()) -> str:
        return self.rng.choice([c for c in CONTRIBUTORS if c not in avoid])

    def voice(self, who: str) -> tuple[str, int, int]:
        """The contributor's own voice, a little different each recording (pace and pitch)."""
        i = CONTRIBUTORS.index(who)
        return (f"{ACCENTS[i % len(ACCENTS)]}+{VARIANTS[i % len(VARIANTS)]}",
                150 + (i * 7) % 30 + self.rng.randint(-15, 15), 25 + (i * 23) % 50 + self.rng.randint(-10, 10))

    def size(self) -> tuple[int, int]:
        return self.rng.choice([(160, 120), (160, 120), (320, 240)])

    def pick(self, kind: str) -> Piece:
        """The least-used source of a kind (so passages spread over sources)."""
        return self.least_used([p for p in self.pieces if p.source_ok and p.media == kind and not p.speech])

    def least_used(self, sources: list[Piece]) -> Piece:
        return min(sources, key=lambda p: (len(p.taken), self.rng.random()))

    # -- originals
    def make_assets(self, _: int) -> None:
        theme = self.new(".mp3", "audio", 0, title="studio theme")
        theme.contributor = "studio"
        song = music(self.np, 10.0)
        write_audio(song, theme.path, self.tmp)
        self.theme = song
        intro = self.new(".mp4", "video", 0, title="studio intro")
        intro.contributor = "studio"
        self.intro = animation(self.np, 3.0, (160, 120))
        write_video(self.intro, song[: 3 * SR], intro.path, self.tmp)
        self.assets = [theme, intro]

    def theme_bed(self, seconds: float) -> np.ndarray:
        """The platform theme, looped and faded, quiet, `seconds` long."""
        loops = np.tile(self.theme, int(seconds // 10) + 1)
        return faded(fit(loops, seconds), 0.5, 1.0) * 0.6

    def make_music(self, _: int) -> None:
        """A member's song."""
        seconds = self.rng.uniform(14, 22)
        p = self.new(self.rng.choice([".mp3", ".ogg", ".wav", ".flac"]), "audio", 1)
        write_audio(music(self.np, seconds), p.path, self.tmp)
        p.length, p.content, p.source_ok = seconds, (0.5, seconds - 0.5), True

    def make_speech(self, k: int) -> None:
        """Someone reading their own story aloud (not in the pool as text); the first has the theme under it."""
        text, who = " ".join(story(self.rng, self.rng.randint(4, 6))), self.who()
        s = np.concatenate([np.zeros(SR // 2, np.float32), trimmed_speech(text, *self.voice(who)),
                            np.zeros(SR, np.float32)])
        if k == 0:
            s = s + self.theme_bed(len(s) / SR)
        head = 3.0 if k == 1 else 0.0  # the second opens on a countdown
        s = np.concatenate([countdown(), s]) if head else s
        p = self.new(self.rng.choice([".mp3", ".m4a", ".wav"]), "audio", 1, who=who)
        p.speech, p.source_ok, p.length, p.content = True, True, len(s) / SR, (head + 0.7, len(s) / SR - 1.0)
        write_audio(s, p.path, self.tmp)
        self.spoken[p.ext_id] = text

    def make_video(self, k: int) -> None:
        """Animated shapes with a fresh tune; some open on the intro or on black, some end on black."""
        seconds = self.rng.uniform(12, 20)
        size = self.size()
        frames = animation(self.np, seconds, size)
        sound = music(self.np, seconds)
        head, tail = 0.0, 0.0
        if k % 4 == 1:  # the platform intro first
            intro = np.stack([resized(f, size) for f in self.intro])
            frames, sound = np.concatenate([intro, frames]), np.concatenate([self.theme[: 3 * SR], sound])
            head = 3.0
        if k % 4 in (2, 3):  # black frames and silence at the start and the end
            head, tail = self.rng.uniform(1, 2.5), self.rng.uniform(1, 2)
            frames = np.concatenate([black(head, size), frames, black(tail, size)])
            sound = np.concatenate([np.zeros(int(head * SR), np.float32), sound, np.zeros(int(tail * SR), np.float32)])
        p = self.new(".mp4", "video", 1)
        p.length = len(frames) / FPS
        p.content, p.source_ok = (head + 0.3, p.length - tail - 0.3), True
        write_video(frames, sound, p.path, self.tmp)

    def make_head(self, k: int) -> None:
        """A talking head reading their own words; one has the theme under it."""
        text, who = " ".join(story(self.rng, self.rng.randint(2, 4), theme=bool(k % 2))), self.who()
        s = np.concatenate([np.zeros(SR // 2, np.float32), trimmed_speech(text, *self.voice(who)),
                            np.zeros(SR // 2, np.float32)])
        if k == 1:
            s = s + self.theme_bed(len(s) / SR)
        p = self.new(".mp4", "video", 1, who=who)
        p.speech, p.source_ok, p.length, p.content = True, True, len(s) / SR, (0.6, len(s) / SR - 0.6)
        if k == 2:  # the third ends in applause
            s = np.concatenate([s, applause(self.np, 3.0)])
        write_video(talking_head(self.np, s, (160, 120)), s, p.path, self.tmp)
        self.spoken[p.ext_id] = text

    def make_text(self, k: int) -> None:
        """A story (sentences) or a poem (lines) on the call-out's theme."""
        if k % 2:
            units, sep = [poem_line(self.rng) for _ in range(self.rng.randint(16, 22))], "\n"
        else:
            units, sep = story(self.rng, self.rng.randint(11, 15)), " "
        text, spans = compose(units, sep)
        p = self.new(".txt", "text", 1)
        p.path.write_text(text + "\n")
        p.text, p.units, p.length, p.source_ok = text, spans, float(len(text)), True

    def make_image(self, _: int) -> None:
        """A poster with its maker's own lines on it (words in a picture that are nobody else's)."""
        lines = "\n".join(poem_line(self.rng) for _ in range(3))
        p = self.new(".png", "image", 1, title="poster")
        self.poster(lines, p.path)

    def poster(self, lines: str, out: Path) -> None:
        (self.tmp / "lines.txt").write_text(lines)
        back = backdrop(self.np, 360, 480).astype(np.uint8)
        vf = text_filter(self.tmp / "lines.txt", self.rng.choice(FONT_NAMES), self.rng.choice([18, 20]),
                         "(h-text_h)/2")
        run([*FFMPEG, "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "480x360", "-i", "pipe:0",
             "-vf", vf, "-frames:v", "1", *BITEXACT, str(out)], back.tobytes())

    def make_readers(self, _: int) -> None:
        """Two people read the same old-style fable, which is not a piece of the pool: no edge either way. Both
        open on the same countdown beeps; the first ends in applause."""
        fable = " ".join(story(self.rng, 3, theme=False))
        readers: tuple[str, ...] = ()
        for k in range(self.counts["reader"]):
            who = self.who(avoid=readers)
            s = np.concatenate([countdown(), self.reading(fable, who, k), np.zeros(SR // 2, np.float32)])
            s = np.concatenate([s, applause(self.np, 2.5)]) if k == 0 else s
            p = self.new(self.rng.choice([".m4a", ".mp3"]), "audio", 1, title="a reading", who=who)
            readers += (who,)
            write_audio(s, p.path, self.tmp)
            self.spoken[p.ext_id] = fable

    def reading(self, text: str, who: str, k: int) -> np.ndarray:
        """`who` reads `text` sentence by sentence with pauses of their own, at a pace and pitch far from the other
        reader's (people differ more than espeak-ng's voices do: one reads slowly and low, the next fast and high)."""
        voice = self.voice(who)[0]
        speed, pitch = (self.rng.randint(125, 135), self.rng.randint(15, 30)) if k % 2 == 0 else (
            self.rng.randint(180, 195), self.rng.randint(65, 80))
        parts = []
        for said in text.split(". "):
            parts += [trimmed_speech(said, voice, speed, pitch), np.zeros(int(self.rng.uniform(0.15, 0.9) * SR),
                                                                        np.float32)]
        return np.concatenate(parts)

    def make_blanks(self, k: int) -> None:
        """Failed uploads: black and silent video, and near-silent audio."""
        p = self.new(".mp4", "video", 1, title="test")
        seconds = 6.0 + k / 2  # no two files alike byte for byte
        write_video(black(seconds, (160, 120)), np.zeros(int(seconds * SR), np.float32), p.path, self.tmp)
        q = self.new(".wav", "audio", 1, title="test upload")
        write_audio(self.np.standard_normal(8 * SR).astype(np.float32) * 0.0005, q.path, self.tmp)

    # -- users (planted reuse)
    def make_sound(self, k: int) -> None:
        """A's excerpt under B's speech (or B's own tune), level-changed, faded, retimed, re-encoded."""
        source = self.pick("audio") if k % 4 else self.pick_speech()
        length = self.rng.uniform(3, 8)
        start = self.claim(source, length)
        factor = [1.0, self.rng.uniform(0.9, 0.97), self.rng.uniform(1.03, 1.1)][k % 3]  # same, slower, faster
        how = ["atempo", "rate"][(k + k // 3) % 2]
        excerpt = retimed(decode_audio(source.path, start, length), factor, how, self.tmp)
        excerpt = faded(at_level(excerpt, 0.1 * 10 ** (self.rng.uniform(-8, 0) / 20)), self.rng.uniform(0.2, 0.6),
                        self.rng.uniform(0.2, 0.6))
        who = self.who(avoid=(source.contributor,))
        bed = (trimmed_speech(" ".join(story(self.rng, 4)), *self.voice(who)) if k % 3 != 2
               else music(self.np, self.rng.uniform(12, 18)))
        at = self.rng.uniform(0.5, max(0.6, len(bed) / SR - len(excerpt) / SR - 0.5))
        total = max(len(bed) / SR, at + len(excerpt) / SR + 0.8)
        mix = fit(bed, total)
        mix[int(at * SR): int(at * SR) + len(excerpt)] += excerpt
        as_video = k % 2 == 1
        user = self.new(".mp4" if as_video else self.rng.choice([".mp3", ".m4a"]), "video" if as_video else "audio",
                        2, who=who)
        if as_video:
            write_video(animation(self.np, total, self.size()), mix, user.path, self.tmp)
        else:
            write_audio(mix, user.path, self.tmp)
        self.edge(user, source, "audio", (start, start + length), (at, at + len(excerpt) / SR),
                  f"sound x{factor:.3f} ({how}) under {'speech' if k % 3 != 2 else 'music'}")

    def pick_speech(self) -> Piece:
        return self.least_used([p for p in self.pieces if p.source_ok and p.media == "audio" and p.speech])

    def segment_filter(self, k: int) -> tuple[str, str]:
        """How a reused segment is changed (ffmpeg filters before the final scale) and the words for it."""
        caption = self.tmp / f"caption{k}.txt"
        caption.write_text(self.rng.choice(["remix!", "look at this", "part two", "from the archive"]))
        choices = [("hflip", "mirrored"),
                   ("scale=iw*3/4:ih*3/4,pad=iw*4/3:ih*4/3:(ow-iw)/2:(oh-ih)/2:black", "letterboxed"),
                   (text_filter(caption, self.rng.choice(FONT_NAMES), 14, "h-text_h-6"), "captioned"),
                   ("eq=brightness=0.05:saturation=1.3", "recoloured"),
                   ("crop=iw*4/5:ih*4/5", "cropped"),
                   ("drawbox=x=iw-iw/6:y=4:w=iw/8:h=iw/8:color=yellow@0.8:t=fill", "logo")]
        picked = self.rng.sample(choices, 2)
        return ",".join(f for f, _ in picked), "+".join(n for _, n in picked)

    def spliced(self, source: Piece, who: str, k: int, size: tuple[int, int], with_sound: bool) -> tuple[
            np.ndarray, np.ndarray, tuple[float, float], tuple[float, float], str]:
        """B's own frames, then A's segment (changed), then B's own again; B's speech under all unless
        `with_sound`, where A's sound plays during the segment."""
        count = self.rng.randint(2 * FPS, 6 * FPS)
        start = self.claim(source, count / FPS)
        vf, how = self.segment_filter(k)
        segment = decode_frames(source.path, start, count, size, vf)
        before, after = self.rng.uniform(3, 7), self.rng.uniform(3, 7)
        frames = np.concatenate([animation(self.np, before, size), segment, animation(self.np, after, size)])
        at, total = round(before * FPS) / FPS, len(frames) / FPS
        if with_sound:
            theirs = decode_audio(source.path, start, count / FPS)
            words = trimmed_speech(" ".join(story(self.rng, 1)), *self.voice(who))
            sound = np.concatenate([fit(words, at), fit(theirs, count / FPS), fit(music(self.np, after), after)])
        else:
            sound = fit(trimmed_speech(" ".join(story(self.rng, 4)), *self.voice(who)), total)
        return frames, sound, (start, start + count / FPS), (at, at + count / FPS), how

    def make_pictures(self, k: int, with_sound: bool = False) -> None:
        source = self.pick("video") if (k % 3 or with_sound) else self.pick_head()
        user = self.new(".mp4", "video", 2, avoid=(source.contributor,))
        frames, sound, theirs, ours, how = self.spliced(source, user.contributor, k, self.size(), with_sound)
        write_video(frames, sound, user.path, self.tmp)
        self.edge(user, source, "video", theirs, ours, how)
        if with_sound and theirs[1] - theirs[0] >= MIN_SOUND_S:
            self.edge(user, source, "audio", theirs, ours, "the segment's own sound")
        elif with_sound:  # shorter than the sound excerpts lineage must find: not wrong to find, not a miss either
            self.tolerated.append({"user": user.ext_id, "source": source.ext_id, "kind": "audio"})

    def pick_head(self) -> Piece:
        return self.least_used([p for p in self.pieces if p.source_ok and p.media == "video" and p.speech])

    def make_quoted(self, _: int) -> None:
        """B's text with a passage of A quoted in the middle (a poem's lines may be joined with slashes)."""
        source = self.pick("text")
        a, b = self.claim_units(source, MIN_PASSAGE, 400)
        passage = source.text[a:b]
        if "\n" in passage and self.rng.random() < 0.5:
            passage = passage.replace("\n", " / ")
        first, last = " ".join(story(self.rng, 3)), " ".join(story(self.rng, 2))
        lead = f"{first}\n\nAs {source.contributor} put it:\n\""
        text = f"{lead}{passage}\"\n\n{last}"
        user = self.new(".txt", "text", 2, avoid=(source.contributor,))
        user.path.write_text(text + "\n")
        user.text = text
        self.edge(user, source, "text", (a, b), (len(lead), len(lead) + len(passage)), "quoted", "chars", "chars")
        self.quoters.append(user)

    def make_chain(self, k: int) -> None:
        """C quotes B's own opening (not the part B took from A): an edge to B only."""
        middle = self.quoters[k % len(self.quoters)]
        first = middle.text.split("\n\n")[0]
        cut = first.rfind(". ", MIN_PASSAGE, 320) + 1 or len(first)
        passage = first[:cut]
        own = " ".join(story(self.rng, 2))
        text = f"{own}\n\n{passage}\n\n(after {middle.contributor})"
        user = self.new(".txt", "text", 3, avoid=(middle.contributor,))
        user.path.write_text(text + "\n")
        start = len(own) + 2
        self.edge(user, middle, "text", (0, len(passage)), (start, start + len(passage)), "quoted, second hand",
                  "chars", "chars")

    def make_spoken(self, k: int) -> None:
        """B reads A's passage between their own words, as audio or as a talking head."""
        source = self.pick("text")
        a, b = self.claim_units(source, MIN_PASSAGE, 280)
        who = self.who(avoid=(source.contributor,))
        voice = self.voice(who)
        parts = [trimmed_speech(" ".join(story(self.rng, 2)), *voice), np.zeros(int(0.8 * SR), np.float32),
                 trimmed_speech(source.text[a:b].replace("\n", ". "), *voice), np.zeros(int(0.8 * SR), np.float32),
                 trimmed_speech(" ".join(story(self.rng, 1)), *voice)]
        at = (len(parts[0]) + len(parts[1])) / SR
        s = np.concatenate(parts)
        as_video = k % 2 == 1
        user = self.new(".mp4" if as_video else self.rng.choice([".mp3", ".m4a", ".ogg"]),
                        "video" if as_video else "audio", 2, who=who)
        if as_video:
            write_video(talking_head(self.np, s, (160, 120)), s, user.path, self.tmp)
        else:
            write_audio(s, user.path, self.tmp)
        self.edge(user, source, "text", (a, b), (at, at + len(parts[2]) / SR), "read aloud", "chars", "s")

    def make_written(self, k: int) -> None:
        """A's lines drawn into B's poster (no time range) or into part of B's video."""
        source = self.pick("text")
        a, b = self.claim_units(source, MIN_PASSAGE, 230)
        lines = "\n".join(textwrap.wrap(source.text[a:b].replace("\n", " "), 30 if k % 2 else 32))
        if k % 2 == 0:
            user = self.new(".png" if k % 4 == 0 else ".jpg", "image", 2, avoid=(source.contributor,))
            self.poster(lines, user.path)
            self.edge(user, source, "text", (a, b), None, "drawn on a poster", "chars", "image")
            return
        size, seconds = (320, 240), self.rng.uniform(12, 18)
        shown = self.rng.uniform(2, seconds - 8)
        (self.tmp / "lines.txt").write_text(lines)
        vf = text_filter(self.tmp / "lines.txt", self.rng.choice(FONT_NAMES), 15, "(h-text_h)/2",
                         when=f"between(t,{shown:.2f},{shown + 6:.2f})")
        user = self.new(".mp4", "video", 2, avoid=(source.contributor,))
        write_video(animation(self.np, seconds, size), music(self.np, seconds), user.path, self.tmp, vf)
        self.edge(user, source, "text", (a, b), (shown, shown + 6), "drawn into the video", "chars", "s")

    # -- the whole
    def build(self) -> None:
        """Every piece, sources first; `role` names what each is (in truth.json's files, for reading results)."""
        makers = [("asset", self.make_assets, 1), ("music", self.make_music, self.counts["music"]),
                  ("speech", self.make_speech, self.counts["speech"]), ("video", self.make_video, self.counts["video"]),
                  ("talking head", self.make_head, self.counts["head"]), ("text", self.make_text, self.counts["text"]),
                  ("poster", self.make_image, self.counts["image"]), ("reading", self.make_readers, 1),
                  ("blank", self.make_blanks, self.counts["blank"]),
                  ("uses sound", self.make_sound, self.counts["sound"]),
                  ("uses pictures", self.make_pictures, self.counts["pictures"]),
                  ("uses pictures and sound", self.make_both, self.counts["both"]),
                  ("quotes words", self.make_quoted, self.counts["quoted"]),
                  ("reads words aloud", self.make_spoken, self.counts["spoken"]),
                  ("shows words", self.make_written, self.counts["written"]),
                  ("quotes a quoter", self.make_chain, self.counts["chain"])]
        for role, make, count in makers:
            self.role = role
            for k in range(count):
                make(k)

    def make_both(self, k: int) -> None:
        self.make_pictures(k, with_sound=True)

    def write(self) -> None:
        """submissions.jsonl in ingest order (by wave, shuffled within one), callouts.json and truth.json."""
        order = sorted(self.pieces, key=lambda p: (p.wave, self.rng.random()))
        files = [{"external_id": p.ext_id, "path": str(p.path.relative_to(self.out)), "title": p.title,
                  "contributor": p.contributor, "media": p.media, "role": p.role, "order": i, "wave": p.wave}
                 for i, p in enumerate(order)]
        with open(self.out / "submissions.jsonl", "w") as f:
            f.writelines(json.dumps({k: row[k] for k in ("external_id", "path", "title", "contributor")}) + "\n"
                         for row in files)
        callouts = [{"id": "remix", "title": "Remix studio",
                     "brief": "Build on each other's pieces: stories, songs, films and drawings about the harbour."}]
        (self.out / "callouts.json").write_text(json.dumps(callouts, indent=1))
        for e in self.edges:
            e["share"] = share(e, self.out / next(f["path"] for f in files if f["external_id"] == e["user"]))
        truth = {"edges": self.edges, "tolerated": self.tolerated,
                 "platform_assets": [p.ext_id for p in self.assets], "files": files,
                 "category": {p.ext_id: "piece" for p in order}, "duplicate_groups": [],
                 "relevant": {"remix": ["piece"]}, "spoken": self.spoken}
        (self.out / "truth.json").write_text(json.dumps(truth, indent=1))


def resized(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of one frame to (w, h)."""
    w, h = size
    ys = (np.arange(h) * frame.shape[0] / h).astype(int)
    xs = (np.arange(w) * frame.shape[1] / w).astype(int)
    return frame[ys][:, xs]


def share(edge: dict, user: Path) -> float | None:
    """How much of the user is the source's: the range's length over the user's length (None for a still)."""
    if edge["range"] is None:
        return None
    if edge["unit"] == "chars":
        length = len(user.read_text()) - 1  # the file's closing newline
    else:
        length = float(run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                            str(user)]).decode())
    return round(min(1.0, (edge["range"][1] - edge["range"][0]) / length), 3)


def _round(r: tuple[float, float] | None) -> list[float] | None:
    return None if r is None else [round(float(r[0]), 3), round(float(r[1]), 3)]


def plan(pieces: int) -> dict[str, int]:
    """Counts for a pool of about `pieces` files (assets included), each kind at least once."""
    scale = max(pieces - BASE_ASSETS, 1) / (sum(PLAN.values()) + 0.0)
    counts = {k: max(AT_LEAST.get(k, 1), round(v * scale)) for k, v in PLAN.items()}
    counts["reader"] = 2
    counts["text"] = max(counts["text"], math.ceil((counts["quoted"] + counts["spoken"] + counts["written"]) / 2))
    counts["music"] = max(counts["music"], math.ceil(counts["sound"] * 3 / 4 / 2))
    counts["video"] = max(counts["video"], math.ceil((counts["pictures"] + counts["both"]) / 2))
    counts["chain"] = min(counts["chain"], counts["quoted"])
    return counts


def summary(out: Path, seconds: float) -> dict[str, object]:
    truth = json.loads((out / "truth.json").read_text())
    files = list((out / "media").iterdir())
    by_kind: dict[str, int] = {}
    for e in truth["edges"]:
        by_kind[e["kind"]] = by_kind.get(e["kind"], 0) + 1
    return {"files": len(files), "bytes": sum(f.stat().st_size for f in files), "edges": len(truth["edges"]),
            "edges_by_kind": by_kind, "tolerated": len(truth["tolerated"]), "assets": truth["platform_assets"],
            "seconds": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the corpus folder (replaced)")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--pieces", type=int, default=40, help="about how many files, assets included")
    args = parser.parse_args()
    out = args.out.resolve()
    began = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    (out / "media").mkdir(parents=True)
    (out / ".tmp").mkdir()
    pool = Pool(out, args.seed, args.pieces)
    pool.build()
    pool.write()
    shutil.rmtree(out / ".tmp")
    print(json.dumps(summary(out, time.perf_counter() - began)))


if __name__ == "__main__":
    main()
