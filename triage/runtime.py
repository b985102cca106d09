"""Turn Settings into the plain objects inner code receives: limits, the store, the models."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from triage.config import Settings
from triage.domain import MediaLimits
from triage.encoders import cache, registry
from triage.encoders.base import Encoders, ImageTextEncoder, TextEncoder, Transcriber
from triage.errors import ModelUnavailable
from triage.ingest.batch import engine_for
from triage.ingest.engine import Analyser, AnalysisEngine
from triage.store.store import Store
from triage.vectors import set_threads

if TYPE_CHECKING:
    from triage.service.lineage_update import Spread

log = logging.getLogger(__name__)


def limits(settings: Settings) -> MediaLimits:
    return MediaLimits(
        max_file_bytes=settings.max_file_bytes, max_duration_s=settings.max_duration_s,
        max_pixels=settings.max_pixels, max_side=settings.max_side, min_side=settings.min_side,
        max_text_chars=settings.max_text_chars,
    )


def index_options(settings: Settings) -> dict[str, Any]:
    """How search and "more like this" use the FAISS index on big pools (their keyword arguments)."""
    return {"index_dir": settings.resolved_index_dir, "narrow_above": settings.search_narrow_above,
            "exact_max": settings.exact_search_max}


def open_store(settings: Settings) -> Store:
    # FAISS searches and the duplicate sweeps would otherwise take every core, which a shared machine or a Ray
    # worker beside this process does not have.
    set_threads(settings.threads)
    return Store(settings.data_dir, settings.resolved_database_url)


def clip_encoder(settings: Settings, *, required: bool = False, quiet: bool = False) -> ImageTextEncoder | None:
    """The configured CLIP model, or None (with a warning) when its weights are not installed."""
    try:
        return registry.image_text_encoder(
            settings.clip_model, settings.clip_pretrained, checkpoint=settings.clip_checkpoint,
            device=settings.device, threads=settings.threads, batch_size=settings.clip_batch_size,
            models_dir=settings.models_dir,
        )
    except ModelUnavailable as exc:
        if required:
            raise
        # Ingest says it out loud (frames wait for weights); queries just score without the visual modality.
        log.log(logging.INFO if quiet else logging.WARNING,
                "%s. Frames and images are stored and get their visual vectors once weights exist.", exc)
        return None


def text_encoder(settings: Settings) -> TextEncoder:
    return registry.text_encoder(settings.text_model, device=settings.device, threads=settings.threads,
                                 precision=settings.text_precision, models_dir=settings.models_dir)


def encoders(settings: Settings) -> Encoders:
    """Load the configured models (cached per process). Speech and text models must exist; CLIP may wait."""
    # The text models first: loading one briefly holds its weight file on top of the model, so the process's
    # peak memory is lowest when that happens before Whisper is in memory.
    text = unloadable(settings, lambda: text_encoder(settings))
    return Encoders(
        transcriber=unloadable(settings, lambda: transcriber(settings)),
        text=text,
        clip=_clip(settings, quiet=False),
        vad=settings.whisper_vad,
    )


def transcriber(settings: Settings) -> Transcriber:
    """The configured speech model (cached per process)."""
    return registry.transcriber(settings.whisper_model, beam_size=settings.whisper_beam_size,
                                vad=settings.whisper_vad, device=settings.device, threads=settings.threads,
                                models_dir=settings.models_dir, other_languages=settings.whisper_other_languages,
                                batch_size=settings.whisper_batch_size)


Model = TypeVar("Model")


def unloadable(settings: Settings, load: Callable[[], Model]) -> Model:
    """The model `load` gives. With TRIAGE_MODEL_IDLE_S, a handle instead, which loads it again on the next call
    after the process's watcher unloaded it for having been idle that long."""
    if not settings.model_idle_s:
        return load()
    handle = cache.Reloading(load)
    cache.watch(settings.model_idle_s)
    return cast(Model, handle)


def _clip(settings: Settings, *, quiet: bool) -> ImageTextEncoder | None:
    """CLIP as `clip_encoder` gives it (None without weights); once loaded, an unloadable one must load again."""
    if (model := clip_encoder(settings, quiet=quiet)) is None or not settings.model_idle_s:
        return model
    return unloadable(settings, lambda: clip_encoder(settings, required=True))


def analyser(settings: Settings, models: Encoders | Callable[[], Encoders]) -> Analyser:
    """The analysis the ingest runner (and reprocessing, with `stages`) runs: called with a path, one file;
    through a BatchEngine, `settings.ingest_batch_size` files at once.

    `models` may be a function that loads them: then they load on the first file that needs analysis, so a
    re-run whose files are all done already never pays for loading Whisper and the sentence model.
    """
    load = models if callable(models) else (lambda: models)
    return Analyser(limits(settings), settings.frames_per_video, settings.thumbnail_size, load,
                    batch_size=settings.ingest_batch_size, ocr=settings.ocr)


def worker_analyser(settings: Settings) -> Analyser:
    """The analysis a process makes from its settings alone, loading its own models on the first file (a Ray
    worker's)."""
    return analyser(settings, lambda: encoders(settings))


def analysis_engine(settings: Settings, models: Encoders | Callable[[], Encoders] | None = None, *,
                    ray_pool: Any = None) -> AnalysisEngine:
    """Where analyses run (settings.engine): the one place an engine is chosen. Close it after the batch.

    The local engine analyses batches of files in this process with `models` (or a function that loads them), else
    loads its own when the first file needs analysis. Ray workers always load their own: on `ray_pool` (a
    `ray_workers` pool that several engines share, left running) or on a pool of the engine's own.
    """
    if settings.engine == "ray":
        from triage.ingest.ray_engine import RayEngine  # Ray is optional and slow to import

        if ray_pool is not None:
            return RayEngine(pool=ray_pool)
        return RayEngine(settings, worker_analyser, address=settings.ray_address, workers=settings.ray_workers)
    return engine_for(analyser(settings, models or (lambda: encoders(settings))))


def batch_spread(settings: Settings) -> Spread | None:
    """How a batch's pure computation (the lineage rebuild's matching) is shared out: over Ray tasks with the Ray
    engine, else None (in this process). Chosen here, beside `analysis_engine`, from the same setting."""
    if settings.engine != "ray":
        return None
    from triage.ingest.ray_engine import require_ray, spread

    require_ray()  # before the caller reads its inputs, not after
    return functools.partial(spread, address=settings.ray_address, workers=settings.ray_workers,
                             threads=settings.threads)


def ray_workers(settings: Settings) -> Any:
    """Ray workers for engines to share (`analysis_engine(..., ray_pool=)`): the server's, started once."""
    from triage.ingest.ray_engine import RayWorkerPool

    return RayWorkerPool(settings, worker_analyser, address=settings.ray_address, workers=settings.ray_workers)


def query_encoders(settings: Settings) -> Encoders:
    """Models for scoring and search: the text model and CLIP (if installed); no speech model is loaded."""
    return Encoders(transcriber=None, text=unloadable(settings, lambda: text_encoder(settings)),
                    clip=_clip(settings, quiet=True), vad=settings.whisper_vad)


def encoder_names(settings: Settings) -> dict[str, str]:
    """{vector space: the name of the configured encoder}, as `query_encoders` would name them, from the settings
    alone: loading the models takes seconds, too long for a health check or a warning before the real work."""
    return {"text": registry.text_encoder_name(settings.text_model),
            "clip": registry.image_text_encoder_name(settings.clip_model, settings.clip_pretrained,
                                                     settings.clip_checkpoint)}
