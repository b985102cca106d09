"""What `triage models list|pull|check` does. Returns plain data; the CLI prints it."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np

from triage.config import Settings
from triage.encoders import registry
from triage.encoders.offline import hub_host
from triage.errors import ConfigError, ModelUnavailable, TriageError

CONNECT_TIMEOUT_S = 3.0


def _configured(settings: Settings) -> dict[str, str]:
    return {"whisper": settings.whisper_model, "text": settings.text_model,
            "clip": f"{settings.clip_model}/{settings.clip_pretrained}"}


def list_models(settings: Settings) -> list[dict[str, Any]]:
    """Every known model as a dict (family, name, description, source, installed, size_bytes, location,
    configured), plus the configured ones that are local paths or checkpoints."""
    from triage.encoders.text import part_names

    configured = _configured(settings)
    chosen = {(family, part) for family, name in configured.items()
              for part in (part_names(name) if family == "text" else [name])}
    if settings.whisper_other_languages:
        chosen.add(("whisper", settings.whisper_other_languages))
    rows = [{**m.to_dict(), "configured": (m.family, m.name) in chosen}
            for m in registry.known_models(settings.models_dir)]
    names = {(r["family"], r["name"]) for r in rows}
    for family, name in sorted(chosen):
        if family != "clip" and (family, name) not in names:
            path = Path(name).expanduser()
            rows.append({"family": family, "name": name, "description": "local folder", "source": "local",
                         "installed": path.is_dir(), "size_bytes": registry.disk_size(path) if path.exists() else None,
                         "location": str(path) if path.exists() else None, "configured": True})
    if settings.clip_checkpoint is not None:
        ckpt = Path(settings.clip_checkpoint)
        for row in rows:
            if row["family"] == "clip":
                row["configured"] = False
        rows.append({"family": "clip", "name": f"{settings.clip_model} + {ckpt.name}",
                     "description": "CLIP from a local checkpoint file", "source": "TRIAGE_CLIP_CHECKPOINT",
                     "installed": ckpt.is_file(), "size_bytes": ckpt.stat().st_size if ckpt.is_file() else None,
                     "location": str(ckpt), "configured": True})
    return rows


def check_online(host: str | None = None, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise ModelUnavailable at once when the model hub cannot be reached (instead of a minute of retries)."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        raise ModelUnavailable("HF_HUB_OFFLINE is set, so nothing can be downloaded; unset it to pull models")
    host = host or hub_host()
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            pass
    except OSError as exc:
        raise ModelUnavailable(
            f"Cannot reach {host} ({exc}); 'triage models pull' needs internet. Pull on a machine that has "
            "it and copy its models folder here, or point TRIAGE_* model settings at local files"
        ) from exc


def _family_of(name: str) -> tuple[str, str]:
    """Split "family:name"; without a prefix guess from the name (Whisper size, arch/tag, else text)."""
    if ":" in name and name.split(":", 1)[0] in registry.FAMILIES:
        family, rest = name.split(":", 1)
        return family, rest
    from triage.encoders import whisper

    if name in whisper.whisper_sizes():
        return "whisper", name
    if "/" in name:
        import open_clip

        arch, tag = name.split("/", 1)
        if open_clip.get_model_config(arch) is not None:
            return "clip", name
    return "text", name


def pull(settings: Settings, names: list[str] | None = None) -> list[str]:
    """Download models into settings.models_dir (default: the configured ones); one line per model.

    Models already on disk are skipped without touching the network. Fails fast when offline.
    """
    from triage.encoders import clip, text, whisper

    wanted = names or [f"{f}:{n}" for f, n in _configured(settings).items()]
    if not names and settings.whisper_other_languages:
        wanted.append(f"whisper:{settings.whisper_other_languages}")
    models_dir = settings.models_dir
    todo: list[tuple[str, str]] = []
    report: list[str] = []
    expanded = [(family, part) for family, name in map(_family_of, wanted)
                for part in (text.part_names(name) if family == "text" else [name])]
    for family, name in expanded:
        try:
            if family == "whisper":
                whisper.resolve(name, models_dir)
            elif family == "text":
                text.resolve(name, models_dir)
            else:
                arch, _, tag = name.partition("/")
                if not tag:
                    raise ConfigError(f"Name CLIP weights as ARCH/TAG, e.g. ViT-B-32/laion2b_s34b_b79k, not {name!r}")
                clip.resolve_weights(arch, tag, None, models_dir)
            report.append(f"{family} {name}: already installed")
        except ModelUnavailable:
            todo.append((family, name))
    if not todo:
        return report
    check_online()
    for family, name in todo:
        if family == "whisper":
            path = whisper.download(name, models_dir)
        elif family == "text":
            path = text.download(name, models_dir)
        else:
            arch, _, tag = name.partition("/")
            path = clip.download(arch, tag, models_dir)
        report.append(f"{family} {name}: downloaded to {path}")
    return report


def _smoke(family: str, settings: Settings) -> tuple[Any, float, float, str]:
    """Load one configured model and time a small input; returns (model, load_s, speed, unit)."""
    device, threads, models_dir = settings.device, settings.threads, settings.models_dir
    t0 = time.perf_counter()
    if family == "whisper":
        model: Any = registry.transcriber(settings.whisper_model, beam_size=settings.whisper_beam_size,
                                          vad=settings.whisper_vad, device=device, threads=threads,
                                          models_dir=models_dir, other_languages=settings.whisper_other_languages)
        load_s = time.perf_counter() - t0
        rng = np.random.default_rng(0)
        audio = (0.01 * rng.standard_normal(5 * 16_000)).astype(np.float32)  # 5 s of faint noise
        t1 = time.perf_counter()
        model.transcribe(audio, vad=False)
        return model, load_s, 5.0 / (time.perf_counter() - t1), "x real time"
    if family == "text":
        model = registry.text_encoder(settings.text_model, device=device, threads=threads,
                                      precision=settings.text_precision, models_dir=models_dir)
        load_s = time.perf_counter() - t0
        sentences = [f"Sentence number {i} about an ordinary afternoon." for i in range(32)]
        t1 = time.perf_counter()
        model.encode(sentences)
        return model, load_s, len(sentences) / (time.perf_counter() - t1), "sentences/s"
    model = registry.image_text_encoder(settings.clip_model, settings.clip_pretrained,
                                        checkpoint=settings.clip_checkpoint,
                                        batch_size=settings.clip_batch_size, device=device, threads=threads,
                                        models_dir=models_dir)
    load_s = time.perf_counter() - t0
    images = [np.random.default_rng(i).integers(0, 256, (224, 224, 3), dtype=np.uint8) for i in range(4)]
    t1 = time.perf_counter()
    model.encode_images(images)
    return model, load_s, len(images) / (time.perf_counter() - t1), "images/s"


def check(settings: Settings) -> list[dict[str, Any]]:
    """Load each configured model and run a smoke input. A missing or broken model is reported, not raised."""
    configured = _configured(settings)
    rows: list[dict[str, Any]] = []
    for family in registry.FAMILIES:
        row: dict[str, Any] = {"family": family, "name": configured[family], "ok": False, "device": None,
                               "load_s": None, "speed": None, "unit": None, "error": None}
        try:
            model, load_s, speed, unit = _smoke(family, settings)
            row.update(ok=True, name=model.name, device=model.device, load_s=round(load_s, 3), speed=round(speed, 2),
                       unit=unit)
        except TriageError as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    return rows
