"""`triage eval CORPUS_DIR`: measure triage on a labelled corpus, side by side with a BM25 baseline."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from triage.cli import cli
from triage.cli.engine import engine_options, with_engine
from triage.cli.output import emit_json, table
from triage.config import Settings
from triage.errors import ConfigError


@cli.command("eval")
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--keep", "keep", type=click.Path(path_type=Path),
              help="Use (and keep) this fresh data dir instead of a temporary one.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@engine_options
@click.pass_obj
def evaluate(settings: Settings, corpus_dir: Path, keep: Path | None, as_json: bool, engine: str | None,
             workers: int | None, ray_address: str | None) -> None:
    """Ingest a labelled corpus into a fresh data dir and report ranking, duplicate and transcript quality."""
    settings = with_engine(settings, engine, workers, ray_address)
    from triage.evaluation.corpus import load_corpus
    from triage.evaluation.run import run_eval

    corpus = load_corpus(corpus_dir)
    if keep is not None and keep.exists() and any(keep.iterdir()):
        raise ConfigError(f"--keep {keep} is not empty; give a new folder so the figures start from nothing")
    data_dir = keep if keep is not None else Path(tempfile.mkdtemp(prefix="triage-eval-"))
    fresh = settings.model_copy(update={"data_dir": data_dir, "database_url": None, "index_dir": None})
    try:
        result = run_eval(corpus, fresh)
    finally:
        if keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    if as_json:
        emit_json(result)
    else:
        show(result)


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def show(result: dict[str, Any]) -> None:
    """The human table: one row per call-out, then the averages."""
    rows = [[c["callout"], _f(c["search"]["ndcg@10"]), _f(c["bm25"]["ndcg@10"]), _f(c["search"]["precision@10"]),
             _f(c["bm25"]["precision@10"]), _f(c["shortlist"]["precision@5"]),
             str(c["repeats"]["search"] + c["repeats"]["shortlist"])] for c in result["callouts"]]
    avg = result["average"]
    rows.append(["AVERAGE", _f(avg["search"]["ndcg@10"]), _f(avg["bm25"]["ndcg@10"]),
                 _f(avg["search"]["precision@10"]), _f(avg["bm25"]["precision@10"]),
                 _f(avg["shortlist"]["precision@5"]), str(avg["repeats"])])
    table(rows, ["CALLOUT", "nDCG@10", "BM25", "P@10", "BM25 P@10", "SHORT P@5", "DUP SHOWN TWICE"])
    d, w, i = avg["duplicates"], avg["wer"], avg["ingest"]
    click.echo(f"duplicates: precision {_f(d.get('precision'))} recall {_f(d.get('recall'))} "
               f"F1 {_f(d.get('f1'))} ({d.get('predicted_pairs')} pairs found, {d.get('true_pairs')} true)")
    click.echo(f"transcripts: WER mean {_f(w.get('mean'))} median {_f(w.get('median'))} over {w.get('items')} pieces")
    click.echo(f"ingest: {i['seconds_first']:.1f} s processing, {i['seconds_total']:.1f} s for all call-outs; "
               + ", ".join(f"{n} {s}" for s, n in sorted(i["by_status"].items())))
