"""Build a pool of short spoken clips like the answers to a call-out: 5-20 s each, audio and video mixed.

Texts are real writing from Debian's fortunes (topics the eval configs use and others), read by espeak-ng in
varied voices and speeds, then encoded the way people upload: wav, mp3, ogg, flac or m4a for audio; H.264 + AAC mp4
over an ffmpeg test pattern at 360p-720p for video. Uses the shared eval builder's helpers, and writes its format
(submissions.jsonl, callouts.json, truth.json with the spoken words), so `triage eval` and the ingest benchmarks
read it. A clip whose speech falls outside 5-20 s is not used.

    python3 benchmarks/build_short_clips.py /tmp/short40 [--count 40] [--seed 2121]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "eval"))

import build_corpus as base  # noqa: E402  (the shared builder, found beside the project)

TOPICS = ["kids", "law", "literature", "medicine", "news", "pets", "science", "sports", "work", "zippy"]
VOICES = ["en-us+m3", "en-gb+f2", "en-029+m2", "en-gb-x-rp+f4", "en-us-nyc+m1", "en-gb-scotland+f3"]
AUDIO_SUFFIXES = [".wav", ".mp3", ".ogg", ".flac", ".m4a"]
SIZES = [(640, 360), (854, 480), (1280, 720)]
MIN_S, MAX_S = 5.0, 20.0


def candidates(rng: random.Random) -> list[tuple[str, str]]:
    """(topic, text) pairs in a seeded order, texts short enough to read in at most 20 s."""
    pairs = [(topic, text) for topic in TOPICS if (base.FORTUNES / topic).is_file()
             for text in base.read_fortunes(topic, 60, 330)]
    rng.shuffle(pairs)
    return pairs


def build(out: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "media").mkdir(parents=True)
    tmp = out / ".tmp"
    tmp.mkdir()
    rows, category, spoken, seconds = [], {}, {}, 0.0
    for topic, text in candidates(rng):
        if len(rows) == count:
            break
        wav = tmp / "speech.wav"
        base.speak(text, rng.choice(VOICES), rng.randint(150, 185), wav)
        length = base.duration(wav)
        if not MIN_S <= length <= MAX_S:
            continue
        ext_id = f"short-{len(rows):03d}"
        if len(rows) % 2:  # alternate: half audio, half video
            target = out / "media" / f"{ext_id}.mp4"
            base.make_video(wav, target, rng.choice(base.LAVFI_BACKGROUNDS), rng.choice(SIZES), 25,
                            ["-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-c:a", "aac", "-b:a", "96k"])
        else:
            target = out / "media" / f"{ext_id}{rng.choice(AUDIO_SUFFIXES)}"
            base.encode_audio(wav, target)
        seconds += base.duration(target)
        rows.append({"external_id": ext_id, "path": str(target.relative_to(out)), "title": "short clip"})
        category[ext_id], spoken[ext_id] = topic, text
    shutil.rmtree(tmp)
    if len(rows) < count:
        raise SystemExit(f"only {len(rows)} texts read in {MIN_S:g}-{MAX_S:g} s; asked for {count}")
    with open(out / "submissions.jsonl", "w") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    (out / "callouts.json").write_text(json.dumps([{"id": "short", "title": "Short clips", "brief": "Anything."}]))
    truth = {"category": category, "duplicate_groups": [], "relevant": {"short": []}, "spoken": spoken}
    (out / "truth.json").write_text(json.dumps(truth, indent=1))
    print(f"{len(rows)} clips, {seconds:.0f} s of media -> {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2121)
    args = parser.parse_args()
    build(args.out.resolve(), args.count, args.seed)


if __name__ == "__main__":
    main()
