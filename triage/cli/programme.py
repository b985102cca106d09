"""`triage programme`: from a shortlist to a programme (an episode, a book, an album): place pieces, order and
trim them, see the total against the target, the credits, and render it."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from triage import runtime
from triage.cli import cli
from triage.cli.output import emit_json, table
from triage.config import Settings
from triage.errors import BadRequest
from triage.service.programmes import ProgrammeView
from triage.timefmt import clock, parse_length


@cli.group(name="programme")
def programme_group() -> None:
    """Programmes: the episode, book or album a call-out becomes, with its running order, cuts and credits."""


def _show(found: ProgrammeView, as_json: bool) -> None:
    if as_json:
        emit_json(asdict(found))
        return
    words = found.unit == "words"
    amount = (lambda v: f"{round(v)}") if words else clock
    click.echo(f"{found.id}: {found.name!r} ({found.kind}), {amount(found.used)} of {amount(found.target)}"
               f"{' words' if words else ''}" + (f", {amount(found.over)} over" if found.over else ""))
    rows = []
    for piece in found.pieces:
        unit_of = (lambda v: f"{round(v)}w") if piece.media_type == "text" else clock
        cut = "-" if piece.media_type == "image" else f"{unit_of(piece.start)}-{unit_of(piece.end)}"
        rows.append([str(piece.position), piece.submission_id, piece.title[:40], piece.contributor or "-",
                     piece.media_type or "-", cut, piece.heading or "", "; ".join(piece.problems)])
    if rows:
        table(rows, ["#", "submission", "title", "contributor", "type", "cut", "section", "to look at"])
    else:
        click.echo(f"no pieces yet: triage programme add {found.id} SUBMISSION")


_json = click.option("--json", "as_json", is_flag=True, help="Print JSON (the shape the API returns).")


@programme_group.command(name="create")
@click.argument("name")
@click.option("--kind", type=click.Choice(["episode", "book", "album"]), required=True)
@click.option("--callout", "callout_id", help="Its call-out (pieces may come from others too).")
@click.option("--target", help="Seconds or a clock (22:00) for an episode or album; words for a book.")
@_json
@click.pass_obj
def create(settings: Settings, name: str, kind: str, callout_id: str | None, target: str | None,
           as_json: bool) -> None:
    """A new programme called NAME; its id is NAME as a slug."""
    from triage.service.programmes import create as create_programme

    _show(create_programme(runtime.open_store(settings), name, kind, callout_id=callout_id,
                           target=parse_length(target, "--target"), by="cli"), as_json)


@programme_group.command(name="list")
@click.option("--callout", "callout_id", help="Only this call-out's programmes.")
@_json
@click.pass_obj
def list_programmes(settings: Settings, callout_id: str | None, as_json: bool) -> None:
    """Every programme with its total against its target."""
    from triage.service.programmes import listing

    found = listing(runtime.open_store(settings), callout_id)
    if as_json:
        emit_json([asdict(p) for p in found])
        return
    table([[p.id, p.name, p.kind, p.callout_id or "-", str(len(p.pieces)),
            f"{round(p.used)}/{round(p.target)} {p.unit}"] for p in found],
          ["id", "name", "kind", "call-out", "pieces", "total/target"])


@programme_group.command(name="show")
@click.argument("programme_id")
@_json
@click.pass_obj
def show(settings: Settings, programme_id: str, as_json: bool) -> None:
    """The running order, each piece's cut and section, and what to look at."""
    from triage.service.programmes import view

    _show(view(runtime.open_store(settings), programme_id), as_json)


@programme_group.command(name="add")
@click.argument("programme_id")
@click.argument("refs", nargs=-1, required=True)
@click.option("--in", "start", help="In point: seconds or a clock; a word number for a text.")
@click.option("--out", "end", help="Out point, likewise.")
@click.option("--heading", help="Open a section here, with this title.")
@click.option("--at", type=int, help="Place it at this position (1 = first); default: at the end.")
@click.option("--whole", is_flag=True, help="An episode takes a piece's matched moment with handles; this takes "
                                              "the whole piece.")
@_json
@click.pass_obj
def add(settings: Settings, programme_id: str, refs: tuple[str, ...], start: str | None, end: str | None,
        heading: str | None, at: int | None, whole: bool, as_json: bool) -> None:
    """Place pieces (submission ids or external ids) in the programme, in the order given."""
    from triage.service.cache import PoolCache
    from triage.service.programmes import add as add_piece
    from triage.service.programmes import view

    store = runtime.open_store(settings)
    found = view(store, programme_id)
    wants_moment = found.kind == "episode" and start is None and end is None and not whole
    models = runtime.query_encoders(settings) if wants_moment else None  # the moments come from the ranking
    cache = PoolCache()  # one ranking per call-out, however many pieces are added
    for n, ref in enumerate(refs):
        found = add_piece(store, programme_id, ref, start=parse_length(start, "--in"),
                          end=parse_length(end, "--out"), models=models, cache=cache,
                          heading=heading if n == 0 else None, at=None if at is None else at + n, by="cli")
    _show(found, as_json)


@programme_group.command(name="move")
@click.argument("programme_id")
@click.argument("ref")
@click.argument("to", type=int)
@_json
@click.pass_obj
def move(settings: Settings, programme_id: str, ref: str, to: int, as_json: bool) -> None:
    """Move a piece (its id, external id or current position) to position TO (1 = first)."""
    from triage.service.programmes import move as move_piece

    _show(move_piece(runtime.open_store(settings), programme_id, ref, to), as_json)


@programme_group.command(name="trim")
@click.argument("programme_id")
@click.argument("ref")
@click.option("--in", "start", help="In point: seconds or a clock (0:12.5); a word number for a text.")
@click.option("--out", "end", help="Out point, likewise.")
@click.option("--whole", is_flag=True, help="Use the whole piece again.")
@_json
@click.pass_obj
def trim(settings: Settings, programme_id: str, ref: str, start: str | None, end: str | None, whole: bool,
         as_json: bool) -> None:
    """Set a piece's in and out points (one of them keeps its current value)."""
    from triage.service.programmes import trim as trim_piece
    from triage.service.programmes import whole as whole_piece

    store = runtime.open_store(settings)
    if whole:
        _show(whole_piece(store, programme_id, ref), as_json)
        return
    if start is None and end is None:
        raise BadRequest("give --in, --out or both (or --whole)")
    _show(trim_piece(store, programme_id, ref, parse_length(start, "--in"), parse_length(end, "--out")), as_json)


@programme_group.command(name="heading")
@click.argument("programme_id")
@click.argument("ref")
@click.argument("text", required=False)
@_json
@click.pass_obj
def heading(settings: Settings, programme_id: str, ref: str, text: str | None, as_json: bool) -> None:
    """Open a section titled TEXT at a piece (no TEXT: the section heading there goes)."""
    from triage.service.programmes import set_heading

    _show(set_heading(runtime.open_store(settings), programme_id, ref, text), as_json)


@programme_group.command(name="remove")
@click.argument("programme_id")
@click.argument("ref")
@_json
@click.pass_obj
def remove(settings: Settings, programme_id: str, ref: str, as_json: bool) -> None:
    """Take a piece out of the programme."""
    from triage.service.programmes import remove as remove_piece

    _show(remove_piece(runtime.open_store(settings), programme_id, ref), as_json)


@programme_group.command(name="suggest")
@click.argument("programme_id")
@click.option("--apply", "apply_it", is_flag=True, help="Put the pieces in the suggested order.")
@_json
@click.pass_obj
def suggest(settings: Settings, programme_id: str, apply_it: bool, as_json: bool) -> None:
    """A suggested running order: sub-themes together, the strongest pieces first and last (relevance and the
    team's votes), no contributor twice in a row where it can be helped."""
    from triage.service.programme_order import suggestion
    from triage.service.programmes import reorder, view

    store = runtime.open_store(settings)
    found = suggestion(store, runtime.query_encoders(settings), programme_id)
    if apply_it:
        _show(reorder(store, programme_id, list(found.order)), as_json)
        return
    if as_json:
        emit_json(asdict(found))
        return
    titles = {p.submission_id: p.title for p in view(store, programme_id).pieces}
    table([[str(n), sid, titles.get(sid, "")[:50]] for n, sid in enumerate(found.order, start=1)],
          ["#", "submission", "title"])
    click.echo(f"a contributor follows themself {found.clashes_after} times (now {found.clashes_before}); "
               f"accept it with: triage programme suggest {programme_id} --apply")


@programme_group.command(name="credits")
@click.argument("programme_id")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the payout sheet (CSV) here.")
@_json
@click.pass_obj
def credits(settings: Settings, programme_id: str, csv_path: Path | None, as_json: bool) -> None:
    """Everyone credited, with their share of the programme (seconds on screen, words or tracks)."""
    from triage.service.programme_credits import payout_csv
    from triage.service.programme_render import credits as credits_of
    from triage.service.programme_render import settings_of

    found = credits_of(runtime.open_store(settings), programme_id, settings_of(settings))
    if csv_path is not None:
        csv_path.write_text(payout_csv(found), encoding="utf-8")
    if as_json:
        emit_json(asdict(found))
        return
    table([[line.name, line.role, f"{line.share:.1%}", "; ".join(line.pieces)[:60]] for line in found.lines],
          ["name", "role", f"share ({found.basis})", "pieces"])


@programme_group.command(name="render")
@click.argument("programme_id")
@_json
@click.pass_obj
def render(settings: Settings, programme_id: str, as_json: bool) -> None:
    """Render the programme here and now (the web page and API queue it as a job): an episode's rough cut and its
    timeline, a book's EPUB and print HTML, or an album's tagged FLAC and MP3 tracks, with the payout sheet."""
    from triage.service.programme_render import render as render_programme

    def progress(fraction: float, message: str) -> None:
        if not as_json:
            click.echo(f"{fraction:4.0%} {message}", err=True)

    done = render_programme(runtime.open_store(settings), programme_id, settings, progress)
    if as_json:
        emit_json(done)
        return
    folder = Path(settings.data_dir) / "programmes" / programme_id / done["kind"]
    click.echo(f"rendered {done['name']!r} into {folder}:")
    for name in done["files"]:
        click.echo(f"  {name}")
    if done.get("duration_s"):
        click.echo(f"length {clock(done['duration_s'])}, loudness {done['loudness_lufs']:.1f} LUFS, "
                   f"true peak {done['true_peak_db']:.1f} dBTP")
    for warning in done["warnings"]:
        click.echo(f"warning: {warning}", err=True)


@cli.group(name="contributors")
def contributors_group() -> None:
    """Contributor names as people: merge names that are one person, so credits and payouts count them once."""


@contributors_group.command(name="list")
@click.option("--like", help="Names that differ from this one only in case and spacing.")
@_json
@click.pass_obj
def list_names(settings: Settings, like: str | None, as_json: bool) -> None:
    """Contributor names as submitted, how many pieces each sent, and who a curator merged them into."""
    from triage.service.contributors import names

    found = names(runtime.open_store(settings), like)
    if as_json:
        emit_json(found)
        return
    table([[str(n["name"]), str(n["pieces"]), str(n["person"])] for n in found], ["name", "pieces", "person"])


@contributors_group.command(name="merge")
@click.argument("names", nargs=-1, required=True)
@click.option("--as", "person", required=True, help="The one name they stand for.")
@click.pass_obj
def merge(settings: Settings, names: tuple[str, ...], person: str) -> None:
    """Say that NAMES are one person, credited as --as."""
    from triage.service.contributors import merge as merge_names

    merge_names(runtime.open_store(settings), list(names), person, by="cli")
    click.echo(f"{', '.join(repr(n) for n in names)} are credited as {person!r}")


@contributors_group.command(name="unmerge")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def unmerge(settings: Settings, names: tuple[str, ...]) -> None:
    """Each of NAMES is its own person again."""
    from triage.service.contributors import unmerge as unmerge_names

    unmerge_names(runtime.open_store(settings), list(names))
    click.echo(f"{', '.join(repr(n) for n in names)} are credited under their own names again")
