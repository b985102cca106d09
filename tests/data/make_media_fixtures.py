"""Regenerate the small media fixtures in tests/data/media/ (needs ffmpeg, espeak-ng and Pillow).

Run once from the repository root and commit the outputs:

    .venv/bin/python tests/data/make_media_fixtures.py

Speech is synthesised with espeak-ng; what each file says is written to media/spoken.json so that
transcription tests can reuse the clips.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent / "media"
GOOD = OUT / "good"
BAD = OUT / "bad"

SENTENCES = {
    "a": "The quick brown fox jumps over the lazy dog near the river bank.",
    "b": "Please call Stella and ask her to bring these things with her from the store.",
    "c": "I filmed my neighbours dancing on the front lawn at midnight.",
    "d": "One small step for a man, one giant leap for the whole family.",
}

VIDEO_SIZE = "320x240"


def run(*args: str) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ffmpeg(*args: str) -> None:
    run("ffmpeg", "-y", "-hide_banner", "-loglevel", "error", *args)


def speak(text: str, wav: Path) -> None:
    run("espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text)


def make_speech(tmp: Path) -> dict[str, Path]:
    wavs = {}
    for key, text in SENTENCES.items():
        wavs[key] = tmp / f"{key}.wav"
        speak(text, wavs[key])
    return wavs


def make_video(tmp: Path, wavs: dict[str, Path], spoken: dict[str, str]) -> None:
    src = f"testsrc2=size={VIDEO_SIZE}:rate=25"
    h264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "32", "-pix_fmt", "yuv420p"]
    aac = ["-c:a", "aac", "-b:a", "48k", "-ac", "1"]
    # moov at the end (ffmpeg's default) so that cutting the file loses the index
    ffmpeg("-f", "lavfi", "-i", src, "-i", str(wavs["a"]), "-shortest", *h264, *aac, str(GOOD / "speech.mp4"))
    spoken["good/speech.mp4"] = SENTENCES["a"]
    ffmpeg("-f", "lavfi", "-i", f"mandelbrot=size={VIDEO_SIZE}:rate=25", "-i", str(wavs["b"]), "-shortest",
           "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "150k",
           "-c:a", "libopus", "-b:a", "32k", str(GOOD / "speech.webm"))
    spoken["good/speech.webm"] = SENTENCES["b"]
    ffmpeg("-f", "lavfi", "-i", f"smptehdbars=size={VIDEO_SIZE}:rate=25", "-i", str(wavs["c"]), "-shortest",
           *h264, *aac, "-f", "mov", str(GOOD / "speech.mov"))
    spoken["good/speech.mov"] = SENTENCES["c"]
    ffmpeg("-f", "lavfi", "-i", f"{src}:duration=3", *h264, "-an", "-movflags", "+faststart",
           str(GOOD / "silent.mp4"))
    # a talking video with one hard cut between two unlike scenes at 2.5 s
    ffmpeg("-f", "lavfi", "-i", f"smptebars=size={VIDEO_SIZE}:rate=25:duration=2.5",
           "-f", "lavfi", "-i", f"mandelbrot=size={VIDEO_SIZE}:rate=25",
           "-i", str(wavs["d"]),
           "-filter_complex", "[1:v]trim=duration=2.5,setpts=PTS-STARTPTS[b];[0:v][b]concat=n=2:v=1:a=0[v]",
           "-map", "[v]", "-map", "2:a", "-t", "5", *h264, *aac, str(GOOD / "scene_cut.mp4"))
    spoken["good/scene_cut.mp4"] = SENTENCES["d"]
    # two seconds of black before the picture starts
    ffmpeg("-f", "lavfi", "-i", f"color=c=black:size={VIDEO_SIZE}:rate=25:duration=2",
           "-f", "lavfi", "-i", f"{src}:duration=3",
           "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", *h264,
           str(GOOD / "black_intro.mp4"))


def make_audio(tmp: Path, wavs: dict[str, Path], spoken: dict[str, str]) -> None:
    src = str(wavs["a"])
    ffmpeg("-i", src, "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", str(GOOD / "speech.wav"))
    ffmpeg("-i", src, "-c:a", "libmp3lame", "-b:a", "32k", str(GOOD / "speech.mp3"))
    ffmpeg("-i", src, "-c:a", "libvorbis", "-q:a", "0", str(GOOD / "speech.ogg"))
    ffmpeg("-i", src, "-c:a", "flac", str(GOOD / "speech.flac"))
    ffmpeg("-i", src, "-c:a", "aac", "-b:a", "32k", str(GOOD / "speech.m4a"))
    cover = tmp / "cover.jpg"
    picture(200, 200, "cover").save(cover, quality=80)
    ffmpeg("-i", str(wavs["c"]), "-i", str(cover), "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame",
           "-b:a", "32k", "-c:v", "copy", "-id3v2_version", "3", "-disposition:v", "attached_pic",
           str(GOOD / "cover_art.mp3"))
    for name in ("speech.wav", "speech.mp3", "speech.ogg", "speech.flac", "speech.m4a"):
        spoken[f"good/{name}"] = SENTENCES["a"]
    spoken["good/cover_art.mp3"] = SENTENCES["c"]


def picture(width: int, height: int, label: str) -> Image.Image:
    """A busy, clearly non-uniform picture with an arrow pointing up, so rotation is visible."""
    img = Image.new("RGB", (width, height), (30, 90, 160))
    draw = ImageDraw.Draw(img)
    for i in range(0, width, 20):
        draw.line([(i, 0), (i, height)], fill=(200, 200, 60), width=2)
    draw.rectangle([0, 0, width // 2, height // 4], fill=(220, 40, 40))  # red band at the top-left
    draw.polygon([(width // 2, 10), (width // 2 - 30, 60), (width // 2 + 30, 60)], fill=(255, 255, 255))
    draw.text((10, height - 20), label, fill=(0, 0, 0))
    return img


def make_images(spoken: dict[str, str]) -> None:
    img = picture(320, 200, "photo")
    img.save(GOOD / "photo.jpg", quality=80)
    img.save(GOOD / "image.png", optimize=True)
    img.save(GOOD / "image.webp", quality=70)
    # stored sideways (rotated 90 degrees clockwise to display): orientation 6
    exif = Image.Exif()
    exif[0x0112] = 6
    img.transpose(Image.Transpose.ROTATE_90).save(GOOD / "rotated.jpg", quality=80, exif=exif.tobytes())
    frames = [picture(64, 48, str(i)) for i in range(3)]
    frames[0].save(GOOD / "animated.gif", save_all=True, append_images=frames[1:], duration=200, loop=0)


STORY = """A tiny story

Every morning the neighbour waters a plastic flamingo. Nobody knows why.
Today it rained, and she watered it anyway — with a smile.
"""

LYRICS = """# Lawn song

*Verse*
Out on the grass where the sprinklers hiss,
I shout at the sky and I blow it a kiss.
"""

LATIN1 = (
    "Le cœur de l'été. Hier, à la fête du village, nous avons dansé jusqu'à l'aube ; "
    "les enfants étaient déguisés en pirates, et même le boulanger a chanté une chanson très émouvante. "
    "Après la pluie, les prés étaient trempés mais personne n'a voulu rentrer à la maison. "
    "Quelle journée inoubliable, pleine de rires et de musique !\n"
).replace("œ", "oe")


def make_text() -> None:
    (GOOD / "story.txt").write_text(STORY, encoding="utf-8")
    (GOOD / "lyrics.md").write_bytes(b"\xef\xbb\xbf" + LYRICS.encode("utf-8"))  # with a BOM
    (GOOD / "latin1.txt").write_bytes((LATIN1 * 2).encode("latin-1"))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_bad() -> None:
    rng = random.Random(7)
    (BAD / "empty.mp4").write_bytes(b"")
    data = (GOOD / "speech.mp4").read_bytes()
    (BAD / "truncated.mp4").write_bytes(data[: len(data) // 2])
    data = (GOOD / "silent.mp4").read_bytes()  # faststart: the index survives, the samples do not
    (BAD / "truncated_faststart.mp4").write_bytes(data[: len(data) // 2])
    (BAD / "text_named.mp4").write_text(STORY, encoding="utf-8")
    shutil.copy(GOOD / "silent.mp4", BAD / "video_named.txt")
    shutil.copy(GOOD / "image.png", BAD / "png_named.mp3")
    (BAD / "random.bin").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    Image.new("RGB", (1, 1), (255, 0, 0)).save(BAD / "tiny.png")
    ihdr = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    (BAD / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
                                   + png_chunk(b"IEND", b""))
    # high bytes with no pattern of any real encoding, and no NUL bytes
    soup = bytes(rng.choice([*range(0x80, 0x100), *b"aeiou xyz"]) for _ in range(2000))
    (BAD / "undetectable.txt").write_bytes(soup)
    (BAD / "control_chars.txt").write_bytes(bytes(rng.choice([*range(1, 9), *range(14, 32), *b"abc "])
                                                  for _ in range(2000)))
    (BAD / "blank.txt").write_text(" \n\t\n  \n", encoding="utf-8")


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    GOOD.mkdir(parents=True)
    BAD.mkdir(parents=True)
    spoken: dict[str, str] = {}
    os.environ.setdefault("LC_ALL", "C")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        wavs = make_speech(tmp)
        make_video(tmp, wavs, spoken)
        make_audio(tmp, wavs, spoken)
    make_images(spoken)
    make_text()
    make_bad()
    (OUT / "spoken.json").write_text(json.dumps(dict(sorted(spoken.items())), indent=2) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {sum(1 for p in OUT.rglob('*') if p.is_file())} files, {total / 1e6:.2f} MB into {OUT}")


if __name__ == "__main__":
    main()
