"""What a 422 for an invalid request says: where and why, never the whole rejected input, always valid text.

FastAPI's own answer repeats each wrong value as `input`: a missing field repeats the whole body (up to the 1 MiB
body limit), and a value that is not text (a lone surrogate such as "\\ud800") cannot be written as UTF-8 at all,
which turned the refusal itself into a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

ECHO_CHARS = 80  # the longest wrong value repeated back: enough to recognise it, too short to amplify anything
_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_TEXT = "contains a lone surrogate (an unpaired \\ud800-\\udfff escape), which is not valid Unicode text"


def as_text(value: str) -> str:
    """`value` with any lone surrogate replaced by U+FFFD, so that it can be written as UTF-8."""
    return _SURROGATE.sub("\ufffd", value)


def has_lone_surrogate(value: str) -> bool:
    return _SURROGATE.search(value) is not None


_LEFT_OUT = object()


def _echo(value: Any) -> Any:
    """A short scalar as it was; a long string cut; a list or object (a whole body, perhaps) left out."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return as_text(value if len(value) <= ECHO_CHARS else value[:ECHO_CHARS] + "…")
    return _LEFT_OUT


def _clean(value: Any) -> Any:
    """Every string inside `value` made writable (loc parts, ctx values)."""
    if isinstance(value, str):
        return as_text(value)
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {as_text(str(k)): _clean(v) for k, v in value.items()}
    return value if value is None or isinstance(value, bool | int | float) else as_text(str(value))


def bounded(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI's validation errors with `input` kept only where short, and a reason in words for non-text."""
    out = []
    for error in errors:
        problem = {"type": error.get("type"), "loc": _clean(list(error.get("loc", ()))),
                   "msg": as_text(str(error.get("msg", "")))}
        if error.get("type") == "string_unicode" or (isinstance(error.get("input"), str)
                                                      and has_lone_surrogate(error["input"])):
            problem["msg"] = f"the value {NOT_TEXT}"
        if "input" in error and (echo := _echo(error["input"])) is not _LEFT_OUT:
            problem["input"] = echo
        if "ctx" in error:
            problem["ctx"] = _clean(error["ctx"])
        out.append(problem)
    return out


_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")  # the only way JSON can spell a surrogate


def lone_surrogate_in_json(body: bytes) -> str | None:
    """Where `body`, parsed as JSON, holds a lone surrogate ("text", "prompts.1", "a key of tags"), or None.
    Pydantic lets one through a plain `str` or a list of them, and it then fails on the way into the database or
    back out as JSON."""
    if not _ESCAPED_SURROGATE.search(body):
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON: the route says what is wrong with it
    todo: list[tuple[Any, str]] = [(data, "")]
    while todo:  # without recursion: the nesting is the client's to choose
        item, where = todo.pop()
        if isinstance(item, str) and has_lone_surrogate(item):
            return where or "the body"
        if isinstance(item, list):
            todo.extend((v, f"{where}.{i}".lstrip(".")) for i, v in enumerate(item))
        elif isinstance(item, dict):
            for key, value in item.items():
                if has_lone_surrogate(key):
                    return f"a key of {where or 'the body'}"
                todo.append((value, f"{where}.{key}".lstrip(".")))
    return None
