"""Request bodies of the JSON API (responses mirror the CLI's JSON shapes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

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

    error: str
    detail: str


def errors(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses` for refusals a route may give, all shaped as ErrorPublic."""
    said = {401: "no token, or one that is unknown or revoked", 403: "the token's role may not do this",
            404: "no such call-out, submission, job or token", 409: "it conflicts with what exists",
            429: "too many of the caller's uploads wait for analysis, or its bytes for 24 hours are used up; "
                 "Retry-After gives the seconds to wait where they are known"}
    return {status: {"model": ErrorPublic, "description": said[status]} for status in statuses}
