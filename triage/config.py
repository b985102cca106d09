"""The one Settings class. Read at the edges (CLI, API, jobs); inner code receives plain arguments."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_models_dir() -> Path:
    """Where models are unpacked and pulled unless TRIAGE_MODELS_DIR says otherwise: one absolute place, so that
    no working directory gets its own copy (mpnet unpacks to 419 MB). The checkout's models/ (known by its
    manifest) where it can be written, else the per-user cache ($XDG_CACHE_HOME or ~/.cache, then triage/models)."""
    checkout = Path(__file__).resolve().parent.parent / "models"
    if (checkout / "manifest.json").is_file() and os.access(checkout, os.W_OK):
        return checkout
    cache = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec ignores a relative path: it would make the folder depend on the working directory again.
    base = Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"
    return base / "triage" / "models"


class Settings(BaseSettings):
    """Every knob, from TRIAGE_* environment variables (or a .env file) with safe embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="TRIAGE_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = None  # default: SQLite file inside data_dir
    index_dir: Path | None = None  # default: data_dir / "index"
    models_dir: Path = Field(default_factory=default_models_dir)  # see default_models_dir

    # limits on what a submission may be
    max_file_bytes: int = 2 * 1024**3
    max_duration_s: float = 15 * 60
    max_pixels: int = 40_000_000
    max_side: int = 16_384
    min_side: int = 16
    max_text_chars: int = 200_000
    allow_mislabelled: bool = False  # accept files whose extension contradicts their content

    # decoding
    frames_per_video: int = 16
    thumbnail_size: int = 320
    # Read the words in images and video frames with Tesseract (Debian's tesseract-ocr-eng); off: pictures
    # keep no words. With it on but Tesseract missing, ingest goes on and says once that it skipped them.
    ocr: bool = True

    # models
    threads: int = Field(default=2, ge=1)
    device: str = "auto"  # auto | cpu | cuda
    whisper_model: str = "tiny.en"  # a size name, or a local CTranslate2 folder
    # A multilingual Whisper ("base" with the multilingual extra) for speech it hears is not English; "" = off.
    whisper_other_languages: str = ""
    whisper_beam_size: int = 1
    whisper_vad: bool = True
    # Whisper windows decoded together: short clips of one batch, or a long file's 30 s chunks. None: 8 on a GPU,
    # 1 on the CPU (each short clip alone, with the sequential decoder: as fast there, and fewer words wrong).
    whisper_batch_size: int | None = Field(default=None, ge=1)
    # A bundled name, a pulled name or a local sentence-transformers folder; "a+b" joins models into one space.
    # The two bundled models joined rank unseen corpora better than MiniLM alone (RESULTS.md, session 9).
    text_model: str = "all-MiniLM-L6-v2+all-mpnet-base-v2"
    # "auto": bfloat16 on CPUs that compute it in hardware (about twice as fast), float32 elsewhere and on CUDA.
    text_precision: Literal["auto", "float32", "bfloat16"] = "auto"
    clip_model: str = "ViT-B-32"
    clip_pretrained: str = "laion2b_s34b_b79k"
    clip_checkpoint: Path | None = None
    clip_batch_size: int = 32
    # Unload a model no call used for this many seconds; it loads again on its next use (seconds then). 0: never.
    # For a server that sits idle on a shared machine: its memory (or GPU memory) goes back between sessions.
    model_idle_s: float = Field(default=0, ge=0)

    # batch analysis: "local" runs in the ingest process, "ray" spreads files over Ray workers (one file a task)
    engine: Literal["local", "ray"] = "local"
    # Files the local engine analyses at once: a thread decodes the next batch while Whisper and the text model
    # run over this one, several short clips a pass (benchmarks/RESULTS.md, "Short clips at Whisper's pace").
    ingest_batch_size: int = Field(default=8, ge=1)
    ray_address: str | None = None  # None: RAY_ADDRESS, else a private Ray instance on this machine
    ray_workers: int | None = Field(default=None, ge=1)  # None: as many as the cluster's CPUs allow

    # search
    exact_search_max: int = 50_000  # above this many vectors a space gets an ANN index
    search_narrow_above: int = 20_000  # pools larger than this are narrowed by the index before scoring

    # the HTTP service
    max_body_bytes: int = 1024**2  # any request body but an upload's (a call-out, a decision, a form)
    # Load the models and compute each call-out's first page when the server starts, so the first curator does
    # not wait for them; /api/ready answers 503 until then.
    warm_on_start: bool = True
    log_format: Literal["text", "json"] = "text"  # json: one object per line, with the request or job it is for
    # Under this much free space on the data dir's disk, /api/health says so and /api/ready answers 503.
    min_free_bytes: int = Field(default=500_000_000, ge=0)
    # What one submitter token may upload through the server (curators and admins are not limited); 0: no limit.
    submitter_max_pending: int = Field(default=10, ge=0)  # uploads waiting for analysis (queued or running) at once
    submitter_max_bytes_per_day: int = Field(default=5_000_000_000, ge=0)  # bytes stored in any 24 hours

    # Programmes' renders (issue 20): loudness by EBU R128, web's -16 LUFS by default (broadcast: -23), and the
    # rough cut's frame.
    render_loudness_lufs: float = Field(default=-16.0, ge=-40, le=-5)
    render_true_peak_db: float = Field(default=-1.0, ge=-9, le=0)
    render_width: int = Field(default=1280, ge=160, le=3840)
    render_height: int = Field(default=720, ge=90, le=2160)
    render_fps: int = Field(default=25, ge=1, le=60)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'triage.db').resolve()}"

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir if self.index_dir is not None else self.data_dir / "index"
