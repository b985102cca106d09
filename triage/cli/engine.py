"""The options that choose where a batch's files are analysed, shared by ingest, reprocess and eval."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from triage.config import Settings
from triage.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])


def engine_options(command: F) -> F:
    """Add --engine, --workers and --ray-address to a command (its function gets them as keywords)."""
    command = click.option("--ray-address",
                           help="Join this Ray cluster (default: RAY_ADDRESS, else a private local one).")(command)
    command = click.option("--workers", type=click.IntRange(min=1),
                           help="Ray workers (default: the cluster's CPUs / threads).")(command)
    return click.option("--engine", type=click.Choice(["local", "ray"]),
                        help="Where files are analysed [TRIAGE_ENGINE].")(command)


def with_engine(settings: Settings, engine: str | None, workers: int | None, ray_address: str | None) -> Settings:
    """Settings with the command-line engine choices applied over the environment's."""
    overrides = {"engine": engine, "ray_workers": workers, "ray_address": ray_address}
    chosen = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    if chosen.engine != "ray" and (workers or ray_address):
        raise ConfigError("--workers and --ray-address need --engine ray")
    return chosen
