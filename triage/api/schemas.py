"""Request bodies of the JSON API, and the shape of its refusals (the answers: triage/api/public*.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DecisionName = Literal["shortlisted", "rejected", "starred", "unrated"]


class CalloutCreate(BaseModel):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                    description="1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    title: str | None = Field(default=None, max_length=300)
    brief: str | None = Field(default=None, max_length=20_000)
    prompts: list[str] | None = None
    negative_prompts: list[str] | None = None


class CalloutUpdate(BaseModel):
    title: str | None = Field(default=None, max_length=300)
    brief: str | None = Field(default=None, max_length=20_000)
    prompts: list[str] | None = None
    negative_prompts: list[str] | None = None
    open: bool | None = None


class DecisionCreate(BaseModel):
    decision: DecisionName
    note: str | None = Field(default=None, max_length=5_000)


class OverrideCreate(BaseModel):
    a: str = Field(min_length=1, max_length=32)
    b: str = Field(min_length=1, max_length=32)
    verdict: Literal["not_duplicate", "merge"]

    @model_validator(mode="after")
    def _two_different(self) -> OverrideCreate:
        if self.a == self.b:
            raise ValueError("a and b must be two different submissions")
        return self


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Literal["admin", "curator", "submitter"]


class ErrorPublic(BaseModel):
    """Every refusal of the API: the error's kind (NotFound, Conflict, ...) and a sentence for a person."""

    model_config = ConfigDict(extra="forbid")

    error: str = Field(description="the error's class: NotFound, Conflict, Degraded, ...")
    detail: str


class ProblemPublic(BaseModel):
    """One reason a request was invalid, as FastAPI words it; `input` only where short (triage/api/refusals.py)."""

    type: str
    loc: list[str | int] = Field(description="where: body, query or path, then the field")
    msg: str
    input: Any = None
    ctx: dict[str, Any] | None = None


class InvalidPublic(BaseModel):
    """A request whose body, query or path did not validate: every reason, where and why."""

    detail: list[ProblemPublic]


class UnreadablePublic(BaseModel):
    """A JSON body that could not be parsed at all (FastAPI's own answer, before any field is looked at)."""

    model_config = ConfigDict(extra="forbid")

    detail: str


REFUSALS = {400: "the body could not be parsed as JSON", 401: "no token, or one that is unknown or revoked",
            403: "the token's role may not do this",
            404: "no such call-out, submission, job or token", 409: "it conflicts with what exists",
            413: "the body is larger than the server takes",
            415: "not a supported kind of media",
            422: "the request is invalid: `detail` lists each reason (a body, query or path that did not validate), or "
                 "says in a sentence what is wrong with a value",
            429: "too many of the caller's uploads wait for analysis, or its bytes for 24 hours are used up; "
                 "Retry-After gives the seconds to wait where they are known",
            503: "the server cannot do it now: a model cannot be loaded, or the database cannot be written (read-only, "
                 "disk full); reading goes on, see /api/health",
            507: "the server is out of disk space and cannot store the upload now"}


def errors(*statuses: int, **said: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for refusals a route may give, shaped as ErrorPublic (a 422 also as InvalidPublic, a 400
    as UnreadablePublic). `said` words a status for one route: errors(409, s409="...")."""
    shapes: dict[int, Any] = {400: UnreadablePublic, 422: InvalidPublic | ErrorPublic}
    return {status: {"model": shapes.get(status, ErrorPublic), "description": said.get(f"s{status}", REFUSALS[status])}
            for status in statuses}
