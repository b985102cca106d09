"""Database tables (SQLAlchemy 2). Portable SQL: runs on SQLite (default) and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back with its time zone.

    SQLite keeps no zone and hands back naive datetimes even for timezone=True columns, so without this the
    same column read as "12:00+00:00" on PostgreSQL and "12:00" on SQLite, and naive values compared wrongly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # written in UTC (utcnow), read back without a zone
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Callout(Base):
    __tablename__ = "callouts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    brief: Mapped[str] = mapped_column(Text, default="")
    prompts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    negative_prompts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    exemplars: Mapped[list[Any]] = mapped_column(JSON, default=list)  # submission ids a curator marked
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Content(Base):
    """One set of unique bytes. Processed once, however many submissions share it."""

    __tablename__ = "contents"
    # The newest change to any content, one index lookup: part of every pool's signature (service/cache.py).
    __table_args__ = (Index("ix_contents_updated", "updated_at"),)

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str | None] = mapped_column(String(16))
    probe: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("callout_id", "source_key", name="uq_submission_source"),
        Index("ix_submissions_callout_status", "callout_id", "status"),
        Index("ix_submissions_external", "external_id"),
        Index("ix_submissions_sha", "sha256"),
        Index("ix_submissions_uploader", "uploaded_by", "created_at"),  # a submitter's bytes in the last 24 h
        # A pool's size and newest change (status ready, one call-out or all) read from this index alone, every
        # shortlist and search (the pool signature, service/cache.py).
        Index("ix_submissions_ready_mark", "status", "callout_id", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    callout_id: Mapped[str] = mapped_column(ForeignKey("callouts.id"))
    # What makes a re-run find this row again: the external id, or the file's name and bytes.
    source_key: Mapped[str] = mapped_column(String(400))
    external_id: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(300))
    contributor: Mapped[str | None] = mapped_column(String(200))
    media_type: Mapped[str | None] = mapped_column(String(16))
    original_filename: Mapped[str | None] = mapped_column(String(400))
    sha256: Mapped[str | None] = mapped_column(ForeignKey("contents.sha256"))
    size: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    probe: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    uploaded_by: Mapped[int | None] = mapped_column(Integer)  # api_tokens.id of a submitter, for uploads
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    # Set when the piece was erased on request (service/erase.py): the row is then a tombstone, status "erased",
    # that keeps only its id, call-out and times, so the decisions naming it still make sense.
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


# Artifact kinds that only remix lineage reads (service.lineage_update writes them), and the condition that leaves
# them out. A partial index holds this exact text, and a query must repeat it literally (not with bound
# parameters) for SQLite to use that index.
LINEAGE_KINDS = ("lineage_peaks", "lineage_frames")
POOL_ARTIFACTS = "kind NOT IN ('lineage_peaks', 'lineage_frames')"


class Artifact(Base):
    """Something derived from one content: a transcript, a thumbnail file, fingerprints. Records its model."""

    __tablename__ = "artifacts"
    __table_args__ = (
        UniqueConstraint("sha256", "kind", name="uq_artifact_kind"),
        # The newest artifact a pool can depend on, as one lookup (service.cache's signature): lineage's fingerprint
        # files are made after a piece is ready, by their own job, and no pool reads them.
        Index("ix_artifacts_pool_newest", "id", sqlite_where=text(POOL_ARTIFACTS),
              postgresql_where=text(POOL_ARTIFACTS)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("contents.sha256"))
    kind: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200), default="")
    path: Mapped[str | None] = mapped_column(String(400))  # relative to the data dir
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Vector(Base):
    """One embedding: the float32 source of truth from which every FAISS index is rebuilt."""

    __tablename__ = "vectors"
    __table_args__ = (
        Index("ix_vectors_space_sha", "space", "sha256"),
        # Which models made the pooled vectors (one per content and source), read from the index alone: how the
        # health check and the query commands tell that stored vectors belong to another model (model_drift.py).
        Index("ix_vectors_pooled_model", "kind", "space", "model", "sha256"),
        # The narrowest index, so that count(*) reads it (a few MB) rather than one of a sha per row: the pool
        # signature counts the vectors on every shortlist and search (service/cache.py), 9 ms at 2,000,000 rows.
        Index("ix_vectors_ordinal", "ordinal"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("contents.sha256"))
    space: Mapped[str] = mapped_column(String(16))  # "text" (sentence model) or "clip"
    source: Mapped[str] = mapped_column(String(16))  # "text", "transcript", "frames", "image"
    kind: Mapped[str] = mapped_column(String(8))  # "chunk", "pooled" or "frame"
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    char_start: Mapped[int | None] = mapped_column(Integer)
    char_end: Mapped[int | None] = mapped_column(Integer)
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    snippet: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(200))
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class ApiToken(Base):
    """An API token, stored only as its sha256. Roles: admin, curator, submitter."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Web sessions carry the value they were signed in under; signing out adds one, which ends them all.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Decision(Base):
    """A curator's decision on a submission. Every change is a new row: the newest is current, the rest is history."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_submission", "submission_id", "id"),
                      Index("ix_decisions_by_batch", "decided_by", "batch"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"))
    decision: Mapped[str] = mapped_column(String(16))  # shortlisted | rejected | starred | unrated
    note: Mapped[str | None] = mapped_column(Text)  # notes of old; new ones are rows of their own (Note)
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The rows one curator's action wrote (a card and its copies, or a bulk selection) share a batch: an undo
    # removes the batch, so the pieces are exactly as they were before it (undecided ones undecided again).
    batch: Mapped[str | None] = mapped_column(String(32))
    # Set on a copy's row when the decision was made on the piece its duplicate group is shown as.
    via: Mapped[str | None] = mapped_column(String(32))


class DuplicateOverride(Base):
    """A curator's word on a pair of submissions: "not_duplicate" splits them, "merge" joins them."""

    __tablename__ = "duplicate_overrides"
    __table_args__ = (UniqueConstraint("submission_a", "submission_b", name="uq_override_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_a: Mapped[str] = mapped_column(ForeignKey("submissions.id"))  # the smaller id of the pair
    submission_b: Mapped[str] = mapped_column(ForeignKey("submissions.id"))
    verdict: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DuplicateKeep(Base):
    """A curator's choice of which piece of a duplicate group to keep (shown, exported); the newest choice in a
    group wins over the representative the fingerprints picked."""

    __tablename__ = "duplicate_keeps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), unique=True)
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Note(Base):
    """A curator's note on a submission, on its own (not tied to a decision), at a moment of the piece or not."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_submission", "submission_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"))
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[float | None] = mapped_column(Float)  # seconds into the piece, for timed media
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Vote(Base):
    """One curator's own rating of a piece (1-5), beside the team's shared decision; one per curator and piece."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("submission_id", "voter", name="uq_vote_voter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"))
    voter: Mapped[str] = mapped_column(String(200))
    rating: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Assignment(Base):
    """Which curator a lead gave a piece to review; a piece belongs to one curator at a time."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_callout", "callout_id", "assignee"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    callout_id: Mapped[str] = mapped_column(ForeignKey("callouts.id"))
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), unique=True)
    assignee: Mapped[str] = mapped_column(String(200))
    assigned_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Job(Base):
    """A durable unit of background work (process an upload, re-score a call-out, ...)."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    callout_id: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed|cancelled
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ReuseMatch(Base):
    """One piece found inside another (issue 19): both ranges, the kind, and how much of the user is the source's.

    Stored as the matcher found it (source: the piece already in the archive; user: the piece matched against it);
    who builds on whom is decided when the graph is read, from the pieces' times (lineage/graph.py)."""

    __tablename__ = "reuse_matches"
    __table_args__ = (Index("ix_reuse_user", "user_sha"), Index("ix_reuse_source", "source_sha"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_sha: Mapped[str] = mapped_column(ForeignKey("contents.sha256"))
    user_sha: Mapped[str] = mapped_column(ForeignKey("contents.sha256"))
    kind: Mapped[str] = mapped_column(String(8))  # audio | video | text
    unit: Mapped[str] = mapped_column(String(8), default="s")  # of the user's range: s | chars
    source_unit: Mapped[str] = mapped_column(String(8), default="s")
    source_start: Mapped[float] = mapped_column(Float)
    source_end: Mapped[float] = mapped_column(Float)
    user_start: Mapped[float] = mapped_column(Float)
    user_end: Mapped[float] = mapped_column(Float)
    share: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class PlatformAsset(Base):
    """Bytes a curator marked as the platform's own (a theme song the call-out gave everyone, the studio's intro):
    they and what they match never make lineage edges."""

    __tablename__ = "platform_assets"

    sha256: Mapped[str] = mapped_column(ForeignKey("contents.sha256"), primary_key=True)
    marked_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Programme(Base):
    """What a call-out becomes (issue 20): an episode, a book or an album, its pieces in running order."""

    __tablename__ = "programmes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # a slug of its name: typed on the command line
    callout_id: Mapped[str | None] = mapped_column(ForeignKey("callouts.id"))  # its home; pieces may come from others
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))  # episode | book | album
    target: Mapped[float] = mapped_column(Float)  # seconds (episode, album) or words (book)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ProgrammeItem(Base):
    """One piece in a programme: its place, its in and out points (None: the default cut) and an optional heading
    that opens a section. The content it was placed with is kept, so a piece re-analysed or replaced since is told."""

    __tablename__ = "programme_items"
    __table_args__ = (UniqueConstraint("programme_id", "submission_id", name="uq_programme_piece"),
                      Index("ix_programme_items_order", "programme_id", "position"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    programme_id: Mapped[str] = mapped_column(ForeignKey("programmes.id"))
    position: Mapped[int] = mapped_column(Integer)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"))
    sha256: Mapped[str | None] = mapped_column(String(64))
    start: Mapped[float | None] = mapped_column(Float)  # seconds; words for text pieces
    end: Mapped[float | None] = mapped_column(Float)
    heading: Mapped[str | None] = mapped_column(String(300))
    added_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ContributorAlias(Base):
    """A curator's word that a contributor name, as submitted, is the same person as another: names that differ
    only in case or spacing stay apart until someone merges them (credits and payouts follow the merge)."""

    __tablename__ = "contributor_aliases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    person: Mapped[str] = mapped_column(String(200))
    merged_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
