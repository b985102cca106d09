"""`triage search | similar | shortlist | duplicates | clusters`: the curator's questions, as JSON with stable keys."""

from __future__ import annotations

from collections.abc import Callable

import click

from triage import runtime
from triage.cli import cli
from triage.cli.model_drift import warn_of_model_drift
from triage.cli.output import emit_json, one_line, table
from triage.cli.progress import BatchProgress
from triage.config import Settings
from triage.domain import DECISIONS, UNDECIDED
from triage.encoders.base import Encoders
from triage.store.callouts import get_callout
from triage.store.store import Store

# The bounds the HTTP API enforces on the same parameters: out of them a result is empty or meaningless.
LIMIT = click.IntRange(min=1)
OFFSET = click.IntRange(min=0)


def _models(settings: Settings, store: Store) -> Encoders:
    """The query models, after a warning on stderr when stored vectors belong to other models (they are left out)."""
    warn_of_model_drift(settings, store)
    return runtime.query_encoders(settings)


def _hit_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options search and similar share: the pool, the page and the output format."""
    for option in reversed((
        click.option("--callout", "callout_id", help="Look in one call-out's pool (default: the whole archive)."),
        click.option("--limit", type=LIMIT, default=20, show_default=True, help="How many to list."),
        click.option("--offset", type=OFFSET, default=0, help="Skip this many first (the next page)."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text."),
        click.pass_obj,
    )):
        command = option(command)
    return command


NEAREST = 5  # lines shown under "no good match": enough to see what the pool has, not a page of noise


def _hits(result: dict, as_json: bool) -> None:
    """Search-like results as JSON, or as a table: rank, id, type, score, moment and the text that matched.

    Where search knows the floor: "no good match" when nothing in the whole ranking reaches it (then only the few
    nearest), and "weak" beside the lines below it.
    """
    if as_json:
        emit_json(result)
        return
    items = result["items"]
    if result.get("good") == 0 and "query" in result:
        unknown = any(i.get("match") is None for i in items)
        among = " among the pieces with words (images and silent videos cannot be checked)" if unknown else ""
        click.echo(f"no good match for {one_line(repr(result['query']))}{among}; the nearest:")
        items = items[:NEAREST]
    rows = [[str(i["rank"]), i["external_id"], i["media_type"], f"{i['score']:.2f}", _at(i["moment"]),
             i.get("match") or "", (i["snippet"] or "")[:60]] for i in items]
    header = ["#", "ID", "TYPE", "SCORE", "AT", "FIT", "MATCH"]
    if result.get("floor") is None:  # nothing to say about fit: leave the column out
        rows, header = [r[:5] + r[6:] for r in rows], header[:5] + header[6:]
    table(rows, header)


@cli.command()
@click.argument("text")
@_hit_options
def search(settings: Settings, text: str, callout_id: str | None, limit: int, offset: int, as_json: bool) -> None:
    """Submissions matching a text prompt, with the moment that matched."""
    from triage.service.search import search

    store = runtime.open_store(settings)
    _hits(search(store, _models(settings, store), text, callout_id=callout_id, limit=limit, offset=offset,
                 **runtime.index_options(settings)), as_json)


@cli.command()
@click.argument("submission")
@_hit_options
def similar(settings: Settings, submission: str, callout_id: str | None, limit: int, offset: int,
            as_json: bool) -> None:
    """Submissions like one submission (id or external id): its words and frames are the query."""
    from triage.service.search import similar

    store = runtime.open_store(settings)
    _hits(similar(store, _models(settings, store), submission, callout_id=callout_id, limit=limit,
                  offset=offset, **runtime.index_options(settings)), as_json)


@cli.command()
@click.argument("callout_id")
@click.option("--limit", type=LIMIT, default=20, show_default=True, help="How many to list.")
@click.option("--offset", type=OFFSET, default=0, help="Skip this many first (the next page).")
@click.option("--diversity", type=click.FloatRange(0, 1), default=0.3, show_default=True,
              help="0 = pure relevance, 1 = most varied.")
@click.option("--media-type", type=click.Choice(["video", "audio", "image", "text"]), help="Only this kind of media.")
@click.option("--cluster", type=click.IntRange(min=0), help="Only this cluster id (see `triage clusters`).")
@click.option("--decision", type=click.Choice([*DECISIONS, UNDECIDED]),
              help="Only pieces with this current curator decision; unrated includes those never decided, "
              "undecided is only those.")
@click.option("--min-duration", type=click.FloatRange(min=0),
              help="Only pieces at least this many seconds long (texts and images have none).")
@click.option("--max-duration", type=click.FloatRange(min=0), help="Only pieces at most this many seconds long.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def shortlist(settings: Settings, callout_id: str, limit: int, offset: int, diversity: float, media_type: str | None,
              cluster: int | None, decision: str | None, min_duration: float | None, max_duration: float | None,
              as_json: bool) -> None:
    """The ranked, de-duplicated, diverse shortlist of a call-out, each entry with its reason."""
    from triage.service.cache import PoolCache
    from triage.service.shortlist import shortlist

    store = runtime.open_store(settings)
    # a cache: the clusters the server (or an earlier run) kept on disk for this very pool are read, not recomputed
    result = shortlist(store, _models(settings, store), callout_id, limit=limit, offset=offset,
                       diversity=diversity, media_type=media_type, cluster=cluster, decision=decision,
                       min_duration=min_duration, max_duration=max_duration, cache=PoolCache())
    if as_json:
        emit_json(result)
        return
    table([[str(i["rank"]), i["external_id"], i["media_type"], f"{i['score']:.2f}", str(len(i["duplicates"])),
            i["cluster_label"] or "", _why(i["why"])] for i in result["items"]],
          ["#", "ID", "TYPE", "SCORE", "DUPS", "CLUSTER", "WHY"])


@cli.command()
@click.option("--callout", "callout_id", help="One call-out's pool (default: archive-wide).")
@click.option("--not-duplicate", "split", nargs=2, metavar="A B",
              help="Record that A and B are different pieces (ids or external ids); kept from then on.")
@click.option("--merge", "join", nargs=2, metavar="A B", help="Record that A and B are the same piece.")
@click.option("--by", default="cli", show_default=True, help="Who decided, kept with the verdict.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def duplicates(settings: Settings, callout_id: str | None, split: tuple[str, str] | None,
               join: tuple[str, str] | None, by: str, as_json: bool) -> None:
    """Groups of re-uploads, re-encodes, trims and re-typed copies; with a verdict, the groups after it."""
    from triage.service.duplicates import groups, set_override
    from triage.store.submissions import lookup

    store = runtime.open_store(settings)
    if callout_id is not None:
        with store.db.session() as session:
            get_callout(session, callout_id)  # an unknown call-out is a typo, not a pool without copies
    for verdict, pair in (("not_duplicate", split), ("merge", join)):
        if pair:
            with store.db.session() as session:
                a, b = (lookup(session, ref, callout_id).id for ref in pair)
            set_override(store, a, b, verdict, by)
    result = groups(store, callout_id)
    if as_json:
        emit_json(result)
        return
    for g in result["groups"]:
        click.echo(f"{g['representative']}: " + ", ".join(m for m in g["members"] if m != g["representative"]))


@cli.command()
@click.argument("callout_id")
@click.option("-k", "--clusters", "k", type=click.IntRange(min=1),
              help="Number of clusters (default: chosen automatically).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def clusters(settings: Settings, callout_id: str, k: int | None, as_json: bool) -> None:
    """Sub-themes of a call-out's pool with readable labels."""
    from triage.service.cache import PoolCache
    from triage.service.clusters import clusters

    store = runtime.open_store(settings)
    # the encoder helps name them; a cache reads the clusters kept on disk for this very pool
    result = clusters(store, _models(settings, store), callout_id, k=k, cache=PoolCache())
    if as_json:
        emit_json(result)
        return
    table([[str(c["id"]), c["label"], str(c["size"])] for c in result["clusters"]], ["ID", "LABEL", "SIZE"])


def _at(m: dict | None) -> str:
    return f"{m['start']:.1f}s" if m else ""


def _why(why: dict) -> str:
    where = f" at {why['start']:.1f}s" if why.get("start") is not None else ""
    return f"{why['modality']}{where}: {(why.get('snippet') or '')[:50]}"


@cli.command()
@click.argument("callout_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def score(settings: Settings, callout_id: str, as_json: bool) -> None:
    """Re-score a call-out's whole pool (after its brief or prompts change) as a durable job, in the foreground."""
    from triage.jobs import queue
    from triage.jobs.worker import run_inline

    store = runtime.open_store(settings)
    with store.db.session() as session:
        get_callout(session, callout_id)
    job_id = queue.enqueue(store.db, "rescore", callout_id=callout_id)
    models = _models(settings, store)  # before the progress bar, which owns stderr's last line
    with BatchProgress(4, f"score {callout_id}", quiet=as_json) as progress:
        job = run_inline(store, job_id, settings=settings, models=models, progress=progress.follow)
    if as_json:
        emit_json(job)
    else:
        click.echo(f"job {job['id']} {job['status']}: {job.get('result') or job.get('error')}")
    if job["status"] != "done":
        raise SystemExit(1)
