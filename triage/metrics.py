"""The server's Prometheus metrics (served at /metrics). Metrics are process-wide by nature: this module holds
them, the code that measures calls these helpers, and nothing here changes what the code does."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_SECONDS = Histogram(
    "triage_http_request_duration_seconds", "Time to answer a request, by route template and status class",
    ["method", "route", "status"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
JOB_SECONDS = Histogram(
    "triage_job_duration_seconds", "Time a job ran, by kind and outcome", ["kind", "outcome"], registry=REGISTRY,
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900))
STAGE_SECONDS = Histogram(
    "triage_ingest_stage_seconds", "Time an analysis spent in each stage (probe, decode, transcribe, embed...)",
    ["stage"], registry=REGISTRY, buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
PIECES = Counter("triage_ingested_total", "Pieces analysed, by how it ended (ready, rejected, failed)", ["status"],
                 registry=REGISTRY)
MODEL_LOAD_SECONDS = Gauge("triage_model_load_seconds", "How long the server took to load its models at start",
                           registry=REGISTRY)
INDEX_REBUILDS = Counter("triage_index_rebuilds_total", "FAISS indexes rebuilt from the database, and why",
                         ["reason"], registry=REGISTRY)


def observe_stages(timings: dict[str, float]) -> None:
    """An analysis's seconds per stage."""
    for stage, seconds in timings.items():
        STAGE_SECONDS.labels(stage).observe(seconds)
