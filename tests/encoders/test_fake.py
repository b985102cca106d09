import numpy as np

from triage.encoders.base import ImageTextEncoder, TextEncoder, Transcriber
from triage.encoders.fake import FakeImageTextEncoder, FakeTextEncoder, FakeTranscriber


def _unit_rows(vectors: np.ndarray, n: int, dim: int) -> bool:
    return vectors.dtype == np.float32 and vectors.shape == (n, dim) and np.allclose(np.linalg.norm(vectors, axis=1), 1)


def test_fakes_keep_the_protocols_contracts(non_speech) -> None:
    """What the Protocols promise (shapes, dtypes, unit rows, one transcript per clip), not only the method names."""
    text: TextEncoder = FakeTextEncoder()
    assert _unit_rows(text.encode(["one", "two words", ""]), 3, text.dim)
    clip: ImageTextEncoder = FakeImageTextEncoder()
    image = np.random.default_rng(0).integers(0, 255, (32, 48, 3), dtype=np.uint8)
    assert _unit_rows(clip.encode_images([image, image[::-1]]), 2, clip.dim)
    assert _unit_rows(clip.encode_texts(["a red door"]), 1, clip.dim)
    speech: Transcriber = FakeTranscriber()
    silence = non_speech["silence"]
    assert speech.transcribe(silence).duration == len(silence) / 16_000
    assert FakeTranscriber().transcribe_many([silence, silence]) == [speech.transcribe(silence)] * 2


def test_fake_text_is_deterministic_and_shares_words() -> None:
    enc = FakeTextEncoder()
    a, b, c = enc.encode(["a dog runs in the park", "the dog runs home", "quarterly tax filing"])
    assert np.array_equal(enc.encode(["a dog runs in the park"])[0], a)
    assert float(a @ b) > float(a @ c)
    assert np.allclose(np.linalg.norm(enc.encode(["x", ""]), axis=1), 1.0)
    assert enc.encode([]).shape == (0, enc.dim)


def test_fake_transcriber_hears_nothing_in_silence(speech_clips, non_speech) -> None:
    fake = FakeTranscriber()
    assert fake.transcribe(non_speech["silence"]).text == ""
    audio, _ = speech_clips["fox"]
    first, second = fake.transcribe(audio), fake.transcribe(audio.copy())
    assert first.text and first == second
    assert all(s.start < s.end <= first.duration for s in first.segments)


def test_fake_clip_matches_colour_prompts() -> None:
    enc = FakeImageTextEncoder()
    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 0] = 240
    blue = np.zeros((16, 16, 3), np.uint8)
    blue[..., 2] = 240
    images = enc.encode_images([red, blue])
    prompts = enc.encode_texts(["something red", "something blue"])
    sims = images @ prompts.T
    assert sims[0, 0] > sims[0, 1] and sims[1, 1] > sims[1, 0]
    assert np.allclose(np.linalg.norm(images, axis=1), 1.0)
    assert np.array_equal(enc.encode_images([red]), images[:1])
