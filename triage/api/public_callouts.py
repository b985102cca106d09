"""Typed answers of the call-out routes: a call-out as curators see it, with counts and running jobs, and the open
call-out as a submitter may see it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from triage.api.public_jobs import JobPublic


class CalloutOpenPublic(BaseModel):
    """An open call-out as a submitter sees it: nothing about other people's submissions."""

    model_config = ConfigDict(extra="forbid")  # the submitter's view is exactly these four

    id: str
    title: str
    brief: str
    open: bool


class CalloutPublic(BaseModel):
    """A call-out as the CLI (`--json`) and the API show it to curators and admins."""

    id: str
    title: str
    brief: str
    prompts: list[str]
    negative_prompts: list[str]
    exemplars: list[str] = Field(description="submission ids a curator marked as examples of what it wants")
    open: bool = Field(description="false once closed to uploads; curating goes on")
    created_at: datetime
    updated_at: datetime


class CalloutDetailPublic(CalloutPublic):
    submissions: int = Field(description="submissions in all")
    counts: dict[str, int] = Field(description="submissions per status")


class CalloutOverviewPublic(CalloutDetailPublic):
    jobs: list[JobPublic] = Field(description="its queued and running jobs")


class CalloutListPublic(BaseModel):
    callouts: list[CalloutOverviewPublic | CalloutOpenPublic] = Field(
        description="curators and admins: every call-out with counts and jobs; submitters: the open ones only")
