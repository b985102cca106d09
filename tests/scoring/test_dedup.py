import numpy as np
import pytest

from triage.domain import MediaType
from triage.fingerprints import text_minhash
from triage.scoring.dedup import find_duplicates

from .helpers import audio_fp, fp, item, noisy, phashes

STORY = ("My cat learned to open the fridge last winter. Now every night at three she drags out the "
         "cheese and leaves it on my pillow like a gift, and I have no idea how to make her stop.")
PREFIX = "Hello everyone, this is my entry for this week's call-out, hope you like it! "
OTHER = ("The match went to extra time and our keeper, who had never saved a penalty in his life, "
         "dived the wrong way and still stopped it with his foot while the whole stand held its breath.")


def text_fp(sid, text):
    return fp(sid, MediaType.TEXT, minhash=text_minhash(text), text_len=len(text))


def groups_of(fps, **kw):
    return sorted(sorted(g.members) for g in find_duplicates(fps, **kw))


def test_identical_bytes_group():
    a = fp("a", MediaType.AUDIO, sha256="same", audio=audio_fp(1), duration=20)
    b = fp("b", MediaType.AUDIO, sha256="same", audio=audio_fp(2), duration=20)
    assert groups_of([a, b]) == [["a", "b"]]
    assert find_duplicates([a, b])[0].edges[0].kind == "exact"


def test_retyped_text_groups_but_a_different_story_does_not():
    fps = [text_fp("orig", STORY), text_fp("upper", STORY.upper()),
           text_fp("spaced", STORY.replace(". ", ".\n\n").replace(", ", " , ")),
           text_fp("signed", STORY + "\n\n(posted again, in case the first one got lost!)"),
           text_fp("typo", STORY.replace("fridge", "firdge").replace("cheese", "chese")),
           text_fp("other", OTHER),
           text_fp("t1", PREFIX + "My grandmother cooked soup every sunday and nobody dared to complain."),
           text_fp("t2", PREFIX + "The train stopped in a field for an hour and a cow watched us the whole time.")]
    assert groups_of(fps) == [["orig", "signed", "spaced", "typo", "upper"]]


def test_reencoded_trimmed_quieter_audio_groups_same_voice_other_words_does_not():
    base = audio_fp(1)
    fps = [fp("orig", MediaType.AUDIO, audio=base, duration=25.0),
           fp("mp3", MediaType.AUDIO, audio=noisy(base, 2), duration=25.0),
           fp("trim", MediaType.AUDIO, audio=noisy(base, 3, trim=10), duration=23.8),
           fp("padded", MediaType.AUDIO, audio=np.concatenate([audio_fp(9, 10), base]), duration=26.2),
           fp("same_voice_other_words", MediaType.AUDIO, audio=audio_fp(4), duration=25.0)]
    assert groups_of(fps) == [["mp3", "orig", "padded", "trim"]]


def test_talking_videos_on_a_shared_background_need_matching_audio():
    background = phashes(7)
    fps = [fp("v1", MediaType.VIDEO, frames=background, audio=audio_fp(1), duration=20.0),
           fp("v2", MediaType.VIDEO, frames=background, audio=audio_fp(2), duration=20.0),
           # the same talk as v1, re-encoded and mirrored/recoloured so no frame matches
           fp("v1copy", MediaType.VIDEO, frames=phashes(99), audio=noisy(audio_fp(1), 5), duration=20.0)]
    assert groups_of(fps) == [["v1", "v1copy"]]


def test_silent_clips_group_on_frames_and_music_clips_need_both():
    fps = [fp("c1", MediaType.VIDEO, frames=phashes(3), duration=10.0),
           fp("c1small", MediaType.VIDEO, frames=phashes(3)[1:], duration=9.0),
           fp("c2", MediaType.VIDEO, frames=phashes(4), duration=10.0),
           # same music bed, different pictures: a template, not a copy
           fp("m1", MediaType.VIDEO, frames=phashes(5), audio=audio_fp(8), has_speech=False, duration=30.0),
           fp("m2", MediaType.VIDEO, frames=phashes(6), audio=audio_fp(8), has_speech=False, duration=30.0)]
    assert groups_of(fps) == [["c1", "c1small"]]


def test_images_group_on_phash():
    fps = [fp("i1", MediaType.IMAGE, frames=phashes(1, 1)), fp("i2", MediaType.IMAGE, frames=phashes(1, 1)),
           fp("i3", MediaType.IMAGE, frames=phashes(2, 1))]
    assert groups_of(fps) == [["i1", "i2"]]


def test_not_a_duplicate_marks_split_groups():
    base = audio_fp(1)
    fps = [fp(s, MediaType.AUDIO, audio=noisy(base, k), duration=25.0) for k, s in enumerate("abcd")]
    assert groups_of(fps) == [["a", "b", "c", "d"]]
    split = groups_of(fps, not_duplicates=[("a", "b")])
    assert all(not {"a", "b"} <= set(g) for g in split)
    assert any(len(g) == 3 for g in split)  # c and d still join one of them


def test_representative_is_best_quality_then_earliest():
    fps = [text_fp(s, STORY) for s in ("x", "y", "z")]
    items = {"x": item("x", quality=0.5, created_at=1.0), "y": item("y", quality=0.9, created_at=3.0),
             "z": item("z", quality=0.9, created_at=2.0)}
    g = find_duplicates(fps, items=items)[0]
    assert g.representative == "z" and g.members[0] == "z"


def test_semantic_guard_vetoes_disagreeing_words():
    base = audio_fp(1)
    fps = [fp("a", MediaType.AUDIO, audio=base, duration=25.0),
           fp("b", MediaType.AUDIO, audio=noisy(base, 1), duration=25.0)]  # sound score 0.83: a likely copy
    vec = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0])}
    assert groups_of(fps, vectors=vec) == []


def test_sound_that_is_surely_the_same_outweighs_garbled_words():
    # A telephone-band copy: the sound matches almost bit for bit, Whisper heard other words in it.
    base = audio_fp(1)
    fps = [fp("a", MediaType.AUDIO, audio=base, duration=25.0),
           fp("phone", MediaType.AUDIO, audio=noisy(base, 1, flips=1), duration=25.0)]  # sound score 0.91
    vec = {"a": np.array([1.0, 0.0]), "phone": np.array([0.0, 1.0])}
    assert groups_of(fps, vectors=vec) == [["a", "phone"]]


def test_a_transcript_that_caught_a_few_words_is_no_evidence_against_matching_sound():
    # Whisper heard three words of a re-encoded message ("Turn them in." against the original's 35 words, on a
    # built corpus): words disagree in earnest only when both transcripts caught about as much speech.
    base = audio_fp(1)
    fps = [fp("a", MediaType.AUDIO, audio=base, duration=12.0),
           fp("b", MediaType.AUDIO, audio=noisy(base, 1), duration=12.0)]  # sound score 0.83: a likely copy
    vec = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0])}
    said = " ".join(f"word{k}" for k in range(35))
    items = {"a": item("a", MediaType.AUDIO, words=said), "b": item("b", MediaType.AUDIO, words="Turn them in.")}
    assert groups_of(fps, vectors=vec, items=items) == [["a", "b"]]
    items["b"] = item("b", MediaType.AUDIO, words=" ".join(f"other{k}" for k in range(30)))
    assert groups_of(fps, vectors=vec, items=items) == []  # as much speech, other words: two pieces


def test_large_text_pool_uses_banding_and_still_finds_copies():
    from triage.scoring.dedup import DedupParams
    fps = [text_fp("orig", STORY), text_fp("copy", STORY.lower())]
    fps += [text_fp(f"n{i}", f"{OTHER} number {i} " * (1 + i % 3)) for i in range(5)]
    assert ["copy", "orig"] in groups_of(fps, params=DedupParams(lsh_above=3))


def test_matching_sound_survives_transcripts_that_misheard_differently():
    # Two encodings of one recording: Whisper's mishearings leave their transcripts only loosely alike.
    base = audio_fp(1)
    fps = [fp("a", MediaType.AUDIO, audio=base, duration=6.7),
           fp("b", MediaType.AUDIO, audio=noisy(base, 1), duration=6.7)]
    vec = {"a": np.array([1.0, 0.0]), "b": np.array([0.35, (1 - 0.35**2) ** 0.5])}
    assert groups_of(fps, vectors=vec) == [["a", "b"]]


def test_audio_without_speech_or_pictures_groups_on_its_sound():
    song = audio_fp(21)
    fps = [fp("song", MediaType.AUDIO, audio=song, has_speech=False, duration=25.0),
           fp("song_mp3", MediaType.AUDIO, audio=noisy(song, 4), has_speech=False, duration=25.0),
           fp("other_song", MediaType.AUDIO, audio=audio_fp(22), has_speech=False, duration=25.0),
           # the same music under somebody's pictures is a music bed, not a copy of the song
           fp("video_with_that_song", MediaType.VIDEO, frames=phashes(23), audio=song, has_speech=False,
              duration=25.0)]
    assert groups_of(fps) == [["song", "song_mp3"]]


def _reencoded(items: np.ndarray, seed: int, changed: float = 0.7, trim: int = 0) -> np.ndarray:
    """A real re-encode keeps some Chromaprint items bit for bit and flips a bit or two in the rest (measured:
    26% or more survive whole at 32 kbit/s); here 30% survive."""
    rng = np.random.default_rng(seed)
    out = items[trim:].copy()
    hit = rng.random(len(out)) < changed
    out[hit] ^= np.uint32(1) << rng.integers(0, 32, int(hit.sum())).astype(np.uint32)
    return out


def test_big_pools_find_sound_copies_through_shared_items_and_agree_with_all_pairs():
    from triage.scoring.dedup import DedupParams, _candidates

    rng = np.random.default_rng(8)
    fps = []
    for i in range(300):
        duration = float(rng.uniform(10, 40))
        fps.append(fp(f"p{i:03d}", MediaType.AUDIO, audio=audio_fp(1000 + i, int(duration * 8)), duration=duration))
    for i in range(0, 40, 2):  # re-encodes, some trimmed, of every other one of the first 40
        orig = fps[i]
        fps.append(fp(f"p{i:03d}copy", MediaType.AUDIO, audio=_reencoded(orig.audio, i, trim=8 * (i % 3)),
                      duration=orig.duration))
    everything = DedupParams(sound_lsh_above=10**9)
    assert len(fps) > DedupParams().sound_lsh_above
    assert groups_of(fps) == groups_of(fps, params=everything) == [[f"p{i:03d}", f"p{i:03d}copy"]
                                                                   for i in range(0, 40, 2)]
    assert len(_candidates(fps, DedupParams())) < len(_candidates(fps, everything)) / 100


def _near(frames: list[tuple[float, int]], seed: int, bits: int = 6, mirror: bool = False) -> list[tuple[float, int]]:
    """The same pictures re-encoded (a few pHash bits flipped), optionally flipped left-right."""
    from triage.fingerprints import approx_mirror

    rng = np.random.default_rng(seed)
    out = []
    for t, h in frames:
        for b in rng.choice(64, bits, replace=False):
            h ^= 1 << int(b)
        out.append((t, approx_mirror(h) if mirror else h))
    return out


def test_big_pools_find_silent_video_and_image_copies_through_near_frames():
    from triage.scoring.dedup import DedupParams, _candidates

    fps = [fp(f"v{i:03d}", MediaType.VIDEO, frames=phashes(2000 + i), duration=20.0) for i in range(250)]
    fps += [fp(f"i{i:03d}", MediaType.IMAGE, frames=phashes(3000 + i, 1)) for i in range(60)]
    fps += [fp(f"v{i:03d}copy", MediaType.VIDEO, frames=_near(fps[i].frames, i, mirror=i % 2 == 1), duration=20.0)
            for i in range(0, 20, 2)]
    fps += [fp(f"i{i:03d}copy", MediaType.IMAGE, frames=_near(fps[250 + i].frames, i)) for i in range(3)]
    everything = DedupParams(sound_lsh_above=10**9)
    expected = sorted([[f"v{i:03d}", f"v{i:03d}copy"] for i in range(0, 20, 2)]
                      + [[f"i{i:03d}", f"i{i:03d}copy"] for i in range(3)])
    assert groups_of(fps) == groups_of(fps, params=everything) == expected
    assert len(_candidates(fps, DedupParams())) < len(_candidates(fps, everything)) / 100


def test_big_picture_pools_group_the_same_through_sampled_tables():
    from triage.scoring.dedup import DedupParams

    fps = [fp(f"v{i:03d}", MediaType.VIDEO, frames=phashes(4000 + i, 16), duration=20.0) for i in range(200)]
    fps += [fp(f"i{i:03d}", MediaType.IMAGE, frames=phashes(5000 + i, 1)) for i in range(40)]
    fps += [fp(f"v{i:03d}copy", MediaType.VIDEO, frames=_near(fps[i].frames, i, bits=2 + i % 11, mirror=i % 2 == 1),
               duration=20.0) for i in range(0, 30, 2)]  # re-encoded to strongly recoloured, every other mirrored
    fps += [fp(f"v{i:03d}trim", MediaType.VIDEO, frames=_near(fps[i].frames[4:], i), duration=16.0) for i in range(3)]
    fps += [fp(f"i{i:03d}copy", MediaType.IMAGE, frames=_near(fps[200 + i].frames, i, bits=10)) for i in range(4)]
    fps += [fp(f"v{i:03d}intro", MediaType.VIDEO, frames=fps[i].frames[:3] + phashes(6000 + i, 13), duration=20.0)
            for i in range(40, 45)]  # the same intro, then other pictures: not a copy
    exact = DedupParams(sound_lsh_above=0, frame_sample_above=10**9)
    sampled = DedupParams(sound_lsh_above=0, frame_sample_above=0)
    expected = groups_of(fps, params=exact)
    assert groups_of(fps, params=sampled) == expected
    together = {(g[0], m) for g in expected for m in g}
    planted = [f.submission_id for f in fps if f.submission_id.endswith(("copy", "trim"))]
    assert all((p[:4], p) in together for p in planted)
    assert not any(m.endswith("intro") for g in expected for m in g)


def test_sound_items_of_each_kind_count_on_their_own():
    # A long piece and a copy trimmed by a few milliseconds: every fine band-hash item changed, while many
    # Chromaprint items came through. Counted together, 1,250 band items would drown the Chromaprint share.
    from triage.scoring.dedup import DedupParams, _candidates

    rng = np.random.default_rng(12)
    song, bands = audio_fp(31, 300), rng.integers(0, 2**32, 1250, dtype=np.uint64).astype(np.uint32)
    other_bands = rng.integers(0, 2**32, 1250, dtype=np.uint64).astype(np.uint32)
    fps = [fp("long", MediaType.AUDIO, audio=song, audio_bands=bands, duration=38.0),
           fp("trimmed", MediaType.AUDIO, audio=_reencoded(song, 1, changed=0.6), audio_bands=other_bands,
              duration=38.0),
           fp("other", MediaType.AUDIO, audio=audio_fp(32, 300), audio_bands=audio_fp(33, 1250), duration=38.0)]
    assert _candidates(fps, DedupParams(sound_lsh_above=0)) == {("long", "trimmed")}


def test_a_copy_played_faster_groups_and_a_piece_that_is_merely_shorter_does_not():
    from triage.fingerprints.audio import stretched

    base = audio_fp(21, 220)
    fps = [fp("orig", MediaType.AUDIO, audio=base, duration=27.3),
           # played 1.1x faster, pitch kept, then re-encoded: the same items, closer together
           fp("faster", MediaType.AUDIO, audio=noisy(stretched(base, 1 / 1.1), 22), duration=24.8),
           fp("slower", MediaType.AUDIO, audio=noisy(stretched(base, 1.08), 23), duration=29.5),
           fp("other", MediaType.AUDIO, audio=audio_fp(24, 200), duration=24.8)]
    assert groups_of(fps) == [["faster", "orig", "slower"]]
    to_original = [e for e in find_duplicates(fps)[0].edges if "orig" in (e.a, e.b)]
    assert len(to_original) == 2 and all(e.kind == "audio" and e.score >= 0.6 for e in to_original)


def test_big_pools_find_a_copy_played_faster_through_its_words_but_not_another_reading_of_them():
    from triage.fingerprints.audio import stretched
    from triage.scoring.dedup import DedupParams

    base = audio_fp(41, 220)
    misheard = STORY.replace("fridge", "bridge").replace("pillow", "pillar")  # a second transcription
    fps = [fp("orig", MediaType.AUDIO, audio=base, duration=27.3, minhash=text_minhash(STORY)),
           # 1.1x faster, then re-encoded: no sound item comes through bit for bit, most words do
           fp("faster", MediaType.AUDIO, audio=noisy(stretched(base, 1 / 1.1), 42), duration=24.8,
              minhash=text_minhash(misheard)),
           # the same story read by someone else: the words match, the sound does not
           fp("reading", MediaType.AUDIO, audio=audio_fp(43, 200), duration=25.0, minhash=text_minhash(STORY)),
           fp("other", MediaType.AUDIO, audio=audio_fp(44, 200), duration=25.0, minhash=text_minhash(OTHER))]
    big = DedupParams(sound_lsh_above=0)  # as in a pool of more than 300 timed pieces
    assert groups_of(fps, params=big) == groups_of(fps) == [["faster", "orig"]]
    assert groups_of(fps, params=DedupParams(sound_lsh_above=0, words_lsh_rows=10**6)) == []  # words unused


def test_a_pool_with_every_kind_of_copy_groups_as_it_always_did():
    """Edges, kinds and scores pinned from the code before edges carried their details (EdgeDetail): the details
    must never change which pairs group, nor how strongly. Change these numbers only on purpose."""
    from triage.fingerprints.audio import stretched

    speech, song, pictures, bands = audio_fp(51, 240), audio_fp(52, 200), phashes(53, 12), audio_fp(54, 300)
    fps = [fp("s1", MediaType.AUDIO, audio=speech, duration=32.0),
           fp("s2", MediaType.AUDIO, audio=noisy(speech, 1, trim=30), duration=28.3),
           fp("s3", MediaType.AUDIO, audio=noisy(stretched(speech, 1 / 1.1), 2), duration=29.1),
           fp("s4", MediaType.AUDIO, audio=audio_fp(55, 240), duration=32.0),
           fp("b1", MediaType.AUDIO, audio=audio_fp(56, 20), audio_bands=bands, duration=5.0),
           fp("b2", MediaType.AUDIO, audio=audio_fp(57, 20), audio_bands=noisy(bands, 3, trim=40), duration=4.4),
           fp("m1", MediaType.VIDEO, frames=pictures, audio=song, has_speech=False, duration=27.0),
           fp("m2", MediaType.VIDEO, frames=_near(pictures, 4, mirror=True), audio=noisy(song, 5), has_speech=False,
              duration=27.0),
           fp("v1", MediaType.VIDEO, frames=phashes(58, 12), duration=20.0),
           fp("v2", MediaType.VIDEO, frames=_near(phashes(58, 12)[3:], 6, bits=9), duration=15.0),
           fp("i1", MediaType.IMAGE, frames=phashes(59, 1)),
           fp("i2", MediaType.IMAGE, frames=_near(phashes(59, 1), 7, bits=8, mirror=True)),
           text_fp("t1", STORY), text_fp("t2", STORY.lower() + " Thanks!"), text_fp("t3", OTHER)]
    pinned = {("b1", "b2"): [("b1", "b2", "audio", 0.8388762775445896)],
              ("i1", "i2"): [("i1", "i2", "frames", 1.0)],
              ("m1", "m2"): [("m1", "m2", "audio+frames", 0.8326726896772235)],
              ("s1", "s2", "s3"): [("s1", "s2", "audio", 0.829808358045395), ("s1", "s3", "audio", 0.6542059412943767)],
              ("t1", "t2"): [("t1", "t2", "text", 0.953125)],
              ("v1", "v2"): [("v1", "v2", "frames", 1.0)]}
    found = {g.members: [(e.a, e.b, e.kind, e.score) for e in g.edges] for g in find_duplicates(fps)}
    assert found.keys() == pinned.keys()
    for members, edges in pinned.items():
        assert [e[:3] for e in found[members]] == [e[:3] for e in edges]
        assert [e[3] for e in found[members]] == pytest.approx([e[3] for e in edges], rel=1e-9)
