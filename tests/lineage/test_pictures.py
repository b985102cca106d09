"""Partial reuse of pictures: a planted segment is found with both ranges through re-encoding, scaling, letterbox,
mirroring, zoom and a burned-in logo or caption; black frames, fades and two people's talking heads are not.

Videos are made here: numpy frames piped to the ffmpeg command, which also applies each change.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.lineage.helpers import assert_near
from triage.domain import MediaLimits
from triage.fingerprints.frames import MATCH_STRICT
from triage.lineage import picture_index
from triage.lineage.frame_track import FrameTrack, frame_hashes, frame_track, phash
from triage.lineage.picture_index import PictureIndex, _postings
from triage.lineage.pictures import _voted_cells, enough_evidence, match
from triage.lineage.types import ReuseKind

pytestmark = pytest.mark.skipif(not shutil.which("ffmpeg"), reason="needs the ffmpeg command")

W, H, FPS = 320, 180, 10  # 10 frames a second: enough for 4 samples a second, cheap to make


def moving(seconds: float, seed: int) -> np.ndarray:
    """Frames of moving content: drifting discs over a blocky background that changes every 1.5 s."""
    yy, xx = np.mgrid[0:H, 0:W]
    frames = []
    for i in range(int(seconds * FPS)):
        t = i / FPS
        r = np.random.default_rng(seed * 1000 + int(t / 1.5))
        bg = np.kron(r.uniform(0, 255, (6, 8)), np.ones((H // 6 + 1, W // 8 + 1)))[:H, :W]
        img = np.stack([bg, np.roll(bg, 7, 1), np.roll(bg, 13, 0)], -1)
        for _ in range(4):
            cx = (r.uniform(0, W) + 40 * t * r.uniform(-1, 1)) % W
            cy = (r.uniform(0, H) + 30 * t * r.uniform(-1, 1)) % H
            img[((xx - cx) ** 2 + (yy - cy) ** 2) < r.uniform(15, 40) ** 2] = r.uniform(0, 255, 3)
        frames.append(img.astype(np.uint8))
    return np.stack(frames)


def talking_head(seconds: float, seed: int) -> np.ndarray:
    """A near-still face (ellipse, eyes, a mouth that opens and closes, a slight sway) before a plain wall."""
    r = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    wall, skin, shirt = r.uniform(60, 200, 3), r.uniform(120, 230, 3), r.uniform(0, 255, 3)
    fw, fh = r.uniform(35, 50), r.uniform(50, 65)
    frames = []
    for i in range(int(seconds * FPS)):
        t = i / FPS
        cx, cy = W / 2 + 3 * np.sin(t * r.uniform(0.5, 1.5)), H / 2 - 10
        img = np.zeros((H, W, 3)) + wall
        img[yy > H - 40] = shirt
        img[((xx - cx) / fw) ** 2 + ((yy - cy) / fh) ** 2 < 1] = skin
        for ex in (-15, 15):
            img[((xx - cx - ex) ** 2 + (yy - cy + 12) ** 2) < 16] = 20
        opening = 2 + 4 * abs(np.sin(t * 7 + seed))
        img[(np.abs(xx - cx) < 12) & (np.abs(yy - cy - 25) < opening)] = 60
        frames.append(img.astype(np.uint8))
    return np.stack(frames)


def black(seconds: float) -> np.ndarray:
    return np.zeros((int(seconds * FPS), H, W, 3), np.uint8)


def faded(frames: np.ndarray, seconds: float) -> np.ndarray:
    n = min(int(seconds * FPS), len(frames) // 2)
    gain = np.ones(len(frames))
    gain[:n] = np.linspace(0, 1, n)
    gain[len(frames) - n:] = np.linspace(1, 0, n)
    return (frames * gain[:, None, None, None]).astype(np.uint8)


def encode(frames: np.ndarray, path: Path, filters: str = "", crf: int = 23) -> Path:
    vf = ["-vf", filters] if filters else []
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
                    f"{W}x{H}", "-r", str(FPS), "-i", "-", *vf, "-c:v", "libx264", "-preset", "veryfast", "-crf",
                    str(crf), "-pix_fmt", "yuv420p", str(path)], input=frames.tobytes(), check=True)
    return path


def track(frames: np.ndarray, path: Path, filters: str = "", crf: int = 23) -> FrameTrack:
    return frame_track(encode(frames, path, filters, crf), "mov", "an MP4 video", MediaLimits())


@pytest.fixture(scope="module")
def source() -> np.ndarray:
    return moving(12.0, seed=1)


INTRO = moving(3.0, seed=77)


@pytest.fixture(scope="module", params=["in memory", "on disk"])
def index(request: pytest.FixtureRequest, source: np.ndarray, tmp: Path) -> PictureIndex:
    on_disk = request.param == "on disk"
    stored: dict[str, FrameTrack] = {}  # as the service reads merged videos' tracks from their artifacts
    index = PictureIndex(assets=("intro",), folder=tmp / "index" if on_disk else None, disk_above=0,
                         track_of=stored.get if on_disk else None)
    pieces = {"A": source, "head1": talking_head(8.0, seed=1), "intro": INTRO,
              "P": np.concatenate([INTRO, moving(6.0, seed=50)]),
              **{f"other{i}": moving(6.0, seed=100 + i) for i in range(3)}}
    for key, frames in pieces.items():
        stored[key] = track(frames, tmp / f"{key}.mp4")
        index.add(key, stored[key])
    index.compact()  # the sorted arrays: in memory, or read from files (and the tracks no longer held)
    assert index.on_disk == on_disk and (not index._tracks) == on_disk
    return index


CHANGES = {
    "re-encoded": "",
    "scaled-down": "scale=192:108",
    "letterboxed": "scale=320:140,pad=320:180:0:20",
    "mirrored": "hflip",
    "zoomed": "crop=256:144:32:18,scale=320:180",
    "logo": "drawbox=x=250:y=10:w=60:h=30:color=white@0.9:t=fill",
    "caption": "drawbox=x=0:y=150:w=320:h=30:color=black@0.8:t=fill",
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_segment_is_found_with_both_ranges(index: PictureIndex, source: np.ndarray, tmp: Path,
                                             change: str) -> None:
    # A's 3-8 s at B's 4-9 s, between B's own pictures; then changed and re-encoded at a lower quality.
    frames = np.concatenate([moving(4.0, seed=60), source[3 * FPS:8 * FPS], moving(3.0, seed=61)])
    found = match(index, "B", track(frames, tmp / f"B-{change}.mp4", CHANGES[change], crf=30))
    assert [r.source for r in found] == ["A"], found
    reuse = found[0]
    assert reuse.kind == ReuseKind.VIDEO and reuse.user == "B"
    assert_near(reuse.source_span, 3.0, 8.0)
    assert_near(reuse.user_span, 4.0, 9.0)
    assert reuse.share == pytest.approx(reuse.user_span.length / 12.0, abs=0.05)
    assert ("mirrored" in reuse.evidence) == (change == "mirrored")


def test_frames_near_the_bar_must_be_more_of_them() -> None:
    """Five frames at re-encoding noise are evidence; six frames each just under the bar (two unrelated animations
    a mirror image apart came so near, measured) are not, and a long stretch of them is."""
    assert enough_evidence(np.full(5, MATCH_STRICT))
    assert not enough_evidence(np.array([14, 14, 10, 14, 14, 14]))
    assert enough_evidence(np.full(20, 14))


def test_a_source_whose_stored_track_is_gone_is_skipped(source: np.ndarray, tmp: Path) -> None:
    stored = {"A": track(source, tmp / "A.mp4")}
    index = PictureIndex(track_of=stored.get)
    index.add("A", stored["A"])
    index.compact()
    copy = track(source[16:40], tmp / "copy.mp4")
    assert [r.source for r in match(index, "B", copy)] == ["A"]
    del stored["A"]  # erased from the store, not yet from the index
    assert match(index, "B", copy) == []


def test_a_two_second_segment_is_enough(index: PictureIndex, source: np.ndarray, tmp: Path) -> None:
    frames = np.concatenate([moving(3.0, seed=62), source[6 * FPS:8 * FPS], moving(3.0, seed=63)])
    found = match(index, "B", track(frames, tmp / "B-short.mp4"))
    assert [r.source for r in found] == ["A"]
    assert_near(found[0].user_span, 3.0, 5.0)


def test_black_frames_fades_and_other_talking_heads_are_never_evidence(index: PictureIndex, tmp: Path,
                                                                      source: np.ndarray) -> None:
    assert match(index, "dark", track(black(6.0), tmp / "black.mp4")) == []
    assert frame_track(tmp / "black.mp4", "mov", "an MP4 video", MediaLimits()).blank.all()
    head = talking_head(8.0, seed=2)
    assert match(index, "head2", track(head, tmp / "head2.mp4")) == []
    # fades to black between unrelated pictures
    fades = np.concatenate([faded(moving(3.0, seed=64), 1.0), black(1.0), faded(moving(3.0, seed=65), 1.0)])
    assert match(index, "fades", track(fades, tmp / "fades.mp4")) == []


def test_a_platform_intro_gives_no_edge_to_anyone(index: PictureIndex, tmp: Path, source: np.ndarray) -> None:
    q = np.concatenate([INTRO, moving(6.0, seed=51)])
    assert match(index, "Q", track(q, tmp / "Q.mp4")) == []
    q2 = np.concatenate([INTRO, source[0:4 * FPS]])
    found = match(index, "Q2", track(q2, tmp / "Q2.mp4"))
    assert [r.source for r in found] == ["A"]
    assert_near(found[0].user_span, 3.0, 7.0)


def test_the_pure_hash_has_imagehash_layout_for_mirroring() -> None:
    import imagehash
    from PIL import Image

    from triage.fingerprints.frames import MIRROR

    picture = moving(0.1, seed=3)[0, :, :, 0]
    assert bin(phash(picture) ^ int(str(imagehash.phash(Image.fromarray(picture))), 16)).count("1") <= 6
    flipped = phash(np.ascontiguousarray(picture[:, ::-1]))
    assert bin(flipped ^ (phash(picture) ^ int(MIRROR))).count("1") <= 6


def test_a_track_round_trips_through_bytes(tmp: Path, source: np.ndarray) -> None:
    t = track(source[: 2 * FPS], tmp / "short.mp4")
    again = FrameTrack.from_bytes(t.to_bytes())
    assert np.array_equal(again.plain, t.plain) and np.array_equal(again.times, t.times)
    assert np.array_equal(again.upper, t.upper) and np.array_equal(again.upper_mirrored, t.upper_mirrored)
    assert np.array_equal(again.centre_upper, t.centre_upper)
    # a track stored before the centre's upper view: that view repeats its upper one, and is not indexed twice
    stored = io.BytesIO()
    np.savez_compressed(stored, **{k: v for k, v in np.load(io.BytesIO(t.to_bytes())).items() if k != "centre_upper"})
    older = FrameTrack.from_bytes(stored.getvalue())
    assert np.array_equal(older.centre_upper, older.upper)
    assert set(_postings([(0, older)]).views.tolist()) == {0, 1, 2}
    assert set(_postings([(0, t)]).views.tolist()) == {0, 1, 2, 3}
    assert again.duration == t.duration and 7 <= len(t.times) <= 9


@pytest.mark.parametrize("seed", range(4))
def test_a_cropped_copy_with_a_caption_hashes_near_its_source_centre_upper_view(seed: int) -> None:
    """A copy cropped by a tenth each side with a caption burned in: its upper part shows what the source's centre
    shows above the caption, and the source's own upper part (the caption view of uncropped copies) is far."""
    def distance(a: int, b: int) -> int:
        return bin(a ^ b).count("1")

    grey = np.asarray(Image.fromarray(moving(1.0, seed=seed)[0]).convert("L").resize((160, 120)))
    copy = np.array(Image.fromarray(grey[12:108, 16:144]).resize((160, 120)))
    copy[96:118, 20:140], copy[102:110, 30:130] = 20, 240  # the caption's dark box and its line of letters
    _, _, _, _, upper, _, centre_upper = frame_hashes(grey)
    copy_upper = frame_hashes(copy)[4]
    assert distance(copy_upper, centre_upper) <= MATCH_STRICT
    assert distance(copy_upper, centre_upper) + 6 <= distance(copy_upper, upper)


def test_a_removed_source_is_gone_and_a_file_without_video_has_an_empty_track(tmp: Path, source: np.ndarray) -> None:
    index = PictureIndex()
    index.add("A", track(source[: 6 * FPS], tmp / "A6.mp4"))
    query = track(np.concatenate([moving(2.0, seed=68), source[: 4 * FPS]]), tmp / "uses-A.mp4")
    assert [r.source for r in match(index, "B", query)] == ["A"]
    index.remove("A")
    assert match(index, "B", query) == [] and len(index) == 0
    sound_only = tmp / "tone.m4a"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                    "-c:a", "aac", str(sound_only)], check=True)
    empty = frame_track(sound_only, "mov", "an MP4 audio", MediaLimits())
    assert len(empty.times) == 0 and match(index, "C", empty) == []


def with_sky(frames: np.ndarray) -> np.ndarray:
    """The frames under a plain sky (their top quarter one flat light colour): a flat line that is not a bar."""
    out = frames.copy()
    out[:, : H // 4] = (170, 200, 235)
    return out


# A phone-sized copy (160x120) with a caption box burned in at the bottom, a fifth of its height, over changes that
# also move the copy's edges: a logo drawn into the sky, a mirror image, a letterbox whose bottom bar the caption
# covers, a crop of a tenth each side. On a 32x32 thumbnail the caption alone moves the whole picture's hash by
# 15-30 bits.
SMALL = "scale=160:120"
SMALL_CAPTION = "drawbox=x=20:y=94:w=120:h=24:color=black@0.6:t=fill,drawbox=x=28:y=100:w=100:h=10:color=white:t=fill"
SMALL_CHANGES = {
    "captioned+logo": f"{SMALL},drawbox=x=133:y=4:w=20:h=20:color=yellow@0.8:t=fill,{SMALL_CAPTION}",
    "captioned+mirrored": f"{SMALL},hflip,{SMALL_CAPTION}",
    "letterboxed+captioned": f"{SMALL},scale=120:90,pad=160:120:20:15:black,{SMALL_CAPTION}",
    "cropped+captioned": f"{SMALL},crop=128:96,scale=160:120,{SMALL_CAPTION}",
}


@pytest.mark.parametrize("change", list(SMALL_CHANGES))
def test_a_small_captioned_copy_is_found(tmp: Path, change: str) -> None:
    source = with_sky(moving(12.0, seed=5))
    index = PictureIndex()
    index.add("A", track(source, tmp / "A-sky.mp4", SMALL))
    for i in range(3):
        index.add(f"other{i}", track(with_sky(moving(6.0, seed=110 + i)), tmp / f"sky-other{i}.mp4", SMALL))
    frames = np.concatenate([moving(4.0, seed=66), source[3 * FPS:7 * FPS], moving(3.0, seed=67)])
    found = match(index, "B", track(frames, tmp / f"B-small-{change}.mp4", SMALL_CHANGES[change], crf=28))
    assert [r.source for r in found] == ["A"], found
    assert_near(found[0].source_span, 3.0, 7.0)
    assert_near(found[0].user_span, 4.0, 8.0)


def _random_track(rng: np.random.Generator, frames: int) -> FrameTrack:
    # few distinct hashes, so band keys repeat across videos and within one; a few blank frames
    pool = rng.integers(0, 2**63, 400, dtype=np.int64).astype(np.uint64)
    views = [rng.choice(pool, frames) for _ in range(6)]
    views[2] = views[0]  # a track whose centre view stands in with its whole one
    return FrameTrack(np.arange(frames, dtype=np.float32) / 4, views[0], views[1], views[2], rng.random(frames) < 0.05,
                      frames / 4, views[3], views[4], views[5])


@pytest.mark.parametrize("deferred", [False, True])
@pytest.mark.parametrize("on_disk", [False, True])
def test_merged_postings_are_those_of_all_live_tracks_sorted_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                    deferred: bool, on_disk: bool) -> None:
    monkeypatch.setattr(picture_index, "_CHUNK", 10_000)  # a merge that drops removed videos counts in chunks
    rng = np.random.default_rng(5)
    # on disk past 50,000 postings: the early merges stay in memory, the later ones move to files and replace them
    index = PictureIndex(folder=tmp_path, disk_above=50_000) if on_disk else PictureIndex()
    live: dict[str, FrameTrack] = {}
    with index.adds_deferred() if deferred else contextlib.nullcontext():
        for n in range(160):
            track = _random_track(rng, int(rng.integers(40, 900)))
            index.add(f"v{n}", track)
            live[f"v{n}"] = track
            if n % 11 == 4:  # removed: merged or still pending
                gone = f"v{int(rng.integers(0, n + 1))}"
                index.remove(gone)
                live.pop(gone, None)
            if n % 13 == 6:  # added again under the same key: a new number
                again = f"v{int(rng.integers(0, n + 1))}"
                index.add(again, live.setdefault(again, _random_track(rng, 300)))
    keys = np.concatenate([index._main.keys()[::97], rng.integers(0, 2**32, 50, dtype=np.uint64).astype(np.uint32)])
    before = index.lookup(keys)
    index.compact()
    expected = _postings(sorted((index.number(k), t) for k, t in live.items()))
    for field in ("starts", "ids", "times", "views"):
        assert np.array_equal(getattr(index._main, field), getattr(expected, field)), field
    after = index.lookup(keys)
    order_a, order_b = np.lexsort(before), np.lexsort(after)  # the same hits, whatever the layout
    assert all(np.array_equal(a[order_a], b[order_b]) for a, b in zip(before, after, strict=True))
    assert index.on_disk == on_disk and isinstance(index._main.ids, np.memmap) == on_disk
    files = sorted(p.name for p in tmp_path.rglob("*.bin"))
    # the earlier merges' files are gone
    assert files == (["ids.bin", "starts.bin", "times.bin", "views.bin"] if on_disk else [])
    index.close()
    assert not list(tmp_path.rglob("*.bin")) and len(index.lookup(keys)[0]) == 0


def test_voted_cells_are_those_of_counting_each_frames_distinct_votes() -> None:
    rng = np.random.default_rng(8)
    for size in (1, 50, 20_000):
        frame, piece = rng.integers(0, 240, size), rng.integers(0, 60, size).astype(np.int32)
        view, offset = rng.integers(0, 4, size).astype(np.int8), rng.integers(-40, 90, size)
        frame[: size // 2], piece[: size // 2] = frame[0], piece[0]  # many repeated votes of one frame
        triples = np.stack([frame, piece, view, offset], axis=1)
        cells, counts = np.unique(np.unique(triples, axis=0)[:, 1:], axis=0, return_counts=True)
        expected = [(tuple(c), n) for c, n in zip(cells.tolist(), counts.tolist(), strict=True) if n >= 2]
        assert _voted_cells(frame, piece, view, offset) == expected


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 24])
def test_alive_before_counts_as_one_running_count_does(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(picture_index, "_CHUNK", chunk)
    rng = np.random.default_rng(chunk)
    for size in (0, 1, 50, 1000):
        alive = rng.random(size) < 0.7
        starts = np.sort(rng.integers(0, size + 1, 40)).astype(np.int64)
        starts[0], starts[-1] = 0, size
        running = np.concatenate([[0], np.cumsum(alive)])
        assert np.array_equal(picture_index._alive_before(starts, alive), running[starts])


@pytest.mark.parametrize("chunk", [1, 5, 1 << 24])
def test_a_merge_into_files_writes_what_a_merge_in_memory_makes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                 chunk: int) -> None:
    monkeypatch.setattr(picture_index, "_CHUNK", chunk)  # ranges of keys smaller and larger than one key's postings
    rng = np.random.default_rng(chunk)
    old = _postings([(n, _random_track(rng, int(rng.integers(5, 60)))) for n in range(12)])
    new = _postings([(n, _random_track(rng, int(rng.integers(5, 60)))) for n in range(12, 16)])
    for dead in (None, rng.random(16) < 0.3):
        folder = tmp_path / f"{chunk}-{dead is None}"
        folder.mkdir()
        written = picture_index._merged_into_files(old, new, dead, folder)
        made = picture_index._merged({f: getattr(old, f) for f in ("starts", "ids", "times", "views")}, new, dead)
        for field in ("starts", "ids", "times", "views"):
            assert np.array_equal(getattr(written, field), getattr(made, field)), field
        assert isinstance(written.ids, np.memmap)
