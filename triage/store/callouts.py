"""Call-out rows: create or update, mark exemplars, list, fetch."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.domain import Status
from triage.errors import ConfigError, Conflict, NotFound
from triage.store.rows import check_length
from triage.store.schema import Callout, Submission

CALLOUT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def upsert_callout(
    session: Session,
    callout_id: str,
    *,
    title: str | None = None,
    brief: str | None = None,
    prompts: list[str] | None = None,
    negative_prompts: list[str] | None = None,
    is_open: bool | None = None,
) -> tuple[Callout, bool]:
    """Create the call-out, or update the fields given. Returns (callout, created)."""
    if not CALLOUT_ID.match(callout_id):
        raise ConfigError(
            f"call-out id {callout_id!r} is not valid: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    check_length(Callout, "title", title, "the title")
    callout = session.get(Callout, callout_id)
    created = callout is None
    if callout is None:
        callout = Callout(id=callout_id, title=title or callout_id, brief=brief or "",
                          prompts=[], negative_prompts=[], exemplars=[], is_open=True)
        session.add(callout)
    if title is not None:
        callout.title = title.strip() or callout_id  # a blank title would leave nothing to click on a page
    if brief is not None:
        callout.brief = brief
    if prompts is not None:
        callout.prompts = list(prompts)
    if negative_prompts is not None:
        callout.negative_prompts = list(negative_prompts)
    if is_open is not None:
        callout.is_open = is_open
    session.flush()
    return callout, created


def set_exemplar(session: Session, callout_id: str, submission: Submission, marked: bool) -> tuple[Callout, bool]:
    """Mark (or unmark) one of the call-out's ready submissions as an example of what it wants.
    Returns the call-out and whether its exemplars changed."""
    callout = get_callout(session, callout_id)
    if submission.callout_id != callout_id:
        raise NotFound(f"submission {submission.id!r} was not submitted to call-out {callout_id!r}")
    if marked and submission.status != Status.READY.value:
        raise Conflict(f"submission {submission.id!r} is {submission.status}; only ready submissions can be exemplars")
    before = list(callout.exemplars or ())
    if marked == (submission.id in before):
        return callout, False
    # a new list, so the JSON column is saved
    callout.exemplars = [*before, submission.id] if marked else [sid for sid in before if sid != submission.id]
    session.flush()
    return callout, True


def get_callout(session: Session, callout_id: str) -> Callout:
    callout = session.get(Callout, callout_id)
    if callout is None:
        raise NotFound(f"no call-out {callout_id!r}; create it with: triage callouts create {callout_id} --title ...")
    return callout


def list_callouts(session: Session) -> list[Callout]:
    return list(session.scalars(select(Callout).order_by(Callout.created_at, Callout.id)))


def status_counts(session: Session) -> dict[str, dict[str, int]]:
    """{callout_id: {status: count}} for every call-out, including empty ones."""
    counts: dict[str, dict[str, int]] = {c.id: {} for c in list_callouts(session)}
    rows = session.execute(
        select(Submission.callout_id, Submission.status, func.count())
        .group_by(Submission.callout_id, Submission.status)
    )
    for callout_id, status, n in rows:
        counts.setdefault(callout_id, {})[status] = n
    return counts
