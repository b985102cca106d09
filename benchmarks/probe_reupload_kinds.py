"""Which kinds of re-upload the duplicate groups find, beyond those the built corpora hold.

Takes a built corpus (say hard5 from `eval_corpora.py`), keeps its originals, and adds two copies each of kinds no
corpus builder makes: video cropped, letterboxed, sped up, grey, watermarked, grainy, muted or rotated, and its
sound alone; audio with its tempo changed, or played faster and higher, hiss, an echo, fades, a 24 kbit/s Opus
encode, or under a still picture; texts without punctuation, with a title line, re-wrapped or with typographic
quotes. Then `triage eval` runs on the result (precision counts the originals as look-alikes for every copy) and
each copy is reported found or missed, by kind.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/probe_reupload_kinds.py /tmp/ev/hard5 /tmp/probe
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

VIDEO = {
    "crop 10%": ["-vf", "crop=iw*0.9:ih*0.9,scale=trunc(iw/2)*2:trunc(ih/2)*2", "-c:a", "aac"],
    "letterboxed": ["-vf", "scale=iw*0.75:-2,pad=iw/0.75:ih:(ow-iw)/2:0:black,scale=trunc(iw/2)*2:trunc(ih/2)*2",
                    "-c:a", "aac"],
    "sped up 1.1x": ["-vf", "setpts=PTS/1.1", "-af", "atempo=1.1", "-c:a", "aac"],
    "grey": ["-vf", "hue=s=0", "-c:a", "aac"],
    "watermark": ["-vf", "drawbox=x=iw*0.7:y=ih*0.8:w=iw*0.25:h=ih*0.12:color=white@0.8:t=fill", "-c:a", "aac"],
    "film grain": ["-vf", "noise=alls=25:allf=t", "-c:a", "aac"],
    "sound removed": ["-an"],
    "rotated 90": ["-vf", "transpose=1", "-c:a", "aac"],
    "sound only": ["-vn", "-c:a", "aac", "-f", "mp4"],
}
AUDIO = {
    "tempo 1.08": (".mp3", ["-af", "atempo=1.08"]),
    "faster and higher": (".mp3", ["-af", "aresample=44100,asetrate=44100*1.06,aresample=44100"]),
    "hiss": (".ogg", ["-filter_complex", "anoisesrc=a=0.02:c=pink[n];[0:a][n]amix=inputs=2:duration=first",
                      "-c:a", "libvorbis"]),
    "echo": (".m4a", ["-af", "aecho=0.8:0.6:60:0.3", "-c:a", "aac"]),
    "fades": (".wav", ["-af", "afade=t=in:d=1.5,areverse,afade=t=in:d=1.5,areverse"]),
    "opus 24k": (".opus", ["-c:a", "libopus", "-b:a", "24k"]),
    "as a video with a still": (".mp4", ["-f", "lavfi", "-i", "smptebars=size=640x360:rate=25", "-map", "1:v",
                                         "-map", "0:a", "-shortest", "-c:v", "libx264", "-preset", "veryfast",
                                         "-c:a", "aac"]),
}
TEXT = {
    "no punctuation": lambda t: re.sub(r"[^\w\s']", "", t),
    "title line": lambda t: "My entry for this one\n\n" + t,
    "re-wrapped": lambda t: "\n".join(re.findall(r".{1,38}(?:\s|$)", " ".join(t.split()))),
    "typographic quotes": lambda t: t.replace("'", "\u2019").replace('"', "\u201c").replace("--", "\u2014"),
}


def streams(path: Path) -> str:
    return subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
                           str(path)], capture_output=True, text=True, check=True).stdout


def build(source: Path, out: Path, seed: int = 11) -> dict[str, str]:
    """Write the probe corpus into `out`; returns each copy's kind by external id."""
    shutil.rmtree(out, ignore_errors=True)
    (out / "media").mkdir(parents=True)
    truth = json.loads((source / "truth.json").read_text())
    copies = {m for group in truth["duplicate_groups"] for m in group[1:]}
    originals = [s for line in (source / "submissions.jsonl").read_text().splitlines()
                 if (s := json.loads(line))["external_id"] not in copies]
    for s in originals:
        shutil.copy(source / s["path"], out / s["path"])
    videos, audios, texts = [], [], []
    for s in originals:
        if s["path"].endswith(".txt"):
            texts.append(s)
        else:
            (videos if "video" in streams(source / s["path"]) else audios).append(s)
    rng = random.Random(seed)
    for pool in (videos, audios, texts):
        rng.shuffle(pool)
    added: list[dict] = []
    kinds: dict[str, str] = {}
    groups: dict[str, list[str]] = defaultdict(list)

    def add(original: dict, kind: str, ext: str, write) -> None:
        eid = f"probe-{len(added) + 1:03d}"
        path = f"media/{eid}{ext}"
        write(out / path)
        added.append({"external_id": eid, "path": path, "title": "again"})
        kinds[eid] = kind
        groups[original["external_id"]].append(eid)

    def ffmpeg(original: dict, args: list[str]):
        return lambda target: subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source / original["path"]),
                                              *args, str(target)], check=True)

    tables = [(VIDEO, videos, lambda a: (".mp4", a)), (AUDIO, audios, lambda a: a)]
    for table, pool, ext_args in tables:
        for k, (kind, spec) in enumerate(table.items()):
            ext, args = ext_args(spec)
            for original in (pool[2 * k % len(pool)], pool[(2 * k + 1) % len(pool)]):
                add(original, kind, ext, ffmpeg(original, args))
    for k, (kind, retype) in enumerate(TEXT.items()):
        for original in (texts[2 * k % len(texts)], texts[(2 * k + 1) % len(texts)]):
            words = (source / original["path"]).read_text()
            add(original, kind, ".txt", lambda target, w=words, f=retype: target.write_text(f(w)))
    category = {e: c for e, c in truth["category"].items() if e not in copies}
    for original, members in groups.items():
        category.update({m: truth["category"][original] for m in members})
    (out / "truth.json").write_text(json.dumps({
        "category": category, "relevant": truth["relevant"],
        "duplicate_groups": [[o, *ms] for o, ms in groups.items()],
        "spoken": {e: w for e, w in truth["spoken"].items() if e in category}}, indent=1))
    shutil.copy(source / "callouts.json", out / "callouts.json")
    (out / "submissions.jsonl").write_text("".join(json.dumps(s) + "\n" for s in originals + added))
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="a built corpus (eval_corpora.py builds them)")
    parser.add_argument("work", type=Path, help="where the probe corpus, its data dir and report go")
    args = parser.parse_args()
    corpus, data = args.work / "corpus", args.work / "data"
    kinds = build(args.source, corpus)
    shutil.rmtree(data, ignore_errors=True)
    triage = str(Path(sys.executable).with_name("triage"))
    evaluated = json.loads(subprocess.run([triage, "eval", str(corpus), "--json", "--keep", str(data)],
                                          check=True, capture_output=True, text=True).stdout)
    found = json.loads(subprocess.run([triage, "duplicates", "--json"], check=True, capture_output=True, text=True,
                                      env={**os.environ, "TRIAGE_DATA_DIR": str(data)}).stdout)["groups"]
    group_of = {m: k for k, g in enumerate(found) for m in g["members"]}
    truth = json.loads((corpus / "truth.json").read_text())
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for original, *members in truth["duplicate_groups"]:
        for m in members:
            tally[kinds[m]][1] += 1
            tally[kinds[m]][0] += original in group_of and group_of.get(m) == group_of[original]
    dup = evaluated["average"]["duplicates"]
    print(f"pairs: precision {dup['precision']:.2f} recall {dup['recall']:.2f} F1 {dup['f1']:.2f}; "
          f"shown twice {evaluated['average']['repeats']}")
    print("| kind | found |\n| --- | --- |")
    for kind, (hit, total) in tally.items():
        print(f"| {kind} | {hit} of {total} |")
    (args.work / "report.json").write_text(json.dumps({"duplicates": dup, "by_kind": tally}, indent=1))


if __name__ == "__main__":
    main()
