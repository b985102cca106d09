"""The bundled Whisper tiny.en on committed espeak-ng clips and on generated non-speech."""

import numpy as np
import pytest

from triage.encoders import registry
from triage.encoders.base import Transcriber
from triage.encoders.whisper import keep_segment
from triage.textnorm import normalize_words, word_error_rate

pytestmark = pytest.mark.real_models


@pytest.fixture(scope="module")
def whisper() -> Transcriber:
    return registry.transcriber("tiny.en", device="cpu", threads=2)


def test_transcribes_synthetic_speech_accurately(whisper: Transcriber, speech_clips) -> None:
    # Corpus WER (all edits over all reference words) is the usual measure; each clip also gets a looser
    # bound so one bad clip cannot hide behind good ones. Robotic espeak voices cost tiny.en a word or two
    # ("brown" heard as "round"; "favourite" spelt "favorite").
    edits = words = 0
    for name, (audio, ref) in speech_clips.items():
        transcript = whisper.transcribe(audio)
        wer = word_error_rate(ref, transcript.text)
        assert wer <= 0.2, f"{name}: WER {wer:.2f}: {transcript.text!r}"
        n = len(normalize_words(ref))
        edits, words = edits + wer * n, words + n
        assert transcript.language == "en" and transcript.model.startswith("whisper-tiny.en")
    assert edits / words <= 0.10


def test_word_timestamps_are_ordered_and_inside_the_clip(whisper: Transcriber, speech_clips) -> None:
    for audio, _ in speech_clips.values():
        transcript = whisper.transcribe(audio)
        words = [w for s in transcript.segments for w in s.words]
        assert len(words) >= 8
        for w in words:
            assert 0.0 <= w.start <= w.end <= transcript.duration
            assert 0.0 <= w.probability <= 1.0
        starts = [w.start for w in words]
        assert starts == sorted(starts)


@pytest.mark.parametrize("vad", [True, False])
def test_no_invented_text_on_silence_noise_or_music(whisper: Transcriber, non_speech, vad: bool) -> None:
    for name, audio in non_speech.items():
        transcript = whisper.transcribe(audio, vad=vad)
        assert transcript.text == "" and transcript.segments == (), f"{name} (vad={vad}): {transcript.text!r}"


def test_speech_between_noise_is_still_found(whisper: Transcriber, speech_clips) -> None:
    audio, ref = speech_clips["recording"]
    noise = np.random.default_rng(3).normal(0, 0.02, 16_000 * 2).astype(np.float32)
    transcript = whisper.transcribe(np.concatenate([noise, audio, noise]))
    assert word_error_rate(ref, transcript.text) <= 0.10
    assert transcript.segments[0].start >= 1.0


def test_tiny_or_empty_audio_gives_an_empty_transcript(whisper: Transcriber) -> None:
    assert whisper.transcribe(np.zeros(0, np.float32)).text == ""
    assert whisper.transcribe(np.zeros(800, np.float32)).text == ""


def test_the_model_loads_once_per_process() -> None:
    assert registry.transcriber("tiny.en", device="cpu") is registry.transcriber("tiny.en", device="cpu")


def test_segment_filter_rule() -> None:
    assert keep_segment("Hello there.", -0.3, 0.05, 1.2)
    assert not keep_segment(" . ", -0.3, 0.9, 0.1)  # punctuation only
    assert not keep_segment("you", -1.6, 0.84, 0.3)  # Whisper's own silence rule
    assert keep_segment("you", -1.6, 0.3, 0.3)  # unlikely text, but the model heard speech
    assert not keep_segment("oh oh oh oh oh oh oh oh", -0.5, 0.2, 3.0)  # repetition loop
